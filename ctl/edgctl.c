/*
 * edgctl - the edg operator's tool
 *
 * SYNOPSIS
 *	edgctl [-c FILE] [-h] COMMAND [ARGS...]
 *
 * DESCRIPTION
 *	Dispatches to one subcommand (ctl/cmd_*.c). -c names the configuration file
 *	(default /etc/edg/edg.conf); "edgctl COMMAND -h" describes each command.
 *
 * DIAGNOSTICS
 *	Exit 0 on success, 1 when the command failed (or what was asked for is not
 *	there), 2 on a usage error, 3 when the state (Redis) is unavailable.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "edgctl.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(int, char **, const char *);
	const char *help;
} edgctl_commands[] = {
	{"config", cmd_config, "config check|show|sample: validate or print the configuration"},
	{"oci-sign", cmd_oci_sign, "oci-sign METHOD URL: print the OCI Authorization header"},
	{"postfix-config", cmd_postfix_config, "postfix-config --region R: Postfix settings for OCI"},
	{"status", cmd_status, "sync status, counts, the readers' view"},
	{"explain", cmd_explain, "explain --from A --rcpt B: what policyd and milter decide"},
	{"suppress", cmd_suppress, "suppress add|remove|show|list: the suppression list"},
	{"senders", cmd_senders, "approved senders and domains (DKIM)"},
	{"sync", cmd_sync, "sync --now: ask edg-syncd for a cycle"},
};

static void
edgctl_usage(FILE *out)
{
	fprintf(out, "usage: edgctl [-c FILE] [-h] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(edgctl_commands) / sizeof(edgctl_commands[0]); i++)
		fprintf(out, "  %-15s %s\n", edgctl_commands[i].name, edgctl_commands[i].help);
	fprintf(out, "\n-c FILE  configuration file (default %s)\n", CONFIG_DEFAULT_PATH);
}

int
main(int argc, char **argv)
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	int ch;

	log_init("edgctl", 1, LOG_MAIL);
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			edgctl_usage(stdout);
			return EDGCTL_OK;
		default:
			edgctl_usage(stderr);
			return EDGCTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		edgctl_usage(stderr);
		return EDGCTL_USAGE;
	}
	for (size_t i = 0; i < sizeof(edgctl_commands) / sizeof(edgctl_commands[0]); i++) {
		if (strcmp(argv[0], edgctl_commands[i].name) == 0) {
			optind = 1;
			return edgctl_commands[i].run(argc, argv, config_path);
		}
	}
	fprintf(stderr, "edgctl: unknown command \"%s\"\n", argv[0]);
	edgctl_usage(stderr);
	return EDGCTL_USAGE;
}
