/*
 * cmd_status.c - edgctl status: is the state in Redis fresh, and what does it hold
 *
 * SYNOPSIS
 *	edgctl [-c FILE] status [--json] [--quick]
 *
 * DESCRIPTION
 *	For the region edg-syncd publishes: the last attempt, success and failure of
 *	each cycle (full_sync, senders, suppressions, reconcile) with their ages, the
 *	lease holder, the last error (HTTP status, OCI code, opc-request-id); counts of
 *	the published generation (HLEN of senders, domains, suppressions; suppressions
 *	by reason with an HSCAN); whether Redis answers; and the readers' view: a
 *	reader state opened the way edg-policyd opens it (generation, sequence, age).
 *	--quick skips the HSCAN and the reader view (which load every suppression).
 *	Then the usage of each [guard] limit over its sliding window (status_guard.c;
 *	--quick skips the SCAN for the counters of limits per login, sender or client).
 *
 *	Read from {p}:status as edg-syncd writes it (docs/edg-syncd.md, "Status").
 *
 * DIAGNOSTICS
 *	Exit 0 when the state is fresh; 1 when the latest attempt of a cycle failed,
 *	nothing was published, or the newest successful sync (or the readers' view) is
 *	older than [policyd] max_stale; 3 when Redis does not answer; 2 on a usage
 *	error. The reasons are listed under "problems".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl_out.h"
#include "ctl_state.h"
#include "edgctl.h"
#include "status_guard.h"
#include "timefmt.h"
#include "xalloc.h"

#define STATUS_CYCLES   4
#define STATUS_REASONS  16
#define STATUS_PROBLEMS 8

static const char *const status_cycle_names[STATUS_CYCLES] = {"full_sync", "senders",
                                                              "suppressions", "reconcile"};

struct status_cycle {
	char last_attempt[TIMEFMT_SIZE], last_success[TIMEFMT_SIZE], last_failure[TIMEFMT_SIZE];
	char items[24];
};

struct status_reason {
	char name[STATE_REASON_MAX];
	long long count;
};

struct status_info {
	const struct edg_config *cfg;
	long long now_ms;
	int reachable;
	char redis_error[256];
	char region[64], leader[128], last_error[1600], sync_requested[32], sync_served[32];
	struct status_cycle cycles[STATUS_CYCLES];
	long long generation, sequence, senders, domains, suppressions;
	struct status_reason reasons[STATUS_REASONS];
	size_t nreasons;
	int scanned;
	int view_ready, view_checked;
	struct state_status view;
	const char *problems[STATUS_PROBLEMS];
	size_t nproblems;
	struct status_guard *guard; /* [guard] limits' usage (status_guard.c) */
};

static const char cmd_status_usage_text[] =
    "usage: edgctl [-c FILE] status [--json] [--quick]\n"
    "  --json   one JSON object for scripts\n"
    "  --quick  no suppression count by reason, no readers' view, no per-identity rate\n"
    "           limit counters (no full scan)\n"
    "exit: 0 fresh, 1 last sync failed or state older than max_stale, 3 Redis unreachable\n";

static void
status_problem(struct status_info *si, const char *text)
{
	if (si->nproblems < STATUS_PROBLEMS)
		si->problems[si->nproblems++] = text;
}

/* Milliseconds since an RFC 3339 time, or -1 when there is none. */
static long long
status_age(const struct status_info *si, const char *when)
{
	long long ms;

	if (*when == '\0' || timefmt_parse_rfc3339(when, strlen(when), &ms) != 0)
		return -1;
	return si->now_ms > ms ? si->now_ms - ms : 0;
}

static void
status_copy(char *dst, size_t size, const char *value)
{
	snprintf(dst, size, "%s", value);
}

/* One field of {p}:status. */
static int
status_field(const char *field, const char *value, void *arg)
{
	struct status_info *si = arg;

	if (strcmp(field, "region") == 0)
		status_copy(si->region, sizeof(si->region), value);
	else if (strcmp(field, "leader") == 0)
		status_copy(si->leader, sizeof(si->leader), value);
	else if (strcmp(field, "last_error") == 0)
		status_copy(si->last_error, sizeof(si->last_error), value);
	else if (strcmp(field, "sync_requested") == 0)
		status_copy(si->sync_requested, sizeof(si->sync_requested), value);
	else if (strcmp(field, "sync_served") == 0)
		status_copy(si->sync_served, sizeof(si->sync_served), value);
	for (size_t i = 0; i < STATUS_CYCLES; i++) {
		size_t n = strlen(status_cycle_names[i]);
		struct status_cycle *c = &si->cycles[i];
		const char *rest = field + n;

		if (strncmp(field, status_cycle_names[i], n) != 0 || *rest != '_')
			continue;
		if (strcmp(rest, "_last_attempt") == 0)
			status_copy(c->last_attempt, sizeof(c->last_attempt), value);
		else if (strcmp(rest, "_last_success") == 0)
			status_copy(c->last_success, sizeof(c->last_success), value);
		else if (strcmp(rest, "_last_failure") == 0)
			status_copy(c->last_failure, sizeof(c->last_failure), value);
		else if (strcmp(rest, "_items") == 0)
			status_copy(c->items, sizeof(c->items), value);
	}
	return 0;
}

