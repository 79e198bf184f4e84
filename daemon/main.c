/* scrubd: command line and the choice of mode. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "scrubd.h"

/* Print usage to f. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: scrubd [-v] [-c FILE] -F [FILE...]   clean files or stdin "
	    "to stdout\n"
	    "       scrubd [-c FILE] -t                  check the "
	    "configuration\n"
	    "       scrubd -h | -V\n"
	    "\n"
	    "  -c FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
	    "  -F       one-shot mode: each FILE (or stdin) is one document\n"
	    "  -t       check the configuration, print 'configuration OK'\n"
	    "  -v       verbose (debug) logging\n"
	    "  -h       this help\n"
	    "  -V       print the version\n");
}

/* Load the configuration or print every error and exit 1. */
static struct config *
load_or_exit(const char *path)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cfg;
	size_t			 i;

	if ((cfg = config_load(path, &errs)) != NULL)
		return (cfg);
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
		{ NULL, 0, NULL, 0 }
	};
	const char			*path = CONFIG_DEFAULT_PATH;
	struct config			*cfg;
	int				 ch, check = 0, oneshot = 0;
	int				 verbose = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:FhtvV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'F':
			oneshot = 1;
			break;
		case 'h':
			usage(stdout);
			return (0);
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
	log_init(verbose, "scrubd");
	cfg = load_or_exit(path);
	if (check) {
		printf("configuration OK\n");
		config_unref(cfg);
		return (0);
	}
	if (!oneshot) {
		usage(stderr);
		config_unref(cfg);
		return (2);
	}
	rc = oneshot_run(cfg, argv, argc);
	config_unref(cfg);
	return (rc);
}
