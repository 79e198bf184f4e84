/*
 * blank: squeeze runs of blank lines to their first line (like cat -s) and
 * trim blank lines at the start and end of the document.  Trailing blank
 * lines must be held until content or the end shows which they are; at
 * most BLANK_MAX_HELD bytes of them are held, beyond which they are passed.
 * A line longer than max_line is always content.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "held.h"
#include "xmalloc.h"

#define BLANK_MAX_HELD	(1024 * 1024)

struct blank_conf {
	int	squeeze;
	int	trim;
};

struct blank_state {
	int		seen_content;
	int		in_run;		/* the last line passed was blank */
	struct held	held;		/* blank lines after the last content */
};

/* New configuration: squeeze and trim both on. */
static void *
blank_conf_new(void)
{
	struct blank_conf	*c;

	c = xcalloc(1, sizeof *c);
	c->squeeze = 1;
	c->trim = 1;
	return (c);
}

/* Take squeeze and trim. */
static int
blank_conf_set(void *arg, const struct cfgkey *k, struct config_ctx *ctx,
    char **cause)
{
	struct blank_conf	*c = arg;
	int			*v;

	(void)ctx;
	if (strcmp(k->key, "squeeze") == 0)
		v = &c->squeeze;
	else if (strcmp(k->key, "trim") == 0)
		v = &c->trim;
	else
		return (1);
	if (filter_parse_bool(k->value, v) != 0) {
		*cause = xasprintf("%s must be yes or no", k->key);
		return (-1);
	}
	return (0);
}

/* Nothing to check: both keys have defaults. */
static void
blank_conf_check(void *arg, const struct rule *r, struct config_ctx *ctx)
{
	(void)arg;
	(void)r;
	(void)ctx;
}

/* Free the configuration. */
static void
blank_conf_free(void *arg)
{
	free(arg);
}

/* Per-stream state. */
static void *
blank_state_new(const struct rule *r, size_t max_line)
{
	(void)r;
	(void)max_line;
	return (xcalloc(1, sizeof (struct blank_state)));
}

/* Back to the start of a document. */
static void
blank_state_reset(void *arg)
{
	struct blank_state	*s = arg;

	s->seen_content = s->in_run = 0;
	held_clear(&s->held);
}

/* Free per-stream state. */
static void
blank_state_free(void *arg)
{
	struct blank_state	*s = arg;

	held_free(&s->held);
	free(s);
}

/* Content comes: pass the blank lines held; no run is open any more. */
static void
blank_settle(struct stage *st)
{
	struct blank_state	*s = st->state;

	if (s->held.n != 0) {
		held_pass(&s->held, st, 0, s->held.n);
		held_clear(&s->held);
	}
	s->in_run = 0;
	s->seen_content = 1;
}

/* A content line: pass held blank lines, then the line. */
static void
blank_content(struct stage *st, const struct line *l)
{
	blank_settle(st);
	stage_next(st, l);
}

/* Squeeze, trim or pass one line. */
static void
blank_line(struct stage *st, const struct line *l)
{
	struct blank_conf	*c = st->rule->conf;
	struct blank_state	*s = st->state;

	if (l->flags & LINE_CONT) {
		stage_next(st, l);
		return;
	}
	if ((l->flags & LINE_MORE) || !line_is_blank(l->data, l->len)) {
		blank_content(st, l);
		return;
	}
	if ((c->trim && !s->seen_content) || (c->squeeze && s->in_run)) {
		stage_drop(st, l);
		return;
	}
	s->in_run = 1;
	if (!c->trim) {
		stage_next(st, l);
		return;
	}
	if (held_size(&s->held) + l->len + l->eol_len > BLANK_MAX_HELD) {
		held_pass(&s->held, st, 0, s->held.n);
		held_clear(&s->held);
	}
	held_add(&s->held, l);
}

/* End of document: trailing blank lines are trimmed. */
static void
blank_finish(struct stage *st)
{
	struct blank_state	*s = st->state;

	held_drop(&s->held, st);
}

/* Idle: content seen, no blank run open, nothing held. */
static int
blank_idle(const struct stage *st)
{
	const struct blank_state	*s = st->state;

	return (s->seen_content && !s->in_run && s->held.n == 0);
}

const struct filter_type filter_blank = {
	.name = "blank",
	.conf_new = blank_conf_new,
	.conf_set = blank_conf_set,
	.conf_check = blank_conf_check,
	.conf_free = blank_conf_free,
	.state_new = blank_state_new,
	.state_reset = blank_state_reset,
	.state_free = blank_state_free,
	.line = blank_line,
	.finish = blank_finish,
	.idle = blank_idle,
	.settle = blank_settle,
	.idle_sees_blank = 1,
};
