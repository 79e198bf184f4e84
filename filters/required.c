/*
 * Required literals of a pattern (see required.h), read by a small
 * recursive descent over PCRE2 syntax.  Every node gets two sets:
 *
 *  exact: every text the node can match is one of these strings;
 *  req:   every text the node can match contains one of these.
 *
 * A sequence's req is the best of its atoms' req sets and of the cross
 * products of runs of exact atoms; an alternation's is the union of its
 * branches'; a quantifier that allows zero repeats has none.  Zero-width
 * items (anchors, lookaround, \b, \K) match the empty string.  What the
 * reading does not know (\d, ., classes too large, back-references) is
 * "any text": no exact set, no req set.  Inline options other than i, m,
 * s, n, U and J, verbs and conditionals give the whole pattern no set.
 *
 * With caseless matching a literal character is kept only if PCRE2's
 * caseless match of it is plain ASCII case folding (what the multi-pattern
 * matcher does): ASCII but k and s (which also match U+212A and U+017F),
 * and CJK and other caseless scripts (checked against PCRE2 over every
 * code point when written).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "required.h"
#include "xmalloc.h"

/* A set of strings, or "unknown" (ok == 0). */
struct sset {
	struct reqlit	*v;
	size_t		 n;
	int		 ok;
};

/* What a node can match. */
struct rnode {
	struct sset	exact;
	struct sset	req;
};

struct rparse {
	const char	*p;
	size_t		 len;
	size_t		 i;
	int		 caseless;
	int		 fail;		/* beyond this reading */
	int		 saw_i;		/* an inline (?i) */
	int		 depth;		/* of groups */
	int		 branches;	/* of the top-level alternation */
	struct sset	 alts[REQUIRED_MAX_ALTS];	/* other top-level sets */
	size_t		 nalts;
};

static void	required_alt(struct rparse *, struct rnode *);

/* Empty the set, making it "unknown". */
static void
sset_clear(struct sset *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].s);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* A known set holding one string. */
static void
sset_one(struct sset *s, const char *p, size_t len)
{
	sset_clear(s);
	s->ok = 1;
	s->v = xcalloc(1, sizeof *s->v);
	s->v[0].s = xmemdup(p, len + 1);
	s->v[0].len = len;
	s->n = 1;
}

/* Add a string to a known set (duplicates skipped); too many: unknown. */
static void
sset_add(struct sset *s, const char *p, size_t len)
{
	size_t	i;

	if (!s->ok)
		return;
	for (i = 0; i < s->n; i++)
		if (s->v[i].len == len && memcmp(s->v[i].s, p, len) == 0)
			return;
	if (s->n == REQUIRED_MAX_SET || len > REQUIRED_MAX_LEN) {
		sset_clear(s);
		return;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n].s = xmalloc(len + 1);
	memcpy(s->v[s->n].s, p, len);
	s->v[s->n].s[len] = '\0';
	s->v[s->n++].len = len;
}

/* dst = dst | src (unknown if either is). */
static void
sset_union(struct sset *dst, const struct sset *src)
{
	size_t	i;

	if (!src->ok) {
		sset_clear(dst);
		return;
	}
	for (i = 0; i < src->n && dst->ok; i++)
		sset_add(dst, src->v[i].s, src->v[i].len);
}

/* dst = a copy of src. */
static void
sset_copy(struct sset *dst, const struct sset *src)
{
	sset_clear(dst);
	dst->ok = src->ok;
	sset_union(dst, src);
}

/* dst = dst x src: every string of dst followed by every one of src. */
static void
sset_cross(struct sset *dst, const struct sset *src)
{
	struct sset	 out = { NULL, 0, 1 };
	char		 tmp[2 * REQUIRED_MAX_LEN];
	size_t		 i, j, a, b;

	if (!dst->ok || !src->ok || dst->n * src->n > REQUIRED_MAX_SET) {
		sset_clear(dst);
		return;
	}
	for (i = 0; i < dst->n && out.ok; i++) {
		for (j = 0; j < src->n && out.ok; j++) {
			a = dst->v[i].len;
			b = src->v[j].len;
			memcpy(tmp, dst->v[i].s, a);
			memcpy(tmp + a, src->v[j].s, b);
			sset_add(&out, tmp, a + b);
		}
	}
	sset_clear(dst);
	*dst = out;
}

