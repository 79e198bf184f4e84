/*
 * Document encodings: the names [engine] encoding, output_encoding and
 * the command line accept, and the encodings a document can be read in.
 */
#ifndef ENCODING_H
#define ENCODING_H

/* The first ENCODING_NDOC values are what a document is read in. */
enum encoding {
	ENCODING_UTF8,
	ENCODING_GB18030,
	ENCODING_GBK,
	ENCODING_UTF16LE,
	ENCODING_UTF16BE,
	ENCODING_UTF16,		/* a byte order mark decides; none: BE */
	ENCODING_AUTO,		/* a BOM, valid UTF-8, or GB18030 */
	ENCODING_SAME		/* output_encoding: the document's own */
};
#define ENCODING_NDOC	5

int		 encoding_parse(const char *, enum encoding *);
int		 encoding_parse_output(const char *, enum encoding *);
const char	*encoding_name(enum encoding);
const char	*encoding_names(void);

#endif
