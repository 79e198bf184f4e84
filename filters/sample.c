/*
 * The sampled-gram first stage for long literals (see sample.h).  With
 * 100,000 keys of CJK text a literal automaton looks at every byte and
 * finds a possible key nearly everywhere; here a scan hashes one gram per
 * SAMPLE_STEP bytes and tests three bits of one 64-bit word of a bitmap
 * of at least 16 bits a gram, rounded up to a power of two.  A probe
 * reads the gram at the start of its character, so a key of four CJK
 * characters has 3 grams, not 7 (one at each byte a probe could land
 * on): 100,000 such keys fill a bitmap of 1 MiB instead of 2, which stays
 * in L2, with fewer bits set (on this project's Intel VM, for the
 * benchmark's 105 MB, the key table was looked up 26,000 times instead
 * of 91,000, and the scan alone, with the gather below, took 21 ms
 * instead of 34-36).  Where all three bits are set, a byte map indexed by
 * another hash tells at which of the SAMPLE_STEP offsets a key may hold
 * the gram; only those places are looked up in the key table, a queue of
 * them at a time (sample_hit).  The text is folded only if a key is
 * caseless: folding costs a third of the scan.
 *
 * Words are read with memcpy, so any alignment will do; the mask that
 * keeps a word's first SAMPLE_GRAM bytes follows the byte order.  On
 * x86-64 machines with AVX-512 (F, DQ, BW and VBMI, and BMI2: asked at
 * start) a batch of eight probes is one 64-byte load, a byte permutation
 * and two multiplies instead of eight of each; with AVX2, two sets of
 * four, the 64-bit multiplies made of 32-bit ones.  With AVX-512 the
 * bitmap words are read by a gather instruction or by plain loads of the
 * indexes stored, whichever the process's first sampler finds faster
 * (sample_gather_pick): on a Zen 4 the gather took 27-31 ms for the 1.9
 * million batches of 105 MB and the loads 18-22; on an Intel VM the
 * gather made the batches a third faster.  When every key has a gram at
 * each offset (no continuation byte among its bytes 1 to 6, as in ASCII
 * keys), probes do not move to character starts: the batches skip that
 * work (SAMPLE_HOW_SNAP).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SAMPLE_AVX512
#define SAMPLE_TARGET \
	__attribute__((target("avx512f,avx512dq,avx512bw,avx512vbmi,bmi2")))
#define SAMPLE_TARGET2	__attribute__((target("avx2")))
#endif

#include "fold.h"
#include "log.h"
#include "sample.h"
#include "utf8.h"
#include "xmalloc.h"

#define SAMPLE_BITS_PER_GRAM	16
#define SAMPLE_BATCH		8	/* grams looked up together */
#define SAMPLE_AHEAD		8	/* keys hashed ahead when indexing */
#define SAMPLE_BITS_MIN_LOG	12
#define SAMPLE_BITS_MAX_LOG	28	/* a 32 MiB bitmap at most */
#define SAMPLE_SNAP		3	/* bytes a probe moves back at most */
#define SAMPLE_ALL_GRAMS	((1u << SAMPLE_STEP) - 1)
#define SAMPLE_CALIBRATE	3	/* passes of each way, timed */
#define SAMPLE_CALIBRATE_LEN	(64 * 1024)	/* bytes of each pass */
#define SAMPLE_HUGE_MIN		((size_t)1 << 20)	/* bytes: tables in huge pages */
#define SAMPLE_WORD_SHIFT	(64 - (SAMPLE_BITS_MAX_LOG - 6))

/* How a scan's batches are made (a constant in each loop). */
#define SAMPLE_HOW_FOLD		1	/* fold ASCII letters */
#define SAMPLE_HOW_SNAP		2	/* probes move to character starts */

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
	uint8_t		 caseless;
	uint8_t		 grams;		/* bit j: a gram at key offset j */
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
	int		 snap;		/* a key lacks a gram: probes snap */
	int		 gather;	/* AVX-512: words by a gather */
	size_t		 memlen;	/* the four tables' bytes */
};

