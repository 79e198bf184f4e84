/*
 * Per-thread matching resources: what a match needs besides the compiled
 * patterns (a PCRE2 JIT stack and match context; the multi-pattern
 * matcher's scratch space; the newline map of the slice being fed).  One
 * per thread, never shared between threads; every engine a thread runs
 * may use the same one, one after another (one feed at a time).
 */
#ifndef SCRATCH_H
#define SCRATCH_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdint.h>

/*
 * Memory one match may use: the JIT stack's maximum size, and the heap
 * limit of PCRE2's interpreter (which needs several times more per
 * backtracking position than the JIT).  16 MiB lets the JIT repeat a
 * two-alternative group over a whole 1 MiB line.
 */
#define SCRATCH_MATCH_MEMORY	(16 * 1024 * 1024)
#define SCRATCH_JIT_START	(32 * 1024)

struct scratch;
struct nlmap;
struct hs_database;
struct hs_scratch;

struct scratch		*scratch_new(void);
void			 scratch_free(struct scratch *);
pcre2_match_context	*scratch_match_context(struct scratch *);
pcre2_match_data	*scratch_match_data(struct scratch *, uint32_t);
struct hs_scratch	*scratch_hs(struct scratch *, const struct hs_database *,
			    uint64_t);
struct nlmap		*scratch_nlmap_take(struct scratch *);
void			 scratch_nlmap_release(struct scratch *);

#endif
