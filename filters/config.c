/*
 * Configuration loading with the system inih.  inih is fed through our
 * own reader, which counts lines (so every error names FILE:LINE), records
 * section headers in file order (inih does not report empty sections),
 * rejects lines longer than inih's 200-byte limit instead of letting inih
 * split them, and strips leading white space so that an indented key is a
 * key, not an inih continuation line.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "codec.h"
#include "config.h"
#include "filter.h"
#include "nameset.h"
#include "prefilter.h"
#include "xmalloc.h"

/* One [section] as written, with its keys in order. */
struct cfgsection {
	char		*name;
	int		 line;
	struct cfgkey	*keys;
	size_t		 nkeys;
	size_t		 keycap;
};

struct loader {
	struct config_ctx	 ctx;
	FILE			*f;
	int			 lineno;
	char			*raw;
	size_t			 rawcap;
	struct cfgsection	*sections;
	size_t			 nsections;
	size_t			 seccap;
	size_t			 rulecap;	/* of cfg->rules */
	struct nameset		 names;		/* rule names seen */
	const int		*cancel;	/* set: stop loading */
};

/* Keys a rule may give more than once. */
static const char *config_list_keys[] = {
	"pattern", "patterns_file", "begin", "begin_file", "end", "end_file",
	"phrases_file", "begin_phrases_file", "end_phrases_file", NULL
};

/* Add a formatted error naming file and line. */
void
config_error(struct config_ctx *ctx, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	config_errors_add(ctx->errors, xasprintf("%s:%d: %s", file, line, msg));
}

/*
 * Make room in array v for one more item after n, doubling its capacity
 * *cap, so that n additions cost O(n) in all.  Returns the array.
 */
static void *
config_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return (v);
	*cap = *cap != 0 ? *cap * 2 : 8;
	return (xreallocarray(v, *cap, size));
}

/* Append an already formatted error (taken over). */
void
config_errors_add(struct config_errors *errs, char *msg)
{
	size_t	n = errs->n;

	/* The capacity is n rounded up to a power of two, at least 8. */
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
		errs->v = xreallocarray(errs->v, n == 0 ? 8 : n * 2,
		    sizeof *errs->v);
	errs->v[errs->n++] = msg;
}

/* What kind of file a mode is, for error messages. */
static const char *
config_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return ("a directory");
	if (S_ISFIFO(mode))
		return ("a FIFO");
	if (S_ISCHR(mode))
		return ("a character device");
	if (S_ISBLK(mode))
		return ("a block device");
	if (S_ISSOCK(mode))
		return ("a socket");
	return ("not a plain file");
}

/*
 * Open a file of the configuration (the configuration itself, a
 * patterns_file) for reading: non-blocking, so a FIFO cannot hang the
 * load, and close-on-exec; then refuse anything that is not a regular
 * file, or is larger than max bytes (0: any size), before reading a byte.
 * NULL with *cause set ("cannot open: ...", "is a FIFO, ...") on error.
 */
FILE *
config_open(const char *path, off_t max, char **cause)
{
	struct stat	 sb;
	FILE		*f;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &sb) != 0) {
		*cause = xasprintf("cannot stat: %s", strerror(errno));
		close(fd);
		return (NULL);
	}
	if (!S_ISREG(sb.st_mode))
		*cause = xasprintf("is %s, not a regular file",
		    config_file_kind(sb.st_mode));
	else if (max != 0 && sb.st_size > max)
		*cause = xasprintf("is larger than %lld bytes", (long long)max);
	else if ((f = fdopen(fd, "r")) != NULL)
		return (f);
	else
		*cause = xasprintf("cannot read: %s", strerror(errno));
	close(fd);
	return (NULL);
}

