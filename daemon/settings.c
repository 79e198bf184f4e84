/* Check the [daemon] keys the configuration loader kept, and apply defaults. */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "filter.h"
#include "settings.h"
#include "xmalloc.h"

#define SETTINGS_MAX_CONNECTIONS	1024
#define SETTINGS_IDLE_TIMEOUT_MS	30000
#define SETTINGS_SHUTDOWN_TIMEOUT_MS	30000
#define SETTINGS_HIGH_WATER		(4 * 1024 * 1024)

typedef int (*settings_setter)(struct settings *, const char *, char **);

/* Parse seconds, with an optional ms, s, m or h suffix, into milliseconds. */
int
settings_parse_duration(const char *s, int *ms)
{
	const char		*end;
	unsigned long long	 n, mult = 1000;

	if (filter_parse_number(s, &n, &end) != 0)
		return (-1);
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else if (*end != '\0' && strcmp(end, "s") != 0)
		return (-1);
	if (n > (unsigned long long)INT_MAX / mult)
		return (-1);
	*ms = (int)(n * mult);
	return (0);
}

/* Parse a number within [lo, hi]. */
static int
settings_int(const char *s, long lo, long hi, long *v)
{
	char	*end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *v < lo || *v > hi)
		return (-1);
	return (0);
}

/* Set a socket path key; it must be absolute. */
static int
settings_path(char **dst, const char *key, const char *v, char **cause)
{
	if (*v != '/') {
		*cause = xasprintf("%s must be an absolute path", key);
		return (-1);
	}
	free(*dst);
	*dst = xstrdup(v);
	return (0);
}

/* socket = PATH */
static int
set_socket(struct settings *st, const char *v, char **cause)
{
	return (settings_path(&st->socket, "socket", v, cause));
}

/* jsonl_socket = PATH */
static int
set_jsonl_socket(struct settings *st, const char *v, char **cause)
{
	return (settings_path(&st->jsonl_socket, "jsonl_socket", v, cause));
}

/* metrics = unix:PATH | HOST:PORT */
static int
set_metrics(struct settings *st, const char *v, char **cause)
{
	if (strncmp(v, "unix:/", 6) != 0 && strchr(v, ':') == NULL) {
		*cause = xasprintf("metrics must be unix:PATH or HOST:PORT");
		return (-1);
	}
	free(st->metrics);
	st->metrics = xstrdup(v);
	return (0);
}

/* socket_mode = octal mode */
static int
set_socket_mode(struct settings *st, const char *v, char **cause)
{
	char		*end;
	unsigned long	 m;

	m = strtoul(v, &end, 8);
	if (*v == '\0' || *end != '\0' || m > 0777) {
		*cause = xasprintf("socket_mode must be an octal mode such as "
		    "0660");
		return (-1);
	}
	st->socket_mode = (mode_t)m;
	return (0);
}

/* Look up a group by name or number. */
static int
settings_gid(const char *v, gid_t *gid, char **cause)
{
	struct group	*gr;
	long		 n;

	if (settings_int(v, 0, INT_MAX, &n) == 0) {
		*gid = (gid_t)n;
		return (0);
	}
	if ((gr = getgrnam(v)) == NULL) {
		*cause = xasprintf("unknown group '%s'", v);
		return (-1);
	}
	*gid = gr->gr_gid;
	return (0);
}

/* socket_group = NAME|GID */
static int
set_socket_group(struct settings *st, const char *v, char **cause)
{
	if (settings_gid(v, &st->socket_gid, cause) != 0)
		return (-1);
	st->has_group = 1;
	return (0);
}

/* workers = N (0: one per CPU) */
static int
set_workers(struct settings *st, const char *v, char **cause)
{
	long	n;

	if (settings_int(v, 0, 256, &n) != 0) {
		*cause = xasprintf("workers must be from 0 (one per CPU) to "
		    "256");
		return (-1);
	}
	st->workers = (int)n;
	return (0);
}

/* max_connections = N */
static int
set_max_connections(struct settings *st, const char *v, char **cause)
{
	long	n;

	if (settings_int(v, 1, 1000000, &n) != 0) {
		*cause = xasprintf("max_connections must be from 1 to 1000000");
		return (-1);
	}
	st->max_connections = (int)n;
	return (0);
}

/* idle_timeout = DURATION */
static int
set_idle_timeout(struct settings *st, const char *v, char **cause)
{
	if (settings_parse_duration(v, &st->idle_timeout_ms) != 0 ||
	    st->idle_timeout_ms == 0) {
		*cause = xasprintf("idle_timeout must be a duration such as "
		    "30 or 30s, 500ms, 5m");
		return (-1);
	}
	return (0);
}

/* shutdown_timeout = DURATION */
static int
set_shutdown_timeout(struct settings *st, const char *v, char **cause)
{
	if (settings_parse_duration(v, &st->shutdown_timeout_ms) != 0) {
		*cause = xasprintf("shutdown_timeout must be a duration such "
		    "as 30 or 30s");
		return (-1);
	}
	return (0);
}

