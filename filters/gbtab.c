/*
 * GB18030 and GBK tables from glibc iconv (see gbtab.h).  Every code is
 * decoded and encoded back, about 64,000 of them for GB18030, once per
 * process: in a handful of iconv calls over all the codes at once (about
 * 1.5 ms), not one call per code (about 7 ms).
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gbtab.h"
#include "xmalloc.h"

/* One table and how its building went. */
struct gbtab_slot {
	const char	*charset;	/* iconv's name */
	int		 four;		/* has four-byte codes */
	pthread_once_t	 once;
	struct gbtab	*tab;
	char		*cause;		/* why it could not be built */
};

/* Both converters of one charset. */
struct gbtab_iconv {
	iconv_t		dec;
	iconv_t		enc;
};

static struct gbtab_slot gbtab_gb18030 = { "GB18030", 1, PTHREAD_ONCE_INIT,
    NULL, NULL };
static struct gbtab_slot gbtab_gbk = { "GBK", 0, PTHREAD_ONCE_INIT, NULL,
    NULL };

/* A code point's UTF-8 bytes, the first in the lowest byte. */
uint32_t
gbtab_utf8(uint32_t cp)
{
	if (cp < 0x80)
		return (cp);
	if (cp < 0x800)
		return ((0xc0 | cp >> 6) | (0x80 | (cp & 0x3f)) << 8);
	if (cp < 0x10000)
		return ((0xe0 | cp >> 12) | (0x80 | (cp >> 6 & 0x3f)) << 8 |
		    (0x80 | (cp & 0x3f)) << 16);
	return ((0xf0 | cp >> 18) | (0x80 | (cp >> 12 & 0x3f)) << 8 |
	    (0x80 | (cp >> 6 & 0x3f)) << 16 | (uint32_t)(0x80 |
	    (cp & 0x3f)) << 24);
}

/* Decode one code of n bytes with iconv: its code point, or -1. */
static int64_t
gbtab_iconv_decode(iconv_t cd, const unsigned char *s, size_t n)
{
	char		*in = (char *)s, *op;
	size_t		 il = n, ol = 8;
	uint32_t	 out[2];

	op = (char *)out;
	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &in, &il, &op, &ol) == (size_t)-1 || il != 0 ||
	    ol != 4)
		return (-1);
	if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1 || ol != 4)
		return (-1);
	return (out[0]);
}

/* Encode a code point with iconv into out (8 bytes): its length, or 0. */
static size_t
gbtab_iconv_encode(iconv_t cd, uint32_t cp, unsigned char *out)
{
	char	*in = (char *)&cp, *op = (char *)out;
	size_t	 il = 4, ol = 8;

	iconv(cd, NULL, NULL, NULL, NULL);
	if (iconv(cd, &in, &il, &op, &ol) == (size_t)-1 || il != 0)
		return (0);
	if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1)
		return (0);
	return (8 - ol);
}

/* Bytes packed into a word, the first in the lowest byte. */
static uint32_t
gbtab_pack(const unsigned char *s, size_t n)
{
	uint32_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v |= (uint32_t)s[i] << (8 * i);
	return (v);
}

/*
 * Decode the n codes of w bytes laid end to end at s into cp[], in as
 * few iconv calls as there are codes iconv refuses (-1).  Should a call
 * not give one character per code, every code left is decoded alone.
 */
static void
gbtab_decode_all(iconv_t cd, const unsigned char *s, size_t n, size_t w,
    int64_t *cp, uint32_t *ucs)
{
	char	*in, *op;
	size_t	 i = 0, j, k, il, ol, r;

	while (i < n) {
		in = (char *)s + i * w;
		il = (n - i) * w;
		op = (char *)ucs;
		ol = (n - i) * sizeof *ucs;
		iconv(cd, NULL, NULL, NULL, NULL);
		r = iconv(cd, &in, &il, &op, &ol);
		k = (size_t)(op - (char *)ucs) / sizeof *ucs;
		if ((size_t)(in - ((char *)s + i * w)) != k * w) {
			for (; i < n; i++)
				cp[i] = gbtab_iconv_decode(cd, s + i * w, w);
			return;
		}
		for (j = 0; j < k; j++)
			cp[i + j] = ucs[j];
		i += k;
		if (r == (size_t)-1 && i < n)
			cp[i++] = -1;		/* the code it stopped at */
	}
}

