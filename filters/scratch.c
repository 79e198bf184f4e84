/*
 * Per-thread matching resources (see scratch.h).  The JIT stack is made on
 * the first match, so an engine that never matches costs no mapping; its
 * pages are only committed as deep matches touch them.
 *
 * One match data serves every rule: a match's results are read before the
 * thread runs another match, so rules need no match data of their own, a
 * stream costs no allocation per rule, and the interpreter's backtracking
 * frames (kept in the match data, up to the heap limit) exist once per
 * thread, not once per rule and stream.
 */
#include <stdlib.h>

#ifdef SCRUBD_VECTORSCAN
#include <hs.h>
#endif

#include "log.h"
#include "nlmap.h"
#include "scratch.h"
#include "xmalloc.h"

struct scratch {
	pcre2_jit_stack		*jit_stack;
	pcre2_match_context	*mctx;
	pcre2_match_data	*md;		/* every match's results */
	uint32_t		 pairs;		/* of md's ovector */
	struct hs_scratch	*hs;		/* the prefilter's (Vectorscan) */
	uint64_t		 hs_serial;	/* of the database hs fits */
	struct nlmap		 nl;		/* the engine's, for one slice */
	int			 nl_taken;	/* by an engine feeding a slice */
};

/* New scratch space for one thread. */
struct scratch *
scratch_new(void)
{
	return (xcalloc(1, sizeof (struct scratch)));
}

/* Free a thread's scratch space. */
void
scratch_free(struct scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jit_stack);
#ifdef SCRUBD_VECTORSCAN
	hs_free_scratch(sc->hs);
#endif
	nlmap_free(&sc->nl);
	free(sc);
}

/* The match context every match of this thread uses, made on first use. */
pcre2_match_context *
scratch_match_context(struct scratch *sc)
{
	if (sc->mctx != NULL)
		return (sc->mctx);
	if ((sc->mctx = pcre2_match_context_create(NULL)) == NULL)
		fatalx("out of memory creating a match context");
	pcre2_set_heap_limit(sc->mctx, SCRATCH_MATCH_MEMORY / 1024);
	/* NULL when PCRE2 was built without JIT: nothing then uses it. */
	sc->jit_stack = pcre2_jit_stack_create(SCRATCH_JIT_START,
	    SCRATCH_MATCH_MEMORY, NULL);
	if (sc->jit_stack != NULL)
		pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit_stack);
	else
		log_debug("no JIT stack: the JIT's own 32 KiB is used");
	return (sc->mctx);
}

/* The thread's match data, with room for pairs capture pairs. */
pcre2_match_data *
scratch_match_data(struct scratch *sc, uint32_t pairs)
{
	if (sc->md != NULL && sc->pairs >= pairs)
		return (sc->md);
	pcre2_match_data_free(sc->md);
	if ((sc->md = pcre2_match_data_create(pairs, NULL)) == NULL)
		fatalx("out of memory creating match data");
	sc->pairs = pairs;
	return (sc->md);
}

/*
 * The thread's Vectorscan scratch space, made (or grown) to fit database
 * db, whose unique serial says when it must be checked again.  Grown
 * space still fits every database it fitted before.
 */
struct hs_scratch *
scratch_hs(struct scratch *sc, const struct hs_database *db, uint64_t serial)
{
#ifdef SCRUBD_VECTORSCAN
	if (sc->hs != NULL && sc->hs_serial == serial)
		return (sc->hs);
	if (hs_alloc_scratch(db, &sc->hs) != HS_SUCCESS)
		fatalx("cannot allocate Vectorscan scratch space");
	sc->hs_serial = serial;
	return (sc->hs);
#else
	(void)sc;
	(void)db;
	(void)serial;
	fatalx("scratch_hs without Vectorscan");
#endif
}

/*
 * Take the thread's newline map for one slice: an engine maps each slice
 * it is fed here (nlmap.h), 1 MiB of text (128 KiB of map) or a line of
 * up to max_line.  One engine at a time: a feed inside another on the
 * same scratch space is a fatal error.
 */
struct nlmap *
scratch_nlmap_take(struct scratch *sc)
{
	if (sc->nl_taken)
		fatalx("scratch: newline map taken twice (a nested feed)");
	sc->nl_taken = 1;
	return (&sc->nl);
}

/* Give the newline map back; one grown past NLMAP_KEEP is freed. */
void
scratch_nlmap_release(struct scratch *sc)
{
	if (sc->nl.cap > NLMAP_KEEP / 64)
		nlmap_free(&sc->nl);
	sc->nl_taken = 0;
}
