/*
 * One-shot mode: clean each named file, or standard input, to standard
 * output.  Each file is its own document (or JSON Lines stream).  The
 * file loop and the read loop also serve --explain (explain.c).
 *
 * Output is gathered, not copied, where it can be: the engine passes
 * kept lines on from the read buffer itself, and those stay valid until
 * the read is fed, so they are written from there (writev) once it is;
 * only what lies elsewhere (rewritten lines, JSON Lines rows, transcoded
 * text) is copied into the output buffer.
 */
#include <sys/uio.h>

#include <poll.h>
#include <stdint.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "oneshot.h"
#include "stream.h"
#include "xmalloc.h"

#define ONESHOT_BUFSIZE	(256 * 1024)
#define ONESHOT_IOV	256		/* pieces gathered in one writev */
#define ONESHOT_REF_MIN	64		/* shorter pieces are copied */

struct oneshot_out {
	char		*buf;		/* copied output */
	size_t		 len;
	struct iovec	 iov[ONESHOT_IOV];	/* what to write, in order */
	int		 niov;
	int		 refs;		/* pieces of them in the read buffer */
	const char	*in;		/* the read being fed, [in, in_end) */
	const char	*in_end;
	int		 failed;
	const struct config *cfg;
	int		 jsonl;
};

/* A stream and the output it writes to, for the feed adapter. */
struct oneshot_feed_arg {
	struct stream		*st;
	struct oneshot_out	*o;
};

/*
 * Write all of iov[0, n) to fd, whatever each writev takes (a pipe set
 * non-blocking by whoever shares it is waited for); -1 on error.
 */
static int
oneshot_writev_all(int fd, struct iovec *iov, int n)
{
	struct pollfd	pfd = { fd, POLLOUT, 0 };
	ssize_t		w;
	size_t		done;

	while (n > 0) {
		if ((w = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n)) == -1) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    (poll(&pfd, 1, -1) >= 0 || errno == EINTR))
				continue;
			return (-1);
		}
		for (done = (size_t)w; n > 0 && done >= iov->iov_len; n--)
			done -= iov++->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return (0);
}

/* Write what is gathered to standard output. */
static void
oneshot_flush(struct oneshot_out *o)
{
	if (o->niov != 0 && !o->failed &&
	    oneshot_writev_all(STDOUT_FILENO, o->iov, o->niov) != 0) {
		log_warn("write to standard output");
		o->failed = 1;
	}
	o->niov = o->refs = 0;
	o->len = 0;
}

/*
 * Add [p, p + len) to the pieces to write (ref: it lies in the read being
 * fed), joined to the last one if that ends at p.
 */
static void
oneshot_gather(struct oneshot_out *o, const char *p, size_t len, int ref)
{
	struct iovec	*last;

	o->refs += ref;
	if (o->niov != 0) {
		last = &o->iov[o->niov - 1];
		if ((const char *)last->iov_base + last->iov_len == p) {
			last->iov_len += len;
			return;
		}
	}
	if (o->niov == ONESHOT_IOV) {
		oneshot_flush(o);
		o->refs = ref;
	}
	o->iov[o->niov].iov_base = (void *)p;
	o->iov[o->niov++].iov_len = len;
}

/*
 * The engine's sink: pieces of the read being fed are gathered where they
 * lie, others copied into the buffer.
 */
static void
oneshot_sink_write(void *arg, const char *p, size_t len)
{
	struct oneshot_out	*o = arg;
	size_t			 n;

	if (len == 0)
		return;
	if (len >= ONESHOT_REF_MIN && o->in != NULL &&
	    (uintptr_t)p >= (uintptr_t)o->in &&
	    (uintptr_t)p + len <= (uintptr_t)o->in_end) {
		oneshot_gather(o, p, len, 1);
		return;
	}
	while (len > 0) {
		if (o->len == ONESHOT_BUFSIZE || o->niov == ONESHOT_IOV)
			oneshot_flush(o);	/* so that gathering will not */
		n = ONESHOT_BUFSIZE - o->len < len ? ONESHOT_BUFSIZE - o->len :
		    len;
		memcpy(o->buf + o->len, p, n);
		oneshot_gather(o, o->buf + o->len, n, 0);
		o->len += n;
		p += n;
		len -= n;
	}
}

