/*
 * Benchmark peer: the socket's limit.  A plain blocking echo server on a
 * UNIX socket with the raw protocol's shape (read until half-close, send
 * everything back as it comes, close), one thread per connection,
 * read(2)/write(2) of up to 1 MiB: no event loop, no processing.
 * usage: echo SOCKET
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ECHO_IO	(1024 * 1024)

/* Echo one connection until the client half-closes. */
static void *
echo_conn(void *arg)
{
	int	 fd = (int)(intptr_t)arg;
	char	*buf = malloc(ECHO_IO);
	ssize_t	 n, w, off;

	while (buf != NULL && (n = read(fd, buf, ECHO_IO)) > 0) {
		for (off = 0; off < n; off += w) {
			if ((w = write(fd, buf + off, (size_t)(n - off))) <= 0)
				goto done;
		}
	}
done:
	free(buf);
	close(fd);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	sun;
	pthread_t		t;
	int			fd, c;

	if (argc != 2) {
		fprintf(stderr, "usage: echo SOCKET\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		perror(argv[1]);
		return (1);
	}
	while ((c = accept(fd, NULL, NULL)) != -1) {
		if (pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)c) != 0)
			close(c);
		else
			pthread_detach(t);
	}
	perror("accept");
	return (1);
}
