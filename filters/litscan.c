/*
 * The SIMD scan for a few literals (see litscan.h).  A literal's probe is
 * its last k bytes (k: LITSCAN_PROBE, or the shortest literal's length if
 * less), folded if it is caseless; the distinct probes (at most
 * LITSCAN_BUCKETS), sorted from their last byte back, go one to a
 * bucket, so that a bucket's tables match its probe exactly.  For each
 * probe byte j there are two 16-byte tables, by the low and by the high
 * nibble of a text byte, of the buckets whose probes have such a nibble
 * there (both cases of a caseless
 * letter: they differ in the high nibble only); the tables of bytes past
 * k accept anything.  A place in the text holds a probe of bucket b only
 * if bit b is set in the lookups of its k bytes ANDed together: eight
 * byte shuffles and a few ANDs for a block of 64 places (AVX-512) or 32
 * (AVX2).  Each place so marked is checked against its buckets'
 * literals, by a compare of the text's last eight bytes there first.
 * Places go up through the text, and every literal found at one ends at
 * the same byte, so matches come in order of their ends.
 *
 * With AVX-512 (BW and VBMI) a block is one load of 64 bytes whose places
 * end there: the lookups of a probe's first bytes are those of the
 * bytes before, moved up from this block's and the last one's by a byte
 * permutation of two registers; the last block is a masked load.  With
 * AVX2 a block is the 32 places that begin there, read by four loads,
 * and the last ones are read from a zeroed copy.  Without AVX2 there is
 * no litscan (litscan_build returns NULL): Vectorscan scans.
 *
 * Against Vectorscan's literal matcher on the default rules' literals
 * (105 MB read in chunks of 256 KiB, each scanned where it lies in L2):
 * with AVX-512 13-14 ms, with AVX2 12-16, against Vectorscan's 17-22,
 * with the 220,000 matches of that corpus, where most of the time goes
 * to the places marked; in text where none is, 6.4-7.0 and 8.7-12 ms
 * against 4.7-6.6.  Probes of 3 bytes marked 474,000 places for 204,000
 * matches; of 4, 264,000.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define LITSCAN_X86
#define LITSCAN_TARGET512 \
	__attribute__((target("avx512f,avx512bw,avx512vbmi")))
#define LITSCAN_TARGET2		__attribute__((target("avx2")))
#endif

#include "fold.h"
#include "litscan.h"
#include "xmalloc.h"

#define LITSCAN_WIDTH2		32	/* places of an AVX2 block */
#define LITSCAN_PAD		(LITSCAN_WIDTH2 + LITSCAN_PROBE - 1)

/* The ways to scan: none (no litscan), AVX2 or AVX-512 (BW, VBMI). */
enum { LITSCAN_SIMD_NONE, LITSCAN_SIMD_AVX2, LITSCAN_SIMD_AVX512 };

struct litscan {
	uint8_t			 lo[LITSCAN_PROBE][16];	/* buckets by nibble */
	uint8_t			 hi[LITSCAN_PROBE][16];
	unsigned		 k;		/* bytes of a probe */
	int			 simd;		/* LITSCAN_SIMD_* */
	struct litscan_lit	*lits;		/* by bucket */
	struct litscan_tail	*tails;		/* theirs, the same order */
	size_t			 n;
	uint32_t		 first[LITSCAN_BUCKETS + 1];	/* of lits */
};

/*
 * A literal's last (up to) eight bytes, folded if caseless, as the word
 * of the eight text bytes that end where it would end reads them, and
 * the mask of those bytes: most candidates are settled by one compare.
 */
struct litscan_tail {
	uint64_t	 word;
	uint64_t	 mask;
};

/* The ways this CPU has; what litscan_build uses (tests lower it). */
static int	litscan_best, litscan_simd;

/* Ask once, before main (and any thread), how this CPU can scan. */
__attribute__((constructor)) static void
litscan_init(void)
{
#ifdef LITSCAN_X86
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vbmi"))
		litscan_best = LITSCAN_SIMD_AVX512;
	else if (__builtin_cpu_supports("avx2"))
		litscan_best = LITSCAN_SIMD_AVX2;
#endif
	litscan_simd = litscan_best;
}

