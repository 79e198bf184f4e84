/*
 * The daemon's main thread: it owns the listening sockets, the current
 * generation, the workers, signals, reloads and the metrics endpoint.
 * Accepted connections are checked (peer credentials, max_connections)
 * and handed to the workers in turn with a reference to the generation
 * in force.  Shutdown is driven by events: each worker reports when it
 * has drained; a timer forces the rest at shutdown_timeout.
 */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "acceptor.h"
#include "buf.h"
#include "config.h"
#include "generation.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "ratelimit.h"
#include "reload.h"
#include "server.h"
#include "worker.h"
#include "xmalloc.h"

#define SERVER_STATUS_MS	5000	/* STATUS= to systemd */

struct server {
	const char		*config_path;
	struct settings_override ov;
	struct event_base	*base;
	struct generation	*gen;		/* in force (main thread) */
	struct listen_sock	 ls_raw;
	struct listen_sock	 ls_jsonl;
	struct listen_sock	 ls_metrics;
	struct acceptor		*a_raw;
	struct acceptor		*a_jsonl;
	struct http		*http;
	struct worker		**workers;
	int			 nworkers;
	unsigned		 next_worker;
	struct reload		*reload;
	struct metrics		 metrics;	/* the main thread's counters */
	struct metrics_names	 names;
	struct event		*ev_hup;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_drained;
	struct event		*ev_deadline;
	struct event		*ev_status;
	int			 active;	/* connections open (atomic) */
	int			 ndrained;	/* workers drained (atomic) */
	uint64_t		 served;	/* ended ok (atomic) */
	uint64_t		 next_id;
	int			 stopping;
	int			 forced;
	uint64_t		 reloads_ok;
	uint64_t		 reloads_failed;
	char			 restart[128];	/* keys waiting for a restart */
	struct ratelimit	 rl_refused;
};

/* Tell systemd the live figures. */
static void
server_status(struct server *s, const char *what)
{
	char	msg[512];

	snprintf(msg, sizeof msg, "%s; generation %llu, %zu rules; %d "
	    "connection(s) open, %llu document(s) served%s%s%s", what,
	    (unsigned long long)s->gen->number, s->gen->cfg->nrules,
	    __atomic_load_n(&s->active, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->served, __ATOMIC_RELAXED),
	    *s->restart ? "; " : "", s->restart, *s->restart ?
	    " changed: needs a restart" : "");
	notify_status(msg);
}

/* Every few seconds: refresh the status systemctl shows. */
static void
server_status_callback(evutil_socket_t fd, short events, void *arg)
{
	struct server	*s = arg;
	struct timeval	 tv = { SERVER_STATUS_MS / 1000, 0 };

	(void)fd;
	(void)events;
	server_status(s, s->stopping ? "stopping" : "serving");
	evtimer_add(s->ev_status, &tv);
}

/* Give each rule of a generation its metrics slot (by name). */
static void
server_slots(struct server *s, struct generation *g)
{
	size_t	i;

	for (i = 0; i < g->cfg->nrules; i++)
		g->rule_slots[i] = metrics_names_slot(&s->names,
		    g->cfg->rules[i].name);
}

/* Refuse a connection before serving it: count, log (rate-limited). */
static void
server_refuse(struct server *s, int fd, enum conn_end why, const char *who)
{
	unsigned long	skipped;

	metrics_refused(&s->metrics, why);
	if (ratelimit_pass(&s->rl_refused, &skipped)) {
		if (why == CONN_END_REFUSED_PEER)
			log_warnx("refused connection from %s: not in "
			    "allow_uid or allow_gid (%lu more refusals not "
			    "logged)", who, skipped);
		else
			log_warnx("max_connections (%d) reached: closing new "
			    "connection (%lu more refusals not logged)",
			    s->gen->set.max_connections, skipped);
	}
	close(fd);
}

/* A client connected: check it, then hand it to the next worker. */
static void
server_accept(struct server *s, int fd, enum stream_kind kind)
{
	char	who[96];

	if (!listen_peer_allowed(&s->gen->set, fd, who, sizeof who)) {
		server_refuse(s, fd, CONN_END_REFUSED_PEER, who);
		return;
	}
	if (__atomic_load_n(&s->active, __ATOMIC_RELAXED) >=
	    s->gen->set.max_connections) {
		server_refuse(s, fd, CONN_END_MAX_CONNECTIONS, NULL);
		return;
	}
	__atomic_add_fetch(&s->active, 1, __ATOMIC_RELAXED);
	generation_ref(s->gen);
	worker_hand(s->workers[s->next_worker++ % (unsigned)s->nworkers], fd,
	    kind, s->gen, ++s->next_id);
}

