/*
 * Validating one JSON Lines record.  The whole record is first checked as
 * UTF-8 (utf8.c), so the grammar below only ever looks at ASCII; strings
 * are scanned by jstr.c.  Nested values are checked without recursion: one
 * bit per open container (object or array) is all the state, and nesting
 * is bounded as in jansson (every value, scalars too, counts one level).
 * Numbers are checked against the grammar only, so a number of any size or
 * precision is valid, as RFC 8259 says.
 */
#include <string.h>

#include "buf.h"
#include "jparse.h"
#include "jstr.h"
#include "utf8.h"

struct jparse {
	const char	*s;
	size_t		 len;
	size_t		 i;
	const char	*why;
};

/* Record what is wrong at the current byte; returns -1. */
static int
jparse_fail(struct jparse *p, const char *why)
{
	p->why = why;
	return (-1);
}

/* The current byte, or -1 at the end of the record. */
static int
jparse_peek(const struct jparse *p)
{
	return (p->i < p->len ? (unsigned char)p->s[p->i] : -1);
}

/* Skip JSON white space. */
static void
jparse_ws(struct jparse *p)
{
	int	c;

	while ((c = jparse_peek(p)) == ' ' || c == '\t' || c == '\n' ||
	    c == '\r')
		p->i++;
}

