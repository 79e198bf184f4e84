/* Pattern lists: collect, compile (JIT with interpreter fallback), match. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "filter.h"
#include "log.h"
#include "pattern.h"
#include "prefilter.h"
#include "scratch.h"
#include "utf8.h"
#include "xmalloc.h"

#define PATTERN_COMPILE_FLAGS	(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
#define PATTERN_FILE_MAX	(16 * 1024 * 1024)	/* patterns_file size */
#define PATTERN_PHRASES_MAX	(64 * 1024 * 1024)	/* phrases_file size */
#define PATTERN_BAD_LINES	10	/* bad phrase lines reported */

/*
 * Add one pattern with the place it was written: a copy of text, or text
 * itself if borrow is set (the bytes of a phrases file, in p->files).
 */
static void
patterns_add(struct patterns *p, const char *text, size_t len,
    const char *file, int line, int borrow)
{
	struct pattern_src	*s;

	if (p->n == p->cap) {
		p->cap = p->cap != 0 ? p->cap * 2 : 4;
		p->src = xreallocarray(p->src, p->cap, sizeof *p->src);
	}
	s = &p->src[p->n++];
	s->text = borrow ? (char *)text : xmemdup(text, len);
	s->text_borrowed = borrow != 0;
	s->len = len;
	s->line = line;
	s->file_shared = p->n > 1 && (s[-1].file == file ||
	    strcmp(s[-1].file, file) == 0);
	s->file = s->file_shared ? s[-1].file : xstrdup(file);
}

/*
 * The name to give the next line of the file just added from: the copy
 * its last source keeps, which patterns_add knows by its address, so
 * that a file of 100,000 lines does not compare its name 100,000 times.
 */
static const char *
patterns_file_name(const struct patterns *p, const char *path, size_t before)
{
	return (p->n > before ? p->src[p->n - 1].file : path);
}

/* Room for n more sources, so that a long list is not copied as it grows. */
static void
patterns_reserve(struct patterns *p, size_t n)
{
	if (p->cap - p->n >= n)
		return;
	p->cap = p->n + n;
	p->src = xreallocarray(p->src, p->cap, sizeof *p->src);
}

/*
 * The number of lines of the len bytes at buf that are not empty (a last
 * one unended too): the room a phrases file needs, which a file of empty
 * lines would otherwise make 32 bytes a byte.
 */
static size_t
patterns_count_phrases(const char *buf, size_t len)
{
	const char	*q = buf, *end = buf + len, *nl;
	size_t		 n = 0;

	while (q < end) {
		if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL)
			return (n + 1);
		n += nl != q;
		q = nl + 1;
	}
	return (n);
}

/*
 * All of an open file, at most max bytes, in a buffer of its own (its
 * length in *len); NULL with *cause set if it is larger or unreadable.
 */
static char *
patterns_slurp(FILE *f, size_t max, size_t *len, char **cause)
{
	struct stat	 sb;
	size_t		 cap, n = 0, got;
	char		*buf;

	cap = fstat(fileno(f), &sb) == 0 && sb.st_size > 0 &&
	    (size_t)sb.st_size <= max ? (size_t)sb.st_size + 1 : 65536;
	buf = xmalloc(cap);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		if ((n += got) > max) {
			*cause = xasprintf("is larger than %zu bytes", max);
			free(buf);
			return (NULL);
		}
		if (n == cap)
			buf = xrealloc(buf, (cap *= 2));
	}
	if (ferror(f)) {
		*cause = xasprintf("cannot read: %s", strerror(errno));
		free(buf);
		return (NULL);
	}
	*len = n;
	return (buf);
}

/*
 * The next line of a patterns or phrases file (n bytes at buf) from *off,
 * in *t, with no line ending and no UTF-8 byte order mark on line 1; its
 * length, or -1 at the end.
 */
