/* Unit tests for the configuration loader: every error names FILE:LINE. */
#include <sys/stat.h>

#include "helpers.h"

#include "pattern.h"

/*
 * Load text and check that it is rejected with an error at line `line`
 * whose message contains `what`.
 */
static void
expect_error(const char *text, int line, const char *what)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	char			*path, *prefix;
	size_t			 i;
	int			 found = 0;

	cfg = helper_config(text, &errs, &path);
	assert_null(cfg);
	assert_true(asprintf(&prefix, "%s:%d: ", path, line) > 0);
	for (i = 0; i < errs.n; i++) {
		if (strncmp(errs.v[i], prefix, strlen(prefix)) == 0 &&
		    strstr(errs.v[i], what) != NULL)
			found = 1;
	}
	if (!found)
		fail_msg("no error '%s%s' among %zu: first %s", prefix, what,
		    errs.n, errs.n ? errs.v[0] : "");
	config_errors_free(&errs);
	unlink(path);
	free(path);
	free(prefix);
}

/* The default configuration loads. */
static void
test_default_config(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;

	(void)state;
	cfg = config_load("conf/scrubd.conf", &errs);
	if (cfg == NULL)
		fail_msg("%s", errs.v[0]);
	assert_int_equal(cfg->nrules, 5);
	assert_string_equal(cfg->rules[0].name, "paywall");
	assert_string_equal(cfg->rules[4].type->name, "blank");
	config_unref(cfg);
}

/* Rules keep file order; [daemon] keys are kept; indented keys are keys. */
static void
test_order_and_daemon(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;

	(void)state;
	cfg = helper_config("[daemon]\nsocket = /tmp/x.sock\n"
	    "[filter:z]\n  type = blank\n[filter:a]\ntype = drop-line\n"
	    "pattern = x ; a comment\n", &errs, NULL);
	assert_non_null(cfg);
	assert_int_equal(cfg->nrules, 2);
	assert_string_equal(cfg->rules[0].name, "z");
	assert_string_equal(cfg->rules[1].name, "a");
	assert_int_equal(cfg->ndaemon, 1);
	assert_string_equal(cfg->daemon[0].key, "socket");
	assert_int_equal(cfg->daemon[0].line, 2);
	config_unref(cfg);
}

/* Each error class. */
static void
test_unknown_section(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = blank\n\n[filters]\nx = 1\n", 4,
	    "unknown section [filters]");
}

static void
test_unknown_key(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = blank\nsqueez = yes\n", 3,
	    "unknown key squeez for a blank rule");
}

static void
test_unknown_type(void **state)
{
	(void)state;
	expect_error("[filter:a]\n\ntype = delete\n", 3,
	    "unknown type 'delete'");
}

static void
test_bad_value(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = blank\ntrim = maybe\n", 3,
	    "trim must be yes or no");
	expect_error("[engine]\nmax_line = 10\n", 2, "max_line must be");
}

static void
test_missing_key(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = replace\n", 1,
	    "missing required key pattern");
	expect_error("[filter:a]\npattern = x\n", 1,
	    "missing required key type");
	expect_error("[filter:a]\ntype = drop-block\nbegin = x\n", 1,
	    "missing required key end");
}

static void
test_duplicate_rule(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = blank\n[filter:a]\ntype = blank\n",
	    3, "duplicate rule name 'a' (first at line 1)");
}

static void
test_pattern_error(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = drop-line\npattern = ok\n"
	    "pattern = a(b\n", 4, "bad pattern at offset 3: missing closing "
	    "parenthesis");
}

static void
test_patterns_file_error(void **state)
{
	char	*pf, *conf;

	(void)state;
	pf = helper_tmpfile("# c\nfine\n[z-a]\n", 15);
	assert_true(asprintf(&conf, "[filter:a]\ntype = drop-line\n"
	    "patterns_file = %s\n", pf) > 0);
	{
		struct config_errors	 errs = { NULL, 0 };
		char			*want;

		assert_null(helper_config(conf, &errs, NULL));
		assert_true(asprintf(&want, "%s:3: bad pattern at offset", pf)
		    > 0);
		assert_int_equal(errs.n, 1);
		assert_true(strncmp(errs.v[0], want, strlen(want)) == 0);
		free(want);
		config_errors_free(&errs);
	}
	expect_error("[filter:a]\ntype = drop-line\n"
	    "patterns_file = /nonexistent/p\n", 3,
	    "patterns file /nonexistent/p: cannot open");
	unlink(pf);
	free(pf);
	free(conf);
}

