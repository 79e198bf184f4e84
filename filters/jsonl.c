/*
 * JSON Lines processing, without building JSON values.  Each record is
 * checked completely (jparse.c) before any of it is written.  Its bytes
 * then go out as they came, except the string of every top-level member
 * whose key decodes to the text field: that string, decoded (or read
 * straight from the record when it has no escapes), is cleaned by the
 * engine as a document of its own, and what the engine writes is compared
 * with the original as it comes.  While the two agree nothing is written;
 * at the first difference the record up to the string and the agreeing
 * part go out, and from then on the cleaned text is escaped straight into
 * the output.  So a text the rules leave alone keeps its bytes as written,
 * and a changed one is never held whole.  A record longer than max_record
 * is skipped as it streams past, never buffered whole.
 *
 * Memory: the record, when it arrives in several pieces; the decoded text
 * when it has escapes (never longer than the record); fixed buffers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "jparse.h"
#include "jsonl.h"
#include "jstr.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

#define JSONL_OUTBUF	(64 * 1024)	/* output gathered for the sink */
#define JSONL_KEEP	(1024 * 1024)	/* larger buffers go after a record */

struct jsonl {
	const struct config	*cfg;
	struct sink		 sink;
	struct engine		*engine;
	struct buf		 line;		/* a record split in feeds */
	struct buf		 text;		/* a text member, decoded */
	char			*out;		/* output not yet written */
	size_t			 outlen;
	int			 skipping;	/* record over max_record */
	int			 skip_cr;	/* and it ends in '\r' */
	int			 warned;	/* about invalid UTF-8 output */
	uint64_t		 lineno;
	uint64_t		 records;
	uint64_t		 errors;
	struct rule_stats	*totals;	/* per rule, over all records */
	struct rule_stats	*stats;		/* per rule, this record */
	uint64_t		 text_in;	/* this record's text bytes */
	uint64_t		 text_out;

	/* The record being written and the text member being cleaned. */
	const char		*rec;
	size_t			 done;		/* record bytes written */
	size_t			 quote;		/* the member's opening quote */
	const char		*orig;		/* its text before cleaning */
	size_t			 olen;
	size_t			 same;		/* cleaned bytes like orig */
	int			 changed;	/* they differ: writing */
	int			 plain;		/* no escapes but '\n' */
	char			 pend[4];	/* unfinished character */
	size_t			 npend;
};

static void	jsonl_cleaned(void *, const char *, size_t);

/* A JSON Lines stream over a configuration. */
struct jsonl *
jsonl_new(const struct config *cfg, const struct sink *sink,
    struct scratch *sc)
{
	struct jsonl	*j;
	struct sink	 text;
	size_t		 n;

	j = xcalloc(1, sizeof *j);
	j->cfg = cfg;
	j->sink = *sink;
	text.write = jsonl_cleaned;
	text.arg = j;
	j->engine = engine_new(cfg, &text, sc);
	n = engine_nstages(j->engine) + 1;
	j->totals = xcalloc(n, sizeof *j->totals);
	j->stats = xcalloc(n, sizeof *j->stats);
	j->out = xmalloc(JSONL_OUTBUF);
	return (j);
}

/* Free a stream. */
void
jsonl_free(struct jsonl *j)
{
	if (j == NULL)
		return;
	engine_free(j->engine);
	free(j->totals);
	free(j->stats);
	free(j->out);
	buf_free(&j->line);
	buf_free(&j->text);
	free(j);
}

/* Write the gathered output to the sink. */
static void
jsonl_flush(struct jsonl *j)
{
	if (j->outlen != 0)
		j->sink.write(j->sink.arg, j->out, j->outlen);
	j->outlen = 0;
}

/* Output bytes: gathered, or straight to the sink when large. */
static void
jsonl_put(struct jsonl *j, const char *p, size_t len)
{
	if (len == 0)
		return;
	if (len > JSONL_OUTBUF - j->outlen) {
		jsonl_flush(j);
		if (len >= JSONL_OUTBUF) {
			j->sink.write(j->sink.arg, p, len);
			return;
		}
	}
	memcpy(j->out + j->outlen, p, len);
	j->outlen += len;
}

/* Output valid UTF-8 text as the inside of a JSON string. */
static void
jsonl_escape(struct jsonl *j, const char *p, size_t len)
{
	char	e[6];
	size_t	k;

	while (len > 0) {
		k = jstr_plain(p, len);
		jsonl_put(j, p, k);
		if (k == len)
			return;
		jsonl_put(j, e, jstr_escape_byte((unsigned char)p[k], e));
		p += k + 1;
		len -= k + 1;
	}
}

