/*
 * Unit tests for the line machine's bounds: the byte order mark, growth of
 * replacements, the JIT stack and match errors, engine_reset reusing state,
 * and drop-block's queue.
 */
#include <pthread.h>

#include "helpers.h"
#include "utf8.h"

#include "filter.h"
#include "scratch.h"
#include "xmalloc.h"

#define BOM		"\xef\xbb\xbf"
#define DEFAULTISH \
	"[filter:m]\ntype = replace\npattern = ##paid(?:begin|end)##\n" \
	"[filter:ad]\ntype = drop-line\npattern = ^[\\h\\v]*[【\\[]哒哒\n" \
	"[filter:w]\ntype = drop-line\npattern = ^哒哒君$\n" \
	"[filter:b]\ntype = blank\n"

/* What a sink saw: the bytes and the longest single write. */
struct sizesink {
	struct buf	out;
	size_t		longest;
	size_t		writes;
};

/* Sink recording every write's size. */
static void
sizesink_write(void *arg, const char *p, size_t len)
{
	struct sizesink	*ss = arg;

	buf_append(&ss->out, p, len);
	if (len > ss->longest)
		ss->longest = len;
	ss->writes++;
}

/* Load a configuration that must be valid. */
static struct config *
load(const char *text)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;

	if ((cfg = helper_config(text, &errs, NULL)) == NULL)
		fail_msg("config rejected: %s", errs.v[0]);
	return (cfg);
}

/* Run in through cfg in one feed; leave the engine to the caller. */
static struct engine *
run_one(const struct config *cfg, const char *in, size_t len,
    struct sizesink *ss)
{
	struct sink	 sink = { sizesink_write, ss };
	struct engine	*e;

	memset(ss, 0, sizeof *ss);
	e = engine_new(cfg, &sink, NULL);
	engine_feed(e, in, len);
	engine_finish(e);
	return (e);
}

/* A BOM is kept, and line 1 behind it is cleaned like any line. */
static void
test_bom_line_one(void **state)
{
	(void)state;
	EXPECT(DEFAULTISH, BOM "【哒哒素材库】ad\nText\n", BOM "Text\n");
	EXPECT(DEFAULTISH, BOM "哒哒君\r\nText", BOM "Text");
	EXPECT(DEFAULTISH, BOM "##paidend##\nA##paidbegin##B\n", BOM "AB\n");
	EXPECT(DEFAULTISH, BOM "a##paidend##\n", BOM "a\n");
	EXPECT("[filter:d]\ntype = drop-line\npattern = ^ad\n",
	    BOM "ad one\nkeep\n", BOM "keep\n");
}

/* A line holding only the mark is blank; a document of only a mark. */
static void
test_bom_blank(void **state)
{
	(void)state;
	EXPECT(DEFAULTISH, BOM "\n\nText", BOM "Text");
	EXPECT(DEFAULTISH, BOM "  \r\nText\n\n", BOM "Text\n");
	EXPECT(DEFAULTISH, BOM, BOM);
	EXPECT(DEFAULTISH, BOM "\n", BOM);
	EXPECT(DEFAULTISH, "", "");
}

/* Only a whole mark at the very start is one; its prefixes are text. */
static void
test_bom_not_a_mark(void **state)
{
	(void)state;
	EXPECT(DEFAULTISH, "\xef\xbb", "\xef\xbb");
	EXPECT(DEFAULTISH, "\xef\xbbX\n\n", "\xef\xbbX\n");
	EXPECT(DEFAULTISH, "\xef\n【哒哒】x\n", "\xef\n");
	EXPECT(DEFAULTISH, "a\n" BOM "【哒哒素材库】\n", "a\n" BOM "【哒哒素材库】\n");
	EXPECT(DEFAULTISH, BOM BOM "x\n", BOM BOM "x\n");
	EXPECT("[engine]\nmax_line = 64\n", BOM "x", BOM "x");
}

/* engine_reset starts a new document: the mark is looked for again. */
static void
test_bom_reset_and_counts(void **state)
{
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;

	(void)state;
	cfg = load(DEFAULTISH);
	e = run_one(cfg, BOM "\n哒哒君\n", 14, &ss);
	assert_int_equal(ss.out.len, 3);
	assert_int_equal(engine_bytes_in(e), 14);
	assert_int_equal(engine_bytes_out(e), 3);
	assert_int_equal(engine_stats(e, 0)->bytes_in, 11);
	engine_reset(e);
	buf_reset(&ss.out);
	engine_feed(e, "\xef", 1);
	engine_feed(e, "\xbb\xbf" "哒哒君\nz", 13);
	engine_finish(e);
	assert_int_equal(ss.out.len, 4);
	assert_memory_equal(ss.out.data, BOM "z", 4);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
}

