/*
 * Converters between a document's encoding and the UTF-8 the rules see.
 * Decoding turns every byte that is not part of a valid character of the
 * encoding into an escape: the lone surrogate U+DC00+byte written as the
 * three bytes ED B0..B3 xx, which is not UTF-8 (rules treat it as content,
 * as they do invalid UTF-8) and which no valid input ever decodes to.
 * Encoding turns an escape back into its byte.  Only sequences whose
 * character encodes back to exactly the same bytes are valid, so encoding
 * what was decoded gives back the input, byte for byte, whatever it was.
 *
 * Both directions are streaming: a sequence cut at the end of the input
 * is left unconsumed (the caller carries it to the next call) unless the
 * input is final, so the result never depends on how it was cut.
 */
#ifndef CODEC_H
#define CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "encoding.h"

/* Room the output of a call needs for len bytes of input. */
#define CODEC_DECODE_ROOM(len)	(3 * (size_t)(len) + 8)
#define CODEC_ENCODE_ROOM(len)	(2 * (size_t)(len) + 8)
#define CODEC_CARRY		4	/* most bytes a call leaves over */
#define CODEC_MARKS_MAX		8192	/* line starts noted per call */

/*
 * Where lines start: for each '\n' decoded, the offsets just past it in
 * the input and in the output (pairs in v[2i], v[2i+1]).
 */
struct codec_marks {
	uint32_t	*v;
	size_t		 n;
	size_t		 cap;
};

int	codec_init(enum encoding, char **);
size_t	codec_decode(enum encoding, const char *, size_t, int, char *,
	    size_t *, struct codec_marks *);
size_t	codec_encode(enum encoding, const char *, size_t, int, char *,
	    size_t *);
size_t	codec_unit(enum encoding);
void	codec_marks_free(struct codec_marks *);

#endif
