/*
 * A first stage for large sets of long literals (the keys of phrase lists,
 * prefilter.c): every key is SAMPLE_KEY bytes, so an occurrence of one
 * holds, at a text position that is a multiple of SAMPLE_STEP, one of its
 * SAMPLE_STEP grams of SAMPLE_GRAM bytes.  A scan hashes the gram at every
 * SAMPLE_STEP-th byte only, tests it in a bitmap of all keys' grams
 * (three bits of one word a gram), and where all are set checks the few
 * places a key could begin against a hash table of the keys.  Nothing is missed;
 * bits set by other grams cost a few table probes.  Keys fold ASCII
 * letters if caseless.
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

#endif
