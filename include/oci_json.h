/*
 * oci_json.h - OCI Email Delivery JSON answers mapped to checked C structs
 *
 * SYNOPSIS
 *	#include "oci_json.h"
 *
 *	int  oci_json_senders(const void *body, size_t len, struct oci_sender_list *out,
 *			      char *err, size_t errsize);
 *	int  oci_json_suppressions(const void *body, size_t len,
 *				   struct oci_suppression_list *out, char *err, size_t errsize);
 *	int  oci_json_suppression(const void *body, size_t len, struct oci_suppression *out,
 *				  char *err, size_t errsize);
 *	int  oci_json_email_domains(const void *body, size_t len,
 *				    struct oci_email_domain_list *out, char *err, size_t errsize);
 *	int  oci_json_dkims(const void *body, size_t len, struct oci_dkim_list *out,
 *			    char *err, size_t errsize);
 *	int  oci_json_email_config(const void *body, size_t len, struct oci_email_config *out,
 *				   char *err, size_t errsize);
 *	int  oci_json_error(const void *body, size_t len, struct oci_error_body *out,
 *			    char *err, size_t errsize);
 *	char *oci_json_create_suppression(const char *compartment_id,
 *					  const char *email_address);
 *
 *	void oci_sender_list_free(struct oci_sender_list *list);
 *	void oci_suppression_list_free(struct oci_suppression_list *list);
 *	void oci_suppression_free(struct oci_suppression *suppression);
 *	void oci_email_domain_list_free(struct oci_email_domain_list *list);
 *	void oci_dkim_list_free(struct oci_dkim_list *list);
 *	void oci_email_config_free(struct oci_email_config *config);
 *	void oci_error_body_free(struct oci_error_body *error);
 *
 * DESCRIPTION
 *	Each oci_json_*() function maps one response body of the control plane
 *	(API 20170907) to C: oci_json_senders() a ListSenders page (a bare array of
 *	SenderSummary), oci_json_suppressions() a ListSuppressions page (a bare array
 *	of SuppressionSummary), oci_json_suppression() the Suppression of
 *	GetSuppression and CreateSuppression, oci_json_email_domains() and
 *	oci_json_dkims() a ListEmailDomains or ListDkims page ({"items": [...]}),
 *	oci_json_email_config() GetEmailConfiguration, oci_json_error() an error body
 *	{"code", "message"}.
 *
 *	Everything is checked before anything is handed out, and a page is taken whole
 *	or not at all: one bad item rejects the page. The body must be UTF-8 JSON of at
 *	most OCI_JSON_BODY_MAX bytes, OCI_JSON_NODES_MAX values and keys, and
 *	OCI_JSON_DEPTH_MAX levels (counted before jansson builds a tree, so a hostile
 *	body cannot make it allocate without bound), with no key repeated in an object
 *	and nothing after the document. A page holds at most OCI_JSON_ITEMS_MAX items.
 *
 *	One exception to "the page whole or not at all": in ListSenders and
 *	ListSuppressions pages, an entry whose only fault is an emailAddress string that
 *	addr_canon() refuses is left out and counted in the list's skipped (with the
 *	reason of the first): it could never match a canonical address, and one such
 *	entry in OCI must not stop every future sync. Invalid JSON, a wrong type or a
 *	missing field still reject the page.
 *	Required fields must be present, not null, and of their type; optional fields
 *	may be absent or null; fields this module does not know are ignored. Values:
 *
 *	  ids (id, compartmentId, emailDomainId, activeDkimId, emailIpPoolId)
 *		1 to OCI_JSON_ID_MAX bytes of letters, digits, '.', '-', '_' (OCID
 *		characters; they are safe in a URL path and a Redis key)
 *	  states and reasons (lifecycleState, reason)
 *		1 to OCI_JSON_TOKEN_MAX letters, digits or '_'; values not known today
 *		are accepted (OCI's enums grow)
 *	  emailAddress
 *		canonicalised with addr_canon(); a sender's with addr_canon_pattern(),
 *		so "@Example.COM" becomes "@example.com"
 *	  name of an email domain
 *		canonicalised with addr_canon_domain()
 *	  names, endpoints and messageId
 *		1 to OCI_JSON_NAME_MAX printable ASCII bytes without blanks
 *	  times (timeCreated, timeLastSuppressed)
 *		RFC 3339 (timefmt_parse_rfc3339()), kept as ms since the epoch
 *	  free text (message, errorDetail, errorSource)
 *		any string; cut at OCI_JSON_TEXT_MAX bytes on a UTF-8 boundary
 *
 *	Required: SenderSummary id, compartmentId, emailAddress, lifecycleState,
 *	timeCreated. SuppressionSummary id, compartmentId, emailAddress, reason,
 *	timeCreated. EmailDomainSummary id, name, compartmentId, lifecycleState,
 *	timeCreated. DkimSummary id, name, emailDomainId, lifecycleState, timeCreated.
 *	EmailConfiguration smtpSubmitEndpoint. Error body code and message.
 *
 *	An absent optional string is NULL, an absent time OCI_JSON_TIME_UNSET, an absent
 *	boolean -1.
 *
 *	oci_json_create_suppression() builds the CreateSuppression request body.
 *
 *	The functions are pure: bytes in, structs or an error out, no I/O, no logging.
 *	The body need not be NUL-terminated.
 *
 * OWNERSHIP
 *	out is overwritten (not freed first); on success the caller releases it with the
 *	matching *_free(), which frees every string, zeroes the struct and accepts a
 *	zeroed struct. On failure out holds nothing to free (it is zeroed).
 *	oci_json_create_suppression() returns a string the caller frees.
 *
 * DIAGNOSTICS
 *	The oci_json_*() mappers return 0, or -1 with one line in err naming the model,
 *	the item's index and the field with the reason ("SuppressionSummary [3]:
 *	emailAddress: not a string"). No value from the body is ever copied into err:
 *	it may be long, binary, or a control sequence meant for a terminal.
 *	oci_json_create_suppression() returns NULL when an argument is NULL.
 */
