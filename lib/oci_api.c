/*
 * oci_api.c - the OCI Email Delivery client: requests, retries, paging, errors
 *
 * See oci_api.h. This file talks to the control plane; what each operation
 * sends and how its answer is read is oci_api_resource.c's (the line between the
 * two: oci_api_request.h). Three layers, each a few functions:
 *
 *	oci_api_send()	one request with its retries: sends through oci_http,
 *			judges the answer (oci_api_judge), waits, sends again;
 *	oci_api_list()	one listing: a page at a time through oci_api_send(),
 *			each page checked by oci_json and delivered by its
 *			resource's page function, the page tokens remembered
 *			to catch a loop, the pages counted;
 *	oci_api_fetch()	one request of an operation that is not a listing.
 *
 * A listing's query is fixed before the first page and only "page" changes, so
 * the token always travels with the query that produced it (OCI refuses a token
 * used with another query).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "oci_api.h"
#include "oci_api_request.h"
#include "oci_cred.h"
#include "strset.h"
#include "timefmt.h"
#include "xalloc.h"

#define OCI_API_RETRY_BASE_MS      1000
#define OCI_API_RETRY_MAX_DELAY_MS 30000
#define OCI_API_MAX_PAGES          20000
#define OCI_API_OCID_MAX           255
#define OCI_API_PAUSE_MAX_MS       (10 * 60 * 1000LL) /* the longest Retry-After obeyed */

struct oci_api {
	char *endpoint; /* scheme://host[:port], no trailing '/' */
	char *tenancy;
	struct oci_signer *signer;
	struct oci_http *http;
	long retries;
	long long retry_base_ms, retry_max_delay_ms;
	long max_pages;
	unsigned page_limit;
	void (*sleep)(void *context, long long ms);
	void *sleep_context;
	unsigned long long random_state;
	/* OCI's last Retry-After: no request of any operation before pause_until_ms
	 * (monotonic), asked for by an answer with pause_status. */
	long long pause_until_ms;
	long pause_status;
};

/* One request: what oci_api_send() needs to send it again. */
struct oci_api_call {
	const char *operation; /* "ListSuppressions", for messages */
	const char *method;
	const char *url;
	const char *body;
	size_t body_len;
};

/* ---- small pieces --------------------------------------------------------------- */

static void
oci_api_default_sleep(void *context, long long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* xorshift64*: jitter needs spread, not secrecy. */
static unsigned long long
oci_api_random(struct oci_api *api)
{
	unsigned long long x = api->random_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	api->random_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int
oci_api_ocid_ok(const char *id)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0 || len > OCI_API_OCID_MAX)
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
	       len;
}

/* Append "&name=value" (no '&' first), value percent-encoded but for RFC 3986's
 * unreserved characters: the bytes signed are the bytes sent. */
void
oci_api_query_add(char **query, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t used = *query ? strlen(*query) : 0, len = strlen(value), at;
	char *out = xrealloc(*query, used + strlen(name) + 3 * len + 3);

	at = used + (size_t)sprintf(out + used, "%s%s=", used ? "&" : "", name);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL)
			out[at++] = (char)*p;
		else {
			out[at++] = '%';
			out[at++] = hex[*p >> 4];
			out[at++] = hex[*p & 15];
		}
	}
	out[at] = '\0';
	*query = out;
}

static char *
oci_api_url(const struct oci_api *api, const char *path, const char *query)
{
	return xasprintf("%s%s%s%s%s", api->endpoint, OCI_API_VERSION_PATH, path,
	                 query && *query ? "?" : "", query ? query : "");
}

/* ---- errors --------------------------------------------------------------------- */

/* Copy text for a one-line message: control bytes become '?'. */
static void
oci_api_copy_line(char *out, size_t size, const char *text)
{
	size_t i;

	for (i = 0; text[i] != '\0' && i + 1 < size; i++)
		out[i] = ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) ? '?' : text[i];
	out[i] = '\0';
}

