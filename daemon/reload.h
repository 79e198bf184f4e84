/*
 * Configuration reloads, off the thread that accepts connections: a
 * loader thread builds the new generation; the result is delivered on the
 * main loop.  Requests made while a load runs are merged into one more
 * load; a cancel (at shutdown) drops pending requests and the result of
 * the load in progress.
 */
#ifndef RELOAD_H
#define RELOAD_H

struct config_errors;
struct event_base;
struct generation;
struct reload;
struct settings_override;

/* A finished load: a new generation (taken over), or NULL and errors. */
typedef void (*reload_done_cb)(struct generation *, struct config_errors *,
    void *);

struct reload	*reload_new(struct event_base *, const char *,
		    const struct settings_override *, reload_done_cb, void *);
void		 reload_request(struct reload *);
void		 reload_cancel(struct reload *);
void		 reload_free(struct reload *);

#endif
