/*
 * drop-block: drop from a line matching `begin` through the next line
 * matching `end`.  Lines are held until the end is seen; if it does not
 * come within max_lines lines or max_bytes bytes, or by the end of the
 * document, the held lines are passed on unchanged.  A line longer than
 * max_line is never part of a block.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "held.h"
#include "pattern.h"
#include "xmalloc.h"

#define DROP_BLOCK_MAX_LINES	64
#define DROP_BLOCK_MAX_BYTES	(1024 * 1024)

struct drop_block_conf {
	struct patterns	begin;
	struct patterns	end;
	uint64_t	max_lines;
	uint64_t	max_bytes;
};

struct drop_block_state {
	struct held	held;	/* the open block, begin line first */
};

/* New configuration with default limits. */
static void *
drop_block_conf_new(void)
{
	struct drop_block_conf	*c;

	c = xcalloc(1, sizeof *c);
	c->max_lines = DROP_BLOCK_MAX_LINES;
	c->max_bytes = DROP_BLOCK_MAX_BYTES;
	return (c);
}

/* Take begin, end, their _file forms, caseless, max_lines, max_bytes. */
static int
drop_block_conf_set(void *arg, const struct cfgkey *k, struct config_ctx *ctx,
    char **cause)
{
	struct drop_block_conf	*c = arg;
	int			 rc;

	if (strcmp(k->key, "caseless") == 0) {
		if (filter_parse_bool(k->value, &c->begin.caseless) != 0) {
			*cause = xasprintf("caseless must be yes or no");
			return (-1);
		}
		c->end.caseless = c->begin.caseless;
		return (0);
	}
	if (strcmp(k->key, "max_lines") == 0) {
		if (filter_parse_size(k->value, &c->max_lines) != 0 ||
		    c->max_lines < 2 || c->max_lines > 1000000) {
			*cause = xasprintf("max_lines must be a number "
			    "from 2 to 1000000");
			return (-1);
		}
		return (0);
	}
	if (strcmp(k->key, "max_bytes") == 0) {
		if (filter_parse_size(k->value, &c->max_bytes) != 0 ||
		    c->max_bytes == 0 || c->max_bytes > 1024 * 1024 * 1024) {
			*cause = xasprintf("max_bytes must be a size from 1 "
			    "byte to 1G");
			return (-1);
		}
		return (0);
	}
	if ((rc = patterns_conf_set(&c->begin, "begin", k, ctx, cause)) != 1)
		return (rc);
	return (patterns_conf_set(&c->end, "end", k, ctx, cause));
}

/* Compile both pattern lists. */
static void
drop_block_conf_check(void *arg, const struct rule *r, struct config_ctx *ctx)
{
	struct drop_block_conf	*c = arg;

	patterns_compile(&c->begin, "begin", r->file, r->line, ctx);
	patterns_compile(&c->end, "end", r->file, r->line, ctx);
}

/* The rule's pattern lists, begin then end, for the prefilter. */
static struct patterns *
drop_block_conf_patterns(void *arg, size_t i)
{
	struct drop_block_conf	*c = arg;

	return (i == 0 ? &c->begin : i == 1 ? &c->end : NULL);
}

/* Free the configuration. */
static void
drop_block_conf_free(void *arg)
{
	struct drop_block_conf	*c = arg;

	patterns_free(&c->begin);
	patterns_free(&c->end);
	free(c);
}

/* Per-stream state: the held block. */
static void *
drop_block_state_new(const struct rule *r, size_t max_line)
{
	(void)r;
	(void)max_line;
	return (xcalloc(1, sizeof (struct drop_block_state)));
}

/* Forget the open block, for a new document. */
static void
drop_block_state_reset(void *arg)
{
	struct drop_block_state	*s = arg;

	held_clear(&s->held);
}

/* Free per-stream state. */
static void
drop_block_state_free(void *arg)
{
	struct drop_block_state	*s = arg;

	held_free(&s->held);
	free(s);
}

/* Does a whole line start a block? */
static int
drop_block_begins(struct stage *st, const struct line *l)
{
	struct drop_block_conf	*c = st->rule->conf;

	return (patterns_may_line(&c->begin, st, l) &&
	    patterns_test(&c->begin, st, NULL, l->data, l->len, 0));
}

/*
 * The block did not end in time: pass on its begin line and every line
 * before the next line that begins a block, which stays held.  Held lines
 * hold no end line, so the rest can only start a new block.
 */
static void
drop_block_release(struct stage *st)
{
	struct drop_block_state	*s = st->state;
	struct line		 l;
	size_t			 i;

	for (i = 1; i < s->held.n; i++) {
		held_get(&s->held, i, &l);
		if (drop_block_begins(st, &l))
			break;
	}
	held_pass(&s->held, st, 0, i);
	held_shift(&s->held, i);
}

/* Hold, drop or pass one line. */
static void
drop_block_line(struct stage *st, const struct line *l)
{
	struct drop_block_conf	*c = st->rule->conf;
	struct drop_block_state	*s = st->state;

	if (l->flags & (LINE_MORE | LINE_CONT)) {
		while (s->held.n != 0)
			drop_block_release(st);
		stage_next(st, l);
		return;
	}
	if (s->held.n == 0) {
		if (drop_block_begins(st, l))
			held_add(&s->held, l);
		else
			stage_next(st, l);
		return;
	}
	held_add(&s->held, l);
	if (patterns_may_line(&c->end, st, l) &&
	    patterns_test(&c->end, st, NULL, l->data, l->len, 0)) {
		st->stats.matches++;
		held_drop(&s->held, st);
		return;
	}
	while (s->held.n != 0 && (s->held.n >= c->max_lines ||
	    held_size(&s->held) > c->max_bytes))
		drop_block_release(st);
}

/* End of document: an unfinished block is passed on unchanged. */
static void
drop_block_finish(struct stage *st)
{
	struct drop_block_state	*s = st->state;

	held_pass(&s->held, st, 0, s->held.n);
	held_clear(&s->held);
}

/* Idle: no block open, and a line with no hit cannot begin one. */
static int
drop_block_idle(const struct stage *st)
{
	const struct drop_block_conf	*c = st->rule->conf;
	const struct drop_block_state	*s = st->state;

	return (s->held.n == 0 && c->begin.pf_id != 0);
}

const struct filter_type filter_drop_block = {
	.name = "drop-block",
	.conf_new = drop_block_conf_new,
	.conf_set = drop_block_conf_set,
	.conf_check = drop_block_conf_check,
	.conf_free = drop_block_conf_free,
	.state_new = drop_block_state_new,
	.state_reset = drop_block_state_reset,
	.state_free = drop_block_state_free,
	.line = drop_block_line,
	.finish = drop_block_finish,
	.conf_patterns = drop_block_conf_patterns,
	.idle = drop_block_idle,
};
