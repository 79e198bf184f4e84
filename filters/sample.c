/*
 * The sampled-gram first stage for long literals (see sample.h).  With
 * 100,000 keys of CJK text a literal automaton looks at every byte and
 * finds a possible key nearly everywhere; here a scan hashes one gram per
 * SAMPLE_STEP bytes and tests three bits of one 64-bit word of a bitmap
 * of at least 16 bits a gram, rounded up to a power of two (2 MiB for
 * 100,000 keys: larger than L2, yet one word read a gram, and about one
 * gram in 250 costs the second look; two bits in 32 a gram let one in 180
 * through from twice the memory, 3% slower in all, and one bit one in
 * 46).  Where all three bits are set, a byte map indexed by another hash
 * tells at which of the SAMPLE_STEP offsets a key may hold the gram; only
 * those places are looked up in the key table.  The text is folded only
 * if a key is caseless: folding costs a third of the scan.
 *
 * Words are read with memcpy, so any alignment will do; the mask that
 * keeps a word's first SAMPLE_GRAM bytes follows the byte order.  On
 * x86-64 machines with AVX-512 (F, DQ and VBMI: asked at start) a batch of
 * eight grams is one 64-byte load, a byte permutation and two multiplies
 * instead of eight of each; with AVX2, two sets of four, the 64-bit
 * multiplies made of 32-bit ones.  The bitmap words are then read by
 * plain loads of the indexes stored, not by a gather instruction: on
 * this Zen 4 the gather took 27-31 ms for the 1.9 million batches of
 * 105 MB (text in L2, a 4 MiB bitmap) and the loads 18-22.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SAMPLE_AVX512
#define SAMPLE_TARGET \
	__attribute__((target("avx512f,avx512dq,avx512vbmi")))
#define SAMPLE_TARGET2	__attribute__((target("avx2")))
#endif

#include "fold.h"
#include "sample.h"
#include "xmalloc.h"

#define SAMPLE_BITS_PER_GRAM	16
#define SAMPLE_BATCH		8	/* grams looked up together */
#define SAMPLE_AHEAD		8	/* keys hashed ahead when indexing */
#define SAMPLE_BITS_MIN_LOG	12
#define SAMPLE_BITS_MAX_LOG	28	/* a 32 MiB bitmap at most */
#define SAMPLE_HUGE_MIN		((size_t)1 << 20)	/* bytes: tables in huge pages */
#define SAMPLE_WORD_SHIFT	(64 - (SAMPLE_BITS_MAX_LOG - 6))

/*
 * A gram's hash and the three bits of its bitmap word, as every way of
 * doing a batch (scalar, AVX2, AVX-512) computes them: the gram word
 * times SAMPLE_GRAM_MUL; its word from bit SAMPLE_WORD_SHIFT up; the bits
 * from the hash times SAMPLE_BITS_MUL, at SAMPLE_BIT1, SAMPLE_BIT2 and
 * SAMPLE_BIT3.
 */
#define SAMPLE_GRAM_MUL		0x9e3779b97f4a7c15ull
#define SAMPLE_BITS_MUL		0xd6e8feb86659fd93ull
#define SAMPLE_BIT1		58
#define SAMPLE_BIT2		52
#define SAMPLE_BIT3		46

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SAMPLE_GRAM_MASK	0x0000ffffffffffffull
#else
#define SAMPLE_GRAM_MASK	0xffffffffffff0000ull
#endif

struct sample_key {
	const char	*s;
	uint32_t	 id;
	int		 caseless;
};

/* An entry of the key table: a look at one reads both halves. */
struct sample_slot {
	uint32_t	 key;		/* key index + 1, 0 empty */
	uint32_t	 tag;		/* low bits of the key's hash */
};

struct sample {
	struct sample_key *keys;
	size_t		 nkeys;
	size_t		 cap;
	uint64_t	*bits;		/* grams' hashes */
	unsigned	 bits_log;
	uint64_t	 word_mask;	/* its words: 2^(bits_log - 6) - 1 */
	uint8_t		*offs;		/* by more of the hash: their offsets */
	unsigned	 offs_log;
	struct sample_slot *slot;	/* key table */
	unsigned	 table_log;
	int		 fold;		/* a key is caseless: hash folded */
	size_t		 memlen;	/* the four tables' bytes */
};

