/* scrubd: the command line and the choice of mode. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "codec.h"
#include "config.h"
#include "encoding.h"
#include "explain.h"
#include "generation.h"
#include "log.h"
#include "oneshot.h"
#include "server.h"
#include "stack.h"
#include "version.h"

/* Print usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: scrubd [-v] [-c FILE] [-s SOCKET] [-J SOCKET] [-M ADDR]\n"
	    "                                  run the daemon in the "
	    "foreground\n"
	    "       scrubd [-v] [-c FILE] -F [-j] [FILE...]\n"
	    "                                  clean files or stdin to "
	    "stdout\n"
	    "       scrubd [-v] [-c FILE] -F [--encoding NAME] "
	    "[--output-encoding NAME] [FILE...]\n"
	    "                                  the same, documents in "
	    "another encoding\n"
	    "       scrubd [-c FILE] -F --explain [FILE...]\n"
	    "                                  show what each rule removes\n"
	    "       scrubd [-c FILE] -t\n"
	    "                                  check the configuration\n"
	    "       scrubd -h | -V\n"
	    "\n"
	    "  -c FILE    configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -s SOCKET  listen on this UNIX socket instead of [daemon] "
	    "socket\n"
	    "  -J SOCKET  also serve JSON Lines on this UNIX socket\n"
	    "  -M ADDR    serve /metrics and /healthz on unix:PATH or "
	    "HOST:PORT\n"
	    "  --explain  with -F: print each line a rule drops or changes, "
	    "and totals\n"
	    "  -F         one-shot mode: each FILE (or stdin) is one "
	    "document\n"
	    "  -j         with -F: the input is JSON Lines, text in a field\n"
	    "  --encoding NAME  with -F: the documents' encoding (utf-8, "
	    "gb18030,\n"
	    "             gbk, utf-16, utf-16le, utf-16be, auto) instead of "
	    "[engine]\n"
	    "  --output-encoding NAME  with -F: same (the document's own) "
	    "or utf-8\n"
	    "  -t         check the configuration, print 'configuration OK'\n"
	    "  -v         verbose (debug) logging\n"
	    "  -h         this help\n"
	    "  -V         print the version\n");
}

/* Load the configuration or print every error and exit 1. */
static struct generation *
load_or_exit(const char *path, const struct settings_override *ov)
{
	struct config_errors	 errs = { NULL, 0 };
	struct generation	*g;
	size_t			 i;

	if ((g = generation_load(path, ov, NULL, &errs)) != NULL)
		return (g);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	exit(1);
}

/* What the command line asked for. */
struct options {
	const char			*path;
	struct settings_override	 ov;
	int				 check;
	int				 oneshot;
	int				 jsonl;
	int				 explain;
	int				 verbose;
	const char			*encoding;	/* --encoding */
	const char			*output_encoding;
};

#define OPT_ENCODING		256
#define OPT_OUTPUT_ENCODING	257

/* Take one option; -h, -V and unknown options exit. */
static void
options_set(struct options *o, int ch)
{
	switch (ch) {
	case 'c':
		o->path = optarg;
		break;
	case 'E':
		o->explain = 1;
		break;
	case OPT_ENCODING:
		o->encoding = optarg;
		break;
	case OPT_OUTPUT_ENCODING:
		o->output_encoding = optarg;
		break;
	case 'F':
		o->oneshot = 1;
		break;
	case 'h':
		usage(stdout);
		exit(0);
	case 'j':
		o->jsonl = 1;
		break;
	case 'J':
		o->ov.jsonl_socket = optarg;
		break;
	case 'M':
		o->ov.metrics = optarg;
		break;
	case 's':
		o->ov.socket = optarg;
		break;
	case 't':
		o->check = 1;
		break;
	case 'v':
		o->verbose = 1;
		break;
	case 'V':
		printf("scrubd %s\n", SCRUBD_VERSION);
		exit(0);
	default:
		usage(stderr);
		exit(2);
	}
}

static void	options_encoding(const struct options *);

/* Parse the options; returns the index of the first operand. */
static int
options_parse(struct options *o, int argc, char **argv)
{
	static const struct option	longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "explain", no_argument, NULL, 'E' },
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "output-encoding", required_argument, NULL,
		    OPT_OUTPUT_ENCODING },
		{ NULL, 0, NULL, 0 }
	};
	int				ch;

	memset(o, 0, sizeof *o);
	o->path = CONFIG_DEFAULT_PATH;
	while ((ch = getopt_long(argc, argv, "c:FhjJ:M:s:tvV", longopts,
	    NULL)) != -1)
		options_set(o, ch);
	if ((!o->oneshot && optind != argc) ||
	    ((o->jsonl || o->explain) && !o->oneshot) ||
	    (o->jsonl && o->explain)) {
		usage(stderr);
		exit(2);
	}
	options_encoding(o);
	return (optind);
}

/*
 * Check --encoding and --output-encoding: one-shot raw documents only
 * (JSON Lines is UTF-8), and known names; otherwise a usage error.
 */
static void
options_encoding(const struct options *o)
{
	enum encoding	enc;

	if (o->encoding == NULL && o->output_encoding == NULL)
		return;
	if (!o->oneshot || o->jsonl) {
		fprintf(stderr, "scrubd: --encoding and --output-encoding "
		    "are for -F with raw documents (JSON Lines is always "
		    "UTF-8)\n");
		exit(2);
	}
	if (o->encoding != NULL && encoding_parse(o->encoding, &enc) != 0) {
		fprintf(stderr, "scrubd: unknown encoding %s (known: %s)\n",
		    o->encoding, encoding_names());
		exit(2);
	}
	if (o->output_encoding != NULL &&
	    encoding_parse_output(o->output_encoding, &enc) != 0) {
		fprintf(stderr, "scrubd: unknown output encoding %s (known: "
		    "same, utf-8)\n", o->output_encoding);
		exit(2);
	}
}

