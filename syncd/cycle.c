/*
 * cycle.c - edg-syncd's cycles: senders and domains, suppressions (incremental and
 *	reconcile), and the full sync that writes a whole generation
 *
 * DESCRIPTION
 *	Senders: every ACTIVE approved sender of each configured compartment (default:
 *	the tenancy), a full listing each cycle, applied as a diff: a sender that left
 *	ACTIVE (DELETING, INACTIVE...) is not listed and so removed. Domains: the same,
 *	with their lifecycle state and active DKIM.
 *
 *	Suppressions: an incremental pull lists what was created since the high-water
 *	mark minus [syncd] suppression_overlap (so entries created at the boundary, or
 *	visible late, are not missed; seen ones compare equal and write nothing), and
 *	adds or changes. A reconcile lists everything and also removes what OCI no
 *	longer has. The high-water mark lives in {p}:status, so a new leader continues
 *	where the old one stopped.
 *
 *	A diff too large to stream (apply.h) and the very first sync write a whole new
 *	generation instead: readers switch to it at once.
 *
 *	Values follow docs/redis-schema.md. Any failure leaves Redis as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state_view.h"
#include "syncd.h"
#include "syncd_apply.h"
#include "timefmt.h"
#include "xalloc.h"

#define CYCLE_VALUE_MAX 600

/* One page as parallel key/value arrays for apply_page(). */
struct cycle_page {
	const char **keys;
	const char **values;
	char *buf; /* count values of CYCLE_VALUE_MAX bytes */
	size_t count;
};

static void
cycle_page_init(struct cycle_page *p, size_t count)
{
	p->keys = xcalloc(count ? count : 1, sizeof(*p->keys));
	p->values = xcalloc(count ? count : 1, sizeof(*p->values));
	p->buf = xmalloc((count ? count : 1) * CYCLE_VALUE_MAX);
	p->count = 0;
}

static char *
cycle_page_add(struct cycle_page *p, const char *key)
{
	char *value = p->buf + p->count * CYCLE_VALUE_MAX;

	p->keys[p->count] = key;
	p->values[p->count] = value;
	p->count++;
	return value;
}

static void
cycle_page_free(struct cycle_page *p)
{
	free(p->keys);
	free(p->values);
	free(p->buf);
}

static int
cycle_senders_page(const struct oci_sender *items, size_t count, void *context)
{
	struct apply *a = context;
	struct cycle_page page;
	char when[TIMEFMT_SIZE];
	int rc;

	cycle_page_init(&page, count);
	for (size_t i = 0; i < count; i++) {
		if (strcmp(items[i].lifecycle_state, "ACTIVE") != 0)
			continue;
		timefmt_rfc3339(items[i].time_created_ms, when, sizeof(when));
		snprintf(cycle_page_add(&page, items[i].email_address), CYCLE_VALUE_MAX, "%s %s %s",
		         items[i].id, items[i].compartment_id, when);
	}
	rc = apply_page(a, page.keys, page.values, page.count);
	cycle_page_free(&page);
	return rc != 0;
}

static int
cycle_domains_page(const struct oci_email_domain *items, size_t count, void *context)
{
	struct apply *a = context;
	struct cycle_page page;
	int rc;

	cycle_page_init(&page, count);
	for (size_t i = 0; i < count; i++)
		snprintf(cycle_page_add(&page, items[i].name), CYCLE_VALUE_MAX, "%s %s %s",
		         items[i].id, items[i].lifecycle_state,
		         items[i].active_dkim_id ? items[i].active_dkim_id : "-");
	rc = apply_page(a, page.keys, page.values, page.count);
	cycle_page_free(&page);
	return rc != 0;
}

struct cycle_suppressions {
	struct apply apply;
	long long high_water_ms;
};

static int
cycle_suppressions_page(const struct oci_suppression *items, size_t count, void *context)
{
	struct cycle_suppressions *cs = context;
	struct cycle_page page;
	struct suppression rec;
	int rc;

	cycle_page_init(&page, count);
	for (size_t i = 0; i < count; i++) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.reason_text, sizeof(rec.reason_text), "%s", items[i].reason);
		snprintf(rec.id, sizeof(rec.id), "%s", items[i].id);
		rec.created_ms = items[i].time_created_ms;
		if (state_record_format(&rec, cycle_page_add(&page, items[i].email_address),
		                        CYCLE_VALUE_MAX) != 0)
			page.count--; /* cannot happen with OCI's bounded fields; never half a
			                 record */
		if (items[i].time_created_ms > cs->high_water_ms)
			cs->high_water_ms = items[i].time_created_ms;
	}
	rc = apply_page(&cs->apply, page.keys, page.values, page.count);
	cycle_page_free(&page);
	return rc != 0;
}

