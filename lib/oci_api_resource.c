/*
 * oci_api_resource.c - what edg asks of the OCI control plane: each operation
 *
 * See oci_api.h for the operations and oci_api_request.h for the line between
 * this file and oci_api.c. Here each operation builds its path and query, checks
 * its arguments before any request, and reads the answer with its oci_json
 * mapper; oci_api.c sends, retries, pages and reports.
 *
 * The four listings are one table, oci_api_resources: a row per resource says
 * its operation, path, parent OCID and page mapper, and oci_api_deliver() does
 * the rest for all of them: map the page, log the entries left out (senders and
 * suppressions only: the others have no address to refuse), hand the items to
 * the callback (an empty page is not), free the page.
 *
 * Diagnostics: a bad argument is refused (OCI_API_ERROR) with no request sent;
 * the one log line of this file is the warning about entries left out of a page.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "oci_api.h"
#include "oci_api_request.h"
#include "timefmt.h"
#include "xalloc.h"

enum oci_api_listed {
	OCI_API_SENDERS,
	OCI_API_SUPPRESSIONS,
	OCI_API_EMAIL_DOMAINS,
	OCI_API_DKIMS,
};

/*
 * The mappers and the list frees are called through the types of
 * oci_api_request.h; they differ from them only in the pointer types of their
 * parameters.
 */
static const struct oci_api_resource oci_api_resources[] = {
    [OCI_API_SENDERS] = {"ListSenders", "/senders", "compartmentId", "no valid compartment OCID",
                         (oci_api_map_fn *)oci_json_senders,
                         (oci_api_release_fn *)oci_sender_list_free,
                         offsetof(struct oci_sender_list, skipped)},
    [OCI_API_SUPPRESSIONS] = {"ListSuppressions", "/suppressions", "compartmentId", NULL,
                              (oci_api_map_fn *)oci_json_suppressions,
                              (oci_api_release_fn *)oci_suppression_list_free,
                              offsetof(struct oci_suppression_list, skipped)},
    [OCI_API_EMAIL_DOMAINS] = {"ListEmailDomains", "/emailDomains", "compartmentId",
                               "no valid compartment OCID",
                               (oci_api_map_fn *)oci_json_email_domains,
                               (oci_api_release_fn *)oci_email_domain_list_free, 0},
    [OCI_API_DKIMS] = {"ListDkims", "/dkims", "emailDomainId", "no valid email domain OCID",
                       (oci_api_map_fn *)oci_json_dkims, (oci_api_release_fn *)oci_dkim_list_free,
                       0},
};

/* Room for a page of any resource. Every list begins with its items and their count. */
union oci_api_page {
	struct {
		const void *items;
		size_t count;
	} head;
	struct oci_sender_list senders;
	struct oci_suppression_list suppressions;
	struct oci_email_domain_list email_domains;
	struct oci_dkim_list dkims;
};

/* ---- one page of any listing ---------------------------------------------------- */

static void
oci_api_report_skipped(const struct oci_json_skipped *skipped)
{
	if (skipped->count > 0)
		log_warnx("%zu entries left out: their address is not usable (first: %s)",
		          skipped->count, skipped->first);
}

/* What the page left out, or NULL when its resource keeps no such count. */
static const struct oci_json_skipped *
oci_api_page_skipped(const union oci_api_page *page, const struct oci_api_resource *resource)
{
	if (resource->skipped_at == 0)
		return NULL;
	return (const void *)((const char *)page + resource->skipped_at);
}

int
oci_api_deliver(const struct oci_api_listing *listing, const char *body, size_t len, size_t *items,
                char *err, size_t errsize)
{
	const struct oci_api_resource *resource = listing->resource;
	const struct oci_json_skipped *skipped;
	union oci_api_page page;
	int stop;

	if (resource->map(body, len, &page, err, errsize) != 0)
		return -1;
	if ((skipped = oci_api_page_skipped(&page, resource)) != NULL)
		oci_api_report_skipped(skipped);
	*items = page.head.count;
	stop =
	    page.head.count > 0 && listing->fn(page.head.items, page.head.count, listing->context);
	resource->release(&page);
	return stop ? 1 : 0;
}

