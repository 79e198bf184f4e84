/*
 * --explain: instead of the cleaned text, print what the rules did: each
 * line dropped or changed, with its number, the rule and the text (changed
 * lines before and after), then every rule's totals.  What a rule author
 * reads before trusting a new rule with a corpus.  A document in another
 * encoding is decoded first (transcode.c): lines are shown, and bytes
 * counted, as the rules see them, in UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "explain.h"
#include "log.h"
#include "oneshot.h"
#include "transcode.h"
#include "xmalloc.h"

struct explain {
	struct engine		*engine;
	struct transcode	*tc;		/* NULL: documents are UTF-8 */
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

/* Feed adapter for the encoding layer. */
static void
explain_feed_encoded(void *arg, const char *p, size_t len)
{
	transcode_feed(arg, p, len);
}

/* Run one document through the engine with the observer on. */
static int
explain_doc(void *arg, int fd, const char *name)
{
	struct explain	*x = arg;
	size_t		 i;
	int		 rc;

	x->name = name;
	engine_reset(x->engine);
	if (x->tc != NULL) {
		transcode_reset(x->tc);
		rc = oneshot_read(fd, name, explain_feed_encoded, x->tc, NULL);
		if (rc == 0)
			transcode_end_input(x->tc);
	} else
		rc = oneshot_read(fd, name, explain_feed, x->engine, NULL);
	if (rc != 0)
		return (-1);
	engine_finish(x->engine);
	printf("%s: %llu bytes in, %llu out", name,
	    (unsigned long long)engine_bytes_in(x->engine),
	    (unsigned long long)engine_bytes_out(x->engine));
	if (x->tc != NULL)
		printf(" (of UTF-8: read as %s)",
		    encoding_name(transcode_encoding(x->tc)));
	printf("\n");
	for (i = 0; i < engine_nstages(x->engine); i++)
		rule_stats_add(&x->totals[i], engine_stats(x->engine, i));
	return (ferror(stdout) ? 1 : 0);	/* a write failed: stop */
}

/* Flush standard output; 0, or -1 (logged) if a write failed. */
static int
explain_flush(void)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return (0);
	if (errno != 0)
		log_warn("standard output");
	else
		log_warnx("standard output: write error");
	return (-1);
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
	struct sink	sink = { explain_sink, NULL }, text;
	int		rc;

	memset(&x, 0, sizeof x);
	x.totals = xcalloc(cfg->nrules + 1, sizeof *x.totals);
	x.engine = engine_new(cfg, &sink, NULL);
	engine_observe(x.engine, explain_event, &x);
	if (cfg->encoding != ENCODING_UTF8) {
		x.tc = transcode_new(cfg->encoding, ENCODING_SAME, &sink);
		text.write = explain_feed;
		text.arg = x.engine;
		transcode_attach(x.tc, &text);
	}
	rc = oneshot_each(files, nfiles, explain_doc, &x);
	if (!ferror(stdout))
		explain_totals(cfg, x.totals);
	if (explain_flush() != 0)
		rc = 1;
	transcode_free(x.tc);
	engine_free(x.engine);
	free(x.totals);
	return (rc);
}
