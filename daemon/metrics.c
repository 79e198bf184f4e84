/*
 * Metrics in the Prometheus text format, served with libevent's evhttp on
 * the main thread: GET /metrics and GET /healthz.  Each worker keeps its
 * own counters and touches them once per finished connection, under its
 * own lock; a scrape takes each lock in turn and sums.  Nothing is shared,
 * locked or atomic per line.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "config.h"
#include "filter.h"
#include "log.h"
#include "metrics.h"
#include "scrubd.h"
#include "stream.h"
#include "xmalloc.h"

static const double metrics_bounds[METRICS_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5, 10, 60
};

static const char *metrics_reasons[METRICS_NREASONS] = {
	"idle_timeout", "max_document", "max_connections", "refused_peer",
	"client_error", "shutdown_timeout", "accept"
};

/* Zeroed counters. */
void
metrics_init(struct metrics *m)
{
	memset(m, 0, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
}

/* Free the rule table. */
void
metrics_free(struct metrics *m)
{
	size_t	i;

	for (i = 0; i < m->nrules; i++)
		free(m->rules[i].name);
	free(m->rules);
	pthread_mutex_destroy(&m->lock);
}

/* A connection was accepted. */
void
metrics_connection(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->connections++;
	pthread_mutex_unlock(&m->lock);
}

/* Count an error by reason. */
void
metrics_error(struct metrics *m, enum metrics_reason r)
{
	pthread_mutex_lock(&m->lock);
	m->errors[r]++;
	pthread_mutex_unlock(&m->lock);
}

/* The error reason of a connection's end ("ok" is none: -1). */
int
metrics_reason_of(const char *how)
{
	if (strcmp(how, "idle-timeout") == 0)
		return (METRICS_IDLE_TIMEOUT);
	if (strcmp(how, "max-document") == 0)
		return (METRICS_MAX_DOCUMENT);
	if (strcmp(how, "shutdown-timeout") == 0)
		return (METRICS_SHUTDOWN_TIMEOUT);
	if (strncmp(how, "error", 5) == 0)
		return (METRICS_CLIENT_ERROR);
	return (-1);
}

/* The table entry for a rule name, added if new (lock held). */
static struct metrics_rule *
metrics_rule(struct metrics *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nrules; i++)
		if (strcmp(m->rules[i].name, name) == 0)
			return (&m->rules[i]);
	m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof *m->rules);
	memset(&m->rules[m->nrules], 0, sizeof *m->rules);
	m->rules[m->nrules].name = xstrdup(name);
	return (&m->rules[m->nrules++]);
}

/* Add a finished connection: its documents, bytes, rules and duration. */
void
metrics_finish(struct metrics *m, const struct stream *st, uint64_t in,
    uint64_t out, double secs, int reason)
{
	const struct rule_stats	*rs;
	struct metrics_rule	*mr;
	size_t			 i;

	pthread_mutex_lock(&m->lock);
	m->documents += stream_documents(st);
	m->bytes_in += in;
	m->bytes_out += out;
	if (reason >= 0)
		m->errors[reason]++;
	for (i = 0; i < stream_nrules(st); i++) {
		rs = stream_rule_stats(st, i);
		mr = metrics_rule(m, stream_rule_name(st, i));
		mr->matches += rs->matches;
		mr->lines_dropped += rs->lines_dropped;
		mr->bytes_removed += rs->bytes_in - rs->bytes_out;
	}
	for (i = 0; i < METRICS_NBUCKETS; i++)
		if (secs <= metrics_bounds[i])
			m->buckets[i]++;
	m->count++;
	m->sum += secs;
	pthread_mutex_unlock(&m->lock);
}

/* Add one thread's counters into a total. */
static void
metrics_add(struct metrics *t, struct metrics *m)
{
	struct metrics_rule	*mr;
	size_t			 i;

	pthread_mutex_lock(&m->lock);
	t->connections += m->connections;
	t->documents += m->documents;
	t->bytes_in += m->bytes_in;
	t->bytes_out += m->bytes_out;
	for (i = 0; i < METRICS_NREASONS; i++)
		t->errors[i] += m->errors[i];
	for (i = 0; i < METRICS_NBUCKETS; i++)
		t->buckets[i] += m->buckets[i];
	t->count += m->count;
	t->sum += m->sum;
	for (i = 0; i < m->nrules; i++) {
		mr = metrics_rule(t, m->rules[i].name);
		mr->matches += m->rules[i].matches;
		mr->lines_dropped += m->rules[i].lines_dropped;
		mr->bytes_removed += m->rules[i].bytes_removed;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Print a counter or gauge with its help and type lines. */
static void
metrics_one(struct evbuffer *b, const char *name, const char *type,
    const char *help, unsigned long long v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help, name, type, name, v);
}

/* Print the per-rule counters. */
static void
metrics_rules(struct evbuffer *b, const struct metrics *t)
{
	static const char	*names[] = { "scrubd_rule_matches_total",
	    "scrubd_rule_lines_dropped_total", "scrubd_rule_bytes_removed_total" };
	static const char	*helps[] = { "Pattern matches, by rule.",
	    "Lines dropped, by rule.", "Bytes removed, by rule." };
	size_t			 i, k;
	uint64_t		 v;

	for (k = 0; k < 3; k++) {
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n",
		    names[k], helps[k], names[k]);
		for (i = 0; i < t->nrules; i++) {
			v = k == 0 ? t->rules[i].matches : k == 1 ?
			    t->rules[i].lines_dropped :
			    t->rules[i].bytes_removed;
			evbuffer_add_printf(b, "%s{rule=\"%s\"} %llu\n",
			    names[k], t->rules[i].name, (unsigned long long)v);
		}
	}
}

