/*
 * systemd integration through libsystemd: readiness and status messages
 * (sd_notify) and inherited listening sockets (sd_listen_fds).  Without
 * NOTIFY_SOCKET or LISTEN_FDS in the environment these do nothing.
 */
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
 * Listening UNIX stream sockets inherited from systemd: the one named
 * "jsonl" (FileDescriptorName=jsonl) speaks JSON Lines, the other the raw
 * protocol.  Each is -1 if not passed.
 */
void
notify_listen_fds(int *raw, int *jsonl)
{
	char	**names = NULL;
	int	  n, i, fd, *slot;

	*raw = *jsonl = -1;
	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		slot = (names != NULL && strcmp(names[i], "jsonl") == 0) ?
		    jsonl : raw;
		if (*slot == -1 && sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL,
		    0) > 0)
			*slot = fd;
		else {
			log_warnx("ignoring inherited descriptor %d: not a "
			    "listening UNIX stream socket, or one too many",
			    fd);
			close(fd);
		}
	}
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}
