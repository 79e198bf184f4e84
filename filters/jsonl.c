/*
 * JSON Lines processing.  jansson validates each record and decodes its
 * text field; the cleaned text, encoded by jansson, is spliced into the
 * record's own bytes in place of the old value, so every other field keeps
 * its exact representation (numbers too large for jansson's integers, or
 * written 1e5 or 0.1, come out as they went in).  A record longer than
 * max_record is skipped as it streams past, never buffered whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "jsonl.h"
#include "xmalloc.h"

struct jsonl {
	const struct config	*cfg;
	struct sink		 sink;
	struct engine		*engine;
	struct buf		 line;		/* a record split across feeds */
	struct buf		 text;		/* cleaned text of a record */
	struct buf		 out;		/* the output row */
	int			 skipping;	/* record over max_record */
	uint64_t		 lineno;
	uint64_t		 records;
	uint64_t		 errors;
	struct rule_stats	*totals;	/* per rule, over all records */
};

/* Where a member's value lies in the record's bytes. */
struct jsonl_span {
	size_t	start;
	size_t	end;
	int	found;
};

/* Sink for the engine: collect the cleaned text. */
static void
jsonl_text_write(void *arg, const char *p, size_t len)
{
	buf_append(arg, p, len);
}

/* A JSON Lines stream over a configuration. */
struct jsonl *
jsonl_new(const struct config *cfg, const struct sink *sink,
    struct scratch *sc)
{
	struct jsonl	*j;
	struct sink	 text;

	j = xcalloc(1, sizeof *j);
	j->cfg = cfg;
	j->sink = *sink;
	text.write = jsonl_text_write;
	text.arg = &j->text;
	j->engine = engine_new(cfg, &text, sc);
	j->totals = xcalloc(engine_nstages(j->engine) + 1, sizeof *j->totals);
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
	buf_free(&j->line);
	buf_free(&j->text);
	buf_free(&j->out);
	free(j);
}

/* Skip JSON white space. */
static size_t
jsonl_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return (i);
}

/* Past the end of the string token starting at the quote at i. */
static size_t
jsonl_skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\')
			i++;
	}
	return (i + 1);
}

/* Past the end of the value starting at i (already validated JSON). */
static size_t
jsonl_skip_value(const char *s, size_t len, size_t i)
{
	int	depth = 0;

	if (i < len && s[i] == '"')
		return (jsonl_skip_string(s, len, i));
	if (i < len && s[i] != '{' && s[i] != '[') {
		while (i < len && strchr(",}] \t\r\n", s[i]) == NULL)
			i++;
		return (i);
	}
	for (; i < len; i++) {
		if (s[i] == '"')
			i = jsonl_skip_string(s, len, i) - 1;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return (i + 1);
	}
	return (len);
}

/* Does the key token s[a, b) (quotes included) decode to key? */
static int
jsonl_key_is(const char *s, size_t a, size_t b, const char *key)
{
	json_t	*k;
	size_t	 klen = strlen(key);
	int	 same;

	if (memchr(s + a, '\\', b - a) == NULL)
		return (b - a == klen + 2 && memcmp(s + a + 1, key, klen) == 0);
	if ((k = json_loadb(s + a, b - a, JSON_DECODE_ANY | JSON_ALLOW_NUL,
	    NULL)) == NULL)
		return (0);
	same = json_string_length(k) == klen &&
	    memcmp(json_string_value(k), key, klen) == 0;
	json_decref(k);
	return (same);
}

/*
 * Find the bytes of a top-level member's value in a validated object; the
 * last one wins for a repeated key, as in jansson.
 */
