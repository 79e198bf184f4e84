/*
 * libFuzzer target: the JSON Lines reader.  Arbitrary input gives exactly
 * one output row per input line, each ending in a newline, whatever the
 * chunking.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "jsonl.h"
#include "fuzz.h"

static struct config	*fuzz_cfg;

/* Load the configuration once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct config_errors	errs = { NULL, 0 };

	(void)argc;
	(void)argv;
	fuzz_cfg = config_load(SCRUBD_ROOT "/tests/fuzz/jsonl.conf", &errs);
	if (fuzz_cfg == NULL)
		abort();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf	 out = { NULL, 0, 0 };
	struct sink	 sink = { fuzz_buf_write, &out };
	struct jsonl	*j;
	size_t		 i, lines = 0, rows = 0, off = 0, n;

	for (i = 0; i < len; i++)
		lines += data[i] == '\n';
	if (len > 0 && data[len - 1] != '\n')
		lines++;
	j = jsonl_new(fuzz_cfg, &sink, NULL);
	while (off < len) {
		n = 1 + (off * 7 + len) % 61;
		if (n > len - off)
			n = len - off;
		jsonl_feed(j, (const char *)data + off, n);
		off += n;
	}
	jsonl_finish(j);
	jsonl_free(j);
	for (i = 0; i < out.len; i++)
		rows += out.data[i] == '\n';
	if (rows != lines || (out.len != 0 && out.data[out.len - 1] != '\n'))
		abort();
	buf_free(&out);
	return (0);
}