#define GROW "[engine]\nmax_line = 64\n[filter:g]\ntype = replace\n"

/*
 * A literal replacement four times the match: the line grows past
 * max_line and goes on in pieces of at most max_line, whole.
 */
static void
test_replace_growth_in_pieces(void **state)
{
	char		 in[62], want[242];
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;

	(void)state;
	memset(in, 'x', 60);
	in[60] = '\n';
	memset(want, 'y', 240);
	want[240] = '\n';
	helper_expect(GROW "pattern = x\nreplacement = yyyy\n", in, 61, want,
	    241);
	cfg = load(GROW "pattern = x\nreplacement = yyyy\n");
	e = run_one(cfg, in, 61, &ss);
	assert_int_equal(ss.out.len, 241);
	assert_true(ss.longest <= 64);
	assert_int_equal(engine_stats(e, 0)->matches, 60);
	assert_int_equal(engine_stats(e, 0)->bytes_in, 61);
	assert_int_equal(engine_stats(e, 0)->bytes_out, 241);
	assert_int_equal(engine_stats(e, 0)->bytes_added, 240);
	assert_int_equal(rule_stats_removed(engine_stats(e, 0)), 60);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
}

/* The rules after a growing replace see pieces, as of a long line. */
static void
test_replace_growth_downstream(void **state)
{
	char	in[40], want[200];

	(void)state;
	memset(in, 'x', 30);
	in[30] = '\n';
	memcpy(in + 31, "x\n", 2);
	memset(want, 'y', 120);
	want[120] = '\n';
	/* Dropped whole on its first piece's verdict, like any long line. */
	helper_expect(GROW "pattern = x\nreplacement = yyyy\n"
	    "[filter:d]\ntype = drop-line\npattern = ^y{64}\n", in, 33,
	    "yyyy\n", 5);
	/* A replace after it finds its matches across the pieces. */
	memset(want, 'z', 120);
	want[120] = '\n';
	memcpy(want + 121, "zzzz\n", 5);
	helper_expect(GROW "pattern = x\nreplacement = yyyy\n"
	    "[filter:h]\ntype = replace\npattern = y\nreplacement = z\n", in,
	    33, want, 126);
}

/*
 * An expanded replacement longer than max_line is not made: the match is
 * kept and counted in match_errors; a shorter one is made.
 */
static void
test_replace_expansion_cap(void **state)
{
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;
	char		 in[41];

	(void)state;
	memset(in, 'a', 40);
	in[40] = '\n';
	cfg = load(GROW "pattern = ^(.*)$\nreplacement = $1$1\n");
	e = run_one(cfg, in, 41, &ss);
	assert_int_equal(ss.out.len, 41);
	assert_memory_equal(ss.out.data, in, 41);
	assert_int_equal(engine_stats(e, 0)->match_errors, 1);
	assert_int_equal(engine_stats(e, 0)->matches, 0);
	assert_int_equal(engine_stats(e, 0)->bytes_added, 0);
	engine_reset(e);
	buf_reset(&ss.out);
	engine_feed(e, in + 10, 31);
	engine_finish(e);
	assert_int_equal(ss.out.len, 61);
	assert_int_equal(engine_stats(e, 0)->match_errors, 0);
	assert_int_equal(engine_stats(e, 0)->bytes_added, 60);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
}

/*
 * The growth that made a 4 KB line 90 MB: each of 4096 empty matches
 * puts back the rest of the line.  Memory and every write stay within
 * max_line; the byte counts add up exactly.
 */