static void
test_long_line(void **state)
{
	char	text[400];

	(void)state;
	snprintf(text, sizeof text, "[filter:a]\ntype = drop-line\n"
	    "pattern = %0250d\n", 0);
	expect_error(text, 3, "line longer than 198 bytes");
}

static void
test_syntax_and_repeats(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = blank\njunk\n", 3,
	    "expected 'key = value'");
	expect_error("[filter:a\ntype = blank\n", 1, "without ']'");
	expect_error("type = blank\n", 1, "key outside any section");
	expect_error("[filter:a]\ntype = blank\ntrim = yes\ntrim = no\n", 4,
	    "trim given twice (first at line 3)");
	expect_error("[filter:a b]\ntype = blank\n", 1, "bad rule name");
}

/* Every error is reported, not only the first. */
static void
test_all_errors(void **state)
{
	struct config_errors	 errs = { NULL, 0 };

	(void)state;
	assert_null(helper_config("[filter:a]\ntype = nope\n[bad]\n"
	    "[filter:b]\ntype = replace\npattern = (\n", &errs, NULL));
	assert_int_equal(errs.n, 3);
	config_errors_free(&errs);
}

static void
test_missing_file(void **state)
{
	struct config_errors	 errs = { NULL, 0 };

	(void)state;
	assert_null(config_load("/nonexistent/scrubd.conf", &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], "/nonexistent/scrubd.conf: cannot "
	    "open"));
	config_errors_free(&errs);
}


/* [engine] jit: yes by default, no for the interpreter, wherever it is. */
static void
test_engine_jit(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct patterns		*pat;

	(void)state;
	cfg = helper_config("[filter:a]\ntype = drop-line\npattern = x\n"
	    "[engine]\njit = no\n", &errs, NULL);
	assert_non_null(cfg);
	assert_int_equal(cfg->jit, 0);
	pat = cfg->rules[0].conf;	/* drop-line's conf starts with it */
	assert_int_equal(pat->jit, 0);
	config_unref(cfg);
	cfg = helper_config("[filter:a]\ntype = drop-line\npattern = x\n",
	    &errs, NULL);
	assert_non_null(cfg);
	assert_int_equal(cfg->jit, 1);
	config_unref(cfg);
	expect_error("[engine]\njit = maybe\n", 2, "jit must be yes or no");
}

/* Write a patterns file and a config using it; load; return the errors. */
static struct config *
load_with_patterns(const char *pats, size_t len, struct config_errors *errs)
{
	struct config	*cfg;
	char		*pf, *conf;

	pf = helper_tmpfile(pats, len);
	assert_true(asprintf(&conf, "[filter:a]\ntype = drop-line\n"
	    "patterns_file = %s\n", pf) > 0);
	cfg = helper_config(conf, errs, NULL);
	unlink(pf);
	free(pf);
	free(conf);
	return (cfg);
}

/* A byte order mark before a patterns file's first pattern is not in it. */
static void
test_patterns_file_bom(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct buf		 out = { NULL, 0, 0 };

	(void)state;
	cfg = load_with_patterns("\xef\xbb\xbf^one\n^two\n", 13, &errs);
	assert_non_null(cfg);
	helper_run(cfg, "one\ntwo\nthree\n", 14, SIZE_MAX, &out);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "three\n", 6);
	config_unref(cfg);
	cfg = load_with_patterns("\xef\xbb\xbf# c\n^one\n", 12, &errs);
	assert_non_null(cfg);
	helper_run(cfg, "one\n# c\n", 8, SIZE_MAX, &out);
	assert_int_equal(out.len, 4);
	buf_free(&out);
	config_unref(cfg);
}

