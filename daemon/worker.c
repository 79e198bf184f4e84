/*
 * A worker thread: its event loop, its connections, its counters, its
 * scratch space for matching and its read buffer (reads are cleaned at
 * once, so one buffer serves every connection of the thread).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "generation.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "scratch.h"
#include "stack.h"
#include "worker.h"
#include "xmalloc.h"

#define WORKER_READ_SIZE	(256 * 1024)

/* An accepted descriptor on its way to a worker. */
struct handoff {
	int			 fd;
	enum stream_kind	 kind;
	struct generation	*gen;
	uint64_t		 id;
};

TAILQ_HEAD(conns, conn);

struct worker {
	int			 index;
	struct worker_ops	 ops;
	pthread_t		 thread;
	struct event_base	*base;
	struct event		*wake;
	pthread_mutex_t		 lock;		/* queue, stop, force */
	struct handoff		*queue;
	size_t			 nqueue;
	size_t			 qcap;
	int			 stop;		/* finish connections, then exit */
	int			 force;		/* end every connection now */
	int			 drained;	/* told the owner */
	struct conns		 conns;
	size_t			 nconns;
	struct metrics		 metrics;
	struct scratch		*scratch;
	char			*inbuf;
	struct ratelimit	 rl;		/* limit warnings */
};

/* Once stopping with nothing left to serve: exit the loop, tell the owner. */
static void
worker_check_drained(struct worker *w)
{
	int	stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop && w->nqueue == 0;
	pthread_mutex_unlock(&w->lock);
	if (!stop || w->nconns != 0 || w->drained)
		return;
	w->drained = 1;
	event_base_loopexit(w->base, NULL);
	w->ops.drained(w->ops.arg);
}

/* A connection's end is known (its socket not yet closed): count it. */
static void
worker_conn_ended(struct conn *c, void *arg)
{
	struct worker	*w = arg;

	metrics_document(&w->metrics, c->sess.stream, c->gen->rule_slots,
	    c->sess.bytes_in, c->sess.bytes_out, conn_seconds(c), c->end);
}

/* A connection ended and was counted: free it, tell the owner. */
static void
worker_conn_done(struct conn *c, void *arg)
{
	struct worker	*w = arg;
	int		 ok = c->end == CONN_END_OK;

	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	conn_free(c);
	w->ops.gone(w->ops.arg, ok);
	worker_check_drained(w);
}

/* Start serving a handed-over descriptor. */
static void
worker_serve(struct worker *w, const struct handoff *h)
{
	struct conn_params	cp;
	struct conn		*c;

	memset(&cp, 0, sizeof cp);
	cp.base = w->base;
	cp.fd = h->fd;
	cp.kind = h->kind;
	cp.gen = h->gen;
	cp.id = h->id;
	cp.scratch = w->scratch;
	cp.inbuf = w->inbuf;
	cp.inbuf_size = WORKER_READ_SIZE;
	cp.ended = worker_conn_ended;
	cp.done = worker_conn_done;
	cp.arg = w;
	cp.rl = &w->rl;
	c = conn_new(&cp);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	metrics_connection(&w->metrics);
}

/* Woken by the listener or the owner: take new fds, obey stop and force. */
static void
worker_wake_callback(evutil_socket_t fd, short events, void *arg)
{
	struct worker	*w = arg;
	struct conn	*c;
	struct handoff	*queue;
	size_t		 i, n;
	int		 force;

	(void)fd;
	(void)events;
	pthread_mutex_lock(&w->lock);
	queue = w->queue;
	n = w->nqueue;
	w->queue = NULL;
	w->nqueue = w->qcap = 0;
	force = w->force;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++)
		worker_serve(w, &queue[i]);
	free(queue);
	if (force)
		TAILQ_FOREACH(c, &w->conns, entry)
			conn_force(c);
	worker_check_drained(w);
}

/* The thread: run the loop until stopped and drained. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

/* Create a worker and start its thread (signals stay with the caller). */
struct worker *
worker_new(int index, const struct worker_ops *ops)
{
	struct worker	*w;
	sigset_t	 all, old;
	char		 name[32];

	w = xcalloc(1, sizeof *w);
	w->index = index;
	w->ops = *ops;
	TAILQ_INIT(&w->conns);
	pthread_mutex_init(&w->lock, NULL);
	metrics_init(&w->metrics);
	w->scratch = scratch_new();
	w->inbuf = xmalloc(WORKER_READ_SIZE);
	if ((w->base = event_base_new()) == NULL)
		fatalx("worker %d: cannot create event base", index);
	if ((w->wake = event_new(w->base, -1, 0, worker_wake_callback, w)) ==
	    NULL)
		fatalx("worker %d: cannot create wake event", index);
	snprintf(name, sizeof name, "worker %d", index);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	stack_start(&w->thread, worker_main, w, name);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (w);
}

/* Hand an accepted descriptor and its generation to a worker. */
void
worker_hand(struct worker *w, int fd, enum stream_kind kind,
    struct generation *gen, uint64_t id)
{
	pthread_mutex_lock(&w->lock);
	if (w->nqueue == w->qcap) {
		w->qcap = w->qcap ? w->qcap * 2 : 16;
		w->queue = xreallocarray(w->queue, w->qcap, sizeof *w->queue);
	}
	w->queue[w->nqueue].fd = fd;
	w->queue[w->nqueue].kind = kind;
	w->queue[w->nqueue].gen = gen;
	w->queue[w->nqueue++].id = id;
	pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

/* Ask a worker to stop: finish its connections, or with force end them. */
void
worker_stop(struct worker *w, int force)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	w->force |= force;
	pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

/* The worker's counters, for a scrape. */
struct metrics *
worker_metrics(struct worker *w)
{
	return (&w->metrics);
}

/* Wait for the thread (stopped and drained) and free the worker. */
void
worker_free(struct worker *w)
{
	pthread_join(w->thread, NULL);
	event_free(w->wake);
	event_base_free(w->base);
	pthread_mutex_destroy(&w->lock);
	free(w->queue);
	metrics_free(&w->metrics);
	scratch_free(w->scratch);
	free(w->inbuf);
	free(w);
}
