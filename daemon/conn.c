/*
 * A client connection.  The client writes a document (raw) or records
 * (JSON Lines) and half-closes; cleaned output is written back as the
 * engine decides it.  Reading stops while more than output_high_water
 * bytes wait for a slow reader, and after max_document bytes.
 *
 * A limit never looks like success: when one cuts a document short, what
 * was produced before it is still written, then the connection is closed
 * with input left unread where there is any (the client's next read then
 * fails with ECONNRESET), and a client that asked for a status (scrubc:
 * a descriptor sent with its first byte, see scrubd(8)) is told why.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "conn.h"
#include "generation.h"
#include "log.h"
#include "ratelimit.h"
#include "xmalloc.h"

#define CONN_LINGER_MS	10	/* first look whether the peer read... */
#define CONN_LINGER_MAX_MS	500	/* ...then less and less often */

static void	conn_flush(struct conn *);
static void	conn_finish(struct conn *, enum conn_end);

/* Warn about a limit a client hit: at most a line per interval a worker. */
static void __attribute__((format(printf, 2, 3)))
conn_warn(struct conn *c, const char *fmt, ...)
{
	va_list		ap;
	char		msg[256];
	unsigned long	skipped;

	if (!ratelimit_pass(c->rl, &skipped))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (skipped != 0)
		log_warnx("conn id=%llu: %s (%lu more limit warnings not "
		    "logged)", (unsigned long long)c->id, msg, skipped);
	else
		log_warnx("conn id=%llu: %s", (unsigned long long)c->id, msg);
}

/* Seconds since the connection started. */
double
conn_seconds(const struct conn *c)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - c->started.tv_sec) +
	    (double)(now.tv_nsec - c->started.tv_nsec) / 1e9);
}

/* The idle timeout of this connection's generation. */
static struct timeval
conn_idle(const struct conn *c)
{
	struct timeval	tv;
	int		ms = c->gen->set.idle_timeout_ms;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return (tv);
}

/* Add or remove the read and write events to match what is wanted. */
static void
conn_update(struct conn *c)
{
	struct timeval	tv = conn_idle(c);
	const char	*p;
	int		want_read, want_write;

	want_read = !c->eof && !c->cut && !c->sess.paused &&
	    c->backlog.len == 0;
	want_write = session_pending(&c->sess, &p) != 0;
	if (want_read && !c->reading)
		event_add(c->ev_read, &tv);
	else if (!want_read && c->reading)
		event_del(c->ev_read);
	if (want_write && !c->writing)
		event_add(c->ev_write, &tv);
	else if (!want_write && c->writing)
		event_del(c->ev_write);
	c->reading = want_read;
	c->writing = want_write;
}

/* Tell a client that asked for it how the connection ended. */
static void
conn_send_status(struct conn *c)
{
	char		line[256];
	int		n;

	struct pollfd	pfd;

	if (c->status_fd == -1)
		return;
	n = snprintf(line, sizeof line, "scrubd-status 1 end=%s in=%llu "
	    "out=%llu\n", conn_end_name(c->end),
	    (unsigned long long)c->sess.bytes_in,
	    (unsigned long long)c->sess.bytes_sent);
	/* A line this short goes into a pipe whole, and at once if it polls
	 * writable; a pipe the client filled is not waited for. */
	pfd.fd = c->status_fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT) ||
	    write(c->status_fd, line, (size_t)n) != n)
		log_debug("conn id=%llu: status not written",
		    (unsigned long long)c->id);
	close(c->status_fd);
	c->status_fd = -1;
}

/* Log the connection's one line: how it ended and what it did. */
static void
conn_log(const struct conn *c)
{
	char	detail[96] = "";

	if (c->end == CONN_END_CLIENT_ERROR)
		snprintf(detail, sizeof detail, " error=\"%s\"", c->error);
	log_info("conn id=%llu proto=%s end=%s%s in=%llu out=%llu sent=%llu "
	    "lines_dropped=%llu duration=%.3fs encoding=%s",
	    (unsigned long long)c->id, c->kind == STREAM_JSONL ? "jsonl" :
	    "raw", conn_end_name(c->end), detail,
	    (unsigned long long)c->sess.bytes_in,
	    (unsigned long long)c->sess.bytes_out,
	    (unsigned long long)c->sess.bytes_sent,
	    (unsigned long long)stream_lines_dropped(c->sess.stream),
	    conn_seconds(c), encoding_name(stream_encoding(c->sess.stream)));
}

