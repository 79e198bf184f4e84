/*
 * The newlines of a slice of input, as a bitmap: bit i of the map is set
 * when byte i is '\n', with a summary of one bit a word.  The engine maps
 * each slice it is fed (1 MiB, or a line up to max_line) in one pass
 * (AVX2 where the machine has it, else SSE2, else a byte loop), and then
 * finds each line's end,
 * and the lines between two prefilter hits, with bit operations instead
 * of a memchr call per line.  The map lives in the thread's scratch space.
 */
#ifndef NLMAP_H
#define NLMAP_H

#include <stddef.h>
#include <stdint.h>

#define NLMAP_NONE	SIZE_MAX
#define NLMAP_KEEP	(1024 * 1024)	/* text whose map a thread keeps */

struct nlmap {
	const char	*base;		/* the slice mapped */
	size_t		 len;
	uint64_t	*bits;		/* (len + 63) / 64 words */
	uint64_t	*sum;		/* bit w: bits[w] is not 0 */
	size_t		 cap;		/* words allocated */
};

void	nlmap_build(struct nlmap *, const char *, size_t);
void	nlmap_free(struct nlmap *);
int	nlmap_set_avx2(int);		/* for tests: both ways on one machine */

/*
 * Offset of the first newline at or after off, or m->len if none: in the
 * word of off, else in the next word the summary says has one.
 */
static inline size_t
nlmap_next(const struct nlmap *m, size_t off)
{
	size_t		w, s, nw;
	uint64_t	bits;

	if (off >= m->len)
		return (m->len);
	w = off >> 6;
	bits = m->bits[w] & (~(uint64_t)0 << (off & 63));
	if (bits != 0)
		return ((w << 6) + (size_t)__builtin_ctzll(bits));
	nw = (m->len + 63) >> 6;
	if (++w == nw)
		return (m->len);
	s = w >> 6;
	bits = m->sum[s] & (~(uint64_t)0 << (w & 63));
	while (bits == 0) {
		if (++s == (nw + 63) >> 6)
			return (m->len);
		bits = m->sum[s];
	}
	w = (s << 6) + (size_t)__builtin_ctzll(bits);
	return ((w << 6) + (size_t)__builtin_ctzll(m->bits[w]));
}

/* Offset of the last newline before off, or NLMAP_NONE if none. */
static inline size_t
nlmap_prev(const struct nlmap *m, size_t off)
{
	size_t		w;
	uint64_t	bits;

	if (off > m->len)
		off = m->len;
	if (off == 0)
		return (NLMAP_NONE);
	off--;
	w = off >> 6;
	bits = m->bits[w] & (~(uint64_t)0 >> (63 - (off & 63)));
	while (bits == 0) {
		if (w == 0)
			return (NLMAP_NONE);
		bits = m->bits[--w];
	}
	return ((w << 6) + 63 - (size_t)__builtin_clzll(bits));
}

/* The newline at or after p in the slice, or NULL if none before end. */
static inline const char *
nlmap_find(const struct nlmap *m, const char *p, const char *end)
{
	size_t	o = nlmap_next(m, (size_t)(p - m->base));

	return (m->base + o < end ? m->base + o : NULL);
}

/* The last newline before p in the slice, or NULL if none from lo on. */
static inline const char *
nlmap_find_before(const struct nlmap *m, const char *p, const char *lo)
{
	size_t	o = nlmap_prev(m, (size_t)(p - m->base));

	return (o != NLMAP_NONE && m->base + o >= lo ? m->base + o : NULL);
}

#endif