static void
oci_api_error_text(struct oci_api_error *error, const char *operation)
{
	char status[128] = "", request_id[OCI_HTTP_REQUEST_ID_SIZE + 24] = "";

	if (error->status != 0)
		snprintf(status, sizeof(status), "HTTP %ld%s%s: ", error->status,
		         error->code[0] ? " " : "", error->code);
	if (error->request_id[0] != '\0')
		snprintf(request_id, sizeof(request_id), "opc-request-id %s, ", error->request_id);
	snprintf(error->text, sizeof(error->text), "%s: %s%s (%s%u attempt%s)%s%s", operation,
	         status, error->message, request_id, error->attempts,
	         error->attempts == 1 ? "" : "s", error->status == 401 ? "; " : "",
	         error->status == 401 ? OCI_API_HINT_401 : "");
}

void
oci_api_error_set(struct oci_api_error *error, enum oci_api_result result, const char *operation,
                  long status, const char *code, const char *message, const char *request_id,
                  unsigned attempts)
{
	if (error == NULL)
		return;
	memset(error, 0, sizeof(*error));
	error->result = result;
	error->status = status;
	error->attempts = attempts;
	oci_api_copy_line(error->code, sizeof(error->code), code ? code : "");
	oci_api_copy_line(error->message, sizeof(error->message), message ? message : "");
	oci_api_copy_line(error->request_id, sizeof(error->request_id),
	                  request_id ? request_id : "");
	oci_api_error_text(error, operation);
}

/* A failure before any request (bad argument). */
enum oci_api_result
oci_api_refuse(struct oci_api_error *error, const char *operation, const char *why)
{
	oci_api_error_set(error, OCI_API_ERROR, operation, 0, "", why, "", 0);
	return OCI_API_ERROR;
}

/* ---- one request, with retries ---------------------------------------------------- */

static enum oci_api_result
oci_api_status_class(long status, const char *code)
{
	if (status == 429 || (status >= 500 && status <= 504))
		return OCI_API_TEMPFAIL;
	if (status == 409 && strcmp(code, "IncorrectState") == 0)
		return OCI_API_TEMPFAIL;
	if (status == 404)
		return OCI_API_NOTFOUND;
	return OCI_API_ERROR;
}

/* Not a success: what kind of failure, described in error. */
static enum oci_api_result
oci_api_judge(const struct oci_api_call *call, enum oci_http_result sent,
              const struct oci_http_response *response, const char *why, unsigned attempts,
              struct oci_api_error *error)
{
	struct oci_error_body body;
	enum oci_api_result result;
	char unused[128];
	int have_body;

	if (sent != OCI_HTTP_OK) {
		result = sent == OCI_HTTP_TEMPFAIL ? OCI_API_TEMPFAIL : OCI_API_ERROR;
		oci_api_error_set(error, result, call->operation, 0, "", why, "", attempts);
		return result;
	}
	have_body =
	    oci_json_error(response->body, response->body_len, &body, unused, sizeof(unused)) == 0;
	result = oci_api_status_class(response->status, have_body ? body.code : "");
	oci_api_error_set(error, result, call->operation, response->status,
	                  have_body ? body.code : "",
	                  have_body ? body.message : "no OCI error body in the answer",
	                  response->request_id, attempts);
	if (have_body)
		oci_error_body_free(&body);
	return result;
}

long long
oci_api_backoff_ms(unsigned retry, long long base_ms, long long max_ms, unsigned long long random)
{
	long long ceiling = base_ms;

	if (base_ms <= 0 || max_ms <= 0)
		return 0;
	for (unsigned i = 0; i < retry && ceiling < max_ms; i++)
		ceiling *= 2;
	if (ceiling > max_ms)
		ceiling = max_ms;
	return (long long)(random % (unsigned long long)(ceiling + 1));
}

/* The wait before retry n, or -1 when OCI asks for longer than we may wait. */
static long long
oci_api_retry_delay(struct oci_api *api, unsigned retry, long long retry_after_s)
{
	if (retry_after_s >= 0)
		return retry_after_s * 1000 > api->retry_max_delay_ms ? -1 : retry_after_s * 1000;
	return oci_api_backoff_ms(retry, api->retry_base_ms, api->retry_max_delay_ms,
	                          oci_api_random(api));
}