/*
 * Encode the characters of the codes still valid in one iconv call (one
 * more per character iconv refuses) and keep a code only if its
 * character comes back as its very bytes; a character that comes back
 * otherwise is encoded alone to find where the next one starts.
 */
static void
gbtab_encode_check(iconv_t cd, const unsigned char *s, size_t n, size_t w,
    int64_t *cp, uint32_t *ucs)
{
	unsigned char	*out, one[8];
	size_t		*idx, m = 0, j = 0, c, pos, il, ol, r, len;
	char		*in, *op;

	idx = xreallocarray(NULL, n + 1, sizeof *idx);
	for (c = 0; c < n; c++)
		if (cp[c] >= 0) {
			ucs[m] = (uint32_t)cp[c];
			idx[m++] = c;
		}
	out = xmalloc(8 * (m + 1));
	while (j < m) {
		in = (char *)(ucs + j);
		il = (m - j) * sizeof *ucs;
		op = (char *)out;
		ol = 8 * (m - j);
		iconv(cd, NULL, NULL, NULL, NULL);
		r = iconv(cd, &in, &il, &op, &ol);
		c = j + (size_t)(in - (char *)(ucs + j)) / sizeof *ucs;
		for (pos = 0; j < c; j++) {
			if (pos + w <= (size_t)(op - (char *)out) &&
			    memcmp(out + pos, s + idx[j] * w, w) == 0) {
				pos += w;
				continue;
			}
			len = gbtab_iconv_encode(cd, ucs[j], one);
			cp[idx[j]] = -1;
			pos += len;
		}
		if (r == (size_t)-1 && j < m)
			cp[idx[j++]] = -1;	/* the character it stopped at */
	}
	free(out);
	free(idx);
}

/*
 * Check n codes of w bytes laid end to end at s against the converters:
 * cp[i] is code i's character if it decodes to one that encodes back to
 * the same bytes, else -1 (the code is invalid).
 */
static void
gbtab_check(const struct gbtab_iconv *cv, const unsigned char *s, size_t n,
    size_t w, int64_t *cp)
{
	uint32_t	*ucs;
	size_t		 i;

	ucs = xreallocarray(NULL, n + 1, sizeof *ucs);
	gbtab_decode_all(cv->dec, s, n, w, cp, ucs);
	for (i = 0; i < n; i++)
		if (cp[i] < 0x80 || (cp[i] >= 0xd800 && cp[i] <= 0xdfff) ||
		    cp[i] > 0x10ffff)
			cp[i] = -1;
	gbtab_encode_check(cv->enc, s, n, w, cp, ucs);
	free(ucs);
}

/* File a valid code of the table: decoding entry dec, encoding side. */
static void
gbtab_add(struct gbtab *t, uint32_t *dec, int64_t cp, const unsigned char *s,
    size_t n)
{
	if (cp < 0)
		return;
	*dec = gbtab_utf8((uint32_t)cp);
	if (cp < 0x10000)
		t->enc[cp] = gbtab_pack(s, n);
	else if (t->nsupp < GBTAB_NSUPP) {
		t->supp_cp[t->nsupp] = (uint32_t)cp;
		t->supp_gb[t->nsupp++] = gbtab_pack(s, n);
	} else
		*dec = 0;	/* more than expected: treat as invalid */
}

/* The four bytes of BMP four-byte code number lin. */
static void
gbtab_bmp4_bytes(unsigned lin, unsigned char *s)
{
	s[3] = 0x30 + lin % 10;
	lin /= 10;
	s[2] = 0x81 + lin % 126;
	lin /= 126;
	s[1] = 0x30 + lin % 10;
	s[0] = 0x81 + lin / 10;
}

/* Lay out every code of one length (1, 2 or 4 bytes); their number. */
static size_t
gbtab_codes(size_t w, unsigned char *s)
{
	size_t		n = 0;
	unsigned	lead, trail;

	if (w == 4) {
		for (n = 0; n < GBTAB_NBMP4; n++)
			gbtab_bmp4_bytes((unsigned)n, s + 4 * n);
		return (n);
	}
	for (lead = 0x80; lead <= 0xff; lead++) {
		for (trail = 0x40; trail <= 0xfe && w == 2; trail++) {
			if (trail == 0x7f || lead == 0x80 || lead == 0xff)
				continue;
			s[n * 2] = lead;
			s[n++ * 2 + 1] = trail;
		}
		if (w == 1)
			s[n++] = lead;
	}
	return (n);
}