/*
 * For the tests: build scans for level (0 none, so Vectorscan scans; 1
 * AVX2; 2 AVX-512) or the best below it this CPU has; returns the level
 * before.
 */
int
litscan_set_simd(int level)
{
	int	was = litscan_simd;

	litscan_simd = level < litscan_best ? level : litscan_best;
	return (was);
}

/*
 * Can litscan_build make a scan (with the level set now), and how: 0 no,
 * 1 with AVX2, 2 with AVX-512.
 */
int
litscan_available(void)
{
	return (litscan_simd);
}

/* Byte j of literal l's probe of k bytes (folded if caseless). */
static unsigned char
litscan_probe_byte(const struct litscan_lit *l, unsigned k, unsigned j)
{
	unsigned char	c = (unsigned char)l->s[l->len - k + j];

	return (l->caseless ? (unsigned char)fold_byte(c) : c);
}

/* Order literals by their probes, last byte first, then caseless last. */
static int
litscan_order(const void *a, const void *b, void *arg)
{
	const struct litscan_lit	*x = a, *y = b;
	unsigned			 k = *(const unsigned *)arg, j;
	int				 cx, cy;

	for (j = k; j-- > 0;) {
		cx = litscan_probe_byte(x, k, j);
		cy = litscan_probe_byte(y, k, j);
		if (cx != cy)
			return (cx - cy);
	}
	return ((x->caseless != 0) - (y->caseless != 0));
}

/* Do two literals (sorted neighbours) have the same probe? */
static int
litscan_same_probe(const struct litscan_lit *x, const struct litscan_lit *y,
    unsigned k)
{
	return (litscan_order(x, y, &k) == 0);
}

/* Set bucket b's bit in the tables for literal l's probe. */
static void
litscan_mark(struct litscan *ls, const struct litscan_lit *l, unsigned b)
{
	unsigned char	c;
	unsigned	j;

	for (j = 0; j < ls->k; j++) {
		c = litscan_probe_byte(l, ls->k, j);
		ls->lo[j][c & 15] |= (uint8_t)(1u << b);
		ls->hi[j][c >> 4] |= (uint8_t)(1u << b);
		if (l->caseless && c >= 'a' && c <= 'z')
			ls->hi[j][(c ^ 0x20) >> 4] |= (uint8_t)(1u << b);
	}
}

/* Literal l's tail word and mask (see struct litscan_tail). */
static void
litscan_tail(const struct litscan_lit *l, struct litscan_tail *t)
{
	unsigned char	w[8] = { 0 }, m[8] = { 0 };
	size_t		n = l->len < 8 ? l->len : 8, j;

	for (j = 0; j < n; j++) {
		w[8 - n + j] = (unsigned char)l->s[l->len - n + j];
		if (l->caseless)
			w[8 - n + j] = (unsigned char)fold_byte(w[8 - n + j]);
		m[8 - n + j] = 0xff;
	}
	memcpy(&t->word, w, sizeof w);
	memcpy(&t->mask, m, sizeof m);
}

/* How many distinct probes the sorted literals have. */
static size_t
litscan_nprobes(const struct litscan *ls)
{
	size_t	i, n = 0;

	for (i = 0; i < ls->n; i++)
		if (i == 0 || !litscan_same_probe(&ls->lits[i - 1],
		    &ls->lits[i], ls->k))
			n++;
	return (n);
}

/*
 * Put the sorted literals into buckets, a probe to each (at most
 * LITSCAN_BUCKETS of them): their runs, and the tables.
 */
static void
litscan_buckets(struct litscan *ls)
{
	size_t		i;
	unsigned	b = 0, j;

	memset(ls->lo, 0xff, sizeof ls->lo);
	memset(ls->hi, 0xff, sizeof ls->hi);
	for (j = 0; j < ls->k; j++) {
		memset(ls->lo[j], 0, sizeof ls->lo[j]);
		memset(ls->hi[j], 0, sizeof ls->hi[j]);
	}
	for (i = 0; i < ls->n; i++) {
		if (i != 0 && !litscan_same_probe(&ls->lits[i - 1],
		    &ls->lits[i], ls->k))
			b++;
		litscan_mark(ls, &ls->lits[i], b);
		ls->first[b + 1] = (uint32_t)(i + 1);
	}
	for (b = 1; b <= LITSCAN_BUCKETS; b++)	/* empty buckets: no run */
		if (ls->first[b] < ls->first[b - 1])
			ls->first[b] = ls->first[b - 1];
}

