/*
 * drop-line: drop every line one of the patterns matches.  For a line
 * longer than max_line the verdict is taken on its first piece and applies
 * to the whole line.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "pattern.h"
#include "xmalloc.h"

struct drop_line_conf {
	struct patterns	pat;
};

struct drop_line_state {
	int	dropping;	/* dropping a long line's pieces */
};

/* New, empty configuration. */
static void *
drop_line_conf_new(void)
{
	return (xcalloc(1, sizeof (struct drop_line_conf)));
}

/* Take pattern, patterns_file and caseless. */
static int
drop_line_conf_set(void *arg, const struct cfgkey *k, struct config_ctx *ctx,
    char **cause)
{
	struct drop_line_conf	*c = arg;

	if (strcmp(k->key, "caseless") == 0) {
		if (filter_parse_bool(k->value, &c->pat.caseless) != 0) {
			*cause = xasprintf("caseless must be yes or no");
			return (-1);
		}
		return (0);
	}
	return (patterns_conf_set(&c->pat, "", k, ctx, cause));
}

/* Compile the patterns. */
static void
drop_line_conf_check(void *arg, const struct rule *r, struct config_ctx *ctx)
{
	struct drop_line_conf	*c = arg;

	patterns_compile(&c->pat, "pattern", r->file, r->line, ctx);
}

/* The rule's pattern list, for the prefilter. */
static struct patterns *
drop_line_conf_patterns(void *arg, size_t i)
{
	struct drop_line_conf	*c = arg;

	return (i == 0 ? &c->pat : NULL);
}

/* Free the configuration. */
static void
drop_line_conf_free(void *arg)
{
	struct drop_line_conf	*c = arg;

	patterns_free(&c->pat);
	free(c);
}

/* Per-stream state. */
static void *
drop_line_state_new(const struct rule *r, size_t max_line)
{
	(void)r;
	(void)max_line;
	return (xcalloc(1, sizeof (struct drop_line_state)));
}

/* Back to the start of a document. */
static void
drop_line_state_reset(void *arg)
{
	struct drop_line_state	*s = arg;

	s->dropping = 0;
}

/* Free per-stream state. */
static void
drop_line_state_free(void *arg)
{
	free(arg);
}

/* Drop the line if it matches, else pass it on. */
static void
drop_line_line(struct stage *st, const struct line *l)
{
	struct drop_line_conf	*c = st->rule->conf;
	struct drop_line_state	*s = st->state;

	if (l->flags & LINE_CONT) {
		if (!s->dropping) {
			stage_next(st, l);
			return;
		}
		stage_drop(st, l);
		if (!(l->flags & LINE_MORE))
			s->dropping = 0;
		return;
	}
	if (!patterns_may_line(&c->pat, st, l) || !patterns_test(&c->pat, st,
	    NULL, l->data, l->len, l->flags & LINE_MORE)) {
		stage_next(st, l);
		return;
	}
	st->stats.matches++;
	stage_drop(st, l);
	s->dropping = (l->flags & LINE_MORE) != 0;
}

/* Idle: not dropping the pieces of a long line. */
static int
drop_line_idle(const struct stage *st)
{
	const struct drop_line_state	*s = st->state;

	return (!s->dropping);
}

const struct filter_type filter_drop_line = {
	.name = "drop-line",
	.conf_new = drop_line_conf_new,
	.conf_set = drop_line_conf_set,
	.conf_check = drop_line_conf_check,
	.conf_free = drop_line_conf_free,
	.state_new = drop_line_state_new,
	.state_reset = drop_line_state_reset,
	.state_free = drop_line_state_free,
	.line = drop_line_line,
	.finish = NULL,
	.conf_patterns = drop_line_conf_patterns,
	.skip_unmatched = 1,
	.idle = drop_line_idle,
};
