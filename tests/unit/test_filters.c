/* Unit tests for every filter type and the line machine. */
#include "helpers.h"

#include "filter.h"

#define REPLACE_MARKERS \
	"[filter:m]\ntype = replace\npattern = ##paid(?:begin|end)##\n"

/* Markers go wherever they stand; a line they leave blank goes too. */
static void
test_replace_delete(void **state)
{
	(void)state;
	EXPECT(REPLACE_MARKERS,
	    "a##paidbegin##b\n##paidend##\n  ##paidend##  \nc##paid##\n",
	    "ab\nc##paid##\n");
}

/* A literal replacement and a $-expanded one. */
static void
test_replace_replacement(void **state)
{
	(void)state;
	EXPECT("[filter:r]\ntype = replace\npattern = cat\n"
	    "replacement = dog\n", "cat and cat\n", "dog and dog\n");
	EXPECT("[filter:r]\ntype = replace\npattern = (\\w+)@(\\w+)\n"
	    "replacement = $2 at $1\n", "mail bob@home now\n",
	    "mail home at bob now\n");
}

/* drop_emptied = no keeps the emptied line. */
static void
test_replace_keep_emptied(void **state)
{
	(void)state;
	EXPECT("[filter:r]\ntype = replace\npattern = x\ndrop_emptied = no\n",
	    "x\nxax\n", "\na\n");
}

/* caseless and several patterns as alternatives. */
static void
test_replace_caseless_alternatives(void **state)
{
	(void)state;
	EXPECT("[filter:r]\ntype = replace\npattern = foo\npattern = bar\n"
	    "caseless = yes\n", "FOO Bar baz\n", "  baz\n");
}

/* A pattern that matches the empty string still ends. */
static void
test_replace_empty_match(void **state)
{
	(void)state;
	EXPECT("[filter:r]\ntype = replace\npattern = x*\nreplacement = -\n",
	    "axxb\n", "-a--b-\n");
}

/* Endings are kept and patterns see the line without them. */
static void
test_replace_crlf(void **state)
{
	(void)state;
	EXPECT("[filter:r]\ntype = replace\npattern = a$\n",
	    "ba\r\nca\nda", "b\r\nc\nd");
}

/* A line longer than max_line: a marker across a piece boundary is found. */
static void
test_replace_long_line(void **state)
{
	char	in[1000], want[1000];
	size_t	i, n = 0, w = 0;

	(void)state;
	for (i = 0; i < 20; i++) {
		memcpy(in + n, "0123456789##paidend##", 21);
		n += 21;
		memcpy(want + w, "0123456789", 10);
		w += 10;
	}
	in[n++] = '\n';
	want[w++] = '\n';
	helper_expect("[engine]\nmax_line = 64\n" REPLACE_MARKERS, in, n,
	    want, w);
}

/* Lookbehind across a piece boundary of a long line. */
static void
test_replace_lookbehind(void **state)
{
	char	in[300], want[300];
	size_t	i;

	(void)state;
	for (i = 0; i < 200; i++)
		in[i] = (i % 10 == 9) ? 'b' : 'a';
	memcpy(want, in, 200);
	for (i = 0; i < 200; i++)
		if (i % 10 == 9)
			want[i] = 'X';
	in[200] = want[200] = '\n';
	helper_expect("[engine]\nmax_line = 64\n[filter:r]\ntype = replace\n"
	    "pattern = (?<=aaa)b\nreplacement = X\n", in, 201, want, 201);
}

/* NUL bytes, invalid UTF-8 and lone CR pass through untouched. */
static void
test_binary_safe(void **state)
{
	(void)state;
	EXPECT(REPLACE_MARKERS, "a\0b##paidend##\xff\xfe\rc\n\xe5\x93\n",
	    "a\0b\xff\xfe\rc\n\xe5\x93\n");
}

