/*
 * One document stream between a client and the engine, without the
 * socket: input is fed as it is read, cleaned output collects in the
 * session's own bounded queue until it is written.  The session decides
 * how much may be read now (output_high_water, max_document); conn.c does
 * the reading and writing.  No event loop here, so fuzzers drive it too.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stream.h"

struct config;
struct scratch;

struct session {
	struct stream	*stream;
	struct buf	 out;		/* cleaned bytes not yet written */
	size_t		 out_off;	/* first byte not yet written */
	uint64_t	 bytes_in;	/* fed to the stream */
	uint64_t	 bytes_out;	/* produced by the stream */
	uint64_t	 bytes_sent;	/* taken from the queue (written) */
	uint64_t	 max_document;	/* 0: unlimited */
	size_t		 high_water;
	int		 paused;	/* queue over high water: do not read */
	int		 finished;	/* the stream was told the end */
	int		 muted;		/* produced bytes are discarded */
};

void	session_init(struct session *, const struct config *,
	    enum stream_kind, struct scratch *, uint64_t, size_t);
void	session_free(struct session *);
size_t	session_room(const struct session *, size_t);
int	session_at_max(const struct session *);
size_t	session_feed(struct session *, const char *, size_t);
void	session_finish(struct session *);
void	session_abandon(struct session *);
size_t	session_pending(const struct session *, const char **);
void	session_sent(struct session *, size_t);

#endif
