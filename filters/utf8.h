/*
 * UTF-8 validation as JSON (RFC 8259) and jansson require it: no overlong
 * forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

int	utf8_valid(const char *, size_t);
int	utf8_valid_scalar(const char *, size_t);
size_t	utf8_prefix(const char *, size_t);
int	utf8_char(const char *, size_t);

#endif
