/*
 * Unit tests for the SIMD scan of a few literals (litscan.c): random sets
 * of 1 to LITSCAN_MAX_LITS literals of 3 to 12 bytes on up to
 * LITSCAN_BUCKETS probes, over a small alphabet (so that they overlap,
 * share probes and nearly match everywhere), caseless and not, with NUL
 * and invalid bytes, against random texts at every length and offset: a
 * scan reports exactly what a naive search of every position finds, in
 * order of the ends, with AVX2's blocks and with AVX-512's where the CPU
 * has them.  And: literals at the very start and
 * end of texts of every length around the block sizes; a callback stops
 * the scan; no scan for sets it would not find exactly.
 */
#include "helpers.h"

#include "fold.h"
#include "litscan.h"

#define T_LIT_MAX	12
#define T_TEXT_MAX	700

static const char t_alphabet[] = {
	'a', 'b', 'A', 'B', '#', '\n', '\0', '\xff', '\xe5', '\x93', 'z', '@'
};

/* Fill n bytes from the alphabet, mostly its first four bytes. */
static void
t_fill(uint64_t *s, char *p, size_t n)
{
	size_t	i;
	uint32_t r;

	for (i = 0; i < n; i++) {
		r = helper_rand(s) % 24;
		p[i] = r < 16 ? t_alphabet[r % 4] : t_alphabet[r % 12];
	}
}

/*
 * Check one scan of text against the naive search of the literals; the
 * scan reads a copy in a heap block of exactly len bytes, so that the
 * sanitizers see any read past the end.
 */
