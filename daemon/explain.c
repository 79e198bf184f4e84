/*
 * --explain: instead of the cleaned text, print what the rules did: each
 * line dropped or changed, with its number, the rule and the text (changed
 * lines before and after), then every rule's totals.  What a rule author
 * reads before trusting a new rule with a corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "explain.h"
#include "oneshot.h"
#include "xmalloc.h"

struct explain {
	struct engine		*engine;
	const char		*name;		/* the document */
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

/* Sink: the cleaned text is not shown (the engine counts its bytes). */
static void
explain_sink(void *arg, const char *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
}

/* Feed adapter for the engine. */
static void
explain_feed(void *arg, const char *p, size_t len)
{
	engine_feed(arg, p, len);
}

/* Run one document through the engine with the observer on. */
static int
explain_doc(void *arg, int fd, const char *name)
{
	struct explain	*x = arg;
	size_t		 i;

	x->name = name;
	engine_reset(x->engine);
	if (oneshot_read(fd, name, explain_feed, x->engine) != 0)
		return (-1);
	engine_finish(x->engine);
	printf("%s: %llu bytes in, %llu out\n", name,
	    (unsigned long long)engine_bytes_in(x->engine),
	    (unsigned long long)engine_bytes_out(x->engine));
	for (i = 0; i < engine_nstages(x->engine); i++)
		rule_stats_add(&x->totals[i], engine_stats(x->engine, i));
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
		    (unsigned long long)rule_stats_removed(&t[i]));
}

/* Explain every file (or standard input); 0 if all could be read. */
int
explain_run(const struct config *cfg, char **files, int nfiles)
{
	struct explain	x;
	struct sink	sink = { explain_sink, NULL };
	int		rc;

	memset(&x, 0, sizeof x);
	x.totals = xcalloc(cfg->nrules + 1, sizeof *x.totals);
	x.engine = engine_new(cfg, &sink, NULL);
	engine_observe(x.engine, explain_event, &x);
	rc = oneshot_each(files, nfiles, explain_doc, &x);
	explain_totals(cfg, x.totals);
	engine_free(x.engine);
	free(x.totals);
	return (rc);
}
