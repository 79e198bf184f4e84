/*
 * libFuzzer target: the JSON Lines fast path against jansson.  For every
 * input line the two agree on valid or not, except where jansson's own
 * limits refuse valid JSON (numbers out of double range, a NUL in a key:
 * those lines are skipped), and give the same error row.  For a valid
 * record, the output row's text member decoded by jansson equals jansson's
 * decoding of the input's text member cleaned by the engine; every other
 * member comes back equal; an unchanged text leaves the record's bytes as
 * they were.  The output is the same fed whole or in small pieces.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "jsonl.h"
#include "fuzz.h"

#define FUZZ_FLAGS	(JSON_DECODE_ANY | JSON_ALLOW_NUL | \
			    JSON_DECODE_INT_AS_REAL)

static struct config	*fuzz_cfg;
static struct engine	*fuzz_engine;
static struct buf	 fuzz_clean;

/* Report a disagreement and stop. */
static void
fuzz_fail(const char *what, const char *rec, size_t len, const char *row,
    size_t rlen)
{
	fprintf(stderr, "fuzz_jsonl_diff: %s\nrecord: %.*s\nrow: %.*s\n", what,
	    (int)len, rec, (int)rlen, row);
	abort();
}

/* Load the configuration and make the reference engine once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config_errors	errs = { NULL, 0 };
	struct sink		sink = { fuzz_buf_write, &fuzz_clean };

	(void)argc;
	(void)argv;
	fuzz_cfg = config_load(SCRUBD_ROOT "/tests/fuzz/jsonl_diff.conf",
	    &errs);
	if (fuzz_cfg == NULL)
		abort();
	fuzz_engine = engine_new(fuzz_cfg, &sink, NULL);
	return (0);
}

/* Run the fast path over data, in pieces of up to step bytes (0: whole). */
static void
fuzz_run(const uint8_t *data, size_t len, size_t step, struct buf *out)
{
	struct sink	 sink = { fuzz_buf_write, out };
	struct jsonl	*j;
	size_t		 off = 0, n;

	j = jsonl_new(fuzz_cfg, &sink, NULL);
	while (off < len) {
		n = step == 0 ? len - off : 1 + (off * 7 + len) % step;
		if (n > len - off)
			n = len - off;
		jsonl_feed(j, (const char *)data + off, n);
		off += n;
	}
	jsonl_finish(j);
	jsonl_free(j);
}

/* Is this a valid record that jansson's limits refuse? */
static int
fuzz_jansson_limit(const json_error_t *e)
{
	return (json_error_code(e) == json_error_numeric_overflow ||
	    json_error_code(e) == json_error_null_byte_in_key);
}

/* Is row an error row for line n starting with prefix (id: the record's)? */
static int
fuzz_is_error(json_t *row, const char *prefix, json_int_t n, json_t *id)
{
	json_t	*e = json_object_get(row, "error");
	json_t	*l = json_object_get(row, "line");
	json_t	*rid = json_object_get(row, "id");

	if (!json_is_string(e) || strncmp(json_string_value(e), prefix,
	    strlen(prefix)) != 0)
		return (0);
	if (!json_is_real(l) || json_real_value(l) != (double)n)
		return (0);
	if (json_object_size(row) != (id != NULL ? 3u : 2u))
		return (0);
	return (id == NULL || json_equal(id, rid));
}

/* The engine's cleaning of text, as jansson decoded it. */
static void
fuzz_reference(json_t *text)
{
	buf_reset(&fuzz_clean);
	engine_reset(fuzz_engine);
	engine_feed(fuzz_engine, json_string_value(text),
	    json_string_length(text));
	engine_finish(fuzz_engine);
}

/* Does row equal the record but for the text member and the stats? */
static int
fuzz_same_members(json_t *in, json_t *row)
{
	json_t	*a = json_deep_copy(in), *b = json_deep_copy(row);
	int	 same;

	json_object_del(a, "text");
	json_object_del(b, "text");
	json_object_del(a, "scrubd");
	json_object_del(b, "scrubd");
	same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return (same);
}

/* Unchanged text: the row is the record's bytes with the stats inserted. */
static int
fuzz_same_bytes(const char *rec, size_t len, const char *row, size_t rlen)
{
	size_t	close = len, tail;

	while (close > 0 && rec[close - 1] != '}')
		close--;
	if (close == 0)
		return (0);
	tail = len - (close - 1);
	return (rlen > len && memcmp(row, rec, close - 1) == 0 &&
	    memcmp(row + rlen - tail, rec + close - 1, tail) == 0);
}

