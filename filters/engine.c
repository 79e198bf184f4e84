/*
 * The streaming line machine.  Complete lines inside a fed chunk go to the
 * rules straight from the caller's memory; only a line split across chunks
 * (or across the slices of one: a line of more than 1 MiB, past max_line)
 * is copied, into a buffer of at most max_line bytes.  A line longer than
 * max_line is passed on in pieces (LINE_MORE/LINE_CONT), cut at the same
 * places however the input was chunked.  A UTF-8 byte order mark at the
 * very start of the document goes straight to the sink: the rules see
 * line 1 without it.
 *
 * A chunk is taken in slices of at most ENGINE_SLICE bytes; the newlines
 * of each are mapped in one pass (nlmap.h), and every line end is read
 * from the map.
 *
 * With a prefilter (prefilter.h), each slice's complete lines are first
 * scanned once for every rule's literals; a line seen whole carries its
 * verdicts (line.scan) down the chain, and a rule none of whose literals
 * is in it passes it on without matching (see engine_deliver).  Lines
 * split across chunks, pieces of long lines and text a rule rewrote have
 * no verdicts: every rule runs on them.  Runs of lines with no hit, while
 * every rule is idle (or can be settled: filter.h), go straight to the
 * sink with no rule called (engine_quiet).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "filter.h"
#include "nlmap.h"
#include "prefilter.h"
#include "scratch.h"
#include "xmalloc.h"

#define ENGINE_BOM	"\xef\xbb\xbf"
#define ENGINE_BOM_LEN	3
#define ENGINE_SLICE	(1024 * 1024)	/* most of a feed mapped at once */

struct engine {
	const struct config	*cfg;
	struct sink		 sink;
	struct scratch		*scratch;	/* the thread's match resources */
	int			 own_scratch;	/* made by engine_new */
	struct stage		*stages;
	size_t			 nstages;
	size_t			 max_line;
	struct buf		 line;		/* a line split across feeds */
	int			 piece_sent;	/* current line partly passed on */
	int			 bom_done;	/* past the document's first bytes */
	size_t			 bom_len;	/* of them, a BOM's prefix so far */
	uint64_t		 lineno;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	engine_observer		 observer;	/* NULL unless --explain */
	void			*observer_arg;
	struct pfscan		*pf;		/* NULL: no prefilter */
	int			*skip;		/* per stage: slot + 1 to skip on */
	const char		*chunk;		/* the slice being fed */
	const char		*chunk_end;
	struct nlmap		*nl;		/* its newlines (in scratch) */
	const char		*run;		/* kept lines of it, not yet */
	size_t			 runlen;	/* written: one write for all */
	int			 quiet;		/* every stage can say if idle */
	int			 quiet_blank;	/* and quiet lines are not blank */
};

/*
 * For each rule that leaves alone a whole line its patterns cannot match
 * (skip_unmatched), the slot whose verdict lets the line pass it by.
 */
static void
engine_skips(struct engine *e)
{
	const struct rule	*r;
	struct patterns		*p;
	size_t			 i;

	e->skip = xcalloc(e->nstages, sizeof *e->skip);
	e->quiet = 1;
	for (i = 0; i < e->nstages; i++) {
		r = e->stages[i].rule;
		if (r->type->skip_unmatched && r->type->conf_patterns != NULL &&
		    (p = r->type->conf_patterns(r->conf, 0)) != NULL)
			e->skip[i] = p->pf_id;
		if (r->type->idle == NULL ||
		    (r->type->skip_unmatched && e->skip[i] == 0))
			e->quiet = 0;
		if (r->type->idle_sees_blank)
			e->quiet_blank = 1;
	}
}

/*
 * Create a stream over a configuration; cfg must outlive the engine.  sc
 * is the calling thread's scratch space (NULL: the engine makes its own).
 */
struct engine *
engine_new(const struct config *cfg, const struct sink *sink,
    struct scratch *sc)
{
	struct engine	*e;
	size_t		 i;

