/*
 * The GB18030 and GBK tables, built once from the system's converter
 * (glibc iconv): every one- and two-byte code and every four-byte code of
 * the Basic Multilingual Plane is decoded, encoded back, and kept only if
 * it comes back as the same bytes.  Supplementary-plane four-byte codes
 * are arithmetic (GB 18030 maps them linearly onto U+10000..U+10FFFF);
 * a code point that also has a shorter code keeps only that one.
 */
#ifndef GBTAB_H
#define GBTAB_H

#include <stdint.h>

#include "encoding.h"

#define GBTAB_NBMP4	39420	/* four-byte codes 81308130..8431A439 */
#define GBTAB_NSUPP	32	/* supplementary characters with a short code */

struct gbtab {
	uint32_t	 dec1[256];	/* single bytes: UTF-8, 0 if none */
	uint32_t	 dec2[65536];	/* lead << 8 | trail: UTF-8, or 0 */
	uint32_t	*dec4;		/* BMP four-byte codes (GB18030 only) */
	uint32_t	 enc[65536];	/* BMP code point: GB bytes, or 0 */
	uint32_t	 supp_cp[GBTAB_NSUPP];
	uint32_t	 supp_gb[GBTAB_NSUPP];
	int		 nsupp;
};

const struct gbtab	*gbtab_get(enum encoding, char **);
uint32_t		 gbtab_supp_encode(const struct gbtab *, uint32_t);
uint32_t		 gbtab_supp_decode(const struct gbtab *,
			    const unsigned char *);
uint32_t		 gbtab_utf8(uint32_t);

#endif
