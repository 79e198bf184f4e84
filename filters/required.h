/*
 * Required literals: for a PCRE2 pattern, a small set of byte strings such
 * that the text of every match contains at least one of them.  The
 * prefilter looks for these in the whole read buffer at once; a line that
 * holds none of a rule's literals cannot match the rule.  The reading is
 * conservative: whatever it does not understand counts as "any text", and
 * a pattern it cannot bound gets no set (the rule then runs on every line).
 */
#ifndef REQUIRED_H
#define REQUIRED_H

#include <stddef.h>

#define REQUIRED_MAX_SET	64	/* strings in one set */
#define REQUIRED_MAX_LEN	256	/* bytes of one string */
#define REQUIRED_MAX_ALTS	4	/* other sets offered */

/* One literal; caseless: ASCII letters match in either case. */
struct reqlit {
	char	*s;
	size_t	 len;
	int	 caseless;
};

/* A set of literals, any one of which every match contains. */
struct reqset {
	struct reqlit	*v;
	size_t		 n;
};

int	required_literals(const char *, size_t, int, struct reqset *,
	    struct reqset *, size_t *);
void	required_add(struct reqset *, const char *, size_t, int);
void	required_free(struct reqset *);
int	required_caseless_safe(const char *, size_t);

#endif
