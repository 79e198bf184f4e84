/*
 * A raw document (the engine) or JSON Lines (jsonl) behind one interface.
 * A raw document in another encoding than UTF-8 goes through the encoding
 * layer (transcode.c) on its way in and out of the engine; JSON Lines is
 * always UTF-8 (RFC 8259), whatever [engine] encoding says.
 */
#include <stdlib.h>

#include "config.h"
#include "engine.h"
#include "filter.h"
#include "jsonl.h"
#include "stream.h"
#include "transcode.h"
#include "xmalloc.h"

struct stream {
	enum stream_kind	 kind;
	struct engine		*engine;
	struct jsonl		*jsonl;
	struct transcode	*tc;	/* NULL: the bytes are UTF-8 */
};

/* The encoding layer's decoded text goes to the engine. */
static void
stream_text(void *arg, const char *p, size_t len)
{
	engine_feed(arg, p, len);
}

/* Start a raw document behind the encoding layer. */
static void
stream_new_transcoded(struct stream *s, const struct config *cfg,
    const struct sink *sink, struct scratch *sc)
{
	struct sink	esink, text;

	s->tc = transcode_new(cfg->encoding, cfg->output_encoding, sink);
	esink.write = transcode_write;
	esink.arg = s->tc;
	s->engine = engine_new(cfg, &esink, sc);
	text.write = stream_text;
	text.arg = s->engine;
	transcode_attach(s->tc, &text);
}

/* Start a stream of the given kind writing to sink (sc: see engine_new). */
struct stream *
stream_new(const struct config *cfg, const struct sink *sink,
    enum stream_kind kind, struct scratch *sc)
{
	struct stream	*s;

	s = xcalloc(1, sizeof *s);
	s->kind = kind;
	if (kind == STREAM_JSONL)
		s->jsonl = jsonl_new(cfg, sink, sc);
	else if (cfg->encoding != ENCODING_UTF8)
		stream_new_transcoded(s, cfg, sink, sc);
	else
		s->engine = engine_new(cfg, sink, sc);
	return (s);
}

/* Feed bytes. */
void
stream_feed(struct stream *s, const char *p, size_t len)
{
	if (s->kind == STREAM_JSONL)
		jsonl_feed(s->jsonl, p, len);
	else if (s->tc != NULL)
		transcode_feed(s->tc, p, len);
	else
		engine_feed(s->engine, p, len);
}

/* End of input. */
void
stream_finish(struct stream *s)
{
	if (s->kind == STREAM_JSONL)
		jsonl_finish(s->jsonl);
	else if (s->tc != NULL) {
		transcode_end_input(s->tc);
		engine_finish(s->engine);
		transcode_end_output(s->tc);
	} else
		engine_finish(s->engine);
}

/* The encoding the document was read in (JSON Lines: UTF-8). */
enum encoding
stream_encoding(const struct stream *s)
{
	return (s->tc != NULL ? transcode_encoding(s->tc) : ENCODING_UTF8);
}

/* The engine whose rules this stream runs. */
static const struct engine *
stream_engine(const struct stream *s)
{
	return (s->kind == STREAM_JSONL ? jsonl_engine(s->jsonl) : s->engine);
}

/* Number of rules. */
size_t
stream_nrules(const struct stream *s)
{
	return (engine_nstages(stream_engine(s)));
}

/* Name of rule i. */
const char *
stream_rule_name(const struct stream *s, size_t i)
{
	return (engine_rule(stream_engine(s), i)->name);
}

/* What rule i did over the whole stream. */
const struct rule_stats *
stream_rule_stats(const struct stream *s, size_t i)
{
	if (s->kind == STREAM_JSONL)
		return (jsonl_rule_stats(s->jsonl, i));
	return (engine_stats(s->engine, i));
}

/* Documents in the stream: one, or one per JSON Lines record. */
uint64_t
stream_documents(const struct stream *s)
{
	return (s->kind == STREAM_JSONL ? jsonl_records(s->jsonl) : 1);
}

/* Lines dropped by every rule. */
uint64_t
stream_lines_dropped(const struct stream *s)
{
	uint64_t	n = 0;
	size_t		i;

	for (i = 0; i < stream_nrules(s); i++)
		n += stream_rule_stats(s, i)->lines_dropped;
	return (n);
}

/* Free the stream. */
void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	jsonl_free(s->jsonl);
	engine_free(s->engine);
	transcode_free(s->tc);
	free(s);
}
