/* Listening sockets: bind, adopt from systemd, remove our own, peers. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

#define LISTEN_BACKLOG	SOMAXCONN
#define LISTEN_MAX_MADE	8
#define LISTEN_FDS_START 3	/* systemd's first passed descriptor */
#define LISTEN_FDS_MAX	64	/* more than that is not a real set-up */

/* The socket files this process made and has not removed yet. */
static struct listen_sock	*listen_made[LISTEN_MAX_MADE];

/* At exit (a fatal error at start-up, say): remove what is still made. */
static void
listen_atexit(void)
{
	int	i;

	for (i = 0; i < LISTEN_MAX_MADE; i++)
		if (listen_made[i] != NULL)
			listen_unlink(listen_made[i]);
}

/* Remember (on) or forget (off) a socket file this process made. */
static void
listen_track(struct listen_sock *ls, int on)
{
	static int	registered;
	int		i;

	if (!registered && on) {
		atexit(listen_atexit);
		registered = 1;
	}
	for (i = 0; i < LISTEN_MAX_MADE; i++) {
		if (on && listen_made[i] == NULL) {
			listen_made[i] = ls;
			return;
		}
		if (!on && listen_made[i] == ls)
			listen_made[i] = NULL;
	}
}

/* Fill a UNIX socket address; the path fits (settings checked it). */
static void
listen_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof sun->sun_path - 1);
}

/* Is something accepting connections on the socket at path? */
static int
listen_is_live(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	int			fd, rc;

	listen_sockaddr(path, &sun);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return (-1);
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	close(fd);
	if (rc == 0)
		return (1);
	if (errno == ECONNREFUSED)
		return (0);
	*cause = xasprintf("cannot tell whether %s is in use: %s", path,
	    strerror(errno));
	return (-1);
}

/* Refuse a live socket or a non-socket at path; remove a stale socket. */
static int
listen_clear_path(const char *path, char **cause)
{
	struct stat	sb;
	int		live;

	if (lstat(path, &sb) != 0)
		return (0);
	if (!S_ISSOCK(sb.st_mode)) {
		*cause = xasprintf("%s exists and is not a socket: not "
		    "replacing it", path);
		return (-1);
	}
	if ((live = listen_is_live(path, cause)) != 0) {
		if (live == 1)
			*cause = xasprintf("%s is live: another scrubd is "
			    "listening there", path);
		return (-1);
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) != 0) {
		*cause = xasprintf("unlink %s: %s", path, strerror(errno));
		return (-1);
	}
	return (0);
}

/* Fail with cause "what path: errno text", closing fd. */
static int
listen_fail(int fd, const char *what, const char *path, char **cause)
{
	*cause = xasprintf("%s %s: %s", what, path, strerror(errno));
	if (fd != -1)
		close(fd);
	return (-1);
}

/* Bind path with the given mode (and group), and record the file made. */
static int
listen_bind_unix(struct listen_sock *ls, int fd, const char *path,
    mode_t mode, int has_group, gid_t gid, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 old;
	int			 rc;

	listen_sockaddr(path, &sun);
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
	umask(old);
	if (rc != 0)
		return (listen_fail(fd, "bind", path, cause));
	if (lstat(path, &sb) != 0)
		return (listen_fail(fd, "stat", path, cause));
	ls->dev = sb.st_dev;
	ls->ino = sb.st_ino;
	ls->path = xstrdup(path);
	listen_track(ls, 1);
	if (chmod(path, mode) != 0 || (has_group &&
	    chown(path, (uid_t)-1, gid) != 0)) {
		rc = errno;
		listen_unlink(ls);
		errno = rc;
		return (listen_fail(fd, has_group ? "chmod/chown" : "chmod",
		    path, cause));
	}
	return (0);
}

