/*
 * scrubc: send documents to scrubd and know for certain that the whole
 * cleaned text came back.  With its first byte scrubc passes scrubd the
 * write end of a pipe (SCM_RIGHTS); scrubd writes one status line into it
 * when the connection ends ("scrubd-status 1 end=ok in=N out=M").  A
 * document counts as cleaned only if the status says ok and scrubc
 * received exactly out bytes for exactly the in bytes it sent.
 *
 *   scrubc [-s SOCKET] [-T SECS] < in > out
 *   scrubc [-s SOCKET] [-T SECS] [-P JOBS] [-q] -o DIR FILE...
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "version.h"

#define SCRUBC_SOCKET	"/run/scrubd/scrubd.sock"
#define SCRUBC_BUFSIZE	(256 * 1024)
#define SCRUBC_JOBS	4
#define SCRUBC_REFUSED	"scrubd sent no status: it refused the " \
	"connection (max_connections, allow_uid/allow_gid), could not take " \
	"the status pipe, or stopped; see its log"
#define SCRUBC_PIPE_CHUNK	4096	/* a pipe that polls writable takes it */

/* One document on its way through scrubd. */
struct job {
	const char	*name;		/* input path, or "-" for stdio */
	int		 stdio;		/* standard input to standard output */
	int		 timeout;	/* -T: seconds without progress */
	char		*final;		/* output path (-o), or NULL */
	char		*tmp;		/* temporary output (-o) */
	int		 in;
	int		 out;
	int		 sock;
	int		 status;	/* read end of the status pipe */
	char		*buf;		/* input not yet sent */
	size_t		 blen;
	size_t		 boff;
	int		 in_eof;
	int		 shut;		/* our write side is shut down */
	int		 running;
	uint64_t	 sent;
	uint64_t	 received;
	double		 progress;	/* when a byte last moved */
	char		 reason[256];	/* why it failed; "" if it did not */
};

struct scrubc {
	const char	*socket;
	const char	*outdir;
	int		 timeout;	/* seconds without progress; 0 none */
	int		 jobs;
	int		 quiet;
	int		 progress;	/* a progress line on the terminal */
	struct job	*v;
	int		 n;
	int		 next;
	int		 running;
	int		 done;
	int		 failed;
};

/* Print usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr,
	    "usage: scrubc [-s SOCKET] [-T SECS] < in > out\n"
	    "       scrubc [-s SOCKET] [-T SECS] [-P JOBS] [-q] -o DIR "
	    "FILE...\n");
	exit(2);
}

/* Record why a job failed (the first reason wins). */
static void __attribute__((format(printf, 2, 3)))
job_fail(struct job *j, const char *fmt, ...)
{
	va_list	ap;

	if (*j->reason != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(j->reason, sizeof j->reason, fmt, ap);
	va_end(ap);
}

/* Monotonic seconds. */
static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Milliseconds left before -T gives up on a job (at least 0). */
static int
job_ms_left(const struct job *j)
{
	double	left = j->progress + j->timeout - now();

	return (left > 0 ? (int)(left * 1000) + 1 : 0);
}

/* With -T, wait until fd is ready for events; -1 (reason set) if not. */
static int
job_wait(struct job *j, int fd, short events, const char *what)
{
	struct pollfd	pfd;
	int		rc;

	if (j->timeout == 0)
		return (0);
	pfd.fd = fd;
	pfd.events = events;
	do
		rc = poll(&pfd, 1, job_ms_left(j));
	while (rc == -1 && errno == EINTR);
	if (rc == 1)
		return (0);
	job_fail(j, "no progress for %d seconds (%s)", j->timeout, what);
	return (-1);
}

/* Write output (with -T, waiting for its reader at most the timeout). */
static int
job_write_out(struct job *j, const char *p, size_t len)
{
	size_t	n;
	ssize_t	w;

	while (len > 0) {
		if (job_wait(j, j->out, POLLOUT, "output not read") != 0)
			return (-1);
		n = j->timeout == 0 || len < SCRUBC_PIPE_CHUNK ? len :
		    SCRUBC_PIPE_CHUNK;
		if ((w = write(j->out, p, n)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			job_fail(j, "writing output: %s", strerror(errno));
			return (-1);
		}
		p += w;
		len -= (size_t)w;
		j->progress = now();
	}
	return (0);
}

/* Connect (with -T, retrying a full backlog until the timeout). */
static int
job_dial(struct job *j, const struct sockaddr_un *sun)
{
	if (j->timeout != 0 && fcntl(j->sock, F_SETFL, O_NONBLOCK) == -1)
		return (-1);
	while (connect(j->sock, (const struct sockaddr *)sun, sizeof *sun)
	    != 0) {
		if (j->timeout == 0 || errno != EAGAIN)
			return (-1);
		if (job_ms_left(j) == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		poll(NULL, 0, 20);	/* the listen backlog is full */
	}
	return (fcntl(j->sock, F_SETFL, 0));
}

/* Connect to scrubd and ask for a status; -1 with the reason set. */
static int
job_connect(struct job *j, const char *path)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof (int))];
	}			 cm;
	struct sockaddr_un	 sun;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*c;
	int			 p[2];
	char			 req = 'S';

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		job_fail(j, "socket path too long: %s", path);
		return (-1);
	}
	strcpy(sun.sun_path, path);
	if ((j->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    job_dial(j, &sun) != 0) {
		job_fail(j, "cannot connect to %s: %s", path, strerror(errno));
		return (-1);
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		job_fail(j, "pipe: %s", strerror(errno));
		return (-1);
	}
	iov.iov_base = &req;
	iov.iov_len = 1;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof cm.buf;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof (int));
	memcpy(CMSG_DATA(c), &p[1], sizeof (int));
	if (sendmsg(j->sock, &msg, MSG_NOSIGNAL) != 1) {
		if (errno == EPIPE || errno == ECONNRESET)
			job_fail(j, "%s", SCRUBC_REFUSED);
		else
			job_fail(j, "cannot send to %s: %s", path,
			    strerror(errno));
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	close(p[1]);
	j->status = p[0];
	return (fcntl(j->sock, F_SETFL, O_NONBLOCK));
}