	e = xcalloc(1, sizeof *e);
	e->cfg = cfg;
	e->sink = *sink;
	e->own_scratch = sc == NULL;
	e->scratch = sc != NULL ? sc : scratch_new();
	e->max_line = cfg->max_line;
	e->nstages = cfg->nrules;
	e->stages = xcalloc(e->nstages, sizeof *e->stages);
	for (i = 0; i < e->nstages; i++) {
		e->stages[i].engine = e;
		e->stages[i].rule = &cfg->rules[i];
		e->stages[i].index = i;
		e->stages[i].state = cfg->rules[i].type->state_new(
		    &cfg->rules[i], e->max_line);
	}
	if ((e->pf = pfscan_new(cfg->pf)) != NULL)
		engine_skips(e);
	return (e);
}

/* Free a stream and its per-rule state. */
void
engine_free(struct engine *e)
{
	size_t	i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nstages; i++)
		e->stages[i].rule->type->state_free(e->stages[i].state);
	free(e->stages);
	free(e->skip);
	pfscan_free(e->pf);
	buf_free(&e->line);
	if (e->own_scratch)
		scratch_free(e->scratch);
	free(e);
}

/* Write the run of kept lines of the chunk being fed. */
static void
engine_flush(struct engine *e)
{
	if (e->runlen == 0)
		return;
	e->sink.write(e->sink.arg, e->run, e->runlen);
	e->runlen = 0;
}

/*
 * Add n bytes of the chunk being fed at p (whole lines) to the run of kept
 * lines: one write for lines in a row, of at most max_line.
 */
static void
engine_run_add(struct engine *e, const char *p, size_t n)
{
	if (e->runlen != 0 && e->run + e->runlen == p &&
	    e->runlen + n <= e->max_line) {
		e->runlen += n;
		return;
	}
	engine_flush(e);
	e->run = p;
	e->runlen = n;
}

/*
 * Write a kept line to the sink: lines of the chunk being fed go to the
 * run of kept lines, others out in one write if the ending follows the
 * line.
 */
void
engine_emit(struct engine *e, const struct line *l)
{
	size_t	n = l->len + l->eol_len;
	int	whole = l->len != 0 && l->eol == l->data + l->len &&
		    n <= e->max_line;

	e->bytes_out += n;
	if (whole && l->data >= e->chunk && l->data + n <= e->chunk_end) {
		engine_run_add(e, l->data, n);
		return;
	}
	engine_flush(e);
	if (whole) {
		e->sink.write(e->sink.arg, l->data, n);
		return;
	}
	if (l->len != 0)
		e->sink.write(e->sink.arg, l->data, l->len);
	if (l->eol_len != 0)
		e->sink.write(e->sink.arg, l->eol, l->eol_len);
}

/*
 * Hand a line to stage i and on down the chain, to the sink past the last
 * rule.  A stage that passes on the very line it was given, as its last
 * word, does not call the next stage itself: the line goes on from this
 * loop (see stage_next), so a line no rule changes costs no stack depth,
 * however many rules there are.
 */
static void
engine_deliver(struct engine *e, size_t i, const struct line *l)
{
	struct stage	*st;

	for (; i < e->nstages; i++) {
		st = &e->stages[i];
		st->stats.bytes_in += l->len + l->eol_len;
		if (l->scan != 0 && e->skip[i] != 0 &&
		    !pfscan_may(e->pf, e->skip[i] - 1, l->scan)) {
			st->stats.bytes_out += l->len + l->eol_len;
			continue;	/* the prefilter: it cannot match */
		}
		st->in = l;
		st->passed = 0;
		st->rule->type->line(st, l);
		st->in = NULL;
		if (!st->passed)
			return;		/* dropped, held, or passed on already */
		st->passed = 0;		/* so that a later stage_next from
					   outside a line starts clean */
	}
	engine_emit(e, l);
}

/*
 * Pass a line on from a stage to the one after it.  The line the stage
 * is handling is only marked, and goes on once the stage returns
 * (engine_deliver); any other line goes on at once, after a marked one.
 */
void
stage_next(struct stage *st, const struct line *l)
{
	st->stats.bytes_out += l->len + l->eol_len;
	if (st->in != NULL && l == st->in && !st->passed) {
		st->passed = 1;
		return;
	}
	if (st->passed) {
		st->passed = 0;
		engine_deliver(st->engine, st->index + 1, st->in);
	}
	engine_deliver(st->engine, st->index + 1, l);
}

