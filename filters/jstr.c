/*
 * JSON strings.  A string is scanned for the bytes that end a plain run
 * ('"', '\\' and control characters), 64, 32 or 16 at a time with AVX-512,
 * AVX2 or SSE2 where the CPU has them; escapes are checked as RFC 8259 and
 * jansson define them (\uXXXX surrogates only in pairs) and decoded to
 * UTF-8 on request.  UTF-8 itself is checked for the whole record first.
 */
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define JSTR_AVX2
#include <immintrin.h>
#endif

#include "jstr.h"

/* Hex digit values plus one; 0 for anything else. */
static const unsigned char jstr_hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

#ifdef JSTR_AVX2
/* jstr_plain() 32 bytes at a time, while 32 are left. */
static __attribute__((target("avx2"))) size_t
jstr_plain_avx2(const unsigned char *p, size_t len)
{
	const __m256i	q = _mm256_set1_epi8('"');
	const __m256i	bs = _mm256_set1_epi8('\\');
	const __m256i	ctl = _mm256_set1_epi8(0x1f);
	__m256i		x, m;
	unsigned	mask;
	size_t		i;

	for (i = 0; len - i >= 32; i += 32) {
		x = _mm256_loadu_si256((const __m256i *)(p + i));
		m = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, q),
		    _mm256_cmpeq_epi8(x, bs)),
		    _mm256_cmpeq_epi8(_mm256_max_epu8(x, ctl), ctl));
		if ((mask = (unsigned)_mm256_movemask_epi8(m)) != 0)
			return (i + (size_t)__builtin_ctz(mask));
	}
	return (i);
}
#endif

#ifdef JSTR_AVX2
/* jstr_plain() 64 bytes at a time, while 64 are left. */
static __attribute__((target("avx512bw"))) size_t
jstr_plain_avx512(const unsigned char *p, size_t len)
{
	const __m512i	q = _mm512_set1_epi8('"');
	const __m512i	bs = _mm512_set1_epi8('\\');
	const __m512i	ctl = _mm512_set1_epi8(0x20);
	__m512i		x;
	uint64_t	mask;
	size_t		i;

	for (i = 0; len - i >= 64; i += 64) {
		x = _mm512_loadu_si512((const void *)(p + i));
		mask = _mm512_cmpeq_epi8_mask(x, q) |
		    _mm512_cmpeq_epi8_mask(x, bs) |
		    _mm512_cmplt_epu8_mask(x, ctl);
		if (mask != 0)
			return (i + (size_t)__builtin_ctzll(mask));
	}
	return (i);
}
#endif

#ifdef __SSE2__
/* jstr_plain() 16 bytes at a time, while 16 are left. */
static size_t
jstr_plain_sse2(const unsigned char *p, size_t len)
{
	const __m128i	q = _mm_set1_epi8('"');
	const __m128i	bs = _mm_set1_epi8('\\');
	const __m128i	ctl = _mm_set1_epi8(0x1f);
	__m128i		x, m;
	unsigned	mask;
	size_t		i;

	for (i = 0; len - i >= 16; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(p + i));
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q),
		    _mm_cmpeq_epi8(x, bs)),
		    _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
		if ((mask = (unsigned)_mm_movemask_epi8(m)) != 0)
			return (i + (size_t)__builtin_ctz(mask));
	}
	return (i);
}
#endif

/* Length of the run at s without '"', '\\' or a byte below 0x20. */
size_t
jstr_plain(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0;

#ifdef JSTR_AVX2
	if (len >= 64 && __builtin_cpu_supports("avx512bw") &&
	    len - (i = jstr_plain_avx512(p, len)) >= 64)
		return (i);
	if (len - i >= 32 && __builtin_cpu_supports("avx2") &&
	    len - (i += jstr_plain_avx2(p + i, len - i)) >= 32)
		return (i);
#endif
#ifdef __SSE2__
	i += jstr_plain_sse2(p + i, len - i);
	if (len - i >= 16)
		return (i);
#endif
	for (; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\' || p[i] < 0x20)
			break;
	}
	return (i);
}

/* The value of the four hex digits at s[i], or -1. */
static inline long
jstr_hex4(const char *s, size_t len, size_t i)
{
	const unsigned char	*p = (const unsigned char *)s + i;
	unsigned		 a, b, c, d;

	if (len - i < 4)
		return (-1);
	a = jstr_hexval[p[0]];
	b = jstr_hexval[p[1]];
	c = jstr_hexval[p[2]];
	d = jstr_hexval[p[3]];
	if ((a == 0) | (b == 0) | (c == 0) | (d == 0))
		return (-1);
	return ((long)((a - 1) << 12 | (b - 1) << 8 | (c - 1) << 4 | (d - 1)));
}

