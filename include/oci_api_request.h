/*
 * oci_api_request.h - requests and listings of the OCI client (internal to lib/oci_api*.c)
 *
 * oci_api.c knows how to talk to the control plane: one request with its retries
 * (oci_api_fetch()), one listing a page at a time (oci_api_list()), the error
 * reports. oci_api_resource.c knows what edg asks of it: each operation's path,
 * query and JSON mapper. This header is the line between the two.
 *
 * A listing is described by a struct oci_api_resource: the operation's name, its
 * path, the OCID it lists under, and its page function (deliver), which
 * oci_api_list() calls for each page: it maps the page with the resource's
 * oci_json mapper, logs the entries the page left out, hands the items to the
 * caller's callback (an empty page is not) and frees them. The callback is kept
 * in struct oci_api_listing as a union of the typed callbacks of oci_api.h; the
 * page function of a resource reads that resource's member only, so the mappers,
 * the frees and the callbacks are each called through their own type, with no
 * conversion.
 *
 * oci_api_error_set() does nothing when error is NULL; oci_api_refuse() fills
 * error (when not NULL) for a call refused before any request and returns
 * OCI_API_ERROR.
 * oci_api_fetch() leaves on OCI_API_OK the 2xx answer in *response, which the
 * caller frees with oci_http_response_free().
 */
#ifndef EDG_OCI_API_REQUEST_H
#define EDG_OCI_API_REQUEST_H

#include <stddef.h>

#include "oci_api.h"

struct oci_api_listing;

/*
 * One page of a listing: *items is how many it mapped. 0: page delivered; -1:
 * malformed (err); 1: the callback said stop.
 */
typedef int oci_api_page_fn(const struct oci_api_listing *listing, const char *body, size_t len,
                            size_t *items, char *err, size_t errsize);

struct oci_api_resource {
	const char *operation;      /* "ListSenders", for messages */
	const char *path;           /* "/senders" */
	const char *parent;         /* query name of the OCID listed under, NULL: the tenancy */
	const char *parent_refusal; /* "no valid compartment OCID" */
	oci_api_page_fn *deliver;   /* maps a page and hands it to fn */
};

struct oci_api_listing {
	const struct oci_api_resource *resource;
	char *query; /* percent-encoded, without "page" */
	union {      /* the member of resource's type */
		oci_api_senders_fn *senders;
		oci_api_suppressions_fn *suppressions;
		oci_api_email_domains_fn *email_domains;
		oci_api_dkims_fn *dkims;
	} fn;
	void *context;
};

enum oci_api_result oci_api_list(struct oci_api *api, struct oci_api_listing *listing,
                                 struct oci_api_stats *stats, struct oci_api_error *error);
enum oci_api_result oci_api_fetch(struct oci_api *api, const char *operation, const char *method,
                                  const char *path, const char *query, const char *body,
                                  struct oci_http_response *response, struct oci_api_error *error);

int oci_api_ocid_ok(const char *id);
void oci_api_query_add(char **query, const char *name, const char *value);
void oci_api_error_set(struct oci_api_error *error, enum oci_api_result result,
                       const char *operation, long status, const char *code, const char *message,
                       const char *request_id, unsigned attempts);
enum oci_api_result oci_api_refuse(struct oci_api_error *error, const char *operation,
                                   const char *why);

#endif
