/* A queue of copied whole lines that a rule may later pass on or drop. */
#include <stdlib.h>
#include <string.h>

#include "held.h"
#include "xmalloc.h"

/* Copy a whole line (with its ending) to the end of the queue. */
void
held_add(struct held *h, const struct line *l)
{
	struct held_line	*hl;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
	}
	hl = &h->v[h->n++];
	hl->off = h->bytes.len;
	hl->len = l->len;
	hl->eol_len = l->eol_len;
	hl->lineno = l->lineno;
	buf_append(&h->bytes, l->data, l->len);
	buf_append(&h->bytes, l->eol, l->eol_len);
}

/* Describe held line i as a struct line pointing into the queue. */
void
held_get(const struct held *h, size_t i, struct line *l)
{
	const struct held_line	*hl = &h->v[i];

	l->data = h->bytes.data + hl->off;
	l->len = hl->len;
	l->eol = l->data + hl->len;
	l->eol_len = hl->eol_len;
	l->lineno = hl->lineno;
	l->flags = 0;
}

/* Pass held lines [from, to) to the next stage, unchanged. */
void
held_pass(struct held *h, struct stage *st, size_t from, size_t to)
{
	struct line	l;
	size_t		i;

	for (i = from; i < to; i++) {
		held_get(h, i, &l);
		stage_next(st, &l);
	}
}

/* Drop every held line, counting them, and empty the queue. */
void
held_drop(struct held *h, struct stage *st)
{
	struct line	l;
	size_t		i;

	for (i = 0; i < h->n; i++) {
		held_get(h, i, &l);
		stage_drop(st, &l);
	}
	held_clear(h);
}

/* Remove the first n held lines from the queue. */
void
held_shift(struct held *h, size_t n)
{
	size_t	i, skip;

	if (n >= h->n) {
		held_clear(h);
		return;
	}
	skip = h->v[n].off;
	buf_consume(&h->bytes, skip);
	memmove(h->v, h->v + n, (h->n - n) * sizeof *h->v);
	h->n -= n;
	for (i = 0; i < h->n; i++)
		h->v[i].off -= skip;
}

/* Release the queue's memory. */
void
held_free(struct held *h)
{
	buf_free(&h->bytes);
	free(h->v);
	memset(h, 0, sizeof *h);
}
