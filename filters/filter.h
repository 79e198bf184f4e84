/*
 * The filter chain: rules see lines (or pieces of over-long lines) one at a
 * time and pass what they keep to the next stage.  Each filter type is a
 * vtable in its own file, found by name with filter_type_find().
 */
#ifndef FILTER_H
#define FILTER_H

#include <stddef.h>
#include <stdint.h>

struct config_ctx;
struct engine;
struct patterns;
struct rule;

/*
 * One line without its ending, or one piece of a line longer than max_line.
 * LINE_MORE: more pieces of this line follow (no ending yet).
 * LINE_CONT: this piece continues a line whose start was already passed on.
 */
struct line {
	const char	*data;
	size_t		 len;
	const char	*eol;		/* "", "\n" or "\r\n" */
	size_t		 eol_len;
	uint64_t	 lineno;	/* 1-based input line number */
	int		 flags;
	uint64_t	 scan;		/* prefilter verdicts (engine_may); 0: none */
};
#define LINE_MORE	0x1
#define LINE_CONT	0x2

/* What one rule did to one document stream. */
struct rule_stats {
	uint64_t	matches;	/* lines (or pieces) a pattern matched */
	uint64_t	lines_dropped;
	uint64_t	bytes_in;
	uint64_t	bytes_out;
	uint64_t	bytes_added;	/* replacement bytes inserted */
	uint64_t	match_errors;	/* matches stopped by a resource limit */
};

/* A rule's place in one stream's chain, with that stream's state. */
struct stage {
	struct engine		*engine;
	const struct rule	*rule;
	void			*state;
	size_t			 index;
	struct rule_stats	 stats;
	const struct line	*in;		/* the line being handled */
	int			 passed;	/* in was passed on unchanged */
};

/* A key = value pair from a [filter:NAME] section. */
struct cfgkey {
	char		*key;
	char		*value;
	const char	*file;
	int		 line;
};

/* One filter type: configuration hooks and per-stream callbacks. */
struct filter_type {
	const char	*name;
	void		*(*conf_new)(void);
	/* Take one key; -1 with *cause set if unknown or bad. */
	int		 (*conf_set)(void *, const struct cfgkey *,
			    struct config_ctx *, char **);
	/* After every key: check required keys, compile patterns. */
	void		 (*conf_check)(void *, const struct rule *,
			    struct config_ctx *);
	void		 (*conf_free)(void *);
	void		*(*state_new)(const struct rule *, size_t max_line);
	/* Make the state ready for a new document, keeping allocations. */
	void		 (*state_reset)(void *);
	void		 (*state_free)(void *);
	void		 (*line)(struct stage *, const struct line *);
	/* End of document: release anything held. */
	void		 (*finish)(struct stage *);
	/* The rule's pattern lists, i from 0 up to NULL, for the prefilter. */
	struct patterns	*(*conf_patterns)(void *, size_t);
	/* A whole line none of list 0 can match passes unchanged. */
	int		 skip_unmatched;
	/*
	 * Would a whole content line (not blank) with no prefilter hit at
	 * all pass this stage unchanged, leaving its state as it is?  NULL:
	 * never known, every line must be handed to the stage.
	 */
	int		 (*idle)(const struct stage *);
	/*
	 * The next line is a whole content line with no prefilter hit: do
	 * now what it would make the stage do before passing it on (blank:
	 * pass the blank lines it holds), so that the stage is idle and the
	 * line can go by it.  NULL: only the line itself can do that.
	 */
	void		 (*settle)(struct stage *);
	/*
	 * Even idle, the stage acts on blank lines (blank): quiet lines must
	 * not be blank.  Other types pass a blank line with no hit unchanged
	 * while idle, as they pass a content line.
	 */
	int		 idle_sees_blank;
};

/*
 * When a rule may next log a warning, and how many it kept quiet since:
 * shared by every thread that runs the rule, updated atomically.
 */
struct rule_warn {
	uint64_t	next;		/* CLOCK_MONOTONIC second */
	uint64_t	quiet;
};
#define RULE_WARN_INTERVAL	10	/* seconds between two lines of a rule */

/* A configured rule: a [filter:NAME] section. */
struct rule {
	char				*name;
	const struct filter_type	*type;
	void				*conf;
	char				*file;
	int				 line;
	struct rule_warn		*warn;
};

const struct filter_type	*filter_type_find(const char *);
const char			*filter_type_names(void);
void				 rule_stats_add(struct rule_stats *,
				    const struct rule_stats *);
uint64_t			 rule_stats_removed(const struct rule_stats *);
void				 rule_warn(const struct rule *, const char *, ...)
				    __attribute__((format(printf, 2, 3)));
void				 stage_match_error(struct stage *, const char *);
void				 stage_next(struct stage *, const struct line *);
void				 stage_drop(struct stage *, const struct line *);
void				 stage_changed(struct stage *, const struct line *,
				    const char *, size_t);
int				 line_is_blank(const char *, size_t);
size_t				 line_cut(const char *, size_t);
int				 filter_parse_bool(const char *, int *);
int				 filter_parse_size(const char *, uint64_t *);
int				 filter_parse_number(const char *,
				    unsigned long long *, const char **);

/*
 * Could the line be blank (line_is_blank)?  No when its first byte starts
 * no white space character: most lines are told apart by that byte alone.
 */
static inline int
line_may_be_blank(const char *s, size_t len)
{
	if (len == 0)
		return (1);
	switch ((unsigned char)s[0]) {
	case ' ': case '\t': case '\v': case '\f': case '\r':
	case 0xc2: case 0xe1: case 0xe2: case 0xe3:
		return (1);
	}
	return (0);
}

extern const struct filter_type	filter_replace;
extern const struct filter_type	filter_drop_line;
extern const struct filter_type	filter_drop_block;
extern const struct filter_type	filter_blank;

#endif