/* Free an error list. */
void
config_errors_free(struct config_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* A path from the configuration, relative to the file's directory. */
char *
config_resolve_path(const struct config_ctx *ctx, const char *path)
{
	if (*path == '/')
		return (xstrdup(path));
	return (xasprintf("%s/%s", ctx->dir, path));
}

/* Record a section header read from the file. */
static void
config_section_add(struct loader *ld, const char *name, size_t len)
{
	struct cfgsection	*s;

	ld->sections = config_grow(ld->sections, ld->nsections, &ld->seccap,
	    sizeof *ld->sections);
	s = &ld->sections[ld->nsections++];
	memset(s, 0, sizeof *s);
	s->name = xstrndup(name, len);
	s->line = ld->lineno;
}

/* Check a stripped line's shape; record it if it is a section header. */
static int
config_classify(struct loader *ld, const char *p)
{
	const char	*end;

	if (*p == '\0' || *p == ';' || *p == '#')
		return (0);
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			config_error(&ld->ctx, ld->ctx.path, ld->lineno,
			    "section header without ']'");
			return (-1);
		}
		config_section_add(ld, p + 1, (size_t)(end - p - 1));
		return (0);
	}
	if (strpbrk(p, "=:") == NULL) {
		config_error(&ld->ctx, ld->ctx.path, ld->lineno,
		    "expected 'key = value' or a [section] header");
		return (-1);
	}
	if (ld->nsections == 0) {
		config_error(&ld->ctx, ld->ctx.path, ld->lineno,
		    "key outside any section");
		return (-1);
	}
	return (0);
}

/* inih's line reader: one physical line, checked, leading space removed. */
static char *
config_reader(char *str, int num, void *arg)
{
	struct loader	*ld = arg;
	ssize_t		 n;
	char		*p;

	if ((n = getline(&ld->raw, &ld->rawcap, ld->f)) == -1)
		return (NULL);
	ld->lineno++;
	if (n > 0 && ld->raw[n - 1] == '\n')
		ld->raw[--n] = '\0';
	str[0] = '\0';
	if (strlen(ld->raw) != (size_t)n) {
		config_error(&ld->ctx, ld->ctx.path, ld->lineno,
		    "NUL byte in line");
		return (str);
	}
	p = ld->raw;
	if (ld->lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (isspace((unsigned char)*p))
		p++;
	if (strlen(p) + 2 > (size_t)num) {
		config_error(&ld->ctx, ld->ctx.path, ld->lineno,
		    "line longer than %d bytes, the limit of the INI parser: "
		    "put long patterns in a patterns_file", num - 2);
		return (str);
	}
	if (config_classify(ld, p) != 0)
		return (str);
	snprintf(str, (size_t)num, "%s\n", p);
	return (str);
}

/* inih's handler: file the key under the section being read. */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct loader		*ld = arg;
	struct cfgsection	*s;
	struct cfgkey		*k;

	(void)section;
	if (ld->nsections == 0)
		return (1);
	s = &ld->sections[ld->nsections - 1];
	s->keys = config_grow(s->keys, s->nkeys, &s->keycap, sizeof *s->keys);
	k = &s->keys[s->nkeys++];
	k->key = xstrdup(name);
	k->value = xstrdup(value);
	k->file = ld->ctx.path;
	k->line = ld->lineno;
	return (1);
}

/* Is this a key a rule may repeat? */
static int
config_is_list_key(const char *key)
{
	size_t	i;

	for (i = 0; config_list_keys[i] != NULL; i++) {
		if (strcmp(config_list_keys[i], key) == 0)
			return (1);
	}
	return (0);
}

/*
 * Report keys given twice among keys[0, n), but those repeatable() allows
 * (list keys).  Serves the [daemon] keys too (daemon/settings.c).
 */
void
config_check_repeats(const struct cfgkey *keys, size_t n,
    int (*repeatable)(const char *), struct config_errors *errs)
{
	struct nameset	seen = { NULL, 0, 0 };
	size_t		i;
	int		first;

	for (i = 0; i < n; i++) {
		if (repeatable(keys[i].key) ||
		    nameset_add(&seen, keys[i].key, keys[i].line, &first))
			continue;
		config_errors_add(errs, xasprintf("%s:%d: %s given twice "
		    "(first at line %d)", keys[i].file, keys[i].line,
		    keys[i].key, first));
	}
	nameset_free(&seen);
}

/* Take [engine] encoding or output_encoding; the converter must exist. */
static int
config_engine_encoding(struct config *cfg, const struct cfgkey *k,
    char **cause)
{
	char	*why = NULL;

	if (strcmp(k->key, "output_encoding") == 0) {
		if (encoding_parse_output(k->value, &cfg->output_encoding) == 0)
			return (0);
		*cause = xasprintf("unknown output_encoding %s (known: same, "
		    "utf-8)", k->value);
		return (-1);
	}
	if (encoding_parse(k->value, &cfg->encoding) != 0) {
		*cause = xasprintf("unknown encoding %s (known: %s)", k->value,
		    encoding_names());
		return (-1);
	}
	if (codec_init(cfg->encoding, &why) == 0)
		return (0);
	*cause = xasprintf("encoding %s: %s", k->value, why);
	free(why);
	return (-1);
}

