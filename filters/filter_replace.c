/*
 * replace: replace every match of the patterns in a line (by default with
 * nothing, deleting it) and drop a line this leaves blank.
 *
 * A line longer than max_line arrives in pieces.  A match that may go on
 * into the next piece (PCRE2_PARTIAL_HARD) is carried over and tried again
 * with the next piece, together with enough bytes before it for the
 * patterns' lookbehinds; so a marker split across pieces is still found.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "filter.h"
#include "log.h"
#include "pattern.h"
#include "xmalloc.h"

struct replace_conf {
	struct patterns	 pat;
	char		*replacement;
	size_t		 rlen;
	int		 expand;	/* replacement uses $ syntax */
	int		 drop_emptied;
};

struct replace_state {
	pcre2_match_data	*md;
	size_t			 max_line;
	struct buf		 carry;		/* undecided tail of a long line */
	size_t			 carry_done;	/* carry bytes already passed on */
	int			 carry_bol;	/* carry starts the line */
	struct buf		 out;		/* the rewritten text */
	struct buf		 sub;		/* one expanded replacement */
	int			 sent;		/* part of this line passed on */
	int			 changed;	/* this line had a match */
};

/* What one pass over a subject produced. */
struct replace_run {
	const char	*s;
	size_t		 len;
	size_t		 start;		/* first byte not yet passed on */
	size_t		 keep;		/* first byte left undecided */
	int		 matched;
};

/* New configuration: delete matches, drop emptied lines. */
static void *
replace_conf_new(void)
{
	struct replace_conf	*c;

	c = xcalloc(1, sizeof *c);
	c->replacement = xstrdup("");
	c->drop_emptied = 1;
	return (c);
}

/* Take the pattern keys, replacement, drop_emptied and caseless. */
static int
replace_conf_set(void *arg, const struct cfgkey *k, struct config_ctx *ctx,
    char **cause)
{
	struct replace_conf	*c = arg;

	if (strcmp(k->key, "replacement") == 0) {
		free(c->replacement);
		c->replacement = xstrdup(k->value);
		c->rlen = strlen(k->value);
		c->expand = strchr(k->value, '$') != NULL;
		return (0);
	}
	if (strcmp(k->key, "drop_emptied") == 0 ||
	    strcmp(k->key, "caseless") == 0) {
		if (filter_parse_bool(k->value, *k->key == 'd' ?
		    &c->drop_emptied : &c->pat.caseless) != 0) {
			*cause = xasprintf("%s must be yes or no", k->key);
			return (-1);
		}
		return (0);
	}
	return (patterns_conf_set(&c->pat, "", k, ctx, cause));
}

/* Compile the patterns. */
static void
replace_conf_check(void *arg, const struct rule *r, struct config_ctx *ctx)
{
	struct replace_conf	*c = arg;

	patterns_compile(&c->pat, "pattern", r->file, r->line, ctx);
}

/* Free the configuration. */
static void
replace_conf_free(void *arg)
{
	struct replace_conf	*c = arg;

	patterns_free(&c->pat);
	free(c->replacement);
	free(c);
}

/* Per-stream state. */
static void *
replace_state_new(const struct rule *r, size_t max_line)
{
	struct replace_conf	*c = r->conf;
	struct replace_state	*s;

	s = xcalloc(1, sizeof *s);
	s->md = patterns_match_data(&c->pat);
	s->max_line = max_line;
	buf_reserve(&s->sub, 256);
	return (s);
}

/* Free per-stream state. */
static void
replace_state_free(void *arg)
{
	struct replace_state	*s = arg;

	pcre2_match_data_free(s->md);
	buf_free(&s->carry);
	buf_free(&s->out);
	buf_free(&s->sub);
	free(s);
}

/* Append the replacement for the current match; on error keep the match. */
static void
replace_append(struct replace_conf *c, struct replace_state *s,
    const struct replace_run *run, size_t ms, size_t me)
{
	PCRE2_SIZE	n;
	int		rc;

	if (!c->expand) {
		buf_append(&s->out, c->replacement, c->rlen);
		return;
	}
	for (;;) {
		n = s->sub.cap;
		rc = pcre2_substitute(c->pat.re, (PCRE2_SPTR)run->s, run->len,
		    0, PCRE2_SUBSTITUTE_MATCHED |
		    PCRE2_SUBSTITUTE_REPLACEMENT_ONLY |
		    PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, s->md, NULL,
		    (PCRE2_SPTR)c->replacement, c->rlen,
		    (PCRE2_UCHAR *)s->sub.data, &n);
		if (rc != PCRE2_ERROR_NOMEMORY)
			break;
		buf_reserve(&s->sub, n + 1);
	}
	if (rc < 0) {
		log_debug("replacement failed (%d): match kept", rc);
		buf_append(&s->out, run->s + ms, me - ms);
		return;
	}
	buf_append(&s->out, s->sub.data, n);
}

/*
 * Replace every match in run->s from run->start into s->out.  With more
 * set, a match that may continue past the end stops the pass: run->keep
 * is where it starts.  Returns the count of matches.
 */
