/*
 * UTF-8 validation.  utf8_valid() checks a whole buffer: on x86-64 CPUs
 * with AVX-512 or AVX2, 64 or 32 bytes at a time by looking up the high
 * and low nibbles of each pair of neighbouring bytes in small tables (the
 * method of Keiser and Lemire, "Validating UTF-8 in less than one
 * instruction per byte"); else, and for the tests to compare against, one
 * character at a time.
 */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define UTF8_SIMD
#include <immintrin.h>
#endif

/*
 * The character at s: its length (1 to 4) when it is complete and valid,
 * 0 when s[0, len) is only the beginning of a valid one, -1 when invalid.
 */
int
utf8_char(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned char		 lo = 0x80, hi = 0xbf;
	int			 n, i;

	if (len == 0)
		return (0);
	if (p[0] < 0x80)
		return (1);
	if (p[0] < 0xc2)
		return (-1);
	if (p[0] < 0xe0)
		n = 2;
	else if (p[0] < 0xf0) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;		/* overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;		/* surrogates */
	} else if (p[0] < 0xf5) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;		/* overlong */
		else if (p[0] == 0xf4)
			hi = 0x8f;		/* above U+10FFFF */
	} else
		return (-1);
	for (i = 1; i < n; i++) {
		if ((size_t)i >= len)
			return (0);
		if (p[i] < lo || p[i] > hi)
			return (-1);
		lo = 0x80;
		hi = 0xbf;
	}
	return (n);
}

/* Length of the longest prefix of s made of complete, valid characters. */
size_t
utf8_prefix(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint64_t		 w;
	size_t			 i = 0;
	int			 n;

	while (i < len) {
		if (len - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_char(s + i, len - i)) <= 0)
			break;
		i += (size_t)n;
	}
	return (i);
}

/* Is s[0, len) valid UTF-8, one character at a time? */
int
utf8_valid_scalar(const char *s, size_t len)
{
	return (utf8_prefix(s, len) == len);
}

#ifdef UTF8_SIMD
#define UTF8_TARGET	__attribute__((target("avx2")))

/* What can be wrong with a pair of bytes (the one before, this one). */
#define TOO_SHORT	0x01	/* a lead byte, then no continuation */
#define TOO_LONG	0x02	/* ASCII, then a continuation */
#define OVERLONG_3	0x04	/* E0 80-9F */
#define TOO_LARGE	0x08	/* F4 90-BF, F5-FF 90-BF */
#define SURROGATE	0x10	/* ED A0-BF */
#define OVERLONG_2	0x20	/* C0-C1 */
#define TOO_LARGE_1000	0x40	/* F5-FF 80-8F */
#define OVERLONG_4	0x40	/* F0 80-8F */
#define TWO_CONTS	0x80	/* two continuations: right only as 3rd/4th */
#define CARRY		(TOO_SHORT | TOO_LONG | TWO_CONTS)

/* The block in, shifted right by n bytes, with prev's last n bytes first. */
#define UTF8_PREV(in, prev, n)						\
	_mm256_alignr_epi8((in),					\
	    _mm256_permute2x128_si256((prev), (in), 0x21), 16 - (n))

/* A 16-entry table, in both lanes for _mm256_shuffle_epi8. */
#define UTF8_TABLE(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)	\
	_mm256_setr_epi8(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o,	\
	    p, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)

/* The lookup tables and masks, made once per call. */
struct utf8_consts {
	__m256i	nib, b1h, b1l, b2h, third, fourth, high, max;
};

