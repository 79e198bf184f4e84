/*
 * systemd integration through libsystemd: readiness and status messages
 * (sd_notify) and inherited listening sockets (sd_listen_fds).  Without
 * NOTIFY_SOCKET or LISTEN_FDS in the environment these do nothing.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "scrubd.h"

/* Send one notification; failures are logged at debug level only. */
static void
notify_send(const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (sd_notify(0, msg) < 0)
		log_debug("sd_notify failed: %s", msg);
}

/* Is a service manager listening for notifications? */
int
notify_enabled(void)
{
	return (sd_notify(0, "") > 0);
}

/* Listening and serving. */
void
notify_ready(const char *status)
{
	notify_send("READY=1\nSTATUS=%s", status);
}

/* A reload starts; systemd wants the monotonic time it began. */
void
notify_reloading(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

/* Shutting down. */
void
notify_stopping(const char *status)
{
	notify_send("STOPPING=1\nSTATUS=%s", status);
}

/* A status line for systemctl status. */
void
notify_status(const char *status)
{
	notify_send("STATUS=%s", status);
}

/*
 * The first inherited listening UNIX stream socket, or -1 if scrubd was not
 * socket-activated.  Other inherited descriptors are closed.
 */
int
notify_listen_fd(void)
{
	int	n, i, fd = -1;

	if ((n = sd_listen_fds(1)) <= 0)
		return (-1);
	for (i = 0; i < n; i++) {
		if (fd == -1 && sd_is_socket_unix(SD_LISTEN_FDS_START + i,
		    SOCK_STREAM, 1, NULL, 0) > 0) {
			fd = SD_LISTEN_FDS_START + i;
			continue;
		}
		log_warnx("ignoring inherited descriptor %d: not a listening "
		    "UNIX stream socket, or one too many",
		    SD_LISTEN_FDS_START + i);
	}
	return (fd);
}
