/*
 * The encoding layer (see transcode.h).  Until the document's encoding is
 * known (auto, or utf-16 waiting for its byte order mark) its first bytes
 * are held: at most a mark's three bytes, then for auto the ASCII bytes
 * go straight on (they read the same in UTF-8 and GB18030) and from the
 * first other byte at most DETECT_WINDOW bytes are held until
 * detect_window() decides.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "detect.h"
#include "engine.h"
#include "transcode.h"
#include "xmalloc.h"

#define TRANSCODE_BATCH		(64 * 1024)	/* input decoded at once */
#define TRANSCODE_OUT_BATCH	(32 * 1024)	/* output encoded at once */

enum transcode_state {
	TRANSCODE_START,	/* looking for a byte order mark */
	TRANSCODE_ASCII,	/* auto: ASCII so far */
	TRANSCODE_WINDOW,	/* auto: holding the detection window */
	TRANSCODE_KNOWN		/* the document's encoding is known */
};

struct transcode {
	enum encoding		 conf;		/* as configured */
	enum encoding		 doc;		/* the document's, once known */
	enum encoding		 out_enc;	/* what is written */
	enum transcode_state	 state;
	struct sink		 out;		/* the real sink */
	struct sink		 text;		/* decoded text: the engine */
	struct buf		 hold;		/* first bytes, until known */
	char			 carry[2 * CODEC_CARRY]; /* a cut code */
	size_t			 ncarry;
	char			 ecarry[2 * CODEC_CARRY]; /* a cut write */
	size_t			 necarry;
	char			*dec;		/* decoded text of a batch */
	size_t			 declen;	/* while the engine has it */
	const char		*orig;		/* what it was decoded from */
	struct codec_marks	 marks;		/* its line starts */
	size_t			 mark;		/* first mark not passed */
	char			*enc;		/* encoded output */
};

/* Set up the layer: the document's encoding and the output's (or SAME). */
struct transcode *
transcode_new(enum encoding enc, enum encoding out, const struct sink *sink)
{
	struct transcode	*tc;

	tc = xcalloc(1, sizeof *tc);
	tc->conf = enc;
	tc->out_enc = out;
	tc->out = *sink;
	transcode_reset(tc);
	return (tc);
}

/* Name where decoded text goes (the engine's feed). */
void
transcode_attach(struct transcode *tc, const struct sink *text)
{
	tc->text = *text;
}

/* Get ready for another document, keeping the buffers. */
void
transcode_reset(struct transcode *tc)
{
	buf_reset(&tc->hold);
	tc->ncarry = tc->necarry = 0;
	tc->declen = 0;
	if (tc->conf == ENCODING_AUTO || tc->conf == ENCODING_UTF16) {
		tc->state = TRANSCODE_START;
		tc->doc = ENCODING_UTF8;
	} else {
		tc->state = TRANSCODE_KNOWN;
		tc->doc = tc->conf;
	}
}

/* The document's encoding (UTF-8 while auto has seen only ASCII). */
enum encoding
transcode_encoding(const struct transcode *tc)
{
	return (tc->doc);
}

/* Free the layer. */
void
transcode_free(struct transcode *tc)
{
	if (tc == NULL)
		return;
	buf_free(&tc->hold);
	codec_marks_free(&tc->marks);
	free(tc->dec);
	free(tc->enc);
	free(tc);
}

/* Decode one batch of whole input and hand it to the engine. */
static size_t
transcode_batch(struct transcode *tc, const char *p, size_t len, int final)
{
	size_t	c, olen;

	if (tc->dec == NULL)
		tc->dec = xmalloc(CODEC_DECODE_ROOM(TRANSCODE_BATCH));
	tc->marks.n = 0;
	c = codec_decode(tc->doc, p, len, final, tc->dec, &olen, &tc->marks);
	if (olen != 0) {
		tc->orig = p;
		tc->declen = olen;
		tc->mark = 0;
		tc->text.write(tc->text.arg, tc->dec, olen);
		tc->declen = 0;
	}
	return (c);
}