static ssize_t
patterns_buf_line(const char *buf, size_t n, size_t *off, int *lineno,
    const char **t)
{
	const char	*p = buf + *off, *nl;
	size_t		 len;

	if (*off >= n)
		return (-1);
	nl = memchr(p, '\n', n - *off);
	len = nl != NULL ? (size_t)(nl - p) : n - *off;
	*off += len + (nl != NULL);
	if (++*lineno == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (len > 0 && p[len - 1] == '\r')
		len--;
	*t = p;
	return ((ssize_t)len);
}

/*
 * A patterns or phrases file (what), whole, opened as config_open opens
 * files, at most max bytes; NULL with *cause set if it cannot be read.
 */
static char *
patterns_read(const char *path, off_t max, const char *what, size_t *len,
    char **cause)
{
	FILE	*f;
	char	*buf = NULL, *why = NULL;

	if ((f = config_open(path, max, &why)) != NULL) {
		buf = patterns_slurp(f, (size_t)max, len, &why);
		fclose(f);
	}
	if (buf == NULL) {
		*cause = xasprintf("%s %s: %s", what, path, why);
		free(why);
	}
	return (buf);
}

/* Read a patterns file: one pattern a line, '#' comments and blanks skipped. */
static int
patterns_load_file(struct patterns *p, const char *path, char **cause)
{
	const char	*t;
	char		*buf;
	size_t		 len, off = 0, before = p->n;
	ssize_t		 n;
	int		 lineno = 0, added = 0;

	if ((buf = patterns_read(path, PATTERN_FILE_MAX, "patterns file",
	    &len, cause)) == NULL)
		return (-1);
	while ((n = patterns_buf_line(buf, len, &off, &lineno, &t)) != -1) {
		if (n == 0 || t[0] == '#')
			continue;
		patterns_add(p, t, (size_t)n, patterns_file_name(p, path,
		    before), lineno, 0);
		added++;
	}
	free(buf);
	if (added == 0) {
		*cause = xasprintf("patterns file %s holds no pattern", path);
		return (-1);
	}
	return (0);
}

/* Check one line of a phrases file; 0, or -1 with an error reported. */
static int
patterns_phrase_ok(const char *t, size_t n, int utf8_checked,
    const char *path, int lineno, struct config_ctx *ctx)
{
	if (n > PATTERN_PHRASE_MAX) {
		config_error(ctx, path, lineno, "phrase longer than %d bytes",
		    PATTERN_PHRASE_MAX);
		return (-1);
	}
	if (!utf8_checked && !utf8_valid(t, n)) {
		config_error(ctx, path, lineno, "phrase is not valid UTF-8");
		return (-1);
	}
	if (t[0] == '\0') {	/* Vectorscan's literals cannot */
		config_error(ctx, path, lineno, "phrase starts with a NUL "
		    "byte");
		return (-1);
	}
	return (0);
}

/*
 * Read a phrases file: every line is one phrase of literal text (no
 * escaping, no comments); empty lines are skipped, a UTF-8 byte order
 * mark at its start and line endings are not part of a phrase.  A bad
 * line is reported as FILE:LINE (the first PATTERN_BAD_LINES of them).
 * The file is read whole and kept (p->files): the phrases are its bytes,
 * not copies, and it is checked as UTF-8 in one pass (line by line only
 * if it is not valid, to say where).
 */
static int
patterns_load_phrases(struct patterns *p, const char *path,
    struct config_ctx *ctx, char **cause)
{
	const char	*t;
	char		*buf;
	size_t		 len, off = 0, before = p->n;
	ssize_t		 n;
	int		 lineno = 0, bad = 0, valid;

	if ((buf = patterns_read(path, PATTERN_PHRASES_MAX, "phrases file",
	    &len, cause)) == NULL)
		return (-1);
	p->files = xreallocarray(p->files, p->nfiles + 1, sizeof *p->files);
	p->files[p->nfiles++] = buf;
	valid = utf8_valid(buf, len);
	patterns_reserve(p, patterns_count_phrases(buf, len));
	while ((n = patterns_buf_line(buf, len, &off, &lineno, &t)) != -1) {
		if (n == 0)
			continue;
		if (bad < PATTERN_BAD_LINES && patterns_phrase_ok(t, (size_t)n,
		    valid, path, lineno, ctx) != 0)
			bad++;
		else if (bad == 0)
			patterns_add(p, t, (size_t)n, patterns_file_name(p,
			    path, before), lineno, 1);
	}
	p->nphrases += p->n - before;
	if (bad != 0)
		p->failed = 1;
	else if (p->n == before) {
		*cause = xasprintf("phrases file %s holds no phrase", path);
		return (-1);
	}
	return (0);
}

/*
 * Take a pattern key: prefix "" gives pattern, patterns_file and
 * phrases_file; "begin" gives begin, begin_file and begin_phrases_file.
 * Returns 1 if the key was not a pattern key.
 */
int
patterns_conf_set(struct patterns *p, const char *prefix,
    const struct cfgkey *k, struct config_ctx *ctx, char **cause)
{
	char	 name[64], file[64], phr[64];
	char	*path;
	int	 rc;

	if (*prefix == '\0') {
		snprintf(name, sizeof name, "pattern");
		snprintf(file, sizeof file, "patterns_file");
		snprintf(phr, sizeof phr, "phrases_file");
	} else {
		snprintf(name, sizeof name, "%s", prefix);
		snprintf(file, sizeof file, "%s_file", prefix);
		snprintf(phr, sizeof phr, "%s_phrases_file", prefix);
	}
	if (strcmp(k->key, phr) == 0) {
		path = config_resolve_path(ctx, k->value);
		if ((rc = patterns_load_phrases(p, path, ctx, cause)) != 0)
			p->failed = 1;
		free(path);
		return (rc);
	}
	if (strcmp(k->key, name) == 0) {
		if (*k->value == '\0') {
			*cause = xasprintf("%s is empty", name);
			return (-1);
		}
		patterns_add(p, k->value, strlen(k->value), k->file, k->line,
		    0);
		return (0);
	}
	if (strcmp(k->key, file) == 0) {
		path = config_resolve_path(ctx, k->value);
		if ((rc = patterns_load_file(p, path, cause)) != 0)
			p->failed = 1;
		free(path);
		return (rc);
	}
	return (1);
}

/* Compile one source alone, reporting PCRE2's message and offset. */
static int
patterns_check_one(const struct pattern_src *s, uint32_t flags,
    struct config_ctx *ctx)
{
	pcre2_code	*re;
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 err;

	re = pcre2_compile((PCRE2_SPTR)s->text, s->len, flags, &err, &off,
	    NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		config_error(ctx, s->file, s->line,
		    "bad pattern at offset %zu: %s", (size_t)off, msg);
		return (-1);
	}
	pcre2_code_free(re);
	return (0);
}

/* Join every source as (?:a)|(?:b)|... so any one matches. */
static char *
patterns_join(const struct patterns *p, size_t *len)
{
	size_t	 i, n = 0, off = 0;
	char	*s;

	for (i = 0; i < p->n; i++)
		n += p->src[i].len + 6;
	s = xmalloc(n + 1);
	for (i = 0; i < p->n; i++) {
		if (i != 0)
			s[off++] = '|';
		memcpy(s + off, "(?:", 3);
		off += 3;
		memcpy(s + off, p->src[i].text, p->src[i].len);
		off += p->src[i].len;
		s[off++] = ')';
	}
	*len = off;
	return (s);
}

/* Bytes in the UTF-8 character starting with byte c (1 if invalid). */
static size_t
pattern_utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return (4);
	if (c >= 0xe0)
		return (c < 0xf0 ? 3 : 1);
	if (c >= 0xc0)
		return (2);
	return (1);
}