static void
test_replace_explosion_bounded(void **state)
{
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;
	char		*in;
	uint64_t	 want = 0;
	size_t		 i, n = 1024;

	(void)state;
	in = malloc(n + 1);
	memset(in, 'x', n);
	in[n] = '\n';
	for (i = 0; i <= n; i++)
		want += 3 * (n - i);
	cfg = load("[engine]\nmax_line = 4K\n[filter:g]\ntype = replace\n"
	    "pattern = (?=(.*))\nreplacement = $1$1$1\n");
	e = run_one(cfg, in, n + 1, &ss);
	assert_int_equal(ss.out.len, want + n + 1);
	assert_true(ss.longest <= 4096);
	assert_int_equal(engine_stats(e, 0)->bytes_added, want);
	assert_int_equal(engine_stats(e, 0)->bytes_out, want + n + 1);
	assert_int_equal(rule_stats_removed(engine_stats(e, 0)), 0);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
	free(in);
}

/* A repeated group over a 6 KB line: the JIT and interpreter agree. */
static void
test_jit_stack(void **state)
{
	static const char	*jit[] = { "yes", "no" };
	struct config		*cfg;
	struct sizesink		 ss;
	struct engine		*e;
	char			*in, conf[200];
	size_t			 i, n = 6000;

	(void)state;
	in = malloc(n + 4);
	in[0] = 'k';
	for (i = 1; i <= n; i++)
		in[i] = (i % 2) ? 'a' : 'b';
	memcpy(in + n + 1, "Xk\n", 3);
	for (i = 0; i < 2; i++) {
		snprintf(conf, sizeof conf, "[engine]\njit = %s\n[filter:r]\n"
		    "type = replace\npattern = (?:ab|cd)+X\n", jit[i]);
		cfg = load(conf);
		e = run_one(cfg, in, n + 4, &ss);
		if (ss.out.len != 3 || memcmp(ss.out.data, "kk\n", 3) != 0)
			fail_msg("jit = %s: %zu bytes kept", jit[i],
			    ss.out.len);
		assert_int_equal(engine_stats(e, 0)->match_errors, 0);
		engine_free(e);
		buf_free(&ss.out);
		config_unref(cfg);
	}
	free(in);
}

/* A match stopped by the match limit is counted for its rule. */
static void
test_match_errors_counted(void **state)
{
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;
	char		 in[3 * 42];
	size_t		 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(in + i * 42, 'a', 40);
		memcpy(in + i * 42 + 40, "b\n", 2);
	}
	cfg = load("[filter:ok]\ntype = drop-line\npattern = zzz\n"
	    "[filter:bad]\ntype = drop-line\npattern = ^(a+)+$\n");
	e = run_one(cfg, in, sizeof in, &ss);
	assert_int_equal(ss.out.len, sizeof in);
	assert_int_equal(engine_stats(e, 0)->match_errors, 0);
	assert_int_equal(engine_stats(e, 1)->match_errors, 3);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
}

/* Calls of a counting filter type's state hooks. */
static int	count_new, count_free, count_reset;

/* Counting type: new state. */
static void *
count_state_new(const struct rule *r, size_t max_line)
{
	(void)r;
	(void)max_line;
	count_new++;
	return (xcalloc(1, 1));
}

/* Counting type: reset. */
static void
count_state_reset(void *arg)
{
	(void)arg;
	count_reset++;
}

/* Counting type: free. */
static void
count_state_free(void *arg)
{
	count_free++;
	free(arg);
}

/* Counting type: pass every line. */
static void
count_line(struct stage *st, const struct line *l)
{
	stage_next(st, l);
}

/* engine_reset keeps each rule's state: no state is made or freed. */
static void
test_reset_reuses_state(void **state)
{
	static const struct filter_type	 counting = {
		.name = "counting",
		.state_new = count_state_new,
		.state_reset = count_state_reset,
		.state_free = count_state_free,
		.line = count_line,
	};
	struct config			 cfg;
	struct rule			 rules[1000];
	struct sizesink			 ss;
	struct sink			 sink = { sizesink_write, &ss };
	struct engine			*e;
	int				 i;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	memset(rules, 0, sizeof rules);
	memset(&ss, 0, sizeof ss);
	for (i = 0; i < 1000; i++)
		rules[i].type = &counting;
	cfg.rules = rules;
	cfg.nrules = 1000;
	cfg.max_line = 1024;
	e = engine_new(&cfg, &sink, NULL);
	for (i = 0; i < 10; i++) {
		engine_feed(e, "a\n", 2);
		engine_finish(e);
		engine_reset(e);
	}
	engine_free(e);
	assert_int_equal(ss.out.len, 20);
	assert_int_equal(count_new, 1000);
	assert_int_equal(count_reset, 10000);
	assert_int_equal(count_free, 1000);
	buf_free(&ss.out);
}

