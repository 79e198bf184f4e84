/*
 * libFuzzer target: the prefilter changes nothing.  From the input it
 * builds a few random rules, from a grammar of the PCRE2 features the
 * default and typical rules use (literals, CJK too, classes, [\h\v],
 * alternation, quantifiers, anchors, lookaround, optional groups, inline
 * and rule-wide caseless) and phrase lists, and a document of tokens
 * that such rules match or nearly match (with CRLF, NUL bytes, invalid
 * UTF-8 and stray continuation bytes, 4-byte characters, case variants,
 * U+212A and U+017F).  The configuration is loaded
 * three times: with the prefilter (and phrase matcher), its few literals
 * found by litscan.c; with the prefilter, Vectorscan finding them; and
 * without (phrase lists then run as PCRE2 alternations).  The document,
 * fed in random chunks to one and whole to another, must give the same
 * bytes each time.  Built without Vectorscan, the second load has no
 * prefilter, and the first one only where litscan.c finds every literal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "engine.h"
#include "litscan.h"
#include "prefilter.h"
#include "fuzz.h"

/* The input, read a byte at a time (zeros past its end). */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

static const char *fuzz_atoms[] = {
	"a", "b", "ab", "##paid", "begin", "end", "##", "哒哒", "哒", "君",
	"素材库", "欢迎加入", "整理", "K", "s", "x", "\\.", "[\\h\\v]",
	"[\\h\\v]*", "[【\\[]", "[ab]", "[：:]", "[^a]", ".", "\\d", "\\w+",
	"\\x{54}", "\\Qa.b\\E", "\\bab", "^", "$", "(?<=a)", "(?=b)",
	"(?<!x)", "(?:ab|哒哒)", "(?:begin|end)", "(ab)?", "(?<n>x|y)",
	"a{2}", "b{1,3}", "(?i:k)", "\\s", "\\t", "\\x{0}",
};

static const char *fuzz_tokens[] = {
	"a", "b", "ab", "AB", "x", "y", "##paid", "##paidbegin##",
	"##paidend##", "##PAIDbegin##", "begin", "end", "哒哒", "哒", "君",
	"哒哒君", "哒哒素材库", "欢迎加入", "【", "[", "：", ":", "整理",
	" ", "\t", "\xe3\x80\x80", "\n", "\r\n", "\n\n", "\0", "\xff",
	"\xe5\x93", "\xe2\x84\xaa", "\xc5\xbf", "K", "k", "s", "S", "KS",
	"a.b", ".", "T", "1", "-", "\xf0\x9f\x98\x80", "\x80\xbf",
};

#define NATOMS	(sizeof fuzz_atoms / sizeof fuzz_atoms[0])
#define NTOKENS	(sizeof fuzz_tokens / sizeof fuzz_tokens[0])

/* The next input byte, or 0 past the end. */
static unsigned
fuzz_byte(struct fuzz_in *in)
{
	if (in->len == 0)
		return (0);
	in->len--;
	return (*in->p++);
}

/* Write a random pattern of a few atoms, sometimes an alternation. */
static void
fuzz_pattern(struct fuzz_in *in, FILE *f)
{
	unsigned	n = 1 + fuzz_byte(in) % 4, i, c;

	if (fuzz_byte(in) % 8 == 0)
		fputs("(?i)", f);
	for (i = 0; i < n; i++) {
		c = fuzz_byte(in);
		if (i != 0 && c % 11 == 0)
			fputc('|', f);
		fputs(fuzz_atoms[c % NATOMS], f);
		if (c % 7 == 0)
			fputs(c % 2 ? "?" : "+", f);
	}
	fputc('\n', f);
}

/*
 * Write a phrases file of a few phrases built from tokens, short ones for
 * Vectorscan and long ones for the sampler; its path.
 */
