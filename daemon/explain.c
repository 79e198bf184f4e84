/*
 * --explain: instead of the cleaned text, print what the rules did: each
 * line dropped or changed, with its number, the rule and the text (changed
 * lines before and after), then every rule's totals.  What a rule author
 * reads before trusting a new rule with a corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "scrubd.h"
#include "xmalloc.h"

#define EXPLAIN_BUFSIZE	(256 * 1024)

struct explain {
	const char		*name;		/* the document */
	uint64_t		 out;		/* bytes the rules kept */
	struct rule_stats	*totals;
};

/* Print text for a terminal: control bytes as \xNN, the rest as is. */
static void
explain_text(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f)
			printf("\\x%02x", (unsigned char)p[i]);
		else
			putchar(p[i]);
	}
	putchar('\n');
}

/* Observer: one line per dropped line, two per changed one. */
static void
explain_event(void *arg, const struct engine_event *ev)
{
	struct explain	*x = arg;

	printf("%s:%llu: %s: %s: ", x->name, (unsigned long long)ev->lineno,
	    ev->rule->name, ev->kind == ENGINE_DROPPED ? "dropped" : "changed");
	explain_text(ev->before, ev->blen);
	if (ev->kind != ENGINE_CHANGED)
		return;
	printf("%s:%llu: %s:      to: ", x->name,
	    (unsigned long long)ev->lineno, ev->rule->name);
	explain_text(ev->after, ev->alen);
}

/* Sink: the cleaned text is only counted. */
static void
explain_sink(void *arg, const char *p, size_t len)
{
	struct explain	*x = arg;

	(void)p;
	x->out += len;
}

/* Run one document through the engine with the observer on. */
static int
explain_file(struct engine *e, struct explain *x, int fd, char *in)
{
	const struct rule_stats	*rs;
	ssize_t			 n;
	size_t			 i;

	engine_observe(e, explain_event, x);
	while ((n = read(fd, in, EXPLAIN_BUFSIZE)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read %s", x->name);
			return (-1);
		}
		engine_feed(e, in, (size_t)n);
	}
	engine_finish(e);
	printf("%s: %llu bytes in, %llu out\n", x->name,
	    (unsigned long long)engine_bytes_in(e),
	    (unsigned long long)engine_bytes_out(e));
	for (i = 0; i < engine_nstages(e); i++) {
		rs = engine_stats(e, i);
		x->totals[i].matches += rs->matches;
		x->totals[i].lines_dropped += rs->lines_dropped;
		x->totals[i].bytes_in += rs->bytes_in;
		x->totals[i].bytes_out += rs->bytes_out;
	}
	return (0);
}

/* Print every rule's totals over all documents. */
static void
explain_totals(const struct config *cfg, const struct rule_stats *t)
{
	size_t	i;

	printf("totals:\n");
	for (i = 0; i < cfg->nrules; i++)
		printf("  %-20s %-10s matches=%llu lines_dropped=%llu "
		    "bytes_removed=%llu\n", cfg->rules[i].name,
		    cfg->rules[i].type->name,
		    (unsigned long long)t[i].matches,
		    (unsigned long long)t[i].lines_dropped,
		    (unsigned long long)(t[i].bytes_in - t[i].bytes_out));
}

/* Explain every file (or standard input); 0 if all could be read. */
int
explain_run(const struct config *cfg, char **files, int nfiles)
{
	struct explain	 x;
	struct sink	 sink = { explain_sink, &x };
	struct engine	*e;
	char		*in;
	int		 i, fd, rc = 0;

	memset(&x, 0, sizeof x);
	x.totals = xcalloc(cfg->nrules + 1, sizeof *x.totals);
	in = xmalloc(EXPLAIN_BUFSIZE);
	e = engine_new(cfg, &sink);
	for (i = 0; i < (nfiles == 0 ? 1 : nfiles); i++) {
		x.name = nfiles == 0 ? "-" : files[i];
		if (strcmp(x.name, "-") == 0)
			fd = STDIN_FILENO;
		else if ((fd = open(x.name, O_RDONLY)) == -1) {
			log_warn("open %s", x.name);
			rc = 1;
			continue;
		}
		if (explain_file(e, &x, fd, in) != 0)
			rc = 1;
		if (fd != STDIN_FILENO)
			close(fd);
		engine_reset(e);
	}
	explain_totals(cfg, x.totals);
	engine_free(e);
	free(in);
	free(x.totals);
	return (rc);
}
