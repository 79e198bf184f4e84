/*
 * Threads with a deep stack.  A line that several rules change in turn
 * goes down the filter chain one call deeper per rule (about 1 KiB of
 * stack each), so every thread that runs the engine gets a stack room for
 * CONFIG_MAX_RULES of them; only the pages used are ever committed.
 */
#ifndef STACK_H
#define STACK_H

#include <pthread.h>

#define STACK_SIZE	(256 * 1024 * 1024)

void	stack_start(pthread_t *, void *(*)(void *), void *, const char *);
void	*stack_run(void *(*)(void *), void *);

#endif