/* Eight bytes at p as a word. */
static inline uint64_t
sample_load8(const char *p)
{
	uint64_t	w;

	memcpy(&w, p, sizeof w);
	return (w);
}

/* The gram at p (SAMPLE_GRAM bytes; n readable from p) as a word. */
static inline uint64_t
sample_gram_at(const char *p, size_t n)
{
	char	b[8] = { 0 };

	if (n >= sizeof b)
		return (sample_load8(p) & SAMPLE_GRAM_MASK);
	memcpy(b, p, SAMPLE_GRAM);
	return (sample_load8(b) & SAMPLE_GRAM_MASK);
}

/*
 * Gram j of the key at s (SAMPLE_KEY bytes) as a word: a load of the 8
 * bytes there, or for the last grams, of the key's last 8 bytes shifted,
 * never reading past the key nor through a buffer on the stack (whose
 * narrower stores an 8-byte load waits for, behind every store before
 * them: half of sample_fill's time when it did).
 */
static inline uint64_t
sample_key_gram(const char *s, size_t j)
{
	size_t	last = SAMPLE_KEY - 8;

	if (j <= last)
		return (sample_load8(s + j) & SAMPLE_GRAM_MASK);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return ((sample_load8(s + last) >> 8 * (j - last)) & SAMPLE_GRAM_MASK);
#else
	return ((sample_load8(s + last) << 8 * (j - last)) & SAMPLE_GRAM_MASK);
#endif
}

/* A word of text, folded if any key is caseless (fold is constant). */
static inline uint64_t
sample_fold(uint64_t w, int fold)
{
	return (fold ? fold_word(w) : w);
}

/* The hash of the gram word g: bitmap bit in the top bits_log bits. */
static inline uint64_t
sample_gram_hash(uint64_t g, int fold)
{
	return (sample_fold(g, fold) * SAMPLE_GRAM_MUL);
}

/*
 * The bitmap's word for gram hash h: bits_log - 6 bits from bit
 * SAMPLE_WORD_SHIFT up (fixed shifts are cheaper than ones by a count in
 * a register), which depend on every bit of the gram.
 */
static inline size_t
sample_word(const struct sample *sm, uint64_t h)
{
	return ((size_t)(h >> SAMPLE_WORD_SHIFT) & sm->word_mask);
}

/* The three bits of that word for h: from a second hash's top 18 bits. */
static inline uint64_t
sample_mask(uint64_t h)
{
	h *= SAMPLE_BITS_MUL;
	return ((uint64_t)1 << (h >> SAMPLE_BIT1) |
	    (uint64_t)1 << ((h >> SAMPLE_BIT2) & 63) |
	    (uint64_t)1 << ((h >> SAMPLE_BIT3) & 63));
}

/* Are all three bits of gram hash h set in the bitmap? */
static inline int
sample_bit(const struct sample *sm, uint64_t h)
{
	uint64_t	mask = sample_mask(h);

	return ((sm->bits[sample_word(sm, h)] & mask) == mask);
}

/* The entry of gram hash h in the offsets map (a hash of its own). */
static inline size_t
sample_off(const struct sample *sm, uint64_t h)
{
	return ((size_t)((h * 0xc2b2ae3d27d4eb4full) >> (64 - sm->offs_log)));
}

/* The hash of the SAMPLE_KEY bytes at p (folded as sample_fold). */
static inline uint64_t
sample_key_hash(const char *p, int fold)
{
	uint64_t	a = sample_fold(sample_load8(p), fold);
	uint64_t	b = sample_fold(sample_load8(p + SAMPLE_KEY - 8), fold);
	uint64_t	h;

	h = a * 0xc2b2ae3d27d4eb4full ^ (b + 0x165667b19e3779f9ull) *
	    0x9e3779b97f4a7c15ull;
	return (h ^ (h >> 31));
}