/* Bytes of a character class starting at p[i] == '['. */
static size_t
pattern_class_len(const char *p, size_t len, size_t i)
{
	size_t	j = i + 1;

	if (j < len && p[j] == '^')
		j++;
	if (j < len && p[j] == ']')
		j++;
	while (j < len && p[j] != ']') {
		if (p[j] == '\\')
			j++;
		else if (p[j] == '[' && j + 1 < len && p[j + 1] == ':') {
			while (j + 1 < len && !(p[j] == ':' && p[j + 1] == ']'))
				j++;
			j++;
		}
		j++;
	}
	return (j + 1 - i);
}

/*
 * Read the atom at p[i]: its length, and whether it is one literal
 * character outside any group.  0 means "beyond this simple reading".
 */
static size_t
pattern_atom(const char *p, size_t len, size_t i, int *depth, int *lit)
{
	unsigned char	c = (unsigned char)p[i], d;

	*lit = 0;
	if (c == '\\') {
		if (i + 1 >= len)
			return (0);
		d = (unsigned char)p[i + 1];
		if (d >= 0x80)
			return (0);
		if (!isalnum(d)) {
			*lit = (*depth == 0);
			return (2);
		}
		return (strchr("dDsShHvVwWbBAzZGRXKnrtfae", d) ? 2 : 0);
	}
	if (c == '[')
		return (pattern_class_len(p, len, i));
	if (c == '(') {
		if (i + 1 < len && (p[i + 1] == '*' || (p[i + 1] == '?' &&
		    (i + 2 >= len || p[i + 2] != ':'))))
			return (0);	/* verbs, options, lookaround */
		(*depth)++;
		return (i + 1 < len && p[i + 1] == '?' ? 3 : 1);
	}
	if (c == ')') {
		(*depth)--;
		return (1);
	}
	if (c == '|')
		return (*depth == 0 ? 0 : 1);
	if (strchr("^$.*+?{", c) != NULL)
		return (1);
	*lit = (*depth == 0);
	return (pattern_utf8_len(c));
}

