/*
 * oci_api.h - the OCI Email Delivery control-plane operations edg needs
 *
 * SYNOPSIS
 *	#include "oci_api.h"
 *
 *	struct oci_api *oci_api_new(const struct oci_api_options *options,
 *				    struct oci_signer *signer, char *err, size_t errsize);
 *	struct oci_api *oci_api_from_config(const struct edg_config *cfg, char *err,
 *					    size_t errsize);
 *	void oci_api_free(struct oci_api *api);
 *
 *	enum oci_api_result oci_api_list_senders(struct oci_api *api,
 *		const char *compartment_id, const char *lifecycle_state,
 *		oci_api_senders_fn *fn, void *context, struct oci_api_stats *stats,
 *		struct oci_api_error *error);
 *	enum oci_api_result oci_api_list_suppressions(struct oci_api *api,
 *		long long time_created_from_ms, long long time_created_before_ms,
 *		oci_api_suppressions_fn *fn, void *context, struct oci_api_stats *stats,
 *		struct oci_api_error *error);
 *	enum oci_api_result oci_api_list_email_domains(struct oci_api *api,
 *		const char *compartment_id, oci_api_email_domains_fn *fn, void *context,
 *		struct oci_api_stats *stats, struct oci_api_error *error);
 *	enum oci_api_result oci_api_list_dkims(struct oci_api *api,
 *		const char *email_domain_id, oci_api_dkims_fn *fn, void *context,
 *		struct oci_api_stats *stats, struct oci_api_error *error);
 *	enum oci_api_result oci_api_create_suppression(struct oci_api *api,
 *		const char *email_address, struct oci_suppression *created,
 *		struct oci_api_error *error);
 *	enum oci_api_result oci_api_get_suppression(struct oci_api *api,
 *		const char *suppression_id, struct oci_suppression *suppression,
 *		struct oci_api_error *error);
 *	enum oci_api_result oci_api_delete_suppression(struct oci_api *api,
 *		const char *suppression_id, struct oci_api_error *error);
 *	enum oci_api_result oci_api_get_email_config(struct oci_api *api,
 *		const char *compartment_id, struct oci_email_config *config,
 *		struct oci_api_error *error);
 *
 *	long long oci_api_backoff_ms(unsigned retry, long long base_ms, long long max_ms,
 *				     unsigned long long random);
 *	const char *oci_api_tenancy(const struct oci_api *api);
 *
 * DESCRIPTION
 *	A client calls the control plane at "<endpoint>/20170907/<path>?<query>",
 *	every query value percent-encoded (all but letters, digits and "-._~"; so
 *	the ':' of a time is "%3A"), and the same bytes are signed and sent.
 *
 *	Listings. ListSenders (one compartment, optionally one lifecycleState such as
 *	"ACTIVE"), ListSuppressions (the tenancy's, sorted TIMECREATED ascending, with
 *	timeCreatedGreaterThanOrEqualTo = time_created_from_ms and timeCreatedLessThan
 *	= time_created_before_ms, each left out when OCI_JSON_TIME_UNSET),
 *	ListEmailDomains and ListDkims ask for limit=1000 items a page and follow
 *	opc-next-page. Each page is checked whole (oci_json.h) and then handed to the
 *	callback (an empty page is not), so a caller can stream ten million
 *	suppressions without holding them. stats, when not NULL, counts pages, items,
 *	requests and connections opened. What the callback received is provisional: only OCI_API_OK says the
 *	listing was complete. A listing is abandoned, with an error, when a page token
 *	comes back that this listing already used (a loop), when more than max_pages
 *	pages come, when any page is malformed, or when the callback returns non-zero.
 *
 *	Retries. A request that got no answer (network error, timeout, an answer cut
 *	short), or an answer 429, 500-504 or 409 IncorrectState, is sent again up to
 *	options->retries times. Before retry n (0 for the first) the client waits
 *	oci_api_backoff_ms(n, retry_base_ms, retry_max_delay_ms, random): "full
 *	jitter", a uniform draw between 0 and min(max, base * 2^n). A Retry-After of
 *	S seconds replaces the draw with S seconds; when S is longer than
 *	retry_max_delay the client gives up at once (OCI asks for a pause longer than
 *	edg is configured to wait inside one call). Other 4xx are not retried. A
 *	page of a listing is retried alone; the pages before it stand.
 *
 *	Every answer that is not a success fills error with the HTTP status, OCI's
 *	code and message (from the error body), the opc-request-id, and the number of
 *	attempts, also as one line in error->text. A 401 adds the hint "check the
 *	clock (skew over 5 minutes) and that the fingerprint matches the key".
 *
 *	oci_api_from_config() takes everything from edg.conf's [oci]: credentials
 *	(oci_cred_from_config(), with the OCI CLI file when oci_config is set), the
 *	signer (oci_signer_open(): key mode, pass phrase, fingerprint), the endpoint
 *	(config_oci_endpoint()), ca_file, proxy, connect_timeout, timeout, max_pages,
 *	retries, retry_max_delay; the tenancy is the credentials'.
 *
 *	oci_api_backoff_ms() is the backoff alone (pure), for tests and status pages.
 *	oci_api_tenancy() returns the tenancy OCID the client uses for suppressions.
 *
 *	Logging: each retry is logged (log_notice) with the operation, the reason and
 *	the delay; nothing else. A client is used by one thread at a time.
 *
 * OWNERSHIP
 *	oci_api_new() takes signer over, also when it fails; oci_api_free() frees it
 *	with the client (NULL is fine). Options' strings are copied. Items passed to a
 *	callback are valid during the call only. created, suppression and config are
 *	filled on OCI_API_OK only and released by the caller with
 *	oci_suppression_free() or oci_email_config_free().
 *
 * DIAGNOSTICS
 *	oci_api_new() and oci_api_from_config() return NULL with err (a bad endpoint,
 *	credentials, key). The operations return
 *	  OCI_API_OK        done, listing complete;
 *	  OCI_API_NOTFOUND  404 (NotAuthorizedOrNotFound: OCI does not tell which);
 *	  OCI_API_TEMPFAIL  still failing after the retries (network, 429, 5xx):
 *			    try again later;
 *	  OCI_API_ERROR     failed for a reason a retry does not cure: 401, 400,
 *			    409 Conflict, a malformed answer, a page loop, too many
 *			    pages, a callback that stopped, a bad argument.
 *	with error filled (error may be NULL when the caller does not care).
 */
