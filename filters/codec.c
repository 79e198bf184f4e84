/*
 * The converters' loops (see codec.h): GB18030 and GBK through the tables
 * of gbtab.c, UTF-16 by arithmetic, and the UTF-8 writer that only turns
 * escapes back into bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "gbtab.h"
#include "utf8.h"
#include "xmalloc.h"

#define CODEC_HI	0x8080808080808080ULL
#define CODEC_ONES	0x0101010101010101ULL

/* Check that an encoding can be converted here (builds its tables). */
int
codec_init(enum encoding enc, char **cause)
{
	switch (enc) {
	case ENCODING_GB18030:
	case ENCODING_GBK:
	case ENCODING_AUTO:
		return (gbtab_get(enc, cause) != NULL ? 0 : -1);
	default:
		return (0);
	}
}

/* Bytes an input code unit has: 2 for UTF-16, 1 for the others. */
size_t
codec_unit(enum encoding enc)
{
	return (enc == ENCODING_UTF16LE || enc == ENCODING_UTF16BE ? 2 : 1);
}

/* Free a mark list. */
void
codec_marks_free(struct codec_marks *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}

/*
 * Note a line start: in and out offsets just past a '\n'.  Past
 * CODEC_MARKS_MAX in one call the rest go unnoted (their lines are
 * encoded again instead of copied: the same bytes, the memory bounded).
 */
static void
codec_mark(struct codec_marks *m, size_t in, size_t out)
{
	if (m == NULL || m->n == CODEC_MARKS_MAX)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 256;
		m->v = xreallocarray(m->v, m->cap, 2 * sizeof *m->v);
	}
	m->v[2 * m->n] = (uint32_t)in;
	m->v[2 * m->n + 1] = (uint32_t)out;
	m->n++;
}

/* Write packed UTF-8 (first byte lowest); returns its length. */
static inline size_t
codec_put_utf8(char *out, uint32_t v)
{
	unsigned char	c = v & 0xff;

	memcpy(out, &v, 4);	/* the room has 4 bytes of slack */
	return (c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4);
}

/* Write the escape of an invalid byte: U+DC00+b as UTF-8. */
static inline size_t
codec_put_escape(char *out, unsigned char b)
{
	out[0] = (char)0xed;
	out[1] = (char)(0xb0 | b >> 6);
	out[2] = (char)(0x80 | (b & 0x3f));
	return (3);
}

/* Does a word of 8 input bytes hold only ASCII and no '\n'? */
static inline int
codec_plain8(const char *p)
{
	uint64_t	w, x;

	memcpy(&w, p, 8);
	x = w ^ (CODEC_ONES * '\n');
	return (((w | ((x - CODEC_ONES) & ~x)) & CODEC_HI) == 0);
}

/*
 * Decode one GB code that the two-byte table did not take, at s with n
 * bytes left: a single byte, a four-byte code, or an invalid byte.  Its
 * length, the output in *w; 0 if it may be cut and the input is not final.
 */
static size_t
codec_gb_other(const struct gbtab *t, const unsigned char *s, size_t n,
    int final, char *out, size_t *w)
{
	uint32_t	v, cp;

	if (t->dec1[s[0]] != 0) {
		*w = codec_put_utf8(out, t->dec1[s[0]]);
		return (1);
	}
	if (t->dec4 == NULL || s[0] < 0x81 || s[0] > 0xfe)
		goto invalid;
	if (n < 2 || (n < 4 && s[1] >= 0x30 && s[1] <= 0x39 &&
	    (n < 3 || (s[2] >= 0x81 && s[2] <= 0xfe))))
		return (final ? (*w = codec_put_escape(out, s[0]), 1) : 0);
	if (s[1] < 0x30 || s[1] > 0x39 || s[2] < 0x81 || s[2] > 0xfe ||
	    s[3] < 0x30 || s[3] > 0x39)
		goto invalid;
	if (s[0] <= 0x84) {
		cp = (((uint32_t)(s[0] - 0x81) * 10 + (s[1] - 0x30)) * 126 +
		    (s[2] - 0x81)) * 10 + (s[3] - 0x30);
		if (cp >= GBTAB_NBMP4 || (v = t->dec4[cp]) == 0)
			goto invalid;
	} else if (s[0] >= 0x90 && s[0] <= 0xe3 &&
	    (cp = gbtab_supp_decode(t, s)) != 0)
		v = gbtab_utf8(cp);
	else
		goto invalid;
	*w = codec_put_utf8(out, v);
	return (4);
invalid:
	if (n < 2 && !final && s[0] >= 0x81 && s[0] <= 0xfe)
		return (0);
	*w = codec_put_escape(out, s[0]);
	return (1);
}

