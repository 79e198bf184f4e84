/* Threads with a deep stack (see stack.h). */
#include <pthread.h>
#include <string.h>

#include "log.h"
#include "stack.h"

/* Thread attributes with the deep stack. */
void
stack_attr(pthread_attr_t *attr)
{
	if (pthread_attr_init(attr) != 0 ||
	    pthread_attr_setstacksize(attr, STACK_SIZE) != 0)
		fatalx("cannot set a thread stack of %d bytes", STACK_SIZE);
}

/* Run fn(arg) on a thread with the deep stack; return its result. */
void *
stack_run(void *(*fn)(void *), void *arg)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	void		*rv;
	int		 rc;

	stack_attr(&attr);
	if ((rc = pthread_create(&t, &attr, fn, arg)) != 0)
		fatalx("cannot start a thread: %s", strerror(rc));
	pthread_attr_destroy(&attr);
	pthread_join(t, &rv);
	return (rv);
}
