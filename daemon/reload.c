/* Reloads on a loader thread, results on the main loop (see reload.h). */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "generation.h"
#include "log.h"
#include "reload.h"
#include "xmalloc.h"

struct reload {
	const char			*path;
	const struct settings_override	*ov;
	reload_done_cb			 done;
	void				*arg;
	struct event			*ev_done;
	pthread_t			 thread;
	int				 running;	/* a loader thread */
	int				 pending;	/* load again after */
	int				 cancelled;
	struct generation		*result;	/* set by the thread */
	struct config_errors		 errs;
};

/* The loader thread: build the generation, then wake the main loop. */
static void *
reload_main(void *arg)
{
	struct reload	*r = arg;

	r->result = generation_load(r->path, r->ov, &r->cancelled, &r->errs);
	event_active(r->ev_done, EV_TIMEOUT, 0);
	return (NULL);
}

/* Start a loader thread with every signal blocked. */
static void
reload_start(struct reload *r)
{
	sigset_t	all, old;
	int		rc;

	r->running = 1;
	r->pending = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if ((rc = pthread_create(&r->thread, NULL, reload_main, r)) != 0)
		fatalx("cannot start the reload thread: %s", strerror(rc));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* A load finished (main loop): hand over the result, start the next. */
static void
reload_done_callback(evutil_socket_t fd, short what, void *arg)
{
	struct reload		*r = arg;
	struct generation	*g;

	(void)fd;
	(void)what;
	pthread_join(r->thread, NULL);
	r->running = 0;
	g = r->result;
	r->result = NULL;
	if (r->cancelled)
		generation_unref(g);
	else
		r->done(g, &r->errs, r->arg);
	config_errors_free(&r->errs);
	if (r->pending && !r->cancelled)
		reload_start(r);
}

/* Reloads of path, with the command line overrides, reported to done. */
struct reload *
reload_new(struct event_base *base, const char *path,
    const struct settings_override *ov, reload_done_cb done, void *arg)
{
	struct reload	*r;

	r = xcalloc(1, sizeof *r);
	r->path = path;
	r->ov = ov;
	r->done = done;
	r->arg = arg;
	r->ev_done = event_new(base, -1, 0, reload_done_callback, r);
	if (r->ev_done == NULL)
		fatalx("cannot create the reload event");
	return (r);
}

/* Ask for a reload; merged with one already waiting. */
void
reload_request(struct reload *r)
{
	if (r->cancelled)
		return;
	if (r->running) {
		if (!r->pending)
			log_info("a reload is running: one more will follow, "
			    "merging further requests");
		r->pending = 1;
		return;
	}
	reload_start(r);
}

/* Stop reloading: drop what is pending and the running load's result. */
void
reload_cancel(struct reload *r)
{
	if (r->running || r->pending)
		log_info("shutting down: pending reload dropped");
	__atomic_store_n(&r->cancelled, 1, __ATOMIC_RELAXED);
	r->pending = 0;
}

/* Wait for a load in progress (told to stop early) and free everything. */
void
reload_free(struct reload *r)
{
	if (r->running) {
		pthread_join(r->thread, NULL);
		generation_unref(r->result);
		config_errors_free(&r->errs);
	}
	event_free(r->ev_done);
	free(r);
}