/* Every rule type's reset forgets the last document's held lines. */
static void
test_reset_forgets_document(void **state)
{
	static const char	*longl = "0123456789012345678901234567890123456"
	    "7890123456789012345678901234567890##paid";
	struct config		*cfg;
	struct sizesink		 ss;
	struct engine		*e;

	(void)state;
	cfg = load("[engine]\nmax_line = 64\n"
	    "[filter:r]\ntype = replace\npattern = ##paidend##\n"
	    "[filter:k]\ntype = drop-block\nbegin = ^B\nend = ^E\n"
	    "[filter:d]\ntype = drop-line\npattern = ^D\n"
	    "[filter:b]\ntype = blank\n");
	e = run_one(cfg, "x\n\nB\n", 5, &ss);
	engine_reset(e);
	buf_reset(&ss.out);
	/* Mid-line, mid-block, inside a dropped long line: then reset. */
	engine_feed(e, "\nB\nD", 4);
	engine_feed(e, longl, strlen(longl));
	engine_reset(e);
	buf_reset(&ss.out);
	engine_feed(e, "end##\nE\nq\n", 10);
	engine_finish(e);
	assert_int_equal(ss.out.len, 10);
	assert_memory_equal(ss.out.data, "end##\nE\nq\n", 10);
	engine_free(e);
	buf_free(&ss.out);
	config_unref(cfg);
}

/* Blocks released line by line from a long queue keep their order. */
static void
test_drop_block_queue(void **state)
{
	struct config	*cfg;
	struct sizesink	 ss;
	struct engine	*e;
	struct buf	 in = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	char		 line[32];
	int		 i, n;

	(void)state;
	for (i = 0; i < 5000; i++) {
		n = snprintf(line, sizeof line, "%s%d\n", i % 3 ? "x" : "B", i);
		buf_append(&in, line, (size_t)n);
		if (i < 4989)
			buf_append(&want, line, (size_t)n);
	}
	buf_append(&in, "E\n", 2);
	cfg = load("[filter:k]\ntype = drop-block\nbegin = ^B\nend = ^E\n"
	    "max_lines = 12\n");
	e = run_one(cfg, in.data, in.len, &ss);
	/* The last block, B4989 to 4999 and E, is 12 lines: dropped. */
	assert_int_equal(ss.out.len, want.len);
	assert_memory_equal(ss.out.data, want.data, want.len);
	engine_free(e);
	buf_free(&ss.out);
	buf_free(&in);
	buf_free(&want);
	config_unref(cfg);
}

/* A thread warning about one rule many times. */
static void *
warn_thread(void *arg)
{
	int	i;

	for (i = 0; i < 1000; i++)
		rule_warn(arg, "test warning %d", i);
	return (NULL);
}

/*
 * Four threads warn about one rule 4000 times: one line is logged, the
 * other 3999 are counted for the next; another rule has its own line.
 */
static void
test_rule_warn_rate_limited(void **state)
{
	struct rule_warn	 w1 = { 0, 0 }, w2 = { 0, 0 };
	struct rule		 r1, r2;
	pthread_t		 t[4];
	char			 path[] = "/tmp/scrubd-test-log-XXXXXX", text[512];
	FILE			*f;
	int			 fd, saved, i, lines = 0;

	(void)state;
	memset(&r1, 0, sizeof r1);
	memset(&r2, 0, sizeof r2);
	r1.name = "one";
	r1.warn = &w1;
	r2.name = "two";
	r2.warn = &w2;
	assert_true((fd = mkstemp(path)) >= 0);
	saved = dup(2);
	dup2(fd, 2);
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, warn_thread, &r1),
		    0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	rule_warn(&r2, "other rule");
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fdopen(fd, "r"));
	rewind(f);
	while (fgets(text, sizeof text, f) != NULL) {
		lines++;
		assert_non_null(strstr(text, lines == 1 ? "warning: rule one: "
		    "test warning " : "warning: rule two: other rule"));
	}
	fclose(f);
	unlink(path);
	assert_int_equal(lines, 2);
	assert_int_equal(w1.quiet, 3999);
	assert_int_equal(w2.quiet, 0);
}

