/*
 * The streaming line machine.  It is fed bytes in chunks of any size,
 * cuts them into lines, runs them through the configured rules and writes
 * what is kept to a sink.  It knows nothing of sockets, threads or event
 * loops: the one-shot mode, the daemon and the fuzzers all drive it.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

struct config;
struct scratch;

/* Where cleaned bytes go. */
struct sink {
	void	(*write)(void *, const char *, size_t);
	void	 *arg;
};

struct engine;

/* What a rule did to a line, for --explain. */
enum engine_event_kind { ENGINE_DROPPED, ENGINE_CHANGED };

struct engine_event {
	enum engine_event_kind	 kind;
	const struct rule	*rule;
	uint64_t		 lineno;
	const char		*before;	/* the line (or piece) as it came */
	size_t			 blen;
	const char		*after;		/* CHANGED: what the rule made */
	size_t			 alen;
};

typedef void (*engine_observer)(void *, const struct engine_event *);

struct engine		*engine_new(const struct config *, const struct sink *,
			    struct scratch *);
void			 engine_feed(struct engine *, const char *, size_t);
void			 engine_finish(struct engine *);
void			 engine_reset(struct engine *);
void			 engine_free(struct engine *);
size_t			 engine_nstages(const struct engine *);
const struct rule_stats	*engine_stats(const struct engine *, size_t);
const struct rule	*engine_rule(const struct engine *, size_t);
uint64_t		 engine_bytes_in(const struct engine *);
uint64_t		 engine_bytes_out(const struct engine *);
struct scratch		*engine_scratch(const struct engine *);
void			 engine_emit(struct engine *, const struct line *);
void			 engine_observe(struct engine *, engine_observer, void *);
int			 engine_may(const struct engine *, int, uint64_t);

#endif
