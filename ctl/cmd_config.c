/*
 * cmd_config.c - edgctl config: check, show or print a sample of edg.conf
 *
 * SYNOPSIS
 *	edgctl [-c FILE] config check [-c FILE]
 *	edgctl [-c FILE] config show [-a] [-c FILE]
 *	edgctl config sample
 *	edgctl config reference
 *
 * DESCRIPTION
 *	check loads the file as every daemon would and prints each problem to stderr
 *	as FILE:LINE: [section] key: reason.
 *
 *	show prints the keys the file sets (like postconf -n), or with -a every key
 *	with its effective value; secrets print as "*****".
 *
 *	sample prints the fully commented sample configuration generated from the key
 *	table (conf/edg.conf.sample); reference prints the key reference in Markdown
 *	(the generated part of docs/configuration.md).
 *
 * DIAGNOSTICS
 *	Exit 0 on success, 1 when the file is invalid, 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "edgctl.h"

static const char cmd_config_usage_text[] =
    "usage: edgctl config check [-c FILE]     validate; errors to stderr, exit 0 or 1\n"
    "       edgctl config show [-a] [-c FILE] keys set in the file (-a: every key)\n"
    "       edgctl config sample              the commented sample configuration\n"
    "       edgctl config reference           the key reference (Markdown)\n";

static int
cmd_config_usage(FILE *out, int status)
{
	fputs(cmd_config_usage_text, out);
	return status;
}

#define CMD_CONFIG_HELPED (-1) /* -h answered: nothing more to do */

/* Options after the action: -c FILE everywhere, -a for show. Returns EDGCTL_OK,
 * EDGCTL_USAGE or CMD_CONFIG_HELPED. */
static int
cmd_config_options(int argc, char **argv, const char **config_path, int *all, int all_ok)
{
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, all_ok ? "+ac:h" : "+c:h")) != -1) {
		switch (ch) {
		case 'a':
			*all = 1;
			break;
		case 'c':
			*config_path = optarg;
			break;
		case 'h':
			cmd_config_usage(stdout, EDGCTL_OK);
			return CMD_CONFIG_HELPED;
		default:
			return cmd_config_usage(stderr, EDGCTL_USAGE);
		}
	}
	if (optind != argc)
		return cmd_config_usage(stderr, EDGCTL_USAGE);
	return EDGCTL_OK;
}

static int
cmd_config_check(const char *config_path)
{
	struct edg_config *cfg = config_load(config_path, stderr);

	if (cfg == NULL)
		return EDGCTL_FAIL;
	config_free(cfg);
	return EDGCTL_OK;
}

static int
cmd_config_show(const char *config_path, int all)
{
	struct edg_config *cfg = config_load(config_path, stderr);

	if (cfg == NULL)
		return EDGCTL_FAIL;
	config_show(cfg, stdout, all);
	config_free(cfg);
	return EDGCTL_OK;
}

int
cmd_config(int argc, char **argv, const char *config_path)
{
	const char *action = argc > 1 ? argv[1] : "";
	int all = 0, rc;

	if (strcmp(action, "-h") == 0 || strcmp(action, "help") == 0)
		return cmd_config_usage(stdout, EDGCTL_OK);
	if (argc < 2)
		return cmd_config_usage(stderr, EDGCTL_USAGE);
	rc =
	    cmd_config_options(argc - 1, argv + 1, &config_path, &all, strcmp(action, "show") == 0);
	if (rc != EDGCTL_OK)
		return rc == CMD_CONFIG_HELPED ? EDGCTL_OK : rc;
	if (strcmp(action, "check") == 0)
		return cmd_config_check(config_path);
	if (strcmp(action, "show") == 0)
		return cmd_config_show(config_path, all);
	if (strcmp(action, "sample") == 0) {
		config_sample(stdout);
		return EDGCTL_OK;
	}
	if (strcmp(action, "reference") == 0) {
		config_reference(stdout);
		return EDGCTL_OK;
	}
	fprintf(stderr, "edgctl config: unknown action \"%s\"\n", action);
	return cmd_config_usage(stderr, EDGCTL_USAGE);
}
