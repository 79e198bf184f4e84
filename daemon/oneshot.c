/*
 * One-shot mode: clean each named file, or standard input, to standard
 * output.  Each file is its own document (or JSON Lines stream).  The
 * file loop and the read loop also serve --explain (explain.c).
 */
#include <errno.h>
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

struct oneshot_out {
	char		*buf;
	size_t		 len;
	int		 failed;
	const struct config *cfg;
	int		 jsonl;
};

/* Write all of p to fd; -1 on error. */
static int
oneshot_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Flush buffered output to standard output. */
static void
oneshot_flush(struct oneshot_out *o)
{
	if (o->len != 0 && !o->failed &&
	    oneshot_write_all(STDOUT_FILENO, o->buf, o->len) != 0) {
		log_warn("write to standard output");
		o->failed = 1;
	}
	o->len = 0;
}

/* The engine's sink: buffer small writes, pass large ones straight on. */
static void
oneshot_sink_write(void *arg, const char *p, size_t len)
{
	struct oneshot_out	*o = arg;

	if (o->len + len > ONESHOT_BUFSIZE)
		oneshot_flush(o);
	if (len >= ONESHOT_BUFSIZE) {
		if (!o->failed &&
		    oneshot_write_all(STDOUT_FILENO, p, len) != 0) {
			log_warn("write to standard output");
			o->failed = 1;
		}
		return;
	}
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

/* Read fd to its end, handing each chunk to feed; -1 on a read error. */
int
oneshot_read(int fd, const char *name, oneshot_feed feed, void *arg)
{
	char	*in;
	ssize_t	 n;
	int	 rc = 0;

	in = xmalloc(ONESHOT_BUFSIZE);
	while ((n = read(fd, in, ONESHOT_BUFSIZE)) != 0) {
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

/* Feed adapter for a stream. */
static void
oneshot_feed_stream(void *arg, const char *p, size_t len)
{
	stream_feed(arg, p, len);
}

/* Clean one file as one document (or JSON Lines stream). */
static int
oneshot_doc_clean(void *arg, int fd, const char *name)
{
	struct oneshot_out	*o = arg;
	struct sink		 sink = { oneshot_sink_write, o };
	struct stream		*st;
	int			 rc;

	if (o->failed)
		return (1);
	st = stream_new(o->cfg, &sink, o->jsonl ? STREAM_JSONL : STREAM_RAW,
	    NULL);
	if ((rc = oneshot_read(fd, name, oneshot_feed_stream, st)) == 0) {
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