static char *
fuzz_phrases(struct fuzz_in *in)
{
	char		*path = strdup("/tmp/scrubd-fuzzpf-XXXXXX");
	unsigned	 n = 1 + fuzz_byte(in) % 5, i, j, k, t;
	FILE		*f;
	int		 fd;

	if (path == NULL || (fd = mkstemp(path)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		/* Up to 8 tokens: phrases of 12 bytes or more are sampled. */
		k = 1 + fuzz_byte(in) % 8;
		for (j = 0; j < k; j++) {
			t = fuzz_byte(in) % NTOKENS;
			if (strchr(fuzz_tokens[t], '\n') == NULL &&
			    fuzz_tokens[t][0] != '\0' &&
			    fuzz_tokens[t][0] != '\xff' &&
			    fuzz_tokens[t][0] != '\xe5' &&
			    fuzz_tokens[t][0] != '\x80')
				fputs(fuzz_tokens[t], f);
			else
				fputc('a', f);
		}
		fputc('\n', f);
	}
	fclose(f);
	return (path);
}

/* Write one rule's pattern keys: patterns, or a phrases file. */
static void
fuzz_keys(struct fuzz_in *in, FILE *f, const char *key, char **files,
    size_t *nfiles)
{
	unsigned	n, i;

	if (fuzz_byte(in) % 4 == 0) {
		files[*nfiles] = fuzz_phrases(in);
		fprintf(f, "%s%sphrases_file = %s\n", strcmp(key, "pattern") ?
		    key : "", strcmp(key, "pattern") ? "_" : "",
		    files[(*nfiles)++]);
		return;
	}
	n = 1 + fuzz_byte(in) % 3;
	for (i = 0; i < n; i++) {
		fprintf(f, "%s = ", key);
		fuzz_pattern(in, f);
	}
}

/* Write one random rule. */
static void
fuzz_rule(struct fuzz_in *in, FILE *f, unsigned i, char **files,
    size_t *nfiles)
{
	unsigned	t = fuzz_byte(in) % 8, k;

	fprintf(f, "[filter:r%u]\n", i);
	if (t < 3) {
		fprintf(f, "type = replace\n");
		if (t == 1)
			fprintf(f, "replacement = [=]\n");
		fuzz_keys(in, f, "pattern", files, nfiles);
	} else if (t < 6) {
		fprintf(f, "type = drop-line\n");
		fuzz_keys(in, f, "pattern", files, nfiles);
	} else if (t == 6) {
		fprintf(f, "type = drop-block\nmax_lines = 4\n");
		fuzz_keys(in, f, "begin", files, nfiles);
		fuzz_keys(in, f, "end", files, nfiles);
	} else {
		k = fuzz_byte(in) % 4;
		fprintf(f, "type = blank\nsqueeze = %s\ntrim = %s\n",
		    k & 1 ? "no" : "yes", k & 2 ? "no" : "yes");
	}
	if (t < 7 && fuzz_byte(in) % 4 == 0)
		fprintf(f, "caseless = yes\n");
}

/* Write a configuration of 1 to 4 rules; its path, files it names. */
static char *
fuzz_conf(struct fuzz_in *in, char **files, size_t *nfiles)
{
	char		*path = strdup("/tmp/scrubd-fuzzpf-XXXXXX");
	unsigned	 n = 1 + fuzz_byte(in) % 4, i;
	FILE		*f;
	int		 fd;

	if (path == NULL || (fd = mkstemp(path)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		abort();
	if (fuzz_byte(in) % 2)
		fprintf(f, "[engine]\nmax_line = 64\n");
	for (i = 0; i < n; i++)
		fuzz_rule(in, f, i, files, nfiles);
	fclose(f);
	return (path);
}

/* The document: each input byte a token (or, from 224 up, itself). */
static void
fuzz_doc(struct fuzz_in *in, struct buf *doc)
{
	unsigned	c;

	buf_reset(doc);
	while (in->len > 0) {
		c = fuzz_byte(in);
		if (c >= 224)
			buf_append(doc, &c, 1);
		else
			buf_append(doc, fuzz_tokens[c % NTOKENS],
			    fuzz_tokens[c % NTOKENS][0] == '\0' ? 1 :
			    strlen(fuzz_tokens[c % NTOKENS]));
	}
}

/* Clean the document, in chunks from seed (0: whole). */
static void
fuzz_run(const struct config *cfg, const struct buf *doc, uint32_t seed,
    struct buf *out)
{
	struct sink	 sink = { fuzz_buf_write, out };
	struct engine	*e;
	size_t		 off = 0, n;

	buf_reset(out);
	e = engine_new(cfg, &sink, NULL);
	while (off < doc->len) {
		n = doc->len - off;
		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 61;
			if (n > doc->len - off)
				n = doc->len - off;
		}
		engine_feed(e, doc->data + off, n);
		off += n;
	}
	engine_finish(e);
	engine_free(e);
}

/*
 * Load a configuration without the prefilter (0), with it (1: a few
 * literals found by litscan.c where this CPU can) or with Vectorscan
 * finding them all (2).
 */
static struct config *
fuzz_load_prefilter(const char *path, int prefilter)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	int			 was;

	prefilter_set_enabled(prefilter != 0);
	was = litscan_set_simd(prefilter == 2 ? 0 : 2);
	cfg = config_load(path, &errs);
	litscan_set_simd(was);
	config_errors_free(&errs);
	return (cfg);
}

/* Are two outputs the same bytes? */
static int
fuzz_same(const struct buf *a, const struct buf *b)
{
	return (a->len == b->len && (a->len == 0 ||
	    memcmp(a->data, b->data, a->len) == 0));
}

/* Print a file to standard error. */
static void
fuzz_cat(const char *path)
{
	FILE	*f;
	int	 c;

	fprintf(stderr, "== %s\n", path);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while ((c = fgetc(f)) != EOF)
		fputc(c, stderr);
	fclose(f);
}

/* Print bytes to standard error, escaped. */
static void
fuzz_show(const char *what, const struct buf *b)
{
	size_t	i;

	fprintf(stderr, "== %s (%zu bytes)\n", what, b->len);
	for (i = 0; i < b->len; i++) {
		if (b->data[i] == '\n')
			fputs("\\n\n", stderr);
		else if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)b->data[i]);
		else
			fputc(b->data[i], stderr);
	}
	fputc('\n', stderr);
}

