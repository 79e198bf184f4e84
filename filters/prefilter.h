/*
 * The whole-buffer prefilter.  At configuration time every pattern list
 * of every rule (a "slot") gets the literals one of which each of its
 * matches must contain (required.c), and a phrase list its phrases' keys;
 * they go into one Vectorscan literal database (or, if there are only a
 * few, litscan.h's scan), all but the long phrases' keys, which go to the
 * sampled-gram matcher (sample.h), all built once per configuration and
 * shared by every stream and thread.  For each chunk
 * fed (each slice of it: engine.c), the engine scans its complete lines
 * once (pfscan_chunk, which finds line ends in the slice's newline map,
 * nlmap.h) and learns, line by line (pfscan_line), which slots may match
 * it: a slot without a hit in a line the scan saw whole cannot match
 * that line, and its rule skips PCRE2 there.  It may say "maybe" too
 * often, never "no" wrongly.
 *
 * The same two find the phrases of phrase lists (phrases_file):
 * phrases_exec() matches a list in any text, as PCRE2 would match the
 * alternation of the phrases quoted (leftmost, then first listed).
 *
 * Without Vectorscan (make VECTORSCAN=no) there is a prefilter only if
 * litscan.h takes all the rules' literals (a few, none short: see there;
 * on a CPU with AVX2), and phrase lists are compiled by PCRE2 (pattern.c)
 * and run on every line.  With prefilter_set_enabled(0) before loading
 * there is none: every rule runs on every line, and phrase lists are
 * PCRE2's too.
 */
#ifndef PREFILTER_H
#define PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

struct config;
struct nlmap;
struct config_ctx;
struct prefilter;
struct scratch;

/* One hit of a chunk scan: a slot may match the line holding end - 1. */
struct pfhit {
	uint64_t	end;
	uint32_t	slot;
};

/* A stream's scan of its current chunk (see pfscan_chunk, pfscan_line). */
struct pfscan {
	const struct prefilter	*pf;
	uint64_t		*mark;		/* per slot: last line it may match */
	struct pfhit		*hits;
	size_t			 nhits;
	size_t			 cap;
	size_t			 cur;		/* next hit to apply */
	const char		*lo;		/* lines wholly in [lo, hi) seen */
	const char		*hi;
	const struct nlmap	*nl;		/* the newlines around them */
	uint64_t		 serial;	/* of the last line handed out */
	uint64_t		 line_end;	/* scan: past the current line */
	size_t			 line_first;	/* scan: its first hit */
	int			 unsorted;
};

int		 prefilter_available(void);
int		 prefilter_enabled(void);
int		 prefilter_phrases_enabled(void);
void		 prefilter_set_enabled(int);
struct prefilter *prefilter_build(struct config *, struct config_ctx *);
void		 prefilter_free(struct prefilter *);
size_t		 prefilter_nslots(const struct prefilter *);
struct pfscan	*pfscan_new(const struct prefilter *);
void		 pfscan_free(struct pfscan *);
void		 pfscan_chunk(struct pfscan *, struct scratch *,
		    const struct nlmap *, const char *, size_t);
enum pattern_result phrases_exec(const struct patterns *, struct scratch *,
		    const char *, size_t, size_t, uint32_t, size_t *, size_t *);

/*
 * The verdicts for the line [p, p + len) followed by '\n', the next
 * line of the chunk handed out: its serial (for pfscan_may), or 0 if the
 * scan did not see it whole (or there is no prefilter: ps NULL).
 */
static inline uint64_t
pfscan_line(struct pfscan *ps, const char *p, size_t len)
{
	uint64_t	start, end;

	if (ps == NULL || p < ps->lo || p + len >= ps->hi)
		return (0);
	ps->serial++;
	if (ps->cur == ps->nhits)
		return (ps->serial);	/* no hit left in the chunk */
	start = (uint64_t)(p - ps->lo);
	end = start + len;
	while (ps->cur < ps->nhits && ps->hits[ps->cur].end <= start)
		ps->cur++;
	for (; ps->cur < ps->nhits && ps->hits[ps->cur].end <= end; ps->cur++)
		ps->mark[ps->hits[ps->cur].slot] = ps->serial;
	return (ps->serial);
}

/*
 * For quiet lines (engine.c), p being a line start in the scanned chunk:
 * the lines from p whose newline lies before the point returned have no
 * hit (hits before p are skipped).  NULL: p is not in the lines the scan
 * saw.
 */
static inline const char *
pfscan_quiet_end(struct pfscan *ps, const char *p)
{
	uint64_t	start;

	if (p < ps->lo || p >= ps->hi)
		return (NULL);
	start = (uint64_t)(p - ps->lo);
	while (ps->cur < ps->nhits && ps->hits[ps->cur].end <= start)
		ps->cur++;
	if (ps->cur < ps->nhits &&
	    ps->hits[ps->cur].end < (uint64_t)(ps->hi - ps->lo))
		return (ps->lo + ps->hits[ps->cur].end);
	return (ps->hi);
}

/* May slot match the line given serial by pfscan_line? */
static inline int
pfscan_may(const struct pfscan *ps, int slot, uint64_t serial)
{
	return (ps->mark[slot] == serial);
}

#endif
