/*
 * replace: replace every match of the patterns in a line (by default with
 * nothing, deleting it) and drop a line this leaves blank.
 *
 * A line longer than max_line arrives in pieces.  A match that may go on
 * into the next piece (PCRE2_PARTIAL_HARD) is carried over and tried again
 * with the next piece, together with enough bytes before it for the
 * patterns' lookbehinds; so a marker split across pieces is still found.
 *
 * Nothing the rule passes on is longer than max_line either: rewritten
 * text that grows past it goes on in pieces, as a long input line does,
 * and one $-expanded replacement longer than max_line is not made (the
 * match is kept, and counted in match_errors).
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "filter.h"
#include "pattern.h"
#include "scratch.h"
#include "utf8.h"
#include "xmalloc.h"

struct replace_conf {
	struct patterns	 pat;
	char		*replacement;
	size_t		 rlen;
	int		 expand;	/* replacement uses $ syntax */
	int		 drop_emptied;
	const char	*rfile;		/* where replacement was given */
	int		 rline;
};

struct replace_state {
	size_t			 max_line;
	struct buf		 carry;		/* undecided tail of a long line */
	size_t			 carry_done;	/* carry bytes already passed on */
	int			 carry_bol;	/* carry starts the line */
	struct buf		 out;		/* rewritten, not yet passed on */
	struct buf		 sub;		/* one expanded replacement */
	int			 sent;		/* part of this line passed on */
	int			 changed;	/* a match of this line replaced */
};

