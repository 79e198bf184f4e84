/*
 * Listening sockets: UNIX sockets scrubd binds itself (refusing a live
 * one, replacing a stale one, never touching what is not a socket), TCP
 * for metrics, sockets passed by systemd, and the peer credential check.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/types.h>

struct settings;

/* A listening socket and, if scrubd bound it, the file it made. */
struct listen_sock {
	int	 fd;
	char	*path;		/* NULL: TCP, or passed by systemd */
	dev_t	 dev;		/* the socket file we made */
	ino_t	 ino;
};

int	listen_unix(struct listen_sock *, const char *, mode_t, int, gid_t,
	    char **);
int	listen_tcp(struct listen_sock *, const char *, unsigned short,
	    char **);
void	listen_adopt(struct listen_sock *, int);
void	listen_systemd(int *, int *);
void	listen_unlink(struct listen_sock *);
void	listen_close(struct listen_sock *);
int	listen_peer_allowed(const struct settings *, int, char *, size_t);

#endif
