/*
 * Benchmark peer: the engine's limit.  Copies standard input to standard
 * output line by line, as the engine does with every line no rule
 * touches: memchr for each newline, memcpy of each line into an output
 * buffer, reads and writes of 256 KiB.  usage: linecopy < in > out
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINECOPY_BUF	(256 * 1024)

/* Write all of p; exit on error. */
static void
linecopy_write(const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(STDOUT_FILENO, p, len)) <= 0)
			exit(1);
		p += n;
		len -= (size_t)n;
	}
}

int
main(void)
{
	static char	 in[LINECOPY_BUF], out[2 * LINECOPY_BUF];
	const char	*p, *end, *nl;
	size_t		 olen = 0, len;
	ssize_t		 n;

	while ((n = read(STDIN_FILENO, in, sizeof in)) > 0) {
		for (p = in, end = in + n; p < end; p += len) {
			nl = memchr(p, '\n', (size_t)(end - p));
			len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			memcpy(out + olen, p, len);
			olen += len;
			if (olen >= LINECOPY_BUF) {
				linecopy_write(out, olen);
				olen = 0;
			}
		}
	}
	linecopy_write(out, olen);
	return (n == 0 ? 0 : 1);
}
