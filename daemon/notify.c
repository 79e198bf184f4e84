/*
 * systemd readiness and status messages (sd_notify(3)): one datagram to
 * the UNIX socket named by NOTIFY_SOCKET, a path or, after '@', an
 * abstract name.  The protocol is stable and small, so it is spoken here
 * rather than through libsystemd, whose dependencies (compression and
 * crypto libraries) would load into every run of scrubd, one-shot ones
 * too.  Without NOTIFY_SOCKET in the environment these do nothing.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

#define NOTIFY_WAIT_MS	500	/* a state change's wait for the manager */

/*
 * The service manager's socket address from NOTIFY_SOCKET; its length, 0
 * if the variable is unset or empty, -1 if it is not an address we speak.
 */
static int
notify_address(struct sockaddr_un *sun, socklen_t *len)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 n;

	if (path == NULL || *path == '\0')
		return (0);
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof sun->sun_path)
		return (-1);
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';	/* abstract: no terminating NUL */
	else
		n++;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return (1);
}

/*
 * The newest state change (READY=1, RELOADING=1, STOPPING=1) that did not
 * get through, sent again before the next notification and by the
 * status timer: a reader that was slow once must still learn the state.
 * A newer state change replaces it, as the manager wants only the last.
 */
static char	notify_unsent[512];

/* A wait ran out (or a signal ended it) with no send through since:
 * state changes do not wait. */
static int	notify_stalled;

/*
 * Send one datagram to the manager at sun; 0 if it went, else the errno.
 * wait lets it wait up to NOTIFY_WAIT_MS for room in the manager's queue.
 */
static int
notify_datagram(const struct sockaddr_un *sun, socklen_t len,
    const char *msg, int wait)
{
	struct timeval	tv = { 0, NOTIFY_WAIT_MS * 1000 };
	int		fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (errno);
	if (wait && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof tv) == -1)
		wait = 0;
	rc = 0;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL |
	    (wait ? 0 : MSG_DONTWAIT), (const struct sockaddr *)sun, len) == -1)
		rc = errno;
	close(fd);
	return (rc);
}

/* Log a failed send at debug level, as one line. */
static void
notify_failed(const char *msg, int error)
{
	char	line[512], *p;

	snprintf(line, sizeof line, "%s", msg);
	for (p = line; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	log_debug("notify %s: %s", line, strerror(error));
}

/* Send the state change that did not get through, if any, without
 * waiting; 0 once none is left. */
static int
notify_flush(const struct sockaddr_un *sun, socklen_t len)
{
	if (*notify_unsent == '\0')
		return (0);
	if (notify_datagram(sun, len, notify_unsent, 0) != 0)
		return (-1);
	*notify_unsent = '\0';
	notify_stalled = 0;
	return (0);
}

/*
 * Send one notification; failures are logged at debug level only.  A
 * state change (state set) may wait up to NOTIFY_WAIT_MS for room in the
 * manager's queue, unless a wait has already run out with nothing sent
 * since; one that does not get through is kept and sent again later
 * (notify_unsent).  A status line never waits, and goes only once the
 * state change before it has gone.  So a manager that does not read
 * stalls the daemon for NOTIFY_WAIT_MS once, not at every change.
 */
static void
notify_send(int state, const char *fmt, ...)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	va_list			ap;
	char			msg[512];
	int			error;

	if ((error = notify_address(&sun, &len)) <= 0) {
		if (error < 0)
			log_debug("NOTIFY_SOCKET is not a UNIX socket address");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (state)
		*notify_unsent = '\0';	/* superseded */
	else if (notify_flush(&sun, len) != 0)
		return;
	if ((error = notify_datagram(&sun, len, msg, state &&
	    !notify_stalled)) == 0) {
		notify_stalled = 0;
		return;
	}
	notify_failed(msg, error);
	if (state) {
		snprintf(notify_unsent, sizeof notify_unsent, "%s", msg);
		/* A wait happens only on a full queue, whether it ran out
		 * or a signal cut it short (SO_SNDTIMEO: never restarted). */
		if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR)
			notify_stalled = 1;
	}
}

/* Is a service manager listening for notifications? */
int
notify_enabled(void)
{
	struct sockaddr_un	sun;
	socklen_t		len;

	return (notify_address(&sun, &len) > 0);
}

/* Listening and serving. */
void
notify_ready(const char *status)
{
	notify_send(1, "READY=1\nSTATUS=%s", status);
}

/* A reload starts; systemd wants the monotonic time it began. */
void
notify_reloading(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send(1, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

/* Shutting down. */
void
notify_stopping(const char *status)
{
	notify_send(1, "STOPPING=1\nSTATUS=%s", status);
}

/* A status line for systemctl status. */
void
notify_status(const char *status)
{
	notify_send(0, "STATUS=%s", status);
}