static int	sample_gather_pick(const struct sample *);
static int	sample_gather_mode = -1;	/* sample_set_gather */
static int	sample_gather_timed = -1;	/* the process's choice */

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
 * Where the probe at r of p reads its gram: r, or the start of the
 * character it falls in, SAMPLE_SNAP bytes back at most, never before p.
 * A key begins a character, so within an occurrence of one this reads
 * only the key's own bytes: the text's snap and the key's agree.
 */
static inline size_t
sample_snap(const char *p, size_t r)
{
	size_t	k, lim = r < SAMPLE_SNAP ? r : SAMPLE_SNAP;

	for (k = 0; k < lim && utf8_cont((unsigned char)p[r - k]); k++)
		;
	return (r - k);
}

/*
 * Where the probe at r of p reads, for a sampler that snaps (snap) or
 * not: when every key has a gram at each of its first SAMPLE_STEP
 * offsets (no continuation byte among its bytes 1 to 6, as in ASCII
 * keys), a probe finds any where it is.
 */
static inline size_t
sample_at(const char *p, size_t r, int snap)
{
	return (snap ? sample_snap(p, r) : r);
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

/*
 * The offsets of the grams a probe can read in the key at s: where the
 * probes at its offsets 0 to SAMPLE_STEP - 1 snap to (0, 3 and 6 for
 * four CJK characters; every one for ASCII).  A key must begin a
 * character (phrases are valid UTF-8), or a probe could snap out of it.
 */
static uint8_t
sample_key_grams(const char *s)
{
	uint8_t	m = 0;
	size_t	j;

	if (utf8_cont((unsigned char)s[0]))
		fatalx("sample: a key begins inside a character");
	for (j = 0; j < SAMPLE_STEP; j++)
		m |= (uint8_t)(1u << sample_snap(s, j));
	return (m);
}

/* How many grams a key's mask has. */
static size_t
sample_ngrams(unsigned grams)
{
	size_t	n;

	for (n = 0; grams != 0; grams &= grams - 1)
		n++;
	return (n);
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
	sm->keys[sm->nkeys].caseless = caseless != 0;
	sm->keys[sm->nkeys++].grams = sample_key_grams(s);
}

/* A key's hashes, computed ahead of their use (sample_fill). */
struct sample_hashes {
	uint64_t	gram[SAMPLE_STEP];	/* those in grams */
	uint64_t	key;
	unsigned	grams;
};

/* Hash key k and ask for the memory its entries go to. */
static void
sample_hash_key(const struct sample *sm, size_t k, struct sample_hashes *hs)
{
	const char	*s = sm->keys[k].s;
	size_t		 j;

	hs->grams = sm->keys[k].grams;
	for (j = 0; j < SAMPLE_STEP; j++) {
		if ((hs->grams & (1u << j)) == 0)
			continue;
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
		if ((hs->grams & (1u << j)) == 0)
			continue;
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
	size_t	k, grams = 0, want;

	for (k = 0; k < sm->nkeys; k++) {
		sm->fold |= sm->keys[k].caseless;
		sm->snap |= sm->keys[k].grams != SAMPLE_ALL_GRAMS;
		grams += sample_ngrams(sm->keys[k].grams);
	}
	sm->bits_log = SAMPLE_BITS_MIN_LOG;
	want = grams * SAMPLE_BITS_PER_GRAM;
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
	sm->gather = sample_gather_pick(sm);
}

/* Number of keys. */
size_t
sample_count(const struct sample *sm)
{
	return (sm != NULL ? sm->nkeys : 0);
}

/*
 * Hits waiting for their second look: the table entries they read are
 * scattered over a few MiB, so each step asks for the memory of the next
 * one (SAMPLE_PENDING places at once) and uses it only when the queue is
 * full, instead of waiting for one miss after another.  Places go out in
 * the order they came in: keys found still go out in order of their ends.
 */
#define SAMPLE_PENDING	16

struct sample_queue {
	const char	*p;
	size_t		 len;
	sample_found	 cb;
	void		*arg;
	size_t		 ngram;
	size_t		 gram[SAMPLE_PENDING];		/* a gram's place */
	size_t		 probe[SAMPLE_PENDING];		/* the probe read it */
	uint64_t	 gram_h[SAMPLE_PENDING];	/* its hash */
	size_t		 nkey;
	size_t		 key[SAMPLE_PENDING * SAMPLE_STEP];	/* a key's */
	uint64_t	 key_h[SAMPLE_PENDING * SAMPLE_STEP];
};

/* Report every key that begins at `at` (its hash h); 1: stop. */
static int
sample_check(const struct sample *sm, const struct sample_queue *q,
    size_t at, uint64_t h)
{
	const struct sample_key	*k;
	uint64_t		 mask = ((uint64_t)1 << sm->table_log) - 1;
	size_t			 j;

	for (j = h >> (64 - sm->table_log); sm->slot[j].key != 0;
	    j = (j + 1) & mask) {
		if (sm->slot[j].tag != (uint32_t)h)
			continue;
		k = &sm->keys[sm->slot[j].key - 1];
		if (fold_cmp(q->p + at, k->s, SAMPLE_KEY, k->caseless) == 0 &&
		    q->cb(k->id, at + SAMPLE_KEY, q->arg) != 0)
			return (1);
	}
	return (0);
}

/* Look up the queued key places in the table; 1: stop. */
static int
sample_keys_flush(const struct sample *sm, struct sample_queue *q)
{
	size_t	i, n = q->nkey;

	q->nkey = 0;
	for (i = 0; i < n; i++)
		if (sample_check(sm, q, q->key[i], q->key_h[i]) != 0)
			return (1);
	return (0);
}

/*
 * The queued grams, their bits set: queue the places a key holding each
 * could begin (those its offsets allow, in order), asking for their
 * table entries, then look those up; 1: stop.  A probe at r looks only
 * for keys that begin in [r - SAMPLE_STEP + 1, r]: each key is found
 * once, by the one probe in its first SAMPLE_STEP bytes, whatever the
 * probes near it snap to, and keys still come in order of their ends.
 */
static int
sample_grams_flush(const struct sample *sm, struct sample_queue *q)
{
	unsigned	offs;
	size_t		g, i, j, at, lo;
	uint64_t	h;

	for (g = 0; g < q->ngram; g++) {
		i = q->gram[g];
		lo = q->probe[g] >= SAMPLE_STEP ? q->probe[g] - SAMPLE_STEP + 1 :
		    0;
		offs = sm->offs[sample_off(sm, q->gram_h[g])];
		for (j = SAMPLE_STEP; offs != 0 && j-- > 0;) {
			if ((offs & (1u << j)) == 0 || j > i || i - j < lo ||
			    i - j + SAMPLE_KEY > q->len)
				continue;
			at = i - j;
			h = sample_key_hash(q->p + at, sm->fold);
			__builtin_prefetch(&sm->slot[h >> (64 - sm->table_log)]);
			q->key[q->nkey] = at;
			q->key_h[q->nkey++] = h;
		}
	}
	q->ngram = 0;
	return (sample_keys_flush(sm, q));
}

/*
 * The gram at i, read by the probe at r, of hash h, has its bits set:
 * queue it, asking for its entry of the offsets map; 1: a full queue's
 * look stopped the scan.
 */
static inline int
sample_hit(const struct sample *sm, struct sample_queue *q, size_t r,
    size_t i, uint64_t h)
{
	__builtin_prefetch(&sm->offs[sample_off(sm, h)]);
	q->gram[q->ngram] = i;
	q->probe[q->ngram] = r;
	q->gram_h[q->ngram++] = h;
	return (q->ngram == SAMPLE_PENDING ? sample_grams_flush(sm, q) : 0);
}

/* An empty queue for a scan of p[0, len) reporting to cb. */
static void
sample_queue_start(struct sample_queue *q, const char *p, size_t len,
    sample_found cb, void *arg)
{
	q->p = p;
	q->len = len;
	q->cb = cb;
	q->arg = arg;
	q->ngram = q->nkey = 0;
}

/*
 * Look up the grams of SAMPLE_BATCH probes from i, SAMPLE_STEP apart
 * (SAMPLE_SNAP bytes readable before i, 8 after each): the loads
 * overlap.  Returns a bit per gram whose bits are set.
 */
static inline unsigned
sample_batch(const struct sample *sm, const char *p, size_t i, int how)
{
	unsigned	m = 0, k;

#pragma GCC unroll 8
	for (k = 0; k < SAMPLE_BATCH; k++)
		m |= (unsigned)sample_bit(sm, sample_gram_hash(sample_gram_at(
		    p + sample_at(p, i + k * SAMPLE_STEP, how & SAMPLE_HOW_SNAP),
		    8), how & SAMPLE_HOW_FOLD)) << k;
	return (m);
}

/* Queue the grams of a batch whose bits are set; 1: stop. */
static int
sample_batch_hits(const struct sample *sm, struct sample_queue *q, size_t i,
    unsigned m)
{
	size_t		r, at;
	unsigned	k;

	for (k = 0; m != 0; k++, m >>= 1) {
		if ((m & 1) == 0)
			continue;
		r = i + k * SAMPLE_STEP;
		at = sample_at(q->p, r, sm->snap);
		if (sample_hit(sm, q, r, at, sample_gram_hash(sample_gram_at(
		    q->p + at, 8), sm->fold)) != 0)
			return (1);
	}
	return (0);
}

/*
 * A function, with attributes attr, running every whole batch of a scan
 * with batch (how constant, so that each case has a loop of its own);
 * it returns where they end, or SIZE_MAX if cb stopped.  One loop for
 * every way of doing a batch: each must be inlined into a loop compiled
 * for its own instruction set.
 */
#define SAMPLE_BATCHES(attr, name, batch)				\
static attr size_t							\
name(const struct sample *sm, struct sample_queue *q, size_t from,	\
    int how)								\
{									\
	const size_t	 span = SAMPLE_BATCH * SAMPLE_STEP;		\
	const char	*p = q->p;					\
	size_t		 len = q->len, i;				\
	unsigned	 m;						\
									\
	for (i = from; i + span + 8 <= len; i += span)			\
		if ((m = batch(sm, p, i, how)) != 0 &&			\
		    sample_batch_hits(sm, q, i, m) != 0)		\
			return (SIZE_MAX);				\
	return (i);							\
}

/* The whole batches of a scan, one gram at a time. */
SAMPLE_BATCHES(inline, sample_batches, sample_batch)

/* Run the batches name with the sampler's `how`, a constant in each call. */
#define SAMPLE_RUN(name, sm, q, from)					\
	((sm)->fold && (sm)->snap ?					\
	    name(sm, q, from, SAMPLE_HOW_FOLD | SAMPLE_HOW_SNAP) :	\
	(sm)->fold ? name(sm, q, from, SAMPLE_HOW_FOLD) :		\
	(sm)->snap ? name(sm, q, from, SAMPLE_HOW_SNAP) :		\
	name(sm, q, from, 0))

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

/*
 * How far each lane's probe snaps back (sample_snap), from flags of the
 * bytes before it in the lane's first three bytes (0xff: continuation,
 * probe first), as that count in every byte of the lane: the ones before
 * the first zero, summed as b0 + b0 b1 + b0 b1 b2.
 */
SAMPLE_TARGET2 static inline __m256i
sample_snaps_avx2(__m256i cont)
{
	const __m256i	bcast = _mm256_setr_epi8(
	    0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8,
	    0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8);
	__m256i		y, p1, p2;

	y = _mm256_and_si256(cont, _mm256_set1_epi64x(0x010101));
	p1 = _mm256_and_si256(y, _mm256_srli_epi64(y, 8));
	p2 = _mm256_and_si256(p1, _mm256_srli_epi64(y, 16));
	return (_mm256_shuffle_epi8(_mm256_add_epi64(y, _mm256_add_epi64(p1,
	    p2)), bcast));
}

/*
 * Four probes from q (SAMPLE_STEP apart), looked up as sample_batch does;
 * SAMPLE_SNAP bytes before q are readable.
 */
SAMPLE_TARGET2 static inline unsigned
sample_quad_avx2(const struct sample *sm, const char *q, int how)
{
	/* Each probe's gram, and its flags, from the bytes loaded at
	 * q - SAMPLE_SNAP and q + 2 * SAMPLE_STEP - SAMPLE_SNAP. */
	const __m256i	take = _mm256_setr_epi8(
	    3, 4, 5, 6, 7, 8, -1, -1, 10, 11, 12, 13, 14, 15, -1, -1,
	    3, 4, 5, 6, 7, 8, -1, -1, 10, 11, 12, 13, 14, 15, -1, -1);
	const __m256i	back = _mm256_setr_epi8(
	    3, 2, 1, -1, -1, -1, -1, -1, 10, 9, 8, -1, -1, -1, -1, -1,
	    3, 2, 1, -1, -1, -1, -1, -1, 10, 9, 8, -1, -1, -1, -1, -1);
	const __m256i	ones = _mm256_set1_epi64x(1);
	uint64_t	ix[4] __attribute__((aligned(32)));
	__m256i		v, g, low, h, w, m;

	/* Probes 0 and 1 in the low 16 bytes, 2 and 3 in the high ones. */
	v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(
	    (const __m128i *)(q - SAMPLE_SNAP))), _mm_loadu_si128(
	    (const __m128i *)(q + 2 * SAMPLE_STEP - SAMPLE_SNAP)), 1);
	if (how & SAMPLE_HOW_SNAP) {
		m = _mm256_cmpeq_epi8(_mm256_and_si256(v, _mm256_set1_epi8(
		    (char)0xc0)), _mm256_set1_epi8((char)0x80));
		g = _mm256_shuffle_epi8(v, _mm256_sub_epi8(take,
		    sample_snaps_avx2(_mm256_shuffle_epi8(m, back))));
	} else
		g = _mm256_shuffle_epi8(v, take);
	if (how & SAMPLE_HOW_FOLD) {	/* fold_word, lane by lane */
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
    int how)
{
	return (sample_quad_avx2(sm, p + i, how) |
	    sample_quad_avx2(sm, p + i + 4 * SAMPLE_STEP, how) << 4);
}

/* The whole batches of a scan with sample_batch_avx2. */
SAMPLE_BATCHES(SAMPLE_TARGET2, sample_batches_avx2, sample_batch_avx2)

/*
 * The gram hashes of SAMPLE_BATCH probes from i with AVX-512, 8 at once,
 * as sample_batch computes them.
 */
SAMPLE_TARGET static inline __m512i
sample_hash_avx512(const char *p, size_t i, int how)
{
	/* From the 64 bytes at p + i - SAMPLE_SNAP, lane by lane: the
	 * probe's gram before its snap (the last two bytes masked off). */
	static const uint8_t	grams[64] = {
		 3,  4,  5,  6,  7,  8, 9, 9,  10, 11, 12, 13, 14, 15, 9, 9,
		17, 18, 19, 20, 21, 22, 9, 9,  24, 25, 26, 27, 28, 29, 9, 9,
		31, 32, 33, 34, 35, 36, 9, 9,  38, 39, 40, 41, 42, 43, 9, 9,
		45, 46, 47, 48, 49, 50, 9, 9,  52, 53, 54, 55, 56, 57, 9, 9,
	};
	const __m512i	one = _mm512_set1_epi8(1);
	const uint64_t	lanes = 0x0002040810204081ull;	/* bits 0, 7, .. 49 */
	uint64_t	c, a, b, d;
	__m512i		v, g, low, m, idx;

	/*
	 * Each lane's snap (sample_snap), from the continuation bytes' mask
	 * c: a, b and d tell whether the probe's byte is a continuation,
	 * it and the byte before, and it and the two before; each that does
	 * moves the lane's gram a byte back.  (Bit tests with pext:
	 * mask-to-vector moves made the batch twice as slow.)
	 */
	v = _mm512_loadu_si512(p + i - SAMPLE_SNAP);
	idx = _mm512_loadu_si512(grams);
	if (how & SAMPLE_HOW_SNAP) {
		c = _mm512_cmpeq_epi8_mask(_mm512_and_si512(v,
		    _mm512_set1_epi8((char)0xc0)), _mm512_set1_epi8(
		    (char)0x80));
		a = c >> SAMPLE_SNAP;
		b = a & c >> (SAMPLE_SNAP - 1);
		d = b & c >> (SAMPLE_SNAP - 2);
		idx = _mm512_mask_sub_epi64(idx, (__mmask8)_pext_u64(a, lanes),
		    idx, one);
		idx = _mm512_mask_sub_epi64(idx, (__mmask8)_pext_u64(b, lanes),
		    idx, one);
		idx = _mm512_mask_sub_epi64(idx, (__mmask8)_pext_u64(d, lanes),
		    idx, one);
	}
	g = _mm512_maskz_permutexvar_epi8(0x3f3f3f3f3f3f3f3full, idx, v);
	if (how & SAMPLE_HOW_FOLD) {	/* fold_word, lane by lane */
		low = _mm512_and_si512(g, _mm512_set1_epi8(0x7f));
		m = _mm512_andnot_si512(_mm512_add_epi64(low,
		    _mm512_set1_epi8(0x80 - 'Z' - 1)), _mm512_add_epi64(low,
		    _mm512_set1_epi8(0x80 - 'A')));
		m = _mm512_and_si512(_mm512_andnot_si512(g, m),
		    _mm512_set1_epi8((char)0x80));
		g = _mm512_or_si512(g, _mm512_srli_epi64(m, 2));
	}
	return (_mm512_mullo_epi64(g, _mm512_set1_epi64((long long)
	    SAMPLE_GRAM_MUL)));
}

/* The bitmap words of hashes h, lane by lane. */
SAMPLE_TARGET static inline __m512i
sample_words_avx512(const struct sample *sm, __m512i h)
{
	return (_mm512_and_si512(_mm512_srli_epi64(h, SAMPLE_WORD_SHIFT),
	    _mm512_set1_epi64((long long)sm->word_mask)));
}

/* Which lanes of words w have all three bits of hashes h set. */
SAMPLE_TARGET static inline unsigned
sample_test_avx512(__m512i h, __m512i w)
{
	const __m512i	ones = _mm512_set1_epi64(1);
	__m512i		m;

	h = _mm512_mullo_epi64(h, _mm512_set1_epi64((long long)
	    SAMPLE_BITS_MUL));
	m = _mm512_or_si512(_mm512_sllv_epi64(ones, _mm512_srli_epi64(h,
	    SAMPLE_BIT1)), _mm512_sllv_epi64(ones, _mm512_and_si512(
	    _mm512_srli_epi64(h, SAMPLE_BIT2), _mm512_set1_epi64(63))));
	m = _mm512_or_si512(m, _mm512_sllv_epi64(ones, _mm512_and_si512(
	    _mm512_srli_epi64(h, SAMPLE_BIT3), _mm512_set1_epi64(63))));
	return (_mm512_cmpeq_epi64_mask(_mm512_and_si512(w, m), m));
}

/*
 * sample_batch with AVX-512: the same grams, hashes and bits, 8 at once,
 * the bitmap's words read by plain loads.
 */
SAMPLE_TARGET static inline unsigned
sample_batch_avx512(const struct sample *sm, const char *p, size_t i,
    int how)
{
	uint64_t	ix[8] __attribute__((aligned(64)));
	__m512i		h = sample_hash_avx512(p, i, how);

	_mm512_store_si512(ix, sample_words_avx512(sm, h));
	return (sample_test_avx512(h, _mm512_setr_epi64(
	    (long long)sm->bits[ix[0]], (long long)sm->bits[ix[1]],
	    (long long)sm->bits[ix[2]], (long long)sm->bits[ix[3]],
	    (long long)sm->bits[ix[4]], (long long)sm->bits[ix[5]],
	    (long long)sm->bits[ix[6]], (long long)sm->bits[ix[7]])));
}

/* sample_batch_avx512 with the words read by one gather instruction. */
SAMPLE_TARGET static inline unsigned
sample_batch_gather(const struct sample *sm, const char *p, size_t i,
    int how)
{
	__m512i	h = sample_hash_avx512(p, i, how);

	return (sample_test_avx512(h, _mm512_i64gather_epi64(
	    sample_words_avx512(sm, h), (const void *)sm->bits, 8)));
}

/* The whole batches of a scan with sample_batch_avx512 or _gather. */
SAMPLE_BATCHES(SAMPLE_TARGET, sample_batches_avx512, sample_batch_avx512)
SAMPLE_BATCHES(SAMPLE_TARGET, sample_batches_gather, sample_batch_gather)

/* The best batches this CPU has: SAMPLE_SIMD_*. */
static int
sample_simd_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vbmi") &&
	    __builtin_cpu_supports("bmi2"))
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