/* The published generation's sizes. -1 on a Redis error. */
static int
status_counts(struct status_info *si, redisContext *c)
{
	static const char *const hashes[] = {"senders", "domains", "sup"};
	long long *out[] = {&si->senders, &si->domains, &si->suppressions};
	char key[256], suffix[64];

	ctl_state_key(si->cfg, "gen", key, sizeof(key));
	if ((si->generation =
	         ctl_state_integer(c, "GET", key, si->redis_error, sizeof(si->redis_error))) < 0)
		return -1;
	ctl_state_key(si->cfg, "seq", key, sizeof(key));
	if ((si->sequence =
	         ctl_state_integer(c, "GET", key, si->redis_error, sizeof(si->redis_error))) < 0)
		return -1;
	for (size_t i = 0; i < 3 && si->generation > 0; i++) {
		snprintf(suffix, sizeof(suffix), "%lld:%s", si->generation, hashes[i]);
		ctl_state_key(si->cfg, suffix, key, sizeof(key));
		if ((*out[i] = ctl_state_integer(c, "HLEN", key, si->redis_error,
		                                 sizeof(si->redis_error))) < 0)
			return -1;
	}
	return 0;
}

/* HSCAN callback: count by the record's first word, the reason. */
static int
status_reason_count(const char *key, const char *value, void *arg)
{
	struct status_info *si = arg;
	size_t len = strcspn(value, " ");
	char name[STATE_REASON_MAX];

	(void)key;
	snprintf(name, sizeof(name), "%.*s", (int)len, value);
	for (size_t i = 0; i < si->nreasons; i++)
		if (strcmp(si->reasons[i].name, name) == 0) {
			si->reasons[i].count++;
			return 0;
		}
	if (si->nreasons == STATUS_REASONS) /* more kinds than OCI has: the last slot */
		return si->reasons[STATUS_REASONS - 1].count++, 0;
	status_copy(si->reasons[si->nreasons].name, STATE_REASON_MAX, name);
	si->reasons[si->nreasons++].count = 1;
	return 0;
}

static void
status_scan_reasons(struct status_info *si)
{
	struct state_writer *w = ctl_state_writer(si->cfg);
	char err[256];

	if (w == NULL)
		return;
	if (state_writer_scan(w, STATE_KIND_SUPPRESSION, status_reason_count, si, err,
	                      sizeof(err)) == 0)
		si->scanned = 1;
	else
		fprintf(stderr, "edgctl: status: counting by reason: %s\n", err);
	state_writer_close(w);
}

static void
status_read_view(struct status_info *si)
{
	struct state *st = ctl_state_reader(si->cfg, 10000, &si->view_ready);

	if (st == NULL)
		return;
	si->view_checked = 1;
	state_status(st, &si->view);
	state_close(st);
}

/* Everything from Redis; -1 when Redis does not answer. */
static int
status_collect(struct status_info *si, int quick)
{
	char key[256];
	redisContext *c = ctl_state_connect(si->cfg, si->redis_error, sizeof(si->redis_error));
	int rc = -1;

	if (c == NULL)
		return -1;
	ctl_state_key(si->cfg, "status", key, sizeof(key));
	if (ctl_state_hgetall(c, key, status_field, si, si->redis_error, sizeof(si->redis_error)) ==
	        0 &&
	    status_counts(si, c) == 0)
		rc = 0;
	if (rc == 0)
		si->guard = status_guard_collect(si->cfg, c, quick);
	redisFree(c);
	if (rc != 0)
		return -1;
	si->reachable = 1;
	if (!quick && si->generation > 0)
		status_scan_reasons(si);
	if (!quick)
		status_read_view(si);
	return 0;
}