/*
 * End the connection: finish the stream (muted) so every rule's figures
 * are complete, tell the owner the end (so that its counters hold this
 * document before the client can see the close), send the status, close
 * the socket and report to the owner again from ev_done, to be freed.
 * Input still unread makes the close a reset.
 */
static void
conn_finish(struct conn *c, enum conn_end end)
{
	if (c->ended)
		return;
	c->ended = 1;
	c->end = end;
	session_abandon(&c->sess);
	event_del(c->ev_read);
	event_del(c->ev_write);
	event_del(c->ev_linger);
	c->reading = c->writing = 0;
	if (c->ended_cb != NULL)
		c->ended_cb(c, c->arg);
	conn_send_status(c);
	close(c->fd);
	c->fd = -1;
	conn_log(c);
	event_active(c->ev_done, EV_TIMEOUT, 0);
}

/* The socket failed (the client vanished): end at once. */
static void
conn_fail(struct conn *c, int err)
{
	snprintf(c->error, sizeof c->error, "%s", strerror(err));
	conn_finish(c, CONN_END_CLIENT_ERROR);
}

/*
 * A limit ends the document: nothing more is read or produced; what was
 * produced is written, then the connection ends with this reason.
 */
static void
conn_cut(struct conn *c, enum conn_end why)
{
	c->cut = 1;
	c->end = why;
	session_abandon(&c->sess);
	conn_flush(c);
}

/* Bytes written to the socket that the client has not read yet, or -1. */
static int
conn_outq(const struct conn *c)
{
	int	unread;

	if (ioctl(c->fd, SIOCOUTQ, &unread) == -1)
		return (-1);
	return (unread);
}

/* Write what the queue holds until done or the socket is full; -1: failed. */
static int
conn_write(struct conn *c)
{
	struct timeval	 tv;
	const char	*p;
	size_t		 len;
	ssize_t		 n;

	while ((len = session_pending(&c->sess, &p)) != 0) {
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) > 0) {
			session_sent(&c->sess, (size_t)n);
			if (c->writing) {	/* progress: restart the timeout */
				tv = conn_idle(c);
				event_add(c->ev_write, &tv);
			}
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->outq = conn_outq(c);
			return (0);
		}
		conn_fail(c, n == -1 ? errno : EPIPE);
		return (-1);
	}
	return (0);
}

/*
 * A cut document's output is all written: close once the client has read
 * it (SIOCOUTQ: bytes it has not read yet), or after idle_timeout, so
 * that the reset of the close cannot make it lose them.
 */
static void
conn_linger(struct conn *c)
{
	struct timeval	tv;
	int		unread = 0;

	if (ioctl(c->fd, SIOCOUTQ, &unread) == -1 || unread == 0 ||
	    conn_seconds(c) - c->linger_start >
	    c->gen->set.idle_timeout_ms / 1000.0) {
		conn_finish(c, c->end);
		return;
	}
	c->linger_ms = c->linger_ms == 0 ? CONN_LINGER_MS : c->linger_ms * 2;
	if (c->linger_ms > CONN_LINGER_MAX_MS)
		c->linger_ms = CONN_LINGER_MAX_MS;
	tv.tv_sec = 0;
	tv.tv_usec = c->linger_ms * 1000;
	evtimer_add(c->ev_linger, &tv);
}

/* Look again whether the client has read everything. */
static void
conn_linger_callback(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_linger(arg);
}

/* Feed what a read left over while the queue was over high water. */
static void
conn_feed_backlog(struct conn *c)
{
	buf_consume(&c->backlog, session_feed(&c->sess, c->backlog.data,
	    c->backlog.len));
	if (c->backlog.len == 0)
		buf_free(&c->backlog);
}

