/*
 * Accepting connections on a listening socket (libevent's evconnlistener)
 * with the failure handling every listener needs: when accept() fails
 * for want of descriptors or memory, accepting pauses and backs off
 * (100 ms doubling to 2 s) instead of spinning; every failure is counted
 * and logged at most once per interval.
 */
#ifndef ACCEPTOR_H
#define ACCEPTOR_H

#include "ratelimit.h"

struct event;
struct event_base;
struct evconnlistener;
struct metrics;

/* A new connection: the accepted descriptor, non-blocking, close-on-exec. */
typedef void (*acceptor_cb)(int, void *);

struct acceptor {
	struct evconnlistener	*l;
	struct event		*ev_resume;
	char			*name;		/* for log lines */
	acceptor_cb		 cb;
	void			*arg;
	struct metrics		*metrics;
	int			 backoff_ms;	/* 0: not backing off */
	struct ratelimit	 rl;
};

struct acceptor	*acceptor_new(struct event_base *, int, const char *,
		    acceptor_cb, void *, struct metrics *);
void		 acceptor_free(struct acceptor *);

#endif