/* The verdict: a failed latest attempt, nothing published, state too old. */
static void
status_judge(struct status_info *si)
{
	long long max_stale = si->cfg->policyd.daemon.max_stale_ms, freshest = -1;

	if (si->generation == 0)
		status_problem(si, "nothing published yet (edg-syncd has not completed a sync)");
	for (size_t i = 0; i < STATUS_CYCLES; i++) {
		const struct status_cycle *c = &si->cycles[i];
		long long ok = status_age(si, c->last_success),
		          bad = status_age(si, c->last_failure);

		if (bad >= 0 && (ok < 0 || bad < ok))
			status_problem(
			    si, "the latest attempt of a sync cycle failed (see last_error)");
		if (ok >= 0 && (freshest < 0 || ok < freshest))
			freshest = ok;
	}
	if (si->generation > 0 && (freshest < 0 || freshest > max_stale))
		status_problem(si, "no successful sync within max_stale");
	if (si->view_checked && !si->view_ready)
		status_problem(si, "a reader could not load the state");
	else if (si->view_checked && si->view.age_ms > max_stale)
		status_problem(si, "the readers' view is older than max_stale");
}

/* "opc-request-id X" inside an error line: X, or "". */
static void
status_request_id(const char *text, char *buf, size_t size)
{
	const char *p = strstr(text, "opc-request-id ");

	*buf = '\0';
	if (p != NULL)
		snprintf(buf, size, "%.*s", (int)strcspn(p + 15, " ,;)"), p + 15);
}

static json_t *
status_json_time(const struct status_info *si, const char *when)
{
	long long age = status_age(si, when);

	if (age < 0)
		return json_null();
	return json_pack("{s:s, s:I}", "time", when, "age_seconds", (json_int_t)(age / 1000));
}

static json_t *
status_json_cycles(const struct status_info *si)
{
	json_t *cycles = json_object();

	for (size_t i = 0; i < STATUS_CYCLES; i++) {
		const struct status_cycle *c = &si->cycles[i];

		json_object_set_new(
		    cycles, status_cycle_names[i],
		    json_pack("{s:o, s:o, s:o, s:o}", "last_attempt",
		              status_json_time(si, c->last_attempt), "last_success",
		              status_json_time(si, c->last_success), "last_failure",
		              status_json_time(si, c->last_failure), "items",
		              *c->items ? json_integer(strtoll(c->items, NULL, 10)) : json_null()));
	}
	return cycles;
}

static json_t *
status_json_view(const struct status_info *si)
{
	const struct state_status *v = &si->view;

	if (!si->view_checked)
		return json_null();
	return json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "loaded", si->view_ready,
	                 "connected", v->connected, "generation", (json_int_t)v->generation,
	                 "sequence", (json_int_t)v->sequence, "age_ms", (json_int_t)v->age_ms,
	                 "senders", (json_int_t)v->senders, "suppressions",
	                 (json_int_t)v->suppressions, "last_error", ctl_out_string(v->last_error));
}

static void
status_print_json(const struct status_info *si)
{
	json_t *root = json_object(), *problems = json_array();
	json_t *reasons = si->scanned ? json_object() : json_null();
	char request_id[128];

	for (size_t i = 0; i < si->nproblems; i++)
		json_array_append_new(problems, json_string(si->problems[i]));
	for (size_t i = 0; i < si->nreasons && si->scanned; i++)
		json_object_set_new(reasons, si->reasons[i].name,
		                    json_integer(si->reasons[i].count));
	status_request_id(si->last_error, request_id, sizeof(request_id));
	json_object_set_new(root, "ok", json_boolean(si->reachable && si->nproblems == 0));
	json_object_set_new(root, "region",
	                    ctl_out_string(*si->region ? si->region : si->cfg->oci.region));
	json_object_set_new(root, "redis",
	                    json_pack("{s:b, s:o}", "reachable", si->reachable, "error",
	                              ctl_out_string(si->reachable ? "" : si->redis_error)));
	json_object_set_new(root, "problems", problems);
	if (!si->reachable) {
		json_decref(reasons);
		ctl_out_json(root);
		return;
	}
	json_object_set_new(root, "leader", ctl_out_string(si->leader));
	json_object_set_new(root, "cycles", status_json_cycles(si));
	json_object_set_new(root, "last_error",
	                    *si->last_error
	                        ? json_pack("{s:s, s:o}", "text", si->last_error, "opc_request_id",
	                                    ctl_out_string(request_id))
	                        : json_null());
	json_object_set_new(
	    root, "published",
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "generation", (json_int_t)si->generation,
	              "sequence", (json_int_t)si->sequence, "senders", (json_int_t)si->senders,
	              "domains", (json_int_t)si->domains, "suppressions",
	              (json_int_t)si->suppressions, "suppressions_by_reason", reasons));
	json_object_set_new(root, "reader", status_json_view(si));
	json_object_set_new(root, "sync_requested", ctl_out_string(si->sync_requested));
	json_object_set_new(root, "rate_limits", status_guard_json(si->guard));
	ctl_out_json(root);
}