/* One pass over a subject: a line or piece, after any carried bytes. */
struct replace_run {
	const struct line	*l;		/* the line or piece it ends with */
	const char		*s;
	size_t			 len;
	size_t			 start;		/* first byte not yet passed on */
	size_t			 keep;		/* first byte left undecided */
	int			 matched;	/* out holds the text from start */
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
		if (!utf8_valid(k->value, strlen(k->value))) {
			*cause = xasprintf("replacement is not valid UTF-8");
			return (-1);
		}
		free(c->replacement);
		c->replacement = xstrdup(k->value);
		c->rlen = strlen(k->value);
		c->expand = strchr(k->value, '$') != NULL;
		c->rfile = k->file;
		c->rline = k->line;
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

/*
 * Why the $ item at r[*ip] cannot be made by pcre2_substitute (a group
 * the patterns do not have, or bad syntax), or NULL; *ip moves past it.
 */
static const char *
replace_item(const struct replace_conf *c, const char *r, size_t *ip)
{
	char		 name[64];
	size_t		 i = *ip + 1, n, end;
	unsigned long	 g = 0;
	int		 brace;

	if (r[i] == '$') {
		*ip = i + 1;
		return (NULL);
	}
	if ((brace = r[i] == '{'))
		i++;
	if (r[i] == '*') {		/* $*MARK, ${*MARK} */
		for (i++; r[i] == '_' || isalnum((unsigned char)r[i]); i++)
			;
	} else if (isdigit((unsigned char)r[i])) {
		for (; isdigit((unsigned char)r[i]); i++)
			if ((g = g * 10 + (unsigned long)(r[i] - '0')) > 65535)
				return ("group number too large");
		if (g >= c->pat.pairs)
			return ("no such group");
	} else if (r[i] == '_' || isalpha((unsigned char)r[i])) {
		for (end = i; r[end] == '_' || isalnum((unsigned char)r[end]);
		    end++)
			;
		if ((n = end - i) >= sizeof name)
			return ("group name too long");
		memcpy(name, r + i, n);
		name[n] = '\0';
		i = end;
		if (pcre2_substring_number_from_name(c->pat.re,
		    (PCRE2_SPTR)name) == PCRE2_ERROR_NOSUBSTRING)
			return ("no such group");
	} else
		return ("$ not followed by a group, $ or *MARK");
	if (brace && r[i++] != '}')
		return ("missing }");
	*ip = i;
	return (NULL);
}

/*
 * Compile the patterns; check that every $ of the replacement names a
 * group they have, so that no replacement fails at every match.
 */
static void
replace_conf_check(void *arg, const struct rule *r, struct config_ctx *ctx)
{
	struct replace_conf	*c = arg;
	const char		*why;
	size_t			 i = 0;

	patterns_compile(&c->pat, "pattern", r->file, r->line, ctx);
	if (c->pat.phrases && c->expand)
		config_error(ctx, r->file, r->line, "a replacement with $ "
		    "needs patterns, not phrases (phrases have no groups)");
	if (!c->expand || c->pat.re == NULL)
		return;
	while (c->replacement[i] != '\0') {
		if (c->replacement[i] != '$') {
			i++;
			continue;
		}
		if ((why = replace_item(c, c->replacement, &i)) != NULL) {
			config_error(ctx, c->rfile, c->rline, "replacement: %s "
			    "(at byte %zu)", why, i + 1);
			return;
		}
	}
}

/* The rule's pattern list, for the prefilter. */
static struct patterns *
replace_conf_patterns(void *arg, size_t i)
{
	struct replace_conf	*c = arg;

	return (i == 0 ? &c->pat : NULL);
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
	struct replace_state	*s;

	(void)r;
	s = xcalloc(1, sizeof *s);
	s->max_line = max_line;
	return (s);
}

/* Back to the start of a document, keeping the buffers. */
static void
replace_state_reset(void *arg)
{
	struct replace_state	*s = arg;

	buf_reset(&s->carry);
	buf_reset(&s->out);
	s->carry_done = 0;
	s->carry_bol = s->sent = s->changed = 0;
}

/* Free per-stream state. */
static void
replace_state_free(void *arg)
{
	struct replace_state	*s = arg;

	buf_free(&s->carry);
	buf_free(&s->out);
	buf_free(&s->sub);
	free(s);
}

/* Pass on one piece of text, or the end of the line. */
static void
replace_pass(struct stage *st, const struct line *in, const char *p,
    size_t len, int more)
{
	struct replace_state	*s = st->state;
	struct line		 l;

	l.data = p != NULL ? p : "";	/* an empty, never allocated buffer */
	l.len = len;
	l.lineno = in->lineno;
	l.flags = (s->sent ? LINE_CONT : 0) | (more ? LINE_MORE : 0);
	l.eol = more ? "" : in->eol;
	l.eol_len = more ? 0 : in->eol_len;
	l.scan = 0;	/* new text: no verdicts */
	if (more)
		s->sent = 1;
	stage_next(st, &l);
}

/* Pass on text in pieces of at most max_line; more: the line goes on. */
static void
replace_send(struct stage *st, const struct line *in, const char *p,
    size_t len, int more)
{
	struct replace_state	*s = st->state;
	size_t			 c;

	while (len > s->max_line) {
		c = line_cut(p, s->max_line);
		replace_pass(st, in, p, c, 1);
		p += c;
		len -= c;
	}
	if (len != 0 || !more)
		replace_pass(st, in, p, len, more);
}

/* Add rewritten text, passing on a piece whenever past max_line. */
static void
replace_out(struct stage *st, const struct replace_run *run, const char *p,
    size_t len)
{
	struct replace_state	*s = st->state;
	size_t			 take, c;

	while (len > 0) {
		take = s->max_line + 1 - s->out.len;
		if (take > len)
			take = len;
		buf_append(&s->out, p, take);
		p += take;
		len -= take;
		if (s->out.len > s->max_line) {
			c = line_cut(s->out.data, s->max_line);
			replace_pass(st, run->l, s->out.data, c, 1);
			buf_consume(&s->out, c);
		}
	}
}

/*
 * Expand the replacement for the match just found (md) into s->sub, in at
 * most about 2 * max_line bytes.  Returns its length, or -1 with why set.
 */
static ssize_t
replace_expand(struct stage *st, const struct replace_run *run,
    pcre2_match_data *md, char *why, size_t whylen)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 n;
	int			 rc;

	if (s->sub.cap == 0)
		buf_reserve(&s->sub, 256);
	for (;;) {
		n = s->sub.cap;
		rc = pcre2_substitute(c->pat.re, (PCRE2_SPTR)run->s, run->len,
		    0, PCRE2_SUBSTITUTE_MATCHED |
		    PCRE2_SUBSTITUTE_REPLACEMENT_ONLY, md,
		    scratch_match_context(engine_scratch(st->engine)),
		    (PCRE2_SPTR)c->replacement, c->rlen,
		    (PCRE2_UCHAR *)s->sub.data, &n);
		if (rc != PCRE2_ERROR_NOMEMORY || s->sub.cap > s->max_line)
			break;
		buf_reserve(&s->sub, s->sub.cap * 2);
	}
	if (rc == PCRE2_ERROR_NOMEMORY || (rc >= 0 && n > s->max_line)) {
		snprintf(why, whylen, "a replacement longer than max_line "
		    "(%zu bytes) is not made: the match is kept", s->max_line);
		return (-1);
	}
	if (rc < 0) {
		pcre2_get_error_message(rc, msg, sizeof msg);
		snprintf(why, whylen, "replacement failed (%s): the match is "
		    "kept", msg);
		return (-1);
	}
	return ((ssize_t)n);
}

