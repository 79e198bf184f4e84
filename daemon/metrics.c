/*
 * Metrics in the Prometheus text format: per-thread counters, summed and
 * rendered into a buffer when scraped (the transport is http.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "filter.h"
#include "metrics.h"
#include "stream.h"
#include "xmalloc.h"

static const double metrics_bounds[METRICS_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10, 60
};

/* An empty name registry. */
void
metrics_names_init(struct metrics_names *nm)
{
	memset(nm, 0, sizeof *nm);
}

/* Free the registry. */
void
metrics_names_free(struct metrics_names *nm)
{
	size_t	i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	free(nm->table);
	memset(nm, 0, sizeof *nm);
}

/* FNV-1a hash of a name. */
static size_t
metrics_hash(const char *s)
{
	size_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h);
}

/* Put slot i into the hash table (which has room). */
static void
metrics_names_insert(struct metrics_names *nm, uint32_t i)
{
	size_t	h = metrics_hash(nm->v[i]) & (nm->tcap - 1);

	while (nm->table[h] != 0)
		h = (h + 1) & (nm->tcap - 1);
	nm->table[h] = i + 1;
}

/* Double the hash table and re-insert every name. */
static void
metrics_names_grow(struct metrics_names *nm)
{
	size_t	i;

	nm->tcap = nm->tcap ? nm->tcap * 2 : 64;
	free(nm->table);
	nm->table = xcalloc(nm->tcap, sizeof *nm->table);
	for (i = 0; i < nm->n; i++)
		metrics_names_insert(nm, (uint32_t)i);
}

/* The slot of a rule name, given a new one the first time it is seen. */
uint32_t
metrics_names_slot(struct metrics_names *nm, const char *name)
{
	size_t	h;

	if (nm->tcap != 0) {
		h = metrics_hash(name) & (nm->tcap - 1);
		for (; nm->table[h] != 0; h = (h + 1) & (nm->tcap - 1)) {
			if (strcmp(nm->v[nm->table[h] - 1], name) == 0)
				return (nm->table[h] - 1);
		}
	}
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 16;
		nm->v = xreallocarray(nm->v, nm->cap, sizeof *nm->v);
	}
	nm->v[nm->n] = xstrdup(name);
	if ((nm->n + 1) * 2 > nm->tcap)
		metrics_names_grow(nm);
	else
		metrics_names_insert(nm, (uint32_t)nm->n);
	return ((uint32_t)nm->n++);
}

/* Zeroed counters. */
void
metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
}

/* Free the counters. */
void
metrics_free(struct metrics *m)
{
	free(m->rules);
	pthread_mutex_destroy(&m->lock);
}

/* A connection was accepted and handed to this thread. */
void
metrics_connection(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->connections++;
	pthread_mutex_unlock(&m->lock);
}

/* A connection was refused before it was served. */
void
metrics_refused(struct metrics *m, enum conn_end why)
{
	pthread_mutex_lock(&m->lock);
	m->ends[why]++;
	pthread_mutex_unlock(&m->lock);
}

/* accept() failed. */
void
metrics_accept_error(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->accept_errors++;
	pthread_mutex_unlock(&m->lock);
}

/* Make room for slots below n (lock held). */
static void
metrics_rules_reserve(struct metrics *m, size_t n)
{
	size_t	cap = m->nrules ? m->nrules : 16;

	if (n <= m->nrules)
		return;
	while (cap < n)
		cap *= 2;
	m->rules = xreallocarray(m->rules, cap, sizeof *m->rules);
	memset(m->rules + m->nrules, 0, (cap - m->nrules) * sizeof *m->rules);
	m->nrules = cap;
}

/* Add what one rule did to its slot's counters (lock held). */
static void
metrics_rule_add(struct metrics_rule *mr, const struct rule_stats *rs)
{
	mr->matches += rs->matches;
	mr->lines_dropped += rs->lines_dropped;
	mr->bytes_removed += rule_stats_removed(rs);
	mr->bytes_added += rs->bytes_added;
	mr->match_errors += rs->match_errors;
}

