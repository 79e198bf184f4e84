/* Configuration generations: load, share by reference, compare. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "generation.h"
#include "xmalloc.h"

#define GENERATION_MAX_KEYS	16

/*
 * Load rules and daemon settings (with the command line overrides) as one
 * generation with one reference; NULL with every error in errs.  Loading
 * stops early once *cancel is set (cancel may be NULL).
 */
struct generation *
generation_load(const char *path, const struct settings_override *ov,
    const int *cancel, struct config_errors *errs)
{
	struct generation	*g;
	struct config		*cfg;

	if ((cfg = config_load_cancel(path, errs, cancel)) == NULL)
		return (NULL);
	g = xcalloc(1, sizeof *g);
	if (settings_load(&g->set, cfg, ov, errs) != 0) {
		config_unref(cfg);
		free(g);
		return (NULL);
	}
	g->cfg = cfg;
	g->rule_slots = xcalloc(cfg->nrules + 1, sizeof *g->rule_slots);
	g->refs = 1;
	return (g);
}

/* Take a reference (any thread). */
void
generation_ref(struct generation *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
}

/* Drop a reference, freeing the generation with the last one. */
void
generation_unref(struct generation *g)
{
	if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	settings_free(&g->set);
	config_unref(g->cfg);
	free(g->rule_slots);
	free(g);
}

/*
 * Name, in buf ("socket, workers"), every key that differs between the
 * running generation and a new one but that only a restart can apply;
 * returns how many.
 */
size_t
generation_restart_keys(const struct generation *running,
    const struct generation *g, char *buf, size_t size)
{
	const char	*keys[GENERATION_MAX_KEYS];
	size_t		 i, n, off = 0;

	n = settings_restart_keys(&running->set, &g->set, keys,
	    GENERATION_MAX_KEYS);
	if (size != 0)
		buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i ? ", " : "", keys[i]);
	return (n);
}