/* Fill in the tables (see the TOO_SHORT... classes above). */
static UTF8_TARGET void
utf8_consts(struct utf8_consts *k)
{
	k->nib = _mm256_set1_epi8(0x0f);
	k->b1h = UTF8_TABLE(TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
	    TOO_LONG, TOO_LONG, TOO_LONG, (char)TWO_CONTS, (char)TWO_CONTS,
	    (char)TWO_CONTS, (char)TWO_CONTS, TOO_SHORT | OVERLONG_2,
	    TOO_SHORT, TOO_SHORT | OVERLONG_3 | SURROGATE,
	    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
	k->b1l = UTF8_TABLE((char)(CARRY | OVERLONG_3 | OVERLONG_2 |
	    OVERLONG_4), (char)(CARRY | OVERLONG_2), (char)CARRY, (char)CARRY,
	    (char)(CARRY | TOO_LARGE),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000),
	    (char)(CARRY | TOO_LARGE | TOO_LARGE_1000));
	k->b2h = UTF8_TABLE(TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
	    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
	    (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 |
	    TOO_LARGE_1000 | OVERLONG_4),
	    (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE),
	    (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
	    (char)(TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE),
	    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT);
	k->third = _mm256_set1_epi8(0xe0 - 0x80);
	k->fourth = _mm256_set1_epi8(0xf0 - 0x80);
	k->high = _mm256_set1_epi8((char)0x80);
	/* A lead byte this near the end needs the next block. */
	k->max = _mm256_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, (char)0xef, (char)0xdf, (char)0xbf);
}

/* Error bits of one 32-byte block, given the block before it. */
static inline UTF8_TARGET __m256i
utf8_block(const struct utf8_consts *k, __m256i in, __m256i prev)
{
	__m256i	p1, p2, p3, sc, must;

	p1 = UTF8_PREV(in, prev, 1);
	p2 = UTF8_PREV(in, prev, 2);
	p3 = UTF8_PREV(in, prev, 3);
	sc = _mm256_and_si256(_mm256_and_si256(
	    _mm256_shuffle_epi8(k->b1h, _mm256_and_si256(
	    _mm256_srli_epi16(p1, 4), k->nib)),
	    _mm256_shuffle_epi8(k->b1l, _mm256_and_si256(p1, k->nib))),
	    _mm256_shuffle_epi8(k->b2h, _mm256_and_si256(
	    _mm256_srli_epi16(in, 4), k->nib)));
	/* Bytes that must be a 3rd or 4th byte: two continuations are right. */
	must = _mm256_and_si256(_mm256_or_si256(_mm256_subs_epu8(p2, k->third),
	    _mm256_subs_epu8(p3, k->fourth)), k->high);
	return (_mm256_xor_si256(must, sc));
}

/* Check one block: fold its errors into *err, remember what it leaves. */
static inline UTF8_TARGET void
utf8_step(const struct utf8_consts *k, __m256i in, __m256i *prev,
    __m256i *err, __m256i *inc)
{
	if (_mm256_movemask_epi8(in) == 0) {
		/* ASCII: only an unfinished character before is wrong. */
		*err = _mm256_or_si256(*err, *inc);
		*inc = _mm256_setzero_si256();
	} else {
		*err = _mm256_or_si256(*err, utf8_block(k, in, *prev));
		*inc = _mm256_subs_epu8(in, k->max);
	}
	*prev = in;
}

/* Validate s[0, len) 32 bytes at a time. */
static UTF8_TARGET int
utf8_valid_avx2(const char *s, size_t len)
{
	struct utf8_consts	k;
	__m256i			prev, err, inc;
	unsigned char		tail[32];
	size_t			i;

	utf8_consts(&k);
	prev = err = inc = _mm256_setzero_si256();
	for (i = 0; len - i >= 32; i += 32)
		utf8_step(&k, _mm256_loadu_si256((const __m256i *)(s + i)),
		    &prev, &err, &inc);
	if (i < len) {
		memset(tail, 0, sizeof tail);
		memcpy(tail, s + i, len - i);
		utf8_step(&k, _mm256_loadu_si256((const __m256i *)tail),
		    &prev, &err, &inc);
	}
	err = _mm256_or_si256(err, inc);
	return (_mm256_testz_si256(err, err));
}

#define UTF8_TARGET512	__attribute__((target("avx512bw")))