/* Open a job's input and output; -1 with the reason set. */
static int
job_open(struct job *j, const char *outdir)
{
	char	*copy;

	if (j->stdio) {
		j->in = STDIN_FILENO;
		j->out = STDOUT_FILENO;
		return (0);
	}
	if ((j->in = open(j->name, O_RDONLY | O_CLOEXEC)) == -1) {
		job_fail(j, "cannot open: %s", strerror(errno));
		return (-1);
	}
	copy = strdup(j->name);
	if (copy == NULL || asprintf(&j->final, "%s/%s", outdir,
	    basename(copy)) == -1 || asprintf(&j->tmp, "%s/.%s.scrubc-XXXXXX",
	    outdir, basename(copy)) == -1) {
		fprintf(stderr, "scrubc: out of memory\n");
		exit(2);
	}
	free(copy);
	if ((j->out = mkstemp(j->tmp)) == -1) {
		job_fail(j, "cannot create %s: %s", j->tmp, strerror(errno));
		free(j->tmp);
		j->tmp = NULL;
		return (-1);
	}
	return (0);
}

/* Start a job: open its files, connect. */
static void
job_start(struct scrubc *sc, struct job *j)
{
	j->in = j->out = j->sock = j->status = -1;
	j->running = 1;
	j->timeout = sc->timeout;
	j->progress = now();
	if ((j->buf = malloc(SCRUBC_BUFSIZE)) == NULL) {
		fprintf(stderr, "scrubc: out of memory\n");
		exit(2);
	}
	if (job_open(j, sc->outdir) != 0 || job_connect(j, sc->socket) != 0)
		j->running = 0;
}