/* One past the largest slot of a stream's rules. */
static size_t
metrics_slots_end(const uint32_t *slots, size_t n)
{
	size_t	i, end = 0;

	for (i = 0; i < n; i++)
		if (slots[i] + 1 > end)
			end = slots[i] + 1;
	return (end);
}

/* A connection finished: its documents, bytes, rules and duration. */
void
metrics_document(struct metrics *m, const struct stream *st,
    const uint32_t *slots, uint64_t in, uint64_t out, double secs,
    enum conn_end end)
{
	size_t	i, n = stream_nrules(st);

	pthread_mutex_lock(&m->lock);
	m->documents += stream_documents(st);
	m->encodings[stream_encoding(st)] += stream_documents(st);
	m->bytes_in += in;
	m->bytes_out += out;
	if (end != CONN_END_OK)
		m->ends[end]++;
	metrics_rules_reserve(m, metrics_slots_end(slots, n));
	for (i = 0; i < n; i++)
		metrics_rule_add(&m->rules[slots[i]], stream_rule_stats(st, i));
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (secs <= metrics_bounds[i])
			m->buckets[i]++;
	m->count++;
	m->sum += secs;
	pthread_mutex_unlock(&m->lock);
}

/* Add one thread's counters into a total (its lock taken). */
static void
metrics_add(struct metrics *t, struct metrics *m)
{
	size_t	i;

	pthread_mutex_lock(&m->lock);
	t->connections += m->connections;
	t->documents += m->documents;
	t->bytes_in += m->bytes_in;
	t->bytes_out += m->bytes_out;
	t->accept_errors += m->accept_errors;
	for (i = 0; i < CONN_END_COUNT; i++)
		t->ends[i] += m->ends[i];
	for (i = 0; i < ENCODING_NDOC; i++)
		t->encodings[i] += m->encodings[i];
	for (i = 0; i < METRICS_NBUCKETS; i++)
		t->buckets[i] += m->buckets[i];
	t->count += m->count;
	t->sum += m->sum;
	metrics_rules_reserve(t, m->nrules);
	for (i = 0; i < m->nrules; i++) {
		t->rules[i].matches += m->rules[i].matches;
		t->rules[i].lines_dropped += m->rules[i].lines_dropped;
		t->rules[i].bytes_removed += m->rules[i].bytes_removed;
		t->rules[i].bytes_added += m->rules[i].bytes_added;
		t->rules[i].match_errors += m->rules[i].match_errors;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Append formatted text to b. */
static void __attribute__((format(printf, 2, 3)))
metrics_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_append(b, line, (size_t)n < sizeof line ? (size_t)n :
		    sizeof line - 1);
}

/* Print a counter or gauge with its help and type lines. */
static void
metrics_one(struct buf *b, const char *name, const char *type,
    const char *help, unsigned long long v)
{
	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
	    name, type, name, v);
}

/* The value of per-rule counter k. */
static uint64_t
metrics_rule_value(const struct metrics_rule *mr, int k)
{
	switch (k) {
	case 0:
		return (mr->matches);
	case 1:
		return (mr->lines_dropped);
	case 2:
		return (mr->bytes_removed);
	case 3:
		return (mr->bytes_added);
	default:
		return (mr->match_errors);
	}
}

/* Print the per-rule counters for every rule name ever loaded. */
static void
metrics_rules(struct buf *b, const struct metrics *t,
    const struct metrics_names *nm)
{
	static const char	*names[] = { "matches", "lines_dropped",
	    "bytes_removed", "bytes_added", "match_errors" };
	static const char	*helps[] = { "Pattern matches, by rule.",
	    "Lines dropped, by rule.", "Bytes removed, by rule.",
	    "Replacement bytes inserted, by rule.",
	    "Matches stopped by a PCRE2 resource limit (text kept), by rule." };
	size_t			 i;
	int			 k;

	for (k = 0; k < 5; k++) {
		metrics_printf(b, "# HELP scrubd_rule_%s_total %s\n# TYPE "
		    "scrubd_rule_%s_total counter\n", names[k], helps[k],
		    names[k]);
		for (i = 0; i < nm->n; i++)
			metrics_printf(b, "scrubd_rule_%s_total{rule=\"%s\"} "
			    "%llu\n", names[k], nm->v[i], (unsigned long long)
			    (i < t->nrules ? metrics_rule_value(&t->rules[i],
			    k) : 0));
	}
}

