/*
 * A rule's pattern list: every `pattern =` key and every line of every
 * `patterns_file`, compiled once into one PCRE2 alternation (any one
 * matches), with JIT when available.
 */
#ifndef PATTERN_H
#define PATTERN_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stddef.h>
#include <stdint.h>

struct cfgkey;
struct config_ctx;
struct line;
struct prefilter;
struct stage;

/* Where one pattern came from, for error messages. */
struct pattern_src {
	char	*text;
	size_t	 len;
	char	*file;
	int	 line;
	uint8_t	 file_shared;	/* file is the previous source's */
	uint8_t	 text_borrowed;	/* text lies in a phrases file's bytes */
};

/* A literal some pattern cannot match without (see pattern_literal()). */
struct pattern_lit {
	char	*s;
	size_t	 len;
	size_t	 anchor;	/* its rarest byte: searched with memchr */
};

#define PATTERN_MAX_LITS	8
#define PATTERN_PHRASE_MAX	4096	/* bytes of one phrase */

struct patterns {
	struct pattern_src	*src;
	size_t			 n;
	size_t			 cap;
	int			 failed;	/* a file key was refused */
	size_t			 nphrases;	/* of src, from phrases_file */
	char			**files;	/* phrases files' bytes */
	size_t			 nfiles;
	int			 phrases;	/* a phrase list, not PCRE2 */
	/* The whole-buffer prefilter (prefilter.c). */
	const struct prefilter	*pf;		/* phrase lists: their matcher */
	int			 pf_id;		/* slot + 1; 0: every line */
	uint32_t		*sorted;	/* phrases by bytes (folded) */
	size_t			 pf_dbkeys;	/* its keys in Vectorscan's db */
	size_t			 pf_sampledkeys; /* and in the sampler */
	size_t			 maxlen;	/* longest phrase */
	/* Prefilter: a line holding none of these cannot match (0: none). */
	struct pattern_lit	 lits[PATTERN_MAX_LITS];
	size_t			 nlits;
	int			 caseless;
	pcre2_code		*re;
	size_t			 lookbehind;	/* bytes of context kept */
	int			 jit;
	uint32_t		 pairs;		/* capture groups + 1 */
};

/* Outcome of one match attempt. */
enum pattern_result { PATTERN_NOMATCH, PATTERN_MATCH, PATTERN_PARTIAL };

int			 patterns_conf_set(struct patterns *, const char *,
			    const struct cfgkey *, struct config_ctx *, char **);
void			 patterns_compile(struct patterns *, const char *,
			    const char *, int, struct config_ctx *);
void			 patterns_free(struct patterns *);
pcre2_match_data	*patterns_match_data(const struct patterns *);
pcre2_match_data	*patterns_md(const struct patterns *, struct stage *);
enum pattern_result	 patterns_exec(const struct patterns *, struct stage *,
			    pcre2_match_data *, const char *, size_t, size_t,
			    uint32_t);
int			 patterns_test(const struct patterns *, struct stage *,
			    pcre2_match_data *, const char *, size_t, int);
int			 patterns_may_match(const struct patterns *,
			    const char *, size_t);
int			 patterns_may_line(const struct patterns *,
			    const struct stage *, const struct line *);
size_t			 pattern_literal(const char *, size_t, size_t *);

#endif