/* Read the status line scrubd wrote when it closed (or nothing). */
static void
job_read_status(struct job *j, char *line, size_t size)
{
	size_t	len = 0;
	ssize_t	n;

	line[0] = '\0';
	if (j->status == -1)
		return;
	while (len < size - 1 && (n = read(j->status, line + len,
	    size - 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		len += (size_t)n;
	}
	line[len] = '\0';
}

/* The value of key=NUMBER in a status line, or -1. */
static long long
status_number(const char *line, const char *key)
{
	const char	*p = strstr(line, key);

	return (p != NULL ? strtoll(p + strlen(key), NULL, 10) : -1);
}

/* Say in words why scrubd ended a connection early. */
static const char *
status_words(const char *end)
{
	if (strncmp(end, "max_document", 12) == 0)
		return ("the document is larger than scrubd's max_document");
	if (strncmp(end, "idle_timeout", 12) == 0)
		return ("scrubd's idle_timeout ended the connection");
	if (strncmp(end, "shutdown_timeout", 16) == 0)
		return ("scrubd shut down before the document was finished");
	if (strncmp(end, "client_error", 12) == 0)
		return ("scrubd saw the connection fail");
	return ("scrubd ended the connection early");
}

/* The document is back: check the status against what was moved. */
static void
job_check(struct job *j)
{
	char		 line[512], *end;
	long long	 in, out;

	job_read_status(j, line, sizeof line);
	if (strncmp(line, "scrubd-status 1 ", 16) != 0 ||
	    (end = strstr(line, "end=")) == NULL) {
		job_fail(j, "%s", SCRUBC_REFUSED);
		return;
	}
	end += 4;
	if (strncmp(end, "ok ", 3) != 0) {
		job_fail(j, "incomplete: %s (%llu bytes of output received)",
		    status_words(end), (unsigned long long)j->received);
		return;
	}
	in = status_number(line, " in=");
	out = status_number(line, " out=");
	if (in != (long long)j->sent || out != (long long)j->received)
		job_fail(j, "incomplete: scrubd read %lld bytes and wrote %lld, "
		    "scrubc sent %llu and received %llu", in, out,
		    (unsigned long long)j->sent,
		    (unsigned long long)j->received);
}

/* Close a job's descriptors; keep its output only if it succeeded. */
static void
job_close(struct job *j)
{
	if (j->sock != -1)
		close(j->sock);
	if (j->status != -1)
		close(j->status);
	if (j->in != -1 && !j->stdio)
		close(j->in);
	if (j->tmp != NULL) {
		if (close(j->out) != 0)
			job_fail(j, "writing %s: %s", j->tmp, strerror(errno));
		if (*j->reason == '\0' && rename(j->tmp, j->final) != 0)
			job_fail(j, "cannot rename to %s: %s", j->final,
			    strerror(errno));
		if (*j->reason != '\0')
			unlink(j->tmp);
	}
	j->sock = j->status = j->in = j->out = -1;
	free(j->buf);
	free(j->tmp);
	free(j->final);
	j->buf = j->tmp = j->final = NULL;
	j->running = 0;
}

/* Output arrived (or the end): pass it on; at the end, check and close. */
static void
job_receive(struct job *j)
{
	char	buf[SCRUBC_BUFSIZE];
	ssize_t	n;

	n = read(j->sock, buf, sizeof buf);
	if (n > 0) {
		j->received += (uint64_t)n;
		j->progress = now();
		if (job_write_out(j, buf, (size_t)n) != 0)
			job_close(j);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1 && errno != ECONNRESET)
		job_fail(j, "reading from scrubd: %s", strerror(errno));
	job_check(j);
	job_close(j);
}

/* Read more input, or half-close at its end. */
static void
job_fill(struct job *j)
{
	ssize_t	n;

	n = read(j->in, j->buf, SCRUBC_BUFSIZE);
	if (n == -1 && errno == EINTR)
		return;
	if (n == -1) {
		job_fail(j, "reading input: %s", strerror(errno));
		n = 0;
	}
	j->blen = (size_t)n;
	j->boff = 0;
	if (n == 0) {
		j->in_eof = 1;
		j->shut = 1;
		shutdown(j->sock, SHUT_WR);
	}
}

/* Send buffered input; a closed peer stops sending (output still read). */
static void
job_send(struct job *j)
{
	ssize_t	n;

	n = send(j->sock, j->buf + j->boff, j->blen - j->boff, MSG_NOSIGNAL);
	if (n > 0) {
		j->boff += (size_t)n;
		j->sent += (uint64_t)n;
		j->progress = now();
		if (j->boff == j->blen)
			j->blen = j->boff = 0;
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	j->in_eof = j->shut = 1;	/* scrubd stopped reading */
	j->blen = j->boff = 0;
}

/* Print the progress line on the terminal. */
static void
scrubc_progress(const struct scrubc *sc, int last)
{
	if (!sc->progress)
		return;
	fprintf(stderr, "\rscrubc: %d/%d done, %d failed%s", sc->done, sc->n,
	    sc->failed, last ? "\n" : "");
}

/* A job ended: report a failure by name. */
static void
scrubc_finished(struct scrubc *sc, struct job *j)
{
	sc->running--;
	sc->done++;
	if (*j->reason != '\0') {
		sc->failed++;
		if (sc->progress)
			fputc('\n', stderr);
		fprintf(stderr, "scrubc: %s: %s\n", j->stdio ?
		    "standard input" : j->name, j->reason);
	}
	scrubc_progress(sc, 0);
}

/* Start jobs until JOBS are running. */
static void
scrubc_start_more(struct scrubc *sc)
{
	struct job	*j;

	while (sc->running < sc->jobs && sc->next < sc->n) {
		j = &sc->v[sc->next++];
		sc->running++;
		job_start(sc, j);
		if (!j->running) {
			job_close(j);
			scrubc_finished(sc, j);
		}
	}
}

/* Fill the poll entries of a running job (two: input, socket). */
static void
job_poll_set(const struct job *j, struct pollfd *p)
{
	p[0].fd = (!j->in_eof && j->blen == 0) ? j->in : -1;
	p[0].events = POLLIN;
	p[1].fd = j->sock;
	p[1].events = POLLIN | (j->blen != 0 ? POLLOUT : 0);
	p[0].revents = p[1].revents = 0;
}

/* Act on one job's poll results. */
static void
job_poll_done(struct scrubc *sc, struct job *j, const struct pollfd *p)
{
	if (p[0].revents != 0)
		job_fill(j);
	if (p[1].revents & POLLOUT)
		job_send(j);
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		job_receive(j);
	if (j->running && sc->timeout > 0 && job_ms_left(j) == 0) {
		job_fail(j, "no progress for %d seconds", sc->timeout);
		job_close(j);
	}
	if (!j->running)
		scrubc_finished(sc, j);
}

/* Run every job, JOBS at a time; returns the exit status. */
static int
scrubc_run(struct scrubc *sc)
{
	struct pollfd	*pfd;
	int		 i;

	if ((pfd = calloc((size_t)sc->n * 2, sizeof *pfd)) == NULL)
		return (2);
	scrubc_start_more(sc);
	while (sc->running > 0) {
		for (i = 0; i < sc->n; i++) {
			if (sc->v[i].running)
				job_poll_set(&sc->v[i], &pfd[2 * i]);
			else
				pfd[2 * i].fd = pfd[2 * i + 1].fd = -1;
		}
		if (poll(pfd, (nfds_t)sc->n * 2, 1000) == -1 && errno != EINTR)
			break;
		for (i = 0; i < sc->n; i++)
			if (sc->v[i].running)
				job_poll_done(sc, &sc->v[i], &pfd[2 * i]);
		scrubc_start_more(sc);
	}
	free(pfd);
	scrubc_progress(sc, 1);
	return (sc->failed ? 1 : 0);
}

/* Refuse two inputs that would write the same output file. */
static void
scrubc_check_names(char **files, int n)
{
	char	*a, *b;
	int	 i, k;

	for (i = 0; i < n; i++) {
		for (k = i + 1; k < n; k++) {
			a = strdup(files[i]);
			b = strdup(files[k]);
			if (a == NULL || b == NULL)
				exit(2);
			if (strcmp(basename(a), basename(b)) == 0) {
				fprintf(stderr, "scrubc: %s and %s would both "
				    "be written to %s\n", files[i], files[k],
				    basename(a));
				exit(2);
			}
			free(a);
			free(b);
		}
	}
}

/* Set up one job per file (or one for standard input). */
static void
scrubc_jobs(struct scrubc *sc, char **files, int n)
{
	int	i;

	sc->n = n == 0 ? 1 : n;
	if ((sc->v = calloc((size_t)sc->n, sizeof *sc->v)) == NULL)
		exit(2);
	for (i = 0; i < sc->n; i++) {
		sc->v[i].name = n == 0 ? "-" : files[i];
		sc->v[i].stdio = n == 0;
	}
}

/* Parse a positive number option or exit with usage. */
static int
scrubc_number(const char *s, int lo)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > INT_MAX)
		usage();
	return ((int)v);
}

/*
 * Occupy closed standard descriptors with /dev/null, so that no socket
 * or file of ours takes their numbers; returns which of 0 and 1 were
 * closed (bit 0, bit 1).
 */
static int
scrubc_std_fds(void)
{
	int	fd, closed = 0;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1)
			continue;
		if (fd < 2)
			closed |= 1 << fd;
		if (open("/dev/null", O_RDWR) != fd)
			exit(2);
	}
	return (closed);
}