/*
 * Rewrite the text from pos and the match [ms, me) just found (md): the
 * text as it is, then the replacement, or the match itself if it cannot
 * be made.  The replacement is expanded first: passing text on runs the
 * next rules, whose matches reuse the thread's match data.
 */
static void
replace_match(struct stage *st, const struct replace_run *run,
    pcre2_match_data *md, size_t pos, size_t ms, size_t me)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	const char		*r = c->replacement;
	ssize_t			 n = (ssize_t)c->rlen;
	char			 why[384];

	if (c->expand) {
		n = replace_expand(st, run, md, why, sizeof why);
		r = s->sub.data;
	}
	replace_out(st, run, run->s + pos, ms - pos);
	if (n < 0) {
		stage_match_error(st, why);
		replace_out(st, run, run->s + ms, me - ms);
		return;
	}
	replace_out(st, run, r, (size_t)n);
	st->stats.matches++;
	st->stats.bytes_added += (uint64_t)n;
	s->changed = 1;
}

/*
 * Replace every match in run->s from run->start into s->out.  With more
 * set, a match that may continue past the end stops the pass (run->keep
 * is where it starts), unless it is already longer than max_line: then
 * the rest is decided now.
 */
static void
replace_scan(struct stage *st, struct replace_run *run, int bol, int more)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov;
	uint32_t		 opts, extra = 0;
	size_t			 pos = run->start, off = run->start, ms, me;
	enum pattern_result	 r;

	opts = (bol ? 0 : PCRE2_NOTBOL) | (more ? PCRE2_PARTIAL_HARD : 0);
	run->keep = run->len;
	run->matched = 0;
	buf_reset(&s->out);
	for (;;) {
		r = patterns_exec(&c->pat, st, NULL, run->s, run->len, off,
		    opts | extra);
		if (r == PATTERN_NOMATCH)
			break;
		md = patterns_md(&c->pat, st);
		ov = pcre2_get_ovector_pointer(md);
		if (r == PATTERN_PARTIAL && run->len - ov[0] <= s->max_line) {
			run->keep = ov[0];
			break;
		}
		if (r == PATTERN_PARTIAL) {	/* too long to wait for */
			opts = (opts & ~PCRE2_PARTIAL_HARD) | PCRE2_NOTEOL;
			continue;
		}
		ms = ov[0];
		me = ov[1];
		run->matched = 1;
		replace_match(st, run, md, pos, ms, me);
		pos = off = me;
		extra = (ms == me) ? PCRE2_NOTEMPTY_ATSTART : 0;
	}
	if (run->matched)
		replace_out(st, run, run->s + pos, run->keep - pos);
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
replace_piece(struct stage *st, const struct replace_run *run, int bol)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	size_t			 from;

	if (run->matched) {
		replace_send(st, run->l, s->out.data, s->out.len, 1);
		buf_reset(&s->out);
	} else
		replace_send(st, run->l, run->s + run->start,
		    run->keep - run->start, 1);
	from = run->keep > c->pat.lookbehind ?
	    run->keep - c->pat.lookbehind : 0;
	replace_carry(s, run->s, from, run->len, run->keep - from, bol);
}

/* The end of a line: pass it on rewritten, or drop it if left blank. */
static void
replace_end(struct stage *st, const struct replace_run *run)
{
	struct replace_conf	*c = st->rule->conf;
	struct replace_state	*s = st->state;
	const struct line	*l = run->l;
	const char		*p = run->len != 0 ? run->s + run->start : run->s;
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
	buf_reset(&s->out);
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
	int			 bol, more = (l->flags & LINE_MORE) != 0;

	if (l->flags == 0 && (!patterns_may_line(&c->pat, st, l) ||
	    (l->scan == 0 && !patterns_may_match(&c->pat, l->data, l->len)))) {
		stage_next(st, l);	/* a whole line no pattern can match */
		return;
	}
	run.l = l;
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
	replace_scan(st, &run, bol, more);
	if (more)
		replace_piece(st, &run, bol);
	else
		replace_end(st, &run);
}

/* Idle: no piece of a long line pending. */
static int
replace_idle(const struct stage *st)
{
	const struct replace_state	*s = st->state;

	return (s->carry.len == 0 && !s->sent && !s->changed);
}

const struct filter_type filter_replace = {
	.name = "replace",
	.conf_new = replace_conf_new,
	.conf_set = replace_conf_set,
	.conf_check = replace_conf_check,
	.conf_free = replace_conf_free,
	.state_new = replace_state_new,
	.state_reset = replace_state_reset,
	.state_free = replace_state_free,
	.line = replace_line,
	.finish = NULL,
	.conf_patterns = replace_conf_patterns,
	.skip_unmatched = 1,
	.idle = replace_idle,
};
