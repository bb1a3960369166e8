/*
 * cmd_sync.c - edgctl sync --now: ask edg-syncd for a full cycle now
 *
 * SYNOPSIS
 *	edgctl [-c FILE] sync --now [--wait SECONDS] [--json]
 *
 * DESCRIPTION
 *	Writes the field sync_requested (milliseconds since the epoch, as text) into
 *	{p}:status. The edg-syncd holding the lease runs a full cycle (senders,
 *	domains, a suppression reconcile) when it sees a request it has not served,
 *	and then sets sync_served to the request's value (docs/edgctl.md, "sync").
 *
 *	--wait SECONDS waits until sync_served reaches this request, then prints the
 *	status edg-syncd left (last error, if the cycle failed).
 *
 * DIAGNOSTICS
 *	Exit 0 when the request was written (and, with --wait, served without error);
 *	1 when --wait timed out or the served cycle failed; 3 when Redis does not
 *	answer; 2 on a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl_out.h"
#include "ctl_state.h"
#include "edgctl.h"
#include "timefmt.h"

static const char cmd_sync_usage_text[] =
    "usage: edgctl [-c FILE] sync --now [--wait SECONDS] [--json]\n"
    "  --now           ask edg-syncd for a full cycle (sync_requested in the status hash)\n"
    "  --wait SECONDS  wait until edg-syncd has served the request\n"
    "exit: 0 requested (served), 1 not served in time or the cycle failed, 3 Redis "
    "unavailable\n";

struct sync_cmd {
	int now, json;
	long wait_s;
	char requested[32];
	int served, failed;
	char last_error[1600];
};

/* Poll sync_served until it reaches the request; 0 served, 1 timeout, -1 Redis error. */
static int
sync_wait(struct state_writer *w, struct sync_cmd *sc)
{
	long long deadline = timefmt_monotonic_ms() + sc->wait_s * 1000;
	long long want = strtoll(sc->requested, NULL, 10);
	char served[32], err[256];

	for (;;) {
		if (state_writer_status_get(w, "sync_served", served, sizeof(served), err,
		                            sizeof(err)) != 0) {
			fprintf(stderr, "edgctl: redis: %s\n", err);
			return -1;
		}
		if (*served != '\0' && strtoll(served, NULL, 10) >= want)
			return 0;
		if (timefmt_monotonic_ms() >= deadline)
			return 1;
		struct timespec pause = {0, 200 * 1000000};
		nanosleep(&pause, NULL);
	}
}

/* The cycle edg-syncd ran for us failed when its last failure is after the request. */
static void
sync_outcome(struct state_writer *w, struct sync_cmd *sc)
{
	static const char *const fields[] = {"senders_last_failure", "reconcile_last_failure",
	                                     "full_sync_last_failure"};
	long long want = strtoll(sc->requested, NULL, 10), ms;
	char when[64], err[256];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (state_writer_status_get(w, fields[i], when, sizeof(when), err, sizeof(err)) ==
		        0 &&
		    timefmt_parse_rfc3339(when, strlen(when), &ms) == 0 && ms >= want)
			sc->failed = 1;
	if (sc->failed)
		state_writer_status_get(w, "last_error", sc->last_error, sizeof(sc->last_error),
		                        err, sizeof(err));
}

static void
sync_report(const struct sync_cmd *sc)
{
	char when[TIMEFMT_SIZE];

	timefmt_rfc3339(strtoll(sc->requested, NULL, 10), when, sizeof(when));
	if (sc->json) {
		ctl_out_json(json_pack("{s:s, s:s, s:o, s:o, s:o}", "requested", sc->requested,
		                       "requested_time", when, "served",
		                       sc->wait_s ? json_boolean(sc->served) : json_null(),
		                       "failed", json_boolean(sc->failed), "last_error",
		                       ctl_out_string(sc->failed ? sc->last_error : "")));
		return;
	}
	printf("sync requested at %s\n", when);
	if (sc->wait_s && !sc->served)
		printf("not served within %lds: is edg-syncd running and holding the lease? "
		       "(edgctl status)\n",
		       sc->wait_s);
	else if (sc->served)
		printf("served by edg-syncd: %s%s\n", sc->failed ? "FAILED: " : "ok",
		       sc->failed ? sc->last_error : "");
}

static int
sync_request(const struct edg_config *cfg, struct sync_cmd *sc)
{
	struct state_writer *w = ctl_state_writer(cfg);
	const char *fields[] = {"sync_requested", sc->requested};
	char err[256];
	int rc = EDGCTL_OK, waited;

	if (w == NULL)
		return EDGCTL_FAIL;
	snprintf(sc->requested, sizeof(sc->requested), "%lld", timefmt_now_ms());
	if (state_writer_status(w, fields, 2, err, sizeof(err)) != 0) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		state_writer_close(w);
		return EDGCTL_STATE;
	}
	if (sc->wait_s > 0) {
		if ((waited = sync_wait(w, sc)) < 0)
			rc = EDGCTL_STATE;
		sc->served = waited == 0;
		if (sc->served)
			sync_outcome(w, sc);
		if (rc == EDGCTL_OK && (!sc->served || sc->failed))
			rc = EDGCTL_FAIL;
	}
	state_writer_close(w);
	if (rc != EDGCTL_STATE)
		sync_report(sc);
	return rc;
}

int
cmd_sync(int argc, char **argv, const char *config_path)
{
	static const struct option longopts[] = {{"now", no_argument, NULL, 'n'},
	                                         {"wait", required_argument, NULL, 'w'},
	                                         {"json", no_argument, NULL, 'j'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	struct sync_cmd sc = {0};
	struct edg_config *cfg;
	char *end;
	int ch, rc, bad = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'n':
			sc.now = 1;
			break;
		case 'w':
			sc.wait_s = strtol(optarg, &end, 10);
			if (*end != '\0' || sc.wait_s <= 0 || sc.wait_s > 86400)
				bad = 1;
			break;
		case 'j':
			sc.json = 1;
			break;
		case 'h':
			fputs(cmd_sync_usage_text, stdout);
			return EDGCTL_OK;
		default:
			fputs(cmd_sync_usage_text, stderr);
			return EDGCTL_USAGE;
		}
	}
	if (optind != argc || !sc.now || bad) {
		fputs(cmd_sync_usage_text, stderr);
		return EDGCTL_USAGE;
	}
	if ((cfg = config_load(config_path, stderr)) == NULL)
		return EDGCTL_FAIL;
	rc = sync_request(cfg, &sc);
	config_free(cfg);
	return rc;
}
