/* scrubd: the daemon's shared structures and the functions of each file. */
#ifndef SCRUBD_H
#define SCRUBD_H

#include <sys/queue.h>

#include <event2/buffer.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "metrics.h"
#include "settings.h"

#define SCRUBD_VERSION	"0.2.0"

struct bufferevent;
struct config;
struct stream;
struct config_errors;
struct engine;
struct event;
struct event_base;
struct evconnlistener;
struct evhttp;
struct server;

/* One configuration generation: rules and daemon settings, read-only. */
struct generation {
	struct config	*cfg;
	struct settings	 set;
	uint64_t	 number;
	unsigned	 refs;
};

/* One client connection, owned by one worker thread. */
struct conn {
	uint64_t		 id;
	struct worker		*worker;
	struct generation	*gen;
	struct bufferevent	*bev;
	struct stream		*stream;
	int			 jsonl;		/* JSON Lines protocol */
	struct evbuffer_iovec	 space;		/* reserved in the output */
	size_t			 space_used;
	struct timespec		 started;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	int			 eof;		/* client finished writing */
	int			 paused;	/* reading stopped: slow reader */
	int			 closing;
	int			 muted;		/* closed: output goes nowhere */
	int			 ok;		/* document served in full */
	TAILQ_ENTRY(conn)	 entry;
};
TAILQ_HEAD(conns, conn);

/* An accepted descriptor on its way to a worker. */
struct handoff {
	int	fd;
	int	jsonl;
};

/* A worker thread with its own event loop; fds arrive through a queue. */
struct worker {
	struct server		*server;
	int			 index;
	pthread_t		 thread;
	struct event_base	*base;
	struct event		*wake;
	pthread_mutex_t		 lock;		/* queue, stop, force */
	struct handoff		*queue;
	size_t			 nqueue;
	size_t			 qcap;
	int			 stop;		/* finish connections, then exit */
	int			 force;		/* close every connection now */
	int			 done;		/* loop has exited */
	struct conns		 conns;
	size_t			 nconns;
	struct metrics		 metrics;	/* this worker's counters */
};

/* The daemon: listener, signals, current generation and the workers. */
struct server {
	const char		*config_path;
	const char		*socket_override;
	struct event_base	*base;
	const char		*jsonl_override;
	struct evconnlistener	*listener;
	struct evconnlistener	*jlistener;	/* JSON Lines */
	char			*socket_path;	/* the file we bound, to remove */
	char			*jsonl_path;
	struct event		*ev_hup;
	struct event		*ev_term;
	struct event		*ev_int;
	struct event		*ev_resume;	/* re-enable accept after EMFILE */
	struct event		*ev_check;	/* shutdown progress */
	struct event		*ev_status;	/* periodic STATUS= to systemd */
	int			 activated;	/* socket inherited from systemd */
	struct timespec		 stop_deadline;
	pthread_mutex_t		 gen_lock;
	struct generation	*gen;
	struct worker		*workers;
	int			 nworkers;
	unsigned		 next_worker;
	int			 active;	/* connections open (atomic) */
	uint64_t		 next_id;	/* atomic */
	uint64_t		 served;	/* documents finished, atomic */
	int			 stopping;
	int			 forced;	/* remaining connections closed */
	const char		*metrics_override;
	struct evhttp		*http;		/* /metrics and /healthz */
	char			*metrics_path;
	struct metrics		 metrics;	/* main thread's counters */
	uint64_t		 reloads_ok;
	uint64_t		 reloads_failed;
};

/* main.c */
struct generation	*generation_load(const char *, uint64_t,
			    struct config_errors *);
void			 generation_unref(struct generation *);

/* notify.c */
int		 notify_enabled(void);
void		 notify_ready(const char *);
void		 notify_reloading(void);
void		 notify_stopping(const char *);
void		 notify_status(const char *);
void		 notify_listen_fds(int *, int *);

/* explain.c */
int		 explain_run(const struct config *, char **, int);

/* oneshot.c */
typedef void	 (*oneshot_feed)(void *, const char *, size_t);
typedef int	 (*oneshot_doc)(void *, int, const char *);
int		 oneshot_run(const struct config *, char **, int, int);
int		 oneshot_read(int, const char *, oneshot_feed, void *);
int		 oneshot_each(char **, int, oneshot_doc, void *);

/* server.c */
int		 server_run(const char *, const char *, const char *,
		    const char *, struct generation *);
int		 server_bind(const char *, const struct settings *);
struct generation *server_generation(struct server *);
void		 server_conn_gone(struct server *, int);

/* worker.c */
void		 worker_start(struct worker *, struct server *, int);
void		 worker_dispatch(struct worker *, int, int);
void		 worker_stop(struct worker *, int);
void		 worker_join(struct worker *);
int		 worker_done(struct worker *);
void		 worker_conn_freed(struct worker *);

/* conn.c */
void		 conn_start(struct worker *, int, int);
void		 conn_close(struct conn *, const char *);

#endif