/* A UTF-8 character split across chunks is still matched. */
static void
test_replace_utf8(void **state)
{
	(void)state;
	EXPECT("[filter:t]\ntype = replace\npattern = 哒哒君\n",
	    "法治哒哒君社区\n哒哒君\n", "法治社区\n");
}

/* drop-line drops matching lines, with their endings. */
static void
test_drop_line(void **state)
{
	(void)state;
	EXPECT("[filter:d]\ntype = drop-line\npattern = ^ad\n",
	    "keep\nad one\r\nkeep ad\nad", "keep\nkeep ad\n");
}

/* A long line is dropped whole on its first piece's verdict. */
static void
test_drop_line_long(void **state)
{
	char	in[400];

	(void)state;
	memset(in, 'x', sizeof in);
	memcpy(in, "AD", 2);
	in[300] = '\n';
	memcpy(in + 301, "ok\n", 3);
	helper_expect("[engine]\nmax_line = 64\n[filter:d]\ntype = drop-line\n"
	    "pattern = ^AD\n", in, 304, "ok\n", 3);
}

/* A patterns file: one pattern a line, comments skipped. */
static void
test_drop_line_patterns_file(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct buf		 out = { NULL, 0, 0 };
	char			*pf, *conf;

	(void)state;
	pf = helper_tmpfile("# ads\n^one\n\n^two\n", 18);
	conf = NULL;
	assert_true(asprintf(&conf, "[filter:d]\ntype = drop-line\n"
	    "patterns_file = %s\n", pf) > 0);
	cfg = helper_config(conf, &errs, NULL);
	assert_non_null(cfg);
	helper_run(cfg, "one\ntwo\nthree\n", 14, SIZE_MAX, &out);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.data, "three\n", 6);
	buf_free(&out);
	config_unref(cfg);
	unlink(pf);
	free(pf);
	free(conf);
}

#define BLOCK "[filter:b]\ntype = drop-block\nbegin = ^BEGIN\nend = ^END\n"

/* A block from begin through end is dropped. */
static void
test_drop_block(void **state)
{
	(void)state;
	EXPECT(BLOCK, "a\nBEGIN\nx\nEND\nb\n", "a\nb\n");
}

/* No end within max_lines: the held lines come out unchanged. */
static void
test_drop_block_limit(void **state)
{
	(void)state;
	EXPECT(BLOCK "max_lines = 3\n", "BEGIN\nx\ny\nz\nEND\n",
	    "BEGIN\nx\ny\nz\nEND\n");
}

/* No end by the end of the document: nothing is eaten. */
static void
test_drop_block_eof(void **state)
{
	(void)state;
	EXPECT(BLOCK, "a\nBEGIN\nx", "a\nBEGIN\nx");
}

/* A second begin inside a released block starts a new block. */
static void
test_drop_block_rescan(void **state)
{
	(void)state;
	EXPECT(BLOCK "max_lines = 4\n", "BEGIN\nx\nBEGIN\ny\nEND\nz\n",
	    "BEGIN\nx\nz\n");
}

#define BLANK "[filter:b]\ntype = blank\n"

/* Runs squeezed to their first line, kept byte for byte. */
static void
test_blank_squeeze(void **state)
{
	(void)state;
	EXPECT(BLANK "trim = no\n", "a\n \r\n\n\t\nb\n\n",
	    "a\n \r\nb\n\n");
}

/* Leading and trailing blank lines trimmed; U+3000 is white space. */
static void
test_blank_trim(void **state)
{
	(void)state;
	EXPECT(BLANK, "\n\xe3\x80\x80\na\n\n\nb\n  \n\n", "a\n\nb\n");
}

/* squeeze = no, trim = yes keeps inner runs whole. */
static void
test_blank_trim_only(void **state)
{
	(void)state;
	EXPECT(BLANK "squeeze = no\n", "\na\n\n\nb\n\n", "a\n\n\nb\n");
}