/*
 * Complete a code cut at the end of the last feed with bytes of this one,
 * one byte at a time; returns the bytes taken.  Once the carry is empty
 * what follows starts on a code.
 */
static size_t
transcode_sync(struct transcode *tc, const char *p, size_t len)
{
	char	out[CODEC_DECODE_ROOM(2 * CODEC_CARRY)];
	size_t	i = 0, c, olen;

	while (tc->ncarry > 0 && i < len) {
		tc->carry[tc->ncarry++] = p[i++];
		c = codec_decode(tc->doc, tc->carry, tc->ncarry, 0, out, &olen,
		    NULL);
		if (olen != 0)
			tc->text.write(tc->text.arg, out, olen);
		memmove(tc->carry, tc->carry + c, tc->ncarry - c);
		tc->ncarry -= c;
	}
	return (i);
}

/* Feed bytes of a document whose encoding is known. */
static void
transcode_known(struct transcode *tc, const char *p, size_t len)
{
	size_t	n, c;
	int	last;

	if (tc->doc == ENCODING_UTF8) {
		if (len != 0)
			tc->text.write(tc->text.arg, p, len);
		return;
	}
	n = transcode_sync(tc, p, len);
	p += n;
	len -= n;
	while (len > 0) {
		n = len < TRANSCODE_BATCH ? len : TRANSCODE_BATCH;
		last = n == len;
		c = transcode_batch(tc, p, n, 0);
		p += c;
		len -= c;
		if (last && len > 0) {
			memcpy(tc->carry, p, len);
			tc->ncarry = len;
			return;
		}
	}
}

/* The encoding is now known: pass on what was held. */
static void
transcode_decided(struct transcode *tc, enum encoding enc)
{
	tc->doc = enc;
	tc->state = TRANSCODE_KNOWN;
	if (tc->hold.len != 0)
		transcode_known(tc, tc->hold.data, tc->hold.len);
	buf_reset(&tc->hold);
}

/*
 * Look for a byte order mark in the held bytes; final: no more come.
 * Returns 1 once the encoding is known or auto goes on to its ASCII
 * state, 0 if more bytes are needed.
 */
static int
transcode_start(struct transcode *tc, int final)
{
	enum encoding	enc;
	int		r;

	r = detect_bom(tc->hold.data, tc->hold.len, &enc);
	if (r < 0 && !final)
		return (0);
	if (tc->conf == ENCODING_UTF16) {
		if (r <= 0 || enc == ENCODING_UTF8) {
			if (tc->hold.len < 2 && !final)
				return (0);
			enc = ENCODING_UTF16BE;
		}
		transcode_decided(tc, enc);
		return (1);
	}
	if (r == 1) {
		transcode_decided(tc, enc);
		return (1);
	}
	tc->state = TRANSCODE_ASCII;
	return (1);
}

/* auto: pass on the ASCII bytes of p; returns how many there are. */
static size_t
transcode_ascii(struct transcode *tc, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len && (unsigned char)p[i] < 0x80; i++)
		;
	if (i != 0)
		tc->text.write(tc->text.arg, p, i);
	if (i < len)
		tc->state = TRANSCODE_WINDOW;
	return (i);
}

static size_t	transcode_detect(struct transcode *, const char *, size_t);

/* No mark: take the held bytes again, as auto's first bytes. */
static void
transcode_replay(struct transcode *tc)
{
	char	b[3];
	size_t	k = tc->hold.len, i = 0;

	memcpy(b, tc->hold.data, k);
	buf_reset(&tc->hold);
	while (i < k && tc->state != TRANSCODE_KNOWN)
		i += transcode_detect(tc, b + i, k - i);
	if (i < k)
		transcode_known(tc, b + i, k - i);
}