/* ---- the listings --------------------------------------------------------------- */

/* The listing of one resource under the OCID parent_id, optionally of one lifecycleState. */
static enum oci_api_result
oci_api_list_under(struct oci_api *api, enum oci_api_listed listed, const char *parent_id,
                   const char *lifecycle_state, oci_api_items_fn *fn, void *context,
                   struct oci_api_stats *stats, struct oci_api_error *error)
{
	const struct oci_api_resource *resource = &oci_api_resources[listed];
	struct oci_api_listing listing = {resource, NULL, fn, context};

	if (!oci_api_ocid_ok(parent_id) || fn == NULL)
		return oci_api_refuse(error, resource->operation, resource->parent_refusal);
	oci_api_query_add(&listing.query, resource->parent, parent_id);
	if (lifecycle_state != NULL && lifecycle_state[0] != '\0')
		oci_api_query_add(&listing.query, "lifecycleState", lifecycle_state);
	return oci_api_list(api, &listing, stats, error);
}

enum oci_api_result
oci_api_list_senders(struct oci_api *api, const char *compartment_id, const char *lifecycle_state,
                     oci_api_senders_fn *fn, void *context, struct oci_api_stats *stats,
                     struct oci_api_error *error)
{
	return oci_api_list_under(api, OCI_API_SENDERS, compartment_id, lifecycle_state,
	                          (oci_api_items_fn *)fn, context, stats, error);
}

enum oci_api_result
oci_api_list_email_domains(struct oci_api *api, const char *compartment_id,
                           oci_api_email_domains_fn *fn, void *context, struct oci_api_stats *stats,
                           struct oci_api_error *error)
{
	return oci_api_list_under(api, OCI_API_EMAIL_DOMAINS, compartment_id, NULL,
	                          (oci_api_items_fn *)fn, context, stats, error);
}

enum oci_api_result
oci_api_list_dkims(struct oci_api *api, const char *email_domain_id, oci_api_dkims_fn *fn,
                   void *context, struct oci_api_stats *stats, struct oci_api_error *error)
{
	return oci_api_list_under(api, OCI_API_DKIMS, email_domain_id, NULL, (oci_api_items_fn *)fn,
	                          context, stats, error);
}

static void
oci_api_query_add_time(char **query, const char *name, long long ms)
{
	char text[TIMEFMT_SIZE];

	timefmt_rfc3339(ms, text, sizeof(text));
	oci_api_query_add(query, name, text);
}

/* The tenancy's suppressions, oldest first, within the time filter. */
enum oci_api_result
oci_api_list_suppressions(struct oci_api *api, long long time_created_from_ms,
                          long long time_created_before_ms, oci_api_suppressions_fn *fn,
                          void *context, struct oci_api_stats *stats, struct oci_api_error *error)
{
	const struct oci_api_resource *resource = &oci_api_resources[OCI_API_SUPPRESSIONS];
	struct oci_api_listing listing = {resource, NULL, (oci_api_items_fn *)fn, context};

	if (fn == NULL)
		return oci_api_refuse(error, resource->operation, "no callback");
	oci_api_query_add(&listing.query, resource->parent, oci_api_tenancy(api));
	if (time_created_from_ms != OCI_JSON_TIME_UNSET)
		oci_api_query_add_time(&listing.query, "timeCreatedGreaterThanOrEqualTo",
		                       time_created_from_ms);
	if (time_created_before_ms != OCI_JSON_TIME_UNSET)
		oci_api_query_add_time(&listing.query, "timeCreatedLessThan",
		                       time_created_before_ms);
	oci_api_query_add(&listing.query, "sortBy", "TIMECREATED");
	oci_api_query_add(&listing.query, "sortOrder", "ASC");
	return oci_api_list(api, &listing, stats, error);
}

/* ---- one object at a time ------------------------------------------------------- */

/* A 2xx answer that did not map: an error, the answer's status and request id in it. */
static enum oci_api_result
oci_api_answer_rejected(const char *operation, const struct oci_http_response *response,
                        const char *why, struct oci_api_error *error)
{
	char message[600];

	snprintf(message, sizeof(message), "answer rejected: %s", why);
	oci_api_error_set(error, OCI_API_ERROR, operation, response->status, "", message,
	                  response->request_id, 1);
	return OCI_API_ERROR;
}