/* Print the document duration histogram. */
static void
metrics_histogram(struct buf *b, const struct metrics *t)
{
	const char	*n = "scrubd_document_duration_seconds";
	size_t		 i;

	metrics_printf(b, "# HELP %s Time from accept to close, per "
	    "connection.\n# TYPE %s histogram\n", n, n);
	for (i = 0; i < METRICS_NBUCKETS; i++)
		metrics_printf(b, "%s_bucket{le=\"%g\"} %llu\n", n,
		    metrics_bounds[i], (unsigned long long)t->buckets[i]);
	metrics_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", n, (unsigned long long)t->count, n, t->sum, n,
	    (unsigned long long)t->count);
}

/* Print the errors by reason: every way a connection can fail, accept. */
static void
metrics_errors(struct buf *b, const struct metrics *t)
{
	int	i;

	metrics_printf(b, "# HELP scrubd_errors_total Connections ended or "
	    "refused by a limit or an error, and accept failures, by "
	    "reason.\n# TYPE scrubd_errors_total counter\n");
	for (i = 1; i < CONN_END_COUNT; i++)
		metrics_printf(b, "scrubd_errors_total{reason=\"%s\"} %llu\n",
		    conn_end_name((enum conn_end)i),
		    (unsigned long long)t->ends[i]);
	metrics_printf(b, "scrubd_errors_total{reason=\"accept\"} %llu\n",
	    (unsigned long long)t->accept_errors);
}

/* Print the documents by the encoding they were read in. */
static void
metrics_encodings(struct buf *b, const struct metrics *t)
{
	int	i;

	metrics_printf(b, "# HELP scrubd_documents_encoding_total Documents "
	    "by the encoding they were read in (given or detected; JSON "
	    "Lines records are utf-8).\n# TYPE "
	    "scrubd_documents_encoding_total counter\n");
	for (i = 0; i < ENCODING_NDOC; i++)
		metrics_printf(b, "scrubd_documents_encoding_total"
		    "{encoding=\"%s\"} %llu\n", encoding_name((enum encoding)i),
		    (unsigned long long)t->encodings[i]);
}

/* Sum every thread's counters and print them all into b. */
void
metrics_render(const struct metrics_view *v, struct buf *b)
{
	struct metrics	t;
	size_t		i;

	metrics_init(&t);
	for (i = 0; i < v->nthreads; i++)
		metrics_add(&t, v->threads[i]);
	metrics_one(b, "scrubd_documents_total", "counter", "Documents "
	    "cleaned: raw connections and JSON Lines records.", t.documents);
	metrics_encodings(b, &t);
	metrics_one(b, "scrubd_bytes_in_total", "counter", "Bytes read from "
	    "clients.", t.bytes_in);
	metrics_one(b, "scrubd_bytes_out_total", "counter", "Cleaned bytes "
	    "produced for clients.", t.bytes_out);
	metrics_rules(b, &t, v->names);
	metrics_one(b, "scrubd_connections_active", "gauge", "Connections "
	    "open now.", v->active);
	metrics_one(b, "scrubd_connections_total", "counter", "Connections "
	    "accepted and served.", t.connections);
	metrics_errors(b, &t);
	metrics_printf(b, "# HELP scrubd_reloads_total Configuration reloads, "
	    "by result.\n# TYPE scrubd_reloads_total counter\n"
	    "scrubd_reloads_total{result=\"ok\"} %llu\n"
	    "scrubd_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)v->reloads_ok,
	    (unsigned long long)v->reloads_failed);
	metrics_one(b, "scrubd_config_generation", "gauge", "Generation of "
	    "the configuration in force (1 at start).", v->generation);
	metrics_histogram(b, &t);
	metrics_free(&t);
}