/*
 * Decode four two-byte codes at s, if all eight bytes are high and all
 * four characters take three bytes of UTF-8 (most of Chinese text): 1 if
 * done, the output at out (which has room).  Four at a time, with no
 * branch between them, runs at 2.4 GB/s of input here, one at a time
 * at 1.6.
 */
static inline int
codec_gb_four2(const struct gbtab *t, const unsigned char *s, char *out)
{
	uint64_t	w;
	uint32_t	v0, v1, v2, v3;

	memcpy(&w, s, 8);
	if ((w & CODEC_HI) != CODEC_HI)
		return (0);
	v0 = t->dec2[(w & 0xff) << 8 | (w >> 8 & 0xff)];
	v1 = t->dec2[(w >> 16 & 0xff) << 8 | (w >> 24 & 0xff)];
	v2 = t->dec2[(w >> 32 & 0xff) << 8 | (w >> 40 & 0xff)];
	v3 = t->dec2[(w >> 48 & 0xff) << 8 | (w >> 56)];
	if (((v0 & v1 & v2 & v3) & 0xe0) != 0xe0 ||
	    ((v0 | v1 | v2 | v3) & 0x10) != 0)
		return (0);
	memcpy(out, &v0, 4);	/* 4 bytes of slack */
	memcpy(out + 3, &v1, 4);
	memcpy(out + 6, &v2, 4);
	memcpy(out + 9, &v3, 4);
	return (1);
}

/*
 * Decode GB18030 or GBK (see codec_decode).  The length of a two-byte
 * code's UTF-8 is a branch, not arithmetic on the table's value: almost
 * always 3, it is predicted, and the next code's decoding does not wait
 * for the table.
 */
static size_t
codec_decode_gb(const struct gbtab *t, const char *in, size_t len,
    int final, char *out, size_t *olen, struct codec_marks *m)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, o = 0, n, w;
	uint32_t		 v;

	while (i < len) {
		if (s[i] < 0x80) {
			if (i + 8 <= len && codec_plain8(in + i)) {
				memcpy(out + o, in + i, 8);
				i += 8;
				o += 8;
			} else if ((out[o++] = in[i++]) == '\n')
				codec_mark(m, i, o);
		} else if (i + 8 <= len && codec_gb_four2(t, s + i, out + o)) {
			i += 8;
			o += 12;
		} else if (i + 1 < len &&
		    (v = t->dec2[s[i] << 8 | s[i + 1]]) != 0) {
			memcpy(out + o, &v, 4);	/* 4 bytes of slack */
			if (__builtin_expect((v & 0xf0) == 0xe0, 1))
				o += 3;
			else
				o += (v & 0xff) < 0xe0 ? 2 : 4;
			i += 2;
		} else if ((n = codec_gb_other(t, s + i, len - i, final,
		    out + o, &w)) == 0)
			break;
		else {
			i += n;
			o += w;
		}
	}
	*olen = o;
	return (i);
}

/* The UTF-16 code unit at s. */
static inline uint32_t
codec_u16(const unsigned char *s, int be)
{
	return (be ? (uint32_t)s[0] << 8 | s[1] : (uint32_t)s[1] << 8 | s[0]);
}

/*
 * Decode a UTF-16 surrogate at s (n bytes left): a pair, or its two bytes
 * as escapes.  Its length, the output in *w; 0 if cut and not final.
 */
static size_t
codec_utf16_pair(const unsigned char *s, size_t n, int be, int final,
    char *out, size_t *w)
{
	uint32_t	hi = codec_u16(s, be), lo;

	if (hi < 0xdc00 && n < 4 && !final)
		return (0);
	if (hi < 0xdc00 && n >= 4 && (lo = codec_u16(s + 2, be)) >= 0xdc00 &&
	    lo <= 0xdfff) {
		*w = codec_put_utf8(out, gbtab_utf8(0x10000 +
		    ((hi - 0xd800) << 10) + (lo - 0xdc00)));
		return (4);
	}
	*w = codec_put_escape(out, s[0]);
	*w += codec_put_escape(out + 3, s[1]);
	return (2);
}

