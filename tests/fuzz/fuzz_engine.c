/*
 * libFuzzer target: the engine.  Arbitrary bytes, cut into arbitrary
 * chunks, must give exactly the output of one chunk, and no write to the
 * sink may be longer than max_line.  Run under four configurations:
 *
 *  0. the default rules (they only delete: never more bytes out than in);
 *  1. the same with max_line = 64, so that long-line pieces and partial
 *     matches are exercised (delete-only too);
 *  2. configuration 1 run by PCRE2's interpreter ([engine] jit = no): the
 *     same output as 1 whenever no match of either hit a resource limit;
 *  3. replacements that grow the text (literal and $-expanded), with
 *     max_line = 64: rewritten lines go on in pieces, an expansion longer
 *     than max_line is not made, and the byte counts add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "fuzz.h"

#define FUZZ_NCFG	4

static struct config	*fuzz_cfg[FUZZ_NCFG];

/* What came out of one run. */
struct fuzz_out {
	struct buf	bytes;
	size_t		longest;	/* longest single write */
	uint64_t	match_errors;
};

/* Sink appending to the output, noting the longest write. */
static void
fuzz_write(void *arg, const char *p, size_t len)
{
	struct fuzz_out	*o = arg;

	buf_append(&o->bytes, p, len);
	if (len > o->longest)
		o->longest = len;
}

/* Load the configurations once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cfg[0] = fuzz_load(SCRUBD_ROOT "/conf/scrubd.conf");
	fuzz_cfg[1] = fuzz_load(SCRUBD_ROOT "/tests/fuzz/small-lines.conf");
	fuzz_cfg[2] = fuzz_load(SCRUBD_ROOT
	    "/tests/fuzz/small-lines-nojit.conf");
	fuzz_cfg[3] = fuzz_load(SCRUBD_ROOT "/tests/fuzz/growing.conf");
	return (0);
}

/* Check every rule's byte counts: what came in, out and was added. */
static void
fuzz_check_stats(const struct engine *e)
{
	const struct rule_stats	*rs;
	size_t			 i;

	for (i = 0; i < engine_nstages(e); i++) {
		rs = engine_stats(e, i);
		if (rs->bytes_out > rs->bytes_in + rs->bytes_added)
			abort();	/* bytes_removed would wrap */
		if (i + 1 < engine_nstages(e) &&
		    engine_stats(e, i + 1)->bytes_in != rs->bytes_out)
			abort();	/* a rule's output went astray */
	}
}

/* Clean data fed in chunks whose sizes come from a seed. */
static void
fuzz_run(const struct config *cfg, const uint8_t *data, size_t len,
    uint32_t seed, struct fuzz_out *out)
{
	struct sink	 sink = { fuzz_write, out };
	struct engine	*e;
	size_t		 off = 0, n, i;

	buf_reset(&out->bytes);
	out->longest = 0;
	out->match_errors = 0;
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
	fuzz_check_stats(e);
	for (i = 0; i < engine_nstages(e); i++)
		out->match_errors += engine_stats(e, i)->match_errors;
	engine_free(e);
}

/* Are two outputs the same bytes? */
static int
fuzz_same(const struct fuzz_out *a, const struct fuzz_out *b)
{
	return (a->bytes.len == b->bytes.len && (a->bytes.len == 0 ||
	    memcmp(a->bytes.data, b->bytes.data, a->bytes.len) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct fuzz_out	whole[FUZZ_NCFG], chunked;
	uint32_t		seed = 1;
	int			i;

	if (len > 0)
		seed = 1 + data[0];
	for (i = 0; i < FUZZ_NCFG; i++) {
		fuzz_run(fuzz_cfg[i], data, len, 0, &whole[i]);
		fuzz_run(fuzz_cfg[i], data, len, seed, &chunked);
		if (!fuzz_same(&whole[i], &chunked))
			abort();	/* output depends on chunking */
		if (whole[i].longest > fuzz_cfg[i]->max_line ||
		    chunked.longest > fuzz_cfg[i]->max_line)
			abort();	/* a write longer than max_line */
		if (i < 3 && whole[i].bytes.len > len)
			abort();	/* delete-only rules added bytes */
	}
	if (whole[1].match_errors == 0 && whole[2].match_errors == 0 &&
	    !fuzz_same(&whole[1], &whole[2]))
		abort();	/* the JIT and the interpreter disagree */
	return (0);
}
