/*
 * The daemon's main thread: the listening socket, signals, reload and
 * shutdown.  Accepted connections are checked (peer credentials,
 * max_connections) and handed to the workers in turn.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "config.h"
#include "log.h"
#include "scrubd.h"
#include "xmalloc.h"

#define SERVER_CHECK_MS		50	/* shutdown progress polling */
#define SERVER_RESUME_MS	1000	/* pause accepting after EMFILE */
#define SERVER_STATUS_MS	5000	/* STATUS= to systemd */

/* Take a reference to the current generation (any thread). */
struct generation *
server_generation(struct server *s)
{
	struct generation	*g;

	pthread_mutex_lock(&s->gen_lock);
	g = s->gen;
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->gen_lock);
	return (g);
}

/* A connection was freed (worker thread); ok if its document was served. */
void
server_conn_gone(struct server *s, int ok)
{
	__atomic_sub_fetch(&s->active, 1, __ATOMIC_RELAXED);
	if (ok)
		__atomic_add_fetch(&s->served, 1, __ATOMIC_RELAXED);
}

/* Tell systemd the live figures. */
static void
server_status(struct server *s, const char *what)
{
	char	msg[256];

	snprintf(msg, sizeof msg, "%s; generation %llu, %zu rules; %d "
	    "connection(s) open, %llu document(s) served", what,
	    (unsigned long long)s->gen->number, s->gen->cfg->nrules,
	    __atomic_load_n(&s->active, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->served, __ATOMIC_RELAXED));
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

/* Fill a UNIX socket address (path length checked by server_bind). */
static void
server_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof sun->sun_path - 1);
}

/* Refuse a live socket at path; remove a stale one. */
static void
server_check_path(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd, rc;

	if (lstat(path, &sb) != 0)
		return;
	if (!S_ISSOCK(sb.st_mode))
		fatalx("%s exists and is not a socket: not replacing it", path);
	server_sockaddr(path, &sun);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0)
		fatalx("%s is live: another scrubd is listening there", path);
	if (errno != ECONNREFUSED)
		fatal("cannot tell whether %s is in use", path);
	log_info("removing stale socket %s", path);
	if (unlink(path) != 0)
		fatal("unlink %s", path);
}

/* Create, bind and listen on a UNIX socket; returns the descriptor. */
int
server_bind(const char *path, const struct settings *set)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	if (strlen(path) >= sizeof sun.sun_path)
		fatalx("socket path too long (%zu bytes, at most %zu): %s",
		    strlen(path), sizeof sun.sun_path - 1, path);
	server_check_path(path);
	server_sockaddr(path, &sun);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0)
		fatal("bind %s", path);
	umask(old);
	if (chmod(path, set->socket_mode) != 0)
		fatal("chmod %s", path);
	if (set->has_group && chown(path, (uid_t)-1, set->socket_gid) != 0)
		fatal("chown %s to group %d", path, (int)set->socket_gid);
	if (listen(fd, SOMAXCONN) != 0)
		fatal("listen %s", path);
	return (fd);
}

/* Is the peer allowed by allow_uid / allow_gid?  Logs refusals. */
static int
server_peer_allowed(const struct settings *set, int fd)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	size_t		i;

	if (set->nallow_uid == 0 && set->nallow_gid == 0)
		return (1);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		log_warn("SO_PEERCRED: refusing connection");
		return (0);
	}
	for (i = 0; i < set->nallow_uid; i++)
		if (set->allow_uid[i] == cred.uid)
			return (1);
	for (i = 0; i < set->nallow_gid; i++)
		if (set->allow_gid[i] == cred.gid)
			return (1);
	log_warnx("refused connection from pid %d uid %d gid %d: not in "
	    "allow_uid or allow_gid", (int)cred.pid, (int)cred.uid,
	    (int)cred.gid);
	return (0);
}