/*
 * A Retry-After holds for the whole client, not only for the request it answered:
 * OCI throttles a tenancy, and the next operation (another listing of the cycle)
 * would get the same 429. Until it has passed nothing is sent: a wait within
 * retry_max_delay is slept, a longer one fails the call at once, without a request.
 */
static void
oci_api_pause_set(struct oci_api *api, long status, long long retry_after_s)
{
	long long ms = retry_after_s * 1000;

	api->pause_until_ms =
	    timefmt_monotonic_ms() + (ms < OCI_API_PAUSE_MAX_MS ? ms : OCI_API_PAUSE_MAX_MS);
	api->pause_status = status;
}

/* 0: send now (after sleeping out a short pause); -1: paused longer (error set). */
static int
oci_api_pause(struct oci_api *api, const struct oci_api_call *call, unsigned attempt,
              struct oci_api_error *error)
{
	long long wait = api->pause_until_ms - timefmt_monotonic_ms();
	char message[160];

	if (wait <= 0)
		return 0;
	if (wait <= api->retry_max_delay_ms) {
		api->sleep(api->sleep_context, wait);
		api->pause_until_ms = 0;
		return 0;
	}
	snprintf(message, sizeof(message),
	         "not sent: OCI asked for a pause (Retry-After in an HTTP %ld answer), %lld s left",
	         api->pause_status, (wait + 999) / 1000);
	oci_api_error_set(error, OCI_API_TEMPFAIL, call->operation, 0, "", message, "",
	                  attempt - 1);
	return -1;
}

/* Send call until it succeeds, fails for good, or the retries are spent. On
 * OCI_API_OK response holds the 2xx answer (the caller frees it). */
static enum oci_api_result
oci_api_send(struct oci_api *api, const struct oci_api_call *call,
             struct oci_http_response *response, size_t *requests, struct oci_api_error *error)
{
	enum oci_api_result result;
	enum oci_http_result sent;
	long long delay;
	char why[512];

	for (unsigned attempt = 1;; attempt++) {
		if (oci_api_pause(api, call, attempt, error) != 0)
			return OCI_API_TEMPFAIL;
		sent = oci_http_request(api->http, call->method, call->url, call->body,
		                        call->body_len, response, why, sizeof(why));
		(*requests)++;
		if (sent == OCI_HTTP_OK && response->retry_after_s >= 0)
			oci_api_pause_set(api, response->status, response->retry_after_s);
		if (sent == OCI_HTTP_OK && response->status >= 200 && response->status < 300)
			return OCI_API_OK;
		result = oci_api_judge(call, sent, response, why, attempt, error);
		delay =
		    result != OCI_API_TEMPFAIL || attempt > (unsigned long)api->retries
		        ? -2
		        : oci_api_retry_delay(api, attempt - 1,
		                              sent == OCI_HTTP_OK ? response->retry_after_s : -1);
		if (delay == -1)
			log_notice(
			    "%s: Retry-After %llds is longer than retry_max_delay: giving up",
			    call->operation, response->retry_after_s);
		oci_http_response_free(response);
		if (delay < 0)
			return result;
		log_notice("%s; retry %u of %ld in %lld ms", error ? error->text : call->operation,
		           attempt, api->retries, delay);
		api->sleep(api->sleep_context, delay);
		api->pause_until_ms = 0; /* a Retry-After was just slept out */
	}
}

/* Build the URL of path?query and send it. */
enum oci_api_result
oci_api_fetch(struct oci_api *api, const char *operation, const char *method, const char *path,
              const char *query, const char *body, struct oci_http_response *response,
              struct oci_api_error *error)
{
	char *url = oci_api_url(api, path, query);
	struct oci_api_call call = {operation, method, url, body, body ? strlen(body) : 0};
	size_t requests = 0;
	enum oci_api_result result = oci_api_send(api, &call, response, &requests, error);

	free(url);
	return result;
}

/* ---- listings ------------------------------------------------------------------- */

static void
oci_api_stats_start(struct oci_api_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->total_items = -1;
}

/* One page: fetch it (with retries), check it whole, deliver it; *next is its
 * opc-next-page (the caller frees it) or NULL at the end. */