/* Take one key of an [engine] section. */
static int
config_engine_key(struct config *cfg, const struct cfgkey *k, char **cause)
{
	uint64_t	v;

	if (strcmp(k->key, "jit") == 0) {
		if (filter_parse_bool(k->value, &cfg->jit) == 0)
			return (0);
		*cause = xasprintf("jit must be yes or no");
		return (-1);
	}
	if (strcmp(k->key, "encoding") == 0 ||
	    strcmp(k->key, "output_encoding") == 0)
		return (config_engine_encoding(cfg, k, cause));
	if (strcmp(k->key, "max_line") != 0) {
		*cause = xasprintf("unknown key %s in [engine]", k->key);
		return (-1);
	}
	if (filter_parse_size(k->value, &v) != 0 ||
	    v < CONFIG_MAX_LINE_MIN || v > 1024 * 1024 * 1024) {
		*cause = xasprintf("max_line must be a size from %d bytes to "
		    "1G", CONFIG_MAX_LINE_MIN);
		return (-1);
	}
	cfg->max_line = (size_t)v;
	return (0);
}

/* Take the keys of an [engine] section. */
static void
config_engine(struct loader *ld, struct config *cfg,
    const struct cfgsection *s)
{
	char	*cause;
	size_t	 i;

	for (i = 0; i < s->nkeys; i++) {
		cause = NULL;
		if (config_engine_key(cfg, &s->keys[i], &cause) != 0)
			config_error(&ld->ctx, s->keys[i].file, s->keys[i].line,
			    "%s", cause);
		free(cause);
	}
}

/* Set a string key of [jsonl]; it may not be empty. */
static int
config_jsonl_name(char **dst, const struct cfgkey *k, char **cause)
{
	if (*k->value == '\0') {
		*cause = xasprintf("%s may not be empty", k->key);
		return (-1);
	}
	free(*dst);
	*dst = xstrdup(k->value);
	return (0);
}

/* Take one key of a [jsonl] section. */
static int
config_jsonl_key(struct jsonl_conf *jc, const struct cfgkey *k, char **cause)
{
	uint64_t	v;

	if (strcmp(k->key, "text_field") == 0)
		return (config_jsonl_name(&jc->text_field, k, cause));
	if (strcmp(k->key, "stats_field") == 0)
		return (config_jsonl_name(&jc->stats_field, k, cause));
	if (strcmp(k->key, "jsonl_stats") == 0) {
		if (filter_parse_bool(k->value, &jc->stats) == 0)
			return (0);
		*cause = xasprintf("jsonl_stats must be yes or no");
		return (-1);
	}
	if (strcmp(k->key, "max_record") == 0) {
		if (filter_parse_size(k->value, &v) == 0 && v >= 64 &&
		    v <= 1024 * 1024 * 1024) {
			jc->max_record = (size_t)v;
			return (0);
		}
		*cause = xasprintf("max_record must be a size from 64 bytes "
		    "to 1G");
		return (-1);
	}
	*cause = xasprintf("unknown key %s in [jsonl]", k->key);
	return (-1);
}

/* Take the keys of a [jsonl] section. */
static void
config_jsonl(struct loader *ld, struct config *cfg,
    const struct cfgsection *s)
{
	char	*cause;
	size_t	 i;

	for (i = 0; i < s->nkeys; i++) {
		cause = NULL;
		if (config_jsonl_key(&cfg->jsonl, &s->keys[i], &cause) != 0)
			config_error(&ld->ctx, s->keys[i].file, s->keys[i].line,
			    "%s", cause);
		free(cause);
	}
}

/* Keep the [daemon] keys for the daemon to check and use. */
static void
config_daemon(struct config *cfg, struct cfgsection *s)
{
	size_t	i;

	cfg->daemon = xreallocarray(cfg->daemon, cfg->ndaemon + s->nkeys,
	    sizeof *cfg->daemon);
	for (i = 0; i < s->nkeys; i++) {
		cfg->daemon[cfg->ndaemon++] = s->keys[i];
		cfg->daemon[cfg->ndaemon - 1].file = cfg->path;
		s->keys[i].key = s->keys[i].value = NULL;
	}
}