static struct jsonl_span
jsonl_find(const char *s, size_t len, const char *key)
{
	struct jsonl_span	sp = { 0, 0, 0 };
	size_t			i, ks;

	i = jsonl_ws(s, len, 0) + 1;		/* past '{' */
	for (;;) {
		i = jsonl_ws(s, len, i);
		if (i >= len || s[i] != '"')
			return (sp);
		ks = i;
		i = jsonl_skip_string(s, len, i);
		if (jsonl_key_is(s, ks, i, key)) {
			sp.found = 1;
			sp.start = jsonl_ws(s, len, jsonl_ws(s, len, i) + 1);
			sp.end = jsonl_skip_value(s, len, sp.start);
			i = sp.end;
		} else {
			i = jsonl_ws(s, len, jsonl_ws(s, len, i) + 1);
			i = jsonl_skip_value(s, len, i);
		}
		i = jsonl_ws(s, len, i);
		if (i >= len || s[i] != ',')
			return (sp);
		i++;
	}
}

/* Append a JSON value to out, encoded compactly. */
static int
jsonl_append_json(struct buf *out, json_t *v)
{
	char	*s;

	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return (-1);
	buf_append(out, s, strlen(s));
	free(s);
	return (0);
}

/* Write an error row for the current line, with the record's id if any. */
static void
jsonl_error(struct jsonl *j, const char *rec, size_t len, const char *msg)
{
	struct jsonl_span	 id = { 0, 0, 0 };
	json_t			*m;
	char			 num[32];

	j->errors++;
	if (rec != NULL)
		id = jsonl_find(rec, len, "id");
	buf_reset(&j->out);
	buf_append(&j->out, "{\"error\":", 9);
	m = json_string(msg);
	if (m == NULL || jsonl_append_json(&j->out, m) != 0)
		buf_append(&j->out, "\"unprintable error\"", 19);
	json_decref(m);
	snprintf(num, sizeof num, ",\"line\":%llu",
	    (unsigned long long)j->lineno);
	buf_append(&j->out, num, strlen(num));
	if (id.found) {
		buf_append(&j->out, ",\"id\":", 6);
		buf_append(&j->out, rec + id.start, id.end - id.start);
	}
	buf_append(&j->out, "}\n", 2);
	j->sink.write(j->sink.arg, j->out.data, j->out.len);
}

/* The per-rule figures of the last record, as a JSON object. */
static json_t *
jsonl_stats(struct jsonl *j, size_t in)
{
	const struct rule_stats	*rs;
	json_t			*o, *rules;
	size_t			 i;
	uint64_t		 dropped = 0;

	rules = json_object();
	for (i = 0; i < engine_nstages(j->engine); i++) {
		rs = engine_stats(j->engine, i);
		dropped += rs->lines_dropped;
		json_object_set_new(rules, engine_rule(j->engine, i)->name,
		    json_pack("{s:I,s:I,s:I}", "matches",
		    (json_int_t)rs->matches, "lines_dropped",
		    (json_int_t)rs->lines_dropped, "bytes_removed",
		    (json_int_t)(rs->bytes_in - rs->bytes_out)));
	}
	o = json_pack("{s:I,s:I,s:I,s:o}", "bytes_in", (json_int_t)in,
	    "bytes_out", (json_int_t)j->text.len, "lines_dropped",
	    (json_int_t)dropped, "rules", rules);
	return (o);
}

/* Add the last record's per-rule figures to the stream's totals. */
static void
jsonl_add_stats(struct jsonl *j)
{
	size_t	i;

	for (i = 0; i < engine_nstages(j->engine); i++)
		rule_stats_add(&j->totals[i], engine_stats(j->engine, i));
}

