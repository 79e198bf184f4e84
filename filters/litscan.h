/*
 * A SIMD scan for a few literals (the rules' required literals, most
 * often a handful: prefilter.c), in place of a Vectorscan database when
 * there are at most LITSCAN_MAX_LITS.  Each literal is looked for by its
 * last (up to) LITSCAN_PROBE bytes, its probe; the probes go into eight
 * buckets, and one pass of nibble lookups (byte shuffles, with AVX-512 or
 * AVX2) tells, for every place in the text, which bucket's probe it holds,
 * byte for byte (ASCII letters of a caseless literal in either case).
 * Every such place is checked against the bucket's literals in full, so
 * nothing is missed and nothing is reported that is not there.  Matches
 * come in order of their ends.  Only sets that this finds exactly are
 * taken: literals of LITSCAN_PROBE_MIN bytes or more, with at most
 * LITSCAN_BUCKETS distinct probes.
 */
#ifndef LITSCAN_H
#define LITSCAN_H

#include <stddef.h>
#include <stdint.h>

#define LITSCAN_MAX_LITS	64
#define LITSCAN_PROBE		4	/* bytes of a literal's probe */
#define LITSCAN_PROBE_MIN	3	/* and fewest: no shorter literal */
#define LITSCAN_BUCKETS		8

/* A literal to look for: its bytes stay the caller's. */
struct litscan_lit {
	const char	*s;
	uint32_t	 len;
	uint32_t	 id;
	int		 caseless;	/* ASCII letters fold */
};

struct litscan;

/* A literal found: its id, end just past it; 1: stop. */
typedef int (*litscan_found)(uint32_t id, size_t end, void *arg);

struct litscan	*litscan_build(const struct litscan_lit *, size_t);
void		 litscan_free(struct litscan *);
int		 litscan_scan(const struct litscan *, const char *, size_t,
		    litscan_found, void *);
int		 litscan_available(void);
int		 litscan_set_simd(int);

#endif
