/*
 * cmd_suppress.c - edgctl suppress: the suppression list, through OCI and at once in Redis
 *
 * SYNOPSIS
 *	edgctl [-c FILE] suppress add ADDR [--reason TEXT] [--json]
 *	edgctl [-c FILE] suppress remove ADDR [--json]
 *	edgctl [-c FILE] suppress show ADDR [--oci] [--json]
 *	edgctl [-c FILE] suppress list [--reason R] [--since DATE] [--json]
 *
 * DESCRIPTION
 *	add calls OCI CreateSuppression (oci_api.h; OCI records reason MANUAL), then
 *	writes the record OCI returned into the published generation with the writer
 *	(state_writer_set() + state_writer_commit(): a change-log entry and a commit
 *	marker, so every reader has it within a second), then one audit line. The
 *	record is exactly what edg-syncd would write, so its next pull compares equal
 *	and writes nothing. --reason is the operator's note: it goes to the audit line
 *	("MANUAL: TEXT"); OCI has no field for it.
 *
 *	remove reads the OCI id from Redis, calls DeleteSuppression (an id OCI no
 *	longer knows counts as deleted), then removes the address from Redis and
 *	writes the audit line.
 *
 *	show prints the record in Redis (reason, time created, OCI id); --oci adds
 *	GetSuppression's detail (errorDetail, errorSource, messageId,
 *	timeLastSuppressed). list walks the hash with HSCAN (unordered, constant
 *	memory), filtered by reason and by time created (--since YYYY-MM-DD or RFC 3339).
 *
 *	Addresses are taken in any spelling and reduced to the canonical form.
 *	Audit lines go where edg-syncd writes them ([syncd] audit_log); edgctl refuses
 *	to change anything when it cannot open that log.
 *
 * DIAGNOSTICS
 *	Exit 0 done; 1 not suppressed (show, remove), OCI refused, or a bad
 *	configuration; 2 usage; 3 Redis unavailable (for add and remove after OCI
 *	succeeded, edgctl says so: edg-syncd brings the change at its next pull).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "audit.h"
#include "config.h"
#include "ctl_out.h"
#include "ctl_state.h"
#include "edgctl.h"
#include "oci_api.h"
#include "state_view.h"
#include "timefmt.h"

struct suppress_cmd {
	const char *action;
	const char *address; /* as given */
	const char *note;    /* add --reason */
	const char *reason;  /* list --reason */
	long long since_ms;  /* list --since; -1 none */
	int oci;             /* show --oci */
	int json;
	char canonical[ADDR_MAX];
	struct edg_config *cfg;
	struct state_writer *writer;
};

static const char cmd_suppress_usage_text[] =
    "usage: edgctl [-c FILE] suppress add ADDR [--reason TEXT] [--json]\n"
    "       edgctl [-c FILE] suppress remove ADDR [--json]\n"
    "       edgctl [-c FILE] suppress show ADDR [--oci] [--json]\n"
    "       edgctl [-c FILE] suppress list [--reason R] [--since DATE] [--json]\n"
    "  add     OCI CreateSuppression, then Redis and the audit log at once\n"
    "  remove  OCI DeleteSuppression (id from Redis), then Redis and the audit log\n"
    "  show    the record in Redis; --oci: with OCI's detail (GetSuppression)\n"
    "  list    every suppression (HSCAN, unordered); --reason HARDBOUNCE, --since 2026-01-31\n"
    "exit: 0 done, 1 not found or refused, 2 usage, 3 Redis unavailable\n";

static int
suppress_usage(FILE *out, int status)
{
	fputs(cmd_suppress_usage_text, out);
	return status;
}