/* Length of the shortest string (0 for an unknown or empty set). */
static size_t
sset_minlen(const struct sset *s)
{
	size_t	i, m = SIZE_MAX;

	if (!s->ok || s->n == 0)
		return (0);
	for (i = 0; i < s->n; i++)
		if (s->v[i].len < m)
			m = s->v[i].len;
	return (m);
}

/*
 * Keep the better of two requirements in best: the one whose shortest
 * string is longer (fewer false candidates), then the smaller.  A set
 * holding the empty string requires nothing.
 */
static void
sset_better(struct sset *best, const struct sset *cand)
{
	size_t	b = sset_minlen(best), c = sset_minlen(cand);

	if (c == 0)
		return;
	if (c > b || (c == b && cand->n < best->n))
		sset_copy(best, cand);
}

/* Free a node's sets. */
static void
rnode_clear(struct rnode *n)
{
	sset_clear(&n->exact);
	sset_clear(&n->req);
}

/* Is code point c matched caselessly by PCRE2 exactly as by ASCII folding? */
static int
required_cp_safe(uint32_t c)
{
	if (c < 0x80)
		return (c != 'k' && c != 'K' && c != 's' && c != 'S');
	return ((c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff01 && c <= 0xff20) ||
	    (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65) ||
	    (c >= 0x20000 && c <= 0x3ffff));
}

/* Decode the UTF-8 character at s (len > 0); returns its length or 0. */
static size_t
required_utf8(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t	n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (n == 0 || len < n)
		return (0);
	*cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++)
		*cp = (*cp << 6) | (s[i] & 0x3f);
	return (n);
}

/* Does every character of s match caselessly as by ASCII folding alone? */
int
required_caseless_safe(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	while (len > 0) {
		if ((n = required_utf8(p, len, &cp)) == 0 ||
		    !required_cp_safe(cp))
			return (0);
		p += n;
		len -= n;
	}
	return (1);
}

/* Encode code point c as UTF-8 into out; returns the length, 0 if none. */
static size_t
required_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return (1);
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return (2);
	}
	if ((c >= 0xd800 && c < 0xe000) || c > 0x10ffff)
		return (0);
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return (3);
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return (4);
}

/* A node matching exactly the character c (or any text if it cannot). */
static void
required_char(struct rparse *rp, uint32_t c, struct rnode *out)
{
	char	b[4];
	size_t	n;

	rnode_clear(out);
	if (c == '\n' || c == 0 || (n = required_encode(c, b)) == 0)
		return;		/* never '\n'; Vectorscan refuses a NUL first */
	if (rp->caseless && !required_cp_safe(c))
		return;
	sset_one(&out->exact, b, n);
	sset_copy(&out->req, &out->exact);
}

/* A node matching only the empty string (anchors, lookaround). */
static void
required_empty(struct rnode *out)
{
	rnode_clear(out);
	sset_one(&out->exact, "", 0);
}

/* Skip a {...} argument of an escape such as \p{..} or \x{..}. */
static void
required_skip_brace(struct rparse *rp)
{
	if (rp->i < rp->len && rp->p[rp->i] == '{') {
		while (rp->i < rp->len && rp->p[rp->i] != '}')
			rp->i++;
		rp->i++;
	}
}

/* Read \x{h..} or \xhh after "\x"; returns the code point. */
static uint32_t
required_hex(struct rparse *rp)
{
	uint32_t	c = 0;
	int		n = 0, brace;

	brace = rp->i < rp->len && rp->p[rp->i] == '{';
	if (brace)
		rp->i++;
	while (rp->i < rp->len && isxdigit((unsigned char)rp->p[rp->i]) &&
	    (brace || n < 2) && n < 8) {
		c = c * 16 + (uint32_t)(isdigit((unsigned char)rp->p[rp->i]) ?
		    rp->p[rp->i] - '0' : (tolower((unsigned char)
		    rp->p[rp->i]) - 'a' + 10));
		rp->i++;
		n++;
	}
	if (brace) {
		if (rp->i >= rp->len || rp->p[rp->i] != '}')
			rp->fail = 1;
		rp->i++;
	}
	return (c);
}

/*
 * Read the escape after '\': *cp set and 1 for one known character, 0
 * for a zero-width item, -1 for anything else (a class or unknown).
 */
