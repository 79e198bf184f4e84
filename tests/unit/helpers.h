/* Helpers for the cmocka unit tests: temporary configs and one-call runs. */
#ifndef TEST_HELPERS_H
#define TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "engine.h"

/* Write text to a new temporary file; returns its path (caller frees). */
static inline char *
helper_tmpfile(const char *text, size_t len)
{
	char	*path = strdup("/tmp/scrubd-test-XXXXXX");
	int	 fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return (path);
}

/* Load a configuration from text; NULL and errors in errs on failure. */
static inline struct config *
helper_config(const char *text, struct config_errors *errs, char **pathp)
{
	struct config	*cfg;
	char		*path;

	path = helper_tmpfile(text, strlen(text));
	cfg = config_load(path, errs);
	if (pathp != NULL)
		*pathp = path;
	else {
		unlink(path);
		free(path);
	}
	return (cfg);
}

/* Sink appending to a struct buf. */
static inline void
helper_sink_write(void *arg, const char *p, size_t len)
{
	buf_append(arg, p, len);
}

/* Clean input with a configuration, fed in chunks of at most chunk bytes. */
static inline void
helper_run(const struct config *cfg, const char *in, size_t len, size_t chunk,
    struct buf *out)
{
	struct sink	 sink = { helper_sink_write, out };
	struct engine	*e;
	size_t		 off = 0, n;

	buf_reset(out);
	e = engine_new(cfg, &sink, NULL);
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		engine_feed(e, in + off, n);
		off += n;
	}
	engine_finish(e);
	engine_free(e);
}

/*
 * Check that a config cleans in to want, fed whole and in chunks of 1, 2,
 * 3 and 7 bytes.
 */
static inline void
helper_expect(const char *conf, const char *in, size_t inlen,
    const char *want, size_t wantlen)
{
	static const size_t	 chunks[] = { SIZE_MAX, 1, 2, 3, 7 };
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct buf		 out = { NULL, 0, 0 };
	size_t			 i;

	cfg = helper_config(conf, &errs, NULL);
	if (cfg == NULL)
		fail_msg("config rejected: %s", errs.v[0]);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		helper_run(cfg, in, inlen, chunks[i], &out);
		if (out.len != wantlen || (wantlen != 0 &&
		    memcmp(out.data, want, wantlen) != 0))
			fail_msg("chunk %zu: got [%.*s] want [%.*s]",
			    chunks[i], (int)out.len, out.data ? out.data : "",
			    (int)wantlen, want);
	}
	buf_free(&out);
	config_unref(cfg);
}

#define EXPECT(conf, in, want) \
	helper_expect((conf), (in), sizeof (in) - 1, (want), sizeof (want) - 1)

/* A small deterministic generator (xorshift) for the random tests. */
static inline uint32_t
helper_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((uint32_t)(*s >> 16));
}

/* What a literal matcher's scan reported (sample.c, litscan.c). */
struct helper_found {
	uint32_t	id[8192];
	size_t		end[8192];
	size_t		n;
	size_t		stop_at;	/* stop after this many (0: never) */
};

/* A scan's callback: note the match and where it ends; 1: stop. */
static inline int
helper_found_add(uint32_t id, size_t end, void *arg)
{
	struct helper_found	*f = arg;

	assert_true(f->n < sizeof f->id / sizeof f->id[0]);
	f->id[f->n] = id;
	f->end[f->n++] = end;
	return (f->stop_at != 0 && f->n == f->stop_at);
}

/* Is (id, end) among the matches reported? */
static inline int
helper_found_has(const struct helper_found *f, uint32_t id, size_t end)
{
	size_t	i;

	for (i = 0; i < f->n; i++)
		if (f->id[i] == id && f->end[i] == end)
			return (1);
	return (0);
}

#endif
