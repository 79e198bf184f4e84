/* scrubd: shared declarations of the program's modes. */
#ifndef SCRUBD_H
#define SCRUBD_H

#define SCRUBD_VERSION	"0.1.0"

struct config;

int	oneshot_run(const struct config *, char **, int);

#endif
