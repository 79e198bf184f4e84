/*
 * Unit tests for the newline map (nlmap.c): on random texts with few or
 * many newlines, NULs and bytes with the high bit set, at every length up
 * to a few words and at every start alignment, nlmap_next, nlmap_prev,
 * nlmap_find and nlmap_find_before give what a byte loop gives, at every
 * offset, with AVX2 and without; over texts of many summary words (4 KiB
 * each) with newlines far apart too; a map built again over a shorter text
 * forgets the longer one.
 */
#include "helpers.h"

#include "nlmap.h"

#define T_TEXT_MAX	300

/* A small deterministic generator (xorshift). */
static uint32_t
t_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((uint32_t)(*s >> 16));
}

/* Fill n bytes: a newline one byte in density, else '\n' + 128, NUL or x. */
static void
t_fill(uint64_t *s, char *p, size_t n, uint32_t density)
{
	size_t		i;
	uint32_t	r;

	for (i = 0; i < n; i++) {
		r = t_rand(s) % density;
		p[i] = r == 0 ? '\n' : r == 1 ? (char)('\n' + 128) :
		    r == 2 ? '\0' : 'x';
	}
}

/* The first newline at or after off in p[0, len), or len: by bytes. */
static size_t
t_next(const char *p, size_t len, size_t off)
{
	for (; off < len; off++)
		if (p[off] == '\n')
			return (off);
	return (len);
}

/* The last newline before off in p[0, len), or NLMAP_NONE: by bytes. */
static size_t
t_prev(const char *p, size_t len, size_t off)
{
	if (off > len)
		off = len;
	while (off-- > 0)
		if (p[off] == '\n')
			return (off);
	return (NLMAP_NONE);
}

/* Check every query of a map of p[0, len) against the byte loops. */
static void
t_check(struct nlmap *m, const char *p, size_t len)
{
	size_t		off, want;
	const char	*nl;

	nlmap_build(m, p, len);
	for (off = 0; off <= len + 1; off++) {
		assert_int_equal(nlmap_next(m, off), off <= len ?
		    t_next(p, len, off) : len);
		want = t_prev(p, len, off);
		assert_int_equal(nlmap_prev(m, off), want);
		if (off > len)
			continue;
		nl = nlmap_find(m, p + off, p + len);
		want = t_next(p, len, off);
		assert_ptr_equal(nl, want < len ? p + want : NULL);
		nl = nlmap_find_before(m, p + off, p + len / 2);
		want = t_prev(p, len, off);
		assert_ptr_equal(nl, want != NLMAP_NONE && want >= len / 2 ?
		    p + want : NULL);
	}
}

/* Random texts, every length and alignment, sparse and dense newlines. */
static void
test_naive(void **state)
{
	static const uint32_t	densities[] = { 2, 5, 40, 1000 };
	char			buf[T_TEXT_MAX + 16];
	struct nlmap		m = { 0 };
	uint64_t		s = 0x9e3779b97f4a7c15ULL;
	size_t			len, align, d;

	int			avx2, was = nlmap_set_avx2(1);

	(void)state;
	for (avx2 = 0; avx2 < 2; avx2++) {
		nlmap_set_avx2(avx2);
		for (d = 0; d < sizeof densities / sizeof densities[0]; d++)
			for (len = 0; len <= T_TEXT_MAX; len++) {
				align = t_rand(&s) % 16;
				t_fill(&s, buf + align, len, densities[d]);
				t_check(&m, buf + align, len);
			}
	}
	nlmap_set_avx2(was);
	nlmap_free(&m);
}

/* All newlines, none, one at each end of a word; then a shorter map. */
static void
test_edges(void **state)
{
	char		buf[200];
	struct nlmap	m = { 0 };
	size_t		i;

	(void)state;
	memset(buf, '\n', sizeof buf);
	t_check(&m, buf, sizeof buf);
	memset(buf, 'x', sizeof buf);
	t_check(&m, buf, sizeof buf);
	for (i = 0; i < sizeof buf; i += 63) {
		buf[i] = '\n';
		t_check(&m, buf, sizeof buf);
	}
	memset(buf, '\n', sizeof buf);
	nlmap_build(&m, buf, sizeof buf);
	memset(buf, 'x', 70);
	t_check(&m, buf, 70);		/* the old words are not seen */
	assert_int_equal(nlmap_next(&m, 0), 70);
	t_check(&m, buf, 0);
	nlmap_free(&m);
}

/* A long text with newlines every gap bytes (see test_long) checked. */
static void
t_long_one(struct nlmap *m, char *text, size_t len, size_t gap,
    size_t *next, size_t *prev)
{
	size_t	i;

	memset(text, 'x', len);
	if (gap == 0) {
		text[0] = '\n';
		text[len - 1] = '\n';
	} else if (gap != SIZE_MAX)
		for (i = gap / 2; i < len; i += gap)
			text[i] = '\n';
	next[len] = len;
	for (i = len; i-- > 0;)
		next[i] = text[i] == '\n' ? i : next[i + 1];
	prev[0] = NLMAP_NONE;
	for (i = 1; i <= len; i++)
		prev[i] = text[i - 1] == '\n' ? i - 1 : prev[i - 1];
	nlmap_build(m, text, len);
	for (i = 0; i <= len; i++) {
		assert_int_equal(nlmap_next(m, i), next[i]);
		assert_int_equal(nlmap_prev(m, i), prev[i]);
	}
}

/*
 * Long texts, with AVX2 and without: newlines at both ends only (gap 0),
 * none (SIZE_MAX), or every gap bytes.
 */
static void
test_long(void **state)
{
	static const size_t	gaps[] = { 0, SIZE_MAX, 1, 4095, 4096, 4097,
	    30000 };
	enum { T_LONG = 70001 };
	static char		text[T_LONG];
	static size_t		next[T_LONG + 1], prev[T_LONG + 1];
	struct nlmap		m = { 0 };
	size_t			g;
	int			avx2, was = nlmap_set_avx2(1);

	(void)state;
	for (avx2 = 0; avx2 < 2; avx2++) {
		nlmap_set_avx2(avx2);
		for (g = 0; g < sizeof gaps / sizeof gaps[0]; g++)
			t_long_one(&m, text, T_LONG, gaps[g], next, prev);
	}
	nlmap_set_avx2(was);
	nlmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naive),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_long),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