/*
 * For the tests: read the AVX-512 batches' words by plain loads (0), by
 * a gather instruction (1), or whichever is faster here (-1, the
 * default: see sample_gather_pick); returns the mode before.  Samplers
 * built afterwards take it.
 */
int
sample_set_gather(int mode)
{
	int	was = sample_gather_mode;

	sample_gather_mode = mode;
	return (was);
}

#ifdef SAMPLE_AVX512
/* A found key, while timing: nothing to do. */
static int
sample_timed_found(uint32_t id, size_t end, void *arg)
{
	(void)id;
	(void)end;
	(void)arg;
	return (0);
}

/*
 * SAMPLE_CALIBRATE_LEN bytes of made-up CJK text to time the batches on:
 * three-byte characters of random bytes, newlines to fill.
 */
static char *
sample_calibration_text(void)
{
	char		*p = xmalloc(SAMPLE_CALIBRATE_LEN);
	uint64_t	 x = 0x9e3779b9;
	size_t		 i;

	for (i = 0; i + 3 <= SAMPLE_CALIBRATE_LEN; i += 3) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (char)(0xe4 + x % 6);
		p[i + 1] = (char)(0x80 + (x >> 8) % 64);
		p[i + 2] = (char)(0x80 + (x >> 16) % 64);
	}
	for (; i < SAMPLE_CALIBRATE_LEN; i++)
		p[i] = '\n';
	return (p);
}

