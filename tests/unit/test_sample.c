/*
 * Unit tests for the sampled-gram first stage (sample.c): on random keys
 * and texts over a small alphabet (so keys overlap, repeat and nearly
 * match everywhere), with case variants, NUL and invalid bytes, runs of
 * UTF-8 continuation bytes (so that probes snap back by 0 to 3 bytes),
 * and CJK, 4-byte and mixed characters, a scan reports exactly what a
 * naive search of every position finds, in order of the ends, at every
 * text length and offset, with every way of doing a batch; a callback
 * can stop it; a sampler of 30,000 keys (its tables in huge pages) finds
 * each; and a key that begins inside a character is refused.
 */
#include <sys/wait.h>

#include "helpers.h"

#include "fold.h"
#include "sample.h"
#include "utf8.h"

#define T_KEYS_MAX	64
#define T_TEXT_MAX	600

static const char t_alphabet[] = { 'a', 'b', 'A', '\0', '\xff', '\xe5' };

/* Bytes of broken and whole UTF-8: continuation bytes half the time. */
static const char t_utf8[] = { '\x80', '\xbf', '\x99', '\xa5', 'a', 'A',
    '\xe5', '\xf0' };

/*
 * Fill n bytes: from the alphabet, mostly its first two letters (utf8
 * 0), or from t_utf8 evenly (1).
 */
static void
t_fill(uint64_t *s, char *p, size_t n, int utf8)
{
	size_t	i;
	uint32_t r;

	for (i = 0; i < n; i++) {
		r = helper_rand(s) % 16;
		if (utf8)
			p[i] = t_utf8[r % sizeof t_utf8];
		else
			p[i] = r < 12 ? t_alphabet[r % 2] : t_alphabet[r % 6];
	}
}

/* Check one scan of text against the naive search of keys. */
static void
t_check(const struct sample *sm, char keys[][SAMPLE_KEY], const int *ci,
    size_t nkeys, const char *text, size_t len)
{
	struct helper_found	f;
	size_t		t, k, want = 0;

	memset(&f, 0, sizeof f);
	assert_int_equal(sample_scan(sm, text, len, helper_found_add, &f), 0);
	for (k = 1; k < f.n; k++)
		assert_true(f.end[k - 1] <= f.end[k]);
	for (t = 0; t + SAMPLE_KEY <= len; t++)
		for (k = 0; k < nkeys; k++) {
			if (fold_cmp(text + t, keys[k], SAMPLE_KEY, ci[k]) != 0)
				continue;
			want++;
			assert_true(helper_found_has(&f, (uint32_t)k,
			    t + SAMPLE_KEY));
		}
	assert_int_equal(f.n, want);
}

/*
 * Random key sets against random texts, every length and offset: keys
 * and text from the alphabet, both from t_utf8 (probes snap), and keys
 * from the alphabet in text from t_utf8 (keys of ASCII-like bytes have a
 * gram at every offset: probes do not snap).
 */
static void
t_naive(void)
{
	static char	keys[T_KEYS_MAX][SAMPLE_KEY];
	char		text[T_TEXT_MAX + 8];
	int		ci[T_KEYS_MAX];
	uint64_t	seed = 0x5eed;
	size_t		round, nkeys, k, len, off, at;
	struct sample	*sm;

	for (round = 0; round < 600; round++) {
		sm = sample_new(0);
		nkeys = 1 + helper_rand(&seed) % T_KEYS_MAX;
		for (k = 0; k < nkeys; k++) {
			t_fill(&seed, keys[k], SAMPLE_KEY, round % 3 == 1);
			if (utf8_cont((unsigned char)keys[k][0]))	/* keys begin a character */
				keys[k][0] = 'b';
			ci[k] = helper_rand(&seed) % 3 == 0;
			sample_add(sm, keys[k], ci[k], (uint32_t)k);
		}
		sample_build(sm);
		len = helper_rand(&seed) % T_TEXT_MAX;
		off = helper_rand(&seed) % 8;
		t_fill(&seed, text + off, len, round % 3 != 0);
		/* Plant a few keys (their case flipped now and then). */
		for (k = 0; len >= SAMPLE_KEY && k < 4; k++) {
			at = helper_rand(&seed) % (len - SAMPLE_KEY + 1);
			memcpy(text + off + at, keys[helper_rand(&seed) % nkeys],
			    SAMPLE_KEY);
			if (helper_rand(&seed) % 2 && text[off + at] == 'a')
				text[off + at] = 'A';
		}
		for (k = 0; k <= len; k += 1 + k / 16)
			t_check(sm, keys, ci, nkeys, text + off, k);
		t_check(sm, keys, ci, nkeys, text + off, len);
		sample_free(sm);
	}
}