/* A sampler with no key yet, with room for nkeys of them. */
struct sample *
sample_new(size_t nkeys)
{
	struct sample	*sm = xcalloc(1, sizeof *sm);

	sm->cap = nkeys != 0 ? nkeys : 64;
	sm->keys = xreallocarray(NULL, sm->cap, sizeof *sm->keys);
	return (sm);
}

/*
 * Add a key: the SAMPLE_KEY bytes at s, which must outlive the sampler,
 * reported with id.
 */
void
sample_add(struct sample *sm, const char *s, int caseless, uint32_t id)
{
	if (sm->nkeys == sm->cap) {
		sm->cap = sm->cap != 0 ? sm->cap * 2 : 64;
		sm->keys = xreallocarray(sm->keys, sm->cap, sizeof *sm->keys);
	}
	sm->keys[sm->nkeys].s = s;
	sm->keys[sm->nkeys].id = id;
	sm->keys[sm->nkeys++].caseless = caseless;
}

/* A key's hashes, computed ahead of their use (sample_fill). */
struct sample_hashes {
	uint64_t	gram[SAMPLE_STEP];
	uint64_t	key;
};

/* Hash key k and ask for the memory its entries go to. */
static void
sample_hash_key(const struct sample *sm, size_t k, struct sample_hashes *hs)
{
	const char	*s = sm->keys[k].s;
	size_t		 j;

	for (j = 0; j < SAMPLE_STEP; j++) {
		hs->gram[j] = sample_gram_hash(sample_key_gram(s, j),
		    sm->fold);
		__builtin_prefetch(&sm->bits[sample_word(sm, hs->gram[j])],
		    1);
		__builtin_prefetch(&sm->offs[sample_off(sm, hs->gram[j])], 1);
	}
	hs->key = sample_key_hash(s, sm->fold);
	__builtin_prefetch(&sm->slot[hs->key >> (64 - sm->table_log)], 1);
}

/* Put key k's grams in the bitmap and the key in the table. */
static void
sample_index(struct sample *sm, size_t k, const struct sample_hashes *hs)
{
	uint64_t	mask = ((uint64_t)1 << sm->table_log) - 1;
	size_t		j;

	for (j = 0; j < SAMPLE_STEP; j++) {
		sm->bits[sample_word(sm, hs->gram[j])] |= sample_mask(
		    hs->gram[j]);
		sm->offs[sample_off(sm, hs->gram[j])] |= (uint8_t)(1 << j);
	}
	for (j = hs->key >> (64 - sm->table_log); sm->slot[j].key != 0;
	    j = (j + 1) & mask)
		;
	sm->slot[j].key = (uint32_t)k + 1;
	sm->slot[j].tag = (uint32_t)hs->key;
}

/*
 * Index every key.  The entries are scattered over a few MiB, so the
 * keys are hashed SAMPLE_AHEAD ahead of their insertion, with their
 * memory prefetched, and their text prefetched further ahead still
 * (100,000 keys: scrubd -t in 52 ms of CPU instead of 71).
 */
static void
sample_fill(struct sample *sm)
{
	struct sample_hashes	ring[SAMPLE_AHEAD];
	size_t			k;

	for (k = 0; k < sm->nkeys + SAMPLE_AHEAD; k++) {
		if (k + 2 * SAMPLE_AHEAD < sm->nkeys)
			__builtin_prefetch(sm->keys[k + 2 * SAMPLE_AHEAD].s, 0);
		if (k >= SAMPLE_AHEAD)
			sample_index(sm, k - SAMPLE_AHEAD,
			    &ring[(k - SAMPLE_AHEAD) % SAMPLE_AHEAD]);
		if (k < sm->nkeys)
			sample_hash_key(sm, k, &ring[k % SAMPLE_AHEAD]);
	}
}

/*
 * The four tables, zeroed, in one allocation: for a large sampler, huge
 * pages (xhuge_zeroed: 100,000 keys take 5 MiB, read at random by every
 * scan); a small one, from malloc.
 */