/* Write what is queued, feeding any backlog as room frees up; end the
 * connection once all is written. */
static void
conn_flush(struct conn *c)
{
	const char	*p;

	for (;;) {
		if (conn_write(c) != 0)
			return;
		if (c->backlog.len == 0 || c->sess.paused || c->cut)
			break;
		conn_feed_backlog(c);
	}
	if (session_pending(&c->sess, &p) != 0 || !(c->eof || c->cut)) {
		conn_update(c);
		return;
	}
	if (!c->cut) {
		conn_finish(c, CONN_END_OK);
		return;
	}
	conn_update(c);
	c->linger_start = conn_seconds(c);
	conn_linger(c);
}

/* The client finished writing: the stream releases the rest. */
static void
conn_eof(struct conn *c)
{
	c->eof = 1;
	session_finish(&c->sess);
	conn_flush(c);
}

/* Keep a status descriptor sent by the client, if it is a pipe or socket. */
static void
conn_take_status(struct conn *c, int fd)
{
	struct stat	sb;

	/* A pipe only: a socket could carry the line, with scrubd's
	 * credentials, to some other service. */
	if (fstat(fd, &sb) != 0 || !S_ISFIFO(sb.st_mode)) {
		log_debug("conn id=%llu: status descriptor refused: not a "
		    "pipe", (unsigned long long)c->id);
		close(fd);
		return;
	}
	c->status_fd = fd;
	log_debug("conn id=%llu: status asked for",
	    (unsigned long long)c->id);
}

/* The descriptors passed with a message: keep the first, close the rest. */
static int
conn_cmsg_fd(struct msghdr *msg)
{
	struct cmsghdr	*cm;
	int		 fd = -1, *fds;
	size_t		 i, n;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		fds = (int *)CMSG_DATA(cm);
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof (int);
		for (i = 0; i < n; i++) {
			if (fd == -1)
				fd = fds[i];
			else
				close(fds[i]);
		}
	}
	return (fd);
}

/*
 * The first read, of one byte only (a later message's descriptor must
 * not come with it): a descriptor sent with the first byte asks for a
 * status, and that byte is the request, not part of the document.  *skip
 * is set to the bytes to skip.
 */
static ssize_t
conn_recv_first(struct conn *c, size_t *skip)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof (int))];
	}		 cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;
	int		 fd;

	iov.iov_base = c->inbuf;
	iov.iov_len = 1;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof cm.buf;
	*skip = 0;
	if ((n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC)) <= 0)
		return (n);
	c->first = 0;
	if ((fd = conn_cmsg_fd(&msg)) != -1) {
		conn_take_status(c, fd);
		*skip = 1;
	} else if (msg.msg_flags & MSG_CTRUNC) {
		conn_warn(c, "a status was asked for but its descriptor "
		    "could not be received (out of descriptors?)");
		*skip = 1;
	}
	return (n);
}

/* At max_document: one more byte waiting means the document is too large. */
static void
conn_peek_max(struct conn *c)
{
	char	b;
	ssize_t	n;

	n = recv(c->fd, &b, 1, MSG_PEEK);
	if (n == 0) {
		conn_eof(c);
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_fail(c, errno);
		return;
	}
	conn_warn(c, "document larger than max_document (%llu bytes): "
	    "closing", (unsigned long long)c->sess.max_document);
	conn_cut(c, CONN_END_MAX_DOCUMENT);	/* the byte stays unread */
}

/* Read once, at most what the session may take, and clean it. */
static void
conn_read(struct conn *c)
{
	size_t	room, skip = 0, taken;
	ssize_t	n;

	if ((room = session_room(&c->sess, c->inbuf_size)) == 0) {
		if (session_at_max(&c->sess))
			conn_peek_max(c);
		else
			conn_update(c);
		return;
	}
	if (c->first)
		n = conn_recv_first(c, &skip);
	else
		n = read(c->fd, c->inbuf, room);
	if (n > 0) {
		taken = session_feed(&c->sess, c->inbuf + skip,
		    (size_t)n - skip);
		buf_append(&c->backlog, c->inbuf + skip + taken,
		    (size_t)n - skip - taken);
		conn_flush(c);
	} else if (n == 0)
		conn_eof(c);
	else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		conn_fail(c, errno);
}

