/*
 * The converters against glibc iconv itself: every GB18030 and GBK code,
 * the supplementary plane included, decodes to what iconv says (or is
 * invalid exactly when iconv would not give the same bytes back), every
 * code point encodes to what iconv says, the escapes, UTF-16, the
 * auto-detection rule, and the [engine] keys.
 */
#include <iconv.h>

#include "codec.h"
#include "utf8.h"
#include "detect.h"
#include "gbtab.h"
#include "helpers.h"

/* Convert with iconv; the output's length, or -1. */
static long
iconv_one(const char *to, const char *from, const void *in, size_t len,
    void *out, size_t room)
{
	iconv_t	 cd = iconv_open(to, from);
	char	*ip = (char *)in, *op = out;
	size_t	 il = len, ol = room, r;

	assert_true(cd != (iconv_t)-1);
	r = iconv(cd, &ip, &il, &op, &ol);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &op, &ol);
	iconv_close(cd);
	return (r == (size_t)-1 || il != 0 ? -1 : (long)(room - ol));
}

/* Decode one whole code with codec_decode: its UTF-8 in out. */
static size_t
codec_one(enum encoding enc, const unsigned char *s, size_t n, char *out)
{
	size_t	olen, c;

	c = codec_decode(enc, (const char *)s, n, 1, out, &olen, NULL);
	assert_int_equal(c, n);
	return (olen);
}

/* Is the UTF-8 at p (len) one character, not an escape? */
static int
one_char(const char *p, size_t len)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 need;

	if (len < 2 || u[0] < 0xc2 || (u[0] == 0xed && (u[1] & 0xfc) == 0xb0))
		return (0);
	need = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
	return (len == need && utf8_valid(p, len));
}

/*
 * Check one GB code of n bytes: scrubd reads it as one character exactly
 * when iconv decodes it to a character that iconv encodes back to the
 * same bytes, and then to that character.
 */
static void
check_gb_code(enum encoding enc, const char *cs, const unsigned char *s,
    size_t n)
{
	char	mine[32], want[16], back[16];
	long	wl, bl;
	size_t	ml;
	int	valid;

	ml = codec_one(enc, s, n, mine);
	wl = iconv_one("UTF-8", cs, s, n, want, sizeof want);
	valid = wl > 0;
	if (valid) {
		bl = iconv_one(cs, "UTF-8", want, (size_t)wl, back,
		    sizeof back);
		valid = bl == (long)n && memcmp(back, s, n) == 0;
	}
	if (valid) {
		assert_int_equal(ml, wl);
		assert_memory_equal(mine, want, ml);
	} else
		assert_false(one_char(mine, ml) && ml < 3 * n);
}

/* Every one- and two-byte code of GB18030 and GBK. */
static void
test_gb_two_byte_codes(void **state)
{
	unsigned char	s[2];
	unsigned	a, b;

	(void)state;
	assert_int_equal(codec_init(ENCODING_GB18030, NULL), 0);
	assert_int_equal(codec_init(ENCODING_GBK, NULL), 0);
	for (a = 0x80; a <= 0xff; a++) {
		s[0] = a;
		check_gb_code(ENCODING_GB18030, "GB18030", s, 1);
		check_gb_code(ENCODING_GBK, "GBK", s, 1);
		for (b = 0x40; b <= 0xfe && a >= 0x81 && a <= 0xfe; b++) {
			s[1] = b;
			if (b == 0x7f)
				continue;
			check_gb_code(ENCODING_GB18030, "GB18030", s, 2);
			check_gb_code(ENCODING_GBK, "GBK", s, 2);
		}
	}
}

/* Every well-formed four-byte GB18030 code, the supplementary plane too. */
static void
test_gb_four_byte_codes(void **state)
{
	unsigned char	s[4];
	unsigned	a, b, c, d;

	(void)state;
	for (a = 0x81; a <= 0xfe; a++)
		for (b = 0x30; b <= 0x39; b++)
			for (c = 0x81; c <= 0xfe; c++)
				for (d = 0x30; d <= 0x39; d++) {
					s[0] = a;
					s[1] = b;
					s[2] = c;
					s[3] = d;
					check_gb_code(ENCODING_GB18030,
					    "GB18030", s, 4);
				}
}

/*
 * Every code point encodes as iconv encodes it; one the encoding cannot
 * represent keeps its UTF-8 bytes.
 */
static void
test_gb_encode_every_code_point(void **state)
{
	char		u8[8], mine[16], want[16];
	uint32_t	cp, v;
	size_t		n, ml, c;
	long		wl;
	int		k;

	(void)state;
	for (k = 0; k < 2; k++) {
		for (cp = 0x80; cp <= 0x10ffff; cp++) {
			if (cp >= 0xd800 && cp <= 0xdfff)
				continue;
			v = gbtab_utf8(cp);
			n = cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
			memcpy(u8, &v, 4);
			c = codec_encode(k ? ENCODING_GBK : ENCODING_GB18030,
			    u8, n, 1, mine, &ml);
			assert_int_equal(c, n);
			wl = iconv_one(k ? "GBK" : "GB18030", "UTF-8", u8, n,
			    want, sizeof want);
			if (wl <= 0) {
				/* not GBK (glibc drops the tags U+E00xx) */
				assert_int_equal(ml, n);	/* kept */
				assert_memory_equal(mine, u8, n);
			} else {
				assert_int_equal(ml, wl);
				assert_memory_equal(mine, want, ml);
			}
		}
	}
}

