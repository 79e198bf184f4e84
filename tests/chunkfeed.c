/*
 * Test driver: clean a file with the engine (through the encoding layer
 * when the document is not UTF-8), fed in random chunk sizes, and write
 * the result to stdout.
 * usage: chunkfeed CONF FILE SEED MAX [ENCODING [OUTPUT_ENCODING]]
 * (chunks of 1..MAX bytes; SEED 0 feeds the whole file at once; ENCODING
 * and OUTPUT_ENCODING override [engine] encoding and output_encoding).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "config.h"
#include "engine.h"
#include "stream.h"
#include "xmalloc.h"

/* Sink: write to stdout. */
static void
chunkfeed_write(void *arg, const char *p, size_t len)
{
	(void)arg;
	fwrite(p, 1, len, stdout);
}

/* Read a whole file into memory. */
static char *
chunkfeed_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p = NULL;
	size_t	 cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	*len = 0;
	do {
		cap = cap ? cap * 2 : 65536;
		p = xrealloc(p, cap);
		n = fread(p + *len, 1, cap - *len, f);
		*len += n;
	} while (*len == cap);
	fclose(f);
	return (p);
}

int
main(int argc, char **argv)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	struct stream		*st;
	struct sink		 sink = { chunkfeed_write, NULL };
	char			*data;
	size_t			 len, off = 0, n, max;
	unsigned long		 seed;

	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: chunkfeed CONF FILE SEED MAX "
		    "[ENCODING [OUTPUT_ENCODING]]\n");
		return (2);
	}
	if ((cfg = config_load(argv[1], &errs)) == NULL) {
		fprintf(stderr, "%s\n", errs.n ? errs.v[0] : "bad config");
		config_errors_free(&errs);
		return (2);
	}
	if ((argc > 5 && (encoding_parse(argv[5], &cfg->encoding) != 0 ||
	    codec_init(cfg->encoding, NULL) != 0)) || (argc > 6 &&
	    encoding_parse_output(argv[6], &cfg->output_encoding) != 0)) {
		fprintf(stderr, "chunkfeed: bad encoding\n");
		return (2);
	}
	data = chunkfeed_slurp(argv[2], &len);
	seed = strtoul(argv[3], NULL, 10);
	max = strtoul(argv[4], NULL, 10);
	srandom((unsigned)seed);
	st = stream_new(cfg, &sink, STREAM_RAW, NULL);
	while (off < len) {
		n = seed == 0 ? len : 1 + (size_t)random() % (max ? max : 1);
		if (n > len - off)
			n = len - off;
		stream_feed(st, data + off, n);
		off += n;
	}
	stream_finish(st);
	stream_free(st);
	config_unref(cfg);
	free(data);
	return (0);
}