/* Fill a table from the converters. */
static void
gbtab_fill(struct gbtab *t, const struct gbtab_iconv *cv, int four)
{
	unsigned char	*s;
	int64_t		*cp;
	size_t		 w, n, i;
	uint32_t	*dec;

	s = xmalloc(4 * GBTAB_NBMP4);
	cp = xreallocarray(NULL, GBTAB_NBMP4, sizeof *cp);
	if (four)
		t->dec4 = xcalloc(GBTAB_NBMP4, sizeof *t->dec4);
	for (w = 1; w <= (four ? 4 : 2); w *= 2) {
		n = gbtab_codes(w, s);
		gbtab_check(cv, s, n, w, cp);
		for (i = 0; i < n; i++) {
			if (w == 1)
				dec = &t->dec1[s[i]];
			else if (w == 2)
				dec = &t->dec2[s[2 * i] << 8 | s[2 * i + 1]];
			else
				dec = &t->dec4[i];
			gbtab_add(t, dec, cp[i], s + w * i, w);
		}
	}
	free(cp);
	free(s);
}

/* Build one slot's table (run once). */
static void
gbtab_build(struct gbtab_slot *slot)
{
	struct gbtab_iconv	cv;

	cv.dec = iconv_open("UCS-4LE", slot->charset);
	cv.enc = iconv_open(slot->charset, "UCS-4LE");
	if (cv.dec == (iconv_t)-1 || cv.enc == (iconv_t)-1) {
		slot->cause = xasprintf("the system converter has no %s "
		    "(iconv_open: %s)", slot->charset, strerror(errno));
	} else {
		slot->tab = xcalloc(1, sizeof *slot->tab);
		gbtab_fill(slot->tab, &cv, slot->four);
	}
	if (cv.dec != (iconv_t)-1)
		iconv_close(cv.dec);
	if (cv.enc != (iconv_t)-1)
		iconv_close(cv.enc);
}

/* Build the GB18030 table. */
static void
gbtab_build_gb18030(void)
{
	gbtab_build(&gbtab_gb18030);
}

/* Build the GBK table. */
static void
gbtab_build_gbk(void)
{
	gbtab_build(&gbtab_gbk);
}

/*
 * The table of GB18030 or GBK, built on first use by whichever thread
 * comes first; NULL with *cause set if the system cannot convert it.
 */
const struct gbtab *
gbtab_get(enum encoding enc, char **cause)
{
	struct gbtab_slot	*slot;

	if (enc == ENCODING_GBK) {
		pthread_once(&gbtab_gbk.once, gbtab_build_gbk);
		slot = &gbtab_gbk;
	} else {
		pthread_once(&gbtab_gb18030.once, gbtab_build_gb18030);
		slot = &gbtab_gb18030;
	}
	if (slot->tab == NULL && cause != NULL)
		*cause = xstrdup(slot->cause);
	return (slot->tab);
}

/* The GB bytes of a supplementary code point (GB18030), packed. */
uint32_t
gbtab_supp_encode(const struct gbtab *t, uint32_t cp)
{
	uint32_t	lin = cp - 0x10000;
	unsigned char	s[4];
	int		i;

	for (i = 0; i < t->nsupp; i++)
		if (t->supp_cp[i] == cp)
			return (t->supp_gb[i]);
	s[3] = 0x30 + lin % 10;
	lin /= 10;
	s[2] = 0x81 + lin % 126;
	lin /= 126;
	s[1] = 0x30 + lin % 10;
	s[0] = 0x90 + lin / 10;
	return (gbtab_pack(s, 4));
}

/*
 * The code point of a supplementary four-byte code (first byte 0x90 to
 * 0xe3, shape already checked), or 0 if it has none or its character
 * has a shorter code.
 */
uint32_t
gbtab_supp_decode(const struct gbtab *t, const unsigned char *s)
{
	uint32_t	lin, cp;
	int		i;

	lin = (((uint32_t)(s[0] - 0x90) * 10 + (s[1] - 0x30)) * 126 +
	    (s[2] - 0x81)) * 10 + (s[3] - 0x30);
	if ((cp = 0x10000 + lin) > 0x10ffff)
		return (0);
	for (i = 0; i < t->nsupp; i++)
		if (t->supp_cp[i] == cp)
			return (0);
	return (cp);
}