/* Tell the observer, if any, what a stage did. */
static void
stage_report(struct stage *st, enum engine_event_kind kind,
    const struct line *l, const char *after, size_t alen)
{
	struct engine		*e = st->engine;
	struct engine_event	 ev;

	if (e->observer == NULL)
		return;
	ev.kind = kind;
	ev.rule = st->rule;
	ev.lineno = l->lineno;
	ev.before = l->data;
	ev.blen = l->len;
	ev.after = after;
	ev.alen = alen;
	e->observer(e->observer_arg, &ev);
}

/* Add one rule's figures to a running total. */
void
rule_stats_add(struct rule_stats *dst, const struct rule_stats *src)
{
	dst->matches += src->matches;
	dst->lines_dropped += src->lines_dropped;
	dst->bytes_in += src->bytes_in;
	dst->bytes_out += src->bytes_out;
	dst->bytes_added += src->bytes_added;
	dst->match_errors += src->match_errors;
}

/*
 * Bytes a rule took out of the stream: what came in, less what went out,
 * plus what its replacements put in (so it cannot wrap when a replacement
 * makes text longer).
 */
uint64_t
rule_stats_removed(const struct rule_stats *rs)
{
	return (rs->bytes_in + rs->bytes_added - rs->bytes_out);
}

/* Record that a stage dropped a line (counted once, at its last piece). */
void
stage_drop(struct stage *st, const struct line *l)
{
	if ((l->flags & LINE_MORE) == 0)
		st->stats.lines_dropped++;
	stage_report(st, ENGINE_DROPPED, l, NULL, 0);
}

/* Record that a stage rewrote a whole line (for the observer only). */
void
stage_changed(struct stage *st, const struct line *l, const char *after,
    size_t alen)
{
	stage_report(st, ENGINE_CHANGED, l, after, alen);
}

/* Be told of every line a rule drops or changes. */
void
engine_observe(struct engine *e, engine_observer fn, void *arg)
{
	e->observer = fn;
	e->observer_arg = arg;
}

/* Pass on one piece of an over-long line. */
static void
engine_piece(struct engine *e, const char *p, size_t len)
{
	struct line	l;

	if (!e->piece_sent)
		e->lineno++;
	l.data = p;
	l.len = len;
	l.eol = "";
	l.eol_len = 0;
	l.lineno = e->lineno;
	l.flags = LINE_MORE | (e->piece_sent ? LINE_CONT : 0);
	l.scan = 0;
	e->piece_sent = 1;
	engine_deliver(e, 0, &l);
}

/*
 * Pass on the end of a line: body without '\n', nl if one followed (at
 * p[len] if scan is not 0: the line lies whole in the chunk); scan: the
 * prefilter's serial for it, 1 if none.
 */
static void
engine_line(struct engine *e, const char *p, size_t len, int nl,
    uint64_t scan)
{
	struct line	l;
	size_t		c, cr;

	/* A '\r' before the newline is the ending's, not the line's. */
	cr = nl && len > 0 && p[len - 1] == '\r';
	if (len - cr > e->max_line)
		scan = 0;
	while (len - cr > e->max_line) {
		c = line_cut(p, e->max_line);
		engine_piece(e, p, c);
		p += c;
		len -= c;
	}
	if (!e->piece_sent)
		e->lineno++;
	l.data = p;
	l.len = len;
	l.lineno = e->lineno;
	l.flags = e->piece_sent ? LINE_CONT : 0;
	l.scan = l.flags == 0 ? scan : 0;
	if (!nl) {
		l.eol = "";
		l.eol_len = 0;
	} else if (len > 0 && p[len - 1] == '\r') {
		l.len--;
		l.eol = scan != 0 ? p + l.len : "\r\n";
		l.eol_len = 2;
	} else {
		l.eol = scan != 0 ? p + l.len : "\n";
		l.eol_len = 1;
	}
	if (l.scan == 1)
		l.scan = 0;	/* in the chunk, but not seen by a prefilter */
	e->piece_sent = 0;
	engine_deliver(e, 0, &l);
}