/* Take bytes while the encoding is not known; returns how many. */
static size_t
transcode_detect(struct transcode *tc, const char *p, size_t len)
{
	size_t	n;

	if (tc->state == TRANSCODE_START) {
		n = len < 3 - tc->hold.len ? len : 3 - tc->hold.len;
		buf_append(&tc->hold, p, n);
		if (transcode_start(tc, 0) && tc->state == TRANSCODE_ASCII)
			transcode_replay(tc);
		return (n);
	}
	if (tc->state == TRANSCODE_ASCII)
		return (transcode_ascii(tc, p, len));
	n = DETECT_WINDOW - tc->hold.len;
	if (n > len)
		n = len;
	buf_append(&tc->hold, p, n);
	if (tc->hold.len == DETECT_WINDOW)
		transcode_decided(tc, detect_window(tc->hold.data,
		    tc->hold.len, 1));
	return (n);
}

/* Feed bytes of the document, in any chunks. */
void
transcode_feed(struct transcode *tc, const char *p, size_t len)
{
	size_t	n;

	while (len > 0 && tc->state != TRANSCODE_KNOWN) {
		n = transcode_detect(tc, p, len);
		p += n;
		len -= n;
	}
	if (len > 0)
		transcode_known(tc, p, len);
}

/* End of the document's bytes: decide if not yet, flush a cut code. */
void
transcode_end_input(struct transcode *tc)
{
	char	b[3];
	size_t	k;

	if (tc->state == TRANSCODE_START) {
		transcode_start(tc, 1);
		if (tc->state == TRANSCODE_ASCII && tc->hold.len != 0) {
			k = tc->hold.len;
			memcpy(b, tc->hold.data, k);
			buf_reset(&tc->hold);
			transcode_feed(tc, b, k);
		}
	}
	if (tc->state == TRANSCODE_ASCII)
		tc->state = TRANSCODE_KNOWN;	/* ASCII only: UTF-8 */
	else if (tc->state == TRANSCODE_WINDOW)
		transcode_decided(tc, detect_window(tc->hold.data,
		    tc->hold.len, 0));
	if (tc->ncarry != 0) {
		transcode_batch(tc, tc->carry, tc->ncarry, 1);
		tc->ncarry = 0;
	}
}

/*
 * The input offset matching output offset off of the current batch, if
 * off is where the batch or a line in it starts; the mark cursor moves
 * on (the engine writes in order).  -1 if it is neither.
 */
static int64_t
transcode_mark_start(struct transcode *tc, size_t off)
{
	const uint32_t	*v = tc->marks.v;

	if (off == 0) {
		tc->mark = 0;
		return (0);
	}
	while (tc->mark < tc->marks.n && v[2 * tc->mark + 1] < off)
		tc->mark++;
	if (tc->mark < tc->marks.n && v[2 * tc->mark + 1] == off)
		return (v[2 * tc->mark++]);
	return (-1);
}

/*
 * A write of the engine from the text of the current batch: if it is whole
 * lines with their endings, or a whole line's body, write the bytes they
 * were decoded from; returns 1 if done so.
 */
static int
transcode_fast(struct transcode *tc, const char *p, size_t len)
{
	const uint32_t	*v = tc->marks.v;
	size_t		 off, end, nl, unit, k;
	int64_t		 start, stop;

	if (tc->necarry != 0 || (uintptr_t)p < (uintptr_t)tc->dec ||
	    (uintptr_t)p + len > (uintptr_t)tc->dec + tc->declen)
		return (0);
	off = (size_t)(p - tc->dec);
	end = off + len;
	if ((start = transcode_mark_start(tc, off)) < 0 ||
	    tc->mark >= tc->marks.n)
		return (0);
	for (k = tc->mark; k < tc->marks.n && v[2 * k + 1] < end; k++)
		continue;
	if (k < tc->marks.n && v[2 * k + 1] == end) {
		/* Whole lines: up to the start of the line after them. */
		tc->mark = k;
		stop = (int64_t)v[2 * k];
	} else {
		nl = v[2 * tc->mark + 1] - 1;	/* the '\n' that ends it */
		unit = codec_unit(tc->doc);
		stop = (int64_t)v[2 * tc->mark] - (int64_t)unit;
		if (end + 1 == nl && tc->dec[end] == '\r')
			stop -= (int64_t)unit;
		else if (end != nl)
			return (0);
	}
	tc->out.write(tc->out.arg, tc->orig + start, (size_t)(stop - start));
	return (1);
}

