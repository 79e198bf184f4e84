/*
 * Measurement tool: what the number of rules costs the engine.  Writes a
 * configuration of N rules (replace, drop-line and drop-block in turn,
 * then a blank rule) to a temporary file, or takes the configuration
 * CONF, and prints the time to load it, to make and free a stream
 * (engine_new + engine_free with the thread's scratch space, a
 * connection's set-up), to reset one (engine_reset, a JSON Lines record),
 * to clean a one-line document, and to clean one with a new thread's
 * scratch space (what a worker pays once per configuration: the
 * prefilter's Vectorscan scratch space is made on the first scan).
 * usage: rulecost N [REPS] | rulecost -c CONF [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "scratch.h"

/* Sink: discard. */
static void
rulecost_write(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

/* Seconds on the monotonic clock. */
static double
rulecost_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Write a configuration of n rules; returns its path (caller frees). */
static char *
rulecost_conf(long n)
{
	char	*path = strdup("/tmp/scrubd-rulecost-XXXXXX");
	FILE	*f;
	long	 i;
	int	 fd;

	if (path == NULL || (fd = mkstemp(path)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		perror("rulecost");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		if (i % 3 == 0)
			fprintf(f, "[filter:r%ld]\ntype = replace\n"
			    "pattern = tok%ldx\n", i, i);
		else if (i % 3 == 1)
			fprintf(f, "[filter:r%ld]\ntype = drop-line\n"
			    "pattern = ^ad%ld\n", i, i);
		else
			fprintf(f, "[filter:r%ld]\ntype = drop-block\n"
			    "begin = ^B%ld\nend = ^E%ld\n", i, i, i);
	}
	fprintf(f, "[filter:blank]\ntype = blank\n");
	fclose(f);
	return (path);
}

/* Clean a one-line document with a new scratch space, freed after. */
static void
rulecost_first(const struct config *cfg, const struct sink *sink)
{
	struct scratch	*sc = scratch_new();
	struct engine	*e = engine_new(cfg, sink, sc);

	engine_feed(e, "a line of text\n", 15);
	engine_finish(e);
	engine_free(e);
	scratch_free(sc);
}

/*
 * Time engine_new + engine_free, engine_reset, a one-line document (all
 * with one scratch space) and a one-line document with a new one.
 */
static void
rulecost_engine(const struct config *cfg, int reps, double *t)
{
	struct sink	 sink = { rulecost_write, NULL };
	struct scratch	*sc = scratch_new();
	struct engine	*e;
	double		 t0;
	int		 i;

	rulecost_first(cfg, &sink);	/* warm up */
	t0 = rulecost_now();
	for (i = 0; i < reps; i++)
		engine_free(engine_new(cfg, &sink, sc));
	t[0] = (rulecost_now() - t0) / reps;
	t0 = rulecost_now();
	for (i = 0; i < reps; i++)
		rulecost_first(cfg, &sink);
	t[3] = (rulecost_now() - t0) / reps;
	e = engine_new(cfg, &sink, sc);
	t0 = rulecost_now();
	for (i = 0; i < reps; i++)
		engine_reset(e);
	t[1] = (rulecost_now() - t0) / reps;
	t0 = rulecost_now();
	for (i = 0; i < reps; i++) {
		engine_reset(e);
		engine_feed(e, "a line of text\n", 15);
		engine_finish(e);
	}
	t[2] = (rulecost_now() - t0) / reps;
	engine_free(e);
	scratch_free(sc);
}

int
main(int argc, char **argv)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	char			*path;
	double			 t0, load, t[4];
	long			 n = 0;
	int			 reps, given;

	given = argc > 2 && strcmp(argv[1], "-c") == 0;
	if (argc < 2 || (!given && (n = strtol(argv[1], NULL, 10)) < 0)) {
		fprintf(stderr, "usage: rulecost N [REPS] | rulecost -c CONF "
		    "[REPS]\n");
		return (2);
	}
	reps = argc > 2 + given ? atoi(argv[2 + given]) : 20;
	if (reps < 1)
		reps = 1;
	path = given ? strdup(argv[2]) : rulecost_conf(n);
	t0 = rulecost_now();
	cfg = config_load(path, &errs);
	load = rulecost_now() - t0;
	if (!given)
		unlink(path);
	free(path);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", errs.v[0]);
		return (1);
	}
	rulecost_engine(cfg, reps, t);
	printf("%zu rules: config_load %.1f ms, engine_new+engine_free "
	    "%.1f us, engine_reset %.1f us, one-line document %.1f us, "
	    "with a new scratch space %.1f us\n", cfg->nrules, load * 1e3,
	    t[0] * 1e6, t[1] * 1e6, t[2] * 1e6, t[3] * 1e6);
	config_unref(cfg);
	return (0);
}
