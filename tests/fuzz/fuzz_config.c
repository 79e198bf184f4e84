/*
 * libFuzzer target: the configuration loader.  Arbitrary INI text never
 * crashes it, and every rejection names a line: each error reads
 * FILE:LINE: message.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char	fuzz_path[64];

/* Make the file the inputs are written to. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int	fd;

	(void)argc;
	(void)argv;
	snprintf(fuzz_path, sizeof fuzz_path, "/tmp/scrubd-fuzz-XXXXXX");
	if ((fd = mkstemp(fuzz_path)) == -1)
		abort();
	close(fd);
	return (0);
}

/* Does an error start with "PATH:DIGITS: " (of this file or another)? */
static int
fuzz_names_line(const char *e)
{
	const char	*c;

	for (c = strchr(e, ':'); c != NULL; c = strchr(c + 1, ':')) {
		if (!isdigit((unsigned char)c[1]))
			continue;
		for (c++; isdigit((unsigned char)*c); c++)
			;
		if (c[0] == ':' && c[1] == ' ')
			return (1);
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	FILE			*f;
	size_t			 i;

	if ((f = fopen(fuzz_path, "w")) == NULL)
		abort();
	fwrite(data, 1, len, f);
	fclose(f);
	cfg = config_load(fuzz_path, &errs);
	if (cfg != NULL) {
		if (errs.n != 0)
			abort();
		config_unref(cfg);
		return (0);
	}
	if (errs.n == 0)
		abort();	/* rejected without a reason */
	for (i = 0; i < errs.n; i++) {
		if (!fuzz_names_line(errs.v[i])) {
			fprintf(stderr, "error without a line: %s\n",
			    errs.v[i]);
			abort();
		}
	}
	config_errors_free(&errs);
	return (0);
}
