/* One input stream cleaned either as a raw document or as JSON Lines. */
#ifndef STREAM_H
#define STREAM_H

#include <stddef.h>

struct config;
struct sink;
struct stream;

enum stream_kind { STREAM_RAW, STREAM_JSONL };

struct stream	*stream_new(const struct config *, const struct sink *,
		    enum stream_kind);
void		 stream_feed(struct stream *, const char *, size_t);
void		 stream_finish(struct stream *);
void		 stream_free(struct stream *);

#endif
