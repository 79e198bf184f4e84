/*
 * Unit tests for the whole-buffer prefilter: the required literals read
 * from patterns, the verdicts a chunk scan gives each line, and the
 * engine's output with the prefilter against the output without it on
 * the tricky cases (lines split across chunks, long-line pieces, caseless
 * rules, anchors, lookbehind, phrase lists).  Without Vectorscan the
 * verdict tests are skipped; the others compare two equal engines.
 */
#include "helpers.h"

#include "litscan.h"
#include "nlmap.h"
#include "pattern.h"
#include "prefilter.h"
#include "required.h"
#include "scratch.h"

/* The required literals of p as "a|b" ("-" for none; "i" marks caseless). */
static const char *
literals_of(const char *p, int caseless)
{
	static char	out[512];
	struct reqset	rs;
	size_t		i, off = 0;

	if (required_literals(p, strlen(p), caseless, &rs, NULL, NULL) != 0)
		return ("-");
	out[0] = '\0';
	for (i = 0; i < rs.n; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, "%s%.*s%s",
		    i ? "|" : "", (int)rs.v[i].len, rs.v[i].s,
		    rs.v[i].caseless ? "/i" : "");
	required_free(&rs);
	return (out);
}

/* Required literals of the default rules and of PCRE2's trickier parts. */
static void
test_required(void **state)
{
	(void)state;
	assert_string_equal(literals_of("##paid(?:begin|end)##", 0),
	    "##paidbegin##|##paidend##");
	assert_string_equal(literals_of("^[\\h\\v]*[【\\[][\\h\\v]*哒哒", 0),
	    "哒哒");
	assert_string_equal(literals_of("ab?c", 0), "abc|ac");
	assert_string_equal(literals_of("a|bc", 0), "a|bc");
	assert_string_equal(literals_of("(ab|cd)(ef|gh)", 0),
	    "abef|abgh|cdef|cdgh");
	assert_string_equal(literals_of("[a-c]d", 0), "ad|bd|cd");
	assert_string_equal(literals_of("(?<=ab)cd", 0), "cd");
	assert_string_equal(literals_of("(?=x)ab$", 0), "ab");
	assert_string_equal(literals_of("\\Qa.b\\E", 0), "a.b");
	assert_string_equal(literals_of("\\x{41}bc", 0), "Abc");
	assert_string_equal(literals_of("x{2}yz", 0), "xxyz");
	/* Caseless: k and s also match U+212A and U+017F: never kept. */
	assert_string_equal(literals_of("abc", 1), "abc/i");
	assert_string_equal(literals_of("kiss", 1), "i/i");
	assert_string_equal(literals_of("(?i)abc", 0), "abc/i");
	assert_string_equal(literals_of("é", 1), "-");
	assert_string_equal(literals_of("哒哒", 1), "哒哒/i");
	/* Beyond the reading: no set, the rule runs on every line. */
	assert_string_equal(literals_of("x*", 0), "-");
	assert_string_equal(literals_of("a{", 0), "-");
	assert_string_equal(literals_of("x{,2}y", 0), "-");
	assert_string_equal(literals_of("(?x)a b", 0), "-");
	assert_string_equal(literals_of("(*UTF)ab", 0), "-");
	assert_string_equal(literals_of("\\Qab\\E?", 0), "-");
	assert_string_equal(literals_of("(a)\\1", 0), "-");
	assert_string_equal(literals_of("a\\nb|c", 0), "a|c");
	assert_string_equal(literals_of("\\x{0}ab", 0), "ab");
	/* Escapes with arguments are read whole, or the pattern given up. */
	assert_string_equal(literals_of("x\\pLyz", 0), "yz");
	assert_string_equal(literals_of("x\\p{Han}yz", 0), "yz");
	assert_string_equal(literals_of("x\\g{1}yz", 0), "yz");
	assert_string_equal(literals_of("\\N{U+41}bc", 0), "bc");
	assert_string_equal(literals_of("a\\012b", 0), "-");
	assert_string_equal(literals_of("a\\1bc", 0), "-");
	assert_string_equal(literals_of("x\\g1yz", 0), "-");
	assert_string_equal(literals_of("x\\k<n>yz", 0), "-");
	assert_string_equal(literals_of("x\\o{101}yz", 0), "-");
	assert_string_equal(literals_of("(?(1)a|b)c", 0), "-");
	assert_string_equal(literals_of("(?R)ab", 0), "-");
}

/* The paywall markers' rule (its literals litscan.c takes). */
#define MARKER	"[filter:marker]\ntype = replace\n" \
	"pattern = ##paid(?:begin|end)##\n"