/* A 2xx answer that must hold a Suppression. */
static enum oci_api_result
oci_api_take_suppression(const char *operation, struct oci_http_response *response,
                         struct oci_suppression *out, struct oci_api_error *error)
{
	enum oci_api_result result = OCI_API_OK;
	char why[512];

	if (oci_json_suppression(response->body, response->body_len, out, why, sizeof(why)) != 0)
		result = oci_api_answer_rejected(operation, response, why, error);
	oci_http_response_free(response);
	return result;
}

/* method on /suppressions/<suppression_id>. */
static enum oci_api_result
oci_api_fetch_suppression(struct oci_api *api, const char *operation, const char *method,
                          const char *suppression_id, struct oci_http_response *response,
                          struct oci_api_error *error)
{
	enum oci_api_result result;
	char *path;

	if (!oci_api_ocid_ok(suppression_id))
		return oci_api_refuse(error, operation, "no valid suppression OCID");
	path = xasprintf("/suppressions/%s", suppression_id);
	result = oci_api_fetch(api, operation, method, path, NULL, NULL, response, error);
	free(path);
	return result;
}

enum oci_api_result
oci_api_create_suppression(struct oci_api *api, const char *email_address,
                           struct oci_suppression *created, struct oci_api_error *error)
{
	static const char operation[] = "CreateSuppression";
	struct oci_http_response response;
	char canonical[ADDR_MAX], *body;
	enum oci_api_result result;
	const char *why = "empty";

	if (email_address == NULL || addr_canon(email_address, strlen(email_address), canonical,
	                                        sizeof(canonical), &why) != ADDR_OK)
		return oci_api_refuse(error, operation, why);
	if ((body = oci_json_create_suppression(oci_api_tenancy(api), canonical)) == NULL)
		return oci_api_refuse(error, operation, "address not UTF-8");
	result =
	    oci_api_fetch(api, operation, "POST", "/suppressions", NULL, body, &response, error);
	free(body);
	if (result != OCI_API_OK)
		return result;
	return oci_api_take_suppression(operation, &response, created, error);
}

enum oci_api_result
oci_api_get_suppression(struct oci_api *api, const char *suppression_id,
                        struct oci_suppression *suppression, struct oci_api_error *error)
{
	static const char operation[] = "GetSuppression";
	struct oci_http_response response;
	enum oci_api_result result;

	result = oci_api_fetch_suppression(api, operation, "GET", suppression_id, &response, error);
	if (result != OCI_API_OK)
		return result;
	return oci_api_take_suppression(operation, &response, suppression, error);
}

enum oci_api_result
oci_api_delete_suppression(struct oci_api *api, const char *suppression_id,
                           struct oci_api_error *error)
{
	struct oci_http_response response;
	enum oci_api_result result;

	result = oci_api_fetch_suppression(api, "DeleteSuppression", "DELETE", suppression_id,
	                                   &response, error);
	if (result == OCI_API_OK)
		oci_http_response_free(&response);
	return result;
}

enum oci_api_result
oci_api_get_email_config(struct oci_api *api, const char *compartment_id,
                         struct oci_email_config *config, struct oci_api_error *error)
{
	static const char operation[] = "GetEmailConfiguration";
	struct oci_http_response response;
	enum oci_api_result result;
	char *query = NULL, why[512];

	if (!oci_api_ocid_ok(compartment_id))
		return oci_api_refuse(error, operation, "no valid compartment OCID");
	oci_api_query_add(&query, "compartmentId", compartment_id);
	result =
	    oci_api_fetch(api, operation, "GET", "/configuration", query, NULL, &response, error);
	free(query);
	if (result != OCI_API_OK)
		return result;
	if (oci_json_email_config(response.body, response.body_len, config, why, sizeof(why)) != 0)
		result = oci_api_answer_rejected(operation, &response, why, error);
	oci_http_response_free(&response);
	return result;
}