#ifndef EDG_OCI_JSON_H
#define EDG_OCI_JSON_H

#include <limits.h>
#include <stddef.h>

#define OCI_JSON_BODY_MAX   (16 * 1024 * 1024)
#define OCI_JSON_NODES_MAX  500000 /* a 1000-item page with tags needs about 150,000 */
#define OCI_JSON_DEPTH_MAX  32
#define OCI_JSON_ITEMS_MAX  10000 /* OCI pages hold at most 1000 */
#define OCI_JSON_ID_MAX     255   /* an OCID is at most 255 bytes */
#define OCI_JSON_TOKEN_MAX  64
#define OCI_JSON_NAME_MAX   1024
#define OCI_JSON_TEXT_MAX   4096
#define OCI_JSON_TIME_UNSET LLONG_MIN

struct oci_sender {
	char *id;
	char *compartment_id;
	char *email_address;   /* canonical address, or "@domain" for a whole domain */
	char *lifecycle_state; /* "ACTIVE", "INACTIVE", ...; only ACTIVE may send */
	long long time_created_ms;
	char *email_ip_pool_id; /* NULL: none */
};

struct oci_suppression {
	char *id;
	char *compartment_id;
	char *email_address; /* canonical */
	char *reason;        /* "HARDBOUNCE", "COMPLAINT", ...; others possible */
	long long time_created_ms;
	/* The full Suppression (Get/CreateSuppression) only; NULL / OCI_JSON_TIME_UNSET. */
	long long time_last_suppressed_ms;
	char *message_id;
	char *error_detail;
	char *error_source;
};

struct oci_email_domain {
	char *id;
	char *name; /* canonical domain */
	char *compartment_id;
	char *lifecycle_state;
	char *active_dkim_id; /* NULL: none */
	long long time_created_ms;
	int is_spf; /* 1, 0, or -1 when absent (only the full EmailDomain has it) */
};

struct oci_dkim {
	char *id;
	char *name; /* the selector */
	char *email_domain_id;
	char *lifecycle_state;
	long long time_created_ms;
};

struct oci_email_config {
	char *compartment_id;       /* NULL when absent */
	char *smtp_submit_endpoint; /* e.g. smtp.email.us-ashburn-1.oci.oraclecloud.com */
	char *http_submit_endpoint; /* NULL when absent */
};

struct oci_error_body {
	char *code; /* "NotAuthenticated", "TooManyRequests", ... */
	char *message;
};

/* Entries of a listing left out because edg cannot use their address (see below). */
struct oci_json_skipped {
	size_t count;
	char first[320]; /* why the first one was left out */
};

struct oci_sender_list {
	struct oci_sender *items;
	size_t count;
	struct oci_json_skipped skipped;
};

struct oci_suppression_list {
	struct oci_suppression *items;
	size_t count;
	struct oci_json_skipped skipped;
};

struct oci_email_domain_list {
	struct oci_email_domain *items;
	size_t count;
};

struct oci_dkim_list {
	struct oci_dkim *items;
	size_t count;
};

int oci_json_senders(const void *body, size_t len, struct oci_sender_list *out, char *err,
                     size_t errsize);
int oci_json_suppressions(const void *body, size_t len, struct oci_suppression_list *out, char *err,
                          size_t errsize);
int oci_json_suppression(const void *body, size_t len, struct oci_suppression *out, char *err,
                         size_t errsize);
int oci_json_email_domains(const void *body, size_t len, struct oci_email_domain_list *out,
                           char *err, size_t errsize);
int oci_json_dkims(const void *body, size_t len, struct oci_dkim_list *out, char *err,
                   size_t errsize);
int oci_json_email_config(const void *body, size_t len, struct oci_email_config *out, char *err,
                          size_t errsize);
int oci_json_error(const void *body, size_t len, struct oci_error_body *out, char *err,
                   size_t errsize);
char *oci_json_create_suppression(const char *compartment_id, const char *email_address);

void oci_sender_list_free(struct oci_sender_list *list);
void oci_suppression_list_free(struct oci_suppression_list *list);
void oci_suppression_free(struct oci_suppression *suppression);
void oci_email_domain_list_free(struct oci_email_domain_list *list);
void oci_dkim_list_free(struct oci_dkim_list *list);
void oci_email_config_free(struct oci_email_config *config);
void oci_error_body_free(struct oci_error_body *error);

#endif