/* max_document = SIZE (0: unlimited) */
static int
set_max_document(struct settings *st, const char *v, char **cause)
{
	if (filter_parse_size(v, &st->max_document) != 0) {
		*cause = xasprintf("max_document must be a size such as 0 "
		    "(unlimited), 100M or 10G");
		return (-1);
	}
	return (0);
}

/* output_high_water = SIZE */
static int
set_output_high_water(struct settings *st, const char *v, char **cause)
{
	uint64_t	n;

	if (filter_parse_size(v, &n) != 0 || n < 4096 ||
	    n > 1024 * 1024 * 1024) {
		*cause = xasprintf("output_high_water must be a size from 4K "
		    "to 1G");
		return (-1);
	}
	st->output_high_water = (size_t)n;
	return (0);
}

/* allow_uid = NAME|UID, repeatable */
static int
set_allow_uid(struct settings *st, const char *v, char **cause)
{
	struct passwd	*pw;
	long		 n;
	uid_t		 uid;

	if (settings_int(v, 0, INT_MAX, &n) == 0)
		uid = (uid_t)n;
	else if ((pw = getpwnam(v)) != NULL)
		uid = pw->pw_uid;
	else {
		*cause = xasprintf("unknown user '%s'", v);
		return (-1);
	}
	st->allow_uid = xreallocarray(st->allow_uid, st->nallow_uid + 1,
	    sizeof *st->allow_uid);
	st->allow_uid[st->nallow_uid++] = uid;
	return (0);
}

/* allow_gid = NAME|GID, repeatable */
static int
set_allow_gid(struct settings *st, const char *v, char **cause)
{
	gid_t	gid;

	if (settings_gid(v, &gid, cause) != 0)
		return (-1);
	st->allow_gid = xreallocarray(st->allow_gid, st->nallow_gid + 1,
	    sizeof *st->allow_gid);
	st->allow_gid[st->nallow_gid++] = gid;
	return (0);
}

static const struct {
	const char	*key;
	settings_setter	 set;
	int		 repeat;
} settings_keys[] = {
	{ "socket", set_socket, 0 },
	{ "jsonl_socket", set_jsonl_socket, 0 },
	{ "metrics", set_metrics, 0 },
	{ "socket_mode", set_socket_mode, 0 },
	{ "socket_group", set_socket_group, 0 },
	{ "workers", set_workers, 0 },
	{ "max_connections", set_max_connections, 0 },
	{ "idle_timeout", set_idle_timeout, 0 },
	{ "shutdown_timeout", set_shutdown_timeout, 0 },
	{ "max_document", set_max_document, 0 },
	{ "output_high_water", set_output_high_water, 0 },
	{ "allow_uid", set_allow_uid, 1 },
	{ "allow_gid", set_allow_gid, 1 },
};

/* Set every default. */
static void
settings_defaults(struct settings *st)
{
	memset(st, 0, sizeof *st);
	st->socket = xstrdup(SETTINGS_DEFAULT_SOCKET);
	st->socket_mode = 0660;
	st->max_connections = SETTINGS_MAX_CONNECTIONS;
	st->idle_timeout_ms = SETTINGS_IDLE_TIMEOUT_MS;
	st->shutdown_timeout_ms = SETTINGS_SHUTDOWN_TIMEOUT_MS;
	st->output_high_water = SETTINGS_HIGH_WATER;
}

/* Apply one [daemon] key, reporting errors at its line. */
static void
settings_apply(struct settings *st, const struct cfgkey *k,
    struct config_errors *errs)
{
	char	*cause = NULL;
	size_t	 i;

	for (i = 0; i < sizeof settings_keys / sizeof settings_keys[0]; i++) {
		if (strcmp(settings_keys[i].key, k->key) != 0)
			continue;
		if (settings_keys[i].set(st, k->value, &cause) != 0) {
			config_errors_add(errs, xasprintf("%s:%d: %s", k->file,
			    k->line, cause));
			free(cause);
		}
		return;
	}
	config_errors_add(errs, xasprintf("%s:%d: unknown key %s in [daemon]",
	    k->file, k->line, k->key));
}

/* May this [daemon] key be given more than once (allow_uid, allow_gid)? */
static int
settings_repeatable(const char *key)
{
	size_t	i;

	for (i = 0; i < sizeof settings_keys / sizeof settings_keys[0]; i++) {
		if (strcmp(settings_keys[i].key, key) == 0)
			return (settings_keys[i].repeat);
	}
	return (0);
}

/* Build settings from a loaded configuration; -1 with errors appended. */
int
settings_load(struct settings *st, const struct config *cfg,
    struct config_errors *errs)
{
	size_t	i, before = errs->n;

	settings_defaults(st);
	config_check_repeats(cfg->daemon, cfg->ndaemon, settings_repeatable,
	    errs);
	for (i = 0; i < cfg->ndaemon; i++)
		settings_apply(st, &cfg->daemon[i], errs);
	if (errs->n != before) {
		settings_free(st);
		return (-1);
	}
	return (0);
}

/* Free what settings allocated. */
void
settings_free(struct settings *st)
{
	free(st->socket);
	free(st->jsonl_socket);
	free(st->metrics);
	free(st->allow_uid);
	free(st->allow_gid);
	memset(st, 0, sizeof *st);
}
