/*
 * systemd readiness and status messages through libsystemd (sd_notify).
 * Without NOTIFY_SOCKET in the environment these do nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

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
