/* The daemon: listeners, workers, signals, reloads, metrics, shutdown. */
#ifndef SERVER_H
#define SERVER_H

struct generation;
struct settings_override;

int	server_run(const char *, const struct settings_override *,
	    struct generation *);

#endif
