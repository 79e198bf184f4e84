/*
 * One client connection on the raw protocol: the client writes a document
 * and half-closes; cleaned lines are written back as soon as the engine
 * decides them, and the connection is closed after the last byte.
 *
 * Memory stays bounded: input is fed to the engine as it is read, and when
 * more than output_high_water bytes of output wait for a slow reader,
 * reading stops until half of it has drained.
 */
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "engine.h"
#include "stream.h"
#include "log.h"
#include "scrubd.h"
#include "xmalloc.h"

#define CONN_PEEK_VECS	16
#define CONN_SPACE	(64 * 1024)	/* output reserved at a time */
#define CONN_IO_MAX	(256 * 1024)	/* per read(2)/write(2); libevent: 16K */

/* Seconds since the connection started. */
static double
conn_elapsed(const struct conn *c)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - c->started.tv_sec) +
	    (double)(now.tv_nsec - c->started.tv_nsec) / 1e9);
}

/* Free a closed connection, from the loop, outside its own callbacks. */
static void
conn_free_callback(evutil_socket_t fd, short events, void *arg)
{
	struct conn	*c = arg;
	struct worker	*w = c->worker;
	int		 ok = c->ok;

	(void)fd;
	(void)events;
	TAILQ_REMOVE(&w->conns, c, entry);
	w->nconns--;
	bufferevent_free(c->bev);
	stream_free(c->stream);
	generation_unref(c->gen);
	free(c);
	server_conn_gone(w->server, ok);
	worker_conn_freed(w);
}

/* Log how the connection ended, stop its events and schedule its free. */
void
conn_close(struct conn *c, const char *how)
{
	double	secs = conn_elapsed(c);

	if (c->closing)
		return;
	c->closing = 1;
	c->ok = strcmp(how, "ok") == 0;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if (!c->eof) {
		/* Let rules release what they hold, so the books balance. */
		c->muted = 1;
		stream_finish(c->stream);
	}
	log_info("conn id=%llu proto=%s end=%s in=%llu out=%llu "
	    "lines_dropped=%llu duration=%.3fs", (unsigned long long)c->id,
	    c->jsonl ? "jsonl" : "raw", how, (unsigned long long)c->bytes_in,
	    (unsigned long long)c->bytes_out,
	    (unsigned long long)stream_lines_dropped(c->stream), secs);
	metrics_finish(&c->worker->metrics, c->stream, c->bytes_in,
	    c->bytes_out, secs, metrics_reason_of(how));
	event_base_once(c->worker->base, -1, EV_TIMEOUT, conn_free_callback,
	    c, NULL);
}

/* Hand the bytes written into reserved output space to libevent. */
static void
conn_commit(struct conn *c)
{
	if (c->space.iov_base == NULL)
		return;
	c->space.iov_len = c->space_used;
	evbuffer_commit_space(bufferevent_get_output(c->bev), &c->space, 1);
	c->space.iov_base = NULL;
	c->space_used = 0;
}

/*
 * The engine's sink: copy cleaned bytes straight into space reserved in
 * the output buffer, committed once per read; no libevent call per line.
 */
static void
conn_sink_write(void *arg, const char *p, size_t len)
{
	struct conn	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	c->bytes_out += len;
	if (c->muted)
		return;
	if (c->space.iov_base != NULL &&
	    c->space_used + len > c->space.iov_len)
		conn_commit(c);
	if (len > CONN_SPACE) {
		evbuffer_add(out, p, len);
		return;
	}
	if (c->space.iov_base == NULL &&
	    evbuffer_reserve_space(out, CONN_SPACE, &c->space, 1) < 1)
		fatalx("cannot reserve output space");
	memcpy((char *)c->space.iov_base + c->space_used, p, len);
	c->space_used += len;
}

/*
 * Feed what was read to the stream; -1 if max_document was exceeded.  A
 * JSON Lines connection is a stream of records, each bounded by
 * max_record instead.
 */