static int
required_escape(struct rparse *rp, uint32_t *cp)
{
	unsigned char	d;

	if (rp->i >= rp->len)
		return (rp->fail = 1, -1);
	d = (unsigned char)rp->p[rp->i++];
	if (d >= 0x80 || !isalnum(d)) {
		rp->i--;		/* a quoted character: read it whole */
		rp->i += required_utf8((const unsigned char *)rp->p + rp->i,
		    rp->len - rp->i, cp);
		return (1);
	}
	switch (d) {
	case 'n': *cp = '\n'; return (1);
	case 't': *cp = '\t'; return (1);
	case 'r': *cp = '\r'; return (1);
	case 'f': *cp = '\f'; return (1);
	case 'e': *cp = 0x1b; return (1);
	case 'a': *cp = 0x07; return (1);
	case 'x': *cp = required_hex(rp); return (1);
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		return (0);
	case 'N':
		required_skip_brace(rp);
		return (-1);
	case 'p': case 'P':		/* \pL or \p{...} */
		if (rp->i < rp->len && rp->p[rp->i] != '{')
			rp->i++;
		required_skip_brace(rp);
		return (-1);
	case 'g': case 'k':		/* only the \g{..} and \k{..} forms */
		if (rp->i >= rp->len || rp->p[rp->i] != '{')
			return (rp->fail = 1, -1);
		required_skip_brace(rp);
		return (-1);
	case 'c':
		rp->i++;
		return (-1);
	case 'Q': case 'E':
		return (rp->fail = 1, -1);	/* read in required_quoted */
	}
	if (isdigit(d) || d == 'o')
		return (rp->fail = 1, -1);	/* back-references, octal */
	return (-1);
}

/* Read \Q...\E (after "\Q") as an exact string. */
static void
required_quoted(struct rparse *rp, struct rnode *out)
{
	struct rnode	 ch = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	uint32_t	 cp;
	size_t		 n;

	rnode_clear(out);
	sset_one(&out->exact, "", 0);
	while (rp->i < rp->len && !(rp->p[rp->i] == '\\' &&
	    rp->i + 1 < rp->len && rp->p[rp->i + 1] == 'E')) {
		n = required_utf8((const unsigned char *)rp->p + rp->i,
		    rp->len - rp->i, &cp);
		rp->i += n != 0 ? n : 1;
		required_char(rp, cp, &ch);
		sset_cross(&out->exact, &ch.exact);
	}
	rp->i += 2;
	if (rp->i < rp->len && strchr("?*+{", rp->p[rp->i]) != NULL)
		rp->fail = 1;	/* it would repeat the last character only */
	rnode_clear(&ch);
	if (sset_minlen(&out->exact) > 0)
		sset_copy(&out->req, &out->exact);
}

/* One member of a class: a character (1, *cp set) or a class (-1). */
static int
required_class_item(struct rparse *rp, uint32_t *cp)
{
	size_t	n;

	if (rp->p[rp->i] == '[' && rp->i + 1 < rp->len &&
	    (rp->p[rp->i + 1] == ':' || rp->p[rp->i + 1] == '.' ||
	    rp->p[rp->i + 1] == '=')) {
		while (rp->i + 1 < rp->len && !(rp->p[rp->i] == ':' &&
		    rp->p[rp->i + 1] == ']'))
			rp->i++;
		rp->i += 2;
		return (-1);	/* [:alpha:] and friends */
	}
	if (rp->p[rp->i] == '\\') {
		rp->i++;
		if (rp->i < rp->len && rp->p[rp->i] == 'b') {
			rp->i++;
			*cp = 0x08;
			return (1);
		}
		return (required_escape(rp, cp) == 1 ? 1 : -1);
	}
	n = required_utf8((const unsigned char *)rp->p + rp->i,
	    rp->len - rp->i, cp);
	rp->i += n != 0 ? n : 1;
	return (1);
}

/* Add the characters lo..hi to a class's set, if few enough. */
static void
required_class_range(struct rparse *rp, uint32_t lo, uint32_t hi,
    struct sset *set)
{
	struct rnode	ch = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	uint32_t	c;

	if (hi < lo || hi - lo >= REQUIRED_MAX_SET) {
		sset_clear(set);
		return;
	}
	for (c = lo; c <= hi && set->ok; c++) {
		required_char(rp, c, &ch);
		sset_union(set, &ch.exact);
	}
	rnode_clear(&ch);
}