/* A client connected: check it, then hand it to the next worker. */
static void
server_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct server		*s = arg;
	struct generation	*g;
	int			 ok, active;

	(void)sa;
	(void)salen;
	g = server_generation(s);
	ok = server_peer_allowed(&g->set, fd);
	if (!ok)
		metrics_error(&s->metrics, METRICS_REFUSED_PEER);
	active = __atomic_load_n(&s->active, __ATOMIC_RELAXED);
	if (ok && active >= g->set.max_connections) {
		log_warnx("max_connections (%d) reached: closing new "
		    "connection", g->set.max_connections);
		metrics_error(&s->metrics, METRICS_MAX_CONNECTIONS);
		ok = 0;
	}
	generation_unref(g);
	if (!ok) {
		close(fd);
		return;
	}
	__atomic_add_fetch(&s->active, 1, __ATOMIC_RELAXED);
	worker_dispatch(&s->workers[s->next_worker++ % s->nworkers], fd,
	    l == s->jlistener);
}

/* accept() failed: out of descriptors pauses accepting for a second. */
static void
server_accept_error(struct evconnlistener *l, void *arg)
{
	struct server	*s = arg;
	struct timeval	 tv = { 0, SERVER_RESUME_MS * 1000 };
	int		 err = EVUTIL_SOCKET_ERROR();

	metrics_error(&s->metrics, METRICS_ACCEPT);
	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		log_warnx("accept: %s", evutil_socket_error_to_string(err));
		return;
	}
	log_warnx("accept: %s: pausing new connections for %d ms",
	    evutil_socket_error_to_string(err), SERVER_RESUME_MS);
	(void)l;
	evconnlistener_disable(s->listener);
	if (s->jlistener != NULL)
		evconnlistener_disable(s->jlistener);
	evtimer_add(s->ev_resume, &tv);
}

/* Accept again after a pause. */
static void
server_resume_callback(evutil_socket_t fd, short events, void *arg)
{
	struct server	*s = arg;

	(void)fd;
	(void)events;
	if (s->listener != NULL)
		evconnlistener_enable(s->listener);
	if (s->jlistener != NULL)
		evconnlistener_enable(s->jlistener);
}

/* SIGHUP: build the new generation aside and swap it in only if valid. */
static void
server_reload(struct server *s)
{
	struct config_errors	 errs = { NULL, 0 };
	struct generation	*g, *old;
	size_t			 i;

	log_info("reloading %s", s->config_path);
	notify_reloading();
	g = generation_load(s->config_path, s->gen->number + 1, &errs);
	if (g == NULL) {
		for (i = 0; i < errs.n; i++)
			log_warnx("%s", errs.v[i]);
		log_warnx("reload failed: %zu error(s); keeping generation "
		    "%llu", errs.n, (unsigned long long)s->gen->number);
		config_errors_free(&errs);
		s->reloads_failed++;
		notify_ready("reload refused: configuration has errors, "
		    "old rules kept");
		return;
	}
	if (strcmp(g->set.socket, s->gen->set.socket) != 0 ||
	    g->set.workers != s->gen->set.workers)
		log_warnx("socket and workers changes take effect at restart");
	pthread_mutex_lock(&s->gen_lock);
	old = s->gen;
	s->gen = g;
	pthread_mutex_unlock(&s->gen_lock);
	log_info("reload done: generation %llu, %zu rules",
	    (unsigned long long)g->number, g->cfg->nrules);
	generation_unref(old);
	s->reloads_ok++;
	notify_ready("reload done: new configuration taken");
}

/* Are all workers finished? */
static int
server_workers_done(struct server *s)
{
	int	i;

	for (i = 0; i < s->nworkers; i++)
		if (!worker_done(&s->workers[i]))
			return (0);
	return (1);
}