/* Create, bind and listen on a UNIX socket; -1 with *cause. */
int
listen_unix(struct listen_sock *ls, const char *path, mode_t mode,
    int has_group, gid_t gid, char **cause)
{
	int	fd, rc;

	memset(ls, 0, sizeof *ls);
	ls->fd = -1;
	if (listen_clear_path(path, cause) != 0)
		return (-1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (listen_fail(-1, "socket for", path, cause));
	if (listen_bind_unix(ls, fd, path, mode, has_group, gid, cause) != 0)
		return (-1);
	if (listen(fd, LISTEN_BACKLOG) != 0) {
		rc = errno;
		listen_unlink(ls);
		errno = rc;
		return (listen_fail(fd, "listen", path, cause));
	}
	ls->fd = fd;
	return (0);
}

/* Create, bind and listen on a TCP socket; -1 with *cause. */
int
listen_tcp(struct listen_sock *ls, const char *host, unsigned short port,
    char **cause)
{
	struct addrinfo	 hints, *ai;
	char		 serv[8];
	int		 fd, on = 1, rc;

	memset(ls, 0, sizeof *ls);
	ls->fd = -1;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof serv, "%u", port);
	if ((rc = getaddrinfo(host, serv, &hints, &ai)) != 0) {
		*cause = xasprintf("%s: %s", host, gai_strerror(rc));
		return (-1);
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof on) != 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, LISTEN_BACKLOG) != 0) {
		freeaddrinfo(ai);
		return (listen_fail(fd, "listen on", host, cause));
	}
	freeaddrinfo(ai);
	ls->fd = fd;
	return (0);
}

/* Take over a listening socket passed by systemd. */
void
listen_adopt(struct listen_sock *ls, int fd)
{
	memset(ls, 0, sizeof *ls);
	ls->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		log_warn("fcntl on inherited socket %d", fd);
}

/* A decimal number from the environment: 0 if unset, -1 if not one. */
static long
listen_env_number(const char *name)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL)
		return (0);
	if (*v < '0' || *v > '9')
		return (-1);
	errno = 0;
	n = strtol(v, &end, 10);
	return (errno == 0 && *end == '\0' ? n : -1);
}

/* How many colon-separated names v holds ("" holds none). */
static long
listen_count_names(const char *v)
{
	long	n = *v != '\0';

	for (; *v != '\0'; v++)
		n += *v == ':';
	return (n);
}

/*
 * LISTEN_FDS, if LISTEN_PID is this process: 0 if none is for us, -1
 * (warned) if it is not a number of descriptors up to LISTEN_FDS_MAX.
 */
static long
listen_fds_count(void)
{
	long	n;

	if (listen_env_number("LISTEN_PID") != (long)getpid() ||
	    (n = listen_env_number("LISTEN_FDS")) == 0)
		return (0);
	if (n < 0 || n > LISTEN_FDS_MAX) {
		log_warnx("ignoring LISTEN_FDS=%s: not a number of descriptors "
		    "up to %d", getenv("LISTEN_FDS"), LISTEN_FDS_MAX);
		return (-1);
	}
	return (n);
}

/*
 * Are the n passed descriptors open?  Each is made close-on-exec on the
 * way, up to the first that is not (warned), as libsystemd does.
 */
static int
listen_fds_open(long n)
{
	long	i;

	for (i = 0; i < n; i++)
		if (fcntl(LISTEN_FDS_START + (int)i, F_SETFD, FD_CLOEXEC) ==
		    -1) {
			log_warnx("ignoring LISTEN_FDS=%ld: descriptor %ld is "
			    "not open", n, LISTEN_FDS_START + i);
			return (0);
		}
	return (1);
}

/*
 * How many descriptors systemd passed to this process, by the socket
 * activation protocol of sd_listen_fds(3): LISTEN_PID (this process),
 * LISTEN_FDS (how many, from 3 on) and LISTEN_FDNAMES (their names, of
 * which *names gets a copy, NULL if unset).  0 if none is for us, or if
 * the variables are wrong (see listen_fds_count and listen_fds_open, or
 * LISTEN_FDNAMES naming another number of them: libsystemd refuses those
 * too).  The variables are removed, so that nothing started later sees
 * them.
 */