/* Read a class (after '['): the set of its characters if small. */
static void
required_class(struct rparse *rp, struct rnode *out)
{
	struct sset	set = { NULL, 0, 1 };
	uint32_t	lo, hi;
	int		first = 1, neg = 0;

	if (rp->i < rp->len && rp->p[rp->i] == '^') {
		neg = 1;
		rp->i++;
	}
	while (rp->i < rp->len && (rp->p[rp->i] != ']' || first)) {
		first = 0;
		if (required_class_item(rp, &lo) != 1) {
			sset_clear(&set);
			continue;
		}
		hi = lo;
		if (rp->i + 1 < rp->len && rp->p[rp->i] == '-' &&
		    rp->p[rp->i + 1] != ']') {
			rp->i++;
			if (required_class_item(rp, &hi) != 1) {
				sset_clear(&set);
				continue;
			}
		}
		required_class_range(rp, lo, hi, &set);
	}
	if (rp->i >= rp->len)
		rp->fail = 1;
	rp->i++;
	rnode_clear(out);
	if (!neg && set.ok && set.n > 0) {
		sset_copy(&out->exact, &set);
		sset_copy(&out->req, &set);
	}
	sset_clear(&set);
}

/*
 * Read what follows "(?" up to the group's body; returns 1 for a group
 * whose body matches text (:, |, >, names), 0 for a zero-width one
 * (lookaround, comment, options alone), with fail set for what this
 * reading does not follow.
 */
static int
required_group_kind(struct rparse *rp)
{
	const char	*p = rp->p;
	char		 c;

	c = rp->i < rp->len ? p[rp->i] : '\0';
	if (c == ':' || c == '|' || c == '>') {
		rp->i++;
		return (1);
	}
	if (c == '=' || c == '!') {
		rp->i++;
		return (0);
	}
	if (c == '<' && rp->i + 1 < rp->len && (p[rp->i + 1] == '=' ||
	    p[rp->i + 1] == '!')) {
		rp->i += 2;
		return (0);
	}
	if (c == '<' || c == '\'' || (c == 'P' && rp->i + 1 < rp->len &&
	    p[rp->i + 1] == '<')) {
		while (rp->i < rp->len && p[rp->i] != '>' &&
		    (p[rp->i] != '\'' || c != '\'' || rp->i == 0 ||
		    p[rp->i - 1] == '(' || p[rp->i - 1] == '?'))
			rp->i++;
		rp->i++;
		return (1);
	}
	if (c == '#') {
		while (rp->i < rp->len && p[rp->i] != ')')
			rp->i++;
		return (0);
	}
	while (rp->i < rp->len && strchr("imnsUJ^-", p[rp->i]) != NULL) {
		if (p[rp->i] == 'i')
			rp->saw_i = 1;
		rp->i++;
	}
	if (rp->i < rp->len && p[rp->i] == ':') {
		rp->i++;
		return (1);
	}
	if (rp->i >= rp->len || p[rp->i] != ')')
		rp->fail = 1;	/* x, recursion, conditionals, callouts */
	return (0);
}

/* Read a group (after '('). */
static void
required_group(struct rparse *rp, struct rnode *out)
{
	int	body = 1;

	if (rp->i < rp->len && rp->p[rp->i] == '*') {
		rp->fail = 1;		/* verbs */
		return;
	}
	if (rp->i < rp->len && rp->p[rp->i] == '?') {
		rp->i++;
		body = required_group_kind(rp);
		if (rp->fail)
			return;
	}
	rp->depth++;
	required_alt(rp, out);
	rp->depth--;
	if (rp->i >= rp->len || rp->p[rp->i] != ')')
		rp->fail = 1;
	rp->i++;
	if (!body)
		required_empty(out);
}

/* Read one atom at rp->i. */
static void
required_atom(struct rparse *rp, struct rnode *out)
{
	uint32_t	cp;
	size_t		n;
	int		k;

	rnode_clear(out);
	switch (rp->p[rp->i++]) {
	case '(':
		required_group(rp, out);
		return;
	case '[':
		required_class(rp, out);
		return;
	case '^': case '$':
		required_empty(out);
		return;
	case '.':
		return;
	case '\\':
		if (rp->i < rp->len && rp->p[rp->i] == 'Q') {
			rp->i++;
			required_quoted(rp, out);
			return;
		}
		if ((k = required_escape(rp, &cp)) == 1)
			required_char(rp, cp, out);
		else if (k == 0)
			required_empty(out);
		return;
	}
	rp->i--;
	n = required_utf8((const unsigned char *)rp->p + rp->i,
	    rp->len - rp->i, &cp);
	if (n == 0) {
		rp->fail = 1;
		return;
	}
	rp->i += n;
	required_char(rp, cp, out);
}