static void
sample_tables(struct sample *sm)
{
	size_t	nbits = ((size_t)1 << (sm->bits_log - 6)) * sizeof *sm->bits;
	size_t	noffs = (size_t)1 << sm->offs_log;
	size_t	nslot = ((size_t)1 << sm->table_log) * sizeof *sm->slot;
	char	*p;

	sm->memlen = nbits + noffs + nslot;
	if (sm->memlen >= SAMPLE_HUGE_MIN)
		p = xhuge_zeroed(sm->memlen);
	else
		p = xcalloc(1, sm->memlen);
	sm->bits = (uint64_t *)(void *)p;
	sm->slot = (struct sample_slot *)(void *)(p + nbits);
	sm->offs = (uint8_t *)(p + nbits + nslot);
}

/*
 * Size the bitmap (SAMPLE_BITS_PER_GRAM bits a gram), the offsets map (a
 * thirty-second of its entries) and the table (twice the keys) to the keys
 * added, and fill them.
 */
void
sample_build(struct sample *sm)
{
	size_t	k, want;

	for (k = 0; k < sm->nkeys; k++)
		sm->fold |= sm->keys[k].caseless;
	sm->bits_log = SAMPLE_BITS_MIN_LOG;
	want = sm->nkeys * SAMPLE_STEP * SAMPLE_BITS_PER_GRAM;
	while (sm->bits_log < SAMPLE_BITS_MAX_LOG &&
	    ((size_t)1 << sm->bits_log) < want)
		sm->bits_log++;
	sm->word_mask = ((uint64_t)1 << (sm->bits_log - 6)) - 1;
	sm->offs_log = sm->bits_log - 5;	/* fewer pages: no slower */
	sm->table_log = 4;
	while (((size_t)1 << sm->table_log) < 2 * sm->nkeys)
		sm->table_log++;
	sample_tables(sm);
	sample_fill(sm);
}

/* Number of keys. */
size_t
sample_count(const struct sample *sm)
{
	return (sm != NULL ? sm->nkeys : 0);
}

/* Report every key that begins at p (SAMPLE_KEY bytes there); 1: stop. */
static int
sample_check(const struct sample *sm, const char *p, size_t at,
    sample_found cb, void *arg)
{
	const struct sample_key	*k;
	uint64_t		 h = sample_key_hash(p + at, sm->fold);
	uint64_t		 mask = ((uint64_t)1 << sm->table_log) - 1;
	size_t			 j;

	for (j = h >> (64 - sm->table_log); sm->slot[j].key != 0;
	    j = (j + 1) & mask) {
		if (sm->slot[j].tag != (uint32_t)h)
			continue;
		k = &sm->keys[sm->slot[j].key - 1];
		if (fold_cmp(p + at, k->s, SAMPLE_KEY, k->caseless) == 0 &&
		    cb(k->id, at + SAMPLE_KEY, arg) != 0)
			return (1);
	}
	return (0);
}

/*
 * The gram at i, of hash h, has its bit set: check the places a key
 * holding it could begin (those its offsets allow), in order; 1: stop.
 */
static int
sample_hit(const struct sample *sm, const char *p, size_t len, size_t i,
    uint64_t h, sample_found cb, void *arg)
{
	unsigned	offs = sm->offs[sample_off(sm, h)];
	size_t		j = SAMPLE_STEP;

	if (offs == 0)
		return (0);
	while (j-- > 0) {
		if ((offs & (1u << j)) == 0 || j > i ||
		    i - j + SAMPLE_KEY > len)
			continue;
		if (sample_check(sm, p, i - j, cb, arg) != 0)
			return (1);
	}
	return (0);
}

/*
 * Look up SAMPLE_BATCH grams from i, SAMPLE_STEP apart (8 bytes readable
 * at each): the loads overlap.  Returns a bit per gram whose bit is set.
 */
static inline unsigned
sample_batch(const struct sample *sm, const char *p, size_t i, int fold)
{
	unsigned	m = 0, k;

#pragma GCC unroll 8
	for (k = 0; k < SAMPLE_BATCH; k++)
		m |= (unsigned)sample_bit(sm, sample_gram_hash(sample_gram_at(
		    p + i + k * SAMPLE_STEP, 8), fold)) << k;
	return (m);
}