/* A raw-protocol client connected. */
static void
server_accept_raw(int fd, void *arg)
{
	server_accept(arg, fd, STREAM_RAW);
}

/* A JSON Lines client connected. */
static void
server_accept_jsonl(int fd, void *arg)
{
	server_accept(arg, fd, STREAM_JSONL);
}

/* A reload failed: log every error, keep the generation in force. */
static void
server_reload_failed(struct server *s, struct config_errors *errs)
{
	size_t	i;

	for (i = 0; i < errs->n; i++)
		log_warnx("%s", errs->v[i]);
	log_warnx("reload failed: %zu error(s); keeping generation %llu",
	    errs->n, (unsigned long long)s->gen->number);
	s->reloads_failed++;
	notify_ready("reload refused: configuration has errors, old rules "
	    "kept");
}

/* A reload finished: swap the new generation in, or keep the old one. */
static void
server_reload_done(struct generation *g, struct config_errors *errs,
    void *arg)
{
	struct server		*s = arg;
	struct generation	*old = s->gen;
	char			 msg[256];

	if (g == NULL) {
		server_reload_failed(s, errs);
		return;
	}
	g->number = old->number + 1;
	if (generation_restart_keys(old, g, s->restart, sizeof s->restart)
	    != 0)
		log_warnx("reload: %s changed: needs a restart (the running "
		    "value stays in force until then)", s->restart);
	settings_carry(&g->set, &old->set);
	server_slots(s, g);
	s->gen = g;
	generation_unref(old);
	s->reloads_ok++;
	log_info("reload done: generation %llu, %zu rules",
	    (unsigned long long)g->number, g->cfg->nrules);
	snprintf(msg, sizeof msg, "reload done: generation %llu, new "
	    "configuration taken%s%s%s", (unsigned long long)g->number,
	    *s->restart ? "; " : "", s->restart, *s->restart ?
	    " changed: needs a restart" : "");
	notify_ready(msg);
}

/* End every connection now (second signal, or shutdown_timeout). */
static void
server_force(struct server *s)
{
	int	i;

	if (s->forced)
		return;
	s->forced = 1;
	for (i = 0; i < s->nworkers; i++)
		worker_stop(s->workers[i], 1);
}

/* shutdown_timeout passed with documents still in flight. */
static void
server_deadline_callback(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	log_warnx("shutdown_timeout reached: closing the remaining "
	    "connections");
	server_force(arg);
}

/* Stop accepting on a listener and remove the socket file we made. */
static void
server_unlisten(struct acceptor **a, struct listen_sock *ls)
{
	acceptor_free(*a);	/* closes the descriptor */
	*a = NULL;
	ls->fd = -1;
	listen_unlink(ls);
}

/* SIGTERM/SIGINT: stop accepting, remove the sockets, let documents end. */
static void
server_stop(struct server *s, int sig)
{
	struct timeval	tv;
	int		i, ms = s->gen->set.shutdown_timeout_ms;

	if (s->stopping) {
		log_info("signal %d again: closing connections now", sig);
		server_force(s);
		return;
	}
	s->stopping = 1;
	reload_cancel(s->reload);
	notify_stopping("stopping: finishing documents in flight");
	server_unlisten(&s->a_raw, &s->ls_raw);
	if (s->a_jsonl != NULL)
		server_unlisten(&s->a_jsonl, &s->ls_jsonl);
	log_info("signal %d: stopping; waiting up to %d ms for %d "
	    "connection(s)", sig, ms, __atomic_load_n(&s->active,
	    __ATOMIC_RELAXED));
	for (i = 0; i < s->nworkers; i++)
		worker_stop(s->workers[i], 0);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->ev_deadline, &tv);
}

/* Signal dispatch on the main loop. */
static void
server_signal_callback(evutil_socket_t sig, short events, void *arg)
{
	struct server	*s = arg;

	(void)events;
	if (sig != SIGHUP) {
		server_stop(s, (int)sig);
		return;
	}
	if (s->stopping)
		return;
	log_info("reloading %s", s->config_path);
	notify_reloading();
	reload_request(s->reload);
}