/* Nanoseconds of one pass of the AVX-512 batches (gather or not) on p. */
static uint64_t
sample_time_pass(const struct sample *sm, const char *p, size_t len,
    int gather)
{
	struct sample_queue	q;
	struct timespec		a, b;

	sample_queue_start(&q, p, len, sample_timed_found, NULL);
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (gather)
		(void)SAMPLE_RUN(sample_batches_gather, sm, &q, SAMPLE_STEP);
	else
		(void)SAMPLE_RUN(sample_batches_avx512, sm, &q, SAMPLE_STEP);
	(void)sample_grams_flush(sm, &q);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u +
	    (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec);
}
#endif

/*
 * Does a gather instruction read the AVX-512 batches' bitmap words
 * faster than plain loads?  That depends on the CPU: on this project's
 * Intel VM the gather made the batches a third faster (and the whole
 * phrase run of the benchmark 7%), on a Zen 4 the loads were a third
 * faster, and Intel CPUs with the Gather Data Sampling fix in microcode
 * slow gathers down.  So the first sampler a process builds times both,
 * SAMPLE_CALIBRATE passes each in turn over SAMPLE_CALIBRATE_LEN bytes of
 * made-up CJK text, and the faster of their best passes is kept for
 * every sampler after it (about a tenth of a millisecond, once: a
 * tiny sampler and one of 100,000 keys chose alike here).  Two threads
 * building their first samplers at once may both time; either answer
 * is a valid one.
 */
