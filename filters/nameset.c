/*
 * A set of names: an open-addressing hash table (FNV-1a, linear probing,
 * at most half full), so that checking N names for duplicates costs O(N),
 * not O(N^2).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nameset.h"
#include "xmalloc.h"

/* FNV-1a hash of a string. */
static uint64_t
nameset_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* The slot holding name, or the empty slot where it would go. */
static struct nameset_entry *
nameset_slot(struct nameset_entry *v, size_t cap, const char *name)
{
	size_t	i;

	i = (size_t)nameset_hash(name) & (cap - 1);
	while (v[i].name != NULL && strcmp(v[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return (&v[i]);
}

/* Double the table, or make its first one. */
static void
nameset_grow(struct nameset *set)
{
	struct nameset_entry	*old = set->v, *e;
	size_t			 oldcap = set->cap, i;

	set->cap = oldcap != 0 ? oldcap * 2 : 64;
	set->v = xcalloc(set->cap, sizeof *set->v);
	for (i = 0; i < oldcap; i++) {
		if (old[i].name == NULL)
			continue;
		e = nameset_slot(set->v, set->cap, old[i].name);
		*e = old[i];
	}
	free(old);
}

/*
 * Add name, seen at line.  Returns 1 if it was new, 0 if it was there
 * already (then *first is the line it was first added with).
 */
int
nameset_add(struct nameset *set, const char *name, int line, int *first)
{
	struct nameset_entry	*e;

	if (2 * (set->n + 1) > set->cap)
		nameset_grow(set);
	e = nameset_slot(set->v, set->cap, name);
	if (e->name != NULL) {
		*first = e->line;
		return (0);
	}
	e->name = name;
	e->line = line;
	set->n++;
	return (1);
}

/* Free the table (not the names). */
void
nameset_free(struct nameset *set)
{
	free(set->v);
	memset(set, 0, sizeof *set);
}