/* Skip a run of digits; how many there were. */
static size_t
jparse_digits(struct jparse *p)
{
	size_t	start = p->i;
	int	c;

	while ((c = jparse_peek(p)) >= '0' && c <= '9')
		p->i++;
	return (p->i - start);
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
jparse_number(struct jparse *p)
{
	int	c;

	if (jparse_peek(p) == '-')
		p->i++;
	if ((c = jparse_peek(p)) == '0')
		p->i++;
	else if (c < '1' || c > '9' || jparse_digits(p) == 0)
		return (jparse_fail(p, "invalid number"));
	if (jparse_peek(p) == '.') {
		p->i++;
		if (jparse_digits(p) == 0)
			return (jparse_fail(p, "invalid number"));
	}
	if ((c = jparse_peek(p)) == 'e' || c == 'E') {
		p->i++;
		if ((c = jparse_peek(p)) == '+' || c == '-')
			p->i++;
		if (jparse_digits(p) == 0)
			return (jparse_fail(p, "invalid number"));
	}
	return (0);
}

/* A string, checked and skipped. */
static int
jparse_string(struct jparse *p, struct jstr_info *in)
{
	return (jstr_scan(p->s, p->len, &p->i, NULL, in, &p->why));
}

/* A value that is not a container. */
static int
jparse_scalar(struct jparse *p)
{
	static const char	*lit[] = { "true", "false", "null" };
	struct jstr_info	 in;
	size_t			 i, n;
	int			 c;

	c = jparse_peek(p);
	if (c == '"')
		return (jparse_string(p, &in));
	if (c == '-' || (c >= '0' && c <= '9'))
		return (jparse_number(p));
	for (i = 0; i < 3; i++) {
		n = strlen(lit[i]);
		if (c == lit[i][0]) {
			if (p->len - p->i < n || memcmp(p->s + p->i, lit[i],
			    n) != 0)
				return (jparse_fail(p, "invalid literal"));
			p->i += n;
			return (0);
		}
	}
	return (jparse_fail(p, c == -1 ? "unexpected end of record" :
	    "unexpected character"));
}

/* An object member's key and colon, up to its value. */
static int
jparse_key(struct jparse *p)
{
	struct jstr_info	in;

	if (jparse_peek(p) != '"')
		return (jparse_fail(p, "expected a string key"));
	if (jparse_string(p, &in) != 0)
		return (-1);
	jparse_ws(p);
	if (jparse_peek(p) != ':')
		return (jparse_fail(p, "expected ':'"));
	p->i++;
	jparse_ws(p);
	return (0);
}

/* Is open container n (0 = outermost in this value) an object? */
#define JPARSE_ISOBJ(bits, n)	((bits)[(n) / 8] & (1 << ((n) % 8)))

/*
 * Check the value at p->i, which depth values enclose, and skip it.  The
 * containers it opens are a stack of bits (1 for an object).
 */
static int
jparse_value(struct jparse *p, size_t depth)
{
	unsigned char	bits[JPARSE_MAX_DEPTH / 8 + 1];
	size_t		n = 0;
	int		c, close;

value:
	if (depth + n + 1 > JPARSE_MAX_DEPTH)
		return (jparse_fail(p, "nested too deeply"));
	if ((c = jparse_peek(p)) != '{' && c != '[') {
		if (jparse_scalar(p) != 0)
			return (-1);
		goto after;
	}
	if (c == '{')
		bits[n / 8] |= 1 << (n % 8);
	else
		bits[n / 8] &= ~(1 << (n % 8));
	n++;
	p->i++;
	jparse_ws(p);
	if (jparse_peek(p) == (c == '{' ? '}' : ']')) {
		p->i++;
		n--;
	} else if (c == '[' || jparse_key(p) == 0)
		goto value;
	else
		return (-1);
after:
	while (n > 0) {
		jparse_ws(p);
		close = JPARSE_ISOBJ(bits, n - 1) ? '}' : ']';
		if ((c = jparse_peek(p)) == close) {
			p->i++;
			n--;
			continue;
		}
		if (c != ',')
			return (jparse_fail(p, close == '}' ?
			    "expected ',' or '}'" : "expected ',' or ']'"));
		p->i++;
		jparse_ws(p);
		if (close == '}' && jparse_key(p) != 0)
			return (-1);
		goto value;
	}
	return (0);
}

/*
 * Check the top-level member at s[*ip] (its key's quote) and move past its
 * value.  A text member's string with escapes is decoded into out if given
 * (room for len - *ip bytes).  -1 with *ip at the fault and *why set.
 */
int
jparse_member(const char *s, size_t len, size_t *ip, const char *field,
    char *out, struct jparse_member *m, const char **why)
{
	struct jparse		p = { s, len, *ip, NULL };
	struct jstr_info	key;
	int			rc = -1;

	memset(m, 0, sizeof *m);
	m->key = p.i;
	if (jparse_peek(&p) != '"') {
		jparse_fail(&p, "expected a string key");
		goto done;
	}
	if (jparse_string(&p, &key) != 0)
		goto done;
	m->is_text = jstr_equals(s + m->key, p.i - m->key, field,
	    strlen(field));
	m->is_id = jstr_equals(s + m->key, p.i - m->key, "id", 2);
	jparse_ws(&p);
	if (jparse_peek(&p) != ':') {
		jparse_fail(&p, "expected ':'");
		goto done;
	}
	p.i++;
	jparse_ws(&p);
	m->val = p.i;
	if (jparse_peek(&p) == '"') {
		m->is_string = 1;
		rc = jstr_scan(s, len, &p.i, m->is_text ? out : NULL, &m->str,
		    &p.why);
	} else
		rc = jparse_value(&p, 1);
	m->end = p.i;
done:
	*ip = p.i;
	*why = p.why;
	return (rc);
}

/* Past white space and a comma: 1 if another member follows, 0 at '}'. */
int
jparse_next(const char *s, size_t len, size_t *ip)
{
	struct jparse	p = { s, len, *ip, NULL };

	jparse_ws(&p);
	if (jparse_peek(&p) != ',') {
		*ip = p.i;
		return (0);
	}
	p.i++;
	jparse_ws(&p);
	*ip = p.i;
	return (1);
}

/* Note what a top-level member is, for the record. */
static void
jparse_note(struct jparse_record *r, const struct jparse_member *m)
{
	if (m->is_text) {
		if (r->ntext++ == 0)
			r->text = *m;
		if (!m->is_string)
			r->text_not_string = 1;
	}
	if (m->is_id) {
		r->has_id = 1;
		r->id = *m;
	}
}

/* The members of the top-level object, whose '{' is at p->i. */
static int
jparse_object(struct jparse *p, const char *field, struct buf *dec,
    struct jparse_record *r)
{
	struct jparse_member	m;
	char			*out;

	p->i++;
	jparse_ws(p);
	if (jparse_peek(p) == '}')
		goto close;
	for (;;) {
		out = NULL;
		if (dec != NULL && r->ntext == 0) {
			buf_reset(dec);
			buf_reserve(dec, p->len - p->i);
			out = dec->data;
		}
		if (jparse_member(p->s, p->len, &p->i, field, out, &m,
		    &p->why) != 0)
			return (-1);
		jparse_note(r, &m);
		if (!jparse_next(p->s, p->len, &p->i))
			break;
	}
	if (jparse_peek(p) != '}')
		return (jparse_fail(p, "expected ',' or '}'"));
close:
	r->close = p->i++;
	return (0);
}

/*
 * Check record s[0, len) completely and find its members.  The first text
 * member's string, if it has escapes, is decoded into dec (if given).
 */
void
jparse_record(const char *s, size_t len, const char *field, struct buf *dec,
    struct jparse_record *r)
{
	struct jparse	p = { s, len, 0, NULL };
	int		rc, object;

	memset(r, 0, sizeof *r);
	if (!utf8_valid(s, len)) {
		r->kind = JPARSE_INVALID;
		r->why = "invalid UTF-8";
		r->at = utf8_prefix(s, len);
		return;
	}
	jparse_ws(&p);
	if ((object = jparse_peek(&p) == '{'))
		rc = jparse_object(&p, field, dec, r);
	else
		rc = jparse_value(&p, 0);
	if (rc == 0) {
		jparse_ws(&p);
		if (p.i != len)
			rc = jparse_fail(&p, "end of record expected");
	}
	if (rc != 0) {
		r->kind = JPARSE_INVALID;
		r->why = p.why;
		r->at = p.i;
	} else
		r->kind = object ? JPARSE_OBJECT : JPARSE_NOT_OBJECT;
}