/* A worker drained: once all have, the main loop ends. */
static void
server_drained_callback(evutil_socket_t fd, short events, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)events;
	if (__atomic_load_n(&s->ndrained, __ATOMIC_ACQUIRE) == s->nworkers)
		event_base_loopexit(s->base, NULL);
}

/* Worker thread: a connection was freed. */
static void
server_conn_gone(void *arg, int ok)
{
	struct server	*s = arg;

	__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
	if (ok)
		__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
}

/* Worker thread: a stopping worker has nothing left. */
static void
server_worker_drained(void *arg)
{
	struct server	*s = arg;

	__atomic_add_fetch(&s->ndrained, 1, __ATOMIC_ACQ_REL);
	event_active(s->ev_drained, EV_TIMEOUT, 0);
}

/* Metrics: sum every thread's counters and render them. */
static void
server_render_metrics(void *arg, struct buf *b)
{
	struct server		 *s = arg;
	struct metrics		**threads;
	struct metrics_view	  v;
	int			  i;

	threads = xcalloc((size_t)s->nworkers + 1, sizeof *threads);
	threads[0] = &s->metrics;
	for (i = 0; i < s->nworkers; i++)
		threads[i + 1] = worker_metrics(s->workers[i]);
	memset(&v, 0, sizeof v);
	v.threads = threads;
	v.nthreads = (size_t)s->nworkers + 1;
	v.names = &s->names;
	v.active = (uint64_t)__atomic_load_n(&s->active, __ATOMIC_RELAXED);
	v.reloads_ok = s->reloads_ok;
	v.reloads_failed = s->reloads_failed;
	v.generation = s->gen->number;
	metrics_render(&v, b);
	free(threads);
}

/* Healthz: are we stopping? */
static int
server_is_stopping(void *arg)
{
	return (((struct server *)arg)->stopping);
}

/* Create a signal event and add it. */
static struct event *
server_signal(struct server *s, int sig)
{
	struct event	*ev;

	if ((ev = evsignal_new(s->base, sig, server_signal_callback, s)) ==
	    NULL || evsignal_add(ev, NULL) != 0)
		fatalx("cannot handle signal %d", sig);
	return (ev);
}

/* Create the main loop's events. */
static void
server_events(struct server *s)
{
	if ((s->base = event_base_new()) == NULL)
		fatalx("cannot create event base");
	s->ev_hup = server_signal(s, SIGHUP);
	s->ev_term = server_signal(s, SIGTERM);
	s->ev_int = server_signal(s, SIGINT);
	s->ev_drained = event_new(s->base, -1, 0, server_drained_callback, s);
	s->ev_deadline = evtimer_new(s->base, server_deadline_callback, s);
	s->ev_status = evtimer_new(s->base, server_status_callback, s);
	if (s->ev_drained == NULL || s->ev_deadline == NULL ||
	    s->ev_status == NULL)
		fatalx("cannot create events");
	s->reload = reload_new(s->base, s->config_path, &s->ov,
	    server_reload_done, s);
}

/* Use a socket passed by systemd, or bind path; exit if impossible. */
static void
server_listen_unix(struct server *s, struct listen_sock *ls, int fd,
    const char *path)
{
	const struct settings	*set = &s->gen->set;
	char			*cause = NULL;

	if (fd != -1) {
		listen_adopt(ls, fd);
		return;
	}
	if (listen_unix(ls, path, set->socket_mode, set->has_group,
	    set->socket_gid, &cause) != 0)
		fatalx("%s", cause);
}

/* Serve /metrics and /healthz where the settings say. */
static void
server_listen_metrics(struct server *s)
{
	const struct settings_addr	*m = &s->gen->set.metrics;
	const struct settings		*set = &s->gen->set;
	struct http_ops			 ops = { server_render_metrics,
	    server_is_stopping, s };
	char				*cause = NULL;
	int				 rc;

	if (m->text == NULL)
		return;
	if (m->path != NULL)
		rc = listen_unix(&s->ls_metrics, m->path, set->socket_mode,
		    set->has_group, set->socket_gid, &cause);
	else
		rc = listen_tcp(&s->ls_metrics, m->host, m->port, &cause);
	if (rc != 0)
		fatalx("cannot serve metrics on %s: %s", m->text, cause);
	s->http = http_new(s->base, s->ls_metrics.fd, m->text, &ops,
	    &s->metrics);
	s->ls_metrics.fd = -1;		/* the acceptor closes it */
}