/*
 * Run a test with the scalar batches and, where the CPU has them, AVX2's
 * and AVX-512's (by plain loads, then by a gather).
 */
static void
t_every_way(void (*fn)(void))
{
	int	simd, gather, was = sample_set_simd(0), gwas;

	gwas = sample_set_gather(0);
	for (simd = 0; simd < 3; simd++)
		for (gather = 0; gather < (simd == 2 ? 2 : 1); gather++) {
			sample_set_simd(simd);
			sample_set_gather(gather);
			fn();
		}
	sample_set_simd(was);
	sample_set_gather(gwas);
}

/* t_naive every way. */
static void
test_naive(void **state)
{
	(void)state;
	t_every_way(t_naive);
}

/* Characters of CJK-like text: 3-byte, 4-byte, ASCII, a stray byte. */
static const char *const t_chars[] = {
	"\xe7\x9a\x84", "\xe4\xb8\x80", "\xe6\x98\xaf", "\xe4\xb8\x8d",
	"\xe4\xba\x86", "\xe4\xba\xba", "\xf0\x9f\x98\x80", "a", " ",
	"\x80",
};
#define T_NCHARS	(sizeof t_chars / sizeof t_chars[0])

/* Append random characters (mostly the 3-byte ones) until n bytes. */
static size_t
t_chars_fill(uint64_t *s, char *p, size_t n)
{
	const char	*c;
	size_t		 len = 0, cl;

	for (;;) {
		c = t_chars[helper_rand(s) % 16 < 12 ? helper_rand(s) % 6 :
		    helper_rand(s) % T_NCHARS];
		cl = strlen(c);
		if (len + cl > n)
			return (len);
		memcpy(p + len, c, cl);
		len += cl;
	}
}

/*
 * Keys of whole characters (four CJK ones, or CJK with 4-byte and ASCII
 * ones, cut at SAMPLE_KEY bytes) in texts of such characters, keys
 * planted at character starts: every match the naive search finds.
 */
static void
t_cjk(void)
{
	static char	keys[T_KEYS_MAX][SAMPLE_KEY];
	char		kbuf[SAMPLE_KEY + 4], text[T_TEXT_MAX + 8];
	int		ci[T_KEYS_MAX];
	uint64_t	seed = 0xc1c1;
	size_t		round, nkeys, k, len, at, off, n;
	struct sample	*sm;

	for (round = 0; round < 300; round++) {
		sm = sample_new(0);
		nkeys = 1 + helper_rand(&seed) % T_KEYS_MAX;
		for (k = 0; k < nkeys; k++) {
			do {
				n = t_chars_fill(&seed, kbuf, sizeof kbuf);
			} while (n < SAMPLE_KEY || utf8_cont((unsigned char)kbuf[0]));
			memcpy(keys[k], kbuf, SAMPLE_KEY);
			ci[k] = 0;
			sample_add(sm, keys[k], 0, (uint32_t)k);
		}
		sample_build(sm);
		off = helper_rand(&seed) % 8;
		len = t_chars_fill(&seed, text + off, T_TEXT_MAX);
		len = helper_rand(&seed) % (len + 1);
		for (k = 0; len >= SAMPLE_KEY && k < 6; k++) {
			at = helper_rand(&seed) % (len - SAMPLE_KEY + 1);
			while (at > 0 && utf8_cont((unsigned char)text[off + at]))
				at--;
			memcpy(text + off + at, keys[helper_rand(&seed) % nkeys],
			    SAMPLE_KEY);
		}
		for (k = 0; k <= len; k += 1 + k / 16)
			t_check(sm, keys, ci, nkeys, text + off, k);
		sample_free(sm);
	}
}

/* t_cjk every way. */
static void
test_cjk(void **state)
{
	(void)state;
	t_every_way(t_cjk);
}