/* Decode UTF-16 (see codec_decode). */
static size_t
codec_decode_utf16(int be, const char *in, size_t len, int final, char *out,
    size_t *olen, struct codec_marks *m)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, o = 0, n, w;
	uint32_t		 u;

	while (i + 1 < len) {
		u = codec_u16(s + i, be);
		if (u < 0x80) {
			out[o++] = (char)u;
			i += 2;
			if (u == '\n')
				codec_mark(m, i, o);
		} else if (u < 0x800) {
			out[o++] = (char)(0xc0 | u >> 6);
			out[o++] = (char)(0x80 | (u & 0x3f));
			i += 2;
		} else if (u < 0xd800 || u > 0xdfff) {
			out[o++] = (char)(0xe0 | u >> 12);
			out[o++] = (char)(0x80 | (u >> 6 & 0x3f));
			out[o++] = (char)(0x80 | (u & 0x3f));
			i += 2;
		} else if ((n = codec_utf16_pair(s + i, len - i, be, final,
		    out + o, &w)) == 0)
			break;
		else {
			i += n;
			o += w;
		}
	}
	if (i + 1 == len && final)
		o += codec_put_escape(out + o, s[i++]);
	*olen = o;
	return (i);
}

/*
 * Decode len bytes of in (in encoding enc) into out, which has room for
 * CODEC_DECODE_ROOM(len); *olen is set to the bytes written.  Returns
 * the bytes consumed: all of them if final, else all but a code that may
 * go on in the next input.  Line starts are noted in m (may be NULL).
 */
size_t
codec_decode(enum encoding enc, const char *in, size_t len, int final,
    char *out, size_t *olen, struct codec_marks *m)
{
	switch (enc) {
	case ENCODING_GB18030:
	case ENCODING_GBK:
		return (codec_decode_gb(gbtab_get(enc, NULL), in, len, final,
		    out, olen, m));
	case ENCODING_UTF16LE:
	case ENCODING_UTF16BE:
		return (codec_decode_utf16(enc == ENCODING_UTF16BE, in, len,
		    final, out, olen, m));
	default:
		memcpy(out, in, len);
		*olen = len;
		return (len);
	}
}

/*
 * Read the UTF-8 sequence at s (n bytes left): 1 with its code point in
 * *cp (an escape reads as its lone surrogate), 0 if the first byte
 * starts no valid sequence, -1 if the sequence may be cut and the input
 * is not final.  *len is the sequence's length (1 when invalid).
 */
static int
codec_utf8_next(const unsigned char *s, size_t n, int final, uint32_t *cp,
    size_t *len)
{
	size_t		need, i;
	uint32_t	c = s[0], lo = 0x80, hi = 0xbf;

	*len = 1;
	if (c < 0xc2 || c > 0xf4)
		return (0);
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if (i == n)
			return (final ? 0 : -1);
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return (0);
	}
	c &= need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07;
	for (i = 1; i < need; i++)
		c = c << 6 | (s[i] & 0x3f);
	*cp = c;
	*len = need;
	return (1);
}

/* Write packed GB bytes (first byte lowest); returns their length. */
static inline size_t
codec_put_gb(char *out, uint32_t v)
{
	memcpy(out, &v, 4);	/* the room has 4 bytes of slack */
	if (v <= 0xff)
		return (1);
	return (((v >> 8 & 0xff) - 0x30) < 10 ? 4 : 2);
}

/*
 * Encode one character or byte that is not ASCII to GB18030 or GBK: an
 * escape becomes its byte, an invalid byte stays itself, and a character
 * the encoding cannot represent keeps its UTF-8 bytes.  Its length in
 * the input, the output in *w; 0 if cut and not final.
 */
static size_t
codec_gb_encode_other(const struct gbtab *t, const unsigned char *s,
    size_t n, int final, char *out, size_t *w)
{
	uint32_t	cp = 0, v = 0;
	size_t		len;
	int		r;

	if ((r = codec_utf8_next(s, n, final, &cp, &len)) < 0)
		return (0);
	if (r == 1 && cp >= 0xdc00 && cp <= 0xdcff) {
		out[0] = (char)(cp - 0xdc00);
		*w = 1;
		return (len);
	}
	if (r == 1 && cp < 0x10000)
		v = cp >= 0xd800 && cp <= 0xdfff ? 0 : t->enc[cp];
	else if (r == 1 && t->dec4 != NULL)
		v = gbtab_supp_encode(t, cp);
	if (v != 0) {
		*w = codec_put_gb(out, v);
		return (len);
	}
	if (r == 1 && cp >= 0xd800 && cp <= 0xdfff)
		len = 1;	/* another surrogate: its bytes one by one */
	memcpy(out, s, len);
	*w = len;
	return (len);
}