static int
listen_fds(char **names)
{
	const char	*v = getenv("LISTEN_FDNAMES");
	long		 n;

	*names = NULL;
	if ((n = listen_fds_count()) > 0 && !listen_fds_open(n))
		n = 0;
	if (n > 0 && v != NULL && listen_count_names(v) != n) {
		log_warnx("ignoring LISTEN_FDS=%ld: LISTEN_FDNAMES names %ld",
		    n, listen_count_names(v));
		n = 0;
	}
	if (n > 0 && v != NULL)
		*names = xstrdup(v);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (n > 0 ? (int)n : 0);
}

/* Is name the i-th of the colon-separated names (NULL: none named)? */
static int
listen_fd_named(const char *names, int i, const char *name)
{
	size_t	len = strlen(name);

	for (; names != NULL && i > 0; i--)
		if ((names = strchr(names, ':')) != NULL)
			names++;
	return (names != NULL && strncmp(names, name, len) == 0 &&
	    (names[len] == '\0' || names[len] == ':'));
}

/* Is fd a listening UNIX stream socket? */
static int
listen_is_unix_listener(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof (int), slen = sizeof ss;
	int			type = 0, acc = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
	    type != SOCK_STREAM)
		return (0);
	len = sizeof acc;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 ||
	    acc == 0)
		return (0);
	return (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0 &&
	    ss.ss_family == AF_UNIX);
}

/*
 * Listening UNIX stream sockets inherited from systemd: the one named
 * "jsonl" (FileDescriptorName=jsonl) speaks JSON Lines, the other the raw
 * protocol.  Each is -1 if not passed.
 */
void
listen_systemd(int *raw, int *jsonl)
{
	char	*names;
	int	 n, i, fd, *slot;

	*raw = *jsonl = -1;
	n = listen_fds(&names);
	for (i = 0; i < n; i++) {
		fd = LISTEN_FDS_START + i;
		slot = listen_fd_named(names, i, "jsonl") ? jsonl : raw;
		if (*slot == -1 && listen_is_unix_listener(fd))
			*slot = fd;
		else {
			log_warnx("ignoring inherited descriptor %d: not a "
			    "listening UNIX stream socket, or one too many",
			    fd);
			close(fd);
		}
	}
	free(names);
}

/*
 * Remove the socket file this process made, and only that: whatever is
 * at the path now (another daemon's socket, a file put there since) is
 * left alone.
 */
void
listen_unlink(struct listen_sock *ls)
{
	struct stat	sb;

	if (ls->path == NULL)
		return;
	listen_track(ls, 0);
	if (lstat(ls->path, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    sb.st_dev == ls->dev && sb.st_ino == ls->ino) {
		if (unlink(ls->path) != 0)
			log_warn("unlink %s", ls->path);
	} else
		log_info("%s is no longer the socket scrubd made: leaving it",
		    ls->path);
	free(ls->path);
	ls->path = NULL;
}

/* Close the socket and remove its file. */
void
listen_close(struct listen_sock *ls)
{
	if (ls->fd != -1)
		close(ls->fd);
	ls->fd = -1;
	listen_unlink(ls);
}

/*
 * Is the peer of fd allowed by allow_uid / allow_gid?  When refused, who
 * describes it ("pid P uid U gid G").
 */
int
listen_peer_allowed(const struct settings *set, int fd, char *who,
    size_t size)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	size_t		i;

	if (set->nallow_uid == 0 && set->nallow_gid == 0)
		return (1);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		snprintf(who, size, "unknown peer (SO_PEERCRED: %s)",
		    strerror(errno));
		return (0);
	}
	for (i = 0; i < set->nallow_uid; i++)
		if (set->allow_uid[i] == cred.uid)
			return (1);
	for (i = 0; i < set->nallow_gid; i++)
		if (set->allow_gid[i] == cred.gid)
			return (1);
	snprintf(who, size, "pid %d uid %d gid %d", (int)cred.pid,
	    (int)cred.uid, (int)cred.gid);
	return (0);
}
