/*
 * One client connection on a worker's event loop: plain libevent events
 * on the socket, large reads straight into the session, writes from the
 * session's queue.  A leaf: it knows its generation and its session, and
 * reports its end to its owner through a callback, called from an event
 * of its own (so the owner may free it there, outside the connection's
 * own callbacks).
 */
#ifndef CONN_H
#define CONN_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conn_end.h"
#include "session.h"
#include "stream.h"

struct event;
struct event_base;
struct generation;
struct ratelimit;
struct scratch;
struct conn;

typedef void (*conn_done_cb)(struct conn *, void *);

/* What a new connection is given by its owner. */
struct conn_params {
	struct event_base	*base;
	int			 fd;
	enum stream_kind	 kind;
	struct generation	*gen;		/* a reference, taken over */
	uint64_t		 id;
	struct scratch		*scratch;	/* the worker thread's */
	char			*inbuf;		/* the worker's read buffer */
	size_t			 inbuf_size;
	conn_done_cb		 ended;		/* the end is known: count it */
	conn_done_cb		 done;		/* later, from the loop: free it */
	void			*arg;
	struct ratelimit	*rl;		/* the worker's, for warnings */
};

struct conn {
	uint64_t		 id;
	int			 fd;
	int			 status_fd;	/* -1: no status asked for */
	enum stream_kind	 kind;
	struct generation	*gen;
	struct session		 sess;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_done;
	struct event		*ev_linger;	/* cut: wait for the reader */
	double			 linger_start;
	int			 linger_ms;
	struct buf		 backlog;	/* read, not yet fed */
	char			*inbuf;
	size_t			 inbuf_size;
	struct timespec		 started;
	int			 first;		/* no byte read yet */
	int			 reading;	/* ev_read is added */
	int			 writing;	/* ev_write is added */
	int			 outq;		/* unread when the socket filled */
	int			 eof;		/* the client finished writing */
	int			 cut;		/* a limit ended the document */
	int			 ended;
	enum conn_end		 end;
	char			 error[64];	/* CONN_END_CLIENT_ERROR detail */
	conn_done_cb		 ended_cb;
	conn_done_cb		 done;
	void			*arg;
	struct ratelimit	*rl;
	TAILQ_ENTRY(conn)	 entry;		/* the owner's list */
};

struct conn	*conn_new(const struct conn_params *);
void		 conn_force(struct conn *);
void		 conn_free(struct conn *);
double		 conn_seconds(const struct conn *);

#endif