/* Open every listening socket: raw, JSON Lines, metrics. */
static void
server_listen(struct server *s, int raw, int jsonl)
{
	const struct settings	*set = &s->gen->set;

	server_listen_unix(s, &s->ls_raw, raw, set->socket);
	s->a_raw = acceptor_new(s->base, s->ls_raw.fd, s->ls_raw.path ?
	    s->ls_raw.path : "the raw socket", server_accept_raw, s,
	    &s->metrics);
	if (jsonl != -1 || set->jsonl_socket != NULL) {
		server_listen_unix(s, &s->ls_jsonl, jsonl, set->jsonl_socket);
		s->a_jsonl = acceptor_new(s->base, s->ls_jsonl.fd,
		    s->ls_jsonl.path ? s->ls_jsonl.path :
		    "the JSON Lines socket", server_accept_jsonl, s,
		    &s->metrics);
	}
	server_listen_metrics(s);
}

/* Start the workers: the setting, or one per CPU. */
static void
server_workers(struct server *s)
{
	struct worker_ops	ops = { server_conn_gone, server_worker_drained,
	    s };
	long			n = s->gen->set.workers;
	int			i;

	if (n <= 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) <= 0)
		n = 1;
	s->nworkers = (int)n;
	s->workers = xcalloc((size_t)n, sizeof *s->workers);
	for (i = 0; i < s->nworkers; i++)
		s->workers[i] = worker_new(i, &ops);
}

/* Raise the soft descriptor limit to the hard one. */
static void
server_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("setrlimit RLIMIT_NOFILE");
}

/* Free everything, after the workers have drained. */
static void
server_teardown(struct server *s)
{
	int	i;

	for (i = 0; i < s->nworkers; i++)
		worker_free(s->workers[i]);
	free(s->workers);
	http_free(s->http);
	listen_unlink(&s->ls_metrics);
	acceptor_free(s->a_raw);
	acceptor_free(s->a_jsonl);
	reload_free(s->reload);
	event_free(s->ev_hup);
	event_free(s->ev_term);
	event_free(s->ev_int);
	event_free(s->ev_drained);
	event_free(s->ev_deadline);
	event_free(s->ev_status);
	event_base_free(s->base);
	generation_unref(s->gen);
	metrics_free(&s->metrics);
	metrics_names_free(&s->names);
}

/* Log what is served where. */
static void
server_log_listening(const struct server *s)
{
	log_info("listening on %s%s%s with %d worker(s), %zu rules from %s",
	    s->ls_raw.path ? s->ls_raw.path : "the socket passed by systemd",
	    s->a_jsonl ? " and JSON Lines on " : "",
	    s->a_jsonl ? (s->ls_jsonl.path ? s->ls_jsonl.path :
	    "the socket passed by systemd") : "", s->nworkers,
	    s->gen->cfg->nrules, s->config_path);
}

/*
 * Run the daemon in the foreground until SIGTERM or SIGINT; takes over
 * the generation.  Returns the exit status.
 */
int
server_run(const char *config_path, const struct settings_override *ov,
    struct generation *gen)
{
	struct server	s;
	int		raw, jsonl;

	/* First, before any descriptor of ours exists: the sockets systemd
	 * passed (it closes what it does not take). */
	listen_systemd(&raw, &jsonl);
	memset(&s, 0, sizeof s);
	s.config_path = config_path;
	s.ov = *ov;
	s.gen = gen;
	gen->number = 1;
	metrics_init(&s.metrics);
	metrics_names_init(&s.names);
	server_slots(&s, gen);
	signal(SIGPIPE, SIG_IGN);
	server_raise_nofile();
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no pthreads support");
	server_events(&s);
	server_listen(&s, raw, jsonl);
	server_workers(&s);
	server_log_listening(&s);
	notify_ready("serving");
	if (notify_enabled())
		server_status_callback(-1, 0, &s);
	event_base_dispatch(s.base);
	server_teardown(&s);
	libevent_global_shutdown();
	log_info("stopped");
	return (0);
}
