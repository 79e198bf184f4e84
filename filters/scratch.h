/*
 * Per-thread matching resources: what a match needs besides the compiled
 * patterns (a PCRE2 JIT stack and match context; the multi-pattern
 * matcher's scratch space).  One per thread, never shared between threads;
 * every engine a thread runs may use the same one, one after another.
 */
#ifndef SCRATCH_H
#define SCRATCH_H

struct scratch;

struct scratch	*scratch_new(void);
void		 scratch_free(struct scratch *);

#endif
