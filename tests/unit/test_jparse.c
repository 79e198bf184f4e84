/* Unit tests for the JSON Lines record validator and JSON strings. */
#include "helpers.h"

#include "jparse.h"
#include "jstr.h"

/* Parse s as a record with text field "text". */
static void
parse(const char *s, size_t len, struct jparse_record *r, struct buf *dec)
{
	jparse_record(s, len, "text", dec, r);
}

/* Valid records, other JSON, and what is not JSON. */
static void
test_kinds(void **state)
{
	static const struct {
		const char	*s;
		int		 kind;
	} cases[] = {
		{ "{}", JPARSE_OBJECT },
		{ " \t{\"a\" : [ 1 , -0.5e+3, true, false, null, {}, [] ] }\r ",
		    JPARSE_OBJECT },
		{ "{\"x\":1e400,\"y\":-0,\"z\":0.0001E-999}", JPARSE_OBJECT },
		{ "[1,2]", JPARSE_NOT_OBJECT }, { "\"s\"", JPARSE_NOT_OBJECT },
		{ "5", JPARSE_NOT_OBJECT }, { "null", JPARSE_NOT_OBJECT },
		{ "", JPARSE_INVALID }, { " ", JPARSE_INVALID },
		{ "{", JPARSE_INVALID }, { "{\"a\"}", JPARSE_INVALID },
		{ "{\"a\":}", JPARSE_INVALID },
		{ "{\"a\":1,}", JPARSE_INVALID },
		{ "{,}", JPARSE_INVALID }, { "[1,]", JPARSE_INVALID },
		{ "{\"a\":01}", JPARSE_INVALID },
		{ "{\"a\":1.}", JPARSE_INVALID },
		{ "{\"a\":.5}", JPARSE_INVALID },
		{ "{\"a\":+1}", JPARSE_INVALID },
		{ "{\"a\":1e}", JPARSE_INVALID },
		{ "{\"a\":-}", JPARSE_INVALID },
		{ "{\"a\":tru}", JPARSE_INVALID }, { "{\"a\":truex}",
		    JPARSE_INVALID }, { "{\"a\":NaN}", JPARSE_INVALID },
		{ "{\"a\":\"\\x\"}", JPARSE_INVALID },
		{ "{\"a\":\"\\u12\"}", JPARSE_INVALID },
		{ "{\"a\":\"\\ud800\"}", JPARSE_INVALID },
		{ "{\"a\":\"\\udc00\\ud800\"}", JPARSE_INVALID },
		{ "{\"a\":\"\\ud800\\u0041\"}", JPARSE_INVALID },
		{ "{\"a\":\"\\ud83d\\ude00\"}", JPARSE_OBJECT },
		{ "{\"a\":\"tab\there\"}", JPARSE_INVALID },
		{ "{\"a\":\"\xc3\"}", JPARSE_INVALID },
		{ "{\"\xed\xa0\x80\":1}", JPARSE_INVALID },
		{ "{} {}", JPARSE_INVALID }, { "{}\v", JPARSE_INVALID },
		{ "\xef\xbb\xbf{}", JPARSE_INVALID },
		{ "{\"a\":\"\\u0000\",\"\\u0000\":1}", JPARSE_OBJECT },
	};
	struct jparse_record	r;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		parse(cases[i].s, strlen(cases[i].s), &r, NULL);
		if ((int)r.kind != cases[i].kind)
			fail_msg("case %zu [%s]: kind %d (%s)", i, cases[i].s,
			    r.kind, r.why ? r.why : "");
	}
	parse("{\"a\":1,\0}", 9, &r, NULL);	/* NUL outside a string */
	assert_int_equal(r.kind, JPARSE_INVALID);
	assert_int_equal(r.at, 7);
}

/* Nesting: jansson's 2048 levels, a scalar counting as one. */
static void
test_depth(void **state)
{
	struct jparse_record	 r;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 n;
	int			 i, want;

	(void)state;
	for (n = 2045; n <= 2049; n++) {
		for (i = 0; i < 2; i++) {	/* [[..[]..]], [[..[1]..]] */
			buf_reset(&b);
			buf_append(&b, "{\"a\":", 5);
			while (b.len < 5 + n)
				buf_append(&b, "[", 1);
			if (i == 1)
				buf_append(&b, "1", 1);
			while (b.len < 5 + 2 * n + (size_t)i)
				buf_append(&b, "]", 1);
			buf_append(&b, "}", 1);
			parse(b.data, b.len, &r, NULL);
			want = 1 + n + (size_t)i <= JPARSE_MAX_DEPTH ?
			    JPARSE_OBJECT : JPARSE_INVALID;
			if ((int)r.kind != want)
				fail_msg("depth %zu/%d: kind %d", n, i, r.kind);
		}
	}
	buf_free(&b);
}