static int
sample_gather_pick(const struct sample *sm)
{
#ifdef SAMPLE_AVX512
	uint64_t	best[2] = { UINT64_MAX, UINT64_MAX }, t;
	char		*p;
	int		round, g;

	if (sample_simd != SAMPLE_SIMD_AVX512 || sm->nkeys == 0)
		return (0);
	if (sample_gather_mode >= 0)
		return (sample_gather_mode);
	if ((g = __atomic_load_n(&sample_gather_timed, __ATOMIC_RELAXED)) >= 0)
		return (g);
	p = sample_calibration_text();
	for (round = 0; round < SAMPLE_CALIBRATE; round++)
		for (g = 0; g < 2; g++) {
			t = sample_time_pass(sm, p, SAMPLE_CALIBRATE_LEN, g);
			best[g] = t < best[g] ? t : best[g];
		}
	free(p);
	g = best[1] < best[0];
	log_debug("sampler: %zu keys, the bitmap's words read by %s "
	    "(%llu ns against %llu for %d KiB)", sm->nkeys,
	    g ? "a gather" : "plain loads", (unsigned long long)best[g],
	    (unsigned long long)best[!g], SAMPLE_CALIBRATE_LEN / 1024);
	__atomic_store_n(&sample_gather_timed, g, __ATOMIC_RELAXED);
	return (g);
#else
	(void)sm;
	return (0);
#endif
}

