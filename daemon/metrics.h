/* Prometheus metrics: per-worker counters, summed when scraped. */
#ifndef METRICS_H
#define METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct stream;

enum metrics_reason {
	METRICS_IDLE_TIMEOUT,
	METRICS_MAX_DOCUMENT,
	METRICS_MAX_CONNECTIONS,
	METRICS_REFUSED_PEER,
	METRICS_CLIENT_ERROR,
	METRICS_SHUTDOWN_TIMEOUT,
	METRICS_ACCEPT,
	METRICS_NREASONS
};

#define METRICS_NBUCKETS	15

struct metrics_rule {
	char		*name;
	uint64_t	 matches;
	uint64_t	 lines_dropped;
	uint64_t	 bytes_removed;
};

/* One thread's counters; its lock is taken once per connection. */
struct metrics {
	pthread_mutex_t		 lock;
	uint64_t		 connections;
	uint64_t		 documents;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 errors[METRICS_NREASONS];
	uint64_t		 buckets[METRICS_NBUCKETS];
	uint64_t		 count;
	double			 sum;
	struct metrics_rule	*rules;
	size_t			 nrules;
};

void	metrics_init(struct metrics *);
void	metrics_free(struct metrics *);
void	metrics_connection(struct metrics *);
void	metrics_error(struct metrics *, enum metrics_reason);
void	metrics_finish(struct metrics *, const struct stream *, uint64_t,
	    uint64_t, double, int);
int	metrics_reason_of(const char *);
int	metrics_listen(struct server *, const char *, char **);
void	metrics_stop(struct server *);

#endif
