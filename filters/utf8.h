/*
 * UTF-8 validation as JSON (RFC 8259) and jansson require it: no overlong
 * forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/* Ways to check, for utf8_valid_with(). */
enum utf8_impl { UTF8_SCALAR, UTF8_AVX2, UTF8_AVX512 };

int	utf8_valid(const char *, size_t);
int	utf8_valid_with(const char *, size_t, enum utf8_impl);
int	utf8_valid_scalar(const char *, size_t);
size_t	utf8_prefix(const char *, size_t);
int	utf8_char(const char *, size_t);

/* Is c a UTF-8 continuation byte (10xxxxxx)? */
static inline int
utf8_cont(unsigned char c)
{
	return ((c & 0xc0) == 0x80);
}

#endif