/* Escapes: every byte, through every encoder. */
static void
test_escapes(void **state)
{
	static const enum encoding encs[] = { ENCODING_GB18030, ENCODING_GBK,
	    ENCODING_UTF16LE, ENCODING_UTF16BE, ENCODING_UTF8 };
	char		in[3], out[16];
	size_t		i, b, olen;

	(void)state;
	for (b = 0; b < 256; b++) {
		in[0] = (char)0xed;
		in[1] = (char)(0xb0 | b >> 6);
		in[2] = (char)(0x80 | (b & 0x3f));
		for (i = 0; i < sizeof encs / sizeof encs[0]; i++) {
			assert_int_equal(codec_encode(encs[i], in, 3, 1, out,
			    &olen), 3);
			assert_int_equal(olen, 1);
			assert_int_equal((unsigned char)out[0], b);
		}
	}
	/* a cut escape waits for the next write, then is still one byte */
	assert_int_equal(codec_encode(ENCODING_UTF8, in, 2, 0, out, &olen),
	    0);
	assert_int_equal(codec_encode(ENCODING_GB18030, in, 2, 0, out, &olen),
	    0);
}

/* UTF-16: pairs, lone surrogates, an odd byte, cut pairs. */
static void
test_utf16(void **state)
{
	const char	 pair[] = "\x3d\xd8\x00\xde";	/* U+1F600 LE */
	const char	 lone[] = "\x00\xd8\x41\x00";	/* D800 then 'A' */
	char		 out[64], back[64];
	size_t		 olen, blen;

	(void)state;
	assert_int_equal(codec_decode(ENCODING_UTF16LE, pair, 4, 1, out,
	    &olen, NULL), 4);
	assert_int_equal(olen, 4);
	assert_memory_equal(out, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(codec_decode(ENCODING_UTF16LE, pair, 3, 0, out,
	    &olen, NULL), 0);			/* cut: waits */
	assert_int_equal(codec_decode(ENCODING_UTF16LE, lone, 4, 1, out,
	    &olen, NULL), 4);
	assert_int_equal(olen, 7);		/* two escapes and 'A' */
	assert_memory_equal(out, "\xed\xb0\x80\xed\xb3\x98" "A", 7);
	codec_encode(ENCODING_UTF16LE, out, olen, 1, back, &blen);
	assert_int_equal(blen, 4);
	assert_memory_equal(back, lone, 4);
	assert_int_equal(codec_decode(ENCODING_UTF16BE, "\x00\x41\x42", 3, 1,
	    out, &olen, NULL), 3);
	assert_int_equal(olen, 4);
	assert_memory_equal(out, "A\xed\xb1\x82", 4);
}

/* The auto rule on small cases (the corpus is in test_encoding.py). */
static void
test_detect(void **state)
{
	enum encoding	enc;

	(void)state;
	assert_int_equal(detect_bom("\xff\xfe", 2, &enc), 1);
	assert_int_equal(enc, ENCODING_UTF16LE);
	assert_int_equal(detect_bom("\xfe\xff", 2, &enc), 1);
	assert_int_equal(enc, ENCODING_UTF16BE);
	assert_int_equal(detect_bom("\xef\xbb\xbf", 3, &enc), 1);
	assert_int_equal(enc, ENCODING_UTF8);
	assert_int_equal(detect_bom("\xef\xbb", 2, &enc), -1);
	assert_int_equal(detect_bom("ab", 2, &enc), 0);
	/* 你好 in GB18030; in UTF-8; UTF-8 cut by the window; Latin-1 */
	assert_int_equal(detect_window("\xc4\xe3\xba\xc3", 4, 0),
	    ENCODING_GB18030);
	assert_int_equal(detect_window("\xe4\xbd\xa0\xe5\xa5\xbd", 6, 0),
	    ENCODING_UTF8);
	assert_int_equal(detect_window("\xe4\xbd\xa0\xe5\xa5", 5, 1),
	    ENCODING_UTF8);
	assert_int_equal(detect_window("\xe9t\xe9 \xe0 Paris", 12, 0),
	    ENCODING_UTF8);
	/* GBK's 聽 is valid UTF-8: UTF-8 */
	assert_int_equal(detect_window("\xc2\xa0\n", 3, 0), ENCODING_UTF8);
}

/* [engine] encoding and output_encoding, and their errors. */
static void
test_engine_keys(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	char			*path;

	(void)state;
	cfg = helper_config("[engine]\nencoding = GB18030\n"
	    "output_encoding = utf-8\n", &errs, &path);
	assert_non_null(cfg);
	assert_int_equal(cfg->encoding, ENCODING_GB18030);
	assert_int_equal(cfg->output_encoding, ENCODING_UTF8);
	config_unref(cfg);
	unlink(path);
	free(path);
	cfg = helper_config("[engine]\n\nencoding = latin9\n", &errs, &path);
	assert_null(cfg);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], ":3: unknown encoding latin9 "
	    "(known: utf-8, gb18030, gbk, utf-16, utf-16le, utf-16be, "
	    "auto)"));
	config_errors_free(&errs);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gb_two_byte_codes),
		cmocka_unit_test(test_gb_four_byte_codes),
		cmocka_unit_test(test_gb_encode_every_code_point),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_engine_keys),
	};

	return (cmocka_run_group_tests_name("codec", tests, NULL, NULL));
}