/* line_cut never splits a UTF-8 character; utf8_valid is RFC 3629. */
static void
test_cut_and_utf8(void **state)
{
	(void)state;
	assert_int_equal(line_cut("abcdef", 4), 4);
	assert_int_equal(line_cut("ab\xe5\x93\x92z", 3), 2);
	assert_int_equal(line_cut("ab\xe5\x93\x92z", 4), 2);
	assert_int_equal(line_cut("ab\xe5\x93\x92z", 5), 5);
	assert_int_equal(line_cut("\x80\x80\x80\x80\x80", 4), 4);
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("a哒\xf0\x9f\x98\x80", 8));
	assert_false(utf8_valid("\xff", 1));
	assert_false(utf8_valid("\xe5\x93", 2));
	assert_false(utf8_valid("\xc0\xaf", 2));
	assert_false(utf8_valid("\xed\xa0\x80", 3));
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));
}

/* Run in through cfg in feeds of chunk bytes; returns the output. */
static void
run_chunked(const struct config *cfg, const char *in, size_t len,
    size_t chunk, struct sizesink *ss)
{
	struct sink	 sink = { sizesink_write, ss };
	struct engine	*e;
	size_t		 off, n;

	memset(ss, 0, sizeof *ss);
	e = engine_new(cfg, &sink, NULL);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		engine_feed(e, in + off, n);
	}
	engine_finish(e);
	engine_free(e);
}

/*
 * A feed of several MiB is taken in slices of about 1 MiB (engine.c):
 * lines across a slice's end, a 1.5 MiB line with no newline in a whole
 * slice, blank lines and ads on either side give what small feeds give.
 */
static void
test_big_feed_slices(void **state)
{
	static const char	*pieces[] = { "plain text line\n", "\n", "   \n",
	    "【哒哒素材库】ad\n", "a##paidend##b\n", "哒哒君\n", "\r\n",
	    "x" };
	const char		*conf[] = { DEFAULTISH, "[engine]\nmax_line = 4M\n"
	    DEFAULTISH };
	struct config		*cfg;
	struct sizesink		 one, small, odd;
	struct buf		 in = { 0 };
	uint64_t		 r = 7;
	size_t			 i, c, big = 1536 * 1024;

	(void)state;
	while (in.len < 5 * 1024 * 1024) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		if (in.len > 2 * 1024 * 1024 && in.len < 3 * 1024 * 1024 &&
		    big != 0) {
			for (; big > 0; big--)
				buf_append(&in, "y", 1);
			continue;
		}
		i = (size_t)(r >> 33) % (sizeof pieces / sizeof pieces[0]);
		buf_append(&in, pieces[i], strlen(pieces[i]));
	}
	for (c = 0; c < 2; c++) {
		cfg = load(conf[c]);
		run_chunked(cfg, in.data, in.len, in.len, &one);
		run_chunked(cfg, in.data, in.len, 4099, &small);
		run_chunked(cfg, in.data, in.len, 1024 * 1024 + 1, &odd);
		assert_int_equal(one.out.len, small.out.len);
		assert_memory_equal(one.out.data, small.out.data, one.out.len);
		assert_int_equal(odd.out.len, small.out.len);
		assert_memory_equal(odd.out.data, small.out.data, odd.out.len);
		assert_true(one.out.len < in.len);
		buf_free(&one.out);
		buf_free(&small.out);
		buf_free(&odd.out);
		config_unref(cfg);
	}
	buf_free(&in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bom_line_one),
		cmocka_unit_test(test_bom_blank),
		cmocka_unit_test(test_bom_not_a_mark),
		cmocka_unit_test(test_bom_reset_and_counts),
		cmocka_unit_test(test_replace_growth_in_pieces),
		cmocka_unit_test(test_replace_growth_downstream),
		cmocka_unit_test(test_replace_expansion_cap),
		cmocka_unit_test(test_replace_explosion_bounded),
		cmocka_unit_test(test_jit_stack),
		cmocka_unit_test(test_match_errors_counted),
		cmocka_unit_test(test_reset_reuses_state),
		cmocka_unit_test(test_reset_forgets_document),
		cmocka_unit_test(test_drop_block_queue),
		cmocka_unit_test(test_rule_warn_rate_limited),
		cmocka_unit_test(test_cut_and_utf8),
		cmocka_unit_test(test_big_feed_slices),
	};

	return (cmocka_run_group_tests_name("engine", tests, NULL, NULL));
}
