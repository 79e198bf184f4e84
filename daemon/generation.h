/*
 * A configuration generation: the rules and the daemon settings read
 * together from one file, compiled, checked, then shared read-only by
 * every thread and reference-counted; a reload builds a whole new one.
 */
#ifndef GENERATION_H
#define GENERATION_H

#include <stddef.h>
#include <stdint.h>

#include "settings.h"

struct config;
struct config_errors;

struct generation {
	struct config	*cfg;
	struct settings	 set;
	uint64_t	 number;	/* 1 at start, +1 per reload taken */
	uint32_t	*rule_slots;	/* metrics slot of each rule */
	unsigned	 refs;
};

struct generation	*generation_load(const char *,
			    const struct settings_override *, const int *,
			    struct config_errors *);
void			 generation_ref(struct generation *);
void			 generation_unref(struct generation *);
size_t			 generation_restart_keys(const struct generation *,
			    const struct generation *, char *, size_t);

#endif
