/*
 * The [daemon] keys the configuration loader kept, and the command line
 * options that override them: parsed, checked (each alone, then against
 * each other), with defaults.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <libgen.h>
#include <netdb.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
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

#define SETTINGS_SUN_PATH	sizeof (((struct sockaddr_un *)NULL)->sun_path)

typedef int (*settings_setter)(struct settings *, const char *, char **);

/* The three options that name a socket path, for the cross-checks. */
enum settings_slot { SLOT_SOCKET, SLOT_JSONL, SLOT_METRICS, SLOT_COUNT };

/* Where each path-bearing option was set: "FILE:LINE" or "-s". */
struct settings_where {
	char	*at[SLOT_COUNT];
};

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

/* Can a socket be made at path v (as start-up will check)? */
static int
settings_check_target(const char *key, const char *v, char **cause)
{
	struct stat	sb;

	if (v[strlen(v) - 1] == '/') {
		*cause = xasprintf("%s names a directory, not a socket: %s",
		    key, v);
		return (-1);
	}
	if (lstat(v, &sb) == 0 && !S_ISSOCK(sb.st_mode)) {
		*cause = xasprintf("%s: %s exists and is not a socket", key, v);
		return (-1);
	}
	return (0);
}

/* Is v an absolute path that fits a UNIX socket address? */
static int
settings_check_path(const char *key, const char *v, char **cause)
{
	if (*v != '/') {
		*cause = xasprintf("%s must be an absolute path", key);
		return (-1);
	}
	if (strlen(v) >= SETTINGS_SUN_PATH) {
		*cause = xasprintf("%s path too long for a UNIX socket (%zu "
		    "bytes, at most %zu): %s", key, strlen(v),
		    SETTINGS_SUN_PATH - 1, v);
		return (-1);
	}
	return (settings_check_target(key, v, cause));
}

/* Set a socket path key; it must be absolute and fit sun_path. */
static int
settings_path(char **dst, const char *key, const char *v, char **cause)
{
	if (settings_check_path(key, v, cause) != 0)
		return (-1);
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

/* Is host an IP literal or a plausible host name? */
static int
settings_host_ok(const char *host)
{
	unsigned char	 a[16];
	const char	*p;

	if (*host == '\0')
		return (0);
	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a)
	    == 1)
		return (1);
	if (*host == '-' || *host == '.' || strstr(host, "..") != NULL)
		return (0);
	for (p = host; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return (0);
	}
	return (1);
}

/* Does host resolve to an address to listen on (as start-up will)? */
static int
settings_resolve(const char *host, const char *port)
{
	struct addrinfo	hints, *ai;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return (-1);
	freeaddrinfo(ai);
	return (0);
}

/* Split HOST:PORT ([v6]:PORT too) into a; -1 with *cause if bad. */
static int
settings_tcp_addr(struct settings_addr *a, const char *v, char **cause)
{
	char	*host, *colon, *end;
	long	 port;

	host = xstrdup(v);
	colon = strrchr(host, ':');
	*colon = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
	    port > 65535) {
		*cause = xasprintf("metrics: bad port in %s (1 to 65535)", v);
		free(host);
		return (-1);
	}
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
		if (strchr(host, ':') == NULL)
			*host = '\0';	/* [..] only around IPv6 */
	} else if (strchr(host, ':') != NULL)
		*host = '\0';		/* bare IPv6 needs brackets */
	if (!settings_host_ok(host) || settings_resolve(host, colon + 1) !=
	    0) {
		*cause = xasprintf("metrics: bad host in %s (a name that "
		    "resolves, an IPv4 address or [IPv6])", v);
		free(host);
		return (-1);
	}
	a->host = host;
	a->port = (unsigned short)port;
	return (0);
}

/* Free a metrics address. */
static void
settings_addr_free(struct settings_addr *a)
{
	free(a->text);
	free(a->path);
	free(a->host);
	memset(a, 0, sizeof *a);
}

