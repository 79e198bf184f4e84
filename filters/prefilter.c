/*
 * The whole-buffer prefilter and the phrase matcher (see prefilter.h),
 * on a Vectorscan literal database: literals are matched as bytes, so
 * invalid UTF-8 and NUL bytes in the text are no concern, and caseless
 * literals fold ASCII letters only (required.c keeps no other letters).
 *
 * A phrase list goes in by keys, one per distinct beginning: a phrase
 * of SAMPLE_KEY bytes or more has its first SAMPLE_KEY bytes as its key,
 * found by the sampler (sample.h: a large list of CJK phrases is too much
 * for a literal automaton, which slows to 0.3-0.5 GB/s with 100,000
 * keys); a shorter one has its first PREFILTER_KEY bytes (all of a very
 * short one), a literal of the database, and a longer phrase that begins
 * with that key is checked with it there.  A key's phrases are a run of
 * the list sorted by bytes, checked where the key is found.
 *
 * When the database would hold a set of literals that litscan.c finds
 * exactly (at most LITSCAN_MAX_LITS, none short, few distinct endings:
 * see litscan.h; the default rules' 9 are one) there is no database:
 * litscan finds them all, each at its true end (a literal holding
 * another is then looked for itself, not through the shorter one), and
 * the tail below is not needed.  Where its literals are frequent it is
 * faster than Vectorscan, where none is nearly as fast with AVX-512, and
 * half as fast with AVX2 alone: then only a build without Vectorscan
 * takes it.
 *
 * Debian 12's Vectorscan (5.4.9) can miss a match that ends in the last
 * bytes of a scanned buffer on AVX-512 machines (an accelerator's tail
 * handling, fixed upstream in 5.4.13): a set such as "##paid" and "aka"
 * over a run of "b" then "##paid" a few bytes before the end finds
 * nothing, depending on the buffer's alignment.  So the last
 * PREFILTER_TAIL bytes of every scan (one AVX-512 vector) are searched
 * here instead, exactly, with binary search in the literals sorted by
 * length and bytes (prefilter_tail): matches ending there come from this
 * search only, in order of their ends, after Vectorscan's.  The sampler's
 * matches come last, in order of their ends among themselves: a chunk
 * scan then sorts its hits (pfscan_chunk), and one that finds more than
 * PREFILTER_MAX_HITS out of order gives its chunk no verdicts at all.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "fold.h"
#include "litscan.h"
#include "log.h"
#include "nlmap.h"
#include "pattern.h"
#include "prefilter.h"
#include "required.h"
#include "sample.h"
#include "scratch.h"
#include "utf8.h"
#include "xmalloc.h"

static int	prefilter_off;		/* prefilter_set_enabled(0) */

/*
 * Can configurations loaded now have a prefilter?  With Vectorscan, yes;
 * without, only where this CPU has the scan of a few literals (and then
 * only for at most LITSCAN_MAX_LITS of them).
 */
int
prefilter_available(void)
{
#ifdef SCRUBD_VECTORSCAN
	return (1);
#else
	return (litscan_available());
#endif
}

/* Turn the prefilter off (or on) for configurations loaded from now on. */
void
prefilter_set_enabled(int on)
{
	prefilter_off = !on;
}

/* Will the configurations loaded now have a prefilter? */
int
prefilter_enabled(void)
{
	return (prefilter_available() && !prefilter_off);
}

/*
 * Will phrase lists loaded now be matched here (phrases_exec), not by
 * PCRE2?  Only with Vectorscan, which holds most phrase lists' keys.
 */
int
prefilter_phrases_enabled(void)
{
#ifdef SCRUBD_VECTORSCAN
	return (!prefilter_off);
#else
	return (0);
#endif
}

#ifdef SCRUBD_VECTORSCAN
#include <hs.h>
#define PREFILTER_CASELESS	HS_FLAG_CASELESS
typedef match_event_handler pf_match;
#else
#define PREFILTER_CASELESS	1
/* A match found, as Vectorscan's callbacks are told of one; 1: stop. */
typedef int (*pf_match)(unsigned int, unsigned long long, unsigned long long,
    unsigned int, void *);
#endif

#define PREFILTER_KEY		6	/* bytes of a phrase's key */
#define PREFILTER_KEY_MAX	SAMPLE_KEY	/* or of a sampled one */
#define PREFILTER_MAX_HITS	65536	/* per chunk; past it, no verdicts */
#define PREFILTER_WINDOW	256	/* first window of a phrase search */
#define PREFILTER_TAIL		64	/* bytes searched again, see above */
#define PREFILTER_TAIL_HITS	256	/* tail matches sorted before use */
#define PREFILTER_NEST_MAX	1024	/* required literals nested at most */
#define PREFILTER_HEAD		3	/* bytes of a literal's head */
#define PREFILTER_HEAD_LONG	PREFILTER_KEY	/* and of a long head */
#define PREFILTER_HEAD_BITS	20	/* of each heads' bitmap */

/* What one literal of the database stands for. */
struct pfid {
	uint32_t	 slot;
	uint32_t	 first;		/* phrase key: its run in p->sorted */
	uint32_t	 count;		/* 0: a required literal */
	uint32_t	 kid_first;	/* literals holding this one */
	uint32_t	 nkids;
	uint32_t	 lit;		/* its entry in pf->lits */
	uint16_t	 keylen;	/* phrase key: its bytes */
	uint8_t		 caseless;
	uint8_t		 sampled;	/* a key of pf->sample, not of db */
};

/*
 * A required literal that holds a shorter one (哒哒君 holds 哒哒): it is
 * not in the database, but checked where the shorter one is found.
 */
struct pfkid {
	uint32_t	 parent;
	uint32_t	 id;
	uint32_t	 off;		/* where the parent lies in it */
	uint32_t	 len;
	unsigned char	 last;		/* its last byte (folded if caseless) */
	int		 caseless;
};

/* One literal, for the exact search of a scan's tail. */
struct pflit {
	const char	*s;
	uint32_t	 len;
	uint32_t	 id;
};

/* The literals of one length and case mode: a run of pf->lits. */
struct pfrun {
	uint32_t	 len;
	uint32_t	 first;
	uint32_t	 count;
	int		 caseless;
};

