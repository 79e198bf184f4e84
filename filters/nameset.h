/* A set of names, each with the line it was first seen at: linear checks. */
#ifndef NAMESET_H
#define NAMESET_H

#include <stddef.h>

struct nameset_entry {
	const char	*name;		/* not copied: must outlive the set */
	int		 line;
};

struct nameset {
	struct nameset_entry	*v;
	size_t			 n;
	size_t			 cap;	/* a power of two, or 0 */
};

int	nameset_add(struct nameset *, const char *, int, int *);
void	nameset_free(struct nameset *);

#endif