/*
 * Keep bytes of an unfinished line, passing on pieces past max_line.  A
 * '\r' just past max_line is kept too: if '\n' follows, it is the line's
 * ending and the line is not long.
 */
static void
engine_buffer(struct engine *e, const char *p, size_t len)
{
	size_t	take, c;

	while (e->line.len + len > e->max_line) {
		if (e->line.len + len == e->max_line + 1 &&
		    (len != 0 ? p[len - 1] : e->line.data[e->line.len - 1]) ==
		    '\r')
			break;
		if (e->line.len == 0) {
			c = line_cut(p, e->max_line);
			engine_piece(e, p, c);
			p += c;
			len -= c;
			continue;
		}
		take = e->max_line + 1 - e->line.len;
		buf_append(&e->line, p, take);
		p += take;
		len -= take;
		c = line_cut(e->line.data, e->max_line);
		engine_piece(e, e->line.data, c);
		buf_consume(&e->line, c);
	}
	buf_append(&e->line, p, len);
}

/*
 * The line assembled from several feeds, followed by a NUL as a line of
 * the chunk is by its ending: PCRE2 10.42's JIT reads past the end of a
 * subject whose last character is cut or invalid (for \b and \B), so the
 * bytes after it must not depend on how the document was fed.
 */
static const char *
engine_assembled(struct engine *e)
{
	buf_reserve(&e->line, 1);
	e->line.data[e->line.len] = '\0';
	return (e->line.data);
}

/*
 * What engine_line is told of a line lying whole in the chunk: the
 * prefilter's serial, or 1 (no verdicts); 0 if it began before.
 */
static uint64_t
engine_line_scan(struct engine *e, const char *p, size_t len)
{
	uint64_t	s;

	if (e->piece_sent)
		return (0);
	s = pfscan_line(e->pf, p, len);
	return (s != 0 ? s : 1);
}

/* Is every stage idle (see filter.h), so that quiet lines pass them all? */
static int
engine_idle(const struct engine *e)
{
	size_t	i;

	if (!e->quiet || e->line.len != 0 || e->piece_sent)
		return (0);
	for (i = 0; i < e->nstages; i++)
		if (!e->stages[i].rule->type->idle(&e->stages[i]))
			return (0);
	return (1);
}

/*
 * The next line is quiet but for stages that are not idle: settle each
 * that can be (see filter.h), in order; is every stage idle then?
 */
static int
engine_settle(struct engine *e)
{
	struct stage	*st;
	size_t		 i;

	if (!e->quiet || e->line.len != 0 || e->piece_sent)
		return (0);
	for (i = 0; i < e->nstages; i++) {
		st = &e->stages[i];
		if (st->rule->type->idle(st))
			continue;
		if (st->rule->type->settle == NULL)
			return (0);
		st->rule->type->settle(st);
		if (!st->rule->type->idle(st))
			return (0);
	}
	return (1);
}

/* Count n bytes of quiet lines as passed by every stage. */
static void
engine_quiet_stats(struct engine *e, size_t n)
{
	size_t	i;

	for (i = 0; i < e->nstages; i++) {
		e->stages[i].stats.bytes_in += n;
		e->stages[i].stats.bytes_out += n;
	}
}

/*
 * The quiet lines at p: whole lines of the scanned slice before the line
 * of the next prefilter hit, not blank if a stage acts on blank lines,
 * with their ending no longer than max_line, while every stage is idle;
 * they pass every stage unchanged, so they go straight out, with no stage
 * called, in writes of at most max_line.  Their ends come from the
 * slice's newline map, a few bit operations a line.  Returns the bytes
 * they take; *nlp gets the newline of the line after them (NULL: none,
 * the rest is unfinished), so that it is not looked for twice.  Whether
 * every stage is idle is asked only once the first line is known to be
 * quiet.
 */