static enum oci_api_result
oci_api_page(struct oci_api *api, const struct oci_api_listing *listing, const char *token,
             struct oci_api_stats *stats, char **next, struct oci_api_error *error)
{
	struct oci_http_response response;
	char *query = xstrdup(listing->query), *url, why[512], message[600];
	size_t items = 0, requests = stats->requests;
	enum oci_api_result result;
	int delivered;

	*next = NULL;
	if (token != NULL)
		oci_api_query_add(&query, "page", token);
	url = oci_api_url(api, listing->resource->path, query);
	free(query);
	struct oci_api_call call = {listing->resource->operation, "GET", url, NULL, 0};
	result = oci_api_send(api, &call, &response, &stats->requests, error);
	free(url);
	if (result != OCI_API_OK)
		return result;
	delivered = listing->resource->deliver(listing, response.body, response.body_len, &items,
	                                       why, sizeof(why));
	if (delivered != 0) {
		snprintf(message, sizeof(message), "%s%s",
		         delivered < 0 ? "page rejected: " : "stopped by the caller",
		         delivered < 0 ? why : "");
		oci_api_error_set(error, OCI_API_ERROR, listing->resource->operation,
		                  response.status, "", message, response.request_id,
		                  (unsigned)(stats->requests - requests));
		oci_http_response_free(&response);
		return OCI_API_ERROR;
	}
	if (stats->pages++ == 0)
		stats->total_items = response.total_items;
	stats->items += items;
	stats->connections += (size_t)response.connections;
	*next = response.next_page;
	response.next_page = NULL;
	oci_http_response_free(&response);
	return OCI_API_OK;
}

/* May the listing go on to the page of token next? */
static enum oci_api_result
oci_api_page_next_ok(const struct oci_api *api, const struct oci_api_listing *listing,
                     struct strset *tokens, const char *next, const struct oci_api_stats *stats,
                     struct oci_api_error *error)
{
	char why[160];

	if (stats->pages >= (size_t)api->max_pages) {
		snprintf(why, sizeof(why), "more than %ld pages (max_pages): listing abandoned",
		         api->max_pages);
		return oci_api_refuse(error, listing->resource->operation, why);
	}
	if (!strset_add(tokens, next)) {
		snprintf(why, sizeof(why),
		         "page token of page %zu seen before: the listing loops; abandoned",
		         stats->pages);
		return oci_api_refuse(error, listing->resource->operation, why);
	}
	return OCI_API_OK;
}

enum oci_api_result
oci_api_list(struct oci_api *api, struct oci_api_listing *listing, struct oci_api_stats *stats,
             struct oci_api_error *error)
{
	struct oci_api_stats local_stats;
	struct strset *tokens = strset_new();
	enum oci_api_result result;
	char *token = NULL, *next, limit[16];

	if (stats == NULL)
		stats = &local_stats;
	oci_api_stats_start(stats);
	snprintf(limit, sizeof(limit), "%u", api->page_limit);
	oci_api_query_add(&listing->query, "limit", limit);
	for (;;) {
		result = oci_api_page(api, listing, token, stats, &next, error);
		free(token);
		token = NULL;
		if (result != OCI_API_OK || next == NULL)
			break;
		if ((result = oci_api_page_next_ok(api, listing, tokens, next, stats, error)) !=
		    OCI_API_OK) {
			free(next);
			break;
		}
		token = next;
	}
	strset_free(tokens);
	free(listing->query);
	listing->query = NULL;
	return result;
}

/* ---- the client ----------------------------------------------------------------- */

/* scheme://host[:port] with an optional final '/': nothing else. */
static char *
oci_api_endpoint(const char *endpoint, char *err, size_t errsize)
{
	size_t len = endpoint ? strlen(endpoint) : 0;
	const char *host = NULL;

	if (len > 0 && strncmp(endpoint, "https://", 8) == 0)
		host = endpoint + 8;
	else if (len > 0 && strncmp(endpoint, "http://", 7) == 0)
		host = endpoint + 7;
	while (len > 0 && endpoint[len - 1] == '/')
		len--;
	if (host == NULL || endpoint + len <= host ||
	    strcspn(host, "/?#@ \t\r\n") < (size_t)(endpoint + len - host)) {
		snprintf(err, errsize, "endpoint: scheme://host[:port] expected (http or https)");
		return NULL;
	}
	return xstrndup(endpoint, len);
}