struct prefilter {
#ifdef SCRUBD_VECTORSCAN
	hs_database_t	*db;
#endif
	struct litscan	*lit;		/* or, for a few literals, this scan */
	struct pfid	*ids;
	size_t		 nids;
	size_t		 nlits;		/* of them, the database's */
	struct sample	*sample;	/* NULL: no key is sampled */
	size_t		 nslots;
	uint64_t	 serial;	/* unique: scratch space follows it */
	char		*bytes;		/* every literal's bytes */
	struct pflit	*lits;		/* by case mode, length, bytes */
	struct pfrun	*runs;
	size_t		 nruns;
	size_t		 maxlen;
	struct pfkid	*kids;		/* by parent */
	size_t		 nkids;
	uint8_t		*heads;		/* bitmap: hashes of literals' heads */
	uint8_t		*heads_long;	/* the same, of their long heads */
};

/* The literals being collected for the database. */
struct pfbuild {
	const char	**expr;
	size_t		 *lens;
	unsigned	 *flags;
	unsigned	 *idv;
	size_t		  cap;
	struct reqset	 *keep;		/* owners of the literals */
	size_t		  nkeep;
};

/* Order two phrases of a list by bytes (folded), then by position. */
static int
prefilter_order(const void *a, const void *b, void *arg)
{
	const struct patterns	*p = arg;
	const struct pattern_src *x = &p->src[*(const uint32_t *)a];
	const struct pattern_src *y = &p->src[*(const uint32_t *)b];
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c;

	if ((c = fold_cmp(x->text, y->text, n, p->caseless)) != 0)
		return (c);
	if (x->len != y->len)
		return (x->len < y->len ? -1 : 1);
	return (*(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1);
}

/* The sort key of a phrase: its first 8 bytes, folded, zero-padded,
 * the first byte highest. */
static uint64_t
prefilter_sort_key(const struct pattern_src *x, int caseless)
{
	unsigned char	b[8] = { 0 };
	uint64_t	k;

	memcpy(b, x->text, x->len < 8 ? x->len : 8);
	k = (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
	    (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
	    (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	    (uint64_t)b[6] << 8 | (uint64_t)b[7];
	return (caseless ? fold_word(k) : k);
}

/* A phrase's sort key and its index, sorted together. */
struct pfsort {
	uint64_t	key;
	uint32_t	i;
};

/*
 * One stable pass of a radix sort of a into b by byte `shift / 8` of the
 * keys; 0 if all have the same byte there (nothing moved).
 */
static int
prefilter_sort_pass(const struct pfsort *a, struct pfsort *b, size_t n,
    unsigned shift)
{
	size_t	count[256] = { 0 }, i, c, sum = 0;

	for (i = 0; i < n; i++)
		count[(a[i].key >> shift) & 0xff]++;
	for (c = 0; c < 256; c++) {
		if (count[c] == n)
			return (0);
		i = count[c];
		count[c] = sum;
		sum += i;
	}
	for (i = 0; i < n; i++)
		b[count[(a[i].key >> shift) & 0xff]++] = a[i];
	return (1);
}

/* Are the n keys of a in order already? */
static int
prefilter_sorted(const struct pfsort *a, size_t n)
{
	size_t	i;

	for (i = 1; i < n; i++)
		if (a[i - 1].key > a[i].key)
			return (0);
	return (1);
}

/*
 * p->sorted: the phrases in prefilter_order.  A radix sort on their first
 * 8 bytes (folded: the order is fold_cmp's, bytes unsigned, a phrase
 * before those it begins), each key moved with its index so that a pass
 * reads in order, then prefilter_order within each run of equal keys
 * (100,000 phrases: a quarter of qsort's instructions).  A list already
 * in that order of keys (as `sort` in the C locale leaves one) skips the
 * passes.
 */
static void
prefilter_sort(struct patterns *p)
{
	struct pfsort	*a, *b, *t;
	size_t		 i, j;
	unsigned	 shift;

	a = xreallocarray(NULL, p->n, sizeof *a);
	b = xreallocarray(NULL, p->n, sizeof *b);
	for (i = 0; i < p->n; i++) {
		a[i].key = prefilter_sort_key(&p->src[i], p->caseless);
		a[i].i = (uint32_t)i;
	}
	if (!prefilter_sorted(a, p->n))
		for (shift = 0; shift < 64; shift += 8)
			if (prefilter_sort_pass(a, b, p->n, shift)) {
				t = a;
				a = b;
				b = t;
			}
	p->sorted = xreallocarray(NULL, p->n, sizeof *p->sorted);
	for (i = 0; i < p->n; i++)
		p->sorted[i] = a[i].i;
	for (i = 0; i < p->n; i = j) {
		for (j = i + 1; j < p->n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			qsort_r(p->sorted + i, j - i, sizeof *p->sorted,
			    prefilter_order, p);
	}
	free(a);
	free(b);
}

/* Room for n more literals in the database being built. */
static void
prefilter_reserve(struct prefilter *pf, struct pfbuild *b, size_t n)
{
	if (b->cap - pf->nids >= n)
		return;
	b->cap = pf->nids + n;
	b->expr = xreallocarray(b->expr, b->cap, sizeof *b->expr);
	b->lens = xreallocarray(b->lens, b->cap, sizeof *b->lens);
	b->flags = xreallocarray(b->flags, b->cap, sizeof *b->flags);
	b->idv = xreallocarray(b->idv, b->cap, sizeof *b->idv);
	pf->ids = xreallocarray(pf->ids, b->cap, sizeof *pf->ids);
}

/* Add one literal to the database being built. */
static void
prefilter_add(struct prefilter *pf, struct pfbuild *b, const char *s,
    size_t len, int caseless, const struct pfid *id)
{
	if (pf->nids == b->cap)
		prefilter_reserve(pf, b, b->cap != 0 ? b->cap : 64);
	b->expr[pf->nids] = s;
	b->lens[pf->nids] = len;
	b->flags[pf->nids] = caseless ? PREFILTER_CASELESS : 0;
	b->idv[pf->nids] = (unsigned)pf->nids;
	pf->ids[pf->nids] = *id;
	pf->ids[pf->nids++].caseless = caseless != 0;
}

/*
 * Add a phrase key for the run of sorted phrases [first, first + count):
 * to the sampler if it is SAMPLE_KEY bytes (the run's phrases are all that
 * long), else to the database.
 */
static void
prefilter_key(struct prefilter *pf, struct pfbuild *b, struct patterns *p,
    struct pfid *id)
{
	const char	*key = p->src[p->sorted[id->first]].text;

	id->sampled = id->keylen == SAMPLE_KEY;
	if (id->sampled)
		p->pf_sampledkeys++;
	else
		p->pf_dbkeys++;
	prefilter_add(pf, b, key, id->keylen, p->caseless, id);
}

/*
 * A phrase list: sort it, then one key per distinct beginning: the first
 * PREFILTER_KEY bytes (all of a shorter phrase) of a phrase under
 * SAMPLE_KEY bytes, for the database, its run taking the phrases after it
 * that begin with the key, whatever their length; the first SAMPLE_KEY
 * bytes of the other phrases, for the sampler.  The phrases beginning
 * with a key are a run of the sorted list.
 */
static void
prefilter_phrases(struct prefilter *pf, struct pfbuild *b,
    struct patterns *p)
{
	struct pfid	 id;
	const struct pattern_src *s, *k;
	size_t		 i, klen;

	prefilter_sort(p);
	prefilter_reserve(pf, b, p->n);	/* a key a phrase at most */
	memset(&id, 0, sizeof id);
	id.slot = (uint32_t)pf->nslots;
	for (i = 0; i < p->n; i++) {
		s = &p->src[p->sorted[i]];
		if (id.count != 0) {
			k = &p->src[p->sorted[id.first]];
			if (s->len >= id.keylen && fold_cmp(s->text,
			    k->text, id.keylen, p->caseless) == 0) {
				id.count++;	/* begins with the key */
				continue;
			}
			prefilter_key(pf, b, p, &id);
		}
		if (s->len >= SAMPLE_KEY)
			klen = SAMPLE_KEY;
		else
			klen = s->len < PREFILTER_KEY ? s->len : PREFILTER_KEY;
		id.first = (uint32_t)i;
		id.count = 1;
		id.keylen = (uint16_t)klen;
	}
	if (id.count != 0)
		prefilter_key(pf, b, p, &id);
	p->pf = pf;
}

/* Does every literal of a hold one of those in s (a literal of it)? */
static int
prefilter_covered(const struct reqset *a, const struct reqset *s)
{
	const struct reqlit	*x, *y;
	size_t			 i, j, k;
	int			 found;

	for (i = 0; i < a->n; i++) {
		x = &a->v[i];
		found = 0;
		for (j = 0; j < s->n && !found; j++) {
			y = &s->v[j];
			if ((!y->caseless && x->caseless) || y->len > x->len)
				continue;
			for (k = 0; k + y->len <= x->len && !found; k++)
				found = fold_cmp(x->s + k, y->s, y->len,
				    y->caseless) == 0;
		}
		if (!found)
			return (0);
	}
	return (1);
}

/*
 * Each pattern's best set of required literals, or another of its sets
 * that the others' literals already cover (^..欢迎加入..哒哒 next to
 * ^..【..哒哒: 哒哒 for both): fewer literals to scan for.  0, or -1 if a
 * pattern has none.
 */
static int
prefilter_choose(const struct patterns *p, struct reqset *best)
{
	struct reqset	alts[REQUIRED_MAX_ALTS], tmp;
	size_t		i, j, k, n;
	int		rc = 0;

	for (i = 0; i < p->n && rc == 0; i++)
		rc = required_literals(p->src[i].text, p->src[i].len,
		    p->caseless, &best[i], NULL, NULL);
	for (i = 0; i < p->n && rc == 0 && p->n > 1; i++) {
		(void)required_literals(p->src[i].text, p->src[i].len,
		    p->caseless, &tmp, alts, &n);
		required_free(&tmp);
		for (j = 0; j < n; j++) {
			for (k = 0; k < p->n; k++)
				if (k != i && prefilter_covered(&alts[j],
				    &best[k]))
					break;
			if (k < p->n) {
				required_free(&best[i]);
				best[i] = alts[j];
				memset(&alts[j], 0, sizeof alts[j]);
				break;
			}
		}
		for (j = 0; j < n; j++)
			required_free(&alts[j]);
	}
	return (rc);
}

/*
 * A list of PCRE2 patterns: the union of their required literals, or no
 * slot if one of them has none.  Returns 0, or -1 for no slot.
 */
static int
prefilter_regexps(struct prefilter *pf, struct pfbuild *b,
    const struct patterns *p)
{
	struct reqset	*best, *all;
	struct pfid	 id;
	size_t		 i, j;
	int		 rc;

	best = xcalloc(p->n, sizeof *best);
	if ((rc = prefilter_choose(p, best)) == 0) {
		b->keep = xreallocarray(b->keep, b->nkeep + 1,
		    sizeof *b->keep);
		all = &b->keep[b->nkeep++];
		memset(all, 0, sizeof *all);
		memset(&id, 0, sizeof id);
		id.slot = (uint32_t)pf->nslots;
		for (i = 0; i < p->n; i++)
			for (j = 0; j < best[i].n; j++)
				required_add(all, best[i].v[j].s,
				    best[i].v[j].len, best[i].v[j].caseless);
		for (j = 0; j < all->n; j++)
			prefilter_add(pf, b, all->v[j].s, all->v[j].len,
			    all->v[j].caseless, &id);
	}
	for (i = 0; i < p->n; i++)
		required_free(&best[i]);
	free(best);
	return (rc);
}

/* Give a rule's pattern list its slot, if it can have one. */
static void
prefilter_list(struct prefilter *pf, struct pfbuild *b, struct patterns *p)
{
	if (p->n == 0)
		return;
	if (p->phrases) {
		if (!prefilter_phrases_enabled())
			return;		/* PCRE2's alternation, every line */
		prefilter_phrases(pf, b, p);
	} else if (p->re == NULL || prefilter_regexps(pf, b, p) != 0)
		return;		/* this list runs on every line */
	p->pf_id = (int)++pf->nslots;
}

/* Free what the build collected. */
static void
prefilter_build_free(struct pfbuild *b)
{
	size_t	i;

	for (i = 0; i < b->nkeep; i++)
		required_free(&b->keep[i]);
	free(b->keep);
	free(b->expr);
	free(b->lens);
	free(b->flags);
	free(b->idv);
}

/* Order literals by case mode, then length, then bytes (folded). */
static int
prefilter_lit_order(const void *a, const void *b, void *arg)
{
	const struct pflit	*x = a, *y = b;
	const unsigned		*flags = arg;
	int			 cx = flags[x->id] != 0, cy = flags[y->id] != 0;

	if (cx != cy)
		return (cx - cy);
	if (x->len != y->len)
		return (x->len < y->len ? -1 : 1);
	return (fold_cmp(x->s, y->s, x->len, cx));
}

#ifdef SCRUBD_VECTORSCAN
/* Hash of the first n bytes of a literal, ASCII folded. */
static inline uint32_t
prefilter_head_hash(const char *s, size_t n)
{
	uint32_t	h = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		h = (h << 8 | (uint32_t)fold_byte((unsigned char)s[i])) *
		    2654435761u;
	return (h >> (32 - PREFILTER_HEAD_BITS));
}

/* Is the hash of n bytes at s set in bitmap map? */
static inline int
prefilter_head_in(const uint8_t *map, const char *s, size_t n)
{
	uint32_t	h = prefilter_head_hash(s, n);

	return ((map[h >> 3] >> (h & 7)) & 1);
}

/*
 * Mark the heads of the literals of PREFILTER_HEAD bytes or more, and the
 * long heads of those of PREFILTER_HEAD_LONG or more: where neither is,
 * prefilter_tail need not look for them (a list of CJK phrases has a
 * literal starting with nearly every character, not with every pair).
 */
static void
prefilter_heads(struct prefilter *pf)
{
	uint32_t	h;
	size_t		i;

	pf->heads = xcalloc(1, 1 << (PREFILTER_HEAD_BITS - 3));
	pf->heads_long = xcalloc(1, 1 << (PREFILTER_HEAD_BITS - 3));
	for (i = 0; i < pf->nlits; i++) {
		if (pf->lits[i].len < PREFILTER_HEAD)
			continue;
		h = prefilter_head_hash(pf->lits[i].s, PREFILTER_HEAD);
		pf->heads[h >> 3] |= (uint8_t)(1 << (h & 7));
		if (pf->lits[i].len < PREFILTER_HEAD_LONG)
			continue;
		h = prefilter_head_hash(pf->lits[i].s, PREFILTER_HEAD_LONG);
		pf->heads_long[h >> 3] |= (uint8_t)(1 << (h & 7));
	}
}
#endif

/*
 * Keep a copy of every literal of the database, sorted: what the scan of
 * a few literals or, with the database, prefilter_tail looks for.
 */
static void
prefilter_lits(struct prefilter *pf, const struct pfbuild *b)
{
	size_t	i, n = 0, off = 0, total = 0;

	for (i = 0; i < pf->nids; i++)
		if (!pf->ids[i].sampled)
			total += b->lens[i];
	pf->bytes = xmalloc(total + 1);
	pf->lits = xreallocarray(NULL, pf->nids, sizeof *pf->lits);
	for (i = 0; i < pf->nids; i++) {
		if (pf->ids[i].sampled)
			continue;
		memcpy(pf->bytes + off, b->expr[i], b->lens[i]);
		pf->lits[n].s = pf->bytes + off;
		pf->lits[n].len = (uint32_t)b->lens[i];
		pf->lits[n++].id = (uint32_t)i;
		off += b->lens[i];
		if (b->lens[i] > pf->maxlen)
			pf->maxlen = b->lens[i];
	}
	pf->nlits = n;
	qsort_r(pf->lits, n, sizeof *pf->lits, prefilter_lit_order, b->flags);
	for (i = 0; i < n; i++)
		pf->ids[pf->lits[i].id].lit = (uint32_t)i;
}

#ifdef SCRUBD_VECTORSCAN
/*
 * The sorted literals' runs of one length and case mode, and their heads:
 * prefilter_tail's index, with Vectorscan's database only.
 */
static void
prefilter_tail_index(struct prefilter *pf, const struct pfbuild *b)
{
	size_t	i;
	int	ci;

	for (i = 0; i < pf->nlits; i++) {
		ci = b->flags[pf->lits[i].id] != 0;
		if (pf->nruns == 0 || pf->runs[pf->nruns - 1].len !=
		    pf->lits[i].len || pf->runs[pf->nruns - 1].caseless != ci) {
			pf->runs = xreallocarray(pf->runs, pf->nruns + 1,
			    sizeof *pf->runs);
			pf->runs[pf->nruns].len = pf->lits[i].len;
			pf->runs[pf->nruns].first = (uint32_t)i;
			pf->runs[pf->nruns].count = 0;
			pf->runs[pf->nruns++].caseless = ci;
		}
		pf->runs[pf->nruns - 1].count++;
	}
	prefilter_heads(pf);
}
#endif

/* A scan and where its tail begins: matches ending past cut are the tail's. */
struct pfcall {
	const struct prefilter	*pf;
	const char		*p;
	size_t			 len;
	pf_match		 cb;
	void			*arg;
	unsigned long long	 cut;
};

#ifdef SCRUBD_VECTORSCAN
/* The matches of a scan's tail, to hand on in order of their ends. */
struct pftail {
	unsigned long long	 to[PREFILTER_TAIL_HITS];
	uint32_t		 id[PREFILTER_TAIL_HITS];
	size_t			 n;
	int			 full;		/* more than fit: handed on as found */
};


/*
 * Vectorscan's callback: hand on a match unless it is the tail's, then
 * the literals holding it that are there too (at the same end: the same
 * line, all a chunk scan needs of them).
 */
static int
prefilter_head(unsigned int id, unsigned long long from,
    unsigned long long to, unsigned int flags, void *arg)
{
	struct pfcall		*c = arg;
	const struct pfkid	*k;
	const struct pflit	*l;
	const struct pfid	*pid = &c->pf->ids[id];
	unsigned long long	 at;
	uint32_t		 i, plen;
	unsigned char		 last;

	if (to > c->cut)
		return (0);
	if (c->cb(id, from, to, flags, c->arg) != 0)
		return (1);
	plen = c->pf->lits[pid->lit].len;
	for (i = 0; i < pid->nkids; i++) {
		k = &c->pf->kids[pid->kid_first + i];
		if (to < (unsigned long long)plen + k->off)
			continue;
		at = to - plen - k->off;
		if (at + k->len > c->len)
			continue;
		last = (unsigned char)c->p[at + k->len - 1];
		if ((k->caseless ? fold_byte(last) : last) != k->last)
			continue;	/* its last byte is not there */
		l = &c->pf->lits[c->pf->ids[k->id].lit];
		if (fold_cmp(c->p + at, l->s, l->len, k->caseless) == 0 &&
		    c->cb(k->id, 0, to, 0, c->arg) != 0)
			return (1);
	}
	return (0);
}

/* Keep a match of the tail (or hand it on if there are too many). */
static int
prefilter_tail_add(struct pftail *t, const struct pfcall *c, uint32_t id,
    unsigned long long to)
{
	if (t->n == PREFILTER_TAIL_HITS)
		t->full = 1;
	if (t->full)
		return (c->cb(id, 0, to, 0, c->arg));
	t->to[t->n] = to;
	t->id[t->n++] = id;
	return (0);
}

/* Find every literal of run r at p, ending at to; 1: stop. */
static int
prefilter_tail_at(const struct prefilter *pf, const struct pfrun *r,
    const char *p, unsigned long long to, struct pftail *t,
    const struct pfcall *c)
{
	size_t	lo = r->first, hi = (size_t)r->first + r->count, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fold_cmp(pf->lits[mid].s, p, r->len, r->caseless) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < (size_t)r->first + r->count && fold_cmp(
	    pf->lits[lo].s, p, r->len, r->caseless) == 0; lo++)
		if (prefilter_tail_add(t, c, pf->lits[lo].id, to) != 0)
			return (1);
	return (0);
}

/* Hand on the tail's matches by their ends (insertion sort: few). */
static int
prefilter_tail_flush(struct pftail *t, const struct pfcall *c)
{
	unsigned long long	to;
	size_t			i, j;
	uint32_t		id;

	for (i = 1; i < t->n; i++) {
		to = t->to[i];
		id = t->id[i];
		for (j = i; j > 0 && t->to[j - 1] > to; j--) {
			t->to[j] = t->to[j - 1];
			t->id[j] = t->id[j - 1];
		}
		t->to[j] = to;
		t->id[j] = id;
	}
	for (i = 0; i < t->n; i++)
		if (c->cb(t->id[i], 0, t->to[i], 0, c->arg) != 0)
			return (1);
	return (0);
}

/* Search the tail of a scanned buffer exactly (see the top); 1: stop. */
static int
prefilter_tail(const struct prefilter *pf, const char *p, size_t len,
    const struct pfcall *c)
{
	struct pftail	t;
	size_t		q, i, end, rl;
	int		head, head_long;

	t.n = 0;
	t.full = 0;
	q = c->cut > pf->maxlen ? (size_t)c->cut - pf->maxlen : 0;
	for (; q < len; q++) {
		/* Could a literal of PREFILTER_HEAD(_LONG)+ start here? */
		head = len - q < PREFILTER_HEAD ||
		    prefilter_head_in(pf->heads, p + q, PREFILTER_HEAD);
		head_long = head && (len - q < PREFILTER_HEAD_LONG ||
		    prefilter_head_in(pf->heads_long, p + q,
		    PREFILTER_HEAD_LONG));
		for (i = 0; i < pf->nruns; i++) {
			rl = pf->runs[i].len;
			end = q + rl;
			if (end <= c->cut || end > len ||
			    (!head && rl >= PREFILTER_HEAD) ||
			    (!head_long && rl >= PREFILTER_HEAD_LONG))
				continue;
			if (prefilter_tail_at(pf, &pf->runs[i], p + q, end, &t, c))
				return (1);
		}
	}
	return (prefilter_tail_flush(&t, c));
}
#endif

/*
 * The sampler's (or the literal scan's) report of a key or literal: to
 * the scan's callback, as Vectorscan's.
 */
static int
prefilter_sampled(uint32_t id, size_t end, void *arg)
{
	const struct pfcall	*c = arg;

	return (c->cb(id, 0, end, 0, c->arg));
}

/*
 * Scan p[0, len) with the scan of a few literals or the database and its
 * tail exactly (db), then with the sampler (sampled), each if asked and
 * there: every match goes to cb, in order of their ends within each of
 * the two.  Returns 0, 1 if cb stopped it, or -1 if Vectorscan failed.
 */
static int
prefilter_scan(const struct prefilter *pf, struct scratch *sc, const char *p,
    size_t len, int db, int sampled, pf_match cb, void *arg)
{
	struct pfcall	c;
	int		rc = 0;

	c.pf = pf;
	c.p = p;
	c.len = len;
	c.cb = cb;
	c.arg = arg;
	c.cut = len > PREFILTER_TAIL ? len - PREFILTER_TAIL : 0;
	if (db && pf->lit != NULL)
		rc = litscan_scan(pf->lit, p, len, prefilter_sampled, &c);
#ifdef SCRUBD_VECTORSCAN
	else if (db && pf->db != NULL) {
		switch (hs_scan(pf->db, p, (unsigned int)len, 0,
		    scratch_hs(sc, pf->db, pf->serial), prefilter_head, &c)) {
		case HS_SUCCESS:
			rc = prefilter_tail(pf, p, len, &c);
			break;
		case HS_SCAN_TERMINATED:
			rc = 1;
			break;
		default:
			rc = -1;
			break;
		}
	}
#else
	(void)sc;
#endif
	if (rc == 0 && sampled && pf->sample != NULL)
		rc = sample_scan(pf->sample, p, len, prefilter_sampled, &c);
	return (rc);
}

#ifdef SCRUBD_VECTORSCAN
/* Does required literal j lie in literal i?  Add a kid per place. */
static int
prefilter_nests(struct prefilter *pf, const struct pfbuild *b, size_t j,
    size_t i)
{
	int	cj = pf->ids[j].caseless, found = 0;
	size_t	k;

	if ((!cj && pf->ids[i].caseless) || b->lens[j] > b->lens[i])
		return (0);
	for (k = 0; k + b->lens[j] <= b->lens[i]; k++) {
		if (fold_cmp(b->expr[i] + k, b->expr[j], b->lens[j],
		    cj) != 0)
			continue;
		pf->kids = xreallocarray(pf->kids, pf->nkids + 1,
		    sizeof *pf->kids);
		pf->kids[pf->nkids].parent = (uint32_t)j;
		pf->kids[pf->nkids].id = (uint32_t)i;
		pf->kids[pf->nkids].off = (uint32_t)k;
		pf->kids[pf->nkids].len = (uint32_t)b->lens[i];
		pf->kids[pf->nkids].caseless = pf->ids[i].caseless;
		pf->kids[pf->nkids++].last = (unsigned char)(pf->ids[i].caseless ?
		    fold_byte((unsigned char)b->expr[i][b->lens[i] - 1]) :
		    b->expr[i][b->lens[i] - 1]);
		found = 1;
	}
	return (found);
}

/* Order kids by parent. */
static int
prefilter_kid_order(const void *a, const void *b)
{
	const struct pfkid	*x = a, *y = b;

	if (x->parent != y->parent)
		return (x->parent < y->parent ? -1 : 1);
	return (x->id < y->id ? -1 : x->id > y->id);
}

/* Order required literals by length, then position. */
static int
prefilter_len_order(const void *a, const void *b, void *arg)
{
	const size_t	*lens = arg;
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (lens[x] != lens[y])
		return (lens[x] < lens[y] ? -1 : 1);
	return (x < y ? -1 : x > y);
}

/*
 * Leave out of the database every required literal that holds a shorter
 * one kept (or an equal one before it): the shorter one finds it.  Sets
 * keep[i] for the literals the database gets.
 */
static void
prefilter_nest(struct prefilter *pf, const struct pfbuild *b, char *keep)
{
	uint32_t	*ord;
	size_t		 i, j, n = 0;

	memset(keep, 1, pf->nids);
	ord = xreallocarray(NULL, pf->nids, sizeof *ord);
	for (i = 0; i < pf->nids; i++)
		if (pf->ids[i].count == 0)
			ord[n++] = (uint32_t)i;
	if (n > PREFILTER_NEST_MAX)
		n = 0;
	qsort_r(ord, n, sizeof *ord, prefilter_len_order, b->lens);
	for (i = 0; i < n; i++)		/* a parent is decided first */
		for (j = 0; j < i && keep[ord[i]]; j++)
			if (keep[ord[j]] && prefilter_nests(pf, b, ord[j],
			    ord[i]))
				keep[ord[i]] = 0;
	free(ord);
	if (pf->nkids > 1)
		qsort(pf->kids, pf->nkids, sizeof *pf->kids,
		    prefilter_kid_order);
	for (i = pf->nkids; i > 0; i--) {
		pf->ids[pf->kids[i - 1].parent].kid_first = (uint32_t)(i - 1);
		pf->ids[pf->kids[i - 1].parent].nkids++;
	}
}
#endif

/*
 * The scan for a few literals (all the database would hold: pf->lits,
 * each literal that holds another among them too), which finds them
 * faster than Vectorscan where they are frequent (see litscan.c), each
 * at its true end; NULL: too many, or this CPU cannot.
 */
static struct litscan *
prefilter_litscan(const struct prefilter *pf, const struct pfbuild *b)
{
	struct litscan_lit	 v[LITSCAN_MAX_LITS];
	size_t			 i;

	if (pf->nlits > LITSCAN_MAX_LITS)
		return (NULL);
#ifdef SCRUBD_VECTORSCAN
	if (litscan_available() < 2)
		return (NULL);	/* with AVX2 only, Vectorscan's is faster */
#endif
	for (i = 0; i < pf->nlits; i++) {
		v[i].s = pf->lits[i].s;
		v[i].len = pf->lits[i].len;
		v[i].id = pf->lits[i].id;
		v[i].caseless = b->flags[pf->lits[i].id] != 0;
	}
	return (litscan_build(v, pf->nlits));
}

#ifdef SCRUBD_VECTORSCAN
/* Compile the first n collected literals into Vectorscan's database. */
static int
prefilter_compile_db(struct prefilter *pf, struct pfbuild *b, size_t n,
    const struct config *cfg, struct config_ctx *ctx)
{
	hs_compile_error_t	*err = NULL;

	if (hs_compile_lit_multi(b->expr, b->flags, b->idv, b->lens,
	    (unsigned)n, HS_MODE_BLOCK, NULL, &pf->db, &err) == HS_SUCCESS)
		return (0);
	config_error(ctx, cfg->rules[0].file, cfg->rules[0].line,
	    "Vectorscan cannot compile the rules' %zu literals: %s",
	    n, err != NULL ? err->message : "unknown error");
	hs_free_compile_error(err);
	return (-1);
}
#endif

/*
 * Compile the collected literals; 0, -1 with an error reported, or 1 if
 * there can be no prefilter (without Vectorscan: too many literals for
 * the scan of a few, or a CPU without it).
 */
static int
prefilter_compile(struct prefilter *pf, struct pfbuild *b,
    const struct config *cfg, struct config_ctx *ctx)
{
	static uint64_t		 serials;
	char			*keep;
	size_t			 i, n = 0;

	prefilter_lits(pf, b);
	keep = xmalloc(pf->nids);
	if ((pf->lit = prefilter_litscan(pf, b)) != NULL)
		memset(keep, 0, pf->nids);	/* no database */
	else {
#ifdef SCRUBD_VECTORSCAN
		prefilter_tail_index(pf, b);
		prefilter_nest(pf, b, keep);
#else
		free(keep);
		return (1);
#endif
	}
	for (i = 0; i < pf->nids; i++) {	/* the database's literals */
		if (pf->ids[i].sampled) {
			if (pf->sample == NULL)
				pf->sample = sample_new(pf->nids - pf->nlits);
			sample_add(pf->sample, b->expr[i], pf->ids[i].caseless,
			    (uint32_t)i);
			continue;
		}
		if (!keep[i])
			continue;
		b->expr[n] = b->expr[i];
		b->lens[n] = b->lens[i];
		b->flags[n] = b->flags[i];
		b->idv[n++] = b->idv[i];
	}
	free(keep);
	if (pf->sample != NULL)
		sample_build(pf->sample);
	pf->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
#ifdef SCRUBD_VECTORSCAN
	if (n != 0)
		return (prefilter_compile_db(pf, b, n, cfg, ctx));
#else
	(void)cfg;
	(void)ctx;
#endif
	return (0);
}

/* No prefilter after all: every pattern list runs on every line. */
static void
prefilter_unslot(struct config *cfg)
{
	struct patterns	*p;
	size_t		 i, j;

	for (i = 0; i < cfg->nrules; i++) {
		if (cfg->rules[i].type->conf_patterns == NULL)
			continue;
		for (j = 0; (p = cfg->rules[i].type->conf_patterns(
		    cfg->rules[i].conf, j)) != NULL; j++) {
			p->pf_id = 0;
			p->pf = NULL;
		}
	}
}

/*
 * Build the configuration's prefilter from every rule's pattern lists
 * (after they compiled); NULL when disabled or when no list has a slot.
 * A failure is reported as a configuration error.
 */
struct prefilter *
prefilter_build(struct config *cfg, struct config_ctx *ctx)
{
	struct prefilter	*pf;
	struct pfbuild		 b;
	struct patterns		*p;
	size_t			 i, j;
	int			 rc = 0;

	if (!prefilter_enabled())
		return (NULL);
	pf = xcalloc(1, sizeof *pf);
	memset(&b, 0, sizeof b);
	for (i = 0; i < cfg->nrules; i++) {
		if (cfg->rules[i].type->conf_patterns == NULL)
			continue;
		for (j = 0; (p = cfg->rules[i].type->conf_patterns(
		    cfg->rules[i].conf, j)) != NULL; j++)
			prefilter_list(pf, &b, p);
	}
	if (pf->nids != 0)
		rc = prefilter_compile(pf, &b, cfg, ctx);
	prefilter_build_free(&b);
	if (pf->nids == 0 || rc != 0) {
		prefilter_unslot(cfg);
		prefilter_free(pf);
		return (NULL);
	}
	log_debug("prefilter: %zu literals for %zu of the rules' pattern "
	    "lists%s", pf->nids, pf->nslots, pf->lit != NULL ?
	    ", found by the literal scan" : "");
	return (pf);
}

/* Free a prefilter. */
void
prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
#ifdef SCRUBD_VECTORSCAN
	hs_free_database(pf->db);
#endif
	litscan_free(pf->lit);
	sample_free(pf->sample);
	free(pf->ids);
	free(pf->bytes);
	free(pf->lits);
	free(pf->runs);
	free(pf->kids);
	free(pf->heads);
	free(pf->heads_long);
	free(pf);
}

/* Number of slots (pattern lists with literals). */
size_t
prefilter_nslots(const struct prefilter *pf)
{
	return (pf != NULL ? pf->nslots : 0);
}

/* A stream's scan state over a prefilter (NULL: no prefilter). */
struct pfscan *
pfscan_new(const struct prefilter *pf)
{
	struct pfscan	*ps;

	if (pf == NULL)
		return (NULL);
	ps = xcalloc(1, sizeof *ps);
	ps->pf = pf;
	ps->mark = xcalloc(pf->nslots, sizeof *ps->mark);
	ps->serial = 1;		/* the engine's 1: "no verdicts" */
	return (ps);
}

/* Free a stream's scan state. */
void
pfscan_free(struct pfscan *ps)
{
	if (ps == NULL)
		return;
	free(ps->mark);
	free(ps->hits);
	free(ps);
}

/*
 * Too many hits in one chunk: stop the scan.  The lines before the
 * current hit's line were seen whole with all their hits (when hits came
 * in order; else none is trusted).
 */
static int
pfscan_full(struct pfscan *ps, uint64_t to)
{
	const char	*nl;

	if (ps->unsorted) {
		ps->hi = ps->lo;
		return (1);
	}
	nl = nlmap_find_before(ps->nl, ps->lo + to - 1, ps->lo);
	ps->hi = nl != NULL ? nl + 1 : ps->lo;
	ps->nhits = ps->line_first;
	return (1);
}

/* Vectorscan's callback for a chunk: note which slot may match where. */
static int
pfscan_hit(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct pfscan	*ps = arg;
	uint32_t	 slot = ps->pf->ids[id].slot;
	const char	*nl;
	size_t		 i;

	(void)from;
	(void)flags;
	if (ps->nhits != 0 && to < ps->hits[ps->nhits - 1].end)
		ps->unsorted = 1;
	if (to > ps->line_end) {	/* a hit in a later line */
		nl = nlmap_find(ps->nl, ps->lo + to - 1, ps->hi);
		ps->line_end = nl != NULL ? (uint64_t)(nl - ps->lo) + 1 :
		    (uint64_t)(ps->hi - ps->lo);
		ps->line_first = ps->nhits;
	} else if (!ps->unsorted) {
		for (i = ps->line_first; i < ps->nhits; i++)
			if (ps->hits[i].slot == slot)
				return (0);	/* known for this line */
	}
	if (ps->nhits == PREFILTER_MAX_HITS)
		return (pfscan_full(ps, to));
	if (ps->nhits == ps->cap) {
		ps->cap = ps->cap != 0 ? ps->cap * 2 : 256;
		ps->hits = xreallocarray(ps->hits, ps->cap, sizeof *ps->hits);
	}
	ps->hits[ps->nhits].end = to;
	ps->hits[ps->nhits++].slot = slot;
	return (0);
}

/* Order hits by where they end. */
static int
pfscan_order(const void *a, const void *b)
{
	const struct pfhit	*x = a, *y = b;

	return (x->end < y->end ? -1 : x->end > y->end);
}

/*
 * Scan a chunk's complete lines [p, p + len) (len 0: none) once for all
 * slots; then pfscan_line gives each line of it its verdicts.
 */
void
pfscan_chunk(struct pfscan *ps, struct scratch *sc, const struct nlmap *nl,
    const char *p, size_t len)
{
	const struct prefilter	*pf;

	if (ps == NULL)
		return;		/* no prefilter: nothing to scan for */
	pf = ps->pf;
	ps->nl = nl;
	ps->lo = ps->hi = p;
	ps->nhits = ps->cur = ps->line_first = 0;
	ps->line_end = 0;
	ps->unsorted = 0;
	if (len == 0 || len > UINT32_MAX / 2)
		return;		/* nothing seen: every rule decides */
	ps->hi = p + len;
	if (prefilter_scan(pf, sc, p, len, 1, 1, pfscan_hit, ps) < 0) {
		log_debug("prefilter scan failed");
		ps->hi = ps->lo;
		return;
	}
	if (ps->unsorted && ps->nhits > 1)
		qsort(ps->hits, ps->nhits, sizeof *ps->hits, pfscan_order);
}

/* A phrase search: the best match so far in one subject. */
struct phsearch {
	const struct patterns	*p;
	const char		*s;
	size_t			 len;
	size_t			 base;		/* where the window starts */
	int			 partial;	/* the window ends the subject */
	int			 found;
	int			 best_partial;
	size_t			 best_s;
	uint32_t		 best_i;	/* the phrase's place in the list */
};

/* Offer a match (or a partial one) of phrase i at start ks. */
static void
phrases_offer(struct phsearch *ph, size_t ks, uint32_t i, int partial)
{
	if (ph->found && (ks > ph->best_s || (ks == ph->best_s &&
	    i > ph->best_i)))
		return;
	ph->found = 1;
	ph->best_s = ks;
	ph->best_i = i;
	ph->best_partial = partial;
}

/*
 * May the subject's last n bytes, equal to the first n of phrase src, be
 * a partial match of it?  Not if they end inside a character (the
 * phrase's next byte continues one): PCRE2's JIT, with
 * PCRE2_MATCH_INVALID_UTF, finds no partial match at a character the
 * subject's end cuts short, as the alternation of the phrases would not.
 */
static int
phrases_partial_ok(const struct pattern_src *src, size_t n)
{
	return (!utf8_cont((unsigned char)src->text[n]));
}

/* Vectorscan's callback for a phrase search: check the key's phrases. */
static int
phrases_hit(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct phsearch			*ph = arg;
	const struct pfid		*k;
	const struct pattern_src	*src;
	size_t				 ks, j, rest;
	uint32_t			 i;

	(void)from;
	(void)flags;
	k = &((const struct prefilter *)ph->p->pf)->ids[id];
	if (k->slot + 1 != (uint32_t)ph->p->pf_id)
		return (0);	/* another list's literal */
	ks = ph->base + (size_t)to - k->keylen;
	rest = ph->len - ks;
	for (j = k->first; j < (size_t)k->first + k->count; j++) {
		i = ph->p->sorted[j];
		src = &ph->p->src[i];
		if (src->len <= rest) {
			if (fold_cmp(ph->s + ks, src->text, src->len,
			    ph->p->caseless) == 0)
				phrases_offer(ph, ks, i, 0);
		} else if (ph->partial && phrases_partial_ok(src, rest) &&
		    fold_cmp(ph->s + ks, src->text, rest, ph->p->caseless) == 0)
			phrases_offer(ph, ks, i, 1);
	}
	return (0);
}

/*
 * Partial matches too short to hold a key: phrases that the subject's
 * last bytes, from ks, begin (found by binary search in the sorted list).
 */
static void
phrases_tail(struct phsearch *ph, size_t ks)
{
	const struct patterns		*p = ph->p;
	const struct pattern_src	*src;
	size_t				 lo = 0, hi = p->n, mid, n, j;

	n = ph->len - ks;
	while (lo < hi) {	/* the first phrase not below the tail */
		mid = lo + (hi - lo) / 2;
		src = &p->src[p->sorted[mid]];
		if (fold_cmp(src->text, ph->s + ks, src->len < n ?
		    src->len : n, p->caseless) < 0 || (src->len < n &&
		    fold_cmp(src->text, ph->s + ks, src->len,
		    p->caseless) == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (j = lo; j < p->n; j++) {
		src = &p->src[p->sorted[j]];
		if (src->len < n || fold_cmp(src->text, ph->s + ks, n,
		    p->caseless) != 0)
			break;
		if (src->len > n && phrases_partial_ok(src, n))
			phrases_offer(ph, ks, p->sorted[j], 1);
	}
}

/* Search the window [ph->base, end) of the subject. */
static void
phrases_window(struct phsearch *ph, struct scratch *sc, size_t end)
{
	const struct prefilter	*pf = ph->p->pf;
	size_t			 ks;

	ph->partial = ph->partial && end == ph->len;
	if (end > ph->base)	/* only the matchers holding its keys */
		(void)prefilter_scan(pf, sc, ph->s + ph->base, end - ph->base,
		    ph->p->pf_dbkeys != 0, ph->p->pf_sampledkeys != 0,
		    phrases_hit, ph);
	if (!ph->partial)
		return;
	ks = ph->len > PREFILTER_KEY_MAX ? ph->len - PREFILTER_KEY_MAX + 1 : 0;
	for (ks = ks > ph->base ? ks : ph->base; ks < ph->len; ks++)
		if (!ph->found || ks <= ph->best_s)
			phrases_tail(ph, ks);
}

/*
 * Find the first match of a phrase list in s[start, len), as PCRE2 finds
 * one of the alternation of its phrases: the leftmost, and there the
 * first in the list; with PCRE2_PARTIAL_HARD, a phrase the end of s cuts
 * short counts where it starts.  The search widens a window from start
 * until the best match starts the longest key's length before its end:
 * the key of any match starting earlier then lies wholly in the window,
 * so the search has seen it.
 */
enum pattern_result
phrases_exec(const struct patterns *p, struct scratch *sc, const char *s,
    size_t len, size_t start, uint32_t opts, size_t *ms, size_t *me)
{
	struct phsearch	ph;
	size_t		w = PREFILTER_WINDOW, end;

	memset(&ph, 0, sizeof ph);
	ph.p = p;
	ph.s = s;
	ph.len = len;
	for (;;) {
		end = len - start > w ? start + w : len;
		ph.base = start;
		ph.partial = (opts & PCRE2_PARTIAL_HARD) != 0;
		phrases_window(&ph, sc, end);
		if (end == len || (ph.found && ph.best_s + PREFILTER_KEY_MAX <=
		    end))
			break;
		w = w < SIZE_MAX / 4 ? w * 2 : SIZE_MAX / 2;
		ph.found = 0;
	}
	if (!ph.found)
		return (PATTERN_NOMATCH);
	*ms = ph.best_s;
	*me = ph.best_partial ? len : ph.best_s + p->src[ph.best_i].len;
	return (ph.best_partial ? PATTERN_PARTIAL : PATTERN_MATCH);
}