static size_t
engine_quiet(struct engine *e, const char *p, const char **nlp)
{
	const struct nlmap	*m = e->nl;
	size_t			 start = (size_t)(p - m->base), off = start;
	size_t			 run = start, lim, o, n = 0;
	const char		*end;

	if ((end = pfscan_quiet_end(e->pf, p)) == NULL) {
		*nlp = nlmap_find(m, p, m->base + m->len);
		return (0);
	}
	lim = (size_t)(end - m->base);	/* lines ending before it */
	while ((o = nlmap_next(m, off)) < lim) {
		if (o + 1 - off > e->max_line || (e->quiet_blank &&
		    line_may_be_blank(m->base + off, o - off) &&
		    line_is_blank(m->base + off, o - off)))
			break;
		if (off == start && !engine_idle(e) && !engine_settle(e))
			break;
		if (o + 1 - run > e->max_line) {
			engine_run_add(e, m->base + run, off - run);
			run = off;
		}
		n++;
		off = o + 1;
	}
	*nlp = o < m->len ? m->base + o : NULL;
	if (off == start)
		return (0);
	engine_run_add(e, m->base + run, off - run);
	e->lineno += n;
	e->bytes_out += off - start;
	engine_quiet_stats(e, off - start);
	return (off - start);
}

/* Cut the slice being fed (all of it, p to its end) into lines. */
static void
engine_lines(struct engine *e, const char *p, size_t len)
{
	const char	*nl;
	size_t		 seg;

	while (len > 0) {
		if (e->pf != NULL) {
			seg = engine_quiet(e, p, &nl);
			p += seg;
			if ((len -= seg) == 0)
				return;
		} else
			nl = nlmap_find(e->nl, p, p + len);
		if (nl == NULL) {
			engine_buffer(e, p, len);
			return;
		}
		seg = (size_t)(nl - p);
		if (e->line.len == 0)
			engine_line(e, p, seg, 1, engine_line_scan(e, p, seg));
		else {
			engine_buffer(e, p, seg);
			engine_line(e, engine_assembled(e), e->line.len, 1, 0);
			buf_reset(&e->line);
		}
		p += seg + 1;
		len -= seg + 1;
	}
}

/*
 * Look at the document's first bytes for a byte order mark, however they
 * are chunked; returns how many of p it took.  A whole mark goes to the
 * sink at once; the prefix of one that turns out not to be a mark is
 * document text like any other.
 */
static size_t
engine_bom(struct engine *e, const char *p, size_t len)
{
	size_t	i = 0;

	while (e->bom_len < ENGINE_BOM_LEN && i < len) {
		if (p[i] != ENGINE_BOM[e->bom_len]) {
			e->bom_done = 1;
			engine_buffer(e, ENGINE_BOM, e->bom_len);
			return (i);
		}
		e->bom_len++;
		i++;
	}
	if (e->bom_len == ENGINE_BOM_LEN) {
		e->bom_done = 1;
		e->bytes_out += ENGINE_BOM_LEN;
		e->sink.write(e->sink.arg, ENGINE_BOM, ENGINE_BOM_LEN);
	}
	return (i);
}

/*
 * Scan the lines of the slice that lie in it whole, from its first line
 * start (after the end of a line begun earlier) to its last newline.
 */
static void
engine_scan(struct engine *e, const char *p, size_t len)
{
	size_t	lo = 0, hi;

	if (e->line.len != 0 || e->piece_sent) {
		if ((lo = nlmap_next(e->nl, 0)) == len) {
			pfscan_chunk(e->pf, e->scratch, e->nl, p, 0);
			return;
		}
		lo++;
	}
	hi = nlmap_prev(e->nl, len);
	hi = hi != NLMAP_NONE && hi >= lo ? hi + 1 : lo;
	pfscan_chunk(e->pf, e->scratch, e->nl, p + lo, hi - lo);
}

/*
 * The length of the next slice of a feed: all of it up to ENGINE_SLICE
 * bytes, else the lines that end in its first ENGINE_SLICE bytes; if none
 * does and the line starts here, the line, if it ends within max_line
 * (and its ending), so that it is seen whole, not copied; else
 * ENGINE_SLICE bytes of it.  The rest of a line begun in an earlier
 * slice is not searched ahead again: it is copied or cut into pieces
 * anyway, and each slice searching up to max_line ahead made a long line
 * cost the square of its length.
 */