/* Write code point cp as UTF-8; return its length. */
static inline size_t
jstr_utf8(long cp, char *d)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/* Decode the \uXXXX escape (or surrogate pair) at s[*ip] into d. */
static int
jstr_unicode(const char *s, size_t len, size_t *ip, char *d, size_t *n,
    const char **why)
{
	long	cp, lo;
	size_t	i = *ip;

	if ((cp = jstr_hex4(s, len, i + 2)) < 0) {
		*why = "invalid \\u escape";
		return (-1);
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		*why = "lone surrogate in a \\u escape";
		return (-1);
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (len - i < 12 || s[i + 6] != '\\' || s[i + 7] != 'u' ||
		    (lo = jstr_hex4(s, len, i + 8)) < 0xdc00 || lo > 0xdfff) {
			*why = "lone surrogate in a \\u escape";
			return (-1);
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		i += 6;
	}
	*n = jstr_utf8(cp, d);
	*ip = i + 6;
	return (0);
}

/* Check (and decode into d: room for 4 bytes) the escape at s[*ip]. */
static int
jstr_escape(const char *s, size_t len, size_t *ip, char *d, size_t *n,
    const char **why)
{
	size_t	i = *ip;

	if (len - i < 2) {
		*why = "unterminated string";
		return (-1);
	}
	switch (s[i + 1]) {
	case '"':
	case '\\':
	case '/':
		d[0] = s[i + 1];
		break;
	case 'b':
		d[0] = '\b';
		break;
	case 'f':
		d[0] = '\f';
		break;
	case 'n':
		d[0] = '\n';
		break;
	case 'r':
		d[0] = '\r';
		break;
	case 't':
		d[0] = '\t';
		break;
	case 'u':
		return (jstr_unicode(s, len, ip, d, n, why));
	default:
		*ip = i + 1;
		*why = "invalid escape";
		return (-1);
	}
	*n = 1;
	*ip = i + 2;
	return (0);
}

/*
 * Decode a run of \uXXXX escapes of non-ASCII characters below U+D800 or
 * above U+DFFF at s[*ip] (how ensure_ascii writers spell non-ASCII text)
 * into out if given; return the decoded length.
 */
static size_t
jstr_bmp(const char *s, size_t len, size_t *ip, char *out)
{
	char	tmp[4];
	size_t	i = *ip, o = 0;
	long	cp;

	while (len - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' &&
	    (cp = jstr_hex4(s, len, i + 2)) >= 0x80 &&
	    (cp < 0xd800 || cp > 0xdfff)) {
		o += jstr_utf8(cp, out != NULL ? out + o : tmp);
		i += 6;
	}
	*ip = i;
	return (o);
}

/* Would byte c need an escape in JSON, other than a newline? */
#define JSTR_CTL(c)	((c) == '"' || (c) == '\\' ||			\
	    ((c) < 0x20 && (c) != '\n'))

/*
 * Check the string whose opening quote is at s[*ip] and move *ip past its
 * closing quote; in is filled in.  If the string has escapes and out is
 * given (room for the raw length), the decoded bytes are written there.
 * -1 with *ip at the fault and *why set.
 */
int
jstr_scan(const char *s, size_t len, size_t *ip, char *out,
    struct jstr_info *in, const char **why)
{
	size_t	i = *ip + 1, o = 0, k, n;
	char	tmp[4], *d;

	in->escaped = in->ctl = 0;
	for (;;) {
		k = jstr_plain(s + i, len - i);
		if (in->escaped && out != NULL)
			memcpy(out + o, s + i, k);
		o += k;
		i += k;
		if (i == len) {
			*why = "unterminated string";
			goto fail;
		}
		if (s[i] == '"')
			break;
		if ((unsigned char)s[i] < 0x20) {
			*why = "control character in a string";
			goto fail;
		}
		if (!in->escaped && out != NULL)
			memcpy(out, s + *ip + 1, o);	/* the plain start */
		in->escaped = 1;
		o += jstr_bmp(s, len, &i, out != NULL ? out + o : NULL);
		if (i == len || s[i] != '\\')
			continue;
		d = out != NULL ? out + o : tmp;
		if (jstr_escape(s, len, &i, d, &n, why) != 0)
			goto fail;
		if (n == 1 && JSTR_CTL((unsigned char)d[0]))
			in->ctl = 1;
		o += n;
	}
	*ip = i + 1;
	in->dlen = o;
	return (0);
fail:
	*ip = i;
	return (-1);
}

/* Does the string token s[0, len) (quotes included, valid) decode to name? */
int
jstr_equals(const char *s, size_t len, const char *name, size_t nlen)
{
	const char	*why;
	char		 d[4];
	size_t		 i = 1, o = 0, k, n;

	if (memchr(s + 1, '\\', len - 2) == NULL)
		return (len - 2 == nlen && memcmp(s + 1, name, nlen) == 0);
	while (i < len - 1) {
		if (s[i] == '\\') {
			if (jstr_escape(s, len, &i, d, &n, &why) != 0)
				return (0);
			if (nlen - o < n || memcmp(name + o, d, n) != 0)
				return (0);
			o += n;
			continue;
		}
		for (k = i; k < len - 1 && s[k] != '\\'; k++)
			;
		if (nlen - o < k - i || memcmp(name + o, s + i, k - i) != 0)
			return (0);
		o += k - i;
		i = k;
	}
	return (o == nlen);
}

/* Write the JSON escape of byte c ('"', '\\' or below 0x20) to d. */
size_t
jstr_escape_byte(unsigned char c, char *d)
{
	static const char	hex[] = "0123456789ABCDEF";

	d[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		d[1] = (char)c;
		return (2);
	case '\b':
		d[1] = 'b';
		return (2);
	case '\f':
		d[1] = 'f';
		return (2);
	case '\n':
		d[1] = 'n';
		return (2);
	case '\r':
		d[1] = 'r';
		return (2);
	case '\t':
		d[1] = 't';
		return (2);
	}
	memcpy(d + 1, "u00", 3);
	d[4] = hex[c >> 4];
	d[5] = hex[c & 0xf];
	return (6);
}