/* What the engine's output is encoded to. */
static enum encoding
transcode_out(const struct transcode *tc)
{
	return (tc->out_enc == ENCODING_UTF8 ? ENCODING_UTF8 : tc->doc);
}

/* Complete a sequence cut at the end of the last write; bytes taken. */
static size_t
transcode_esync(struct transcode *tc, const char *p, size_t len)
{
	char	out[CODEC_ENCODE_ROOM(2 * CODEC_CARRY)];
	size_t	i = 0, c, olen;

	while (tc->necarry > 0 && i < len) {
		tc->ecarry[tc->necarry++] = p[i++];
		c = codec_encode(transcode_out(tc), tc->ecarry, tc->necarry, 0,
		    out, &olen);
		if (olen != 0)
			tc->out.write(tc->out.arg, out, olen);
		memmove(tc->ecarry, tc->ecarry + c, tc->necarry - c);
		tc->necarry -= c;
	}
	return (i);
}

/* Encode what the engine wrote (codec_encode), in bounded batches. */
static void
transcode_encode(struct transcode *tc, const char *p, size_t len)
{
	size_t	n, c, olen;
	int	last;

	n = transcode_esync(tc, p, len);
	p += n;
	len -= n;
	if (len > 0 && tc->enc == NULL)
		tc->enc = xmalloc(CODEC_ENCODE_ROOM(TRANSCODE_OUT_BATCH));
	while (len > 0) {
		n = len < TRANSCODE_OUT_BATCH ? len : TRANSCODE_OUT_BATCH;
		last = n == len;
		c = codec_encode(transcode_out(tc), p, n, 0, tc->enc, &olen);
		if (olen != 0)
			tc->out.write(tc->out.arg, tc->enc, olen);
		p += c;
		len -= c;
		if (last && len > 0) {
			memcpy(tc->ecarry, p, len);
			tc->necarry = len;
			return;
		}
	}
}

/*
 * Is a write nothing but a line ending (the engine writes those on their
 * own), which GB18030 and GBK write as they are?
 */
static int
transcode_eol(const struct transcode *tc, const char *p, size_t len)
{
	return (tc->necarry == 0 && codec_unit(tc->doc) == 1 &&
	    ((len == 1 && p[0] == '\n') ||
	    (len == 2 && p[0] == '\r' && p[1] == '\n')));
}

/*
 * The engine's sink: text in UTF-8 with escapes, written on to the real
 * sink in the output encoding.  Before the encoding is known the engine
 * has had only ASCII, which every candidate writes the same.
 */
void
transcode_write(void *arg, const char *p, size_t len)
{
	struct transcode	*tc = arg;

	if (len == 0)
		return;
	if (tc->doc == ENCODING_UTF8 || transcode_eol(tc, p, len) ||
	    (tc->out_enc == ENCODING_UTF8 && tc->necarry == 0 &&
	    memchr(p, 0xed, len) == NULL)) {
		tc->out.write(tc->out.arg, p, len);
		return;
	}
	if (tc->out_enc != ENCODING_UTF8 && transcode_fast(tc, p, len))
		return;
	transcode_encode(tc, p, len);
}

/* The engine finished: write a sequence cut at the end as it is. */
void
transcode_end_output(struct transcode *tc)
{
	char	out[CODEC_ENCODE_ROOM(2 * CODEC_CARRY)];
	size_t	olen;

	if (tc->necarry == 0)
		return;
	codec_encode(transcode_out(tc), tc->ecarry, tc->necarry, 1, out,
	    &olen);
	tc->out.write(tc->out.arg, out, olen);
	tc->necarry = 0;
}