static size_t
engine_slice_len(const struct engine *e, const char *p, size_t len)
{
	const char	*nl;
	size_t		 reach;

	if (len <= ENGINE_SLICE)
		return (len);
	if ((nl = memrchr(p, '\n', ENGINE_SLICE)) != NULL)
		return ((size_t)(nl - p) + 1);
	if (e->line.len != 0 || e->piece_sent)
		return (ENGINE_SLICE);
	reach = e->max_line + 2 < len ? e->max_line + 2 : len;
	if (reach > ENGINE_SLICE && (nl = memchr(p + ENGINE_SLICE, '\n',
	    reach - ENGINE_SLICE)) != NULL)
		return ((size_t)(nl - p) + 1);
	return (ENGINE_SLICE);
}

/*
 * Feed one slice: map its newlines (in the thread's map, which no other
 * engine may use meanwhile), scan it, pass its lines on.
 */
static void
engine_slice(struct engine *e, const char *p, size_t len)
{
	e->nl = scratch_nlmap_take(e->scratch);
	nlmap_build(e->nl, p, len);
	if (e->pf != NULL)
		engine_scan(e, p, len);
	e->chunk = p;
	e->chunk_end = p + len;
	engine_lines(e, p, len);
	engine_flush(e);
	e->chunk = e->chunk_end = NULL;
	scratch_nlmap_release(e->scratch);
	e->nl = NULL;
}

/* Feed a chunk of the document, of any size and boundary. */
void
engine_feed(struct engine *e, const char *p, size_t len)
{
	size_t	n;

	e->bytes_in += len;
	if (!e->bom_done) {
		n = engine_bom(e, p, len);
		p += n;
		len -= n;
	}
	while (len > 0) {
		n = engine_slice_len(e, p, len);
		engine_slice(e, p, n);
		p += n;
		len -= n;
	}
}

/* May prefilter slot match the line given serial scan? */
int
engine_may(const struct engine *e, int slot, uint64_t scan)
{
	return (pfscan_may(e->pf, slot, scan));
}

/* End of document: flush the last line, then let each rule release. */
void
engine_finish(struct engine *e)
{
	size_t	i;

	if (!e->bom_done) {	/* a document shorter than a mark */
		e->bom_done = 1;
		engine_buffer(e, ENGINE_BOM, e->bom_len);
	}
	if (e->line.len != 0 || e->piece_sent) {
		engine_line(e, engine_assembled(e), e->line.len, 0, 0);
		buf_reset(&e->line);
	}
	for (i = 0; i < e->nstages; i++) {
		if (e->stages[i].rule->type->finish != NULL)
			e->stages[i].rule->type->finish(&e->stages[i]);
	}
}

/* Make the stream ready for another document, keeping allocations. */
void
engine_reset(struct engine *e)
{
	size_t		 i;
	struct stage	*st;

	for (i = 0; i < e->nstages; i++) {
		st = &e->stages[i];
		if (st->rule->type->state_reset != NULL)
			st->rule->type->state_reset(st->state);
		else {
			st->rule->type->state_free(st->state);
			st->state = st->rule->type->state_new(st->rule,
			    e->max_line);
		}
		memset(&st->stats, 0, sizeof st->stats);
	}
	buf_reset(&e->line);
	e->piece_sent = 0;
	e->bom_done = 0;
	e->bom_len = 0;
	e->lineno = 0;
	e->bytes_in = e->bytes_out = 0;
}

/* Number of rules in the chain. */
size_t
engine_nstages(const struct engine *e)
{
	return (e->nstages);
}

/* Counters of rule i for this stream. */
const struct rule_stats *
engine_stats(const struct engine *e, size_t i)
{
	return (&e->stages[i].stats);
}

/* The rule at position i. */
const struct rule *
engine_rule(const struct engine *e, size_t i)
{
	return (e->stages[i].rule);
}

/* Bytes fed so far. */
uint64_t
engine_bytes_in(const struct engine *e)
{
	return (e->bytes_in);
}

/* The scratch space matches of this stream use. */
struct scratch *
engine_scratch(const struct engine *e)
{
	return (e->scratch);
}

/* Bytes written to the sink so far. */
uint64_t
engine_bytes_out(const struct engine *e)
{
	return (e->bytes_out);
}
