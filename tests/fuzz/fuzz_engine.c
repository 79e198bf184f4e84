/*
 * libFuzzer target: the engine.  Arbitrary bytes, cut into arbitrary
 * chunks, must give exactly the output of one chunk, and (the default rules
 * only delete) never more bytes than came in.  Run under two
 * configurations: the default rules, and the same with max_line = 64 so
 * that long-line pieces and partial matches are exercised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"

static struct config	*fuzz_cfg[2];

/* Sink appending to a struct buf. */
static void
fuzz_write(void *arg, const char *p, size_t len)
{
	buf_append(arg, p, len);
}

/* Load a configuration or abort. */
static struct config *
fuzz_load(const char *path)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;

	if ((cfg = config_load(path, &errs)) == NULL) {
		fprintf(stderr, "%s\n", errs.n ? errs.v[0] : path);
		abort();
	}
	return (cfg);
}

/* Load both configurations once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cfg[0] = fuzz_load(SCRUBD_ROOT "/conf/scrubd.conf");
	fuzz_cfg[1] = fuzz_load(SCRUBD_ROOT "/tests/fuzz/small-lines.conf");
	return (0);
}

/* Clean data fed in chunks whose sizes come from a seed. */
static void
fuzz_run(const struct config *cfg, const uint8_t *data, size_t len,
    uint32_t seed, struct buf *out)
{
	struct sink	 sink = { fuzz_write, out };
	struct engine	*e;
	size_t		 off = 0, n;

	e = engine_new(cfg, &sink, NULL);
	while (off < len) {
		if (seed == 0)
			n = len - off;
		else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 97;
			if (n > len - off)
				n = len - off;
		}
		engine_feed(e, (const char *)data + off, n);
		off += n;
	}
	engine_finish(e);
	engine_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf	whole = { NULL, 0, 0 }, chunked = { NULL, 0, 0 };
	uint32_t	seed = 1;
	int		i;

	if (len > 0)
		seed = 1 + data[0];
	for (i = 0; i < 2; i++) {
		buf_reset(&whole);
		buf_reset(&chunked);
		fuzz_run(fuzz_cfg[i], data, len, 0, &whole);
		fuzz_run(fuzz_cfg[i], data, len, seed, &chunked);
		if (whole.len != chunked.len || (whole.len != 0 &&
		    memcmp(whole.data, chunked.data, whole.len) != 0))
			abort();	/* output depends on chunking */
		if (whole.len > len)
			abort();	/* delete-only rules added bytes */
	}
	buf_free(&whole);
	buf_free(&chunked);
	return (0);
}