/* Output U+FFFD for the first pending byte, which starts no character. */
static void
jsonl_replace(struct jsonl *j)
{
	if (!j->warned) {
		log_warnx("JSON Lines line %llu: invalid UTF-8 (from a rule or "
		    "the configuration) written as U+FFFD",
		    (unsigned long long)j->lineno);
		j->warned = 1;
	}
	jsonl_put(j, "\xef\xbf\xbd", 3);
	memmove(j->pend, j->pend + 1, --j->npend);
}

/* Output what the pending bytes settle: characters, or U+FFFD. */
static void
jsonl_settle(struct jsonl *j)
{
	int	n;

	while (j->npend > 0 && (n = utf8_char(j->pend, j->npend)) != 0) {
		if (n < 0)
			jsonl_replace(j);
		else {
			jsonl_escape(j, j->pend, (size_t)n);
			memmove(j->pend, j->pend + n, j->npend - (size_t)n);
			j->npend -= (size_t)n;
		}
	}
}

/* Bytes at the end of p that begin a character without finishing it. */
static size_t
jsonl_unfinished(const char *p, size_t len)
{
	size_t	t;

	for (t = 1; t <= 3 && t <= len; t++) {
		if (!utf8_cont((unsigned char)p[len - t]))
			return (utf8_char(p + len - t, t) == 0 ? t : 0);
	}
	return (0);
}

/*
 * Is p[0, len) a piece of the original text (valid UTF-8) cut at character
 * boundaries, so valid itself?
 */
static int
jsonl_within(const struct jsonl *j, const char *p, size_t len)
{
	uintptr_t	a = (uintptr_t)j->orig, x = (uintptr_t)p;

	if (j->orig == NULL || x < a || x - a >= j->olen ||
	    len > j->olen - (x - a))
		return (0);
	return (!utf8_cont((unsigned char)p[0]) &&
	    (len == j->olen - (x - a) || !utf8_cont((unsigned char)p[len])));
}

/* Is p[0, len) ASCII (so valid UTF-8 whatever comes before or after)? */
static int
jsonl_ascii(const char *p, size_t len)
{
	unsigned char	or = 0;

	while (len-- > 0)
		or |= (unsigned char)*p++;
	return (or < 0x80);
}

/*
 * Output cleaned text, which may be cut anywhere: a character split
 * between two writes is joined; invalid UTF-8 (only a rule can make it:
 * the input was checked) goes out as U+FFFD.
 */
static void
jsonl_text(struct jsonl *j, const char *p, size_t len)
{
	size_t	k;

	if (j->npend == 0 && len <= 8 && jsonl_ascii(p, len)) {
		jsonl_escape(j, p, len);	/* line endings, mostly */
		return;
	}
	if (j->npend == 0 && jsonl_within(j, p, len)) {
		if (j->plain && memchr(p, '\n', len) == NULL)
			jsonl_put(j, p, len);
		else
			jsonl_escape(j, p, len);
		return;
	}
	if (j->npend == 0) {
		k = len - jsonl_unfinished(p, len);
		if (utf8_valid(p, k)) {
			jsonl_escape(j, p, k);
			p += k;
			len -= k;
		}
	}
	while (len > 0) {
		if (j->npend == 0) {
			k = utf8_prefix(p, len);	/* the valid part */
			jsonl_escape(j, p, k);
			p += k;
			if ((len -= k) == 0)
				break;
		}
		j->pend[j->npend++] = *p++;
		len--;
		jsonl_settle(j);
	}
}

/* The text ends: an unfinished character goes out as U+FFFD. */
static void
jsonl_text_end(struct jsonl *j)
{
	while (j->npend > 0) {
		jsonl_replace(j);
		jsonl_settle(j);
	}
}

/* The cleaned text differs: write the record up to it, and what agreed. */
static void
jsonl_change(struct jsonl *j)
{
	j->changed = 1;
	jsonl_put(j, j->rec + j->done, j->quote + 1 - j->done);
	j->done = j->quote + 1;
	jsonl_text(j, j->orig, j->same);
}

/* The engine's sink: compare with the original until they differ. */
static void
jsonl_cleaned(void *arg, const char *p, size_t len)
{
	struct jsonl	*j = arg;

	if (len == 0)
		return;
	if (j->changed && len == 1 && *p == '\n' && j->npend == 0) {
		jsonl_put(j, "\\n", 2);	/* the usual line ending */
		return;
	}
	if (!j->changed) {
		if (len <= j->olen - j->same && (p == j->orig + j->same ||
		    memcmp(p, j->orig + j->same, len) == 0)) {
			j->same += len;
			return;
		}
		jsonl_change(j);
	}
	jsonl_text(j, p, len);
}