/* Bytes of the quantifier at p[i], if any, lazy or possessive suffix too. */
static size_t
pattern_quant_len(const char *p, size_t len, size_t i)
{
	size_t	j = i;

	if (j >= len || strchr("*+?{", p[j]) == NULL || p[j] == '\0')
		return (0);
	if (p[j] == '{')
		while (j < len && p[j] != '}')
			j++;
	j++;
	if (j < len && (p[j] == '?' || p[j] == '+'))
		j++;
	return (j - i);
}

/*
 * Find the longest run of literal characters every match of pattern p must
 * contain: characters outside any group, class or escape, not made
 * optional by a quantifier.  Returns its length in the pattern and its
 * offset, or 0 when the pattern is beyond this simple reading (a top-level
 * '|', inline options, lookaround, \Q quoting, most escapes).  It is only
 * a necessary condition: PCRE2 still decides.
 */
size_t
pattern_literal(const char *p, size_t len, size_t *off)
{
	size_t	i = 0, n, q, start = 0, run = 0, best = 0;
	int	depth = 0, lit, keep;

	*off = 0;
	while (i < len) {
		if ((n = pattern_atom(p, len, i, &depth, &lit)) == 0)
			return (0);
		q = pattern_quant_len(p, len, i + n);
		keep = lit && (q == 0 || p[i + n] == '+');
		if (keep) {
			if (run == 0)
				start = i;
			run += n;
		}
		if (!keep || q != 0) {
			if (run > best) {
				best = run;
				*off = start;
			}
			run = 0;
		}
		i += n + q;
	}
	if (run > best) {
		best = run;
		*off = start;
	}
	return (best);
}

#define PATTERN_RARE	10	/* commonness of a byte worth a memchr */

/* How common a byte is in text (Chinese or English); lower is rarer. */
static int
pattern_byte_commonness(unsigned char c)
{
	if (c >= 0xe4 && c <= 0xe9)
		return (100);	/* lead bytes of most CJK characters */
	if (c == ' ' || strchr("etaoinsrhl", c) != NULL)
		return (90);
	if (isalpha(c))
		return (70);
	if (isdigit(c) || c == ',' || c == '.')
		return (50);
	if (c >= 0x80 && c <= 0xbf)
		return (30);	/* one continuation byte value */
	return (PATTERN_RARE);
}

/* The index of the literal's rarest byte (the last of equals). */
static size_t
pattern_lit_anchor(const char *s, size_t len)
{
	size_t	i, best = 0;

	for (i = 1; i < len; i++) {
		if (pattern_byte_commonness((unsigned char)s[i]) <=
		    pattern_byte_commonness((unsigned char)s[best]))
			best = i;
	}
	return (best);
}

/* Does hay hold the literal?  memchr for its rarest byte, then compare. */
static int
pattern_lit_in(const struct pattern_lit *lit, const char *hay, size_t len)
{
	const char	*p = hay + lit->anchor, *end = hay + len;
	const char	*at;

	if (len < lit->len)
		return (0);
	end -= lit->len - lit->anchor - 1;
	while (p < end && (at = memchr(p, lit->s[lit->anchor],
	    (size_t)(end - p))) != NULL) {
		if (memcmp(at - lit->anchor, lit->s, lit->len) == 0)
			return (1);
		p = at + 1;
	}
	return (0);
}

/*
 * Set up the prefilter: one literal per pattern, each with a rare byte to
 * look for, or none at all.  A literal made only of common bytes (CJK
 * text) is no use: memchr would stop every few bytes, and PCRE2's own JIT
 * search is faster there.
 */
