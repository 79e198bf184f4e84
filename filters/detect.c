/*
 * The auto-detection rule (measured on the corpus converted to GB18030
 * and GBK, on UTF-8 with invalid bytes and cut characters, and on Latin-1
 * and Windows-1252 text: see README, Encodings):
 *
 *  1. a window that is valid UTF-8 (a character cut by the window's end
 *     aside) is UTF-8;
 *  2. otherwise it is GB18030 when it is mostly invalid as UTF-8 (more
 *     invalid bytes than valid multi-byte sequences), almost all valid as
 *     GB18030 (at most one invalid byte per 16 characters), and at least
 *     half of its two-byte characters lie in the GB2312 area (both bytes
 *     0xA1 or more), where Chinese text lives, and at least a third of
 *     its characters follow another one directly (Chinese comes in runs;
 *     Latin text's accented letters stand next to ASCII, and where two
 *     do, as Portuguese's "ção", they are one pair alone);
 *  3. anything else is UTF-8: its bytes pass through as they are.
 */
#include <string.h>

#include "detect.h"
#include "gbtab.h"
#include "utf8.h"

/* What a window looks like read one way. */
struct detect_count {
	size_t	chars;		/* valid multi-byte characters */
	size_t	bad;		/* bytes that start no valid character */
	size_t	gb2312;		/* two-byte characters in the GB2312 area */
	size_t	runs;		/* characters right after another one */
};

/*
 * Look for a byte order mark at the start of p (n bytes): 1 with its
 * encoding, 0 if there is none, -1 if n bytes are too few to tell.
 */
int
detect_bom(const char *p, size_t n, enum encoding *enc)
{
	static const struct {
		const char	*mark;
		size_t		 len;
		enum encoding	 enc;
	} boms[] = {
		{ "\xef\xbb\xbf", 3, ENCODING_UTF8 },
		{ "\xff\xfe", 2, ENCODING_UTF16LE },
		{ "\xfe\xff", 2, ENCODING_UTF16BE },
	};
	size_t	i;
	int	more = 0;

	if (n == 0)
		return (-1);
	for (i = 0; i < sizeof boms / sizeof boms[0]; i++) {
		if (n >= boms[i].len && memcmp(p, boms[i].mark,
		    boms[i].len) == 0) {
			*enc = boms[i].enc;
			return (1);
		}
		if (n < boms[i].len && memcmp(p, boms[i].mark, n) == 0)
			more = 1;
	}
	return (more ? -1 : 0);
}

/* Length of the UTF-8 sequence at s (n left), 0 if invalid, -1 if cut. */
static int
detect_utf8_len(const unsigned char *s, size_t n)
{
	size_t	need, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return (0);
	need = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < need; i++) {
		if (i == n)
			return (-1);
		if (!utf8_cont(s[i]) || (i == 1 &&
		    ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f) ||
		    (s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] > 0x8f))))
			return (0);
	}
	return ((int)need);
}

/*
 * Count a window read as UTF-8; a sequence cut by the window's end is
 * not bad if the document goes on (cut).
 */
static void
detect_utf8(const unsigned char *s, size_t n, int cut, struct detect_count *c)
{
	size_t	i = 0;
	int	len;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((len = detect_utf8_len(s + i, n - i)) < 0 && cut)
			break;
		if (len <= 0) {
			c->bad++;
			i++;
		} else {
			c->chars++;
			i += (size_t)len;
		}
	}
}

/* Is the GB18030 four-byte code at s (n left) shaped right? */
static int
detect_gb_four(const unsigned char *s, size_t n)
{
	return (n >= 4 && s[1] >= 0x30 && s[1] <= 0x39 && s[2] >= 0x81 &&
	    s[2] <= 0xfe && s[3] >= 0x30 && s[3] <= 0x39);
}

/* Count a window read as GB18030; a code cut by its end is not bad. */
static void
detect_gb(const struct gbtab *t, const unsigned char *s, size_t n,
    struct detect_count *c)
{
	size_t	i = 0, last = (size_t)-1;	/* where the last one ended */

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (i == last)
			c->runs++;
		if (i + 1 < n && t->dec2[s[i] << 8 | s[i + 1]] != 0) {
			c->chars++;
			if (s[i] >= 0xa1 && s[i + 1] >= 0xa1)
				c->gb2312++;
			i += 2;
			last = i;
		} else if (detect_gb_four(s + i, n - i)) {
			c->chars++;
			i += 4;
			last = i;
		} else if (n - i < 4 && s[i] >= 0x81 && s[i] <= 0xfe)
			break;
		else {
			c->bad++;
			i++;
		}
	}
}

/*
 * Decide on a window of n bytes starting at the document's first byte
 * that is not ASCII; cut is set if the document goes on past it.
 */
enum encoding
detect_window(const char *p, size_t n, int cut)
{
	const unsigned char	*s = (const unsigned char *)p;
	const struct gbtab	*t;
	struct detect_count	 u, g;

	memset(&u, 0, sizeof u);
	memset(&g, 0, sizeof g);
	detect_utf8(s, n, cut, &u);
	if (u.bad == 0)
		return (ENCODING_UTF8);
	if ((t = gbtab_get(ENCODING_GB18030, NULL)) == NULL)
		return (ENCODING_UTF8);
	detect_gb(t, s, n, &g);
	if (u.bad > u.chars && g.bad * 16 <= g.chars && g.gb2312 * 2 >=
	    g.chars && g.runs * 3 >= g.chars && g.chars > 0)
		return (ENCODING_GB18030);
	return (ENCODING_UTF8);
}
