/* Unit tests for JSON Lines rows, whatever the record and however fed. */
#include "helpers.h"

#include "jsonl.h"

#define RULES	"[filter:m]\ntype = replace\n"				\
		"pattern = ##paid(?:begin|end)##\n"			\
		"[filter:q]\ntype = replace\npattern = QQ\nreplacement = \"\\\n"
#define CONF	"[jsonl]\nmax_record = 1K\n" RULES
#define CONF64	"[jsonl]\nmax_record = 64\n" RULES

/* Run the JSON Lines reader over in, fed in pieces cut at the given places. */
static void
run(const struct config *cfg, const char *in, size_t len, const size_t *cut,
    size_t ncut, struct buf *out)
{
	struct sink	 sink = { helper_sink_write, out };
	struct jsonl	*j;
	size_t		 i, at = 0;

	buf_reset(out);
	j = jsonl_new(cfg, &sink, NULL);
	for (i = 0; i < ncut; i++) {
		jsonl_feed(j, in + at, cut[i] - at);
		at = cut[i];
	}
	jsonl_feed(j, in + at, len - at);
	jsonl_finish(j);
	jsonl_free(j);
}

/* Check that in gives want, fed whole, cut anywhere once, byte by byte. */
static void
expect(const char *conf, const char *in, size_t len, const char *want,
    size_t wlen)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct buf		 out = { NULL, 0, 0 };
	size_t			 k, *every;

	if ((cfg = helper_config(conf, &errs, NULL)) == NULL)
		fail_msg("config rejected: %s", errs.v[0]);
	every = calloc(len + 1, sizeof *every);
	for (k = 0; k <= len; k++) {
		every[k] = k;
		run(cfg, in, len, &k, 1, &out);
		if (out.len != wlen || memcmp(out.data, want, wlen) != 0)
			fail_msg("cut at %zu: got [%.*s]\nwant [%.*s]", k,
			    (int)out.len, out.data, (int)wlen, want);
	}
	run(cfg, in, len, every, len, &out);
	if (out.len != wlen || memcmp(out.data, want, wlen) != 0)
		fail_msg("byte by byte: got [%.*s]", (int)out.len, out.data);
	free(every);
	buf_free(&out);
	config_unref(cfg);
}

#define EXPECT_CONF(conf, in, want) \
	expect((conf), (in), sizeof (in) - 1, (want), sizeof (want) - 1)
#define EXPECT_JSONL(in, want)	EXPECT_CONF(CONF, in, want)

/* Every text member is cleaned, spelled plainly or with escapes. */
static void
test_every_text_member(void **state)
{
	(void)state;
	EXPECT_JSONL("{\"text\":\"a##paidend##\",\"te\\u0078t\":\"QQ\","
	    "\"text\":\"same\\n\",\"texts\":\"##paidend##\"}\n",
	    "{\"text\":\"a\",\"te\\u0078t\":\"\\\"\\\\\",\"text\":\"same\\n\","
	    "\"texts\":\"##paidend##\"}\n");
}

/* Endings and white space around the object come back as they came. */
static void
test_endings(void **state)
{
	(void)state;
	EXPECT_JSONL(" \t{\"text\":\"x##paidend##\"} \t\r\n{\"text\":\"y\"}\r\n"
	    "{\"text\":\"z\"}\r", " \t{\"text\":\"x\"} \t\r\n{\"text\":\"y\"}\r\n"
	    "{\"text\":\"z\"}\r\n");
	EXPECT_JSONL("\r\n{bad}\r\n", "{\"error\":\"not JSON: unexpected end "
	    "of record at column 2\",\"line\":1}\r\n{\"error\":\"not JSON: "
	    "expected a string key at column 2\",\"line\":2}\r\n");
}

/* Escapes split anywhere still decode; re-encoded only when changed. */
static void
test_escapes(void **state)
{
	(void)state;
	EXPECT_JSONL("{\"text\":\"\\ud83d\\ude00\\u00e9\\/\\u0000\"}\n"
	    "{\"text\":\"\\ud83d\\ude00\\u00e9\\/\\u0000##paidend##\\u001f\"}\n",
	    "{\"text\":\"\\ud83d\\ude00\\u00e9\\/\\u0000\"}\n"
	    "{\"text\":\"\xf0\x9f\x98\x80\xc3\xa9/\\u0000\\u001F\"}\n");
}

/* max_record: a record of exactly that size is read, one byte more is not. */
#define D53	"01234567890123456789012345678901234567890123456789012"
static void
test_max_record(void **state)
{
	(void)state;
	/* 64 bytes; 65 with the '\r'; 64 at the end without a newline. */
	EXPECT_CONF(CONF64, "{\"text\":\"" D53 "\"}\n{\"text\":\"" D53 "\"}\r\n"
	    "{\"text\":\"x\"}\n{\"text\":\"" D53 "\"}",
	    "{\"text\":\"" D53 "\"}\n{\"error\":\"record larger than "
	    "max_record (64 bytes)\",\"line\":2}\r\n{\"text\":\"x\"}\n"
	    "{\"text\":\"" D53 "\"}\n");
}

/* Error rows keep the id's bytes; a text that is not a string is one. */
static void
test_error_rows(void **state)
{
	(void)state;
	EXPECT_JSONL("{\"i\\u0064\":1e400,\"t\":1}\n{\"id\":[1],\"text\":\"a\","
	    "\"text\":2}\n[]\n\"s\"\n{\"text\":\"a\",}\n", "{\"error\":\"no "
	    "\\\"text\\\" field\",\"line\":1,\"id\":1e400}\n{\"error\":\"\\\"text"
	    "\\\" is not a string\",\"line\":2,\"id\":[1]}\n{\"error\":\"not a "
	    "JSON object\",\"line\":3}\n{\"error\":\"not a JSON object\",\"line\""
	    ":4}\n{\"error\":\"not JSON: expected a string key at column 13\","
	    "\"line\":5}\n");
}

/* A rule that cuts a character in two: JSON gets U+FFFD, never raw bytes. */
static void
test_rule_breaks_utf8(void **state)
{
	(void)state;
	EXPECT_CONF("[filter:c]\ntype = replace\npattern = ^\\C\n",
	    "{\"text\":\"\\u00e9a\\n\\u00e9\\u00e9\"}\n",
	    "{\"text\":\"\xef\xbf\xbd" "a\\n\xef\xbf\xbd\xc3\xa9\"}\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_text_member),
		cmocka_unit_test(test_endings),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_max_record),
		cmocka_unit_test(test_error_rows),
		cmocka_unit_test(test_rule_breaks_utf8),
	};

	return (cmocka_run_group_tests_name("jsonl", tests, NULL, NULL));
}