static void
patterns_prefilter(struct patterns *p)
{
	size_t	i, j, off, len, w;
	char	*lit;

	if (p->caseless || p->n > PATTERN_MAX_LITS)
		return;
	for (i = 0; i < p->n; i++) {
		len = pattern_literal(p->src[i].text, p->src[i].len, &off);
		if (len < 2) {
			for (j = 0; j < p->nlits; j++)
				free(p->lits[j].s);
			p->nlits = 0;
			return;
		}
		lit = xmalloc(len);
		for (j = off, w = 0; j < off + len; j++) {
			if (p->src[i].text[j] == '\\')
				j++;
			lit[w++] = p->src[i].text[j];
		}
		p->lits[p->nlits].s = lit;
		p->lits[p->nlits].len = w;
		p->lits[p->nlits++].anchor = pattern_lit_anchor(lit, w);
		if (pattern_byte_commonness((unsigned char)
		    lit[p->lits[p->nlits - 1].anchor]) > PATTERN_RARE) {
			for (j = 0; j < p->nlits; j++)
				free(p->lits[j].s);
			p->nlits = 0;
			return;
		}
	}
}

/* Can a whole line match at all?  (No literal present: certainly not.) */
int
patterns_may_match(const struct patterns *p, const char *s, size_t len)
{
	size_t	i;

	if (p->nlits == 0)
		return (1);
	for (i = 0; i < p->nlits; i++) {
		if (pattern_lit_in(&p->lits[i], s, len))
			return (1);
	}
	return (0);
}

/* JIT-compile for complete and partial matching; say if it was not possible. */
static void
patterns_jit(struct patterns *p, const struct config_ctx *ctx)
{
	static int	warned;
	int		rc;

	if (!ctx->jit)
		return;		/* [engine] jit = no: the interpreter */
	rc = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE |
	    PCRE2_JIT_PARTIAL_HARD);
	p->jit = (rc == 0);
	if (!p->jit && __atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED) == 0)
		log_warnx("PCRE2 JIT unavailable (error %d): patterns run in "
		    "the interpreter", rc);
}

/* Compile the first n sources joined; NULL with *err set if they do not. */
static pcre2_code *
patterns_compile_joined(const struct patterns *p, size_t n, uint32_t flags,
    int *err)
{
	struct patterns	 part = *p;
	pcre2_code	*re;
	PCRE2_SIZE	 off;
	size_t		 len;
	char		*joined;

	part.n = n;
	joined = patterns_join(&part, &len);
	re = pcre2_compile((PCRE2_SPTR)joined, len, flags | PCRE2_DUPNAMES,
	    err, &off, NULL);
	free(joined);
	return (re);
}

/* How many of the first sources compile together (binary search). */
static size_t
patterns_fit(const struct patterns *p, uint32_t flags)
{
	pcre2_code	*re;
	size_t		 lo = 0, hi = p->n, mid;
	int		 err;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if ((re = patterns_compile_joined(p, mid, flags, &err)) !=
		    NULL) {
			pcre2_code_free(re);
			lo = mid;
		} else
			hi = mid;
	}
	return (lo);
}

/* The compiled size PCRE2's link size allows, in KiB. */
static unsigned long long
patterns_max_kib(void)
{
	uint32_t	link = 2;

	pcre2_config(PCRE2_CONFIG_LINKSIZE, &link);
	if (link >= 4)
		return (2ULL * 1024 * 1024);
	return ((1ULL << (8 * link)) / 1024);
}

/* Say why the list does not combine into one expression, and what to do. */
static void
patterns_combine_error(const struct patterns *p, const char *what,
    uint32_t flags, int err, struct config_ctx *ctx)
{
	PCRE2_UCHAR	 msg[256];
	char		 label[64];

	pcre2_get_error_message(err, msg, sizeof msg);
	if (strcmp(what, "pattern") == 0)
		snprintf(label, sizeof label, "%s", p->phrases ? "phrases" :
		    "patterns");
	else
		snprintf(label, sizeof label, "%s %s", what, p->phrases ?
		    "phrases" : "patterns");
	if (err != PCRE2_ERROR_PATTERN_TOO_LARGE) {
		config_error(ctx, p->src[0].file, p->src[0].line,
		    "the %zu %s of this rule do not combine into one "
		    "expression: %s", p->n, label, msg);
		return;
	}
	config_error(ctx, p->src[0].file, p->src[0].line,
	    "the %zu %s of this rule are too large together for one PCRE2 "
	    "expression (%s: this PCRE2 build limits a compiled expression "
	    "to %llu KiB); only the first %zu fit: split the list across "
	    "several rules%s", p->n, label, msg, patterns_max_kib(),
	    patterns_fit(p, flags), p->phrases ? " (scrubd built with "
	    "Vectorscan takes any number of phrases in one rule)" : "");
}

