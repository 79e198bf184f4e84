/* One input stream cleaned either as a raw document or as JSON Lines. */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "encoding.h"

struct config;
struct rule_stats;
struct sink;
struct stream;
struct scratch;

enum stream_kind { STREAM_RAW, STREAM_JSONL };

struct stream	*stream_new(const struct config *, const struct sink *,
		    enum stream_kind, struct scratch *);
void		 stream_feed(struct stream *, const char *, size_t);
void		 stream_finish(struct stream *);
void		 stream_free(struct stream *);
size_t		 stream_nrules(const struct stream *);
const char	*stream_rule_name(const struct stream *, size_t);
const struct rule_stats *stream_rule_stats(const struct stream *, size_t);
uint64_t	 stream_documents(const struct stream *);
uint64_t	 stream_lines_dropped(const struct stream *);
enum encoding	 stream_encoding(const struct stream *);

#endif