/* Readable, or nothing read for idle_timeout. */
static void
conn_read_callback(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		conn_warn(c, "idle_timeout (%dms) reached while reading: "
		    "closing", c->gen->set.idle_timeout_ms);
		conn_cut(c, CONN_END_IDLE_TIMEOUT);
		return;
	}
	conn_read(c);
}

/*
 * Writable, or nothing written for idle_timeout.  A client that read
 * some of what fills the socket is no idle one, even if the socket did
 * not become writable (a UNIX socket only does once three quarters of
 * its buffer are read).
 */
static void
conn_write_callback(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	struct timeval	 tv;
	int		 unread;

	(void)fd;
	if ((what & EV_TIMEOUT) && (unread = conn_outq(c)) != -1 &&
	    unread < c->outq) {
		c->outq = unread;
		tv = conn_idle(c);
		event_add(c->ev_write, &tv);
		return;
	}
	if (what & EV_TIMEOUT) {
		conn_warn(c, "idle_timeout (%dms) reached while writing: "
		    "closing", c->gen->set.idle_timeout_ms);
		conn_finish(c, CONN_END_IDLE_TIMEOUT);
		return;
	}
	conn_flush(c);
}

/* Report the end to the owner, from the loop. */
static void
conn_done_callback(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	c->done(c, c->arg);
}

/* Serve a new connection on the owner's loop. */
struct conn *
conn_new(const struct conn_params *cp)
{
	struct conn	*c;
	uint64_t	 max;
	int		 one = 1;

	c = xcalloc(1, sizeof *c);
	c->id = cp->id;
	c->fd = cp->fd;
	c->status_fd = -1;
	c->kind = cp->kind;
	c->gen = cp->gen;
	c->inbuf = cp->inbuf;
	c->inbuf_size = cp->inbuf_size;
	c->ended_cb = cp->ended;
	c->done = cp->done;
	c->arg = cp->arg;
	c->rl = cp->rl;
	c->first = 1;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	max = c->kind == STREAM_JSONL ? 0 : c->gen->set.max_document;
	session_init(&c->sess, c->gen->cfg, c->kind, cp->scratch, max,
	    c->gen->set.output_high_water);
	if (fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK) == -1)
		log_warn("conn id=%llu: O_NONBLOCK", (unsigned long long)c->id);
	/* Out-of-band bytes (MSG_OOB) are document bytes like any other. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
	c->ev_read = event_new(cp->base, c->fd, EV_READ | EV_PERSIST,
	    conn_read_callback, c);
	c->ev_write = event_new(cp->base, c->fd, EV_WRITE | EV_PERSIST,
	    conn_write_callback, c);
	c->ev_done = event_new(cp->base, -1, 0, conn_done_callback, c);
	c->ev_linger = evtimer_new(cp->base, conn_linger_callback, c);
	if (c->ev_read == NULL || c->ev_write == NULL || c->ev_done == NULL ||
	    c->ev_linger == NULL)
		fatalx("cannot create connection events");
	conn_update(c);
	log_debug("conn id=%llu: started, generation %llu",
	    (unsigned long long)c->id, (unsigned long long)c->gen->number);
	return (c);
}

/*
 * A forced shutdown: write what the socket takes now of what is queued,
 * then end.
 */
void
conn_force(struct conn *c)
{
	if (c->ended)
		return;
	if (conn_write(c) == 0)
		conn_finish(c, CONN_END_SHUTDOWN_TIMEOUT);
}

/* Free an ended connection (from the owner's done callback or later). */
void
conn_free(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	if (c->status_fd != -1)
		close(c->status_fd);
	event_free(c->ev_read);
	event_free(c->ev_write);
	event_free(c->ev_done);
	event_free(c->ev_linger);
	buf_free(&c->backlog);
	session_free(&c->sess);
	generation_unref(c->gen);
	free(c);
}
