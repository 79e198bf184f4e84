/*
 * One-shot mode: clean each named file, or standard input, to standard
 * output.  Each file is its own document.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "stream.h"
#include "log.h"
#include "scrubd.h"
#include "xmalloc.h"

#define ONESHOT_BUFSIZE	(256 * 1024)

struct oneshot_out {
	char	*buf;
	size_t	 len;
	int	 failed;
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

/* Feed one open file through a stream. */
static int
oneshot_file(struct stream *st, int fd, const char *name, char *in)
{
	ssize_t	n;

	for (;;) {
		n = read(fd, in, ONESHOT_BUFSIZE);
		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("read %s", name);
			return (-1);
		}
		stream_feed(st, in, (size_t)n);
	}
	stream_finish(st);
	return (0);
}

/*
 * Clean every file (or standard input) in turn, each a document or, with
 * jsonl, a JSON Lines stream; 0 if all went well.
 */
int
oneshot_run(const struct config *cfg, char **files, int nfiles, int jsonl)
{
	struct oneshot_out	 out;
	struct sink		 sink;
	struct stream		*st;
	char			*in;
	int			 i, fd, rc = 0;

	memset(&out, 0, sizeof out);
	out.buf = xmalloc(ONESHOT_BUFSIZE);
	in = xmalloc(ONESHOT_BUFSIZE);
	sink.write = oneshot_sink_write;
	sink.arg = &out;
	for (i = 0; i < (nfiles == 0 ? 1 : nfiles) && !out.failed; i++) {
		if (nfiles == 0 || strcmp(files[i], "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(files[i], O_RDONLY)) == -1) {
			log_warn("open %s", files[i]);
			rc = 1;
			continue;
		}
		st = stream_new(cfg, &sink, jsonl ? STREAM_JSONL : STREAM_RAW);
		if (oneshot_file(st, fd, fd == STDIN_FILENO ? "standard input" :
		    files[i], in) != 0)
			rc = 1;
		stream_free(st);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	oneshot_flush(&out);
	free(in);
	free(out.buf);
	return (out.failed ? 1 : rc);
}