static int
conn_feed(struct conn *c, struct evbuffer *in)
{
	struct evbuffer_iovec	v[CONN_PEEK_VECS];
	uint64_t		max = c->jsonl ? 0 : c->gen->set.max_document;
	size_t			total = 0;
	int			i, n;

	n = evbuffer_peek(in, -1, NULL, v, CONN_PEEK_VECS);
	if (n > CONN_PEEK_VECS)
		n = CONN_PEEK_VECS;
	for (i = 0; i < n; i++) {
		if (max != 0 && c->bytes_in + v[i].iov_len > max) {
			log_warnx("conn id=%llu: document larger than "
			    "max_document (%llu bytes): closing",
			    (unsigned long long)c->id,
			    (unsigned long long)max);
			return (-1);
		}
		c->bytes_in += v[i].iov_len;
		stream_feed(c->stream, v[i].iov_base, v[i].iov_len);
		total += v[i].iov_len;
	}
	evbuffer_drain(in, total);
	return (0);
}

/* Input arrived: clean it, and stop reading if the client reads slowly. */
static void
conn_read_callback(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in) != 0) {
		if (conn_feed(c, in) != 0) {
			conn_commit(c);
			conn_close(c, "max-document");
			return;
		}
	}
	conn_commit(c);
	if (evbuffer_get_length(bufferevent_get_output(bev)) >
	    c->gen->set.output_high_water) {
		c->paused = 1;
		bufferevent_disable(bev, EV_READ);
	}
}

/* Output drained to the low-water mark: resume reading, or finish. */
static void
conn_write_callback(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	size_t		 left;

	left = evbuffer_get_length(bufferevent_get_output(bev));
	if (c->eof) {
		if (left == 0)
			conn_close(c, "ok");
		return;
	}
	if (c->paused && left <= c->gen->set.output_high_water / 2) {
		c->paused = 0;
		bufferevent_enable(bev, EV_READ);
	}
}

/* The client half-closed: flush the stream and send the rest. */
static void
conn_eof(struct conn *c)
{
	c->eof = 1;
	stream_finish(c->stream);
	conn_commit(c);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		conn_close(c, "ok");
		return;
	}
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

/* End of input, timeout or error on the socket. */
static void
conn_event_callback(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;
	char		 how[128], *p;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
		conn_eof(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_warnx("conn id=%llu: idle_timeout (%dms) reached while "
		    "%s: closing", (unsigned long long)c->id,
		    c->gen->set.idle_timeout_ms,
		    (what & BEV_EVENT_READING) ? "reading" : "writing");
		conn_close(c, "idle-timeout");
		return;
	}
	snprintf(how, sizeof how, "error:%s", (what & BEV_EVENT_EOF) ?
	    "eof" : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	for (p = how; *p != '\0'; p++) {
		if (*p == ' ')
			*p = '-';
	}
	conn_close(c, how);
}

/* Serve a new connection on this worker's loop. */
void
conn_start(struct worker *w, int fd, int jsonl)
{
	struct server	*s = w->server;
	struct conn	*c;
	struct sink	 sink;
	struct timeval	 tv;
	size_t		 hw;

	c = xcalloc(1, sizeof *c);
	c->id = __atomic_add_fetch(&s->next_id, 1, __ATOMIC_RELAXED);
	c->worker = w;
	c->jsonl = jsonl;
	c->gen = server_generation(s);
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("cannot create bufferevent");
	sink.write = conn_sink_write;
	sink.arg = c;
	c->stream = stream_new(c->gen->cfg, &sink, jsonl ? STREAM_JSONL :
	    STREAM_RAW, NULL);
	TAILQ_INSERT_TAIL(&w->conns, c, entry);
	w->nconns++;
	metrics_connection(&w->metrics);
	tv.tv_sec = c->gen->set.idle_timeout_ms / 1000;
	tv.tv_usec = (c->gen->set.idle_timeout_ms % 1000) * 1000;
	hw = c->gen->set.output_high_water;
	bufferevent_setcb(c->bev, conn_read_callback, conn_write_callback,
	    conn_event_callback, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_set_max_single_read(c->bev, CONN_IO_MAX);
	bufferevent_set_max_single_write(c->bev, CONN_IO_MAX);
	bufferevent_setwatermark(c->bev, EV_WRITE, hw / 2, 0);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("conn id=%llu: started on worker %d, generation %llu",
	    (unsigned long long)c->id, w->index,
	    (unsigned long long)c->gen->number);
}
