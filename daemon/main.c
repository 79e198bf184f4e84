/* scrubd: the command line and the choice of mode. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "explain.h"
#include "generation.h"
#include "log.h"
#include "oneshot.h"
#include "server.h"
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

	if ((g = generation_load(path, ov, &errs)) != NULL)
		return (g);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	exit(1);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "explain", no_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*path = CONFIG_DEFAULT_PATH;
	struct settings_override	 ov = { NULL, NULL, NULL };
	struct generation		*g;
	int				 ch, check = 0, oneshot = 0, jsonl = 0;
	int				 explain = 0;
	int				 verbose = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:FhjJ:M:s:tvV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'E':
			explain = 1;
			break;
		case 'F':
			oneshot = 1;
			break;
		case 'M':
			ov.metrics = optarg;
			break;
		case 'h':
			usage(stdout);
			return (0);
		case 'j':
			jsonl = 1;
			break;
		case 'J':
			ov.jsonl_socket = optarg;
			break;
		case 's':
			ov.socket = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("scrubd %s\n", SCRUBD_VERSION);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	if ((!oneshot && argc != 0) || ((jsonl || explain) && !oneshot) ||
	    (jsonl && explain)) {
		usage(stderr);
		return (2);
	}
	log_init(verbose, "scrubd");
	g = load_or_exit(path, &ov);
	if (check) {
		printf("configuration OK\n");
		generation_unref(g);
		return (0);
	}
	if (oneshot) {
		if (explain)
			rc = explain_run(g->cfg, argv, argc);
		else
			rc = oneshot_run(g->cfg, argv, argc, jsonl);
		generation_unref(g);
		return (rc);
	}
	return (server_run(path, &ov, g));
}