static void
status_print_when(const struct status_info *si, const char *label, const char *when)
{
	char age[32];

	if (*when == '\0')
		return;
	ctl_out_age(status_age(si, when), age, sizeof(age));
	printf("    %-13s %s (%s ago)\n", label, when, age);
}

static void
status_print_cycles(const struct status_info *si)
{
	printf("sync cycles:\n");
	for (size_t i = 0; i < STATUS_CYCLES; i++) {
		const struct status_cycle *c = &si->cycles[i];

		if (!*c->last_attempt && !*c->last_success && !*c->last_failure)
			continue;
		printf("  %s%s%s%s\n", status_cycle_names[i], *c->items ? " (" : "", c->items,
		       *c->items ? " items)" : "");
		status_print_when(si, "last success", c->last_success);
		status_print_when(si, "last failure", c->last_failure);
		status_print_when(si, "last attempt", c->last_attempt);
	}
}

static void
status_print_state(const struct status_info *si)
{
	const struct state_status *v = &si->view;
	char age[32];

	printf("published: generation %lld, sequence %lld\n", si->generation, si->sequence);
	printf("  approved senders  %lld\n  domains           %lld\n  suppressions      %lld\n",
	       si->senders, si->domains, si->suppressions);
	for (size_t i = 0; i < si->nreasons; i++)
		printf("    %-15s %lld\n", si->reasons[i].name, si->reasons[i].count);
	if (!si->view_checked)
		return;
	if (!si->view_ready) {
		printf("readers' view: not loaded%s%s\n", *v->last_error ? ": " : "",
		       v->last_error);
		return;
	}
	ctl_out_age(v->age_ms, age, sizeof(age));
	printf("readers' view: generation %llu, sequence %llu, %zu senders, %zu suppressions, "
	       "age %s\n",
	       v->generation, v->sequence, v->senders, v->suppressions, age);
}

static void
status_print(const struct status_info *si)
{
	char age[32];

	printf("region: %s\n", *si->region ? si->region : si->cfg->oci.region);
	if (!si->reachable) {
		printf("redis: UNREACHABLE: %s\n", si->redis_error);
		return;
	}
	printf("redis: reachable\n");
	if (*si->leader)
		printf("leader: %s\n", si->leader);
	status_print_cycles(si);
	if (*si->last_error)
		printf("last error: %s\n", si->last_error);
	status_print_state(si);
	if (*si->sync_requested) {
		ctl_out_age(si->now_ms - strtoll(si->sync_requested, NULL, 10), age, sizeof(age));
		printf("sync requested %s ago%s\n", age,
		       strcmp(si->sync_requested, si->sync_served) == 0 ? ", served" : "");
	}
	status_guard_print(si->guard);
	for (size_t i = 0; i < si->nproblems; i++)
		printf("PROBLEM: %s\n", si->problems[i]);
	if (si->nproblems == 0)
		printf("ok\n");
}

int
cmd_status(int argc, char **argv, const char *config_path)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
	                                         {"quick", no_argument, NULL, 'q'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	struct status_info *si;
	struct edg_config *cfg;
	int json = 0, quick = 0, ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'q':
			quick = 1;
			break;
		case 'h':
			fputs(cmd_status_usage_text, stdout);
			return EDGCTL_OK;
		default:
			fputs(cmd_status_usage_text, stderr);
			return EDGCTL_USAGE;
		}
	}
	if (optind != argc) {
		fputs(cmd_status_usage_text, stderr);
		return EDGCTL_USAGE;
	}
	if ((cfg = config_load(config_path, stderr)) == NULL)
		return EDGCTL_FAIL;
	si = xcalloc(1, sizeof(*si));
	si->cfg = cfg;
	si->now_ms = timefmt_now_ms();
	if (status_collect(si, quick) == 0)
		status_judge(si);
	if (json)
		status_print_json(si);
	else
		status_print(si);
	rc = !si->reachable ? EDGCTL_STATE : si->nproblems > 0 ? EDGCTL_FAIL : EDGCTL_OK;
	status_guard_free(si->guard);
	free(si);
	config_free(cfg);
	return rc;
}
