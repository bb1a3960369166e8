/*
 * oci_api_resource.c - what edg asks of the OCI control plane: each operation
 *
 * See oci_api.h for the operations and oci_api_request.h for the line between
 * this file and oci_api.c. Here each operation builds its path and query, checks
 * its arguments before any request, and reads the answer with its oci_json
 * mapper; oci_api.c sends, retries, pages and reports.
 *
 * The four listings are one table, oci_api_resources: a row per resource says
 * its operation, path, parent OCID and page function. The page functions are one
 * body, OCI_API_PAGE_FN, made once per resource with that resource's types: map
 * the page with its oci_json mapper, log the entries left out (senders and
 * suppressions only: the others have no address to refuse), hand the items to
 * the callback (an empty page is not), free the page. So no mapper, free or
 * callback is called through a type other than its own.
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

/* ---- one page of any listing ---------------------------------------------------- */

/*
 * What a page function does between its mapper and the callback: log the
 * entries the page left out (skipped is NULL for a resource without them), count
 * the items. Whether there are any to hand over.
 */
static int
oci_api_page_items(const struct oci_json_skipped *skipped, size_t count, size_t *items)
{
	if (skipped != NULL && skipped->count > 0)
		log_warnx("%zu entries left out: their address is not usable (first: %s)",
		          skipped->count, skipped->first);
	*items = count;
	return count > 0;
}

/*
 * oci_api_page_<name>(), the oci_api_page_fn of the resource <name>:
 * oci_json_<name>() maps the page into a struct <list_type>, whose items go to
 * listing->fn.<name> and which release frees. skipped is where the list keeps the
 * entries it left out (&list.skipped), or NULL when it keeps none.
 */
#define OCI_API_PAGE_FN(name, list_type, release, skipped)                                         \
	static int oci_api_page_##name(const struct oci_api_listing *listing, const char *body,    \
	                               size_t len, size_t *items, char *err, size_t errsize)       \
	{                                                                                          \
		struct list_type list;                                                             \
		int stop;                                                                          \
                                                                                                   \
		if (oci_json_##name(body, len, &list, err, errsize) != 0)                          \
			return -1;                                                                 \
		stop = oci_api_page_items(skipped, list.count, items) &&                           \
		       listing->fn.name(list.items, list.count, listing->context);                 \
		release(&list);                                                                    \
		return stop ? 1 : 0;                                                               \
	}

OCI_API_PAGE_FN(senders, oci_sender_list, oci_sender_list_free, &list.skipped)
OCI_API_PAGE_FN(suppressions, oci_suppression_list, oci_suppression_list_free, &list.skipped)
OCI_API_PAGE_FN(email_domains, oci_email_domain_list, oci_email_domain_list_free, NULL)
OCI_API_PAGE_FN(dkims, oci_dkim_list, oci_dkim_list_free, NULL)

static const struct oci_api_resource oci_api_resources[] = {
    [OCI_API_SENDERS] = {"ListSenders", "/senders", "compartmentId", "no valid compartment OCID",
                         oci_api_page_senders},
    [OCI_API_SUPPRESSIONS] = {"ListSuppressions", "/suppressions", "compartmentId", NULL,
                              oci_api_page_suppressions},
    [OCI_API_EMAIL_DOMAINS] = {"ListEmailDomains", "/emailDomains", "compartmentId",
                               "no valid compartment OCID", oci_api_page_email_domains},
    [OCI_API_DKIMS] = {"ListDkims", "/dkims", "emailDomainId", "no valid email domain OCID",
                       oci_api_page_dkims},
};

/* ---- the listings --------------------------------------------------------------- */

/*
 * The listing of one resource under the OCID parent_id, optionally of one
 * lifecycleState; listing holds the resource and the callback, has_fn whether
 * that callback is set.
 */
static enum oci_api_result
oci_api_list_under(struct oci_api *api, struct oci_api_listing *listing, int has_fn,
                   const char *parent_id, const char *lifecycle_state, struct oci_api_stats *stats,
                   struct oci_api_error *error)
{
	const struct oci_api_resource *resource = listing->resource;

	if (!oci_api_ocid_ok(parent_id) || !has_fn)
		return oci_api_refuse(error, resource->operation, resource->parent_refusal);
	oci_api_query_add(&listing->query, resource->parent, parent_id);
	if (lifecycle_state != NULL && lifecycle_state[0] != '\0')
		oci_api_query_add(&listing->query, "lifecycleState", lifecycle_state);
	return oci_api_list(api, listing, stats, error);
}

enum oci_api_result
oci_api_list_senders(struct oci_api *api, const char *compartment_id, const char *lifecycle_state,
                     oci_api_senders_fn *fn, void *context, struct oci_api_stats *stats,
                     struct oci_api_error *error)
{
	struct oci_api_listing listing = {
	    &oci_api_resources[OCI_API_SENDERS], NULL, {.senders = fn}, context};

	return oci_api_list_under(api, &listing, fn != NULL, compartment_id, lifecycle_state, stats,
	                          error);
}

enum oci_api_result
oci_api_list_email_domains(struct oci_api *api, const char *compartment_id,
                           oci_api_email_domains_fn *fn, void *context, struct oci_api_stats *stats,
                           struct oci_api_error *error)
{
	struct oci_api_listing listing = {
	    &oci_api_resources[OCI_API_EMAIL_DOMAINS], NULL, {.email_domains = fn}, context};

	return oci_api_list_under(api, &listing, fn != NULL, compartment_id, NULL, stats, error);
}

enum oci_api_result
oci_api_list_dkims(struct oci_api *api, const char *email_domain_id, oci_api_dkims_fn *fn,
                   void *context, struct oci_api_stats *stats, struct oci_api_error *error)
{
	struct oci_api_listing listing = {
	    &oci_api_resources[OCI_API_DKIMS], NULL, {.dkims = fn}, context};

	return oci_api_list_under(api, &listing, fn != NULL, email_domain_id, NULL, stats, error);
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
	struct oci_api_listing listing = {resource, NULL, {.suppressions = fn}, context};

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
