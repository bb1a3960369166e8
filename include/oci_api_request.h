/*
 * oci_api_request.h - requests and listings of the OCI client (internal to lib/oci_api*.c)
 *
 * oci_api.c knows how to talk to the control plane: one request with its retries
 * (oci_api_fetch()), one listing a page at a time (oci_api_list()), the error
 * reports. oci_api_resource.c knows what edg asks of it: each operation's path,
 * query and JSON mapper. This header is the line between the two.
 *
 * A listing is described by a struct oci_api_resource: the operation's name, its
 * path, the OCID it lists under, and the oci_json mapper of a page with the
 * function that frees what the mapper made. oci_api_deliver() maps each page and
 * hands its items to the caller's callback, whichever the resource.
 *
 * The mappers, the list frees and the callbacks are stored as the types below,
 * one for all the resources. Each differs from its real type only in the pointer
 * types of its parameters (void * for struct oci_sender_list *, and so on);
 * oci_api_resource.c is the only file that converts them.
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

/* oci_json_senders() and its kind: 0, or -1 with err. */
typedef int oci_api_map_fn(const void *body, size_t len, void *list, char *err, size_t errsize);
/* oci_sender_list_free() and its kind. */
typedef void oci_api_release_fn(void *list);
/* oci_api_senders_fn and its kind: non-zero stops the listing. */
typedef int oci_api_items_fn(const void *items, size_t count, void *context);

struct oci_api_resource {
	const char *operation;       /* "ListSenders", for messages */
	const char *path;            /* "/senders" */
	const char *parent;          /* query name of the OCID listed under, NULL: the tenancy */
	const char *parent_refusal;  /* "no valid compartment OCID" */
	oci_api_map_fn *map;         /* one page into a list (oci_json.h) */
	oci_api_release_fn *release; /* frees that list */
	size_t skipped_at;           /* offset of its struct oci_json_skipped; 0: none */
};

struct oci_api_listing {
	const struct oci_api_resource *resource;
	char *query; /* percent-encoded, without "page" */
	oci_api_items_fn *fn;
	void *context;
};

/* 0: page delivered; -1: malformed (err); 1: the callback said stop. */
int oci_api_deliver(const struct oci_api_listing *listing, const char *body, size_t len,
                    size_t *items, char *err, size_t errsize);

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