#define DECIDE	MARKER \
	"[filter:kiss]\ntype = drop-line\ncaseless = yes\npattern = kiss\n" \
	"[filter:anchored]\ntype = drop-line\npattern = ^x[ab]y$\n" \
	"[filter:behind]\ntype = drop-line\npattern = (?<=#)tag\n" \
	"[filter:any]\ntype = drop-line\npattern = \\d+\n"

/* The verdicts (one letter per slot, y or n) for each line of a chunk. */
static void
decide(const struct config *cfg, const char *chunk, char out[][8], size_t n)
{
	struct scratch	*sc = scratch_new();
	struct pfscan	*ps = pfscan_new(cfg->pf);
	struct nlmap	 map = { 0 };
	const char	*p = chunk, *nl;
	size_t		 i, k, nslots = prefilter_nslots(cfg->pf);
	uint64_t	 s;

	nlmap_build(&map, chunk, strlen(chunk));
	pfscan_chunk(ps, sc, &map, chunk, strlen(chunk));
	for (i = 0; i < n && (nl = strchr(p, '\n')) != NULL; i++) {
		s = pfscan_line(ps, p, (size_t)(nl - p));
		for (k = 0; k < nslots && k < 7; k++)
			out[i][k] = s == 0 ? '?' : pfscan_may(ps, (int)k, s) ?
			    'y' : 'n';
		out[i][k] = '\0';
		p = nl + 1;
	}
	nlmap_free(&map);
	pfscan_free(ps);
	scratch_free(sc);
}

/*
 * The DECIDE rules, with their prefilter; skip where there is none:
 * without Vectorscan, whose literals ("i", "tag") the scan of a few
 * literals does not take.
 */
static struct config *
decide_config(struct config_errors *errs)
{
	struct config	*cfg;

	cfg = helper_config(DECIDE, errs, NULL);
	assert_non_null(cfg);
#ifndef SCRUBD_VECTORSCAN
	if (cfg->pf == NULL) {
		config_unref(cfg);
		skip();
	}
#endif
	assert_non_null(cfg->pf);
	return (cfg);
}

/* Which lines may match which rule: never "no" for a line that matches. */
static void
test_verdicts(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	char			 v[8][8];

	(void)state;
	cfg = decide_config(&errs);
	assert_int_equal(prefilter_nslots(cfg->pf), 4);	/* \d+: none */
	decide(cfg, "hello\na##paidend##b\n\xe2\x84\xaaISS\nxay\n#tag\n"
	    "tag\n##PAIDend##\n", v, 7);
	assert_string_equal(v[0], "nnnn");
	assert_string_equal(v[1], "yynn");	/* the i of paid */
	assert_string_equal(v[2], "nynn");	/* U+212A: the literal is "i" */
	assert_string_equal(v[3], "nnyn");
	assert_string_equal(v[4], "nnny");
	assert_string_equal(v[5], "nnny");	/* "maybe": PCRE2 says no */
	assert_string_equal(v[6], "nynn");	/* marker: case-sensitive */
	config_unref(cfg);
}

/*
 * The verdicts where the scan of a few literals finds them (the default
 * rules' kind: long literals, CJK too), in every build on a CPU with it,
 * with Vectorscan or without.
 */
static void
test_verdicts_litscan(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	char			 v[8][8];

	(void)state;
	if (!litscan_available())
		skip();
	cfg = helper_config(MARKER "[filter:brand]\ntype = drop-line\n"
	    "caseless = yes\npattern = 哒哒君Ab\n", &errs, NULL);
	assert_non_null(cfg);
	assert_non_null(cfg->pf);
	assert_int_equal(prefilter_nslots(cfg->pf), 2);
	decide(cfg, "hello\na##paidend##b\nx哒哒君aBy\n##PAIDend##\n哒哒君A\n"
	    "哒哒君ab##paidbegin##\n", v, 6);
	assert_string_equal(v[0], "nn");
	assert_string_equal(v[1], "yn");
	assert_string_equal(v[2], "ny");	/* caseless */
	assert_string_equal(v[3], "nn");	/* the marker is not */
	assert_string_equal(v[4], "nn");
	assert_string_equal(v[5], "yy");
	config_unref(cfg);
}

