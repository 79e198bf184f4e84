/*
 * A first stage for large sets of long literals (the keys of phrase lists,
 * prefilter.c): every key is SAMPLE_KEY bytes, so an occurrence of one
 * has a text position that is a multiple of SAMPLE_STEP in its first
 * SAMPLE_STEP bytes.  A scan probes there only: it moves back to the
 * start of the character that byte is in (three bytes at most; not at
 * all if no key needs it), hashes the gram of SAMPLE_GRAM bytes there,
 * and tests it in a bitmap of the keys' grams (three bits of one word a
 * gram); where all are set, it checks the few places a key could begin
 * against a hash table of the keys.  A key has a gram at each place a
 * probe inside it can move to: three for four CJK characters, seven for
 * ASCII (then no probe needs to move).  Nothing is missed;
 * bits set by other grams cost a few table probes.  Keys fold ASCII
 * letters if caseless, and must begin a character (not with a UTF-8
 * continuation byte; phrases are valid UTF-8).
 */
#ifndef SAMPLE_H
#define SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_KEY	12	/* bytes of a key: four CJK characters */
#define SAMPLE_GRAM	6	/* bytes of a gram */
#define SAMPLE_STEP	(SAMPLE_KEY - SAMPLE_GRAM + 1)

struct sample;

/* A key found: id as given to sample_add, end just past it; 1: stop. */
typedef int (*sample_found)(uint32_t id, size_t end, void *arg);

struct sample	*sample_new(size_t);
void		 sample_add(struct sample *, const char *, int, uint32_t);
void		 sample_build(struct sample *);
size_t		 sample_count(const struct sample *);
int		 sample_scan(const struct sample *, const char *, size_t,
		    sample_found, void *);
void		 sample_free(struct sample *);
int		 sample_set_simd(int);
int		 sample_set_gather(int);

#endif