/* Check the grams of a batch whose bits are set; 1: stop. */
static int
sample_batch_hits(const struct sample *sm, const char *p, size_t len,
    size_t i, unsigned m, sample_found cb, void *arg)
{
	size_t		at;
	unsigned	k;

	for (k = 0; m != 0; k++, m >>= 1) {
		at = i + k * SAMPLE_STEP;
		if ((m & 1) != 0 && sample_hit(sm, p, len, at,
		    sample_gram_hash(sample_gram_at(p + at, 8), sm->fold), cb,
		    arg) != 0)
			return (1);
	}
	return (0);
}

/*
 * A function, with attributes attr, running every whole batch of a scan
 * with batch (fold constant, so that each case has a loop of its own);
 * it returns where they end, or SIZE_MAX if cb stopped.  One loop for
 * every way of doing a batch: each must be inlined into a loop compiled
 * for its own instruction set.
 */
#define SAMPLE_BATCHES(attr, name, batch)				\
static attr size_t							\
name(const struct sample *sm, const char *p, size_t len,		\
    sample_found cb, void *arg, int fold)				\
{									\
	const size_t	span = SAMPLE_BATCH * SAMPLE_STEP;		\
	unsigned	m;						\
	size_t		i;						\
									\
	for (i = 0; i + span + 8 <= len; i += span)			\
		if ((m = batch(sm, p, i, fold)) != 0 &&			\
		    sample_batch_hits(sm, p, len, i, m, cb, arg) != 0)	\
			return (SIZE_MAX);				\
	return (i);							\
}

/* The whole batches of a scan, one gram at a time. */
SAMPLE_BATCHES(inline, sample_batches, sample_batch)

#ifdef SAMPLE_AVX512
/* The batches used: SAMPLE_SIMD_* (set before main, see sample_init). */
enum { SAMPLE_SIMD_NONE, SAMPLE_SIMD_AVX2, SAMPLE_SIMD_AVX512 };
static int	sample_simd;

/* The low 64 bits of a * b, lane by lane (AVX2 has no such multiply). */
SAMPLE_TARGET2 static inline __m256i
sample_mul64_avx2(__m256i a, __m256i b)
{
	__m256i	cross;

	cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(a, 32), b),
	    _mm256_mul_epu32(a, _mm256_srli_epi64(b, 32)));
	return (_mm256_add_epi64(_mm256_mul_epu32(a, b),
	    _mm256_slli_epi64(cross, 32)));
}

/* Four grams from q (SAMPLE_STEP apart), looked up as sample_batch does. */
SAMPLE_TARGET2 static inline unsigned
sample_quad_avx2(const struct sample *sm, const char *q, int fold)
{
	const __m256i	take = _mm256_setr_epi8(
	    0, 1, 2, 3, 4, 5, -1, -1, 7, 8, 9, 10, 11, 12, -1, -1,
	    0, 1, 2, 3, 4, 5, -1, -1, 7, 8, 9, 10, 11, 12, -1, -1);
	const __m256i	ones = _mm256_set1_epi64x(1);
	uint64_t	ix[4] __attribute__((aligned(32)));
	__m256i		g, low, h, w, m;

	/* Grams 0 and 1 in the low 16 bytes, 2 and 3 in the high ones. */
	g = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(
	    _mm_loadu_si128((const __m128i *)q)), _mm_loadu_si128(
	    (const __m128i *)(q + 2 * SAMPLE_STEP)), 1), take);
	if (fold) {	/* fold_word, lane by lane */
		low = _mm256_and_si256(g, _mm256_set1_epi8(0x7f));
		m = _mm256_andnot_si256(_mm256_add_epi64(low,
		    _mm256_set1_epi8(0x80 - 'Z' - 1)), _mm256_add_epi64(low,
		    _mm256_set1_epi8(0x80 - 'A')));
		m = _mm256_and_si256(_mm256_andnot_si256(g, m),
		    _mm256_set1_epi8((char)0x80));
		g = _mm256_or_si256(g, _mm256_srli_epi64(m, 2));
	}
	h = sample_mul64_avx2(g, _mm256_set1_epi64x((long long)
	    SAMPLE_GRAM_MUL));
	_mm256_store_si256((__m256i *)ix, _mm256_and_si256(_mm256_srli_epi64(h,
	    SAMPLE_WORD_SHIFT), _mm256_set1_epi64x((long long)sm->word_mask)));
	w = _mm256_setr_epi64x((long long)sm->bits[ix[0]],
	    (long long)sm->bits[ix[1]], (long long)sm->bits[ix[2]],
	    (long long)sm->bits[ix[3]]);
	h = sample_mul64_avx2(h, _mm256_set1_epi64x((long long)
	    SAMPLE_BITS_MUL));
	m = _mm256_or_si256(_mm256_sllv_epi64(ones, _mm256_srli_epi64(h,
	    SAMPLE_BIT1)), _mm256_sllv_epi64(ones, _mm256_and_si256(
	    _mm256_srli_epi64(h, SAMPLE_BIT2), _mm256_set1_epi64x(63))));
	m = _mm256_or_si256(m, _mm256_sllv_epi64(ones, _mm256_and_si256(
	    _mm256_srli_epi64(h, SAMPLE_BIT3), _mm256_set1_epi64x(63))));
	return ((unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(
	    _mm256_cmpeq_epi64(_mm256_and_si256(w, m), m))));
}

