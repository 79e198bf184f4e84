/* Allocation helpers that die on out-of-memory, so callers never check. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "xmalloc.h"

/* Allocate size bytes or die. */
void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		fatalx("out of memory allocating %zu bytes", size);
	return (p);
}

/* Allocate a zeroed array or die. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", n, size);
	return (p);
}

/* Resize an allocation or die. */
void *
xrealloc(void *ptr, size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = realloc(ptr, size)) == NULL)
		fatalx("out of memory reallocating %zu bytes", size);
	return (p);
}

/* Resize an array, checking the multiplication for overflow. */
void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fatalx("array of %zu x %zu bytes overflows", n, size);
	return (xrealloc(ptr, n * size));
}

/* Duplicate a C string or die. */
char *
xstrdup(const char *s)
{
	return (xmemdup(s, strlen(s) + 1));
}

/* Duplicate at most n bytes of a string, always NUL-terminated. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* Copy len bytes into a new allocation. */
void *
xmemdup(const void *src, size_t len)
{
	void	*p;

	p = xmalloc(len);
	if (len != 0)
		memcpy(p, src, len);
	return (p);
}

/* Format into a newly allocated string. */
char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap, ap2;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("xasprintf: bad format");
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return (s);
}

#define XMALLOC_HUGE	((size_t)2 << 20)	/* a transparent huge page */

/* The length xhuge_zeroed maps for size bytes: whole huge pages. */
static size_t
xhuge_len(size_t size)
{
	return ((size + XMALLOC_HUGE - 1) & ~(XMALLOC_HUGE - 1));
}

/*
 * size bytes of zeros, for a large table read at random: whole huge
 * pages, aligned, which the kernel is asked to back with transparent huge
 * pages (a fault and a TLB entry for 2 MiB instead of 512 of each); where
 * it will not, ordinary pages.  Freed with xhuge_free(p, size).
 */
void *
xhuge_zeroed(size_t size)
{
	size_t	 len = xhuge_len(size), head;
	char	*p;

	p = mmap(NULL, len + XMALLOC_HUGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatalx("out of memory mapping %zu bytes", len + XMALLOC_HUGE);
	head = (XMALLOC_HUGE - ((uintptr_t)p & (XMALLOC_HUGE - 1))) &
	    (XMALLOC_HUGE - 1);
	if (head != 0)
		munmap(p, head);
	if (XMALLOC_HUGE - head != 0)
		munmap(p + head + len, XMALLOC_HUGE - head);
#ifdef MADV_HUGEPAGE
	(void)madvise(p + head, len, MADV_HUGEPAGE);
#endif
	return (p + head);
}

/* Free what xhuge_zeroed(size) gave. */
void
xhuge_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, xhuge_len(size));
}