/*
 * Rewrite a phrase as a PCRE2 pattern matching exactly its text: ASCII
 * punctuation quoted, control characters as \x{..}, ASCII letters as
 * [aA] when caseless (the ASCII folding the prefilter's matcher does).
 */
static void
patterns_quote(struct pattern_src *s, int caseless)
{
	unsigned char	 c;
	char		*q, *w;
	size_t		 i;

	w = q = xmalloc(s->len * 6 + 1);
	for (i = 0; i < s->len; i++) {
		c = (unsigned char)s->text[i];
		if (c >= 0x80 || (isalnum(c) && !(caseless && isalpha(c))))
			*w++ = (char)c;
		else if (isalpha(c))
			w += sprintf(w, "[%c%c]", tolower(c), toupper(c));
		else if (c < 0x20 || c == 0x7f)
			w += sprintf(w, "\\x{%02x}", c);
		else {
			*w++ = '\\';
			*w++ = (char)c;
		}
	}
	if (!s->text_borrowed)
		free(s->text);
	s->text = q;
	s->text_borrowed = 0;
	s->len = (size_t)(w - q);
}

/*
 * A phrase list: with the prefilter, its database matches it (see
 * prefilter_build); else each phrase becomes a quoted PCRE2 pattern.
 * Returns 1 when there is nothing for PCRE2 to compile.
 */
static int
patterns_phrases(struct patterns *p, const char *what, const char *file,
    int line, struct config_ctx *ctx)
{
	size_t	i;

	if (p->nphrases == 0)
		return (0);
	p->phrases = 1;
	if (p->nphrases != p->n) {
		config_error(ctx, file, line, "%s: a rule's list takes either "
		    "patterns or a phrases file, not both: use two rules",
		    what);
		return (1);
	}
	for (i = 0; i < p->n; i++)
		if (p->src[i].len > p->maxlen)
			p->maxlen = p->src[i].len;
	p->pairs = 1;
	if (prefilter_phrases_enabled())
		return (1);
	for (i = 0; i < p->n; i++)
		patterns_quote(&p->src[i], p->caseless);
	return (0);
}

/*
 * Compile the list into one expression.  what names the key for "missing"
 * errors; file/line is the section header.
 */
void
patterns_compile(struct patterns *p, const char *what, const char *file,
    int line, struct config_ctx *ctx)
{
	uint32_t	 flags = PATTERN_COMPILE_FLAGS, lb;
	size_t		 i;
	int		 err, bad = 0;

	if (p->n == 0) {
		if (!p->failed)	/* else that error says it already */
			config_error(ctx, file, line, "missing required key %s",
			    what);
		return;
	}
	if (patterns_phrases(p, what, file, line, ctx))
		return;
	if (p->caseless && !p->phrases)
		flags |= PCRE2_CASELESS;
	for (i = 0; i < p->n; i++)
		bad |= patterns_check_one(&p->src[i], flags, ctx);
	if (bad)
		return;
	if ((p->re = patterns_compile_joined(p, p->n, flags, &err)) == NULL) {
		patterns_combine_error(p, what, flags, err, ctx);
		return;
	}
	if (pcre2_pattern_info(p->re, PCRE2_INFO_MAXLOOKBEHIND, &lb) != 0)
		lb = 0;
	if (pcre2_pattern_info(p->re, PCRE2_INFO_CAPTURECOUNT, &p->pairs) != 0)
		p->pairs = 0;
	p->pairs++;
	p->lookbehind = (size_t)lb * 4;	/* characters to UTF-8 bytes */
	patterns_jit(p, ctx);
	patterns_prefilter(p);
}

