/* A raw document (the engine) or JSON Lines (jsonl) behind one interface. */
#include <stdlib.h>

#include "engine.h"
#include "jsonl.h"
#include "stream.h"
#include "xmalloc.h"

struct stream {
	enum stream_kind	 kind;
	struct engine		*engine;
	struct jsonl		*jsonl;
};

/* Start a stream of the given kind writing to sink. */
struct stream *
stream_new(const struct config *cfg, const struct sink *sink,
    enum stream_kind kind)
{
	struct stream	*s;

	s = xcalloc(1, sizeof *s);
	s->kind = kind;
	if (kind == STREAM_JSONL)
		s->jsonl = jsonl_new(cfg, sink);
	else
		s->engine = engine_new(cfg, sink);
	return (s);
}

/* Feed bytes. */
void
stream_feed(struct stream *s, const char *p, size_t len)
{
	if (s->kind == STREAM_JSONL)
		jsonl_feed(s->jsonl, p, len);
	else
		engine_feed(s->engine, p, len);
}

/* End of input. */
void
stream_finish(struct stream *s)
{
	if (s->kind == STREAM_JSONL)
		jsonl_finish(s->jsonl);
	else
		engine_finish(s->engine);
}

/* Free the stream. */
void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	jsonl_free(s->jsonl);
	engine_free(s->engine);
	free(s);
}
