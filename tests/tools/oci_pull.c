/*
 * oci_pull.c - pull a listing through the OCI API client and count it (test tool)
 *
 * SYNOPSIS
 *	oci_pull -e ENDPOINT -t TENANCY -k KEYID -p KEY.pem [-a CA.pem] [-x PROXY]
 *		 [-f FROM] [-b BEFORE] [-s COMPARTMENT] [-l LIMIT] [-m MAX_PAGES]
 *		 [-r RETRIES] [-T TIMEOUT_MS]
 *	oci_pull -c EDG.CONF [-f FROM] [-b BEFORE] [-s COMPARTMENT]
 *
 * DESCRIPTION
 *	Lists the tenancy's suppressions (or, with -s, the senders of COMPARTMENT)
 *	through oci_api_list_suppressions() into a callback that counts them and checks
 *	that (timeCreated, id) strictly grows from one entry to the next, which proves
 *	every entry of a TIMECREATED ASC listing came once without holding them all.
 *	FROM and BEFORE are RFC 3339 bounds (inclusive, exclusive). The key is read
 *	without the mode check of oci_key_load_file() (test keys live in the tree).
 *	With -c the client comes from edg.conf's [oci] through oci_api_from_config()
 *	(credentials, key mode and fingerprint checks, endpoint, timeouts, retries).
 *
 *	Prints one line: "items N pages P requests R seconds S maxrss_kb K order ok|BAD"
 *	and exits 0; on an API error prints error->text to stderr and exits 1; 2 for
 *	a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "oci_api.h"
#include "oci_key.h"
#include "timefmt.h"

struct pull_count {
	size_t items;
	long long last_time;
	char last_id[OCI_JSON_ID_MAX + 1];
	int disorder;
};

struct pull_args {
	struct oci_api_options options;
	const char *key_id, *key_file, *compartment, *config_file;
	long long from_ms, before_ms;
};

static void
pull_note(struct pull_count *count, long long time_ms, const char *id)
{
	if (count->items > 0 && (time_ms < count->last_time ||
	                         (time_ms == count->last_time && strcmp(id, count->last_id) <= 0)))
		count->disorder = 1;
	count->last_time = time_ms;
	snprintf(count->last_id, sizeof(count->last_id), "%s", id);
	count->items++;
}

static int
pull_on_suppressions(const struct oci_suppression *items, size_t n, void *context)
{
	for (size_t i = 0; i < n; i++)
		pull_note(context, items[i].time_created_ms, items[i].id);
	return 0;
}

static int
pull_on_senders(const struct oci_sender *items, size_t n, void *context)
{
	struct pull_count *count = context;

	count->items += n;
	return 0;
}

static long long
pull_time(const char *text)
{
	long long ms;

	if (timefmt_parse_rfc3339(text, strlen(text), &ms) != 0) {
		fprintf(stderr, "oci_pull: not an RFC 3339 time: %s\n", text);
		exit(2);
	}
	return ms;
}

static void
pull_parse(int argc, char **argv, struct pull_args *args)
{
	int opt;

	args->from_ms = args->before_ms = OCI_JSON_TIME_UNSET;
	args->options.retries = 2;
	args->options.http.timeout_ms = 60000;
	while ((opt = getopt(argc, argv, "c:e:t:k:p:a:x:f:b:s:l:m:r:T:")) != -1) {
		switch (opt) {
		case 'c':
			args->config_file = optarg;
			break;
		case 'e':
			args->options.endpoint = optarg;
			break;
		case 't':
			args->options.tenancy = optarg;
			break;
		case 'k':
			args->key_id = optarg;
			break;
		case 'p':
			args->key_file = optarg;
			break;
		case 'a':
			args->options.http.ca_file = optarg;
			break;
		case 'x':
			args->options.http.proxy = optarg;
			break;
		case 'f':
			args->from_ms = pull_time(optarg);
			break;
		case 'b':
			args->before_ms = pull_time(optarg);
			break;
		case 's':
			args->compartment = optarg;
			break;
		case 'l':
			args->options.page_limit = (unsigned)atoi(optarg);
			break;
		case 'm':
			args->options.max_pages = atol(optarg);
			break;
		case 'r':
			args->options.retries = atol(optarg);
			break;
		case 'T':
			args->options.http.timeout_ms = atoll(optarg);
			break;
		default:
			fprintf(stderr, "oci_pull: see the header of tests/tools/oci_pull.c\n");
			exit(2);
		}
	}
	if (args->config_file == NULL && (!args->options.endpoint || !args->options.tenancy ||
	                                  !args->key_id || !args->key_file)) {
		fprintf(stderr, "usage: oci_pull -e ENDPOINT -t TENANCY -k KEYID -p KEY.pem ...\n");
		exit(2);
	}
}

static struct oci_signer *
pull_signer(const struct pull_args *args)
{
	char pem[OCI_KEY_FILE_MAX], err[256];
	struct oci_signer *signer;
	EVP_PKEY *key;
	FILE *file = fopen(args->key_file, "r");
	size_t len;

	if (file == NULL) {
		perror(args->key_file);
		exit(2);
	}
	len = fread(pem, 1, sizeof(pem), file);
	fclose(file);
	if (oci_key_parse_pem(pem, len, NULL, args->key_file, &key, err, sizeof(err)) != 0) {
		fprintf(stderr, "oci_pull: %s\n", err);
		exit(2);
	}
	signer = oci_signer_new(args->key_id, key);
	EVP_PKEY_free(key);
	return signer;
}

static struct oci_api *
pull_api(const struct pull_args *args, char *err, size_t errsize)
{
	struct edg_config *cfg;
	struct oci_api *api;

	if (args->config_file == NULL)
		return oci_api_new(&args->options, pull_signer(args), err, errsize);
	if ((cfg = config_load(args->config_file, stderr)) == NULL) {
		snprintf(err, errsize, "%s: invalid configuration", args->config_file);
		return NULL;
	}
	api = oci_api_from_config(cfg, err, errsize);
	config_free(cfg);
	return api;
}

int
main(int argc, char **argv)
{
	struct pull_args args = {0};
	struct pull_count count = {0};
	struct oci_api_stats stats;
	struct oci_api_error error;
	struct rusage usage;
	enum oci_api_result result;
	struct oci_api *api;
	long long started;
	char err[256];

	pull_parse(argc, argv, &args);
	if ((api = pull_api(&args, err, sizeof(err))) == NULL) {
		fprintf(stderr, "oci_pull: %s\n", err);
		return 2;
	}
	started = timefmt_monotonic_ms();
	if (args.compartment != NULL)
		result = oci_api_list_senders(
		    api, strcmp(args.compartment, "-") ? args.compartment : oci_api_tenancy(api),
		    NULL, pull_on_senders, &count, &stats, &error);
	else
		result = oci_api_list_suppressions(api, args.from_ms, args.before_ms,
		                                   pull_on_suppressions, &count, &stats, &error);
	getrusage(RUSAGE_SELF, &usage);
	oci_api_free(api);
	if (result != OCI_API_OK) {
		fprintf(stderr, "oci_pull: %s\n", error.text);
		return 1;
	}
	printf("items %zu pages %zu requests %zu connections %zu seconds %.3f maxrss_kb %ld order "
	       "%s\n",
	       count.items, stats.pages, stats.requests, stats.connections,
	       (double)(timefmt_monotonic_ms() - started) / 1000.0, usage.ru_maxrss,
	       count.disorder ? "BAD" : "ok");
	return 0;
}