/*
 * A scan for the n literals of lits, or NULL if it would not be exact or
 * this CPU cannot: none or more than LITSCAN_MAX_LITS, one shorter than
 * LITSCAN_PROBE_MIN (its probe would be every literal's: a byte or two
 * that ordinary text is full of), or more than LITSCAN_BUCKETS distinct
 * probes (buckets shared by several, whose tables then let through
 * nearly every place of text in the same script).  Vectorscan is much
 * faster there.
 */
struct litscan *
litscan_build(const struct litscan_lit *lits, size_t n)
{
	struct litscan	*ls;
	size_t		 i;
	unsigned	 k = LITSCAN_PROBE;

	if (litscan_simd == LITSCAN_SIMD_NONE || n == 0 ||
	    n > LITSCAN_MAX_LITS)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (lits[i].len < LITSCAN_PROBE_MIN)
			return (NULL);
		if (lits[i].len < k)
			k = lits[i].len;
	}
	ls = xcalloc(1, sizeof *ls);
	ls->k = k;
	ls->simd = litscan_simd;
	ls->n = n;
	ls->lits = xreallocarray(NULL, n, sizeof *ls->lits);
	memcpy(ls->lits, lits, n * sizeof *lits);
	qsort_r(ls->lits, n, sizeof *ls->lits, litscan_order, &k);
	if (litscan_nprobes(ls) > LITSCAN_BUCKETS) {
		litscan_free(ls);
		return (NULL);
	}
	ls->tails = xreallocarray(NULL, n, sizeof *ls->tails);
	for (i = 0; i < n; i++)
		litscan_tail(&ls->lits[i], &ls->tails[i]);
	litscan_buckets(ls);
	return (ls);
}

/* Free a scan (not its literals' bytes). */
void
litscan_free(struct litscan *ls)
{
	if (ls == NULL)
		return;
	free(ls->lits);
	free(ls->tails);
	free(ls);
}

/* Does literal x end at end (past its length) in p? */
static inline int
litscan_is_at(const struct litscan *ls, size_t x, const char *p, size_t end)
{
	const struct litscan_lit	*l = &ls->lits[x];
	const struct litscan_tail	*t = &ls->tails[x];
	uint64_t			 w;

	if (end < 8)
		return (fold_cmp(p + end - l->len, l->s, l->len,
		    l->caseless) == 0);
	memcpy(&w, p + end - 8, sizeof w);
	if (((l->caseless ? fold_word(w) : w) & t->mask) != t->word)
		return (0);
	return (l->len <= 8 || fold_cmp(p + end - l->len, l->s, l->len - 8,
	    l->caseless) == 0);
}

/*
 * Check the places of a block that m marks, each with its buckets' bits
 * in bits[], against their buckets' literals: a literal of the place of
 * bit q would end at base + q.  1: stop.
 */
static int
litscan_hits(const struct litscan *ls, const char *p, size_t len,
    size_t base, uint64_t m, const uint8_t *bits, litscan_found cb, void *arg)
{
	size_t		end, x;
	unsigned	bb, b;

	for (; m != 0; m &= m - 1) {
		end = base + (size_t)__builtin_ctzll(m);
		if (end > len)
			break;
		for (bb = bits[__builtin_ctzll(m)]; bb != 0; bb &= bb - 1) {
			b = (unsigned)__builtin_ctz(bb);
			for (x = ls->first[b]; x < ls->first[b + 1]; x++)
				if (ls->lits[x].len <= end &&
				    litscan_is_at(ls, x, p, end) &&
				    cb(ls->lits[x].id, end, arg) != 0)
					return (1);
		}
	}
	return (0);
}

#ifdef LITSCAN_X86
/* The permutation of two registers that moves bytes up by n (< 64). */
LITSCAN_TARGET512 static inline __m512i
litscan_shift_avx512(unsigned n)
{
	uint8_t	v[64];
	int	q;

	for (q = 0; q < 64; q++)
		v[q] = (uint8_t)(64 + q - (int)n);
	return (_mm512_loadu_si512(v));
}

