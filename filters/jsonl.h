/*
 * JSON Lines: each input line is a JSON object whose text field is cleaned
 * as one whole document by the rules; every other byte of the line is kept.
 * Fed bytes like the engine, written to a sink, one output line per input
 * line.  No sockets, threads or event loops here either.
 */
#ifndef JSONL_H
#define JSONL_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct engine;
struct rule_stats;
struct sink;
struct jsonl;
struct scratch;

struct jsonl	*jsonl_new(const struct config *, const struct sink *,
		    struct scratch *);
void		 jsonl_feed(struct jsonl *, const char *, size_t);
void		 jsonl_finish(struct jsonl *);
void		 jsonl_free(struct jsonl *);
uint64_t	 jsonl_records(const struct jsonl *);
uint64_t	 jsonl_errors(const struct jsonl *);
const struct engine *jsonl_engine(const struct jsonl *);
const struct rule_stats *jsonl_rule_stats(const struct jsonl *, size_t);

#endif