/* Is a rule name made of letters, digits, '_', '-' and '.'? */
static int
config_valid_name(const char *name)
{
	const char	*p;

	if (*name == '\0')
		return (0);
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("_-.", *p) == NULL)
			return (0);
	}
	return (1);
}

/* Find the type key of a rule section, or report it missing or unknown. */
static const struct filter_type *
config_rule_type(struct loader *ld, const struct cfgsection *s)
{
	const struct filter_type	*type;
	size_t				 i;

	for (i = 0; i < s->nkeys; i++) {
		if (strcmp(s->keys[i].key, "type") != 0)
			continue;
		if ((type = filter_type_find(s->keys[i].value)) == NULL)
			config_error(&ld->ctx, ld->ctx.path, s->keys[i].line,
			    "unknown type '%s' (known: %s)", s->keys[i].value,
			    filter_type_names());
		return (type);
	}
	config_error(&ld->ctx, ld->ctx.path, s->line,
	    "missing required key type in [%s]", s->name);
	return (NULL);
}

/* Build a rule from a [filter:NAME] section. */
static void
config_rule(struct loader *ld, struct config *cfg, const struct cfgsection *s)
{
	const char			*name = s->name + strlen("filter:");
	const struct filter_type	*type;
	struct rule			*r;
	char				*cause;
	size_t				 i;
	int				 rc, first;

	if (!config_valid_name(name)) {
		config_error(&ld->ctx, ld->ctx.path, s->line, "bad rule name "
		    "'%s': use letters, digits, '_', '-' and '.'", name);
		return;
	}
	if (!nameset_add(&ld->names, name, s->line, &first)) {
		config_error(&ld->ctx, ld->ctx.path, s->line,
		    "duplicate rule name '%s' (first at line %d)", name, first);
		return;
	}
	if ((type = config_rule_type(ld, s)) == NULL)
		return;
	if (cfg->nrules == CONFIG_MAX_RULES) {
		config_error(&ld->ctx, ld->ctx.path, s->line, "too many rules: "
		    "at most %d [filter:] sections (put long lists of "
		    "patterns in one rule's patterns_file)", CONFIG_MAX_RULES);
		return;
	}
	cfg->rules = config_grow(cfg->rules, cfg->nrules, &ld->rulecap,
	    sizeof *cfg->rules);
	r = &cfg->rules[cfg->nrules++];
	r->name = xstrdup(name);
	r->type = type;
	r->conf = type->conf_new();
	r->file = xstrdup(ld->ctx.path);
	r->line = s->line;
	r->warn = xcalloc(1, sizeof *r->warn);
	for (i = 0; i < s->nkeys; i++) {
		if (strcmp(s->keys[i].key, "type") == 0)
			continue;
		cause = NULL;
		rc = type->conf_set(r->conf, &s->keys[i], &ld->ctx, &cause);
		if (rc == 1)
			config_error(&ld->ctx, ld->ctx.path, s->keys[i].line,
			    "unknown key %s for a %s rule", s->keys[i].key,
			    type->name);
		else if (rc != 0)
			config_error(&ld->ctx, ld->ctx.path, s->keys[i].line,
			    "%s", cause);
		free(cause);
	}
	type->conf_check(r->conf, r, &ld->ctx);
}

/*
 * Turn the sections read into the configuration: [engine] first, wherever
 * it stands (its jit key decides how the rules' patterns are compiled),
 * then the others in file order.
 */
static void
config_build(struct loader *ld, struct config *cfg)
{
	struct cfgsection	*s;
	size_t			 i;

	for (i = 0; i < ld->nsections; i++) {
		s = &ld->sections[i];
		if (strcmp(s->name, "engine") != 0)
			continue;
		config_check_repeats(s->keys, s->nkeys, config_is_list_key,
		    ld->ctx.errors);
		config_engine(ld, cfg, s);
	}
	ld->ctx.jit = cfg->jit;
	for (i = 0; i < ld->nsections; i++) {
		s = &ld->sections[i];
		if (ld->cancel != NULL && __atomic_load_n(ld->cancel,
		    __ATOMIC_RELAXED)) {
			config_errors_add(ld->ctx.errors, xasprintf("%s: "
			    "loading cancelled", ld->ctx.path));
			return;
		}
		if (strcmp(s->name, "engine") == 0)
			continue;
		if (strcmp(s->name, "daemon") == 0) {
			config_daemon(cfg, s);	/* checked by the daemon */
			continue;
		}
		config_check_repeats(s->keys, s->nkeys, config_is_list_key,
		    ld->ctx.errors);
		if (strcmp(s->name, "jsonl") == 0)
			config_jsonl(ld, cfg, s);
		else if (strncmp(s->name, "filter:", 7) == 0)
			config_rule(ld, cfg, s);
		else
			config_error(&ld->ctx, ld->ctx.path, s->line,
			    "unknown section [%s] (expected [filter:NAME], "
			    "[engine], [jsonl] or [daemon])", s->name);
	}
}