/* sample_batch with AVX2: two sets of four grams. */
SAMPLE_TARGET2 static inline unsigned
sample_batch_avx2(const struct sample *sm, const char *p, size_t i,
    int fold)
{
	return (sample_quad_avx2(sm, p + i, fold) |
	    sample_quad_avx2(sm, p + i + 4 * SAMPLE_STEP, fold) << 4);
}

/* The whole batches of a scan with sample_batch_avx2. */
SAMPLE_BATCHES(SAMPLE_TARGET2, sample_batches_avx2, sample_batch_avx2)

/* sample_batch with AVX-512: the same grams, hashes and bits, 8 at once. */
SAMPLE_TARGET static inline unsigned
sample_batch_avx512(const struct sample *sm, const char *p, size_t i,
    int fold)
{
	static const uint8_t	grams[64] = {
		 0,  1,  2,  3,  4,  5, 0, 0,   7,  8,  9, 10, 11, 12, 0, 0,
		14, 15, 16, 17, 18, 19, 0, 0,  21, 22, 23, 24, 25, 26, 0, 0,
		28, 29, 30, 31, 32, 33, 0, 0,  35, 36, 37, 38, 39, 40, 0, 0,
		42, 43, 44, 45, 46, 47, 0, 0,  49, 50, 51, 52, 53, 54, 0, 0,
	};
	const __m512i	ones = _mm512_set1_epi64(1);
	uint64_t	ix[8] __attribute__((aligned(64)));
	__m512i		g, low, h, w, m;

	/* Each 64-bit lane: a gram of SAMPLE_GRAM bytes, SAMPLE_STEP apart. */
	g = _mm512_maskz_permutexvar_epi8(0x3f3f3f3f3f3f3f3full,
	    _mm512_loadu_si512(grams), _mm512_loadu_si512(p + i));
	if (fold) {	/* fold_word, lane by lane */
		low = _mm512_and_si512(g, _mm512_set1_epi8(0x7f));
		m = _mm512_andnot_si512(_mm512_add_epi64(low,
		    _mm512_set1_epi8(0x80 - 'Z' - 1)), _mm512_add_epi64(low,
		    _mm512_set1_epi8(0x80 - 'A')));
		m = _mm512_and_si512(_mm512_andnot_si512(g, m),
		    _mm512_set1_epi8((char)0x80));
		g = _mm512_or_si512(g, _mm512_srli_epi64(m, 2));
	}
	h = _mm512_mullo_epi64(g, _mm512_set1_epi64((long long)
	    SAMPLE_GRAM_MUL));
	_mm512_store_si512(ix, _mm512_and_si512(_mm512_srli_epi64(h,
	    SAMPLE_WORD_SHIFT), _mm512_set1_epi64((long long)sm->word_mask)));
	w = _mm512_setr_epi64((long long)sm->bits[ix[0]],
	    (long long)sm->bits[ix[1]], (long long)sm->bits[ix[2]],
	    (long long)sm->bits[ix[3]], (long long)sm->bits[ix[4]],
	    (long long)sm->bits[ix[5]], (long long)sm->bits[ix[6]],
	    (long long)sm->bits[ix[7]]);
	h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)
	    SAMPLE_BITS_MUL));
	m = _mm512_or_si512(_mm512_sllv_epi64(ones, _mm512_srli_epi64(h,
	    SAMPLE_BIT1)), _mm512_sllv_epi64(ones, _mm512_and_si512(
	    _mm512_srli_epi64(h, SAMPLE_BIT2), _mm512_set1_epi64(63))));
	m = _mm512_or_si512(m, _mm512_sllv_epi64(ones, _mm512_and_si512(
	    _mm512_srli_epi64(h, SAMPLE_BIT3), _mm512_set1_epi64(63))));
	return (_mm512_cmpeq_epi64_mask(_mm512_and_si512(w, m), m));
}

