/* One-shot mode: files or standard input to standard output. */
#ifndef ONESHOT_H
#define ONESHOT_H

#include <stddef.h>

struct config;

typedef void	(*oneshot_feed)(void *, const char *, size_t);
typedef int	(*oneshot_doc)(void *, int, const char *);

int	oneshot_run(const struct config *, char **, int, int);
int	oneshot_read(int, const char *, oneshot_feed, void *, const int *);
int	oneshot_each(char **, int, oneshot_doc, void *);

#endif