/* Remember why a listing failed: the API's error line, or apply's reason. */
static int
cycle_failed(struct syncd *sd, const char *what, const struct oci_api_error *error,
             const struct apply *a)
{
	if (a->err[0] != '\0')
		snprintf(sd->last_error, sizeof(sd->last_error), "%s: %s", what, a->err);
	else
		snprintf(sd->last_error, sizeof(sd->last_error), "%s", error->text);
	log_warnx("%s", sd->last_error);
	return -1;
}

static int
cycle_list_senders(struct syncd *sd, struct apply *a)
{
	const struct config_list *compartments = &sd->cfg->oci.compartments;
	const char *tenancy = oci_api_tenancy(sd->api);
	struct oci_api_error error = {0};

	for (size_t i = 0; i < (compartments->count ? compartments->count : 1); i++) {
		const char *c = compartments->count ? compartments->items[i] : tenancy;

		if (oci_api_list_senders(sd->api, c, "ACTIVE", cycle_senders_page, a, NULL,
		                         &error) != OCI_API_OK)
			return a->overflow ? -1 : cycle_failed(sd, "ListSenders", &error, a);
	}
	return 0;
}

static int
cycle_list_domains(struct syncd *sd, struct apply *a)
{
	const struct config_list *compartments = &sd->cfg->oci.compartments;
	const char *tenancy = oci_api_tenancy(sd->api);
	struct oci_api_error error = {0};

	for (size_t i = 0; i < (compartments->count ? compartments->count : 1); i++) {
		const char *c = compartments->count ? compartments->items[i] : tenancy;

		if (oci_api_list_email_domains(sd->api, c, cycle_domains_page, a, NULL, &error) !=
		    OCI_API_OK)
			return a->overflow ? -1 : cycle_failed(sd, "ListEmailDomains", &error, a);
	}
	return 0;
}

static int
cycle_list_suppressions(struct syncd *sd, struct cycle_suppressions *cs, long long from_ms)
{
	struct oci_api_error error = {0};

	if (oci_api_list_suppressions(sd->api, from_ms, OCI_JSON_TIME_UNSET,
	                              cycle_suppressions_page, cs, NULL, &error) != OCI_API_OK)
		return cs->apply.overflow
		           ? -1
		           : cycle_failed(sd, "ListSuppressions", &error, &cs->apply);
	return 0;
}

static void
cycle_count(struct syncd_result *res, const struct apply *a)
{
	res->items += a->items;
	res->added += a->added;
	res->changed += a->changed;
	res->removed += a->removed;
}

static void
cycle_save_high_water(struct syncd *sd, long long high_water_ms)
{
	char value[32], err[256];
	const char *fields[] = {"suppression_high_water_ms", value};

	if (high_water_ms <= 0 || sd->dry_run)
		return;
	snprintf(value, sizeof(value), "%lld", high_water_ms);
	if (state_writer_status(sd->writer, fields, 2, err, sizeof(err)) != 0)
		log_warnx("status: %s", err);
}

/* The published changes' audit lines, written now; lines lost are counted, not hidden. */
static void
cycle_audit_publish(struct syncd *sd)
{
	size_t pending = audit_pending(sd->audit), lost = audit_publish(sd->audit);

	sd->audit_written += pending - lost;
	sd->audit_lost += lost;
	syncd_metrics_audit(pending - lost, lost);
}

