/*
 * Worker threads, memcached's model: each runs its own event loop and
 * owns its connections; the listener hands accepted descriptors to a
 * worker through a locked queue and wakes it.  A worker tells its owner
 * when a connection is gone and when, told to stop, it has drained.
 */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>

#include "stream.h"

struct generation;
struct metrics;
struct worker;

/* What a worker reports to its owner, from the worker's thread. */
struct worker_ops {
	void	(*gone)(void *, int);	/* a connection freed; 1 if ok */
	void	(*drained)(void *);	/* stopping and nothing left */
	void	 *arg;
};

struct worker	*worker_new(int, const struct worker_ops *);
void		 worker_hand(struct worker *, int, enum stream_kind,
		    struct generation *, uint64_t);
void		 worker_stop(struct worker *, int);
void		 worker_free(struct worker *);
struct metrics	*worker_metrics(struct worker *);

#endif