/* While stopping: exit when the workers are done, force them at the deadline. */
static void
server_check_callback(evutil_socket_t fd, short events, void *arg)
{
	struct server	*s = arg;
	struct timespec	 now;
	struct timeval	 tv = { 0, SERVER_CHECK_MS * 1000 };
	int		 i;

	(void)fd;
	(void)events;
	if (server_workers_done(s)) {
		event_base_loopexit(s->base, NULL);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!s->forced && (now.tv_sec > s->stop_deadline.tv_sec ||
	    (now.tv_sec == s->stop_deadline.tv_sec &&
	    now.tv_nsec >= s->stop_deadline.tv_nsec))) {
		s->forced = 1;
		log_warnx("shutdown_timeout reached: closing the remaining "
		    "connections");
		for (i = 0; i < s->nworkers; i++)
			worker_stop(&s->workers[i], 1);
	}
	evtimer_add(s->ev_check, &tv);
}

/* SIGTERM/SIGINT: stop accepting, remove the socket, let documents finish. */
static void
server_stop(struct server *s, int sig)
{
	struct timeval	tv = { 0, 0 };
	int		i, ms = s->gen->set.shutdown_timeout_ms;

	if (s->stopping) {
		log_info("signal %d again: closing connections now", sig);
		clock_gettime(CLOCK_MONOTONIC, &s->stop_deadline);
		return;
	}
	s->stopping = 1;
	notify_stopping("stopping: finishing documents in flight");
	evconnlistener_free(s->listener);
	s->listener = NULL;
	if (s->jlistener != NULL)
		evconnlistener_free(s->jlistener);
	s->jlistener = NULL;
	if (s->socket_path != NULL && unlink(s->socket_path) != 0)
		log_warn("unlink %s", s->socket_path);
	if (s->jsonl_path != NULL && unlink(s->jsonl_path) != 0)
		log_warn("unlink %s", s->jsonl_path);
	log_info("signal %d: stopping; waiting up to %d ms for %d "
	    "connection(s)", sig, ms, __atomic_load_n(&s->active,
	    __ATOMIC_RELAXED));
	for (i = 0; i < s->nworkers; i++)
		worker_stop(&s->workers[i], 0);
	clock_gettime(CLOCK_MONOTONIC, &s->stop_deadline);
	s->stop_deadline.tv_sec += ms / 1000;
	s->stop_deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (s->stop_deadline.tv_nsec >= 1000000000) {
		s->stop_deadline.tv_sec++;
		s->stop_deadline.tv_nsec -= 1000000000;
	}
	evtimer_add(s->ev_check, &tv);
}

/* Signal dispatch on the main loop. */
static void
server_signal_callback(evutil_socket_t sig, short events, void *arg)
{
	struct server	*s = arg;

	(void)events;
	if (sig == SIGHUP) {
		if (!s->stopping)
			server_reload(s);
		return;
	}
	server_stop(s, (int)sig);
}

/* Number of workers to run: the setting, or one per CPU. */
static int
server_nworkers(const struct settings *set)
{
	long	n;

	if (set->workers > 0)
		return (set->workers);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n > 0 ? (int)n : 1);
}

/* Start workers with every signal blocked, so only this thread gets them. */
static void
server_start_workers(struct server *s)
{
	sigset_t	all, old;
	int		i;

	s->nworkers = server_nworkers(&s->gen->set);
	s->workers = xcalloc((size_t)s->nworkers, sizeof *s->workers);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < s->nworkers; i++)
		worker_start(&s->workers[i], s, i);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Listen on an inherited descriptor, or bind path (remembered in *bound). */
static struct evconnlistener *
server_listen(struct server *s, int fd, const char *path, char **bound)
{
	struct evconnlistener	*l;

	if (fd != -1) {
		s->activated = 1;
		evutil_make_socket_nonblocking(fd);
		evutil_make_socket_closeonexec(fd);
	} else {
		fd = server_bind(path, &s->gen->set);
		*bound = xstrdup(path);
	}
	l = evconnlistener_new(s->base, server_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l == NULL)
		fatalx("cannot listen on %s", path ? path : "inherited socket");
	evconnlistener_set_error_cb(l, server_accept_error);
	return (l);
}