/* Table j of ls (its lo or hi half) in every 16-byte lane. */
#define LITSCAN_TABLE512(ls, half, j) \
	_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(ls)->half[j]))

/* Table j's buckets for each byte of v: its lookups of the two nibbles. */
#define LITSCAN_LOOK512(lo, hi, l, h) \
	_mm512_and_si512(_mm512_shuffle_epi8(lo, l), _mm512_shuffle_epi8(hi, h))

/*
 * litscan_scan with AVX-512 (BW, VBMI), 64 places a block, each by its
 * last byte: one load a block, whose lookups for a probe's first bytes
 * are moved up from the block before (a byte permutation of two
 * registers); the last block is a masked load, zero past the end.
 * Before the first block the lookups are all ones: places there are
 * checked, and no literal begins before the text.  The tables and
 * lookups are named, not arrays, so that they stay in registers.
 */
LITSCAN_TARGET512 static int
litscan_scan_avx512(const struct litscan *ls, const char *p, size_t len,
    litscan_found cb, void *arg)
{
	const __m512i	nib = _mm512_set1_epi8(0x0f);
	const __m512i	lo0 = LITSCAN_TABLE512(ls, lo, 0);
	const __m512i	lo1 = LITSCAN_TABLE512(ls, lo, 1);
	const __m512i	lo2 = LITSCAN_TABLE512(ls, lo, 2);
	const __m512i	lo3 = LITSCAN_TABLE512(ls, lo, 3);
	const __m512i	hi0 = LITSCAN_TABLE512(ls, hi, 0);
	const __m512i	hi1 = LITSCAN_TABLE512(ls, hi, 1);
	const __m512i	hi2 = LITSCAN_TABLE512(ls, hi, 2);
	const __m512i	hi3 = LITSCAN_TABLE512(ls, hi, 3);
	/* Probe byte j is k - 1 - j before its last (tables past k: any). */
	const __m512i	up0 = litscan_shift_avx512(ls->k - 1);
	const __m512i	up1 = litscan_shift_avx512(ls->k >= 2 ? ls->k - 2 : 0);
	const __m512i	up2 = litscan_shift_avx512(ls->k >= 3 ? ls->k - 3 : 0);
	__m512i		v, l, h, t0, t1, t2, p0, p1, p2, r;
	uint8_t		bits[64];
	uint64_t	m;
	size_t		i, n;

	p0 = p1 = p2 = _mm512_set1_epi8(-1);
	for (i = 0; i < len; i += 64) {
		n = len - i < 64 ? len - i : 64;
		v = n == 64 ? _mm512_loadu_si512(p + i) :
		    _mm512_maskz_loadu_epi8((1ull << n) - 1, p + i);
		l = _mm512_and_si512(v, nib);
		h = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
		t0 = LITSCAN_LOOK512(lo0, hi0, l, h);
		t1 = LITSCAN_LOOK512(lo1, hi1, l, h);
		t2 = LITSCAN_LOOK512(lo2, hi2, l, h);
		r = _mm512_ternarylogic_epi64(LITSCAN_LOOK512(lo3, hi3, l, h),
		    _mm512_permutex2var_epi8(p2, up2, t2),
		    _mm512_permutex2var_epi8(p1, up1, t1), 0x80);
		r = _mm512_and_si512(r, _mm512_permutex2var_epi8(p0, up0, t0));
		p0 = t0;
		p1 = t1;
		p2 = t2;
		if ((m = _mm512_test_epi8_mask(r, r)) == 0)
			continue;
		_mm512_storeu_si512(bits, r);
		if (litscan_hits(ls, p, len, i + 1, m, bits, cb, arg) != 0)
			return (1);
	}
	return (0);
}

/* Table j of ls (its lo or hi half) in both 16-byte lanes. */
#define LITSCAN_TABLE2(ls, half, j) _mm256_broadcastsi128_si256( \
	_mm_loadu_si128((const __m128i *)(ls)->half[j]))

