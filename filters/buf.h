/* A growable byte buffer: lengths, never C strings. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	buf_reserve(struct buf *, size_t);
void	buf_append(struct buf *, const void *, size_t);
void	buf_consume(struct buf *, size_t);
void	buf_free(struct buf *);

/* Forget the contents but keep the allocation. */
static inline void
buf_reset(struct buf *b)
{
	b->len = 0;
}

#endif
