/*
 * Configuration: an INI file read with the system inih.  [filter:NAME]
 * sections become rules in file order; [engine] holds engine limits;
 * [daemon] keys are kept for the daemon to interpret.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "encoding.h"
#include "filter.h"

struct prefilter;

#define CONFIG_DEFAULT_PATH	"/etc/scrubd/scrubd.conf"
#define CONFIG_MAX_LINE_DEFAULT	(1024 * 1024)
#define CONFIG_MAX_LINE_MIN	64
#define CONFIG_MAX_RULES	100000	/* [filter:] sections (stack depth) */

/* Errors collected while loading, each "FILE:LINE: message". */
struct config_errors {
	char	**v;
	size_t	  n;
};

/* Loading state handed to the filter types' hooks. */
struct config_ctx {
	const char		*path;
	char			*dir;	/* for relative patterns_file paths */
	struct config_errors	*errors;
	int			 jit;	/* [engine] jit: JIT-compile patterns */
};

/* [jsonl]: how JSON Lines records are read. */
struct jsonl_conf {
	char		*text_field;	/* member holding the document */
	size_t		 max_record;
	int		 stats;		/* add what cleaning did */
	char		*stats_field;
};

#define JSONL_MAX_RECORD_DEFAULT	(64 * 1024 * 1024)

struct config {
	char		*path;
	struct rule	*rules;
	size_t		 nrules;
	size_t		 max_line;
	int		 jit;		/* [engine] jit, default yes */
	enum encoding	 encoding;	/* [engine] encoding of raw documents */
	enum encoding	 output_encoding; /* SAME or UTF8 */
	struct jsonl_conf jsonl;
	struct prefilter *pf;		/* the rules' literals, or NULL */
	struct cfgkey	*daemon;	/* [daemon] keys, for daemon/ */
	size_t		 ndaemon;
	unsigned	 refs;
};

struct config	*config_load(const char *, struct config_errors *);
struct config	*config_load_cancel(const char *, struct config_errors *,
		    const int *);
void		 config_ref(struct config *);
void		 config_unref(struct config *);
void		 config_error(struct config_ctx *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
void		 config_errors_add(struct config_errors *, char *);
void		 config_errors_free(struct config_errors *);
char		*config_resolve_path(const struct config_ctx *, const char *);
FILE		*config_open(const char *, off_t, char **);
void		 config_check_repeats(const struct cfgkey *, size_t,
		    int (*)(const char *), struct config_errors *);

#endif
