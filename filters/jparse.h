/*
 * A complete JSON (RFC 8259) validator for one JSON Lines record that also
 * finds the top-level members the record machine needs: those whose key
 * decodes to the text field, and the last one whose key decodes to "id".
 * It builds nothing: a record of any shape costs a fixed amount of memory.
 */
#ifndef JPARSE_H
#define JPARSE_H

#include <stddef.h>

#include "jstr.h"

#define JPARSE_MAX_DEPTH	2048	/* nesting jansson accepts */

struct buf;

enum jparse_kind { JPARSE_INVALID, JPARSE_NOT_OBJECT, JPARSE_OBJECT };

/* A top-level member: offsets in the record. */
struct jparse_member {
	size_t	key;		/* the key's opening quote */
	size_t	val;		/* the value's first byte */
	size_t	end;		/* past the value */
	int	is_text;	/* the key decodes to the text field */
	int	is_id;		/* the key decodes to "id" */
	int	is_string;	/* the value is a string */
	struct jstr_info str;	/* what the value's scan found */
};

struct jparse_record {
	enum jparse_kind	 kind;
	const char		*why;		/* JPARSE_INVALID: why */
	size_t			 at;		/* and where (byte offset) */
	size_t			 ntext;		/* text members */
	int			 text_not_string; /* one is not a string */
	struct jparse_member	 text;		/* the first text member */
	int			 has_id;
	struct jparse_member	 id;		/* the last "id" member */
	size_t			 close;		/* the object's closing brace */
};

void	jparse_record(const char *, size_t, const char *, struct buf *,
	    struct jparse_record *);
int	jparse_member(const char *, size_t, size_t *, const char *, char *,
	    struct jparse_member *, const char **);
int	jparse_next(const char *, size_t, size_t *);

#endif
