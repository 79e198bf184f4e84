/* Unit tests for the patterns layer: literal extraction and the prefilter. */
#include "helpers.h"

#include "pattern.h"

/* The literal pattern_literal() finds in p, as a string. */
static char *
literal_of(const char *p)
{
	static char	out[256];
	size_t		off, n;

	n = pattern_literal(p, strlen(p), &off);
	snprintf(out, sizeof out, "%.*s", (int)n, p + off);
	return (out);
}

/* Required literals: outside groups, classes, escapes and quantifiers. */
static void
test_literal_extraction(void **state)
{
	(void)state;
	assert_string_equal(literal_of("##paid(?:begin|end)##"), "##paid");
	assert_string_equal(literal_of("哒哒君"), "哒哒君");
	assert_string_equal(literal_of("^[\\h\\v]*[【\\[][\\h\\v]*哒哒"), "哒哒");
	assert_string_equal(literal_of("ab?c"), "a");
	assert_string_equal(literal_of("a+bc"), "bc");
	assert_string_equal(literal_of("x{2}yz"), "yz");
	assert_string_equal(literal_of("foo\\.bar"), "foo\\.bar");
	assert_string_equal(literal_of("[[:alpha:]]xy"), "xy");
	assert_string_equal(literal_of("ab(cd)?ef"), "ab");
	/* Beyond the simple reading: no literal. */
	assert_string_equal(literal_of("(?i)abc"), "");
	assert_string_equal(literal_of("a|bc"), "");
	assert_string_equal(literal_of("\\Qab\\E"), "");
	assert_string_equal(literal_of("(?=x)ab"), "");
	assert_string_equal(literal_of("\\x{41}bc"), "");
	assert_string_equal(literal_of("x*"), "");
}

/* With or without the prefilter, the same lines match. */
static void
test_prefilter_agrees(void **state)
{
	static const char	*conf = "[filter:p]\ntype = drop-line\n"
	    "pattern = ##pa[i]d\npattern = x#y+z\n";
	static const char	*lines[] = {
		"plain", "##paid", "a##paid b", "##pa", "x#yyz", "x#z",
		"#x#yz#", "", "##PAID", "\xff##paid\xfe",
	};
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct patterns		*pat;
	pcre2_match_data	*md;
	size_t			 i;
	int			 with, without;

	(void)state;
	cfg = helper_config(conf, &errs, NULL);
	assert_non_null(cfg);
	pat = cfg->rules[0].conf;	/* drop-line's conf starts with it */
	assert_int_equal(pat->nlits, 2);
	md = patterns_match_data(pat);
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		with = patterns_test(pat, NULL, md, lines[i], strlen(lines[i]), 0);
		without = patterns_exec(pat, NULL, md, lines[i], strlen(lines[i]), 0,
		    0) == PATTERN_MATCH;
		assert_int_equal(with, without);
	}
	pcre2_match_data_free(md);
	config_unref(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_extraction),
		cmocka_unit_test(test_prefilter_agrees),
	};

	return (cmocka_run_group_tests_name("pattern", tests, NULL, NULL));
}
