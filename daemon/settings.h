/*
 * The daemon's settings: every [daemon] key and the command line options
 * that override them (-s, -J, -M), parsed and checked in one place, so
 * that -t, start-up and reload refuse exactly the same configurations.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define SETTINGS_DEFAULT_SOCKET	"/run/scrubd/scrubd.sock"

struct config;
struct config_errors;

/* Command line values that take the place of [daemon] keys (NULL: none). */
struct settings_override {
	const char	*socket;	/* -s */
	const char	*jsonl_socket;	/* -J */
	const char	*metrics;	/* -M */
};

/* Where /metrics is served: a UNIX socket or a TCP host and port. */
struct settings_addr {
	char		*text;		/* as written: unix:PATH or HOST:PORT */
	char		*path;		/* UNIX socket path, or NULL */
	char		*host;		/* TCP host (brackets removed), or NULL */
	unsigned short	 port;
};

struct settings {
	char			*socket;
	char			*jsonl_socket;	/* NULL: no JSON Lines socket */
	struct settings_addr	 metrics;	/* text NULL: no metrics */
	mode_t			 socket_mode;
	int			 has_group;
	gid_t			 socket_gid;
	int			 workers;	/* 0: one per CPU */
	int			 max_connections;
	int			 idle_timeout_ms;
	int			 shutdown_timeout_ms;
	uint64_t		 max_document;	/* 0: unlimited */
	size_t			 output_high_water;
	uid_t			*allow_uid;
	size_t			 nallow_uid;
	gid_t			*allow_gid;
	size_t			 nallow_gid;
};

int	settings_load(struct settings *, const struct config *,
	    const struct settings_override *, struct config_errors *);
void	settings_free(struct settings *);
size_t	settings_restart_keys(const struct settings *,
	    const struct settings *, const char **, size_t);
void	settings_carry(struct settings *, const struct settings *);
int	settings_parse_duration(const char *, int *);

#endif