/* Clean the text of a valid record and write the spliced row. */
static void
jsonl_clean(struct jsonl *j, const char *rec, size_t len, const char *text,
    size_t tlen)
{
	const struct jsonl_conf	*jc = &j->cfg->jsonl;
	struct jsonl_span	 sp;
	json_t			*v;
	size_t			 close;

	engine_reset(j->engine);
	buf_reset(&j->text);
	engine_feed(j->engine, text, tlen);
	engine_finish(j->engine);
	jsonl_add_stats(j);
	sp = jsonl_find(rec, len, jc->text_field);
	if (!sp.found) {
		jsonl_error(j, rec, len, "text field not found");
		return;
	}
	buf_reset(&j->out);
	buf_append(&j->out, rec, sp.start);
	if (j->text.len == tlen && (tlen == 0 ||
	    memcmp(j->text.data, text, tlen) == 0))
		/* Nothing changed: the value's own bytes, not re-encoded. */
		buf_append(&j->out, rec + sp.start, sp.end - sp.start);
	else if ((v = json_stringn(j->text.data ? j->text.data : "",
	    j->text.len)) != NULL) {
		jsonl_append_json(&j->out, v);
		json_decref(v);
	} else {
		jsonl_error(j, rec, len, "cleaned text is not valid UTF-8");
		return;
	}
	close = len;
	while (close > sp.end && rec[close - 1] != '}')
		close--;
	buf_append(&j->out, rec + sp.end, close - 1 - sp.end);
	if (jc->stats) {
		buf_append(&j->out, ",", 1);
		v = json_string(jc->stats_field);
		jsonl_append_json(&j->out, v);
		json_decref(v);
		buf_append(&j->out, ":", 1);
		v = jsonl_stats(j, tlen);
		jsonl_append_json(&j->out, v);
		json_decref(v);
	}
	buf_append(&j->out, "}\n", 2);
	j->sink.write(j->sink.arg, j->out.data, j->out.len);
}

/* Process one complete record (without its newline). */
static void
jsonl_record(struct jsonl *j, const char *rec, size_t len)
{
	const struct jsonl_conf	*jc = &j->cfg->jsonl;
	json_error_t		 err;
	json_t			*root, *text;
	char			 msg[256];

	j->lineno++;
	j->records++;
	if (len > 0 && rec[len - 1] == '\r')
		len--;
	root = json_loadb(rec, len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
	    &err);
	if (root == NULL) {
		snprintf(msg, sizeof msg, "not JSON: %s at column %d",
		    err.text, err.column);
		jsonl_error(j, NULL, 0, msg);
		return;
	}
	if (!json_is_object(root)) {
		jsonl_error(j, NULL, 0, "not a JSON object");
	} else if ((text = json_object_get(root, jc->text_field)) == NULL) {
		snprintf(msg, sizeof msg, "no \"%s\" field", jc->text_field);
		jsonl_error(j, rec, len, msg);
	} else if (!json_is_string(text)) {
		snprintf(msg, sizeof msg, "\"%s\" is not a string",
		    jc->text_field);
		jsonl_error(j, rec, len, msg);
	} else
		jsonl_clean(j, rec, len, json_string_value(text),
		    json_string_length(text));
	json_decref(root);
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
	jsonl_error(j, NULL, 0, msg);
}

/* Keep part of an unfinished record, or start skipping it if too large. */
static void
jsonl_buffer(struct jsonl *j, const char *p, size_t len)
{
	if (j->skipping)
		return;
	if (j->line.len + len > j->cfg->jsonl.max_record) {
		j->skipping = 1;
		buf_free(&j->line);
		return;
	}
	buf_append(&j->line, p, len);
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
			return;
		}
		seg = (size_t)(nl - p);
		if (j->skipping)
			jsonl_skipped(j);
		else if (j->line.len == 0 && seg <= j->cfg->jsonl.max_record)
			jsonl_record(j, p, seg);
		else {
			jsonl_buffer(j, p, seg);
			if (j->skipping)
				jsonl_skipped(j);
			else
				jsonl_record(j, j->line.data, j->line.len);
			buf_reset(&j->line);
		}
		p += seg + 1;
		len -= seg + 1;
	}
}

/* End of input: a last record without a newline still gets its row. */
void
jsonl_finish(struct jsonl *j)
{
	if (j->skipping)
		jsonl_skipped(j);
	else if (j->line.len != 0)
		jsonl_record(j, j->line.data, j->line.len);
	buf_reset(&j->line);
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
