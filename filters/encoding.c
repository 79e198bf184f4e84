/* Names of the document encodings. */
#include <stddef.h>
#include <strings.h>

#include "encoding.h"

static const struct {
	const char	*name;
	enum encoding	 enc;
} encoding_table[] = {
	{ "utf-8", ENCODING_UTF8 },
	{ "utf8", ENCODING_UTF8 },
	{ "gb18030", ENCODING_GB18030 },
	{ "gbk", ENCODING_GBK },
	{ "cp936", ENCODING_GBK },
	{ "utf-16", ENCODING_UTF16 },
	{ "utf-16le", ENCODING_UTF16LE },
	{ "utf-16be", ENCODING_UTF16BE },
	{ "auto", ENCODING_AUTO },
	{ "same", ENCODING_SAME },
};

/* The canonical name of an encoding, for logs, metrics and messages. */
const char *
encoding_name(enum encoding enc)
{
	switch (enc) {
	case ENCODING_UTF8:
		return ("utf-8");
	case ENCODING_GB18030:
		return ("gb18030");
	case ENCODING_GBK:
		return ("gbk");
	case ENCODING_UTF16LE:
		return ("utf-16le");
	case ENCODING_UTF16BE:
		return ("utf-16be");
	case ENCODING_UTF16:
		return ("utf-16");
	case ENCODING_AUTO:
		return ("auto");
	case ENCODING_SAME:
		return ("same");
	}
	return ("?");
}

/* The names encoding accepts, for error messages. */
const char *
encoding_names(void)
{
	return ("utf-8, gb18030, gbk, utf-16, utf-16le, utf-16be, auto");
}

/* Look a name up, case-insensitively; -1 if unknown. */
static int
encoding_lookup(const char *name, enum encoding *enc)
{
	size_t	i;

	for (i = 0; i < sizeof encoding_table / sizeof encoding_table[0];
	    i++) {
		if (strcasecmp(encoding_table[i].name, name) == 0) {
			*enc = encoding_table[i].enc;
			return (0);
		}
	}
	return (-1);
}

/* Parse a document encoding name (encoding =, --encoding); -1 if bad. */
int
encoding_parse(const char *name, enum encoding *enc)
{
	if (encoding_lookup(name, enc) != 0 || *enc == ENCODING_SAME)
		return (-1);
	return (0);
}

/* Parse an output encoding: same (the document's own) or utf-8. */
int
encoding_parse_output(const char *name, enum encoding *enc)
{
	if (encoding_lookup(name, enc) != 0 || (*enc != ENCODING_SAME &&
	    *enc != ENCODING_UTF8))
		return (-1);
	return (0);
}