int
main(int argc, char **argv)
{
	struct scrubc	sc;
	int		ch, closed;

	closed = scrubc_std_fds();
	memset(&sc, 0, sizeof sc);
	sc.socket = getenv("SCRUBD_SOCKET") ? getenv("SCRUBD_SOCKET") :
	    SCRUBC_SOCKET;
	sc.jobs = SCRUBC_JOBS;
	while ((ch = getopt(argc, argv, "ho:P:qs:T:V")) != -1) {
		switch (ch) {
		case 'o':
			sc.outdir = optarg;
			break;
		case 'P':
			sc.jobs = scrubc_number(optarg, 1);
			break;
		case 'q':
			sc.quiet = 1;
			break;
		case 's':
			sc.socket = optarg;
			break;
		case 'T':
			sc.timeout = scrubc_number(optarg, 0);
			break;
		case 'V':
			printf("scrubc %s\n", SCRUBD_VERSION);
			return (0);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((sc.outdir == NULL) != (argc == 0))
		usage();
	if (argc == 0 && closed != 0) {
		fprintf(stderr, "scrubc: standard %s is closed\n", closed & 1 ?
		    "input" : "output");
		return (2);
	}
	scrubc_check_names(argv, argc);
	scrubc_jobs(&sc, argv, argc);
	sc.progress = argc > 0 && !sc.quiet && isatty(STDERR_FILENO);
	signal(SIGPIPE, SIG_IGN);
	ch = scrubc_run(&sc);
	free(sc.v);
	return (ch);
}
