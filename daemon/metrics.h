/*
 * Prometheus counters.  Each thread keeps its own and takes its own lock
 * once per finished connection; a scrape sums them.  Rules are counted by
 * slot: a stable number per rule name, across reloads, so that adding a
 * connection's figures and rendering a scrape are linear in the rules.
 */
#ifndef METRICS_H
#define METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "conn_end.h"
#include "encoding.h"

struct buf;
struct stream;

#define METRICS_NBUCKETS	15

/* Rule names by slot (main thread only). */
struct metrics_names {
	char		**v;
	size_t		  n;
	size_t		  cap;
	uint32_t	 *table;	/* open addressing: slot + 1, 0 empty */
	size_t		  tcap;
};

struct metrics_rule {
	uint64_t	matches;
	uint64_t	lines_dropped;
	uint64_t	bytes_removed;
	uint64_t	bytes_added;
	uint64_t	match_errors;
};

/* One thread's counters. */
struct metrics {
	pthread_mutex_t		 lock;
	uint64_t		 connections;
	uint64_t		 documents;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	uint64_t		 ends[CONN_END_COUNT];
	uint64_t		 encodings[ENCODING_NDOC]; /* documents by */
	uint64_t		 accept_errors;
	uint64_t		 buckets[METRICS_NBUCKETS];
	uint64_t		 count;
	double			 sum;
	struct metrics_rule	*rules;		/* by slot */
	size_t			 nrules;
};

/* What a scrape reads: every thread's counters and the daemon's state. */
struct metrics_view {
	struct metrics *const		*threads;
	size_t				 nthreads;
	const struct metrics_names	*names;
	uint64_t			 active;
	uint64_t			 reloads_ok;
	uint64_t			 reloads_failed;
	uint64_t			 generation;
};

void		metrics_names_init(struct metrics_names *);
void		metrics_names_free(struct metrics_names *);
uint32_t	metrics_names_slot(struct metrics_names *, const char *);
void		metrics_init(struct metrics *);
void		metrics_free(struct metrics *);
void		metrics_connection(struct metrics *);
void		metrics_refused(struct metrics *, enum conn_end);
void		metrics_accept_error(struct metrics *);
void		metrics_document(struct metrics *, const struct stream *,
		    const uint32_t *, uint64_t, uint64_t, double,
		    enum conn_end);
void		metrics_render(const struct metrics_view *, struct buf *);

#endif