/* Clean one text member's string (text: decoded, if it has escapes). */
static void
jsonl_member(struct jsonl *j, const struct jparse_member *m,
    const char *text)
{
	size_t	i;

	j->quote = m->val;
	j->orig = m->str.escaped ? text : j->rec + m->val + 1;
	j->olen = m->str.dlen;
	j->plain = !m->str.ctl;
	j->same = 0;
	j->changed = 0;
	j->npend = 0;
	engine_reset(j->engine);
	engine_feed(j->engine, j->orig, j->olen);
	engine_finish(j->engine);
	for (i = 0; i < engine_nstages(j->engine); i++) {
		rule_stats_add(&j->totals[i], engine_stats(j->engine, i));
		rule_stats_add(&j->stats[i], engine_stats(j->engine, i));
	}
	j->text_in += engine_bytes_in(j->engine);
	j->text_out += engine_bytes_out(j->engine);
	if (!j->changed && j->same == j->olen) {
		j->orig = NULL;		/* unchanged: bytes as written */
		return;
	}
	if (!j->changed)
		jsonl_change(j);	/* cut short */
	jsonl_text_end(j);
	jsonl_put(j, "\"", 1);
	j->done = m->end;
	j->orig = NULL;
}

/* Output a number. */
static void
jsonl_num(struct jsonl *j, const char *before, uint64_t n)
{
	char	s[64];
	int	len;

	len = snprintf(s, sizeof s, "%s%llu", before, (unsigned long long)n);
	jsonl_put(j, s, (size_t)len);
}

/* Output a JSON string made of a C string. */
static void
jsonl_string(struct jsonl *j, const char *s)
{
	jsonl_put(j, "\"", 1);
	j->npend = 0;
	jsonl_text(j, s, strlen(s));
	jsonl_text_end(j);
	jsonl_put(j, "\"", 1);
}

/*
 * The stats member: what cleaning did to this record's text, in total and
 * per rule (bytes_removed counts what a rule took out, bytes_added what
 * its replacements put in).
 */
static void
jsonl_stats(struct jsonl *j)
{
	const struct rule_stats	*rs;
	size_t			 i, n = engine_nstages(j->engine);
	uint64_t		 dropped = 0;

	for (i = 0; i < n; i++)
		dropped += j->stats[i].lines_dropped;
	jsonl_put(j, ",", 1);
	jsonl_string(j, j->cfg->jsonl.stats_field);
	jsonl_num(j, ":{\"bytes_in\":", j->text_in);
	jsonl_num(j, ",\"bytes_out\":", j->text_out);
	jsonl_num(j, ",\"lines_dropped\":", dropped);
	jsonl_put(j, ",\"rules\":{", 10);
	for (i = 0; i < n; i++) {
		rs = &j->stats[i];
		if (i > 0)
			jsonl_put(j, ",", 1);
		jsonl_string(j, engine_rule(j->engine, i)->name);
		jsonl_num(j, ":{\"matches\":", rs->matches);
		jsonl_num(j, ",\"lines_dropped\":", rs->lines_dropped);
		jsonl_num(j, ",\"bytes_removed\":",
		    rs->bytes_in + rs->bytes_added - rs->bytes_out);
		jsonl_num(j, ",\"bytes_added\":", rs->bytes_added);
		jsonl_put(j, "}", 1);
	}
	jsonl_put(j, "}}", 2);
}

/* Write the row of a valid record: its bytes, every text member cleaned. */
static void
jsonl_row(struct jsonl *j, const char *rec, size_t len,
    const struct jparse_record *r)
{
	struct jparse_member	 m = r->text;
	const char		*why;
	size_t			 i, n;

	j->rec = rec;
	j->done = 0;
	memset(j->stats, 0, engine_nstages(j->engine) * sizeof *j->stats);
	j->text_in = j->text_out = 0;
	jsonl_member(j, &m, j->text.data);
	for (n = 1, i = m.end; n < r->ntext; ) {
		/* More text members: the record is valid, find them. */
		jparse_next(rec, len, &i);
		buf_reset(&j->text);
		buf_reserve(&j->text, len - i);
		if (jparse_member(rec, len, &i, j->cfg->jsonl.text_field,
		    j->text.data, &m, &why) != 0)
			fatalx("jsonl: record changed under the parser");
		if (m.is_text) {
			jsonl_member(j, &m, j->text.data);
			n++;
		}
	}
	if (j->cfg->jsonl.stats) {
		jsonl_put(j, rec + j->done, r->close - j->done);
		j->done = r->close;
		jsonl_stats(j);
	}
	jsonl_put(j, rec + j->done, len - j->done);
	jsonl_put(j, "\n", 1);
}

