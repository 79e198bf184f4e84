/*
 * encoding = auto: what a document is written in, from its first bytes.
 * A byte order mark decides (UTF-8, UTF-16LE, UTF-16BE).  Otherwise the
 * window of DETECT_WINDOW bytes from the first byte that is not ASCII
 * decides between UTF-8 and GB18030 (ASCII reads the same in both).
 */
#ifndef DETECT_H
#define DETECT_H

#include <stddef.h>

#include "encoding.h"

#define DETECT_WINDOW	(16 * 1024)

int		detect_bom(const char *, size_t, enum encoding *);
enum encoding	detect_window(const char *, size_t, int);

#endif