/* metrics = unix:PATH | HOST:PORT */
static int
set_metrics(struct settings *st, const char *v, char **cause)
{
	struct settings_addr	a;

	memset(&a, 0, sizeof a);
	if (strncmp(v, "unix:", 5) == 0) {
		if (settings_check_path("metrics", v + 5, cause) != 0)
			return (-1);
		a.path = xstrdup(v + 5);
	} else if (strchr(v, ':') == NULL) {
		*cause = xasprintf("metrics must be unix:PATH or HOST:PORT");
		return (-1);
	} else if (settings_tcp_addr(&a, v, cause) != 0)
		return (-1);
	a.text = xstrdup(v);
	settings_addr_free(&st->metrics);
	st->metrics = a;
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

/*
 * Every [daemon] key: its setter, whether it may be repeated, whether a
 * reload can apply it (the sockets, their mode and group, the metrics
 * address and the worker count are set up once, at start), and which
 * command line option can take its place.
 */
static const struct {
	const char	*key;
	settings_setter	 set;
	int		 repeat;
	int		 restart;
	int		 slot;		/* SLOT_*, or -1 */
	const char	*option;	/* overriding option, or NULL */
} settings_keys[] = {
	{ "socket", set_socket, 0, 1, SLOT_SOCKET, "-s" },
	{ "jsonl_socket", set_jsonl_socket, 0, 1, SLOT_JSONL, "-J" },
	{ "metrics", set_metrics, 0, 1, SLOT_METRICS, "-M" },
	{ "socket_mode", set_socket_mode, 0, 1, -1, NULL },
	{ "socket_group", set_socket_group, 0, 1, -1, NULL },
	{ "workers", set_workers, 0, 1, -1, NULL },
	{ "max_connections", set_max_connections, 0, 0, -1, NULL },
	{ "idle_timeout", set_idle_timeout, 0, 0, -1, NULL },
	{ "shutdown_timeout", set_shutdown_timeout, 0, 0, -1, NULL },
	{ "max_document", set_max_document, 0, 0, -1, NULL },
	{ "output_high_water", set_output_high_water, 0, 0, -1, NULL },
	{ "allow_uid", set_allow_uid, 1, 0, -1, NULL },
	{ "allow_gid", set_allow_gid, 1, 0, -1, NULL },
};
#define SETTINGS_NKEYS	(sizeof settings_keys / sizeof settings_keys[0])

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

/* The table index of a key, or -1. */
static int
settings_find(const char *key)
{
	size_t	i;

	for (i = 0; i < SETTINGS_NKEYS; i++) {
		if (strcmp(settings_keys[i].key, key) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Record where a path-bearing option was set (at is taken over). */
static void
settings_mark(struct settings_where *w, int slot, char *at)
{
	if (slot < 0) {
		free(at);
		return;
	}
	free(w->at[slot]);
	w->at[slot] = at;
}

/* Apply one [daemon] key, reporting errors at its line. */
static void
settings_apply(struct settings *st, const struct cfgkey *k,
    struct settings_where *w, struct config_errors *errs)
{
	char	*cause = NULL;
	int	 i;

	if ((i = settings_find(k->key)) == -1) {
		config_errors_add(errs, xasprintf("%s:%d: unknown key %s in "
		    "[daemon]", k->file, k->line, k->key));
		return;
	}
	if (settings_keys[i].set(st, k->value, &cause) != 0) {
		config_errors_add(errs, xasprintf("%s:%d: %s", k->file,
		    k->line, cause));
		free(cause);
		return;
	}
	settings_mark(w, settings_keys[i].slot, xasprintf("%s:%d", k->file,
	    k->line));
}

/* Apply a command line option in place of its key. */
static void
settings_apply_option(struct settings *st, const char *key, const char *v,
    struct settings_where *w, struct config_errors *errs)
{
	char	*cause = NULL;
	int	 i = settings_find(key);

	if (v == NULL)
		return;
	if (settings_keys[i].set(st, v, &cause) != 0) {
		config_errors_add(errs, xasprintf("command line: %s %s: %s",
		    settings_keys[i].option, v, cause));
		free(cause);
		return;
	}
	settings_mark(w, settings_keys[i].slot,
	    xasprintf("command line %s", settings_keys[i].option));
}

/* The socket path an option names, or NULL. */
static const char *
settings_slot_path(const struct settings *st, int slot)
{
	switch (slot) {
	case SLOT_SOCKET:
		return (st->socket);
	case SLOT_JSONL:
		return (st->jsonl_socket);
	default:
		return (st->metrics.path);
	}
}

/* Path p with "//", "/./" and "dir/.." taken out, into out. */
static void
settings_clean_path(const char *p, char *out, size_t size)
{
	char	*part, *last, *copy = xstrdup(p);
	size_t	 len = 0, cut;

	out[0] = '\0';
	for (part = strtok_r(copy, "/", &last); part != NULL;
	    part = strtok_r(NULL, "/", &last)) {
		if (strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			cut = len;
			while (cut > 0 && out[--cut] != '/')
				;
			out[len = cut] = '\0';
			continue;
		}
		len += (size_t)snprintf(out + len, size - len, "/%s", part);
		if (len >= size)
			break;
	}
	free(copy);
}

/* Same directory (by device and inode, if both exist) and same name? */
static int
settings_same_dir(const char *a, const char *b)
{
	struct stat	sa, sb;
	char		*ca = xstrdup(a), *cb = xstrdup(b);
	int		 same;

	same = strcmp(basename(ca), basename(cb)) == 0;
	free(ca);
	free(cb);
	ca = xstrdup(a);
	cb = xstrdup(b);
	if (same)
		same = stat(dirname(ca), &sa) == 0 && stat(dirname(cb), &sb)
		    == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	free(ca);
	free(cb);
	return (same);
}

/* Do two socket paths name one file, however they are spelled? */
static int
settings_same_path(const char *a, const char *b)
{
	char	na[SETTINGS_SUN_PATH * 2], nb[SETTINGS_SUN_PATH * 2];

	settings_clean_path(a, na, sizeof na);
	settings_clean_path(b, nb, sizeof nb);
	return (strcmp(na, nb) == 0 || settings_same_dir(a, b));
}

/* Two options may not name the same socket path. */
static void
settings_check_distinct(const struct settings *st,
    const struct settings_where *w, struct config_errors *errs)
{
	static const char	*names[] = { "socket", "jsonl_socket",
	    "metrics" };
	const char		*a, *b;
	int			 i, j;

	for (i = 0; i < SLOT_COUNT; i++) {
		for (j = i + 1; j < SLOT_COUNT; j++) {
			a = settings_slot_path(st, i);
			b = settings_slot_path(st, j);
			if (a == NULL || b == NULL || !settings_same_path(a, b))
				continue;
			config_errors_add(errs, xasprintf("%s: %s names the "
			    "same path as %s (%s): %s", w->at[j] ? w->at[j] :
			    "default", names[j], names[i], w->at[i] ?
			    w->at[i] : "default", a));
		}
	}
}

/* May this [daemon] key be given more than once (allow_uid, allow_gid)? */
static int
settings_repeatable(const char *key)
{
	int	i = settings_find(key);

	return (i != -1 && settings_keys[i].repeat);
}

/*
 * Build settings from a loaded configuration and the command line
 * overrides (NULL: none); -1 with every error appended.
 */
int
settings_load(struct settings *st, const struct config *cfg,
    const struct settings_override *ov, struct config_errors *errs)
{
	struct settings_where	w;
	size_t			i, before = errs->n;

	memset(&w, 0, sizeof w);
	settings_defaults(st);
	config_check_repeats(cfg->daemon, cfg->ndaemon, settings_repeatable,
	    errs);
	for (i = 0; i < cfg->ndaemon; i++)
		settings_apply(st, &cfg->daemon[i], &w, errs);
	if (ov != NULL) {
		settings_apply_option(st, "socket", ov->socket, &w, errs);
		settings_apply_option(st, "jsonl_socket", ov->jsonl_socket,
		    &w, errs);
		settings_apply_option(st, "metrics", ov->metrics, &w, errs);
	}
	settings_check_distinct(st, &w, errs);
	for (i = 0; i < SLOT_COUNT; i++)
		free(w.at[i]);
	if (errs->n != before) {
		settings_free(st);
		return (-1);
	}
	return (0);
}

/* Do two optional strings differ? */
static int
settings_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

/* Has the key at table index i a different value in b than in a? */
static int
settings_changed(const struct settings *a, const struct settings *b,
    size_t i)
{
	const char	*key = settings_keys[i].key;

	if (strcmp(key, "socket") == 0)
		return (settings_differ(a->socket, b->socket));
	if (strcmp(key, "jsonl_socket") == 0)
		return (settings_differ(a->jsonl_socket, b->jsonl_socket));
	if (strcmp(key, "metrics") == 0)
		return (settings_differ(a->metrics.text, b->metrics.text));
	if (strcmp(key, "socket_mode") == 0)
		return (a->socket_mode != b->socket_mode);
	if (strcmp(key, "socket_group") == 0)
		return (a->has_group != b->has_group ||
		    a->socket_gid != b->socket_gid);
	return (a->workers != b->workers);	/* "workers" */
}

/*
 * The keys whose new value (in b) a reload cannot apply, because they
 * differ from the running ones (in a): up to max names into keys.
 */
size_t
settings_restart_keys(const struct settings *a, const struct settings *b,
    const char **keys, size_t max)
{
	size_t	i, n = 0;

	for (i = 0; i < SETTINGS_NKEYS && n < max; i++) {
		if (settings_keys[i].restart && settings_changed(a, b, i))
			keys[n++] = settings_keys[i].key;
	}
	return (n);
}

/* A copy of an optional string. */
static char *
settings_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/*
 * Give to the settings of a new generation the running values of every
 * key only a restart can change, so that a generation always says what
 * is in force.
 */
void
settings_carry(struct settings *to, const struct settings *running)
{
	const struct settings_addr	*m = &running->metrics;

	free(to->socket);
	to->socket = xstrdup(running->socket);
	free(to->jsonl_socket);
	to->jsonl_socket = settings_strdup(running->jsonl_socket);
	settings_addr_free(&to->metrics);
	to->metrics.text = settings_strdup(m->text);
	to->metrics.path = settings_strdup(m->path);
	to->metrics.host = settings_strdup(m->host);
	to->metrics.port = m->port;
	to->socket_mode = running->socket_mode;
	to->has_group = running->has_group;
	to->socket_gid = running->socket_gid;
	to->workers = running->workers;
}

/* Free what settings allocated. */
void
settings_free(struct settings *st)
{
	free(st->socket);
	free(st->jsonl_socket);
	settings_addr_free(&st->metrics);
	free(st->allow_uid);
	free(st->allow_gid);
	memset(st, 0, sizeof *st);
}
