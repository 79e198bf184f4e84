/* A queue of copied whole lines that a rule may later pass on or drop. */
#include <stdlib.h>
#include <string.h>

#include "held.h"
#include "xmalloc.h"

/* Make room for one more line: reuse the taken front, or grow. */
static void
held_room(struct held *h)
{
	if (h->head + h->n < h->cap)
		return;
	if (h->head != 0 && h->head >= h->n) {
		memmove(h->v, h->v + h->head, h->n * sizeof *h->v);
		h->head = 0;
		return;
	}
	h->cap = h->cap != 0 ? h->cap * 2 : 16;
	h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
}

/* Copy a whole line (with its ending) to the end of the queue. */
void
held_add(struct held *h, const struct line *l)
{
	struct held_line	*hl;

	held_room(h);
	hl = &h->v[h->head + h->n++];
	hl->off = h->base + h->bytes.len;
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
	const struct held_line	*hl = &h->v[h->head + i];

	l->data = h->bytes.data + (size_t)(hl->off - h->base);
	l->len = hl->len;
	l->eol = l->data + hl->len;
	l->eol_len = hl->eol_len;
	l->lineno = hl->lineno;
	l->flags = 0;
	l->scan = 0;	/* the prefilter's verdicts were for then */
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
	if (n >= h->n) {
		held_clear(h);
		return;
	}
	h->head += n;
	h->n -= n;
	h->dead = (size_t)(h->v[h->head].off - h->base);
	if (h->dead >= h->bytes.len - h->dead) {
		buf_consume(&h->bytes, h->dead);
		h->base += h->dead;
		h->dead = 0;
	}
}

/* Forget every held line, keeping the memory. */
void
held_clear(struct held *h)
{
	h->n = h->head = h->dead = 0;
	h->base = 0;
	buf_reset(&h->bytes);
}

/* Release the queue's memory. */
void
held_free(struct held *h)
{
	buf_free(&h->bytes);
	free(h->v);
	memset(h, 0, sizeof *h);
}
