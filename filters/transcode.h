/*
 * The encoding layer between a document and the engine.  Bytes fed in
 * the document's encoding are decoded to UTF-8 (codec.h: invalid bytes
 * become escapes) and handed to the engine; what the engine writes is
 * encoded back into the document's encoding (or written as UTF-8) and
 * handed to the real sink.  Streaming both ways: a character cut between
 * two feeds or two writes is carried over, never a whole document held.
 *
 * Lines the engine passes on unchanged from the text of the current feed
 * are not encoded again: the bytes they were decoded from are written,
 * which is what encoding them would give (codec.h), only cheaper.
 */
#ifndef TRANSCODE_H
#define TRANSCODE_H

#include <stddef.h>

#include "encoding.h"

struct sink;
struct transcode;

struct transcode	*transcode_new(enum encoding, enum encoding,
			    const struct sink *);
void			 transcode_attach(struct transcode *,
			    const struct sink *);
void			 transcode_write(void *, const char *, size_t);
void			 transcode_feed(struct transcode *, const char *,
			    size_t);
void			 transcode_end_input(struct transcode *);
void			 transcode_end_output(struct transcode *);
void			 transcode_reset(struct transcode *);
enum encoding		 transcode_encoding(const struct transcode *);
void			 transcode_free(struct transcode *);

#endif