/* Create the main loop's events and the listeners. */
static void
server_setup(struct server *s)
{
	const struct settings	*set = &s->gen->set;
	const char		*jpath, *maddr;
	char			*cause = NULL;
	int			 raw, jsonl;

	if ((s->base = event_base_new()) == NULL)
		fatalx("cannot create event base");
	s->ev_hup = evsignal_new(s->base, SIGHUP, server_signal_callback, s);
	s->ev_term = evsignal_new(s->base, SIGTERM, server_signal_callback, s);
	s->ev_int = evsignal_new(s->base, SIGINT, server_signal_callback, s);
	s->ev_resume = evtimer_new(s->base, server_resume_callback, s);
	s->ev_check = evtimer_new(s->base, server_check_callback, s);
	s->ev_status = evtimer_new(s->base, server_status_callback, s);
	evsignal_add(s->ev_hup, NULL);
	evsignal_add(s->ev_term, NULL);
	evsignal_add(s->ev_int, NULL);
	notify_listen_fds(&raw, &jsonl);
	s->listener = server_listen(s, raw, s->socket_override ?
	    s->socket_override : set->socket, &s->socket_path);
	jpath = s->jsonl_override ? s->jsonl_override : set->jsonl_socket;
	if (jsonl != -1 || jpath != NULL)
		s->jlistener = server_listen(s, jsonl, jpath, &s->jsonl_path);
	maddr = s->metrics_override ? s->metrics_override : set->metrics;
	if (maddr != NULL && metrics_listen(s, maddr, &cause) != 0)
		fatalx("%s", cause);
}

/* Free everything the main thread made, after the workers are joined. */
static void
server_teardown(struct server *s)
{
	int	i;

	for (i = 0; i < s->nworkers; i++)
		worker_join(&s->workers[i]);
	free(s->workers);
	metrics_stop(s);
	metrics_free(&s->metrics);
	if (s->listener != NULL)
		evconnlistener_free(s->listener);
	if (s->jlistener != NULL)
		evconnlistener_free(s->jlistener);
	event_free(s->ev_hup);
	event_free(s->ev_term);
	event_free(s->ev_int);
	event_free(s->ev_resume);
	event_free(s->ev_check);
	event_free(s->ev_status);
	event_base_free(s->base);
	generation_unref(s->gen);
	pthread_mutex_destroy(&s->gen_lock);
	free(s->socket_path);
	free(s->jsonl_path);
}

/*
 * Run the daemon in the foreground until SIGTERM or SIGINT; takes over
 * the generation.  Returns the exit status.
 */
int
server_run(const char *config_path, const char *socket_override,
    const char *jsonl_override, const char *metrics_override,
    struct generation *gen)
{
	struct server	s;

	memset(&s, 0, sizeof s);
	metrics_init(&s.metrics);
	s.metrics_override = metrics_override;
	s.config_path = config_path;
	s.socket_override = socket_override;
	s.jsonl_override = jsonl_override;
	s.gen = gen;
	pthread_mutex_init(&s.gen_lock, NULL);
	signal(SIGPIPE, SIG_IGN);
	server_raise_nofile();
	if (evthread_use_pthreads() != 0)
		fatalx("libevent has no pthreads support");
	server_setup(&s);
	server_start_workers(&s);
	log_info("listening on %s%s%s with %d worker(s), %zu rules from %s",
	    s.socket_path ? s.socket_path : "the socket passed by systemd",
	    s.jlistener ? " and JSON Lines on " : "",
	    s.jlistener ? (s.jsonl_path ? s.jsonl_path :
	    "the socket passed by systemd") : "", s.nworkers,
	    gen->cfg->nrules, config_path);
	notify_ready("serving");
	if (notify_enabled())
		server_status_callback(-1, 0, &s);
	event_base_dispatch(s.base);
	server_teardown(&s);
	libevent_global_shutdown();
	log_info("stopped");
	return (0);
}