/* Free the loader's section list. */
static void
config_loader_free(struct loader *ld)
{
	size_t	i, j;

	for (i = 0; i < ld->nsections; i++) {
		for (j = 0; j < ld->sections[i].nkeys; j++) {
			free(ld->sections[i].keys[j].key);
			free(ld->sections[i].keys[j].value);
		}
		free(ld->sections[i].keys);
		free(ld->sections[i].name);
	}
	free(ld->sections);
	free(ld->raw);
	free(ld->ctx.dir);
	nameset_free(&ld->names);
}

/* Free a configuration outright. */
static void
config_free(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->nrules; i++) {
		cfg->rules[i].type->conf_free(cfg->rules[i].conf);
		free(cfg->rules[i].name);
		free(cfg->rules[i].file);
		free(cfg->rules[i].warn);
	}
	prefilter_free(cfg->pf);
	free(cfg->rules);
	for (i = 0; i < cfg->ndaemon; i++) {
		free(cfg->daemon[i].key);
		free(cfg->daemon[i].value);
	}
	free(cfg->daemon);
	free(cfg->jsonl.text_field);
	free(cfg->jsonl.stats_field);
	free(cfg->path);
	free(cfg);
}

/*
 * Load and compile a whole configuration.  On any error, every error is
 * appended to errs and NULL is returned.
 */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	return (config_load_cancel(path, errs, NULL));
}

/*
 * config_load, giving up between two sections as soon as *cancel is set
 * (by another thread: a shutdown does not wait for a long load).
 */
struct config *
config_load_cancel(const char *path, struct config_errors *errs,
    const int *cancel)
{
	struct loader	 ld;
	struct config	*cfg;
	char		*copy, *cause = NULL;
	size_t		 before = errs->n;

	memset(&ld, 0, sizeof ld);
	ld.cancel = cancel;
	cfg = xcalloc(1, sizeof *cfg);
	cfg->path = xstrdup(path);
	cfg->max_line = CONFIG_MAX_LINE_DEFAULT;
	cfg->jit = 1;
	cfg->encoding = ENCODING_UTF8;
	cfg->output_encoding = ENCODING_SAME;
	cfg->jsonl.text_field = xstrdup("text");
	cfg->jsonl.stats_field = xstrdup("scrubd");
	cfg->jsonl.max_record = JSONL_MAX_RECORD_DEFAULT;
	cfg->refs = 1;
	ld.ctx.path = cfg->path;
	ld.ctx.errors = errs;
	copy = xstrdup(path);
	ld.ctx.dir = xstrdup(dirname(copy));
	free(copy);
	if ((ld.f = config_open(path, 0, &cause)) == NULL) {
		config_errors_add(errs, xasprintf("%s: %s", path, cause));
		free(cause);
	} else {
		if (ini_parse_stream(config_reader, &ld, config_handler,
		    &ld) < 0)
			config_errors_add(errs, xasprintf("%s: cannot parse",
			    path));
		fclose(ld.f);
		config_build(&ld, cfg);
		if (errs->n == before)	/* the rules' prefilter */
			cfg->pf = prefilter_build(cfg, &ld.ctx);
	}
	config_loader_free(&ld);
	if (errs->n != before) {
		config_free(cfg);
		return (NULL);
	}
	return (cfg);
}

/* Take a reference (the daemon shares one configuration between threads). */
void
config_ref(struct config *cfg)
{
	__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
}

/* Drop a reference, freeing the configuration with the last one. */
void
config_unref(struct config *cfg)
{
	if (cfg != NULL && __atomic_sub_fetch(&cfg->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		config_free(cfg);
}