/* An AVX2 table or mask made 64 bytes wide: lane by lane, or zero-extended. */
#define UTF8_WIDE(t)	_mm512_broadcast_i32x4(_mm256_castsi256_si128(t))

/* The same check 64 bytes at a time, the last ones by a masked load. */
static UTF8_TARGET512 int
utf8_valid_avx512(const char *s, size_t len)
{
	struct utf8_consts	k;
	__m512i			b1h, b1l, b2h, nib, max, in, prev, err, inc;
	__m512i			t, p1, p2, p3, sc, must;
	size_t			i;

	utf8_consts(&k);
	b1h = UTF8_WIDE(k.b1h);
	b1l = UTF8_WIDE(k.b1l);
	b2h = UTF8_WIDE(k.b2h);
	nib = _mm512_set1_epi8(0x0f);
	max = _mm512_inserti64x4(_mm512_set1_epi8(-1), k.max, 1);
	prev = err = inc = _mm512_setzero_si512();
	for (i = 0; i < len; i += 64) {
		in = len - i >= 64 ? _mm512_loadu_si512((const void *)(s + i)) :
		    _mm512_maskz_loadu_epi8((__mmask64)((1ULL << (len - i)) -
		    1), s + i);
		if (_mm512_movepi8_mask(in) == 0) {
			err = _mm512_or_si512(err, inc);
			inc = _mm512_setzero_si512();
			prev = in;
			continue;
		}
		t = _mm512_alignr_epi64(in, prev, 6);	/* prev's last lane */
		p1 = _mm512_alignr_epi8(in, t, 15);
		p2 = _mm512_alignr_epi8(in, t, 14);
		p3 = _mm512_alignr_epi8(in, t, 13);
		sc = _mm512_and_si512(_mm512_and_si512(
		    _mm512_shuffle_epi8(b1h, _mm512_and_si512(
		    _mm512_srli_epi16(p1, 4), nib)),
		    _mm512_shuffle_epi8(b1l, _mm512_and_si512(p1, nib))),
		    _mm512_shuffle_epi8(b2h, _mm512_and_si512(
		    _mm512_srli_epi16(in, 4), nib)));
		must = _mm512_and_si512(_mm512_or_si512(
		    _mm512_subs_epu8(p2, UTF8_WIDE(k.third)),
		    _mm512_subs_epu8(p3, UTF8_WIDE(k.fourth))),
		    UTF8_WIDE(k.high));
		err = _mm512_or_si512(err, _mm512_xor_si512(must, sc));
		inc = _mm512_subs_epu8(in, max);
		prev = in;
	}
	err = _mm512_or_si512(err, inc);
	return (_mm512_test_epi8_mask(err, err) == 0);
}
#endif

/*
 * Is s[0, len) valid UTF-8, checked the given way?  -1 if this CPU (or
 * compiler) cannot; for the tests, which compare every way with the
 * scalar one.
 */
int
utf8_valid_with(const char *s, size_t len, enum utf8_impl impl)
{
	switch (impl) {
	case UTF8_SCALAR:
		return (utf8_valid_scalar(s, len));
#ifdef UTF8_SIMD
	case UTF8_AVX2:
		if (__builtin_cpu_supports("avx2"))
			return (utf8_valid_avx2(s, len));
		break;
	case UTF8_AVX512:
		if (__builtin_cpu_supports("avx512bw"))
			return (utf8_valid_avx512(s, len));
		break;
#endif
	default:
		break;
	}
	return (-1);
}

/* Is s[0, len) valid UTF-8 (complete characters only)? */
int
utf8_valid(const char *s, size_t len)
{
#ifdef UTF8_SIMD
	if (len >= 16 && __builtin_cpu_supports("avx512bw"))
		return (utf8_valid_avx512(s, len));
	if (len >= 16 && __builtin_cpu_supports("avx2"))
		return (utf8_valid_avx2(s, len));
#endif
	return (utf8_valid_scalar(s, len));
}
