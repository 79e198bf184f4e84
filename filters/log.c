/* Levelled logging to stderr; journald adds timestamps when run as a service. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int		 log_debug_on;
static const char	*log_prog = "scrubd";

/* Set the program name and whether debug lines are printed. */
void
log_init(int verbose, const char *progname)
{
	log_debug_on = verbose;
	if (progname != NULL)
		log_prog = progname;
}

/* Tell whether debug logging is on. */
int
log_verbose(void)
{
	return (log_debug_on);
}

/* Print one line with a level prefix and an optional errno text. */
static void
log_vwrite(const char *level, int errnum, const char *fmt, va_list ap)
{
	char	msg[4096];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, "%s: %s: %s: %s\n", log_prog, level, msg,
		    strerror(errnum));
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, level, msg);
}

/* Warn, appending the text of errno. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Warn without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning", 0, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("info", 0, fmt, ap);
	va_end(ap);
}

/* Log a debug line when verbose. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vwrite("debug", 0, fmt, ap);
	va_end(ap);
}

/* Log an error with errno and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite("fatal", saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log an error and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
