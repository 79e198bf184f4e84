/*
 * A bounded HTTP/1.x responder for the metrics endpoint.  One request per
 * connection (Connection: close): the request line and headers must come
 * within HTTP_MAX_REQUEST bytes, the whole exchange within
 * HTTP_TIMEOUT_MS, and at most HTTP_MAX_CONNS connections are open at
 * once (more wait in the listen backlog).  libevent's evhttp bounds the
 * header size and the time between bytes, but not the time a request may
 * take nor the number of connections, so scrubd answers itself.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "acceptor.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

struct http_conn {
	struct http		*http;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_write;
	struct event		*ev_deadline;
	char			 in[HTTP_MAX_REQUEST];
	size_t			 inlen;
	struct buf		 out;
	size_t			 off;
	int			 answered;	/* response queued */
	int			 draining;	/* answered: reading to the end */
	TAILQ_ENTRY(http_conn)	 entry;
};

struct http {
	struct event_base		*base;
	struct acceptor			*acceptor;
	struct http_ops			 ops;
	struct buf			 cache;		/* the last /metrics */
	struct timespec			 cached;	/* when it was made */
	double				 cache_ms;	/* how long it is good */
	TAILQ_HEAD(, http_conn)		 conns;
	size_t				 nconns;
	TAILQ_HEAD(, http_conn)		 closed;	/* to be freed */
	struct event			*ev_reap;
};

/* Free one connection's memory. */
static void
http_conn_free(struct http_conn *hc)
{
	event_free(hc->ev_read);
	event_free(hc->ev_write);
	event_free(hc->ev_deadline);
	if (hc->fd != -1)
		close(hc->fd);
	buf_free(&hc->out);
	free(hc);
}

/* Free closed connections, from the loop (never inside their callbacks). */
static void
http_reap_callback(evutil_socket_t fd, short what, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*hc;

	(void)fd;
	(void)what;
	while ((hc = TAILQ_FIRST(&h->closed)) != NULL) {
		TAILQ_REMOVE(&h->closed, hc, entry);
		http_conn_free(hc);
	}
}

/* Close a connection (freed later, from the loop). */
static void
http_close(struct http_conn *hc)
{
	struct http	*h = hc->http;

	event_del(hc->ev_read);
	event_del(hc->ev_write);
	event_del(hc->ev_deadline);
	close(hc->fd);
	hc->fd = -1;
	TAILQ_REMOVE(&h->conns, hc, entry);
	TAILQ_INSERT_TAIL(&h->closed, hc, entry);
	h->nconns--;
	event_active(h->ev_reap, EV_TIMEOUT, 0);
}

/* The request took too long. */
static void
http_deadline_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	http_close(arg);
}

/* Queue a whole response; HEAD gets the headers only. */
static void
http_respond(struct http_conn *hc, int head, int code, const char *reason,
    const char *type, const char *body, size_t len, const char *extra)
{
	char	hdr[512];
	int	n;

	n = snprintf(hdr, sizeof hdr, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", code, reason,
	    type, len, extra);
	buf_append(&hc->out, hdr, (size_t)n);
	if (!head)
		buf_append(&hc->out, body, len);
	hc->answered = 1;
}

/* Queue a short plain-text response. */
static void
http_text(struct http_conn *hc, int head, int code, const char *reason,
    const char *text)
{
	http_respond(hc, head, code, reason, "text/plain; charset=utf-8",
	    text, strlen(text), "");
}

/* Milliseconds from a to b. */
static double
http_ms(const struct timespec *a, const struct timespec *b)
{
	return ((double)(b->tv_sec - a->tv_sec) * 1e3 +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e6);
}

/*
 * The /metrics body.  Rendering is linear in the rules and runs on the
 * thread that accepts connections, so a body is reused for ten times as
 * long as it took to make (at most HTTP_CACHE_MS): however many scrapers
 * there are, they take at most a tenth of that thread; with few rules a
 * scrape is fresh.
 */
static const struct buf *
http_metrics_body(struct http *h)
{
	struct timespec	now, done;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (h->cache.len != 0 && http_ms(&h->cached, &now) < h->cache_ms)
		return (&h->cache);
	buf_reset(&h->cache);
	h->ops.metrics(h->ops.arg, &h->cache);
	clock_gettime(CLOCK_MONOTONIC, &done);
	h->cached = done;
	h->cache_ms = 10 * http_ms(&now, &done);
	if (h->cache_ms > HTTP_CACHE_MS)
		h->cache_ms = HTTP_CACHE_MS;
	return (&h->cache);
}

/* Answer a parsed request for path. */
static void
http_route(struct http_conn *hc, int head, const char *path)
{
	struct http		*h = hc->http;
	const struct buf	*body;

	if (strcmp(path, "/metrics") == 0) {
		body = http_metrics_body(h);
		http_respond(hc, head, 200, "OK", "text/plain; version=0.0.4; "
		    "charset=utf-8", body->data, body->len, "");
	} else if (strcmp(path, "/healthz") == 0) {
		if (h->ops.stopping(h->ops.arg))
			http_text(hc, head, 503, "Service Unavailable",
			    "stopping\n");
		else
			http_text(hc, head, 200, "OK", "ok\n");
	} else
		http_text(hc, head, 404, "Not Found", "not found\n");
}