/* The Redis record of the address: 1 found (rec filled), 0 not, -1 Redis error. */
static int
suppress_lookup(struct suppress_cmd *sc, struct suppression *rec)
{
	const char *keys[] = {sc->canonical};
	char *value = NULL, err[256];
	int found;

	if (state_writer_hmget(sc->writer, STATE_KIND_SUPPRESSION, keys, 1, &value, err,
	                       sizeof(err)) != 0) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		return -1;
	}
	memset(rec, 0, sizeof(*rec));
	found = value != NULL && state_record_parse(value, strlen(value), rec) == 0;
	if (value != NULL && !found)
		fprintf(stderr, "edgctl: redis: malformed record for %s: %s\n", sc->canonical,
		        value);
	free(value);
	return found;
}

/* Something is published (the writer has a generation to change): 0, or an exit code. */
static int
suppress_published(struct suppress_cmd *sc)
{
	char err[256];
	long long gen = state_writer_generation(sc->writer, err, sizeof(err));

	if (gen < 0) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		return EDGCTL_STATE;
	}
	if (gen == 0) {
		fprintf(stderr, "edgctl: nothing published in Redis yet: start edg-syncd first\n");
		return EDGCTL_STATE;
	}
	return 0;
}

static json_t *
suppress_json_record(const char *address, const struct suppression *rec)
{
	char when[TIMEFMT_SIZE];

	timefmt_rfc3339(rec->created_ms, when, sizeof(when));
	return json_pack("{s:s, s:s, s:s, s:o}", "address", address, "reason", rec->reason_text,
	                 "time_created", when, "id", ctl_out_string(rec->id));
}

static void
suppress_print_record(const char *address, const struct suppression *rec)
{
	char when[TIMEFMT_SIZE];

	timefmt_rfc3339(rec->created_ms, when, sizeof(when));
	printf("%s %s %s %s\n", address, rec->reason_text, when, *rec->id ? rec->id : "-");
}

static void
suppress_oci_failed(const char *operation, const struct oci_api_error *error)
{
	fprintf(stderr, "edgctl: OCI %s: %s\n", operation, error->text);
}

/* Queue one change (set rec, or delete: op "removed"), commit it, and publish its
 * audit line naming rec's reason (or audit_reason) and id; an exit code. */
static int
suppress_commit(struct suppress_cmd *sc, struct audit *audit, const char *op,
                const struct suppression *rec, const char *audit_reason)
{
	char value[STATE_RECORD_MAX], err[256];

	if (strcmp(op, "removed") != 0) {
		state_record_format(rec, value, sizeof(value));
		state_writer_set(sc->writer, STATE_KIND_SUPPRESSION, sc->canonical, value);
	} else {
		state_writer_del(sc->writer, STATE_KIND_SUPPRESSION, sc->canonical);
	}
	audit_spool(audit, "suppression", op, sc->canonical,
	            audit_reason != NULL ? audit_reason : rec->reason_text,
	            *rec->id ? rec->id : NULL);
	if (state_writer_commit(sc->writer, err, sizeof(err)) != 0) {
		audit_discard(audit);
		fprintf(stderr,
		        "edgctl: done in OCI, but Redis was not updated (%s): edg-syncd brings the "
		        "change at its next pull\n",
		        err);
		return EDGCTL_STATE;
	}
	if (audit_publish(audit) != 0)
		fprintf(stderr, "edgctl: the audit line could not be written\n");
	return EDGCTL_OK;
}

static void
suppress_from_oci(const struct oci_suppression *created, struct suppression *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->reason_text, sizeof(rec->reason_text), "%s", created->reason);
	rec->reason = suppression_reason_parse(created->reason, strlen(created->reason));
	snprintf(rec->id, sizeof(rec->id), "%s", created->id);
	rec->created_ms = created->time_created_ms;
}

static void
suppress_report(const struct suppress_cmd *sc, const char *what, const struct suppression *rec)
{
	if (sc->json) {
		json_t *out = rec != NULL ? suppress_json_record(sc->canonical, rec)
		                          : json_pack("{s:s}", "address", sc->canonical);

		json_object_set_new(out, "result", json_string(what));
		ctl_out_json(out);
		return;
	}
	printf("%s: ", what);
	if (rec != NULL)
		suppress_print_record(sc->canonical, rec);
	else
		printf("%s\n", sc->canonical);
}