/* Lines the scan did not see whole (split, past its end) get no verdict. */
static void
test_unseen(void **state)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct scratch		*sc;
	struct pfscan		*ps;
	struct nlmap		 map = { 0 };
	static const char	 buf[] = "##paidend##\nplain\n##paid";

	(void)state;
	if (!prefilter_available())
		skip();
	cfg = helper_config(MARKER, &errs, NULL);
	assert_non_null(cfg);
	assert_non_null(cfg->pf);
	sc = scratch_new();
	ps = pfscan_new(cfg->pf);
	nlmap_build(&map, buf, sizeof buf - 1);
	pfscan_chunk(ps, sc, &map, buf + 12, 6);	/* "plain\n" only */
	assert_int_equal(pfscan_line(ps, buf, 11), 0);
	assert_true(pfscan_line(ps, buf + 12, 5) != 0);
	assert_int_equal(pfscan_line(ps, buf + 18, 6), 0);
	nlmap_free(&map);
	pfscan_free(ps);
	scratch_free(sc);
	config_unref(cfg);
}

/* Is a the same bytes as b?  Fail if not. */
static void
agree_same(const char *what, size_t chunk, const struct buf *a,
    const struct buf *b)
{
	if (a->len != b->len || (a->len != 0 &&
	    memcmp(a->data, b->data, a->len) != 0))
		fail_msg("%s, chunk %zu: [%.*s] without: [%.*s]", what, chunk,
		    (int)a->len, a->data, (int)b->len, b->data);
}

/*
 * Clean without the prefilter, and in chunks with it, its few literals
 * found by litscan.c (where this CPU can) and found by Vectorscan: the
 * same bytes.
 */
static void
agree(const char *conf, const char *in, size_t len)
{
	static const size_t	 chunks[] = { SIZE_MAX, 1, 2, 3, 5, 7, 64 };
	struct config_errors	 errs = { NULL, 0 };
	struct config		*with, *without, *vs;
	struct buf		 a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	size_t			 i;
	int			 was;

	prefilter_set_enabled(0);
	without = helper_config(conf, &errs, NULL);
	prefilter_set_enabled(1);
	with = helper_config(conf, &errs, NULL);
	was = litscan_set_simd(0);
	vs = helper_config(conf, &errs, NULL);
	litscan_set_simd(was);
	if (with == NULL || without == NULL || vs == NULL)
		fail_msg("config rejected: %s", errs.v[0]);
	helper_run(without, in, len, SIZE_MAX, &b);
	for (i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		helper_run(with, in, len, chunks[i], &a);
		agree_same("prefilter", chunks[i], &a, &b);
		helper_run(vs, in, len, chunks[i], &a);
		agree_same("Vectorscan's scan", chunks[i], &a, &b);
	}
	buf_free(&a);
	buf_free(&b);
	config_unref(with);
	config_unref(without);
	config_unref(vs);
}

#define AGREE(conf, in)	agree((conf), (in), sizeof (in) - 1)