/* Write an error row for the current line, with the record's id if any. */
static void
jsonl_error(struct jsonl *j, const char *rec, const struct jparse_member *id,
    int cr, const char *msg)
{
	j->errors++;
	jsonl_put(j, "{\"error\":", 9);
	jsonl_string(j, msg);
	jsonl_num(j, ",\"line\":", j->lineno);
	if (id != NULL) {
		jsonl_put(j, ",\"id\":", 6);
		jsonl_put(j, rec + id->val, id->end - id->val);
	}
	jsonl_put(j, cr ? "}\r\n" : "}\n", cr ? 3 : 2);
}

/* Process one complete record (without its newline). */
static void
jsonl_record(struct jsonl *j, const char *rec, size_t len)
{
	const struct jsonl_conf	*jc = &j->cfg->jsonl;
	struct jparse_record	 r;
	const struct jparse_member *id;
	char			 msg[320];
	int			 cr = len > 0 && rec[len - 1] == '\r';

	j->lineno++;
	j->records++;
	jparse_record(rec, len, jc->text_field, &j->text, &r);
	id = r.has_id ? &r.id : NULL;
	if (r.kind == JPARSE_INVALID) {
		snprintf(msg, sizeof msg, "not JSON: %s at column %zu", r.why,
		    r.at + 1);
		jsonl_error(j, rec, NULL, cr, msg);
	} else if (r.kind == JPARSE_NOT_OBJECT)
		jsonl_error(j, rec, NULL, cr, "not a JSON object");
	else if (r.ntext == 0) {
		snprintf(msg, sizeof msg, "no \"%s\" field", jc->text_field);
		jsonl_error(j, rec, id, cr, msg);
	} else if (r.text_not_string) {
		snprintf(msg, sizeof msg, "\"%s\" is not a string",
		    jc->text_field);
		jsonl_error(j, rec, id, cr, msg);
	} else
		jsonl_row(j, rec, len, &r);
	if (j->text.cap > JSONL_KEEP)
		buf_free(&j->text);
}

/* The record being skipped has ended: report it. */
static void
jsonl_skipped(struct jsonl *j)
{
	char	msg[128];

	j->skipping = 0;
	j->lineno++;
	j->records++;
	snprintf(msg, sizeof msg, "record larger than max_record (%zu bytes)",
	    j->cfg->jsonl.max_record);
	jsonl_error(j, NULL, NULL, j->skip_cr, msg);
}

/* Keep part of an unfinished record, or start skipping it if too large. */
static void
jsonl_buffer(struct jsonl *j, const char *p, size_t len)
{
	if (!j->skipping && j->line.len + len > j->cfg->jsonl.max_record) {
		j->skipping = 1;
		j->skip_cr = j->line.len > 0 &&
		    j->line.data[j->line.len - 1] == '\r';
		buf_free(&j->line);
	}
	if (j->skipping) {
		if (len > 0)
			j->skip_cr = p[len - 1] == '\r';
		return;
	}
	buf_append(&j->line, p, len);
}

/* The buffered record (or the skipped one) has ended. */
static void
jsonl_line(struct jsonl *j)
{
	if (j->skipping)
		jsonl_skipped(j);
	else
		jsonl_record(j, j->line.data, j->line.len);
	buf_reset(&j->line);
	if (j->line.cap > JSONL_KEEP)
		buf_free(&j->line);
}

/* Feed a chunk of JSON Lines of any size and boundary. */
void
jsonl_feed(struct jsonl *j, const char *p, size_t len)
{
	const char	*nl;
	size_t		 seg;

	while (len > 0) {
		if ((nl = memchr(p, '\n', len)) == NULL) {
			jsonl_buffer(j, p, len);
			break;
		}
		seg = (size_t)(nl - p);
		if (j->line.len == 0 && !j->skipping &&
		    seg <= j->cfg->jsonl.max_record)
			jsonl_record(j, p, seg);	/* straight from p */
		else {
			jsonl_buffer(j, p, seg);
			jsonl_line(j);
		}
		p += seg + 1;
		len -= seg + 1;
	}
	jsonl_flush(j);
}

/* End of input: a last record without a newline still gets its row. */
void
jsonl_finish(struct jsonl *j)
{
	if (j->skipping || j->line.len != 0)
		jsonl_line(j);
	jsonl_flush(j);
}

/* Records seen so far. */
uint64_t
jsonl_records(const struct jsonl *j)
{
	return (j->records);
}

/* The engine records are cleaned with (for rule names). */
const struct engine *
jsonl_engine(const struct jsonl *j)
{
	return (j->engine);
}

/* Rule i's figures summed over every record so far. */
const struct rule_stats *
jsonl_rule_stats(const struct jsonl *j, size_t i)
{
	return (&j->totals[i]);
}

/* Error rows written so far. */
uint64_t
jsonl_errors(const struct jsonl *j)
{
	return (j->errors);
}