static void
t_check(const struct litscan *ls, const struct litscan_lit *lits,
    size_t n, const char *text, size_t len)
{
	static struct helper_found f;
	size_t		end, k, want = 0;
	char		*copy = malloc(len != 0 ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(&f, 0, sizeof f);
	assert_int_equal(litscan_scan(ls, copy, len, helper_found_add, &f), 0);
	free(copy);
	for (k = 1; k < f.n; k++)
		assert_true(f.end[k - 1] <= f.end[k]);
	for (end = 1; end <= len; end++)
		for (k = 0; k < n; k++) {
			if (lits[k].len > end || fold_cmp(text + end -
			    lits[k].len, lits[k].s, lits[k].len,
			    lits[k].caseless) != 0)
				continue;
			want++;
			assert_true(helper_found_has(&f, lits[k].id, end));
		}
	assert_int_equal(f.n, want);
}

/*
 * A random set of n literals (3 to T_LIT_MAX bytes) ending in one of up
 * to LITSCAN_BUCKETS random tails of 4 bytes (the last 3 of one for a
 * literal of 3), caseless by tail: at most LITSCAN_BUCKETS probes.
 */
static void
t_set(uint64_t *seed, struct litscan_lit *lits, size_t n,
    char bytes[][T_LIT_MAX])
{
	char	tails[LITSCAN_BUCKETS][4];
	int	ci[LITSCAN_BUCKETS];
	size_t	ntails = 1 + helper_rand(seed) % LITSCAN_BUCKETS, k, t, len;

	for (t = 0; t < ntails; t++) {
		t_fill(seed, tails[t], 4);
		ci[t] = helper_rand(seed) % 3 == 0;
	}
	for (k = 0; k < n; k++) {
		t = helper_rand(seed) % ntails;
		len = 3 + helper_rand(seed) % (T_LIT_MAX - 2);
		if (len > 4)
			t_fill(seed, bytes[k], len - 4);
		memcpy(bytes[k] + (len > 4 ? len - 4 : 0), tails[t] + (len ==
		    3), len < 4 ? len : 4);
		lits[k].s = bytes[k];
		lits[k].len = (uint32_t)len;
		lits[k].id = (uint32_t)(100 + k);
		lits[k].caseless = ci[t];
	}
}

/* Random literal sets against random texts, every length and offset. */
static void
t_naive(void)
{
	static char		bytes[LITSCAN_MAX_LITS][T_LIT_MAX];
	struct litscan_lit	lits[LITSCAN_MAX_LITS];
	char			text[T_TEXT_MAX + 8];
	uint64_t		seed = 0x11750;
	size_t			round, n, k, len, off, at, i;
	struct litscan		*ls;

	for (round = 0; round < 300; round++) {
		n = 1 + helper_rand(&seed) % (round % 3 == 0 ?
		    LITSCAN_MAX_LITS : 10);
		t_set(&seed, lits, n, bytes);
		assert_non_null(ls = litscan_build(lits, n));
		len = helper_rand(&seed) % T_TEXT_MAX;
		off = helper_rand(&seed) % 8;
		t_fill(&seed, text + off, len);
		/* Plant a few literals (their case flipped now and then). */
		for (k = 0; k < 6; k++) {
			at = helper_rand(&seed) % (len + 1);
			i = helper_rand(&seed) % n;
			if (at + lits[i].len > len)
				continue;
			memcpy(text + off + at, lits[i].s, lits[i].len);
			if (helper_rand(&seed) % 2 && text[off + at] == 'a')
				text[off + at] = 'A';
		}
		for (k = 0; k <= len; k += 1 + k / 24)
			t_check(ls, lits, n, text + off, k);
		t_check(ls, lits, n, text + off, len);
		litscan_free(ls);
	}
}

/* Scan with level (1 AVX2, 2 AVX-512) if this CPU has it; 0: not. */
static int
t_use(int level)
{
	litscan_set_simd(level);
	return (litscan_set_simd(level) == level);
}

/*
 * Run t with AVX2's blocks and, where the CPU has them, AVX-512's; skip
 * without AVX2 (then there is no litscan).
 */
static void
t_each_level(void (*t)(void))
{
	int	level, was = litscan_set_simd(2), ran = 0;

	for (level = 1; level < 3; level++)
		if (t_use(level)) {
			t();
			ran = 1;
		}
	litscan_set_simd(was);
	if (!ran)
		skip();
}

/* The naive search's results at each level. */
static void
test_naive(void **state)
{
	(void)state;
	t_each_level(t_naive);
}

/*
 * Literals of three to six bytes at the very start and the very end of a
 * text, and once more in the middle, at every length across the blocks
 * (32 and 64) and the lookups carried between them.
 */
static void
t_edges(void)
{
	static const char	*s[] = { "#ab", "Zz@", "\xe5\x93\x92",
				    "#\0#\n#", "\xff\xff" "ab\0\xe5" };
	static const size_t	 slen[] = { 3, 3, 3, 5, 6 };
	struct litscan_lit	 lits[5];
	struct litscan		*ls;
	char			 text[300];
	size_t			 k, len, w;

	for (w = 0; w < 5; w++) {
		for (k = 0; k <= w; k++) {	/* literals 0 to w */
			lits[k].s = s[k];
			lits[k].len = (uint32_t)slen[k];
			lits[k].id = (uint32_t)k;
			lits[k].caseless = k == 1;
		}
		assert_non_null(ls = litscan_build(lits, w + 1));
		for (len = 10; len < sizeof text; len++) {
			memset(text, 'x', sizeof text);
			memcpy(text, s[w], slen[w]);
			memcpy(text + len / 2, s[w], slen[w]);
			memcpy(text + len - slen[w], s[w], slen[w]);
			if (w == 1)	/* caseless: the other case */
				memcpy(text + len - 3, "zZ@", 3);
			t_check(ls, lits, w + 1, text, len);
		}
		litscan_free(ls);
	}
}

/* The edges at each level. */
static void
test_edges(void **state)
{
	(void)state;
	t_each_level(t_edges);
}

/* A callback stops the scan at the match it was given. */
static void
test_stop(void **state)
{
	struct litscan_lit	 lit = { "abc", 3, 7, 0 };
	struct litscan		*ls;
	struct helper_found	 f;
	char			 text[200];

	(void)state;
	if ((ls = litscan_build(&lit, 1)) == NULL)
		skip();
	memset(text, 'x', sizeof text);
	memcpy(text + 5, "abc", 3);
	memcpy(text + 150, "abc", 3);
	memset(&f, 0, sizeof f);
	f.stop_at = 1;
	assert_int_equal(litscan_scan(ls, text, sizeof text, helper_found_add,
	    &f), 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.end[0], 8);
	assert_int_equal(f.id[0], 7);
	litscan_free(ls);
}

/*
 * Only sets found exactly: not none, nor more than LITSCAN_MAX_LITS, nor
 * one with a literal under LITSCAN_PROBE_MIN bytes, nor one of more
 * than LITSCAN_BUCKETS distinct probes (a caseless one and another that
 * is not count as two); LITSCAN_MAX_LITS on one probe are.
 */
static void
test_refused(void **state)
{
	static char		bytes[LITSCAN_MAX_LITS + 1][8];
	struct litscan_lit	lits[LITSCAN_MAX_LITS + 1];
	struct litscan		*ls;
	size_t			k;
	int			was;

	(void)state;
	if (!litscan_available())
		skip();
	for (k = 0; k <= LITSCAN_MAX_LITS; k++) {
		snprintf(bytes[k], sizeof bytes[k], "%02zuwxyz", k);
		lits[k].s = bytes[k];
		lits[k].len = 6;
		lits[k].id = (uint32_t)k;
		lits[k].caseless = 0;
	}
	assert_null(litscan_build(lits, 0));
	assert_null(litscan_build(lits, LITSCAN_MAX_LITS + 1));
	assert_non_null(ls = litscan_build(lits, LITSCAN_MAX_LITS));
	litscan_free(ls);
	lits[3].len = 2;			/* "03" */
	assert_null(litscan_build(lits, 4));
	lits[3].len = 3;			/* "03w": a second probe */
	assert_non_null(ls = litscan_build(lits, 4));
	litscan_free(ls);
	for (k = 0; k < LITSCAN_BUCKETS + 1; k++)	/* "0kwx": 9 probes */
		lits[k].len = 4;
	assert_null(litscan_build(lits, LITSCAN_BUCKETS + 1));
	assert_non_null(ls = litscan_build(lits, LITSCAN_BUCKETS));
	litscan_free(ls);
	lits[0].len = lits[1].len = 6;
	lits[1].caseless = 1;			/* "wxyz" twice */
	assert_non_null(ls = litscan_build(lits, 2));
	litscan_free(ls);
	was = litscan_set_simd(0);		/* off: Vectorscan scans */
	assert_null(litscan_build(lits, 2));
	assert_int_equal(litscan_available(), 0);
	litscan_set_simd(was);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naive),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_refused),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