/*
 * Read fd to its end, handing each chunk to feed, or until *stop (if not
 * NULL) is set; -1 on a read error.
 */
int
oneshot_read(int fd, const char *name, oneshot_feed feed, void *arg,
    const int *stop)
{
	char	*in;
	ssize_t	 n;
	int	 rc = 0;

	in = xmalloc(ONESHOT_BUFSIZE);
	while ((stop == NULL || !*stop) &&
	    (n = read(fd, in, ONESHOT_BUFSIZE)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read %s", strcmp(name, "-") == 0 ?
			    "standard input" : name);
			rc = -1;
			break;
		}
		feed(arg, in, (size_t)n);
	}
	free(in);
	return (rc);
}

/*
 * Hand each named file, or standard input ("-", or no files), to doc in
 * turn; doc returns -1 on an error, 1 to stop.  Returns 1 if any failed.
 */
int
oneshot_each(char **files, int nfiles, oneshot_doc doc, void *arg)
{
	const char	*name;
	int		 i, fd, r, rc = 0;

	for (i = 0; i < (nfiles == 0 ? 1 : nfiles); i++) {
		name = nfiles == 0 ? "-" : files[i];
		if (strcmp(name, "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(name, O_RDONLY)) == -1) {
			log_warn("open %s", name);
			rc = 1;
			continue;
		}
		r = doc(arg, fd, name);
		if (fd != STDIN_FILENO)
			close(fd);
		if (r < 0)
			rc = 1;
		if (r > 0)
			break;
	}
	return (rc);
}

/*
 * Feed adapter for a stream: the read may be written from while it is
 * fed, and what is gathered from it goes out before the next read.
 */
static void
oneshot_feed_stream(void *arg, const char *p, size_t len)
{
	struct oneshot_feed_arg	*fa = arg;

	fa->o->in = p;
	fa->o->in_end = p + len;
	stream_feed(fa->st, p, len);
	if (fa->o->refs != 0)
		oneshot_flush(fa->o);
	fa->o->in = fa->o->in_end = NULL;
}

/* Clean one file as one document (or JSON Lines stream). */
static int
oneshot_doc_clean(void *arg, int fd, const char *name)
{
	struct oneshot_out	*o = arg;
	struct sink		 sink = { oneshot_sink_write, o };
	struct oneshot_feed_arg	 fa;
	struct stream		*st;
	int			 rc;

	if (o->failed)
		return (1);
	st = stream_new(o->cfg, &sink, o->jsonl ? STREAM_JSONL : STREAM_RAW,
	    NULL);
	fa.st = st;
	fa.o = o;
	/* Once a write failed, the rest is not read: nothing could go out. */
	if ((rc = oneshot_read(fd, name, oneshot_feed_stream, &fa,
	    &o->failed)) == 0) {
		stream_finish(st);
		if (!o->jsonl)
			log_debug("%s: read as %s", name,
			    encoding_name(stream_encoding(st)));
	}
	stream_free(st);
	return (rc);
}

/*
 * Clean every file (or standard input) in turn, each a document or, with
 * jsonl, a JSON Lines stream; 0 if all went well.
 */
int
oneshot_run(const struct config *cfg, char **files, int nfiles, int jsonl)
{
	struct oneshot_out	out;
	int			rc;

	memset(&out, 0, sizeof out);
	out.buf = xmalloc(ONESHOT_BUFSIZE);
	out.cfg = cfg;
	out.jsonl = jsonl;
	rc = oneshot_each(files, nfiles, oneshot_doc_clean, &out);
	oneshot_flush(&out);
	free(out.buf);
	return (out.failed ? 1 : rc);
}
