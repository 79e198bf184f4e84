/*
 * How a client connection ends: one name per way, used as written in the
 * log line (end=NAME), the metrics label (reason="NAME") and the status
 * sent to a client that asked for one (see scrubd(8)).
 */
#ifndef CONN_END_H
#define CONN_END_H

enum conn_end {
	CONN_END_OK,			/* the whole document served */
	CONN_END_IDLE_TIMEOUT,		/* no byte read or written in time */
	CONN_END_MAX_DOCUMENT,		/* the document was too large */
	CONN_END_SHUTDOWN_TIMEOUT,	/* closed by a forced shutdown */
	CONN_END_CLIENT_ERROR,		/* the client vanished or failed */
	CONN_END_MAX_CONNECTIONS,	/* refused: too many connections */
	CONN_END_REFUSED_PEER,		/* refused: not in allow_uid/gid */
	CONN_END_COUNT
};

/* The name of a way a connection ends. */
static inline const char *
conn_end_name(enum conn_end e)
{
	static const char *const names[CONN_END_COUNT] = {
		"ok", "idle_timeout", "max_document", "shutdown_timeout",
		"client_error", "max_connections", "refused_peer"
	};

	return ((unsigned)e < CONN_END_COUNT ? names[e] : "unknown");
}

#endif
