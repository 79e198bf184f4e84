/*
 * libFuzzer target: the daemon's output path (daemon/session.c), the way
 * conn.c drives it.  Input is read in chunks the session allows
 * (output_high_water, max_document), output is taken from the queue in
 * partial writes of random sizes, as a slow reader and a full socket do.
 * The bytes written must be exactly what the stream makes of the whole
 * input in one piece (or, when max_document cuts the document, a prefix
 * of it), and the queue must stay bounded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "session.h"
#include "stream.h"
#include "fuzz.h"

#define FUZZ_HEADER	6

static struct config	*fuzz_cfg[3];

/* Load the configurations once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cfg[0] = fuzz_load(SCRUBD_ROOT "/conf/scrubd.conf");
	fuzz_cfg[1] = fuzz_load(SCRUBD_ROOT "/tests/fuzz/small-lines.conf");
	fuzz_cfg[2] = fuzz_load(SCRUBD_ROOT "/tests/fuzz/jsonl.conf");
	return (0);
}

/* What the stream makes of the whole input in one piece. */
static void
fuzz_reference(const struct config *cfg, enum stream_kind kind,
    const char *p, size_t len, struct buf *out)
{
	struct sink	 sink = { fuzz_buf_write, out };
	struct stream	*st;

	st = stream_new(cfg, &sink, kind, NULL);
	stream_feed(st, p, len);
	stream_finish(st);
	stream_free(st);
}

/* Next pseudo-random number of a linear congruential sequence. */
static uint32_t
fuzz_next(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8);
}

/* Take a random part of the queue, as one write(2) would; check bounds. */
static void
fuzz_drain(struct session *s, uint32_t *seed, struct buf *out, size_t bound,
    int all)
{
	const char	*p;
	size_t		 n, len;

	while ((len = session_pending(s, &p)) != 0) {
		if (len > bound)
			abort();	/* the queue outgrew its bound */
		n = all ? len : fuzz_next(seed) % (len + 1);
		if (n == 0 && !s->paused)
			return;
		if (n == 0)
			n = 1;
		buf_append(out, p, n);
		session_sent(s, n);
		if (!all && !s->paused && fuzz_next(seed) % 2)
			return;
	}
}

/* Drive a session over the input; returns 1 if max_document cut it. */
static int
fuzz_session(const struct config *cfg, enum stream_kind kind,
    const uint8_t *hdr, const char *p, size_t len, struct buf *out)
{
	struct session	 s;
	uint32_t	 seed = (uint32_t)hdr[0] << 8 | hdr[1];
	size_t		 hw = 4096 + (size_t)hdr[2] * 256, off = 0, room;
	size_t		 chunk = 1 + (size_t)hdr[3] * 64;
	uint64_t	 max = kind == STREAM_RAW && hdr[4] < 64 ?
	    (uint64_t)hdr[4] * 37 + 1 : 0;
	size_t		 bound = hw + chunk + 4 * 1024 * 1024;
	int		 cut = 0;

	session_init(&s, cfg, kind, NULL, max, hw);
	while (off < len) {
		room = session_room(&s, 1 + fuzz_next(&seed) % chunk);
		if (room == 0 && session_at_max(&s)) {
			cut = 1;
			session_abandon(&s);
			break;
		}
		if (room > len - off)
			room = len - off;
		session_feed(&s, p + off, room);
		off += room;
		fuzz_drain(&s, &seed, out, bound, 0);
	}
	if (!cut)
		session_finish(&s);
	fuzz_drain(&s, &seed, out, bound, 1);
	session_free(&s);
	return (cut);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf		 want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	const char		*doc = (const char *)data + FUZZ_HEADER;
	enum stream_kind	 kind;
	size_t			 dlen;
	int			 which, cut;

	if (len < FUZZ_HEADER)
		return (0);
	dlen = len - FUZZ_HEADER;
	which = data[5] % 3;
	kind = which == 2 ? STREAM_JSONL : STREAM_RAW;
	fuzz_reference(fuzz_cfg[which], kind, doc, dlen, &want);
	cut = fuzz_session(fuzz_cfg[which], kind, data, doc, dlen, &got);
	if (cut ? got.len > want.len : got.len != want.len)
		abort();	/* lost, added or cut bytes */
	if (got.len != 0 && memcmp(got.data, want.data, got.len) != 0)
		abort();	/* different bytes */
	buf_free(&want);
	buf_free(&got);
	return (0);
}
