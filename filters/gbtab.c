/*
 * GB18030 and GBK tables from glibc iconv (see gbtab.h).  Building one
 * costs about 130,000 conversions, a few milliseconds, once per process.
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
 * Decode a code and encode its character back: the character's code
 * point if that gives the same bytes, else -1 (the code is invalid).
 */
static int64_t
gbtab_round_trip(const struct gbtab_iconv *cv, const unsigned char *s,
    size_t n)
{
	unsigned char	back[8];
	int64_t		cp;

	if ((cp = gbtab_iconv_decode(cv->dec, s, n)) < 0x80 ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (-1);
	if (gbtab_iconv_encode(cv->enc, (uint32_t)cp, back) != n ||
	    memcmp(back, s, n) != 0)
		return (-1);
	return (cp);
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

/* Fill a table from the converters. */
static void
gbtab_fill(struct gbtab *t, const struct gbtab_iconv *cv, int four)
{
	unsigned char	s[4];
	unsigned	lead, trail, lin;

	for (lead = 0x80; lead <= 0xff; lead++) {
		s[0] = lead;
		gbtab_add(t, &t->dec1[lead], gbtab_round_trip(cv, s, 1), s, 1);
	}
	for (lead = 0x81; lead <= 0xfe; lead++) {
		for (trail = 0x40; trail <= 0xfe; trail++) {
			if (trail == 0x7f)
				continue;
			s[0] = lead;
			s[1] = trail;
			gbtab_add(t, &t->dec2[lead << 8 | trail],
			    gbtab_round_trip(cv, s, 2), s, 2);
		}
	}
	if (!four)
		return;
	t->dec4 = xcalloc(GBTAB_NBMP4, sizeof *t->dec4);
	for (lin = 0; lin < GBTAB_NBMP4; lin++) {
		gbtab_bmp4_bytes(lin, s);
		gbtab_add(t, &t->dec4[lin], gbtab_round_trip(cv, s, 4), s, 4);
	}
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