#ifndef EDG_OCI_API_H
#define EDG_OCI_API_H

#include <stddef.h>

#include "oci_http.h"
#include "oci_json.h"
#include "oci_sign.h"

#define OCI_API_VERSION_PATH "/20170907"
#define OCI_API_PAGE_LIMIT   1000
#define OCI_API_HINT_401                                                                           \
	"check the clock (skew over 5 minutes) and that the fingerprint matches the key"

struct edg_config;
struct oci_api;

enum oci_api_result {
	OCI_API_OK = 0,
	OCI_API_NOTFOUND = 1,
	OCI_API_TEMPFAIL = -1,
	OCI_API_ERROR = -2,
};

struct oci_api_options {
	const char *endpoint; /* scheme://host[:port], no path: required */
	const char *tenancy;  /* OCID: compartmentId of the suppression calls */
	struct oci_http_options http;
	long retries;                 /* retries after the first attempt */
	long long retry_base_ms;      /* ceiling of the first backoff; 0: 1000 */
	long long retry_max_delay_ms; /* ceiling of every backoff; 0: 30000 */
	long max_pages;               /* pages of one listing; 0: 20000 */
	unsigned page_limit;          /* items asked per page; 0: OCI_API_PAGE_LIMIT */
	/* How to wait before a retry; NULL: nanosleep(). Tests record instead. */
	void (*sleep)(void *context, long long ms);
	void *sleep_context;
};

struct oci_api_error {
	enum oci_api_result result;
	long status;       /* HTTP status; 0 when no answer came */
	char code[64];     /* OCI's code, "" when the body had none */
	char message[512]; /* OCI's message, or the local reason */
	char request_id[OCI_HTTP_REQUEST_ID_SIZE];
	unsigned attempts; /* requests sent for the call that failed */
	char text[1536];   /* all of it, one line, for logs and status */
};

struct oci_api_stats {
	size_t pages;          /* pages delivered to the callback */
	size_t items;          /* items delivered */
	size_t requests;       /* requests sent, retries included */
	size_t connections;    /* connections opened for answered requests (keep-alive: 1) */
	long long total_items; /* opc-total-items of the first page, -1 when absent */
};

typedef int oci_api_senders_fn(const struct oci_sender *items, size_t count, void *context);
typedef int oci_api_suppressions_fn(const struct oci_suppression *items, size_t count,
                                    void *context);
typedef int oci_api_email_domains_fn(const struct oci_email_domain *items, size_t count,
                                     void *context);
typedef int oci_api_dkims_fn(const struct oci_dkim *items, size_t count, void *context);

struct oci_api *oci_api_new(const struct oci_api_options *options, struct oci_signer *signer,
                            char *err, size_t errsize);
struct oci_api *oci_api_from_config(const struct edg_config *cfg, char *err, size_t errsize);
void oci_api_free(struct oci_api *api);
const char *oci_api_tenancy(const struct oci_api *api);

enum oci_api_result oci_api_list_senders(struct oci_api *api, const char *compartment_id,
                                         const char *lifecycle_state, oci_api_senders_fn *fn,
                                         void *context, struct oci_api_stats *stats,
                                         struct oci_api_error *error);
enum oci_api_result oci_api_list_suppressions(struct oci_api *api, long long time_created_from_ms,
                                              long long time_created_before_ms,
                                              oci_api_suppressions_fn *fn, void *context,
                                              struct oci_api_stats *stats,
                                              struct oci_api_error *error);
enum oci_api_result oci_api_list_email_domains(struct oci_api *api, const char *compartment_id,
                                               oci_api_email_domains_fn *fn, void *context,
                                               struct oci_api_stats *stats,
                                               struct oci_api_error *error);
enum oci_api_result oci_api_list_dkims(struct oci_api *api, const char *email_domain_id,
                                       oci_api_dkims_fn *fn, void *context,
                                       struct oci_api_stats *stats, struct oci_api_error *error);
enum oci_api_result oci_api_create_suppression(struct oci_api *api, const char *email_address,
                                               struct oci_suppression *created,
                                               struct oci_api_error *error);
enum oci_api_result oci_api_get_suppression(struct oci_api *api, const char *suppression_id,
                                            struct oci_suppression *suppression,
                                            struct oci_api_error *error);
enum oci_api_result oci_api_delete_suppression(struct oci_api *api, const char *suppression_id,
                                               struct oci_api_error *error);
enum oci_api_result oci_api_get_email_config(struct oci_api *api, const char *compartment_id,
                                             struct oci_email_config *config,
                                             struct oci_api_error *error);

long long oci_api_backoff_ms(unsigned retry, long long base_ms, long long max_ms,
                             unsigned long long random);

#endif
