/*
 * A document stream and its output queue.  The engine writes into the
 * queue through one function (session_sink_write), which always succeeds
 * (memory is bounded by what may be read: reading stops while the queue
 * is over high water); conn.c takes bytes from the queue's head.
 */
#include <string.h>

#include "engine.h"
#include "session.h"

#define SESSION_SHRINK	(1024 * 1024)	/* free a drained queue this large */
#define SESSION_SLICE	(64 * 1024)	/* input fed between queue checks */

/* The stream's sink: append cleaned bytes to the queue. */
static void
session_sink_write(void *arg, const char *p, size_t len)
{
	struct session	*s = arg;

	s->bytes_out += len;
	if (s->muted)
		return;
	buf_append(&s->out, p, len);
	if (s->out.len - s->out_off > s->high_water)
		s->paused = 1;
}

/* Start a session over a configuration (cfg must outlive it). */
void
session_init(struct session *s, const struct config *cfg,
    enum stream_kind kind, struct scratch *sc, uint64_t max_document,
    size_t high_water)
{
	struct sink	sink = { session_sink_write, s };

	memset(s, 0, sizeof *s);
	s->max_document = max_document;
	s->high_water = high_water;
	s->stream = stream_new(cfg, &sink, kind, sc);
}

/* Free the stream and the queue. */
void
session_free(struct session *s)
{
	stream_free(s->stream);
	buf_free(&s->out);
	memset(s, 0, sizeof *s);
}

/*
 * How many bytes may be read now, at most want: none while the queue is
 * over high water or once max_document bytes have been read (or fed).
 */
size_t
session_room(const struct session *s, size_t want)
{
	uint64_t	left;

	if (s->paused || s->finished)
		return (0);
	if (s->max_document == 0)
		return (want);
	left = s->max_document - s->bytes_in;
	return (left < want ? (size_t)left : want);
}

/* Has the document reached max_document (one more byte is too many)? */
int
session_at_max(const struct session *s)
{
	return (s->max_document != 0 && s->bytes_in >= s->max_document);
}

/*
 * Feed bytes read from the client, in slices of at least SESSION_SLICE
 * ending at a newline (so that lines and records are not cut by slicing),
 * stopping as soon as the queue goes over high water: one slice's output
 * is the most a read can add past it (a JSON Lines error row for each of
 * 64 KiB of empty lines, say).  Returns how many bytes were taken; the
 * caller keeps the rest.
 */
size_t
session_feed(struct session *s, const char *p, size_t len)
{
	const char	*nl;
	size_t		 n, taken = 0;

	while (taken < len && !s->paused) {
		n = len - taken;
		if (n > SESSION_SLICE && (nl = memchr(p + taken + SESSION_SLICE,
		    '\n', n - SESSION_SLICE)) != NULL)
			n = (size_t)(nl - (p + taken)) + 1;
		s->bytes_in += n;
		stream_feed(s->stream, p + taken, n);
		taken += n;
	}
	return (taken);
}

/* The client finished writing: the stream releases what it holds. */
void
session_finish(struct session *s)
{
	if (s->finished)
		return;
	s->finished = 1;
	stream_finish(s->stream);
}

/*
 * The document was cut short by a limit: what is queued stays to be
 * written, nothing more is produced; the stream is still finished (its
 * output discarded) so that every rule's figures are complete.
 */
void
session_abandon(struct session *s)
{
	s->muted = 1;
	session_finish(s);
}

/* The queued bytes not yet written. */
size_t
session_pending(const struct session *s, const char **p)
{
	*p = s->out.data != NULL ? s->out.data + s->out_off : "";
	return (s->out.len - s->out_off);
}

/* n bytes from the head of the queue were written. */
void
session_sent(struct session *s, size_t n)
{
	size_t	left;

	s->out_off += n;
	s->bytes_sent += n;
	left = s->out.len - s->out_off;
	if (left == 0) {
		if (s->out.cap > SESSION_SHRINK)
			buf_free(&s->out);
		s->out.len = s->out_off = 0;
	} else if (s->out_off >= left) {
		/* Move the rest to the front: costs less than was sent. */
		memmove(s->out.data, s->out.data + s->out_off, left);
		s->out.len = left;
		s->out_off = 0;
	}
	if (s->paused && left <= s->high_water / 2)
		s->paused = 0;
}
