/* Unit tests for UTF-8 validation: the fast path agrees with the scalar one. */
#include "helpers.h"

#include "utf8.h"

/* One character's verdict: length, 0 for a valid beginning, -1 invalid. */
static void
test_char_classes(void **state)
{
	static const struct {
		const char	*s;
		int		 want;
	} cases[] = {
		{ "A", 1 }, { "\xc3\xa9", 2 }, { "\xe4\xb8\xad", 3 },
		{ "\xf0\x9f\x98\x80", 4 }, { "\xf4\x8f\xbf\xbf", 4 },
		{ "\xc3", 0 }, { "\xe4\xb8", 0 }, { "\xf0\x9f\x98", 0 },
		{ "\x80", -1 }, { "\xbf", -1 }, { "\xc0\x80", -1 },
		{ "\xc1\xbf", -1 }, { "\xe0\x80\x80", -1 },
		{ "\xe0\x9f\xbf", -1 },
		{ "\xed\xa0\x80", -1 }, { "\xed\xbf\xbf", -1 },
		{ "\xf0\x80\x80\x80", -1 }, { "\xf0\x8f\xbf\xbf", -1 },
		{ "\xf4\x90\x80\x80", -1 }, { "\xf5\x80\x80\x80", -1 },
		{ "\xff", -1 }, { "\xc3\x41", -1 }, { "\xe4\xb8\x41", -1 },
		{ "\xe0\xa0\x80", 3 }, { "\xed\x9f\xbf", 3 },
		{ "\xee\x80\x80", 3 }, { "\xf0\x90\x80\x80", 4 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (utf8_char(cases[i].s, strlen(cases[i].s)) != cases[i].want)
			fail_msg("case %zu: got %d", i, utf8_char(cases[i].s,
			    strlen(cases[i].s)));
	}
}

/* Check a buffer every way this CPU can; they must agree. */
static void
check(const char *p, size_t len)
{
	int	slow = utf8_valid_scalar(p, len), fast, impl;

	if ((fast = utf8_valid(p, len)) != slow)
		fail_msg("utf8_valid %d, scalar %d, length %zu", fast, slow,
		    len);
	for (impl = UTF8_AVX2; impl <= UTF8_AVX512; impl++) {
		fast = utf8_valid_with(p, len, impl);
		if (fast != -1 && fast != slow)
			fail_msg("way %d: %d, scalar %d, length %zu", impl,
			    fast, slow, len);
	}
}

/* Which ways this CPU checks with (the others are skipped). */
static void
test_ways(void **state)
{
	int	impl;

	(void)state;
	for (impl = UTF8_SCALAR; impl <= UTF8_AVX512; impl++)
		print_message("utf8: way %d %s\n", impl,
		    utf8_valid_with("a", 1, impl) == -1 ? "not here" :
		    "tested");
}

/*
 * Every byte pair and every three-byte sequence with a lead byte, at the
 * places where a 32-byte block or a 16-byte tail begins or ends.
 */
static void
test_exhaustive(void **state)
{
	static const size_t	 offs[] = { 0, 13, 29, 30, 31, 32, 45, 61,
				    62, 63, 64, 93, 125 };
	static const char	 text[] = "\xe4\xb8\xad\xe6\x96\x87 text "
	    "\xf0\x9f\x98\x80 and more \xc3\xa9\xc3\xa9 to fill eighty bytes "
	    "of text \xe4\xb8\xad\xe6\x96\x87";
	char			 b[140];
	size_t			 o, i;
	unsigned		 x;

	(void)state;
	for (o = 0; o < sizeof offs / sizeof offs[0]; o++) {
		memset(b, 'a', sizeof b);
		for (x = 0; x < 0x10000; x++) {
			b[offs[o]] = (char)(x >> 8);
			b[offs[o] + 1] = (char)x;
			check(b, offs[o] + 2);
			check(b, sizeof b);
		}
	}
	for (o = 3; o < 10; o += 3) {	/* 30, 61, 64 */
		memset(b, 'a', sizeof b);
		for (x = 0xc00000; x < 0x1000000; x++) {
			b[offs[o]] = (char)(x >> 16);
			b[offs[o] + 1] = (char)(x >> 8);
			b[offs[o] + 2] = (char)x;
			check(b, 67);
		}
	}
	for (i = 0; i <= strlen(text); i++)	/* every length */
		check(text, i);
}

/* Random mixtures of characters, broken ones and ASCII. */
static void
test_random(void **state)
{
	static const char	*parts[] = {
		"a", "text ", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
		"\xc3", "\xe4\xb8", "\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"\xe0\x80\xaf", "\xff", "\n",
	};
	char			 b[512];
	size_t			 len, n, k;
	unsigned		 seed = 1, i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		len = 0;
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % 120;
		while (n-- > 0) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly valid: the broken parts are rare. */
			k = (seed >> 16) % 64;
			k = k < 60 ? k % 5 :
			    5 + (k - 60) * 2 + ((seed >> 8) & 1);
			if (len + strlen(parts[k]) > sizeof b)
				break;
			memcpy(b + len, parts[k], strlen(parts[k]));
			len += strlen(parts[k]);
		}
		check(b, len);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ways),
		cmocka_unit_test(test_char_classes),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_random),
	};

	return (cmocka_run_group_tests_name("utf8", tests, NULL, NULL));
}
