/* The daemon's settings: the [daemon] section, checked, with defaults. */
#ifndef SETTINGS_H
#define SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SETTINGS_DEFAULT_SOCKET	"/run/scrubd/scrubd.sock"

struct config;
struct config_errors;

struct settings {
	char		*socket;
	char		*jsonl_socket;		/* NULL: no JSON Lines socket */
	char		*metrics;		/* unix:PATH or HOST:PORT */
	mode_t		 socket_mode;
	int		 has_group;
	gid_t		 socket_gid;
	int		 workers;		/* 0: one per CPU */
	int		 max_connections;
	int		 idle_timeout_ms;
	int		 shutdown_timeout_ms;
	uint64_t	 max_document;		/* 0: unlimited */
	size_t		 output_high_water;
	uid_t		*allow_uid;
	size_t		 nallow_uid;
	gid_t		*allow_gid;
	size_t		 nallow_gid;
};

int	settings_load(struct settings *, const struct config *,
	    struct config_errors *);
void	settings_free(struct settings *);
int	settings_parse_duration(const char *, int *);

#endif
