/*
 * The metrics transport: a small HTTP/1.x responder for GET or HEAD of
 * /metrics and /healthz, with every resource bounded: request size, time
 * per connection, connections at once (when all are taken, the oldest
 * one still sending its request gives way to a new one; when all are
 * being answered, a new one is closed); accept failures back off.
 */
#ifndef HTTP_H
#define HTTP_H

#define HTTP_MAX_REQUEST	8192	/* request line and headers */
#define HTTP_TIMEOUT_MS		10000	/* accept to close */
#define HTTP_MAX_CONNS		16
#define HTTP_CACHE_MS		1000	/* longest a /metrics body is reused */

struct buf;
struct event_base;
struct http;
struct metrics;

/* What the responder asks its owner (main thread). */
struct http_ops {
	void	(*metrics)(void *, struct buf *);	/* render /metrics */
	int	(*stopping)(void *);			/* for /healthz */
	void	 *arg;
};

struct http	*http_new(struct event_base *, int, const char *,
		    const struct http_ops *, struct metrics *);
void		 http_free(struct http *);

#endif