/* Print the document duration histogram. */
static void
metrics_histogram(struct evbuffer *b, const struct metrics *t)
{
	const char	*n = "scrubd_document_duration_seconds";
	size_t		 i;

	evbuffer_add_printf(b, "# HELP %s Time from accept to close, per "
	    "connection.\n# TYPE %s histogram\n", n, n);
	for (i = 0; i < METRICS_NBUCKETS; i++)
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", n,
		    metrics_bounds[i], (unsigned long long)t->buckets[i]);
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n"
	    "%s_count %llu\n", n, (unsigned long long)t->count, n, t->sum, n,
	    (unsigned long long)t->count);
}

/* Sum every thread's counters and print them all. */
static void
metrics_render(struct server *s, struct evbuffer *b)
{
	struct metrics	 t;
	size_t		 i;
	int		 w;

	metrics_init(&t);
	for (i = 0; i < s->gen->cfg->nrules; i++)
		metrics_rule(&t, s->gen->cfg->rules[i].name);
	metrics_add(&t, &s->metrics);
	for (w = 0; w < s->nworkers; w++)
		metrics_add(&t, &s->workers[w].metrics);
	metrics_one(b, "scrubd_documents_total", "counter", "Documents "
	    "cleaned: raw connections and JSON Lines records.", t.documents);
	metrics_one(b, "scrubd_bytes_in_total", "counter", "Bytes read from "
	    "clients.", t.bytes_in);
	metrics_one(b, "scrubd_bytes_out_total", "counter", "Cleaned bytes "
	    "produced for clients.", t.bytes_out);
	metrics_rules(b, &t);
	metrics_one(b, "scrubd_connections_active", "gauge", "Connections "
	    "open now.", (unsigned long long)__atomic_load_n(&s->active,
	    __ATOMIC_RELAXED));
	metrics_one(b, "scrubd_connections_total", "counter", "Connections "
	    "accepted and served.", t.connections);
	evbuffer_add_printf(b, "# HELP scrubd_errors_total Connections ended "
	    "or refused by a limit or an error, by reason.\n"
	    "# TYPE scrubd_errors_total counter\n");
	for (i = 0; i < METRICS_NREASONS; i++)
		evbuffer_add_printf(b, "scrubd_errors_total{reason=\"%s\"} "
		    "%llu\n", metrics_reasons[i],
		    (unsigned long long)t.errors[i]);
	evbuffer_add_printf(b, "# HELP scrubd_reloads_total Configuration "
	    "reloads, by result.\n# TYPE scrubd_reloads_total counter\n"
	    "scrubd_reloads_total{result=\"ok\"} %llu\n"
	    "scrubd_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)s->reloads_ok,
	    (unsigned long long)s->reloads_failed);
	metrics_one(b, "scrubd_config_generation", "gauge", "Generation of "
	    "the configuration in force (1 at start).", s->gen->number);
	metrics_histogram(b, &t);
	metrics_free(&t);
}

/* GET /metrics */
static void
metrics_http_metrics(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*b;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	b = evbuffer_new();
	metrics_render(arg, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

/* GET /healthz: 200 while serving, 503 while stopping. */
static void
metrics_http_healthz(struct evhttp_request *req, void *arg)
{
	struct server	*s = arg;
	struct evbuffer	*b;

	b = evbuffer_new();
	evbuffer_add_printf(b, s->stopping ? "stopping\n" : "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, s->stopping ? 503 : 200, s->stopping ?
	    "Service Unavailable" : "OK", b);
	evbuffer_free(b);
}

/* Bind HOST:PORT ([v6]:PORT too) for evhttp. */
static int
metrics_bind_tcp(struct server *s, const char *addr, char **cause)
{
	char	*host, *colon, *end;
	long	 port;

	host = xstrdup(addr);
	if ((colon = strrchr(host, ':')) == NULL) {
		*cause = xasprintf("metrics must be unix:PATH or HOST:PORT: "
		    "%s", addr);
		free(host);
		return (-1);
	}
	*colon = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535) {
		*cause = xasprintf("bad port in metrics address %s", addr);
		free(host);
		return (-1);
	}
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (evhttp_bind_socket_with_handle(s->http, host,
	    (unsigned short)port) == NULL) {
		*cause = xasprintf("cannot listen for metrics on %s", addr);
		free(host);
		return (-1);
	}
	free(host);
	return (0);
}

/* Serve /metrics and /healthz on unix:PATH or HOST:PORT. */
int
metrics_listen(struct server *s, const char *addr, char **cause)
{
	struct evconnlistener	*l;
	int			 fd;

	s->http = evhttp_new(s->base);
	evhttp_set_timeout(s->http, 10);
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(s->http, "/metrics", metrics_http_metrics, s);
	evhttp_set_cb(s->http, "/healthz", metrics_http_healthz, s);
	if (strncmp(addr, "unix:", 5) != 0)
		return (metrics_bind_tcp(s, addr, cause));
	fd = server_bind(addr + 5, &s->gen->set);
	s->metrics_path = xstrdup(addr + 5);
	l = evconnlistener_new(s->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l == NULL || evhttp_bind_listener(s->http, l) == NULL) {
		*cause = xasprintf("cannot listen for metrics on %s", addr);
		return (-1);
	}
	return (0);
}

/* Stop serving metrics and remove a UNIX socket we made. */
void
metrics_stop(struct server *s)
{
	if (s->http != NULL)
		evhttp_free(s->http);
	s->http = NULL;
	if (s->metrics_path != NULL && unlink(s->metrics_path) != 0)
		log_warn("unlink %s", s->metrics_path);
	free(s->metrics_path);
	s->metrics_path = NULL;
}