/* OCI first; Redis and the audit log once OCI has it. */
static int
suppress_add(struct suppress_cmd *sc, struct oci_api *api, struct audit *audit)
{
	struct oci_suppression created;
	struct oci_api_error error = {0};
	struct suppression rec, old;
	char reason[STATE_REASON_MAX + 512];
	int had = suppress_lookup(sc, &old), rc;

	if (had < 0)
		return EDGCTL_STATE;
	if (oci_api_create_suppression(api, sc->canonical, &created, &error) != OCI_API_OK) {
		suppress_oci_failed("CreateSuppression", &error);
		return EDGCTL_FAIL;
	}
	suppress_from_oci(&created, &rec);
	oci_suppression_free(&created);
	if (had && strcmp(old.id, rec.id) == 0 && old.created_ms == rec.created_ms &&
	    strcmp(old.reason_text, rec.reason_text) == 0) {
		suppress_report(sc, "already suppressed", &rec);
		return EDGCTL_OK;
	}
	snprintf(reason, sizeof(reason), "%s%s%.500s", rec.reason_text, sc->note ? ": " : "",
	         sc->note ? sc->note : "");
	rc = suppress_commit(sc, audit, had ? "changed" : "added", &rec, reason);
	if (rc == EDGCTL_OK)
		suppress_report(sc, "suppressed", &rec);
	return rc;
}

static int
suppress_remove(struct suppress_cmd *sc, struct oci_api *api, struct audit *audit)
{
	struct oci_api_error error = {0};
	struct suppression rec;
	int found = suppress_lookup(sc, &rec), rc;

	if (found <= 0) {
		if (found == 0)
			fprintf(stderr, "edgctl: %s is not suppressed (not in Redis)\n",
			        sc->canonical);
		return found < 0 ? EDGCTL_STATE : EDGCTL_FAIL;
	}
	if (*rec.id == '\0') {
		fprintf(stderr, "edgctl: %s has no OCI id in Redis: remove it in OCI itself\n",
		        sc->canonical);
		return EDGCTL_FAIL;
	}
	switch (oci_api_delete_suppression(api, rec.id, &error)) {
	case OCI_API_OK:
		break;
	case OCI_API_NOTFOUND:
		fprintf(stderr, "edgctl: OCI no longer has %s (%s): removing it from Redis\n",
		        sc->canonical, rec.id);
		break;
	default:
		suppress_oci_failed("DeleteSuppression", &error);
		return EDGCTL_FAIL;
	}
	rc = suppress_commit(sc, audit, "removed", &rec, NULL);
	if (rc == EDGCTL_OK)
		suppress_report(sc, "removed", &rec);
	return rc;
}

