/* Per-thread matching resources (see scratch.h). */
#include <stdlib.h>

#include "scratch.h"
#include "xmalloc.h"

struct scratch {
	int	unused;
};

/* New scratch space for one thread. */
struct scratch *
scratch_new(void)
{
	return (xcalloc(1, sizeof (struct scratch)));
}

/* Free a thread's scratch space. */
void
scratch_free(struct scratch *sc)
{
	free(sc);
}