/* Split lines, pieces, caseless, anchors and lookbehind: no difference. */
static void
test_agree(void **state)
{
	static const char	doc[] = "a##paidend##b\n\xe2\x84\xaaiss\nxby\r\n"
	    "x#tag\n\0##paidbegin##\xff\n##pa\n\n\nid##\n哒哒君##paidend##\n";

	(void)state;
	AGREE(DECIDE, doc);
	AGREE("[engine]\nmax_line = 64\n" DECIDE,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "##paidbegin##aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "kiss\nxay\n");
	AGREE("[filter:b]\ntype = drop-block\nbegin = ^BEGIN\nend = ^END$\n"
	    "[filter:blank]\ntype = blank\n",
	    "\n\nBEGIN\nx\n\nEND\ny\nBEGIN\nEND \nBEGIN\nEND\n\n");
	/* With no blank rule, blank lines are quiet lines too. */
	AGREE("[filter:r]\ntype = replace\npattern = x\nreplacement =\n"
	    "drop_emptied = yes\n[filter:b]\ntype = drop-block\n"
	    "begin = ^BEGIN\nend = ^END$\n",
	    "\n\n \t\r\n\xe3\x80\x80\nx\n x \n\nBEGIN\n\nEND\n\n\xc2\xa0\n"
	    "y\n\r\n");
	/* A quiet line after blank lines a rule holds settles that rule. */
	AGREE("[filter:m]\ntype = replace\npattern = ##paid(?:begin|end)##\n"
	    "[filter:b]\ntype = blank\n[filter:b2]\ntype = blank\n"
	    "squeeze = no\n",
	    "\n\nq\n\n\n r\n\xe3\x80\x80\nplain\n##paidend##\n\nlast\n \n");
	AGREE("[filter:b]\ntype = blank\ntrim = no\n[filter:d]\n"
	    "type = drop-block\nbegin = ^BEGIN\nend = ^END$\n",
	    "x\n\n\nBEGIN\n\ny\nEND\n\nz\n\n");
	AGREE("[filter:b]\ntype = blank\nsqueeze = no\n[filter:w]\n"
	    "type = drop-line\npattern = ^w$\n[filter:b3]\ntype = blank\n",
	    "\n\na\n\n\nw\n\nb\n\t\nw\nc\n\n");
}

/*
 * More literals than the database's first room (64) and phrases after
 * them: the arrays grow, and nothing changes.
 */
static void
test_many_literals(void **state)
{
	char	conf[16384], doc[4096];
	size_t	n, d, i;

	(void)state;
	n = (size_t)snprintf(conf, sizeof conf,
	    "[filter:many]\ntype = drop-line\n");
	d = 0;
	for (i = 0; i < 300; i++) {
		n += (size_t)snprintf(conf + n, sizeof conf - n,
		    "pattern = w%03zuq[0-9]\n", i);
		if (i % 7 == 0)
			d += (size_t)snprintf(doc + d, sizeof doc - d,
			    "keep w%03zuq x\ndrop w%03zuq%zu\n", i, i, i % 10);
	}
	assert_true(n < sizeof conf && d < sizeof doc);
	agree(conf, doc, d);
}

/* Phrase lists: leftmost, then first listed, as PCRE2's alternation. */
static void
test_phrases(void **state)
{
	char	*pf, *pb, *pe, *conf = NULL;

	(void)state;
	pf = helper_tmpfile("ab\nabc\nbc\n哒哒\nK\n", 19);
	assert_true(asprintf(&conf, "[engine]\nmax_line = 64\n"
	    "[filter:p]\ntype = replace\nreplacement = <>\n"
	    "phrases_file = %s\n[filter:q]\ntype = drop-line\n"
	    "caseless = yes\nphrases_file = %s\n", pf, pf) > 0);
	AGREE(conf, "xabcx\nbc\n哒哒哒\nk\n\xe2\x84\xaa\nzzz\n");
	AGREE(conf, "0123456789012345678901234567890123456789012345678901"
	    "234567890ab\n01234567890123456789012345678901234567890123456789"
	    "0123456789012\xe5\x93\x92\xe5\x93\x92\n");
	unlink(pf);
	free(pf);
	free(conf);
	conf = NULL;
	/* Phrases of 12 bytes or more go to the sampler, beside short ones. */
	pf = helper_tmpfile("abcdefghijkl\nabcdefghijklmn\nabcdef\n"
	    "哒哒哒哒君\nxyzxyzxyzxyzxyz\nxyz\n", 71);
	assert_true(asprintf(&conf, "[engine]\nmax_line = 64\n"
	    "[filter:p]\ntype = replace\nreplacement = <>\n"
	    "phrases_file = %s\n[filter:q]\ntype = drop-line\n"
	    "caseless = yes\nphrases_file = %s\n", pf, pf) > 0);
	AGREE(conf, "0abcdefghijklmnx\nABCDEFGHIJKLmn\nabcdefghijk\n"
	    "哒哒哒哒哒君\nxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz\n"
	    "..................................abcdefghijklmn\nXYZXYZXYZXYZ"
	    "XYZ\n012345678901234567890123456789012345678901234567890123456789"
	    "abcdefghijklmn\n0123456789012345678901234567890123456789012345"
	    "67890123456abcdefghijk");
	unlink(pf);
	free(pf);
	free(conf);
	conf = NULL;
	/*
	 * A piece that ends inside a character (here a lone lead byte at the
	 * cut) is no partial match of a phrase that continues it, as with
	 * PCRE2's JIT: the line stays in pieces, and drop-block passes it.
	 */
	pf = helper_tmpfile("b\n\xc3\xa9\n", 5);
	pb = helper_tmpfile("k\n", 2);
	pe = helper_tmpfile("A\n", 2);
	assert_true(asprintf(&conf, "[engine]\nmax_line = 64\n"
	    "[filter:p]\ntype = replace\nphrases_file = %s\n"
	    "[filter:q]\ntype = drop-block\nbegin_phrases_file = %s\n"
	    "end_phrases_file = %s\n", pf, pb, pe) > 0);
	AGREE(conf, "k\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbb\xc3" "bbbbbbbbbA\n");
	unlink(pf);
	unlink(pb);
	unlink(pe);
	free(pf);
	free(pb);
	free(pe);
	free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_verdicts_litscan),
		cmocka_unit_test(test_unseen),
		cmocka_unit_test(test_agree),
		cmocka_unit_test(test_many_literals),
		cmocka_unit_test(test_phrases),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