/* Check a cleaned row against jansson's view of the record. */
static void
fuzz_cleaned(json_t *in, json_t *row, int dups, const char *rec, size_t len,
    const char *r, size_t rlen)
{
	json_t	*text = json_object_get(in, "text");
	json_t	*got = json_object_get(row, "text");
	json_t	*st = json_object_get(row, "scrubd");

	fuzz_reference(text);
	if (!json_is_object(st) || !json_is_string(got))
		fuzz_fail("no cleaned row", rec, len, r, rlen);
	if (json_string_length(got) != fuzz_clean.len || (fuzz_clean.len != 0 &&
	    memcmp(json_string_value(got), fuzz_clean.data, fuzz_clean.len)))
		fuzz_fail("cleaned text differs", rec, len, r, rlen);
	if (!fuzz_same_members(in, row))
		fuzz_fail("other members differ", rec, len, r, rlen);
	if (dups)
		return;
	if (json_real_value(json_object_get(st, "bytes_in")) !=
	    (double)json_string_length(text) ||
	    json_real_value(json_object_get(st, "bytes_out")) !=
	    (double)fuzz_clean.len)
		fuzz_fail("stats differ", rec, len, r, rlen);
	if (fuzz_clean.len == json_string_length(text) && (fuzz_clean.len ==
	    0 || memcmp(fuzz_clean.data, json_string_value(text),
	    fuzz_clean.len) == 0) && !fuzz_same_bytes(rec, len, r, rlen))
		fuzz_fail("unchanged record not kept byte for byte", rec, len,
		    r, rlen);
}

/* Check the row of a record jansson reads as a JSON object. */
static void
fuzz_object(json_t *in, json_t *row, json_int_t n, const char *rec,
    size_t len, const char *r, size_t rlen)
{
	json_error_t	 e;
	json_t		*text = json_object_get(in, "text");
	json_t		*id = json_object_get(in, "id");
	json_t		*d;
	int		 dups;

	d = json_loadb(rec, len, FUZZ_FLAGS | JSON_REJECT_DUPLICATES, &e);
	dups = d == NULL;
	json_decref(d);
	if (text == NULL) {
		if (!fuzz_is_error(row, "no \"text\" field", n, id))
			fuzz_fail("expected no text field", rec, len, r, rlen);
	} else if (!json_is_string(text)) {
		if (!fuzz_is_error(row, "\"text\" is not a string", n, id))
			fuzz_fail("expected not a string", rec, len, r, rlen);
	} else if (!dups || !fuzz_is_error(row, "\"text\" is not a string", n,
	    id))
		fuzz_cleaned(in, row, dups, rec, len, r, rlen);
}

/* Check the row of input line n (1-based) against jansson. */
static void
fuzz_line(const char *rec, size_t len, const char *r, size_t rlen,
    json_int_t n)
{
	json_error_t	 e;
	json_t		*in, *row;

	/*
	 * A raw NUL byte is never valid JSON, but jansson skips one that
	 * follows a token it had to read past (its look-ahead buffer ends
	 * at NUL), so it is no reference for those.
	 */
	if (memchr(rec, '\0', len) != NULL)
		in = NULL;
	else if ((in = json_loadb(rec, len, FUZZ_FLAGS, &e)) == NULL &&
	    fuzz_jansson_limit(&e))
		return;
	if ((row = json_loadb(r, rlen, FUZZ_FLAGS, &e)) == NULL ||
	    !json_is_object(row))
		fuzz_fail("row is not a JSON object", rec, len, r, rlen);
	if (len > fuzz_cfg->jsonl.max_record) {
		if (!fuzz_is_error(row, "record larger than max_record", n,
		    NULL))
			fuzz_fail("expected max_record", rec, len, r, rlen);
	} else if (in == NULL) {
		if (!fuzz_is_error(row, "not JSON: ", n, NULL))
			fuzz_fail("jansson says invalid", rec, len, r, rlen);
	} else if (!json_is_object(in)) {
		if (!fuzz_is_error(row, "not a JSON object", n, NULL))
			fuzz_fail("expected not an object", rec, len, r, rlen);
	} else
		fuzz_object(in, row, n, rec, len, r, rlen);
	json_decref(in);
	json_decref(row);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf	 whole = { NULL, 0, 0 }, pieces = { NULL, 0, 0 };
	const char	*p = (const char *)data, *end = p + len, *nl, *r, *rnl;
	json_int_t	 n = 0;

	fuzz_run(data, len, 0, &whole);
	fuzz_run(data, len, 61, &pieces);
	if (whole.len != pieces.len || (whole.len != 0 &&
	    memcmp(whole.data, pieces.data, whole.len) != 0))
		fuzz_fail("output depends on how input is cut", "", 0, "", 0);
	r = whole.data;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (r == NULL || r >= whole.data + whole.len ||
		    (rnl = memchr(r, '\n', whole.len - (size_t)(r -
		    whole.data))) == NULL)
			fuzz_fail("fewer rows than lines", p, (size_t)(nl - p),
			    "", 0);
		fuzz_line(p, (size_t)(nl - p), r, (size_t)(rnl - r), ++n);
		p = nl + 1;
		r = rnl + 1;
	}
	if (r != NULL && r != whole.data + whole.len)
		fuzz_fail("more rows than lines", "", 0, "", 0);
	buf_free(&whole);
	buf_free(&pieces);
	return (0);
}