/*
 * The whole batches of a scan from `from` (at least SAMPLE_SNAP), the
 * fastest way this CPU has.
 */
static size_t
sample_batches_best(const struct sample *sm, struct sample_queue *q,
    size_t from)
{
#ifdef SAMPLE_AVX512
	if (sample_simd == SAMPLE_SIMD_AVX512 && sm->gather)
		return (SAMPLE_RUN(sample_batches_gather, sm, q, from));
	if (sample_simd == SAMPLE_SIMD_AVX512)
		return (SAMPLE_RUN(sample_batches_avx512, sm, q, from));
	if (sample_simd == SAMPLE_SIMD_AVX2)
		return (SAMPLE_RUN(sample_batches_avx2, sm, q, from));
#endif
	return (SAMPLE_RUN(sample_batches, sm, q, from));
}

/* The probe at r of a scan, one gram; 1: stop. */
static int
sample_probe(const struct sample *sm, struct sample_queue *q, size_t r)
{
	size_t		at = sample_at(q->p, r, sm->snap);
	uint64_t	h;

	h = sample_gram_hash(sample_gram_at(q->p + at, q->len - at), sm->fold);
	return (sample_bit(sm, h) && sample_hit(sm, q, r, at, h) != 0);
}

/*
 * Report every key in p[0, len), in order of their ends, to cb; returns
 * 1 if cb stopped the scan.  A probe every SAMPLE_STEP bytes reads the
 * gram at the start of the character it falls in (sample_snap), or
 * where it is if no key needs that (sm->snap 0); the first probe, with
 * no bytes before it, is made alone.
 */
int
sample_scan(const struct sample *sm, const char *p, size_t len,
    sample_found cb, void *arg)
{
	struct sample_queue	q;
	size_t			i;

	if (sm->nkeys == 0 || len < SAMPLE_KEY)
		return (0);
	sample_queue_start(&q, p, len, cb, arg);
	if (sample_probe(sm, &q, 0) != 0 ||
	    (i = sample_batches_best(sm, &q, SAMPLE_STEP)) == SIZE_MAX)
		return (1);
	for (; i + SAMPLE_GRAM <= len; i += SAMPLE_STEP)
		if (sample_probe(sm, &q, i) != 0)
			return (1);
	return (sample_grams_flush(sm, &q));
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
