/* Threads with a deep stack (see stack.h). */
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "stack.h"

/*
 * Start fn(arg) on thread *t with the deep stack; what names the thread
 * in the error if it cannot start.
 */
void
stack_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what)
{
	pthread_attr_t	 attr;
	int		 rc;

	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, STACK_SIZE) != 0)
		fatalx("cannot set a thread stack of %d bytes", STACK_SIZE);
	if ((rc = pthread_create(t, &attr, fn, arg)) != 0)
		fatalx("%s: cannot start thread: %s", what, strerror(rc));
	pthread_attr_destroy(&attr);
}

/* Run fn(arg) on a thread with the deep stack; return its result. */
void *
stack_run(void *(*fn)(void *), void *arg)
{
	pthread_t	 t;
	void		*rv;

	stack_start(&t, fn, arg, "one-shot");
	pthread_join(t, &rv);
	return (rv);
}