/* All three listings into one new generation, published only when all succeeded. */
int
syncd_full_sync(struct syncd *sd, struct syncd_result *res)
{
	struct apply senders, domains;
	struct cycle_suppressions cs = {.high_water_ms = 0};
	char err[512];
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!sd->dry_run && state_writer_gen_begin(sd->writer, err, sizeof(err)) != 0) {
		snprintf(sd->last_error, sizeof(sd->last_error), "full sync: %s", err);
		return -1;
	}
	apply_init(&senders, sd, STATE_KIND_SENDER, APPLY_GEN);
	apply_init(&domains, sd, STATE_KIND_DOMAIN, APPLY_GEN);
	apply_init(&cs.apply, sd, STATE_KIND_SUPPRESSION, APPLY_GEN);
	if (cycle_list_senders(sd, &senders) == 0 && cycle_list_domains(sd, &domains) == 0 &&
	    cycle_list_suppressions(sd, &cs, OCI_JSON_TIME_UNSET) == 0 &&
	    apply_deletions(&senders) == 0 && apply_deletions(&domains) == 0 &&
	    apply_deletions(&cs.apply) == 0) {
		if (sd->dry_run || state_writer_gen_publish(sd->writer, err, sizeof(err)) == 0)
			rc = 0;
		else
			snprintf(sd->last_error, sizeof(sd->last_error), "publish: %s", err);
	}
	if (rc != 0 && !sd->dry_run)
		state_writer_gen_abort(sd->writer);
	cycle_count(res, &senders);
	cycle_count(res, &domains);
	cycle_count(res, &cs.apply);
	res->ok = rc == 0;
	res->rewrote = rc == 0;
	if (rc == 0) {
		cycle_save_high_water(sd, cs.high_water_ms);
		cycle_audit_publish(sd);
	} else {
		audit_discard(sd->audit);
	}
	apply_release(&senders);
	apply_release(&domains);
	apply_release(&cs.apply);
	return rc;
}

/* Commit a diff, or on overflow fall back to a full sync. */
static int
cycle_finish(struct syncd *sd, int listed, struct apply *a, struct syncd_result *res)
{
	char err[512];

	if (a->overflow) {
		state_writer_discard(sd->writer);
		audit_discard(sd->audit);
		log_info("more than %d changes: writing a whole new generation", APPLY_DIFF_MAX);
		return syncd_full_sync(sd, res);
	}
	if (listed != 0 || sd->dry_run) {
		state_writer_discard(sd->writer);
		audit_discard(sd->audit);
		return listed;
	}
	if (state_writer_commit(sd->writer, err, sizeof(err)) != 0) {
		snprintf(sd->last_error, sizeof(sd->last_error), "commit: %s", err);
		state_writer_discard(sd->writer);
		audit_discard(sd->audit);
		return -1;
	}
	cycle_audit_publish(sd);
	return 0;
}

int
syncd_senders_cycle(struct syncd *sd, struct syncd_result *res)
{
	struct apply a;
	int rc;

	memset(res, 0, sizeof(*res));
	apply_init(&a, sd, STATE_KIND_SENDER, APPLY_DIFF);
	rc = cycle_list_senders(sd, &a);
	if (rc == 0)
		rc = apply_deletions(&a);
	cycle_count(res, &a);
	rc = cycle_finish(sd, rc, &a, res);
	apply_release(&a);
	if (rc != 0 || res->rewrote)
		return rc;
	apply_init(&a, sd, STATE_KIND_DOMAIN, APPLY_DIFF);
	rc = cycle_list_domains(sd, &a);
	if (rc == 0)
		rc = apply_deletions(&a);
	cycle_count(res, &a);
	rc = cycle_finish(sd, rc, &a, res);
	apply_release(&a);
	res->ok = rc == 0;
	return rc;
}

int
syncd_suppressions_cycle(struct syncd *sd, int reconcile, struct syncd_result *res)
{
	struct cycle_suppressions cs;
	char text[32], err[256];
	long long from = OCI_JSON_TIME_UNSET, high_water = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!reconcile) {
		if (state_writer_status_get(sd->writer, "suppression_high_water_ms", text,
		                            sizeof(text), err, sizeof(err)) != 0 ||
		    text[0] == '\0')
			reconcile = 1;
		else
			high_water = strtoll(text, NULL, 10);
		from = high_water - sd->cfg->syncd.suppression_overlap_ms;
	}
	cs.high_water_ms = high_water; /* never moves back */
	apply_init(&cs.apply, sd, STATE_KIND_SUPPRESSION, APPLY_DIFF);
	rc = cycle_list_suppressions(sd, &cs, reconcile ? OCI_JSON_TIME_UNSET : from);
	if (rc == 0 && reconcile)
		rc = apply_deletions(&cs.apply);
	cycle_count(res, &cs.apply);
	rc = cycle_finish(sd, rc, &cs.apply, res);
	if (rc == 0 && !res->rewrote)
		cycle_save_high_water(sd, cs.high_water_ms);
	apply_release(&cs.apply);
	res->ok = rc == 0;
	return rc;
}