/* A FIFO as a patterns file is refused at once, not read (it would hang). */
static void
test_patterns_file_fifo(void **state)
{
	char	path[] = "/tmp/scrubd-test-fifo-XXXXXX", *fifo, *conf, *want;

	(void)state;
	assert_non_null(mkdtemp(path));
	assert_true(asprintf(&fifo, "%s/p", path) > 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_true(asprintf(&conf, "[filter:a]\ntype = drop-line\n"
	    "patterns_file = %s\n", fifo) > 0);
	assert_true(asprintf(&want, "patterns file %s: is a FIFO, not a "
	    "regular file", fifo) > 0);
	alarm(10);		/* a hang fails the test instead of blocking */
	expect_error(conf, 3, want);
	expect_error("[filter:a]\ntype = drop-line\n"
	    "patterns_file = /tmp\n", 3,
	    "patterns file /tmp: is a directory, not a regular file");
	alarm(0);
	unlink(fifo);
	rmdir(path);
	free(fifo);
	free(conf);
	free(want);
}

/* A directory or a device as the configuration path is refused. */
static void
test_config_not_regular(void **state)
{
	struct config_errors	 errs = { NULL, 0 };

	(void)state;
	assert_null(config_load("/tmp", &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0],
	    "/tmp: is a directory, not a regular file");
	config_errors_free(&errs);
	assert_null(config_load("/dev/null", &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0],
	    "/dev/null: is a character device, not a regular file");
	config_errors_free(&errs);
}

/* A refused patterns file is one error, not also "missing pattern". */
static void
test_patterns_file_one_error(void **state)
{
	struct config_errors	 errs = { NULL, 0 };

	(void)state;
	assert_null(helper_config("[filter:a]\ntype = drop-line\n"
	    "patterns_file = /nonexistent/p\n", &errs, NULL));
	assert_int_equal(errs.n, 1);
	config_errors_free(&errs);
}

/*
 * Too many patterns for one expression: the error says which limit was
 * hit, how many fit, and what to do.
 */
static void
test_patterns_too_large(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct buf		 pats = { NULL, 0, 0 };
	char			 line[32];
	int			 i, n;

	(void)state;
	for (i = 0; i < 6000; i++) {
		n = snprintf(line, sizeof line, "word%05dx\n", i);
		buf_append(&pats, line, (size_t)n);
	}
	assert_null(load_with_patterns(pats.data, pats.len, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], ":1: the 6000 patterns of this rule "
	    "are too large together for one PCRE2 expression (regular "
	    "expression is too large: this PCRE2 build limits a compiled "
	    "expression to "));
	assert_non_null(strstr(errs.v[0], "); only the first "));
	assert_non_null(strstr(errs.v[0], " fit: split the list across "
	    "several rules"));
	assert_null(strstr(errs.v[0], "pattern patterns"));
	config_errors_free(&errs);
	buf_free(&pats);
}

/* A replacement must be valid UTF-8 (JSON Lines output must encode it). */
static void
test_replacement_utf8(void **state)
{
	(void)state;
	expect_error("[filter:a]\ntype = replace\npattern = x\n"
	    "replacement = a\xff\n", 4, "replacement is not valid UTF-8");
	expect_error("[filter:a]\ntype = replace\npattern = x\n"
	    "replacement = \xe5\x93\n", 4, "replacement is not valid UTF-8");
}

/* Duplicate names among many rules: each reported once, with its first. */
static void
test_many_rules_duplicates(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct buf		 text = { NULL, 0, 0 };
	char			 sec[64];
	int			 i, n;

	(void)state;
	for (i = 0; i < 20000; i++) {
		n = snprintf(sec, sizeof sec, "[filter:r%d]\ntype = blank\n",
		    i == 19999 ? 7 : i);
		buf_append(&text, sec, (size_t)n);
	}
	buf_append(&text, "", 1);
	assert_null(helper_config(text.data, &errs, NULL));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.v[0], ":39999: duplicate rule name 'r7' "
	    "(first at line 15)"));
	config_errors_free(&errs);
	text.len -= 1 + n;
	buf_append(&text, "", 1);
	cfg = helper_config(text.data, &errs, NULL);
	assert_non_null(cfg);
	assert_int_equal(cfg->nrules, 19999);
	assert_string_equal(cfg->rules[19998].name, "r19998");
	config_unref(cfg);
	buf_free(&text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_config),
		cmocka_unit_test(test_order_and_daemon),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_bad_value),
		cmocka_unit_test(test_missing_key),
		cmocka_unit_test(test_duplicate_rule),
		cmocka_unit_test(test_pattern_error),
		cmocka_unit_test(test_patterns_file_error),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_syntax_and_repeats),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_engine_jit),
		cmocka_unit_test(test_patterns_file_bom),
		cmocka_unit_test(test_patterns_file_fifo),
		cmocka_unit_test(test_config_not_regular),
		cmocka_unit_test(test_patterns_file_one_error),
		cmocka_unit_test(test_patterns_too_large),
		cmocka_unit_test(test_replacement_utf8),
		cmocka_unit_test(test_many_rules_duplicates),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
