/*
 * ASCII case folding for the literal matchers (prefilter.c, sample.c):
 * only the letters A-Z fold, so bytes of UTF-8 and invalid bytes compare
 * as they are, as required.c keeps literals.
 */
#ifndef FOLD_H
#define FOLD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A byte with an ASCII capital letter folded to small (the C tolower). */
static inline int
fold_byte(unsigned char c)
{
	return (c | ((unsigned)(c - 'A') < 26u) << 5);
}

/* Compare n bytes, ASCII letters folded if caseless. */
static inline int
fold_cmp(const char *a, const char *b, size_t n, int caseless)
{
	size_t	i;
	int	x, y;

	if (!caseless)
		return (memcmp(a, b, n));
	for (i = 0; i < n; i++) {
		x = fold_byte((unsigned char)a[i]);
		y = fold_byte((unsigned char)b[i]);
		if (x != y)
			return (x - y);
	}
	return (0);
}

/* Eight bytes at once, each ASCII capital letter folded to small. */
static inline uint64_t
fold_word(uint64_t x)
{
	const uint64_t	ones = 0x0101010101010101ull;
	uint64_t	low = x & (0x7f * ones);
	uint64_t	ge_a = low + (0x80 - 'A') * ones;
	uint64_t	gt_z = low + (0x80 - 'Z' - 1) * ones;

	return (x | ((ge_a & ~gt_z & ~x & 0x80 * ones) >> 2));
}

#endif
