/* What the fuzz targets share: a sink into a buffer, a loader that aborts. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "config.h"

/* Sink appending to a struct buf. */
static inline void
fuzz_buf_write(void *arg, const char *p, size_t len)
{
	buf_append(arg, p, len);
}

/* Load a configuration or abort. */
static inline struct config *
fuzz_load(const char *path)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;

	if ((cfg = config_load(path, &errs)) == NULL) {
		fprintf(stderr, "%s\n", errs.n ? errs.v[0] : path);
		abort();
	}
	return (cfg);
}

#endif