/* Release the sources and the compiled code. */
void
patterns_free(struct patterns *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		if (!p->src[i].text_borrowed)
			free(p->src[i].text);
		if (!p->src[i].file_shared)
			free(p->src[i].file);
	}
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	for (i = 0; i < p->nlits; i++)
		free(p->lits[i].s);
	free(p->src);
	free(p->sorted);
	pcre2_code_free(p->re);
	memset(p, 0, sizeof *p);
}

/* Match data sized for this expression (the tests' own). */
pcre2_match_data *
patterns_match_data(const struct patterns *p)
{
	pcre2_match_data	*md;

	md = pcre2_match_data_create_from_pattern(p->re, NULL);
	if (md == NULL)
		fatalx("out of memory creating match data");
	return (md);
}

/* The match data of the stage's thread, with room for p's groups. */
pcre2_match_data *
patterns_md(const struct patterns *p, struct stage *st)
{
	return (scratch_match_data(engine_scratch(st->engine), p->pairs));
}

/* A match failed (limits, JIT stack): count it and warn for the rule. */
static void
patterns_match_failed(struct stage *st, int rc)
{
	PCRE2_UCHAR	msg[256];
	char		why[384];

	pcre2_get_error_message(rc, msg, sizeof msg);
	if (st == NULL) {
		log_debug("pattern failed to run: %s", msg);
		return;
	}
	snprintf(why, sizeof why, "a pattern failed to run (%s): the text "
	    "is kept as if it did not match", msg);
	stage_match_error(st, why);
}

/* Match a phrase list with the prefilter's database; results in md. */
static enum pattern_result
patterns_exec_phrases(const struct patterns *p, struct stage *st,
    pcre2_match_data *md, const char *s, size_t len, size_t start,
    uint32_t opts)
{
	struct scratch		*sc;
	PCRE2_SIZE		*ov = pcre2_get_ovector_pointer(md);
	enum pattern_result	 r;
	size_t			 ms, me;

	sc = st != NULL ? engine_scratch(st->engine) : scratch_new();
	r = phrases_exec(p, sc, s, len, start, opts, &ms, &me);
	if (st == NULL)
		scratch_free(sc);
	if (r != PATTERN_NOMATCH) {
		ov[0] = ms;
		ov[1] = me;
	}
	return (r);
}

/*
 * Can a whole line l match the list at all?  No when the prefilter saw
 * the line whole and found none of the list's literals in it.
 */
int
patterns_may_line(const struct patterns *p, const struct stage *st,
    const struct line *l)
{
	return (p->pf_id == 0 || l->scan == 0 ||
	    engine_may(st->engine, p->pf_id - 1, l->scan));
}

/*
 * Run one match from offset start, with the JIT stack, limits and (md
 * NULL) match data of the stage's thread; st NULL: PCRE2's defaults and
 * the caller's md.  Errors (match limits, JIT stack) count as no match: a
 * rule that cannot decide leaves the text alone; they are counted in the
 * stage's match_errors.
 */
enum pattern_result
patterns_exec(const struct patterns *p, struct stage *st,
    pcre2_match_data *md, const char *s, size_t len, size_t start,
    uint32_t opts)
{
	pcre2_match_context	*mctx = NULL;
	int			 rc;

	if (md == NULL)
		md = patterns_md(p, st);
	if (p->re == NULL)
		return (patterns_exec_phrases(p, st, md, s, len, start, opts));
	if (st != NULL)
		mctx = scratch_match_context(engine_scratch(st->engine));
	if (p->jit)	/* the JIT fast path: no per-call option checks */
		rc = pcre2_jit_match(p->re, (PCRE2_SPTR)s, len, start, opts,
		    md, mctx);
	else
		rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, start, opts, md,
		    mctx);
	if (rc >= 0)
		return (PATTERN_MATCH);
	if (rc == PCRE2_ERROR_PARTIAL)
		return (PATTERN_PARTIAL);
	if (rc != PCRE2_ERROR_NOMATCH)
		patterns_match_failed(st, rc);
	return (PATTERN_NOMATCH);
}

/* Does the pattern match anywhere in a line?  more: text continues. */
int
patterns_test(const struct patterns *p, struct stage *st,
    pcre2_match_data *md, const char *s, size_t len, int more)
{
	if (!more && !patterns_may_match(p, s, len))
		return (0);
	return (patterns_exec(p, st, md, s, len, 0, more ? PCRE2_NOTEOL : 0)
	    == PATTERN_MATCH);
}
