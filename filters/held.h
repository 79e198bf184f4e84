/* Whole lines a rule holds back (a block, blank lines), copied, bounded. */
#ifndef HELD_H
#define HELD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "filter.h"

struct held_line {
	uint64_t	off;		/* in the queue's bytes ever added */
	size_t		len;
	size_t		eol_len;
	uint64_t	lineno;
};

/*
 * A FIFO queue: lines are added at the end and taken from the front.
 * Taking moves nothing; the space before the first live line is reclaimed
 * once it is at least as large as what is live, so every operation costs
 * O(1) amortized (plus the bytes copied in).
 */
struct held {
	struct buf		 bytes;
	uint64_t		 base;	/* offset of bytes.data[0] */
	size_t			 dead;	/* bytes before the first live line */
	struct held_line	*v;
	size_t			 head;	/* first live line in v */
	size_t			 n;	/* live lines */
	size_t			 cap;
};

void	held_add(struct held *, const struct line *);
void	held_get(const struct held *, size_t, struct line *);
void	held_pass(struct held *, struct stage *, size_t, size_t);
void	held_drop(struct held *, struct stage *);
void	held_shift(struct held *, size_t);
void	held_clear(struct held *);
void	held_free(struct held *);

/* Bytes of the live lines, endings included. */
static inline size_t
held_size(const struct held *h)
{
	return (h->bytes.len - h->dead);
}

#endif
