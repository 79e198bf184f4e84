/*
 * Worker threads, memcached's model: each runs its own event_base; the
 * listener hands accepted descriptors to a worker through a locked queue
 * and wakes it with event_active().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "scrubd.h"
#include "xmalloc.h"

/* Exit the loop once stopping and nothing is left to serve. */
static void
worker_maybe_exit(struct worker *w)
{
	int	stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop && w->nqueue == 0;
	pthread_mutex_unlock(&w->lock);
	if (stop && w->nconns == 0)
		event_base_loopexit(w->base, NULL);
}

/* Woken by the listener or the server: take new fds, obey stop and force. */
static void
worker_wake_callback(evutil_socket_t fd, short events, void *arg)
{
	struct worker	*w = arg;
	struct conn	*c, *next;
	struct handoff	*queue;
	int		 force;
	size_t		 i, n;

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
		conn_start(w, queue[i].fd, queue[i].jsonl);
	free(queue);
	if (force) {
		for (c = TAILQ_FIRST(&w->conns); c != NULL; c = next) {
			next = TAILQ_NEXT(c, entry);
			conn_close(c, "shutdown-timeout");
		}
	}
	worker_maybe_exit(w);
}

/* The thread: run the loop until told to stop and idle. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return (NULL);
}

/* Create a worker's loop and start its thread. */
void
worker_start(struct worker *w, struct server *s, int index)
{
	memset(w, 0, sizeof *w);
	w->server = s;
	w->index = index;
	TAILQ_INIT(&w->conns);
	pthread_mutex_init(&w->lock, NULL);
	metrics_init(&w->metrics);
	if ((w->base = event_base_new()) == NULL)
		fatalx("worker %d: cannot create event base", index);
	w->wake = event_new(w->base, -1, 0, worker_wake_callback, w);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		fatalx("worker %d: cannot start thread", index);
}

/* Hand an accepted descriptor to a worker (from the listener thread). */
void
worker_dispatch(struct worker *w, int fd, int jsonl)
{
	pthread_mutex_lock(&w->lock);
	if (w->nqueue == w->qcap) {
		w->qcap = w->qcap ? w->qcap * 2 : 16;
		w->queue = xreallocarray(w->queue, w->qcap, sizeof *w->queue);
	}
	w->queue[w->nqueue].fd = fd;
	w->queue[w->nqueue++].jsonl = jsonl;
	pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

/* Ask a worker to stop: finish its connections, or with force close them. */
void
worker_stop(struct worker *w, int force)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	w->force |= force;
	pthread_mutex_unlock(&w->lock);
	event_active(w->wake, EV_READ, 0);
}

/* Has the worker's loop exited? */
int
worker_done(struct worker *w)
{
	return (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE));
}

/* Wait for the thread and free the worker's loop. */
void
worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
	event_free(w->wake);
	event_base_free(w->base);
	pthread_mutex_destroy(&w->lock);
	free(w->queue);
	metrics_free(&w->metrics);
}

/* A connection of this worker was freed: the worker may now exit. */
void
worker_conn_freed(struct worker *w)
{
	worker_maybe_exit(w);
}