/* Read {n}, {n,} or {n,m} at rp->i; 0 if it is not one (a literal '{'). */
static int
required_braces(struct rparse *rp, unsigned long *min, int *exact)
{
	const char	*p = rp->p + rp->i, *end = rp->p + rp->len;
	const char	*q = p + 1;

	if (q >= end || !isdigit((unsigned char)*q))
		return (0);
	*min = 0;
	while (q < end && isdigit((unsigned char)*q) && *min < 100000)
		*min = *min * 10 + (unsigned long)(*q++ - '0');
	*exact = q < end && *q == '}';
	if (q < end && *q == ',') {
		q++;
		while (q < end && isdigit((unsigned char)*q))
			q++;
	}
	if (q >= end || *q != '}')
		return (0);
	rp->i += (size_t)(q + 1 - p);
	return (1);
}

/* atom^n into out (exact only when small). */
static void
required_power(const struct rnode *atom, unsigned long n, struct rnode *out)
{
	unsigned long	i;

	rnode_clear(out);
	sset_copy(&out->req, &atom->req);
	if (n > 16 || !atom->exact.ok)
		return;
	sset_one(&out->exact, "", 0);
	for (i = 0; i < n && out->exact.ok; i++)
		sset_cross(&out->exact, &atom->exact);
}

/* Apply a quantifier at rp->i, if any, to the atom just read. */
static void
required_quant(struct rparse *rp, struct rnode *atom)
{
	struct rnode	q = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	unsigned long	min;
	int		exact;
	char		c = rp->i < rp->len ? rp->p[rp->i] : '\0';

	if (c == '{' && !required_braces(rp, &min, &exact)) {
		rp->fail = 1;	/* a literal '{', or a newer PCRE2's {,n} */
		return;
	}
	if (c == '?') {
		rp->i++;
		sset_clear(&atom->req);
		sset_add(&atom->exact, "", 0);
	} else if (c == '*' || c == '+' || (c == '{' && min == 0)) {
		if (c != '{')
			rp->i++;
		if (c != '+')
			sset_clear(&atom->req);
		sset_clear(&atom->exact);
	} else if (c == '{') {
		required_power(atom, min, &q);
		if (!exact)
			sset_clear(&q.exact);
		rnode_clear(atom);
		*atom = q;
	} else
		return;
	if (rp->i < rp->len && (rp->p[rp->i] == '?' || rp->p[rp->i] == '+'))
		rp->i++;	/* lazy or possessive */
	if (rp->i < rp->len && strchr("?*+{", rp->p[rp->i]) != NULL)
		rp->fail = 1;
}

/*
 * Offer a requirement of the sequence being read; at the top level, keep
 * it too as an alternative to the best (prefilter_regexps may prefer one
 * that other patterns' literals already cover).
 */
static void
required_offer(struct rparse *rp, struct sset *best, const struct sset *cand)
{
	size_t	i, worst = 0, m = sset_minlen(cand);

	sset_better(best, cand);
	if (rp->depth != 0 || m == 0)
		return;
	if (rp->nalts < REQUIRED_MAX_ALTS) {
		sset_copy(&rp->alts[rp->nalts++], cand);
		return;
	}
	for (i = 1; i < rp->nalts; i++)
		if (sset_minlen(&rp->alts[i]) < sset_minlen(&rp->alts[worst]))
			worst = i;
	if (m > sset_minlen(&rp->alts[worst]))
		sset_copy(&rp->alts[worst], cand);
}

/* End a run of exact atoms: offer it as a requirement, start anew. */
static void
required_run_end(struct rparse *rp, struct sset *run, struct sset *best)
{
	required_offer(rp, best, run);
	sset_one(run, "", 0);
}

/* Read a sequence up to '|', ')' or the end. */
static void
required_seq(struct rparse *rp, struct rnode *out)
{
	struct rnode	atom = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	struct sset	run = { NULL, 0, 0 }, best = { NULL, 0, 0 };
	struct sset	all = { NULL, 0, 0 }, prev = { NULL, 0, 0 };

	sset_one(&run, "", 0);
	sset_one(&all, "", 0);
	while (!rp->fail && rp->i < rp->len && rp->p[rp->i] != '|' &&
	    rp->p[rp->i] != ')') {
		if (rp->p[rp->i] == '{') {
			rp->fail = 1;
			break;
		}
		required_atom(rp, &atom);
		required_quant(rp, &atom);
		if (atom.exact.ok)
			sset_better(&best, &atom.req);
		else
			required_offer(rp, &best, &atom.req);
		sset_cross(&all, &atom.exact);
		if (!atom.exact.ok) {
			required_run_end(rp, &run, &best);
			continue;
		}
		sset_copy(&prev, &run);
		sset_cross(&run, &atom.exact);
		if (!run.ok) {		/* too large: start from this atom */
			required_offer(rp, &best, &prev);
			sset_copy(&run, &atom.exact);
		}
	}
	sset_clear(&prev);
	required_run_end(rp, &run, &best);
	rnode_clear(out);
	out->exact = all;
	out->req = best;
	sset_clear(&run);
	rnode_clear(&atom);
}