/* A key that begins inside a character is refused (a fatal error). */
static void
test_key_inside_character(void **state)
{
	struct sample	*sm;
	pid_t		 pid;
	int		 status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)freopen("/dev/null", "w", stderr);
		sm = sample_new(0);
		sample_add(sm, "\x80" "bcdefghijkl", 0, 0);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

/* Every key at the very start and the very end; a callback stops it. */
static void
test_edges_and_stop(void **state)
{
	static char	keys[2][SAMPLE_KEY];
	char		text[64];
	int		ci[2] = { 0, 1 };
	struct sample	*sm = sample_new(0);
	struct helper_found	f;
	size_t		len;

	(void)state;
	memcpy(keys[0], "0123456789ab", SAMPLE_KEY);
	memcpy(keys[1], "hello, world", SAMPLE_KEY);
	sample_add(sm, keys[0], ci[0], 0);
	sample_add(sm, keys[1], ci[1], 1);
	sample_build(sm);
	assert_int_equal(sample_count(sm), 2);
	for (len = SAMPLE_KEY; len < sizeof text; len++) {
		memset(text, '.', sizeof text);
		memcpy(text, keys[0], SAMPLE_KEY);
		memcpy(text + len - SAMPLE_KEY, "HELLO, WORLD", SAMPLE_KEY);
		if (len >= 2 * SAMPLE_KEY)
			t_check(sm, keys, ci, 2, text, len);
	}
	memcpy(text, "0123456789ab0123456789ab", 24);
	memset(&f, 0, sizeof f);
	f.stop_at = 1;
	assert_int_equal(sample_scan(sm, text, 24, helper_found_add, &f), 1);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.end[0], SAMPLE_KEY);
	sample_free(sm);
}

#define T_BIG_KEYS	30000	/* tables of more than 1 MiB: huge pages */

/*
 * A large sampler, sized ahead (room for every key) or grown (room for
 * one): each key, laid end to end in a text of letters that no filler
 * byte holds, is reported once where it ends, and the filler alone
 * reports nothing.
 */
static void
test_large(void **state)
{
	static char	keys[T_BIG_KEYS][SAMPLE_KEY];
	static char	text[T_BIG_KEYS * (SAMPLE_KEY + 3)];
	static struct helper_found f;
	uint64_t	seed = 0xb16;
	size_t		k, i, len = 0, room;
	struct sample	*sm;

	(void)state;
	for (k = 0; k < T_BIG_KEYS; k++)
		for (i = 0; i < SAMPLE_KEY; i++)
			keys[k][i] = (char)('a' + helper_rand(&seed) % 26);
	for (room = 1; room <= T_BIG_KEYS; room += T_BIG_KEYS - 1) {
		sm = sample_new(room);
		for (k = 0; k < T_BIG_KEYS; k++)
			sample_add(sm, keys[k], 0, (uint32_t)k);
		sample_build(sm);
		assert_int_equal(sample_count(sm), T_BIG_KEYS);
		for (k = 0; k < 4000; k++) {	/* a sample of the keys */
			memcpy(text + k * (SAMPLE_KEY + 3), keys[k * 7],
			    SAMPLE_KEY);
			memcpy(text + k * (SAMPLE_KEY + 3) + SAMPLE_KEY, "0.9", 3);
		}
		len = 4000 * (SAMPLE_KEY + 3);
		memset(&f, 0, sizeof f);
		assert_int_equal(sample_scan(sm, text, len, helper_found_add, &f), 0);
		assert_int_equal(f.n, 4000);
		for (k = 0; k < 4000; k++)
			assert_true(helper_found_has(&f, (uint32_t)(k * 7),
			    k * (SAMPLE_KEY + 3) + SAMPLE_KEY));
		memset(text, '0', len);
		memset(&f, 0, sizeof f);
		assert_int_equal(sample_scan(sm, text, len, helper_found_add, &f), 0);
		assert_int_equal(f.n, 0);
		sample_free(sm);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_naive),
		cmocka_unit_test(test_cjk),
		cmocka_unit_test(test_key_inside_character),
		cmocka_unit_test(test_edges_and_stop),
		cmocka_unit_test(test_large),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
