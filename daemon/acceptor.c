/* Accepting with back-off on resource errors (see acceptor.h). */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "acceptor.h"
#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define ACCEPTOR_BACKOFF_MIN_MS	100
#define ACCEPTOR_BACKOFF_MAX_MS	2000

/* A connection arrived: accepting works again; hand it over. */
static void
acceptor_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct acceptor	*a = arg;

	(void)l;
	(void)sa;
	(void)salen;
	a->backoff_ms = 0;
	a->cb(fd, a->arg);
}

/* Is this accept() error a shortage that waiting can cure? */
static int
acceptor_shortage(int err)
{
	return (err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM);
}

/* accept() failed: count, log (rate-limited), back off on a shortage. */
static void
acceptor_error(struct evconnlistener *l, void *arg)
{
	struct acceptor	*a = arg;
	struct timeval	 tv;
	unsigned long	 skipped;
	int		 err = EVUTIL_SOCKET_ERROR();

	(void)l;
	metrics_accept_error(a->metrics);
	if (!acceptor_shortage(err)) {
		if (ratelimit_pass(&a->rl, &skipped))
			log_warnx("accept on %s: %s (%lu more not logged)",
			    a->name, evutil_socket_error_to_string(err),
			    skipped);
		return;
	}
	a->backoff_ms = a->backoff_ms == 0 ? ACCEPTOR_BACKOFF_MIN_MS :
	    a->backoff_ms * 2;
	if (a->backoff_ms > ACCEPTOR_BACKOFF_MAX_MS)
		a->backoff_ms = ACCEPTOR_BACKOFF_MAX_MS;
	if (ratelimit_pass(&a->rl, &skipped))
		log_warnx("accept on %s: %s: pausing new connections for %d "
		    "ms (%lu more not logged)", a->name,
		    evutil_socket_error_to_string(err), a->backoff_ms, skipped);
	evconnlistener_disable(a->l);
	tv.tv_sec = a->backoff_ms / 1000;
	tv.tv_usec = (a->backoff_ms % 1000) * 1000;
	evtimer_add(a->ev_resume, &tv);
}

/* The back-off is over: accept again. */
static void
acceptor_resume_callback(evutil_socket_t fd, short what, void *arg)
{
	struct acceptor	*a = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(a->l);
}

/* Accept on listening socket fd (taken over), calling cb for each. */
struct acceptor *
acceptor_new(struct event_base *base, int fd, const char *name,
    acceptor_cb cb, void *arg, struct metrics *m)
{
	struct acceptor	*a;

	a = xcalloc(1, sizeof *a);
	a->name = xstrdup(name);
	a->cb = cb;
	a->arg = arg;
	a->metrics = m;
	a->l = evconnlistener_new(base, acceptor_accept, a,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	a->ev_resume = evtimer_new(base, acceptor_resume_callback, a);
	if (a->l == NULL || a->ev_resume == NULL)
		fatalx("cannot accept on %s", name);
	evconnlistener_set_error_cb(a->l, acceptor_error);
	return (a);
}

/* Stop accepting and close the socket. */
void
acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	evconnlistener_free(a->l);
	event_free(a->ev_resume);
	free(a->name);
	free(a);
}