/* Lines emptied by a replace rule never reach the blank rule. */
static void
test_chain_order(void **state)
{
	(void)state;
	EXPECT(REPLACE_MARKERS BLANK, "a\n\n##paidend##\n\nb\n", "a\n\nb\n");
}

/* No final newline is added; no rules is a pass-through. */
static void
test_passthrough(void **state)
{
	(void)state;
	EXPECT("[engine]\nmax_line = 64\n", "x\r\ny", "x\r\ny");
}

/* line_is_blank knows ASCII and Unicode white space, not other bytes. */
static void
test_line_is_blank(void **state)
{
	(void)state;
	assert_true(line_is_blank("", 0));
	assert_true(line_is_blank(" \t\r\xe3\x80\x80\xc2\xa0", 8));
	assert_false(line_is_blank("\xe3\x80", 2));
	assert_false(line_is_blank(" a", 2));
	assert_false(line_is_blank("\0", 1));
}

/* line_may_be_blank says yes for every line line_is_blank calls blank. */
static void
test_line_may_be_blank(void **state)
{
	unsigned char	s[3];
	unsigned int	b0, b1, b2;
	size_t		len;

	(void)state;
	assert_true(line_may_be_blank("", 0));
	assert_false(line_may_be_blank("a ", 2));
	for (b0 = 0; b0 < 256; b0++)
		for (b1 = 0; b1 < 256; b1++)
			for (b2 = 0; b2 < 256; b2++) {
				s[0] = (unsigned char)b0;
				s[1] = (unsigned char)b1;
				s[2] = (unsigned char)b2;
				for (len = 1; len <= 3; len++)
					if (line_is_blank((char *)s, len))
						assert_true(line_may_be_blank(
						    (char *)s, len));
			}
}

/* Sizes: bytes, or K, M, G with an optional B or iB. */
static void
test_parse_size(void **state)
{
	uint64_t	v;

	(void)state;
	assert_int_equal(filter_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(filter_parse_size("16M", &v), 0);
	assert_int_equal(v, 16 << 20);
	assert_int_equal(filter_parse_size("16MiB", &v), 0);
	assert_int_equal(v, 16 << 20);
	assert_int_equal(filter_parse_size("2kb", &v), 0);
	assert_int_equal(v, 2048);
	assert_int_equal(filter_parse_size("1G", &v), 0);
	assert_int_equal(v, 1 << 30);
	assert_int_equal(filter_parse_size("12B", &v), -1);
	assert_int_equal(filter_parse_size("1T", &v), -1);
	assert_int_equal(filter_parse_size("-1", &v), -1);
	assert_int_equal(filter_parse_size("", &v), -1);
	assert_int_equal(filter_parse_size("99999999999999999999", &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_delete),
		cmocka_unit_test(test_replace_replacement),
		cmocka_unit_test(test_replace_keep_emptied),
		cmocka_unit_test(test_replace_caseless_alternatives),
		cmocka_unit_test(test_replace_empty_match),
		cmocka_unit_test(test_replace_crlf),
		cmocka_unit_test(test_replace_long_line),
		cmocka_unit_test(test_replace_lookbehind),
		cmocka_unit_test(test_binary_safe),
		cmocka_unit_test(test_replace_utf8),
		cmocka_unit_test(test_drop_line),
		cmocka_unit_test(test_drop_line_long),
		cmocka_unit_test(test_drop_line_patterns_file),
		cmocka_unit_test(test_drop_block),
		cmocka_unit_test(test_drop_block_limit),
		cmocka_unit_test(test_drop_block_eof),
		cmocka_unit_test(test_drop_block_rescan),
		cmocka_unit_test(test_blank_squeeze),
		cmocka_unit_test(test_blank_trim),
		cmocka_unit_test(test_blank_trim_only),
		cmocka_unit_test(test_chain_order),
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_line_is_blank),
		cmocka_unit_test(test_line_may_be_blank),
		cmocka_unit_test(test_parse_size),
	};

	return (cmocka_run_group_tests_name("filters", tests, NULL, NULL));
}
