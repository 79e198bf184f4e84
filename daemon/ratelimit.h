/*
 * Rate-limited log lines, for events a client can repeat at will
 * (refused connections, accept failures): at most one line per interval,
 * the next one saying how many were left out.  One thread only.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <time.h>

#define RATELIMIT_INTERVAL_MS	5000

struct ratelimit {
	struct timespec	last;
	unsigned long	skipped;
	int		started;
};

/* May the event be logged now?  *skipped: events left out since. */
static inline int
ratelimit_pass(struct ratelimit *rl, unsigned long *skipped)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - rl->last.tv_sec) * 1000 +
	    (now.tv_nsec - rl->last.tv_nsec) / 1000000;
	if (rl->started && ms < RATELIMIT_INTERVAL_MS) {
		rl->skipped++;
		return (0);
	}
	rl->started = 1;
	rl->last = now;
	*skipped = rl->skipped;
	rl->skipped = 0;
	return (1);
}

#endif