/* Every member whose key decodes to the field; the last "id". */
static void
test_members(void **state)
{
	static const char	 s[] = "{\"text\":\"a\\nb\", \"i\\u0064\":1,"
	    "\"te\\u0078t\":\"c\",\"id\":[2],\"texts\":3,\"text\":4}";
	struct jparse_record	 r;
	struct buf		 dec = { NULL, 0, 0 };

	(void)state;
	parse(s, sizeof s - 1, &r, &dec);
	assert_int_equal(r.kind, JPARSE_OBJECT);
	assert_int_equal(r.ntext, 3);
	assert_true(r.text_not_string);
	assert_true(r.text.is_string && r.text.str.escaped);
	assert_int_equal(r.text.str.dlen, 3);
	assert_memory_equal(dec.data, "a\nb", 3);
	assert_false(r.text.str.ctl);
	assert_true(r.has_id);
	assert_memory_equal(s + r.id.val, "[2]", r.id.end - r.id.val);
	assert_int_equal(s[r.close], '}');
	buf_free(&dec);
}

/* Decoding: every escape, pairs to one character, NUL kept. */
static void
test_decode(void **state)
{
	static const char	 s[] = "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000"
	    "\\u00e9\\u4E2D\\ud83d\\ude00\\u001f x\"";
	static const char	 want[] = "\"\\/\b\f\n\r\t\0\xc3\xa9"
	    "\xe4\xb8\xad\xf0\x9f\x98\x80\x1f x";
	struct jstr_info	 in;
	const char		*why;
	char			 out[sizeof s];
	size_t			 i = 0;

	(void)state;
	assert_int_equal(jstr_scan(s, sizeof s - 1, &i, out, &in, &why), 0);
	assert_int_equal(i, sizeof s - 1);
	assert_true(in.escaped && in.ctl);
	assert_int_equal(in.dlen, sizeof want - 1);
	assert_memory_equal(out, want, sizeof want - 1);
	i = 0;
	assert_int_equal(jstr_scan("\"plain\"", 7, &i, out, &in, &why), 0);
	assert_false(in.escaped);
	assert_int_equal(in.dlen, 5);
	i = 0;
	assert_int_equal(jstr_scan("\"\\u4e2d", 7, &i, out, &in, &why), -1);
	assert_string_equal(why, "unterminated string");
}

/* Keys compared after decoding; escaping for output. */
static void
test_equals_escape(void **state)
{
	char	d[6];

	(void)state;
	assert_true(jstr_equals("\"text\"", 6, "text", 4));
	assert_true(jstr_equals("\"te\\u0078t\"", 11, "text", 4));
	assert_true(jstr_equals("\"\\u0074\\u0065\\u0078\\u0074\"", 26, "text",
	    4));
	assert_false(jstr_equals("\"tex\"", 5, "text", 4));
	assert_false(jstr_equals("\"te\\u0078tt\"", 12, "text", 4));
	assert_true(jstr_equals("\"\\u00e9\"", 8, "\xc3\xa9", 2));
	assert_int_equal(jstr_escape_byte('"', d), 2);
	assert_memory_equal(d, "\\\"", 2);
	assert_int_equal(jstr_escape_byte('\n', d), 2);
	assert_memory_equal(d, "\\n", 2);
	assert_int_equal(jstr_escape_byte(0, d), 6);
	assert_memory_equal(d, "\\u0000", 6);
	assert_int_equal(jstr_escape_byte(0x1f, d), 6);
	assert_memory_equal(d, "\\u001F", 6);
	assert_int_equal(jstr_plain("abc\xe4\xb8\xad\"", 7), 6);
	assert_int_equal(jstr_plain("0123456789abcdef0123456789abcdef01234\\",
	    38), 37);
}

/* jstr_plain() finds the first special byte wherever it is, however long. */
static void
test_plain_everywhere(void **state)
{
	static const char	 specials[] = { '"', '\\', 0, '\n', 0x1f };
	char			 b[300];
	size_t			 len, at, k;

	(void)state;
	memset(b, 'a', sizeof b);
	for (len = 0; len < sizeof b; len++) {
		assert_int_equal(jstr_plain(b, len), len);
		for (at = 0; at < len; at += 1 + at / 8) {
			for (k = 0; k < sizeof specials; k++) {
				b[at] = specials[k];
				if (jstr_plain(b, len) != at)
					fail_msg("len %zu, %d at %zu", len,
					    specials[k], at);
			}
			b[at] = (char)(at % 2 ? 0x20 : 0xff);	/* plain */
			assert_int_equal(jstr_plain(b, len), len);
			b[at] = 'a';
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_equals_escape),
		cmocka_unit_test(test_plain_everywhere),
	};

	return (cmocka_run_group_tests_name("jparse", tests, NULL, NULL));
}