/* Encode to GB18030 or GBK (see codec_encode). */
static size_t
codec_encode_gb(const struct gbtab *t, const char *in, size_t len, int final,
    char *out, size_t *olen)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, o = 0, n, w;
	uint32_t		 cp, v;

	while (i < len) {
		if (s[i] < 0x80) {
			if (i + 8 <= len && (memcpy(&cp, in + i, 4),
			    memcpy(&v, in + i + 4, 4), ((cp | v) &
			    0x80808080u) == 0)) {
				memcpy(out + o, in + i, 8);
				i += 8;
				o += 8;
			} else
				out[o++] = in[i++];
			continue;
		}
		if ((s[i] & 0xf0) == 0xe0 && i + 2 < len &&
		    utf8_cont(s[i + 1]) && utf8_cont(s[i + 2])) {
			cp = (s[i] & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 |
			    (s[i + 2] & 0x3fu);
			if (cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) &&
			    (v = t->enc[cp]) != 0) {
				o += codec_put_gb(out + o, v);
				i += 3;
				continue;
			}
		}
		if ((n = codec_gb_encode_other(t, s + i, len - i, final,
		    out + o, &w)) == 0)
			break;
		i += n;
		o += w;
	}
	*olen = o;
	return (i);
}

/* Write a UTF-16 code unit; returns 2. */
static inline size_t
codec_put_u16(char *out, uint32_t u, int be)
{
	out[be ? 0 : 1] = (char)(u >> 8);
	out[be ? 1 : 0] = (char)(u & 0xff);
	return (2);
}

/* Encode to UTF-16 (see codec_encode). */
static size_t
codec_encode_utf16(int be, const char *in, size_t len, int final, char *out,
    size_t *olen)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, o = 0, n;
	uint32_t		 cp = 0;
	int			 r;

	while (i < len) {
		if (s[i] < 0x80) {
			o += codec_put_u16(out + o, s[i++], be);
			continue;
		}
		if ((s[i] & 0xf0) == 0xe0 && i + 2 < len &&
		    utf8_cont(s[i + 1]) && utf8_cont(s[i + 2]) &&
		    (cp = (s[i] & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 |
		    (s[i + 2] & 0x3fu)) >= 0x800 &&
		    (cp < 0xd800 || cp > 0xdfff)) {
			o += codec_put_u16(out + o, cp, be);
			i += 3;
			continue;
		}
		if ((r = codec_utf8_next(s + i, len - i, final, &cp, &n)) < 0)
			break;
		if (r == 1 && cp >= 0x10000) {
			o += codec_put_u16(out + o, 0xd800 +
			    ((cp - 0x10000) >> 10), be);
			o += codec_put_u16(out + o, 0xdc00 +
			    ((cp - 0x10000) & 0x3ff), be);
		} else if (r == 1 && (cp < 0xd800 || cp > 0xdfff))
			o += codec_put_u16(out + o, cp, be);
		else if (r == 1 && cp >= 0xdc00 && cp <= 0xdcff)
			out[o++] = (char)(cp - 0xdc00);
		else
			out[o++] = (char)s[i], n = 1;
		i += n;
	}
	*olen = o;
	return (i);
}

/*
 * Write UTF-8: escapes become their bytes, everything else is copied.
 * Only an escape can be cut, so only a trailing ED or ED B0..B3 waits.
 */
static size_t
codec_encode_utf8(const char *in, size_t len, int final, char *out,
    size_t *olen)
{
	const unsigned char	*s = (const unsigned char *)in;
	const unsigned char	*e;
	size_t			 i = 0, o = 0, run;

	while (i < len) {
		if ((e = memchr(s + i, 0xed, len - i)) == NULL)
			e = s + len;
		run = (size_t)(e - (s + i));
		memcpy(out + o, in + i, run);
		o += run;
		i += run;
		if (i == len)
			break;
		if (!final && (i + 1 == len || (i + 2 == len &&
		    (s[i + 1] & 0xfc) == 0xb0)))
			break;
		if (i + 2 < len && (s[i + 1] & 0xfc) == 0xb0 &&
		    utf8_cont(s[i + 2])) {
			out[o++] = (char)((s[i + 1] & 0x03) << 6 |
			    (s[i + 2] & 0x3f));
			i += 3;
		} else
			out[o++] = in[i++];
	}
	*olen = o;
	return (i);
}

/*
 * Encode len bytes of UTF-8 with escapes (what the rules put out) into
 * enc, into out, which has room for CODEC_ENCODE_ROOM(len); *olen is set
 * to the bytes written.  Returns the bytes consumed: all if final, else
 * all but a sequence that may go on in the next input.
 */
size_t
codec_encode(enum encoding enc, const char *in, size_t len, int final,
    char *out, size_t *olen)
{
	switch (enc) {
	case ENCODING_GB18030:
	case ENCODING_GBK:
		return (codec_encode_gb(gbtab_get(enc, NULL), in, len, final,
		    out, olen));
	case ENCODING_UTF16LE:
	case ENCODING_UTF16BE:
		return (codec_encode_utf16(enc == ENCODING_UTF16BE, in, len,
		    final, out, olen));
	default:
		return (codec_encode_utf8(in, len, final, out, olen));
	}
}