/* The outputs differ: show the case, then stop. */
static void
fuzz_fail(const char *conf, char **files, size_t nfiles,
    const struct buf *doc, const struct buf *with, const struct buf *without)
{
	size_t	i;

	fuzz_cat(conf);
	for (i = 0; i < nfiles; i++)
		fuzz_cat(files[i]);
	fuzz_show("document", doc);
	fuzz_show("with the prefilter", with);
	fuzz_show("without", without);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct buf	 doc, with, without;
	struct fuzz_in		 in = { data, len };
	struct config		*a, *b, *c;
	char			*conf, *files[32];
	size_t			 nfiles = 0, i;
	uint32_t		 seed;

	seed = 1 + fuzz_byte(&in);
	conf = fuzz_conf(&in, files, &nfiles);
	fuzz_doc(&in, &doc);
	a = fuzz_load_prefilter(conf, 1);
	b = fuzz_load_prefilter(conf, 0);
	c = fuzz_load_prefilter(conf, 2);
	if ((a == NULL) != (b == NULL) || (c == NULL) != (b == NULL)) {
		fuzz_cat(conf);		/* one loads, not another */
		abort();
	}
	if (a != NULL) {
		fuzz_run(a, &doc, seed, &with);
		fuzz_run(b, &doc, 0, &without);
		if (!fuzz_same(&with, &without))	/* it changed the output */
			fuzz_fail(conf, files, nfiles, &doc, &with, &without);
		fuzz_run(a, &doc, 0, &with);
		fuzz_run(b, &doc, seed, &without);
		if (!fuzz_same(&with, &without))
			fuzz_fail(conf, files, nfiles, &doc, &with, &without);
		fuzz_run(c, &doc, seed, &with);		/* Vectorscan's scan */
		if (!fuzz_same(&with, &without))
			fuzz_fail(conf, files, nfiles, &doc, &with, &without);
	}
	config_unref(c);
	config_unref(a);
	config_unref(b);
	for (i = 0; i < nfiles; i++) {
		unlink(files[i]);
		free(files[i]);
	}
	unlink(conf);
	free(conf);
	return (0);
}
