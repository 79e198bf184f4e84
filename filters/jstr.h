/*
 * JSON strings (RFC 8259): scanning one in a record, with or without
 * decoding it; comparing a key with a name; escaping text for output.
 * The bytes given are valid UTF-8 (the caller checks the whole record).
 */
#ifndef JSTR_H
#define JSTR_H

#include <stddef.h>

/* What scanning a string found. */
struct jstr_info {
	size_t	dlen;		/* decoded length */
	int	escaped;	/* it has escapes */
	int	ctl;		/* they decode to '"', '\\' or a control byte
				   other than '\n' */
};

size_t	jstr_plain(const char *, size_t);
int	jstr_scan(const char *, size_t, size_t *, char *, struct jstr_info *,
	    const char **);
int	jstr_equals(const char *, size_t, const char *, size_t);
size_t	jstr_escape_byte(unsigned char, char *);

#endif