/* Table j's buckets for each byte of x (nibble mask nib). */
#define LITSCAN_LOOK2(lo, hi, x, nib) _mm256_and_si256( \
	_mm256_shuffle_epi8(lo, _mm256_and_si256(x, nib)), \
	_mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)))

/*
 * The places that may hold a probe and begin at each of the 32 positions
 * from q (three bytes more readable there): a bit each to m, and their
 * buckets' bits to bits[].  The tables come named, so that they stay in
 * registers.
 */
#define LITSCAN_BLOCK2(q, bits, m) do {					\
	const __m256i	nib_ = _mm256_set1_epi8(0x0f);			\
	__m256i		r_ = _mm256_and_si256(_mm256_and_si256(		\
	    LITSCAN_LOOK2(lo0, hi0, _mm256_loadu_si256(			\
	    (const __m256i *)(q)), nib_),					\
	    LITSCAN_LOOK2(lo1, hi1, _mm256_loadu_si256(			\
	    (const __m256i *)((q) + 1)), nib_)),				\
	    _mm256_and_si256(LITSCAN_LOOK2(lo2, hi2, _mm256_loadu_si256(	\
	    (const __m256i *)((q) + 2)), nib_),				\
	    LITSCAN_LOOK2(lo3, hi3, _mm256_loadu_si256(			\
	    (const __m256i *)((q) + 3)), nib_)));				\
									\
	(m) = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(r_,	\
	    _mm256_setzero_si256()));					\
	if ((m) != 0)							\
		_mm256_storeu_si256((__m256i *)(bits), r_);		\
} while (0)

/*
 * litscan_scan with AVX2, 32 places a block, each from its first byte
 * (four loads a block); the last blocks from a zeroed copy.
 */
LITSCAN_TARGET2 static int
litscan_scan_avx2(const struct litscan *ls, const char *p, size_t len,
    litscan_found cb, void *arg)
{
	const __m256i	lo0 = LITSCAN_TABLE2(ls, lo, 0);
	const __m256i	lo1 = LITSCAN_TABLE2(ls, lo, 1);
	const __m256i	lo2 = LITSCAN_TABLE2(ls, lo, 2);
	const __m256i	lo3 = LITSCAN_TABLE2(ls, lo, 3);
	const __m256i	hi0 = LITSCAN_TABLE2(ls, hi, 0);
	const __m256i	hi1 = LITSCAN_TABLE2(ls, hi, 1);
	const __m256i	hi2 = LITSCAN_TABLE2(ls, hi, 2);
	const __m256i	hi3 = LITSCAN_TABLE2(ls, hi, 3);
	uint8_t		bits[LITSCAN_WIDTH2];
	char		pad[LITSCAN_PAD];
	uint32_t	m;
	size_t		i, n;

	for (i = 0; i + LITSCAN_PAD <= len; i += LITSCAN_WIDTH2) {
		LITSCAN_BLOCK2(p + i, bits, m);
		if (m != 0 && litscan_hits(ls, p, len, i + ls->k, m, bits,
		    cb, arg) != 0)
			return (1);
	}
	for (; i + ls->k <= len; i += LITSCAN_WIDTH2) {	/* the last, copied */
		n = len - i < sizeof pad ? len - i : sizeof pad;
		memset(pad, 0, sizeof pad);
		memcpy(pad, p + i, n);
		LITSCAN_BLOCK2(pad, bits, m);
		if (m != 0 && litscan_hits(ls, p, len, i + ls->k, m, bits,
		    cb, arg) != 0)
			return (1);
	}
	return (0);
}
#endif

/*
 * Report every literal in p[0, len), in order of their ends, to cb;
 * returns 1 if cb stopped the scan.
 */
int
litscan_scan(const struct litscan *ls, const char *p, size_t len,
    litscan_found cb, void *arg)
{
#ifdef LITSCAN_X86
	if (ls->simd == LITSCAN_SIMD_AVX512)
		return (litscan_scan_avx512(ls, p, len, cb, arg));
	return (litscan_scan_avx2(ls, p, len, cb, arg));
#else
	(void)ls;
	(void)p;
	(void)len;
	(void)cb;
	(void)arg;
	return (0);	/* never built */
#endif
}