static void
oci_api_seed(struct oci_api *api)
{
	unsigned long long seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (unsigned long long)timefmt_monotonic_ms() ^
		       ((unsigned long long)getpid() << 32);
	api->random_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

static void
oci_api_set_limits(struct oci_api *api, const struct oci_api_options *options)
{
	api->retries = options->retries > 0 ? options->retries : 0;
	api->retry_base_ms =
	    options->retry_base_ms > 0 ? options->retry_base_ms : OCI_API_RETRY_BASE_MS;
	api->retry_max_delay_ms = options->retry_max_delay_ms > 0 ? options->retry_max_delay_ms
	                                                          : OCI_API_RETRY_MAX_DELAY_MS;
	api->max_pages = options->max_pages > 0 ? options->max_pages : OCI_API_MAX_PAGES;
	api->page_limit = options->page_limit > 0 ? options->page_limit : OCI_API_PAGE_LIMIT;
	api->sleep = options->sleep ? options->sleep : oci_api_default_sleep;
	api->sleep_context = options->sleep_context;
}

struct oci_api *
oci_api_new(const struct oci_api_options *options, struct oci_signer *signer, char *err,
            size_t errsize)
{
	struct oci_api *api;
	char *endpoint;

	if (signer == NULL) {
		snprintf(err, errsize, "no signer");
		return NULL;
	}
	if (!oci_api_ocid_ok(options->tenancy)) {
		snprintf(err, errsize, "tenancy: not an OCID");
		oci_signer_free(signer);
		return NULL;
	}
	if ((endpoint = oci_api_endpoint(options->endpoint, err, errsize)) == NULL) {
		oci_signer_free(signer);
		return NULL;
	}
	api = xcalloc(1, sizeof(*api));
	api->endpoint = endpoint;
	api->tenancy = xstrdup(options->tenancy);
	api->signer = signer;
	oci_api_set_limits(api, options);
	oci_api_seed(api);
	if ((api->http = oci_http_new(signer, &options->http, err, errsize)) == NULL) {
		oci_api_free(api);
		return NULL;
	}
	return api;
}

struct oci_api *
oci_api_from_config(const struct edg_config *cfg, char *err, size_t errsize)
{
	struct oci_api_options options = {0};
	struct oci_cred cred = {0};
	struct oci_signer *signer;
	struct oci_api *api = NULL;
	char *endpoint;

	if (oci_cred_from_config(cfg, &cred, err, errsize) != 0 ||
	    (signer = oci_signer_open(&cred, err, errsize)) == NULL) {
		oci_cred_free(&cred);
		return NULL;
	}
	if ((endpoint = config_oci_endpoint(cfg, cred.region)) == NULL) {
		snprintf(err, errsize, "[oci] endpoint is empty and no region gives one");
		oci_signer_free(signer);
		oci_cred_free(&cred);
		return NULL;
	}
	options.endpoint = endpoint;
	options.tenancy = cred.tenancy;
	options.http.ca_file = cfg->oci.ca_file;
	options.http.proxy = cfg->oci.proxy;
	options.http.connect_timeout_ms = cfg->oci.connect_timeout_ms;
	options.http.timeout_ms = cfg->oci.timeout_ms;
	options.retries = cfg->oci.retries;
	options.retry_max_delay_ms = cfg->oci.retry_max_delay_ms;
	options.max_pages = cfg->oci.max_pages;
	api = oci_api_new(&options, signer, err, errsize);
	free(endpoint);
	oci_cred_free(&cred);
	return api;
}

void
oci_api_free(struct oci_api *api)
{
	if (api == NULL)
		return;
	oci_http_free(api->http);
	oci_signer_free(api->signer);
	free(api->endpoint);
	free(api->tenancy);
	free(api);
}

const char *
oci_api_tenancy(const struct oci_api *api)
{
	return api->tenancy;
}
