/*
 * libFuzzer target: the encoding layer (filters/transcode.c, codec.c).
 * Arbitrary bytes, decoded and encoded again with no rule in between,
 * must come back exactly, for every encoding (auto included), however
 * the input is cut into feeds and however the text is handed back: whole,
 * in random pieces (some from a copy, so the layer cannot recognise its
 * own text), or line by line with the endings apart as the engine does.
 * The decoded text must not depend on the feeds; written as UTF-8 it must
 * be that text with every escape turned back into its byte.  Then the
 * same through a stream with no rules (tests/fuzz/norules.conf, max_line
 * 64): the real engine in between, byte order marks and long lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "engine.h"
#include "stream.h"
#include "transcode.h"
#include "fuzz.h"

static struct config	*fuzz_cfg;

static const enum encoding fuzz_encodings[] = {
	ENCODING_GB18030, ENCODING_GBK, ENCODING_UTF16LE, ENCODING_UTF16BE,
	ENCODING_UTF16, ENCODING_AUTO
};
#define FUZZ_NENC	(sizeof fuzz_encodings / sizeof fuzz_encodings[0])

/* One run: the layer, how text goes back, and what came out. */
struct fuzz_run {
	struct transcode	*tc;
	int			 mode;		/* 0 whole, 1 pieces, 2 lines */
	uint32_t		 seed;
	struct buf		 text;		/* decoded: the engine's view */
	struct buf		 out;
	enum encoding		 doc;		/* what it was read in */
	char			 copy[256];
};

/* Next pseudo-random number. */
static uint32_t
fuzz_next(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8);
}

/* Hand text back line by line: bodies in place, endings from constants. */
static void
fuzz_lines(struct fuzz_run *r, const char *p, size_t len)
{
	const char	*nl;
	size_t		 body;

	while (len > 0) {
		if ((nl = memchr(p, '\n', len)) == NULL) {
			transcode_write(r->tc, p, len);
			return;
		}
		body = (size_t)(nl - p);
		if (body > 0 && p[body - 1] == '\r') {
			transcode_write(r->tc, p, body - 1);
			transcode_write(r->tc, "\r\n", 2);
		} else {
			transcode_write(r->tc, p, body);
			transcode_write(r->tc, "\n", 1);
		}
		p += body + 1;
		len -= body + 1;
	}
}

/* The "engine": note the text, hand it back as the mode says. */
static void
fuzz_text(void *arg, const char *p, size_t len)
{
	struct fuzz_run	*r = arg;
	size_t		 n;

	buf_append(&r->text, p, len);
	if (r->mode == 0) {
		transcode_write(r->tc, p, len);
		return;
	}
	if (r->mode == 2) {
		fuzz_lines(r, p, len);
		return;
	}
	while (len > 0) {
		n = 1 + fuzz_next(&r->seed) % (len < 200 ? len : 200);
		if (fuzz_next(&r->seed) % 2) {
			memcpy(r->copy, p, n);
			transcode_write(r->tc, r->copy, n);
		} else
			transcode_write(r->tc, p, n);
		p += n;
		len -= n;
	}
}

/* Decode and encode data fed in chunks from seed (0: whole). */
static void
fuzz_layer(struct fuzz_run *r, enum encoding enc, enum encoding out,
    const uint8_t *data, size_t len, uint32_t seed)
{
	struct sink	sink = { fuzz_buf_write, &r->out }, text = { fuzz_text, r };
	size_t		off = 0, n;

	buf_reset(&r->text);
	buf_reset(&r->out);
	r->seed = seed;
	r->tc = transcode_new(enc, out, &sink);
	transcode_attach(r->tc, &text);
	while (off < len) {
		n = seed == 0 ? len - off : 1 + fuzz_next(&seed) % 13;
		if (n > len - off)
			n = len - off;
		transcode_feed(r->tc, (const char *)data + off, n);
		off += n;
	}
	transcode_end_input(r->tc);
	transcode_end_output(r->tc);
	r->doc = transcode_encoding(r->tc);
	transcode_free(r->tc);
}

/* Are a buffer and some bytes the same? */
static int
fuzz_same(const struct buf *b, const void *p, size_t len)
{
	return (b->len == len && (len == 0 || memcmp(b->data, p, len) == 0));
}

/*
 * The text written as UTF-8: escapes back to bytes, in one call; text
 * read as UTF-8 (auto) was never escaped and goes out as it is.
 */
static void
fuzz_utf8(const struct buf *text, enum encoding doc, struct buf *out)
{
	size_t	olen;

	buf_reset(out);
	if (doc == ENCODING_UTF8) {
		buf_append(out, text->data, text->len);
		return;
	}
	buf_reserve(out, CODEC_ENCODE_ROOM(text->len));
	codec_encode(ENCODING_UTF8, text->len ? text->data : "", text->len, 1,
	    out->data, &olen);
	out->len = olen;
}

/* Through a stream with no rules: the engine between decoding and back. */
static void
fuzz_stream(enum encoding enc, const uint8_t *data, size_t len,
    uint32_t seed, struct buf *out)
{
	struct sink	 sink = { fuzz_buf_write, out };
	struct stream	*st;
	size_t		 off = 0, n;

	buf_reset(out);
	fuzz_cfg->encoding = enc;
	st = stream_new(fuzz_cfg, &sink, STREAM_RAW, NULL);
	while (off < len) {
		n = 1 + fuzz_next(&seed) % 300;
		if (n > len - off)
			n = len - off;
		stream_feed(st, (const char *)data + off, n);
		off += n;
	}
	stream_finish(st);
	stream_free(st);
}

/* Load the configuration and build the tables once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_cfg = fuzz_load(SCRUBD_ROOT "/tests/fuzz/norules.conf");
	if (codec_init(ENCODING_GB18030, NULL) != 0 ||
	    codec_init(ENCODING_GBK, NULL) != 0) {
		fprintf(stderr, "no converter\n");
		abort();
	}
	return (0);
}

/* Every encoding: the layer's round trip, then the stream's. */
static void
fuzz_one(enum encoding enc, const uint8_t *data, size_t len, uint32_t seed)
{
	static struct fuzz_run	whole, cut;
	static struct buf	utf8;

	fuzz_layer(&whole, enc, ENCODING_SAME, data, len, 0);
	if (!fuzz_same(&whole.out, data, len))
		abort();	/* decode then encode is not the input */
	cut.mode = seed % 3;
	fuzz_layer(&cut, enc, ENCODING_SAME, data, len, seed);
	if (!fuzz_same(&cut.out, data, len))
		abort();	/* not when fed or handed back in pieces */
	if (!fuzz_same(&cut.text, whole.text.data, whole.text.len))
		abort();	/* the decoded text depends on the feeds */
	fuzz_layer(&cut, enc, ENCODING_UTF8, data, len, seed);
	if (cut.doc != whole.doc)
		abort();	/* auto decided otherwise on other feeds */
	fuzz_utf8(&whole.text, whole.doc, &utf8);
	if (!fuzz_same(&cut.out, utf8.data, utf8.len))
		abort();	/* UTF-8 output: not the text, escapes undone */
	fuzz_stream(enc, data, len, seed, &cut.out);
	if (!fuzz_same(&cut.out, data, len))
		abort();	/* through the engine with no rules */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint32_t	seed = 1;
	size_t		i;

	if (len > 0)
		seed = 1 + data[0] * 7u + (len > 1 ? data[len - 1] : 0);
	for (i = 0; i < FUZZ_NENC; i++)
		fuzz_one(fuzz_encodings[i], data, len, seed + (uint32_t)i);
	return (0);
}