static uint64_t
replace_scan(struct stage *st, struct replace_run *run, int bol, int more)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	PCRE2_SIZE		*ov;
	uint32_t		 opts, extra = 0;
	size_t			 pos = run->start, off = run->start;
	uint64_t		 n = 0;
	enum pattern_result	 r;

	opts = (bol ? 0 : PCRE2_NOTBOL) | (more ? PCRE2_PARTIAL_HARD : 0);
	run->keep = run->len;
	buf_reset(&s->out);
	for (;;) {
		r = patterns_exec(&c->pat, s->md, run->s, run->len, off,
		    opts | extra);
		if (r == PATTERN_NOMATCH)
			break;
		ov = pcre2_get_ovector_pointer(s->md);
		if (r == PATTERN_PARTIAL) {
			run->keep = ov[0];
			break;
		}
		buf_append(&s->out, run->s + pos, ov[0] - pos);
		replace_append(c, s, run, ov[0], ov[1]);
		pos = off = ov[1];
		extra = (ov[0] == ov[1]) ? PCRE2_NOTEMPTY_ATSTART : 0;
		n++;
	}
	if (n != 0)
		buf_append(&s->out, run->s + pos, run->keep - pos);
	run->matched = n != 0;
	return (n);
}

/* Pass on text as this rule's next piece or as the end of the line. */
static void
replace_send(struct stage *st, const struct line *in, const char *p,
    size_t len, int more)
{
	struct replace_state	*s = st->state;
	struct line		 l;

	l.data = p;
	l.len = len;
	l.lineno = in->lineno;
	l.flags = (s->sent ? LINE_CONT : 0) | (more ? LINE_MORE : 0);
	l.eol = more ? "" : in->eol;
	l.eol_len = more ? 0 : in->eol_len;
	if (more)
		s->sent = 1;
	stage_next(st, &l);
}

/* Keep s[from, len) as the carry; the first done bytes are already sent. */
static void
replace_carry(struct replace_state *s, const char *p, size_t from, size_t len,
    size_t done, int bol)
{
	if (p == s->carry.data)
		buf_consume(&s->carry, from);
	else {
		buf_reset(&s->carry);
		buf_append(&s->carry, p + from, len - from);
	}
	s->carry_done = done;
	s->carry_bol = bol && from == 0;
}

/* A piece with more to come: pass on what is decided, carry the rest. */
static void
replace_piece(struct stage *st, const struct line *l, struct replace_run *run,
    int bol)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	size_t			 from;
	uint64_t		 n;

	if (run->len - run->keep > s->max_line) {
		/* Too long to wait for: decide everything now. */
		n = replace_scan(st, run, bol, 0);
		st->stats.matches += n;
		s->changed |= n != 0;
	}
	if (run->matched) {
		if (s->out.len != 0)
			replace_send(st, l, s->out.data, s->out.len, 1);
	} else if (run->keep > run->start)
		replace_send(st, l, run->s + run->start,
		    run->keep - run->start, 1);
	from = run->keep > c->pat.lookbehind ?
	    run->keep - c->pat.lookbehind : 0;
	replace_carry(s, run->s, from, run->len, run->keep - from, bol);
}

/* The end of a line: pass it on rewritten, or drop it if left blank. */
static void
replace_end(struct stage *st, const struct line *l, struct replace_run *run)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	const char		*p = run->s + run->start;
	size_t			 len = run->len - run->start;

	if (run->matched) {
		p = s->out.data;
		len = s->out.len;
	}
	if (s->changed && !s->sent && c->drop_emptied &&
	    line_is_blank(p, len))
		stage_drop(st, l);
	else if (!s->changed && !s->sent && s->carry.len == 0)
		stage_next(st, l);	/* untouched: no copy */
	else {
		if (s->changed && !s->sent && s->carry.len == 0)
			stage_changed(st, l, p, len);
		replace_send(st, l, p, len, 0);
	}
	buf_reset(&s->carry);
	s->carry_done = 0;
	s->sent = s->changed = 0;
}

/* Rewrite one line or piece. */
static void
replace_line(struct stage *st, const struct line *l)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	struct replace_run	 run;
	uint64_t		 n;
	int			 bol, more = (l->flags & LINE_MORE) != 0;

	if (l->flags == 0 && !patterns_may_match(&c->pat, l->data, l->len)) {
		stage_next(st, l);	/* a whole line no pattern can match */
		return;
	}
	if (s->carry.len != 0) {
		buf_append(&s->carry, l->data, l->len);
		run.s = s->carry.data;
		run.len = s->carry.len;
		run.start = s->carry_done;
		bol = s->carry_bol;
	} else {
		run.s = l->data;
		run.len = l->len;
		run.start = 0;
		bol = !(l->flags & LINE_CONT);
	}
	n = replace_scan(st, &run, bol, more);
	st->stats.matches += n;
	s->changed |= n != 0;
	if (more)
		replace_piece(st, l, &run, bol);
	else
		replace_end(st, l, &run);
}

const struct filter_type filter_replace = {
	.name = "replace",
	.conf_new = replace_conf_new,
	.conf_set = replace_conf_set,
	.conf_check = replace_conf_check,
	.conf_free = replace_conf_free,
	.state_new = replace_state_new,
	.state_free = replace_state_free,
	.line = replace_line,
	.finish = NULL,
};