/* Parse the request line ("GET /metrics HTTP/1.1") and answer it. */
static void
http_request(struct http_conn *hc, char *line)
{
	char	*method, *path, *version, *q, *last;
	int	 head;

	method = strtok_r(line, " ", &last);
	path = strtok_r(NULL, " ", &last);
	version = strtok_r(NULL, " ", &last);
	if (method == NULL || path == NULL || version == NULL ||
	    strtok_r(NULL, " ", &last) != NULL ||
	    (strcmp(version, "HTTP/1.0") != 0 &&
	    strcmp(version, "HTTP/1.1") != 0)) {
		http_text(hc, 0, 400, "Bad Request", "bad request\n");
		return;
	}
	head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		http_respond(hc, 0, 405, "Method Not Allowed", "text/plain",
		    "GET or HEAD only\n", 17, "Allow: GET, HEAD\r\n");
		return;
	}
	if ((q = strchr(path, '?')) != NULL)
		*q = '\0';
	http_route(hc, head, path);
}

/* Is the request complete (headers end with an empty line)? */
static char *
http_end_of_headers(struct http_conn *hc)
{
	char	*p;

	hc->in[hc->inlen] = '\0';
	if ((p = strstr(hc->in, "\r\n\r\n")) == NULL)
		p = strstr(hc->in, "\n\n");
	return (p);
}

/* Write what is queued; when all is written, close. */
static void
http_write_callback(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn	*hc = arg;
	ssize_t			 n;

	(void)what;
	while (hc->off < hc->out.len) {
		n = send(fd, hc->out.data + hc->off, hc->out.len - hc->off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			hc->off += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		http_close(hc);
		return;
	}
	/*
	 * All written: half-close and read what the client still sends until
	 * it closes (or the deadline), so that closing with unread input
	 * cannot reset the connection before the client has the answer.
	 */
	shutdown(fd, SHUT_WR);
	hc->draining = 1;
	event_del(hc->ev_write);
	event_add(hc->ev_read, NULL);
}

/* Switch the connection from reading to writing its response. */
static void
http_start_writing(struct http_conn *hc)
{
	event_del(hc->ev_read);
	event_add(hc->ev_write, NULL);
}

/* Request bytes arrived: answer once the headers are complete. */
static void
http_read_callback(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn	*hc = arg;
	char			*end, *nl;
	ssize_t			 n;

	(void)what;
	if (hc->draining)
		hc->inlen = 0;		/* what follows the request is dropped */
	n = read(fd, hc->in + hc->inlen, sizeof hc->in - 1 - hc->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		http_close(hc);
		return;
	}
	if (hc->draining)
		return;
	hc->inlen += (size_t)n;
	if (memchr(hc->in, '\0', hc->inlen) != NULL) {
		http_text(hc, 0, 400, "Bad Request", "bad request\n");
		http_start_writing(hc);
		return;
	}
	if ((end = http_end_of_headers(hc)) == NULL) {
		if (hc->inlen < sizeof hc->in - 1)
			return;
		http_text(hc, 0, 431, "Request Header Fields Too Large",
		    "request too large\n");
	} else {
		nl = strpbrk(hc->in, "\r\n");
		*nl = '\0';
		http_request(hc, hc->in);
	}
	http_start_writing(hc);
}

/*
 * All connections are taken: close the oldest one still sending its
 * request (a slow or silent client), so that clients that never finish a
 * request cannot keep scrapes out.  0 if every one is being answered.
 */
static int
http_evict(struct http *h)
{
	struct http_conn	*hc;

	TAILQ_FOREACH(hc, &h->conns, entry) {
		if (!hc->answered) {
			http_close(hc);
			return (1);
		}
	}
	return (0);
}

/* A metrics client connected. */
static void
http_accept(int fd, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*hc;
	struct timeval		 tv = { HTTP_TIMEOUT_MS / 1000,
	    (HTTP_TIMEOUT_MS % 1000) * 1000 };

	if (h->nconns == HTTP_MAX_CONNS && !http_evict(h)) {
		close(fd);
		return;
	}
	hc = xcalloc(1, sizeof *hc);
	hc->http = h;
	hc->fd = fd;
	hc->ev_read = event_new(h->base, fd, EV_READ | EV_PERSIST,
	    http_read_callback, hc);
	hc->ev_write = event_new(h->base, fd, EV_WRITE | EV_PERSIST,
	    http_write_callback, hc);
	hc->ev_deadline = evtimer_new(h->base, http_deadline_callback, hc);
	if (hc->ev_read == NULL || hc->ev_write == NULL ||
	    hc->ev_deadline == NULL)
		fatalx("cannot create an HTTP event");
	event_add(hc->ev_read, NULL);
	evtimer_add(hc->ev_deadline, &tv);
	TAILQ_INSERT_TAIL(&h->conns, hc, entry);
	h->nconns++;
}

/* Serve metrics on listening socket fd (taken over); name for logs. */
struct http *
http_new(struct event_base *base, int fd, const char *name,
    const struct http_ops *ops, struct metrics *m)
{
	struct http	*h;

	h = xcalloc(1, sizeof *h);
	h->base = base;
	h->ops = *ops;
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->closed);
	if ((h->ev_reap = event_new(base, -1, 0, http_reap_callback, h)) ==
	    NULL)
		fatalx("cannot create an HTTP event");
	h->acceptor = acceptor_new(base, fd, name, http_accept, h, m);
	return (h);
}

/* Close every connection and the listening socket. */
void
http_free(struct http *h)
{
	struct http_conn	*hc;

	if (h == NULL)
		return;
	acceptor_free(h->acceptor);
	while ((hc = TAILQ_FIRST(&h->conns)) != NULL) {
		TAILQ_REMOVE(&h->conns, hc, entry);
		http_conn_free(hc);
	}
	http_reap_callback(-1, 0, h);
	event_free(h->ev_reap);
	buf_free(&h->cache);
	free(h);
}
