/*
 * Benchmark client for scrubd's raw protocol (and the echo peer).
 *   client stream SOCKET FILE REPEAT        one document: FILE sent REPEAT
 *                                           times; prints in, out, seconds
 *   client latency SOCKET FILE CLIENTS SECS round trips of FILE from CLIENTS
 *                                           threads; prints docs/s, p50, p99
 *   client idle SOCKET N                    hold N idle connections until
 *                                           standard input closes
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_CHUNK	(256 * 1024)

static const char	*client_path;
static const char	*client_doc;
static size_t		 client_doclen;
static double		 client_until;

/* Monotonic seconds. */
static double
client_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Connect to the socket or die. */
static int
client_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", client_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		perror(client_path);
		exit(1);
	}
	return (fd);
}

/* Map a file into memory. */
static void
client_map(const char *path)
{
	struct stat	sb;
	int		fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &sb) == -1) {
		perror(path);
		exit(1);
	}
	client_doclen = (size_t)sb.st_size;
	client_doc = mmap(NULL, client_doclen, PROT_READ, MAP_PRIVATE, fd, 0);
	if (client_doc == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	close(fd);
}

/* Stream one large document while reading the answer as it comes. */
static int
client_stream(int repeat)
{
	struct pollfd	pfd;
	static char	rbuf[CLIENT_CHUNK];
	uint64_t	total = (uint64_t)client_doclen * (uint64_t)repeat;
	uint64_t	sent = 0, got = 0;
	size_t		off, n;
	ssize_t		r;
	double		t0;
	int		fd;

	fd = client_connect();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	t0 = client_now();
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN | (sent < total ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (1);
		if ((pfd.revents & POLLOUT) && sent < total) {
			off = (size_t)(sent % client_doclen);
			n = client_doclen - off < CLIENT_CHUNK ?
			    client_doclen - off : CLIENT_CHUNK;
			if ((r = write(fd, client_doc + off, n)) > 0)
				sent += (uint64_t)r;
			if (sent == total)
				shutdown(fd, SHUT_WR);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(fd, rbuf, sizeof rbuf);
			if (r == 0)
				break;
			if (r > 0)
				got += (uint64_t)r;
			else if (errno != EAGAIN && errno != EINTR)
				return (1);
		}
	}
	printf("%llu %llu %.6f\n", (unsigned long long)sent,
	    (unsigned long long)got, client_now() - t0);
	close(fd);
	return (sent == total ? 0 : 1);
}

struct client_lat {
	double	*v;
	size_t	 n;
	size_t	 cap;
};

/* One round trip of the document; returns its latency in seconds. */
static double
client_roundtrip(void)
{
	static __thread char	rbuf[65536];
	size_t			off = 0;
	ssize_t			r;
	double			t0 = client_now();
	int			fd = client_connect();

	while (off < client_doclen) {
		if ((r = write(fd, client_doc + off, client_doclen - off)) <= 0)
			exit(1);
		off += (size_t)r;
	}
	shutdown(fd, SHUT_WR);
	while ((r = read(fd, rbuf, sizeof rbuf)) > 0)
		;
	close(fd);
	return (client_now() - t0);
}

/* A latency thread: round trips until time is up. */
static void *
client_latency_thread(void *arg)
{
	struct client_lat	*l = arg;

	while (client_now() < client_until) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 1024;
			l->v = realloc(l->v, l->cap * sizeof *l->v);
		}
		l->v[l->n++] = client_roundtrip();
	}
	return (NULL);
}

/* Compare doubles for qsort. */
static int
client_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* Many clients doing round trips; print docs/s, p50 and p99 in ms. */
static int
client_latency(int clients, double secs)
{
	pthread_t		*t;
	struct client_lat	*l;
	double			*all, t0;
	size_t			 n = 0, k;
	int			 i;

	t = calloc((size_t)clients, sizeof *t);
	l = calloc((size_t)clients, sizeof *l);
	t0 = client_now();
	client_until = t0 + secs;
	for (i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client_latency_thread, &l[i]);
	for (i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		n += l[i].n;
	}
	secs = client_now() - t0;
	all = malloc(n * sizeof *all);
	for (i = 0, k = 0; i < clients; i++) {
		memcpy(all + k, l[i].v, l[i].n * sizeof *all);
		k += l[i].n;
	}
	qsort(all, n, sizeof *all, client_cmp);
	printf("%zu %.1f %.3f %.3f\n", n, (double)n / secs,
	    all[n / 2] * 1e3, all[(size_t)((double)n * 0.99)] * 1e3);
	return (0);
}

/* Hold idle connections until standard input closes. */
static int
client_idle(int n)
{
	char	c;
	int	i;

	for (i = 0; i < n; i++)
		client_connect();
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "stream") == 0) {
		client_path = argv[2];
		client_map(argv[3]);
		return (client_stream(atoi(argv[4])));
	}
	if (argc == 6 && strcmp(argv[1], "latency") == 0) {
		client_path = argv[2];
		client_map(argv[3]);
		return (client_latency(atoi(argv[4]), atof(argv[5])));
	}
	if (argc == 4 && strcmp(argv[1], "idle") == 0) {
		client_path = argv[2];
		return (client_idle(atoi(argv[3])));
	}
	fprintf(stderr, "usage: client stream|latency|idle ...\n");
	return (2);
}
