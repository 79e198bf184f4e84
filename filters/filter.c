/* The filter type table and helpers shared by the filter types. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filter.h"
#include "log.h"
#include "utf8.h"

static const struct filter_type *filter_types[] = {
	&filter_replace,
	&filter_drop_line,
	&filter_drop_block,
	&filter_blank,
};

/* Find a filter type by its `type =` name. */
const struct filter_type *
filter_type_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof filter_types / sizeof filter_types[0]; i++) {
		if (strcmp(filter_types[i]->name, name) == 0)
			return (filter_types[i]);
	}
	return (NULL);
}

/* The known type names, for error messages. */
const char *
filter_type_names(void)
{
	return ("replace, drop-line, drop-block, blank");
}

/*
 * Length of the Unicode White_Space character at p, or 0.  Its first
 * bytes are the ones line_may_be_blank (filter.h) knows.
 */
static size_t
blank_char(const unsigned char *p, size_t len)
{
	switch (p[0]) {
	case ' ': case '\t': case '\v': case '\f': case '\r':
		return (1);
	case 0xc2:		/* U+0085, U+00A0 */
		if (len >= 2 && (p[1] == 0x85 || p[1] == 0xa0))
			return (2);
		return (0);
	case 0xe1:		/* U+1680 */
		if (len >= 3 && p[1] == 0x9a && p[2] == 0x80)
			return (3);
		return (0);
	case 0xe2:		/* U+2000-200A, 2028, 2029, 202F, 205F */
		if (len < 3)
			return (0);
		if (p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) ||
		    p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
			return (3);
		if (p[1] == 0x81 && p[2] == 0x9f)
			return (3);
		return (0);
	case 0xe3:		/* U+3000 ideographic space */
		if (len >= 3 && p[1] == 0x80 && p[2] == 0x80)
			return (3);
		return (0);
	}
	return (0);
}

/* Is a line empty or only white space (ASCII or Unicode, U+3000 too)? */
int
line_is_blank(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n;

	while (len > 0) {
		if ((n = blank_char(p, len)) == 0)
			return (0);
		p += n;
		len -= n;
	}
	return (1);
}

/*
 * Where to cut a piece off text known to be longer than max: at max, or up
 * to three bytes earlier so that a UTF-8 character is not split.
 */
size_t
line_cut(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 c = max;

	while (c > max - 3 && utf8_cont(p[c]))
		c--;
	if (utf8_cont(p[c]))
		return (max);
	return (c);
}

/* The current CLOCK_MONOTONIC second. */
static uint64_t
rule_warn_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec);
}

/*
 * Log a warning about a rule, at most one line per rule every
 * RULE_WARN_INTERVAL seconds whatever the number of threads; the next line
 * says how many were kept quiet in between.
 */
void
rule_warn(const struct rule *r, const char *fmt, ...)
{
	struct rule_warn	*w = r->warn;
	va_list			 ap;
	char			 msg[512];
	uint64_t		 now, next, quiet;

	now = rule_warn_now();
	next = __atomic_load_n(&w->next, __ATOMIC_RELAXED);
	if (now < next || !__atomic_compare_exchange_n(&w->next, &next,
	    now + RULE_WARN_INTERVAL, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		__atomic_add_fetch(&w->quiet, 1, __ATOMIC_RELAXED);
		return;
	}
	quiet = __atomic_exchange_n(&w->quiet, 0, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (quiet != 0)
		log_warnx("rule %s: %s (%llu more since the last such line)",
		    r->name, msg, (unsigned long long)quiet);
	else
		log_warnx("rule %s: %s", r->name, msg);
}

/* A match stopped by a resource limit: count it and warn (rate-limited). */
void
stage_match_error(struct stage *st, const char *why)
{
	st->stats.match_errors++;
	rule_warn(st->rule, "%s", why);
}

/* Parse yes/no, true/false, on/off, 1/0. */
int
filter_parse_bool(const char *s, int *v)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcasecmp(s, "on") == 0 || strcmp(s, "1") == 0) {
		*v = 1;
		return (0);
	}
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		*v = 0;
		return (0);
	}
	return (-1);
}

/* Parse a leading unsigned number; *suffix is what follows it. */
int
filter_parse_number(const char *s, unsigned long long *n, const char **suffix)
{
	char	*end;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	*n = strtoull(s, &end, 10);
	if (errno != 0)
		return (-1);
	*suffix = end;
	return (0);
}

/* Parse a byte count with an optional K, M or G suffix (powers of 1024). */
int
filter_parse_size(const char *s, uint64_t *v)
{
	const char		*end;
	unsigned long long	 n;
	uint64_t		 mult = 1;

	if (filter_parse_number(s, &n, &end) != 0)
		return (-1);
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K':
		mult = 1024;
		end++;
		break;
	case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'G':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return (-1);
	}
	if (mult != 1 && (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B")
	    == 0))
		end += strlen(end);	/* 16M, 16MB and 16MiB alike */
	if (*end != '\0' || n > UINT64_MAX / mult)
		return (-1);
	*v = n * mult;
	return (0);
}