/* Read an alternation up to ')' or the end. */
static void
required_alt(struct rparse *rp, struct rnode *out)
{
	struct rnode	br = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	int		first = 1;

	rnode_clear(out);
	for (;;) {
		required_seq(rp, &br);
		if (first) {
			sset_copy(&out->exact, &br.exact);
			sset_copy(&out->req, &br.req);
			first = 0;
		} else {
			sset_union(&out->exact, &br.exact);
			sset_union(&out->req, &br.req);
		}
		if (rp->depth == 0)
			rp->branches++;
		if (rp->fail || rp->i >= rp->len || rp->p[rp->i] != '|')
			break;
		rp->i++;
	}
	rnode_clear(&br);
	if (sset_minlen(&out->req) == 0)
		sset_clear(&out->req);
}

/* Add a literal to a set (for callers building sets by hand). */
void
required_add(struct reqset *rs, const char *s, size_t len, int caseless)
{
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n].s = xmemdup(s, len);
	rs->v[rs->n].len = len;
	rs->v[rs->n++].caseless = caseless;
}

/* Hand the top-level alternatives to the caller (one branch only). */
static void
required_alts(struct rparse *rp, int caseless, struct reqset *alts,
    size_t *nalts)
{
	size_t	i, j;

	for (i = 0; i < rp->nalts; i++) {
		if (alts != NULL && rp->branches == 1 && *nalts <
		    REQUIRED_MAX_ALTS) {
			memset(&alts[*nalts], 0, sizeof alts[*nalts]);
			for (j = 0; j < rp->alts[i].n; j++)
				required_add(&alts[*nalts], rp->alts[i].v[j].s,
				    rp->alts[i].v[j].len, caseless);
			(*nalts)++;
		}
		sset_clear(&rp->alts[i]);
	}
}

/* Parse the whole pattern; 0 and the requirement in out, or -1. */
static int
required_parse(const char *p, size_t len, int caseless, struct rnode *out,
    int *saw_i, struct reqset *alts, size_t *nalts)
{
	struct rparse	rp;
	int		rc = 0;

	memset(&rp, 0, sizeof rp);
	rp.p = p;
	rp.len = len;
	rp.caseless = caseless;
	required_alt(&rp, out);
	*saw_i = rp.saw_i;
	if (rp.fail || rp.i != len || sset_minlen(&out->req) == 0)
		rc = -1;
	required_alts(&rp, caseless, rc == 0 && !(*saw_i && !caseless) ?
	    alts : NULL, nalts);
	return (rc);
}

/*
 * Find the required literals of pattern p (compiled caseless or not).
 * Returns 0 with out filled (the caller frees it), or -1: no set.  alts
 * (REQUIRED_MAX_ALTS of them, or NULL) gets other sets that would do as
 * well, *nalts their number, the best among them too.
 */
int
required_literals(const char *p, size_t len, int caseless, struct reqset *out,
    struct reqset *alts, size_t *nalts)
{
	struct rnode	n = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	size_t		i, none = 0;
	int		rc, saw_i;

	memset(out, 0, sizeof *out);
	if (nalts == NULL)
		nalts = &none;
	*nalts = 0;
	rc = required_parse(p, len, caseless, &n, &saw_i, alts, nalts);
	if (saw_i && !caseless) {	/* an inline (?i): read it all so */
		caseless = 1;
		rnode_clear(&n);
		rc = required_parse(p, len, caseless, &n, &saw_i, alts, nalts);
	}
	if (rc == 0)
		for (i = 0; i < n.req.n; i++)
			required_add(out, n.req.v[i].s, n.req.v[i].len,
			    caseless);
	rnode_clear(&n);
	return (rc);
}

/* Free a set's literals. */
void
required_free(struct reqset *rs)
{
	size_t	i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].s);
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}