/* OCI, the audit log and the generation to change, then add or remove. */
static int
suppress_change(struct suppress_cmd *sc)
{
	struct oci_api *api;
	struct audit *audit;
	char err[512];
	int rc;

	if ((rc = suppress_published(sc)) != 0)
		return rc;
	if ((audit = audit_open(sc->cfg->syncd.audit_log, err, sizeof(err))) == NULL) {
		fprintf(stderr, "edgctl: %s: nothing changed\n", err);
		return EDGCTL_FAIL;
	}
	if ((api = oci_api_from_config(sc->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "edgctl: oci: %s\n", err);
		audit_close(audit);
		return EDGCTL_FAIL;
	}
	if (strcmp(sc->action, "add") == 0)
		rc = suppress_add(sc, api, audit);
	else
		rc = suppress_remove(sc, api, audit);
	oci_api_free(api);
	audit_close(audit);
	return rc;
}

static json_t *
suppress_json_oci(const struct oci_suppression *s)
{
	char last[TIMEFMT_SIZE] = "";

	if (s->time_last_suppressed_ms != OCI_JSON_TIME_UNSET)
		timefmt_rfc3339(s->time_last_suppressed_ms, last, sizeof(last));
	return json_pack("{s:o, s:o, s:o, s:o}", "error_detail", ctl_out_string(s->error_detail),
	                 "error_source", ctl_out_string(s->error_source), "message_id",
	                 ctl_out_string(s->message_id), "time_last_suppressed",
	                 ctl_out_string(last));
}

/* GetSuppression's detail; NULL (after a message) when OCI did not give it. */
static json_t *
suppress_oci_detail(struct suppress_cmd *sc, const struct suppression *rec)
{
	struct oci_api_error error = {0};
	struct oci_suppression detail;
	struct oci_api *api;
	char err[512];
	json_t *out = NULL;

	if (*rec->id == '\0') {
		fprintf(stderr, "edgctl: no OCI id in Redis: cannot ask OCI\n");
		return NULL;
	}
	if ((api = oci_api_from_config(sc->cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "edgctl: oci: %s\n", err);
		return NULL;
	}
	if (oci_api_get_suppression(api, rec->id, &detail, &error) == OCI_API_OK) {
		out = suppress_json_oci(&detail);
		oci_suppression_free(&detail);
	} else {
		suppress_oci_failed("GetSuppression", &error);
	}
	oci_api_free(api);
	return out;
}

static void
suppress_print_oci(json_t *detail)
{
	static const char *const fields[] = {"error_detail", "error_source", "message_id",
	                                     "time_last_suppressed"};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = json_string_value(json_object_get(detail, fields[i]));

		printf("  %-21s %s\n", fields[i], value != NULL ? value : "-");
	}
}

static int
suppress_show(struct suppress_cmd *sc)
{
	struct suppression rec;
	int found = suppress_lookup(sc, &rec);
	json_t *detail = NULL;

	if (found <= 0) {
		if (found == 0 && sc->json)
			ctl_out_json(
			    json_pack("{s:s, s:b}", "address", sc->canonical, "suppressed", 0));
		else if (found == 0)
			printf("%s: not suppressed\n", sc->canonical);
		return found < 0 ? EDGCTL_STATE : EDGCTL_FAIL;
	}
	if (sc->oci)
		detail = suppress_oci_detail(sc, &rec);
	if (sc->json) {
		json_t *out = suppress_json_record(sc->canonical, &rec);

		json_object_set_new(out, "suppressed", json_true());
		if (sc->oci)
			json_object_set_new(out, "oci", detail != NULL ? detail : json_null());
		ctl_out_json(out);
	} else {
		suppress_print_record(sc->canonical, &rec);
		if (detail != NULL)
			suppress_print_oci(detail);
		json_decref(detail);
	}
	return sc->oci && detail == NULL ? EDGCTL_FAIL : EDGCTL_OK;
}

struct suppress_listing {
	const struct suppress_cmd *sc;
	size_t shown;
};

static int
suppress_list_one(const char *key, const char *value, void *arg)
{
	struct suppress_listing *l = arg;
	struct suppression rec;

	if (state_record_parse(value, strlen(value), &rec) != 0)
		return 0;
	if (l->sc->reason != NULL && strcasecmp(rec.reason_text, l->sc->reason) != 0)
		return 0;
	if (l->sc->since_ms >= 0 && rec.created_ms < l->sc->since_ms)
		return 0;
	if (l->sc->json) {
		json_t *one = suppress_json_record(key, &rec);
		char *line = json_dumps(one, JSON_COMPACT);

		printf("%s\n  %s", l->shown ? "," : "", line != NULL ? line : "null");
		free(line);
		json_decref(one);
	} else {
		suppress_print_record(key, &rec);
	}
	l->shown++;
	return 0;
}

static int
suppress_list(struct suppress_cmd *sc)
{
	struct suppress_listing l = {.sc = sc};
	char err[256];
	int rc;

	if (sc->json)
		printf("[");
	rc = state_writer_scan(sc->writer, STATE_KIND_SUPPRESSION, suppress_list_one, &l, err,
	                       sizeof(err));
	if (sc->json)
		printf("%s]\n", l.shown ? "\n" : "");
	if (rc != 0) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		return EDGCTL_STATE;
	}
	if (!sc->json)
		fprintf(stderr, "%zu suppression%s\n", l.shown, l.shown == 1 ? "" : "s");
	return EDGCTL_OK;
}

