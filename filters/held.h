/* Whole lines a rule holds back (a block, blank lines), copied, bounded. */
#ifndef HELD_H
#define HELD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "filter.h"

struct held_line {
	size_t		off;
	size_t		len;
	size_t		eol_len;
	uint64_t	lineno;
};

struct held {
	struct buf		 bytes;
	struct held_line	*v;
	size_t			 n;
	size_t			 cap;
};

void	held_add(struct held *, const struct line *);
void	held_get(const struct held *, size_t, struct line *);
void	held_pass(struct held *, struct stage *, size_t, size_t);
void	held_drop(struct held *, struct stage *);
void	held_shift(struct held *, size_t);
void	held_free(struct held *);

/* Forget every held line. */
static inline void
held_clear(struct held *h)
{
	h->n = 0;
	buf_reset(&h->bytes);
}

#endif
