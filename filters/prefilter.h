/*
 * The whole-buffer prefilter.  At configuration time every pattern list
 * of every rule (a "slot") gets the literals one of which each of its
 * matches must contain (required.c), and a phrase list its phrases; all
 * of them go into one Vectorscan literal database, compiled once per
 * configuration and shared by every stream and thread.  For each chunk
 * fed, the engine scans its complete lines once (pfscan_chunk) and learns,
 * line by line (pfscan_line), which slots may match it: a slot without
 * a hit in a line the scan saw whole cannot match that line, and its rule
 * skips PCRE2 there.  It may say "maybe" too often, never "no" wrongly.
 *
 * The database also finds the phrases of phrase lists (phrases_file):
 * phrases_exec() matches a list in any text, as PCRE2 would match the
 * alternation of the phrases quoted (leftmost, then first listed).
 *
 * Without Vectorscan (make VECTORSCAN=no), or with prefilter_set_enabled
 * (0) before loading, there is no database: every rule runs on every
 * line, and phrase lists are compiled by PCRE2 (patterns.c).
 */
#ifndef PREFILTER_H
#define PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

struct config;
struct config_ctx;
struct prefilter;
struct pfscan;
struct scratch;

int		 prefilter_available(void);
int		 prefilter_enabled(void);
void		 prefilter_set_enabled(int);
struct prefilter *prefilter_build(struct config *, struct config_ctx *);
void		 prefilter_free(struct prefilter *);
size_t		 prefilter_nslots(const struct prefilter *);
struct pfscan	*pfscan_new(const struct prefilter *);
void		 pfscan_free(struct pfscan *);
void		 pfscan_chunk(struct pfscan *, struct scratch *, const char *,
		    size_t);
uint64_t	 pfscan_line(struct pfscan *, const char *, size_t);
int		 pfscan_may(const struct pfscan *, int, uint64_t);
enum pattern_result phrases_exec(const struct patterns *, struct scratch *,
		    const char *, size_t, size_t, uint32_t, size_t *, size_t *);

#endif