/* The whole batches of a scan with sample_batch_avx512. */
SAMPLE_BATCHES(SAMPLE_TARGET, sample_batches_avx512, sample_batch_avx512)

/* The best batches this CPU has: SAMPLE_SIMD_*. */
static int
sample_simd_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vbmi"))
		return (SAMPLE_SIMD_AVX512);
	if (__builtin_cpu_supports("avx2"))
		return (SAMPLE_SIMD_AVX2);
	return (SAMPLE_SIMD_NONE);
}

/* Ask once, before main (and any thread), which batches this CPU takes. */
__attribute__((constructor)) static void
sample_init(void)
{
	sample_simd = sample_simd_best();
}
#endif

/*
 * For the tests: use the batches of level (0 scalar, 1 AVX2, 2 AVX-512)
 * or, where this CPU (or compiler) has not that, the best below it;
 * returns the level before.
 */
int
sample_set_simd(int level)
{
#ifdef SAMPLE_AVX512
	int	was, best = sample_simd_best();

	was = sample_simd;
	sample_simd = level < best ? level : best;
	return (was);
#else
	(void)level;
	return (0);
#endif
}

/* The whole batches of a scan, the fastest way this CPU has. */
static size_t
sample_batches_best(const struct sample *sm, const char *p, size_t len,
    sample_found cb, void *arg)
{
#ifdef SAMPLE_AVX512
	if (sample_simd == SAMPLE_SIMD_AVX512)
		return (sm->fold ? sample_batches_avx512(sm, p, len, cb, arg, 1) :
		    sample_batches_avx512(sm, p, len, cb, arg, 0));
	if (sample_simd == SAMPLE_SIMD_AVX2)
		return (sm->fold ? sample_batches_avx2(sm, p, len, cb, arg, 1) :
		    sample_batches_avx2(sm, p, len, cb, arg, 0));
#endif
	return (sm->fold ? sample_batches(sm, p, len, cb, arg, 1) :
	    sample_batches(sm, p, len, cb, arg, 0));
}

/*
 * Report every key in p[0, len), in order of their ends, to cb; returns
 * 1 if cb stopped the scan.
 */
int
sample_scan(const struct sample *sm, const char *p, size_t len,
    sample_found cb, void *arg)
{
	uint64_t	h;
	size_t		i;

	if (sm->nkeys == 0 || len < SAMPLE_KEY)
		return (0);
	if ((i = sample_batches_best(sm, p, len, cb, arg)) == SIZE_MAX)
		return (1);
	for (; i + SAMPLE_GRAM <= len; i += SAMPLE_STEP) {
		h = sample_gram_hash(sample_gram_at(p + i, len - i), sm->fold);
		if (sample_bit(sm, h) &&
		    sample_hit(sm, p, len, i, h, cb, arg) != 0)
			return (1);
	}
	return (0);
}

/* Free a sampler (not the keys' bytes). */
void
sample_free(struct sample *sm)
{
	if (sm == NULL)
		return;
	free(sm->keys);
	if (sm->memlen >= SAMPLE_HUGE_MIN)
		xhuge_free(sm->bits, sm->memlen);
	else
		free(sm->bits);
	free(sm);
}