/* Options after the action; the address for add, remove and show. */
static int
suppress_options(int argc, char **argv, struct suppress_cmd *sc, const char **config_path)
{
	static const struct option longopts[] = {
	    {"reason", required_argument, NULL, 'r'}, {"since", required_argument, NULL, 's'},
	    {"oci", no_argument, NULL, 'o'},          {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	int listing = strcmp(sc->action, "list") == 0, ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*config_path = optarg;
			break;
		case 'r':
			*(listing ? &sc->reason : &sc->note) = optarg;
			break;
		case 's':
			if (!listing || (sc->since_ms = ctl_out_time_parse(optarg)) < 0)
				return suppress_usage(stderr, EDGCTL_USAGE);
			break;
		case 'o':
			sc->oci = 1;
			break;
		case 'j':
			sc->json = 1;
			break;
		case 'h':
			suppress_usage(stdout, EDGCTL_OK);
			return -1;
		default:
			return suppress_usage(stderr, EDGCTL_USAGE);
		}
	}
	if (optind != argc - !listing || (sc->oci && strcmp(sc->action, "show") != 0) ||
	    (sc->note != NULL && strcmp(sc->action, "add") != 0))
		return suppress_usage(stderr, EDGCTL_USAGE);
	sc->address = listing ? NULL : argv[optind];
	return EDGCTL_OK;
}

static int
suppress_canonical(struct suppress_cmd *sc)
{
	const char *why = "not an address";

	if (sc->address == NULL)
		return 0;
	if (addr_canon(sc->address, strlen(sc->address), sc->canonical, sizeof(sc->canonical),
	               &why) == ADDR_OK)
		return 0;
	fprintf(stderr, "edgctl: suppress: %s: %s\n", sc->address, why);
	return -1;
}

static int
suppress_run(struct suppress_cmd *sc, const char *config_path)
{
	int rc;

	if ((sc->cfg = config_load(config_path, stderr)) == NULL)
		return EDGCTL_FAIL;
	if ((sc->writer = ctl_state_writer(sc->cfg)) == NULL) {
		config_free(sc->cfg);
		return EDGCTL_FAIL;
	}
	if (strcmp(sc->action, "list") == 0)
		rc = suppress_list(sc);
	else if (strcmp(sc->action, "show") == 0)
		rc = suppress_show(sc);
	else
		rc = suppress_change(sc);
	state_writer_close(sc->writer);
	config_free(sc->cfg);
	return rc;
}

int
cmd_suppress(int argc, char **argv, const char *config_path)
{
	static const char *const actions[] = {"add", "remove", "show", "list"};
	struct suppress_cmd sc = {.since_ms = -1};
	int rc;

	if (argc < 2)
		return suppress_usage(stderr, EDGCTL_USAGE);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		return suppress_usage(stdout, EDGCTL_OK);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(argv[1], actions[i]) == 0)
			sc.action = actions[i];
	if (sc.action == NULL)
		return suppress_usage(stderr, EDGCTL_USAGE);
	if ((rc = suppress_options(argc - 1, argv + 1, &sc, &config_path)) != EDGCTL_OK)
		return rc < 0 ? EDGCTL_OK : rc;
	if (suppress_canonical(&sc) != 0)
		return EDGCTL_USAGE;
	return suppress_run(&sc, config_path);
}