/* Let the command line's encodings override [engine]'s; exit 1 if bad. */
static void
options_apply_encoding(const struct options *o, struct config *cfg)
{
	char	*cause = NULL;

	if (o->encoding != NULL)
		encoding_parse(o->encoding, &cfg->encoding);
	if (o->output_encoding != NULL)
		encoding_parse_output(o->output_encoding,
		    &cfg->output_encoding);
	if (codec_init(cfg->encoding, &cause) != 0) {
		fprintf(stderr, "scrubd: encoding %s: %s\n",
		    encoding_name(cfg->encoding), cause);
		free(cause);
		exit(1);
	}
}

/* A one-shot run (-F, --explain) and its exit status. */
struct oneshot_job {
	const struct options	*o;
	const struct config	*cfg;
	char			**files;
	int			 nfiles;
	int			 rc;
};

/* Run the one-shot job (on a thread with a deep stack). */
static void *
main_oneshot(void *arg)
{
	struct oneshot_job	*j = arg;

	if (j->o->explain)
		j->rc = explain_run(j->cfg, j->files, j->nfiles);
	else
		j->rc = oneshot_run(j->cfg, j->files, j->nfiles, j->o->jsonl);
	return (NULL);
}

#define MAIN_HEAP_PAD	((size_t)32 << 20)	/* heap grown this much at once */
#define MAIN_HUGE	((size_t)2 << 20)	/* a transparent huge page */

static uintptr_t	main_heap_lo, main_heap_hi;	/* its huge-page range */

/*
 * Is the process's address space or data segment limited (ulimit -v or
 * -d, LimitAS=, LimitDATA=)?  Then the load's heap set-up is skipped: its
 * 32 MiB pad would fail allocations that fit without it.
 */
static int
main_heap_limited(void)
{
	struct rlimit	as, data;

	if (getrlimit(RLIMIT_AS, &as) != 0 ||
	    getrlimit(RLIMIT_DATA, &data) != 0)
		return (1);
	return (as.rlim_cur != RLIM_INFINITY ||
	    data.rlim_cur != RLIM_INFINITY);
}

/*
 * Set the heap up for a configuration's load, which makes and frees
 * arrays of megabytes (100,000 phrases: 15 MB in all): kept in the heap
 * (a fixed mmap threshold) and not given back (trim threshold), so that
 * what one step frees the next reuses instead of faulting in new pages,
 * and the heap grown MAIN_HEAP_PAD at a time, its first MAIN_HEAP_PAD in
 * transparent huge pages where the kernel gives them (a fault for 2 MiB
 * instead of 512 faults).
 * p lies in the heap that sbrk(0) ends only where malloc is glibc's on
 * brk; elsewhere (ASan, valgrind) the range is not asked for.
 */
static void
main_heap_setup(void)
{
	uintptr_t	 lo, hi;
	void		*p;

	if (main_heap_limited())
		return;
	mallopt(M_MMAP_THRESHOLD, (int)MAIN_HEAP_PAD);
	mallopt(M_TRIM_THRESHOLD, (int)(2 * MAIN_HEAP_PAD));
	mallopt(M_TOP_PAD, (int)MAIN_HEAP_PAD);
	p = malloc(MAIN_HUGE);		/* grows the heap by the pad */
	lo = ((uintptr_t)p + MAIN_HUGE - 1) & ~(MAIN_HUGE - 1);
	hi = (uintptr_t)sbrk(0) & ~(MAIN_HUGE - 1);
	if (p != NULL && hi > lo && hi - lo <= 2 * MAIN_HEAP_PAD &&
	    madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0) {
		main_heap_lo = lo;
		main_heap_hi = hi;
	}
	free(p);
}

/*
 * The heap once the configuration is loaded, in both modes: buffers of
 * 128 KiB and more (reads, output queues, JSON Lines records) are mapped
 * apart and go back to the system when freed, instead of growing in the
 * heap and staying there, and the heap grows only by what is asked (no
 * 32 MiB pad, which under an address-space limit would fail an
 * allocation that fits).
 */
static void
main_heap_run(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	mallopt(M_TOP_PAD, 0);
}

/*
 * The daemon's heap once its configuration is loaded: as main_heap_run,
 * with the heap's free top given back, and pages it faults from now on
 * small ones, so that no connection waits on the kernel compacting memory
 * for a huge page (those the load took stay).
 */
static void
main_heap_serve(void)
{
	main_heap_run();
	if (main_heap_hi > main_heap_lo)
		(void)madvise((void *)main_heap_lo, main_heap_hi -
		    main_heap_lo, MADV_NOHUGEPAGE);
	malloc_trim(0);
}

int
main(int argc, char **argv)
{
	struct options		 o;
	struct oneshot_job	 j;
	struct generation	*g;
	int			 first;

	first = options_parse(&o, argc, argv);
	log_init(o.verbose, "scrubd");
	main_heap_setup();
	g = load_or_exit(o.path, &o.ov);
	if (o.check) {
		printf("configuration OK\n");
		generation_unref(g);
		if (fflush(stdout) != 0) {
			log_warn("standard output");
			return (1);
		}
		return (0);
	}
	if (!o.oneshot) {
		main_heap_serve();
		return (server_run(o.path, &o.ov, g));
	}
	main_heap_run();
	options_apply_encoding(&o, g->cfg);
	j.o = &o;
	j.cfg = g->cfg;
	j.files = argv + first;
	j.nfiles = argc - first;
	stack_run(main_oneshot, &j);
	generation_unref(g);
	return (j.rc);
}
