/*
 * Benchmark peer: an echo server on a UNIX socket with the raw protocol's
 * shape (read until half-close, send everything back, close), built on the
 * same libevent bufferevents as scrubd.  It is the ceiling of the I/O path.
 * usage: echo SOCKET
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define ECHO_HIGH_WATER	(4 * 1024 * 1024)
#define ECHO_IO_MAX	(256 * 1024)	/* as scrubd: per read(2)/write(2) */

/* Move input to output; stop reading while the peer is slow. */
static void
echo_read_callback(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
	if (evbuffer_get_length(bufferevent_get_output(bev)) > ECHO_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

/* Output drained: resume reading, or close after end of input. */
static void
echo_write_callback(struct bufferevent *bev, void *arg)
{
	int	*eof = arg;

	if (*eof) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
			free(eof);
			bufferevent_free(bev);
		}
		return;
	}
	bufferevent_enable(bev, EV_READ);
}

/* End of input or error. */
static void
echo_event_callback(struct bufferevent *bev, short what, void *arg)
{
	int	*eof = arg;

	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING)) {
		*eof = 1;
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		if (evbuffer_get_length(bufferevent_get_output(bev)) != 0)
			return;
	}
	free(eof);
	bufferevent_free(bev);
}

/* A client connected. */
static void
echo_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent	*bev;
	int			*eof;

	(void)l;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE);
	eof = calloc(1, sizeof *eof);
	bufferevent_setcb(bev, echo_read_callback, echo_write_callback,
	    echo_event_callback, eof);
	bufferevent_setwatermark(bev, EV_WRITE, ECHO_HIGH_WATER / 2, 0);
	bufferevent_set_max_single_read(bev, ECHO_IO_MAX);
	bufferevent_set_max_single_write(bev, ECHO_IO_MAX);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct sockaddr_un	 sun;

	if (argc != 2) {
		fprintf(stderr, "usage: echo SOCKET\n");
		return (2);
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	base = event_base_new();
	if (evconnlistener_new_bind(base, echo_accept, base,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
	    (struct sockaddr *)&sun, sizeof sun) == NULL) {
		perror("listen");
		return (1);
	}
	event_base_dispatch(base);
	return (0);
}
