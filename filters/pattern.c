/* Pattern lists: collect, compile (JIT with interpreter fallback), match. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "log.h"
#include "pattern.h"
#include "xmalloc.h"

#define PATTERN_COMPILE_FLAGS	(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)

/* Add one pattern with the place it was written. */
static void
patterns_add(struct patterns *p, const char *text, size_t len,
    const char *file, int line)
{
	struct pattern_src	*s;

	p->src = xreallocarray(p->src, p->n + 1, sizeof *p->src);
	s = &p->src[p->n++];
	s->text = xmemdup(text, len);
	s->len = len;
	s->file = xstrdup(file);
	s->line = line;
}

/* Read a patterns file: one pattern a line, '#' comments and blanks skipped. */
static int
patterns_load_file(struct patterns *p, const char *path, char **cause)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, added = 0;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("cannot open patterns file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		patterns_add(p, line, (size_t)n, path, lineno);
		added++;
	}
	free(line);
	fclose(f);
	if (added == 0) {
		*cause = xasprintf("patterns file %s holds no pattern", path);
		return (-1);
	}
	return (0);
}

/*
 * Take a pattern key: prefix "" gives pattern, patterns_file; "begin"
 * gives begin, begin_file.  Returns 1 if the key was not a pattern key.
 */
int
patterns_conf_set(struct patterns *p, const char *prefix,
    const struct cfgkey *k, struct config_ctx *ctx, char **cause)
{
	char	 name[64], file[64];
	char	*path;
	int	 rc;

	if (*prefix == '\0') {
		snprintf(name, sizeof name, "pattern");
		snprintf(file, sizeof file, "patterns_file");
	} else {
		snprintf(name, sizeof name, "%s", prefix);
		snprintf(file, sizeof file, "%s_file", prefix);
	}
	if (strcmp(k->key, name) == 0) {
		if (*k->value == '\0') {
			*cause = xasprintf("%s is empty", name);
			return (-1);
		}
		patterns_add(p, k->value, strlen(k->value), k->file, k->line);
		return (0);
	}
	if (strcmp(k->key, file) == 0) {
		path = config_resolve_path(ctx, k->value);
		rc = patterns_load_file(p, path, cause);
		free(path);
		return (rc);
	}
	return (1);
}

/* Compile one source alone, reporting PCRE2's message and offset. */
static int
patterns_check_one(const struct patterns *p, const struct pattern_src *s,
    uint32_t flags, struct config_ctx *ctx)
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
	(void)p;
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

/* JIT-compile for complete and partial matching; say if it was not possible. */
static void
patterns_jit(struct patterns *p)
{
	static int	warned;
	int		rc;

	rc = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE |
	    PCRE2_JIT_PARTIAL_HARD);
	p->jit = (rc == 0);
	if (!p->jit && !warned) {
		warned = 1;
		log_warnx("PCRE2 JIT unavailable (error %d): patterns run in "
		    "the interpreter", rc);
	}
}

/*
 * Compile the list into one expression.  what names the key for "missing"
 * errors; file/line is the section header.
 */
void
patterns_compile(struct patterns *p, const char *what, const char *file,
    int line, struct config_ctx *ctx)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	uint32_t	 flags = PATTERN_COMPILE_FLAGS, lb;
	size_t		 i, len;
	char		*joined;
	int		 err, bad = 0;

	if (p->n == 0) {
		config_error(ctx, file, line, "missing required key %s", what);
		return;
	}
	if (p->caseless)
		flags |= PCRE2_CASELESS;
	for (i = 0; i < p->n; i++)
		bad |= patterns_check_one(p, &p->src[i], flags, ctx);
	if (bad)
		return;
	joined = patterns_join(p, &len);
	p->re = pcre2_compile((PCRE2_SPTR)joined, len, flags | PCRE2_DUPNAMES,
	    &err, &off, NULL);
	free(joined);
	if (p->re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		config_error(ctx, p->src[0].file, p->src[0].line,
		    "the %zu %s patterns do not combine: %s", p->n, what, msg);
		return;
	}
	if (pcre2_pattern_info(p->re, PCRE2_INFO_MAXLOOKBEHIND, &lb) != 0)
		lb = 0;
	p->lookbehind = (size_t)lb * 4;	/* characters to UTF-8 bytes */
	patterns_jit(p);
}

/* Release the sources and the compiled code. */
void
patterns_free(struct patterns *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++) {
		free(p->src[i].text);
		free(p->src[i].file);
	}
	free(p->src);
	pcre2_code_free(p->re);
	memset(p, 0, sizeof *p);
}

/* Match data sized for this expression; one per stream, never shared. */
pcre2_match_data *
patterns_match_data(const struct patterns *p)
{
	pcre2_match_data	*md;

	md = pcre2_match_data_create_from_pattern(p->re, NULL);
	if (md == NULL)
		fatalx("out of memory creating match data");
	return (md);
}

/*
 * Run one match from offset start.  Errors (match limits, JIT stack) count
 * as no match: a rule that cannot decide leaves the text alone.
 */
enum pattern_result
patterns_exec(const struct patterns *p, pcre2_match_data *md, const char *s,
    size_t len, size_t start, uint32_t opts)
{
	int	rc;

	rc = pcre2_match(p->re, (PCRE2_SPTR)s, len, start, opts, md, NULL);
	if (rc >= 0)
		return (PATTERN_MATCH);
	if (rc == PCRE2_ERROR_PARTIAL)
		return (PATTERN_PARTIAL);
	if (rc != PCRE2_ERROR_NOMATCH)
		log_debug("pattern match error %d treated as no match", rc);
	return (PATTERN_NOMATCH);
}

/* Does the pattern match anywhere in a line?  more: text continues. */
int
patterns_test(const struct patterns *p, pcre2_match_data *md, const char *s,
    size_t len, int more)
{
	return (patterns_exec(p, md, s, len, 0, more ? PCRE2_NOTEOL : 0) ==
	    PATTERN_MATCH);
}
