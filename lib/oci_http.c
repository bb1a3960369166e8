/*
 * oci_http.c - signed HTTPS requests to the OCI control plane (libcurl)
 *
 * See oci_http.h. The easy handle is set up once (verification, proxy, timeouts,
 * callbacks) and each request only changes the method, the URL and the header
 * list, so libcurl's connection cache keeps the TCP and TLS session between pages.
 *
 * The body and the headers of an answer are collected in struct oci_http_capture,
 * which the callbacks fill and bound: the body stops at body_max (the callback
 * refuses more and libcurl aborts the transfer), a page token stops at
 * OCI_HTTP_PAGE_TOKEN_MAX. A status line ("HTTP/1.1 ...") starts the headers over,
 * so that those of an interim answer or of a proxy's CONNECT are not taken for
 * OCI's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "oci_http.h"
#include "xalloc.h"

#define OCI_HTTP_USER_AGENT "edg/1 (OCI Email Delivery gateway)"
#define OCI_HTTP_URL_SHOWN  300 /* bytes of a URL quoted in an error */

/* What one answer brings: filled by the callbacks. */
struct oci_http_capture {
	char *body;
	size_t body_len, body_size, body_max;
	int body_too_large;
	const char *header_error; /* static text: a header broke its bound */
	char request_id[OCI_HTTP_REQUEST_ID_SIZE];
	char *next_page;
	long long total_items, retry_after_s;
};

struct oci_http {
	CURL *curl;
	const struct oci_signer *signer;
	size_t body_max;
	char *proxy_userinfo; /* "user:password" of the proxy URL, scrubbed from errors */
	struct oci_http_capture capture;
	char curl_error[CURL_ERROR_SIZE];
};

static void
oci_http_capture_headers_reset(struct oci_http_capture *capture)
{
	capture->request_id[0] = '\0';
	free(capture->next_page);
	capture->next_page = NULL;
	capture->total_items = -1;
	capture->retry_after_s = -1;
	capture->header_error = NULL;
}

static void
oci_http_capture_begin(struct oci_http_capture *capture, size_t body_max)
{
	memset(capture, 0, sizeof(*capture));
	capture->body_max = body_max;
	oci_http_capture_headers_reset(capture);
}

static void
oci_http_capture_release(struct oci_http_capture *capture)
{
	free(capture->body);
	free(capture->next_page);
	memset(capture, 0, sizeof(*capture));
}

static size_t
oci_http_on_body(char *data, size_t size, size_t nmemb, void *context)
{
	struct oci_http_capture *capture = context;
	size_t len = size * nmemb, want;

	if (len > capture->body_max - capture->body_len) {
		capture->body_too_large = 1;
		return 0; /* libcurl aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (capture->body_len + len + 1 > capture->body_size) {
		want = capture->body_size ? capture->body_size * 2 : 64 * 1024;
		if (want < capture->body_len + len + 1)
			want = capture->body_len + len + 1;
		if (want > capture->body_max + 1)
			want = capture->body_max + 1;
		capture->body = xrealloc(capture->body, want);
		capture->body_size = want;
	}
	memcpy(capture->body + capture->body_len, data, len);
	capture->body_len += len;
	capture->body[capture->body_len] = '\0';
	return len;
}

/* Decimal digits only, at most 18 of them: else -1. */
static long long
oci_http_number(const char *text, size_t len)
{
	long long value = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		value = value * 10 + (text[i] - '0');
	}
	return value;
}

static void
oci_http_copy_request_id(char *out, const char *value, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < OCI_HTTP_REQUEST_ID_SIZE - 1; i++)
		out[i] = (value[i] < 0x20 || value[i] == 0x7f) ? '?' : value[i];
	out[i] = '\0';
}

static void
oci_http_take_header(struct oci_http_capture *capture, const char *name, size_t name_len,
                     const char *value, size_t len)
{
#define OCI_HTTP_IS(header) (name_len == strlen(header) && strncasecmp(name, header, name_len) == 0)
	if (OCI_HTTP_IS("opc-request-id"))
		oci_http_copy_request_id(capture->request_id, value, len);
	else if (OCI_HTTP_IS("opc-next-page")) {
		free(capture->next_page);
		capture->next_page = NULL;
		if (len == 0)
			capture->header_error = "empty opc-next-page header";
		else if (len > OCI_HTTP_PAGE_TOKEN_MAX || memchr(value, '\0', len) != NULL)
			capture->header_error = "opc-next-page longer than 8192 bytes or binary";
		else
			capture->next_page = xstrndup(value, len);
	} else if (OCI_HTTP_IS("opc-total-items"))
		capture->total_items = oci_http_number(value, len);
	else if (OCI_HTTP_IS("retry-after"))
		capture->retry_after_s = oci_http_number(value, len); /* HTTP-date: -1 */
#undef OCI_HTTP_IS
}

static size_t
oci_http_on_header(char *line, size_t size, size_t nmemb, void *context)
{
	struct oci_http_capture *capture = context;
	size_t len = size * nmemb;
	const char *colon, *value, *end = line + len;

	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		oci_http_capture_headers_reset(capture);
		return len;
	}
	if ((colon = memchr(line, ':', len)) == NULL)
		return len;
	for (value = colon + 1; value < end && (*value == ' ' || *value == '\t'); value++)
		;
	while (end > value &&
	       (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	oci_http_take_header(capture, line, (size_t)(colon - line), value, (size_t)(end - value));
	return len;
}

/* "user:password" of scheme://user:password@host, or NULL. */
static char *
oci_http_userinfo(const char *url)
{
	const char *start = strstr(url, "://"), *at;

	start = start ? start + 3 : url;
	at = strchr(start, '@');
	if (at == NULL || at == start || memchr(start, '/', (size_t)(at - start)) != NULL)
		return NULL;
	return xstrndup(start, (size_t)(at - start));
}

/* Replace every occurrence of secret in text by "*****" (text shrinks or keeps size). */
static void
oci_http_scrub(char *text, const char *secret)
{
	size_t secret_len;
	char *hit;

	if (secret == NULL || (secret_len = strlen(secret)) < 5)
		return;
	while ((hit = strstr(text, secret)) != NULL) {
		memcpy(hit, "*****", 5);
		memmove(hit + 5, hit + secret_len, strlen(hit + secret_len) + 1);
	}
}

static int
oci_http_setup_transport(CURL *curl, const struct oci_http_options *options)
{
	int ok = 1;

	ok &= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_USERAGENT, OCI_HTTP_USER_AGENT) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
	ok &= curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK;
	if (options->ca_file != NULL && options->ca_file[0] != '\0')
		ok &= curl_easy_setopt(curl, CURLOPT_CAINFO, options->ca_file) == CURLE_OK;
	if (options->proxy != NULL && options->proxy[0] != '\0')
		ok &= curl_easy_setopt(curl, CURLOPT_PROXY, options->proxy) == CURLE_OK;
	if (options->connect_timeout_ms > 0)
		ok &= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
		                       (long)options->connect_timeout_ms) == CURLE_OK;
	if (options->timeout_ms > 0)
		ok &= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)options->timeout_ms) ==
		      CURLE_OK;
	return ok ? 0 : -1;
}

static int
oci_http_setup_callbacks(struct oci_http *http)
{
	int ok = 1;

	ok &= curl_easy_setopt(http->curl, CURLOPT_ERRORBUFFER, http->curl_error) == CURLE_OK;
	ok &= curl_easy_setopt(http->curl, CURLOPT_WRITEFUNCTION, oci_http_on_body) == CURLE_OK;
	ok &= curl_easy_setopt(http->curl, CURLOPT_WRITEDATA, &http->capture) == CURLE_OK;
	ok &= curl_easy_setopt(http->curl, CURLOPT_HEADERFUNCTION, oci_http_on_header) == CURLE_OK;
	ok &= curl_easy_setopt(http->curl, CURLOPT_HEADERDATA, &http->capture) == CURLE_OK;
	return ok ? 0 : -1;
}

struct oci_http *
oci_http_new(const struct oci_signer *signer, const struct oci_http_options *options, char *err,
             size_t errsize)
{
	struct oci_http *http;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsize, "libcurl: global initialisation failed");
		return NULL;
	}
	http = xcalloc(1, sizeof(*http));
	http->signer = signer;
	http->body_max = options->body_max ? options->body_max : OCI_HTTP_BODY_MAX;
	if (options->proxy != NULL)
		http->proxy_userinfo = oci_http_userinfo(options->proxy);
	if ((http->curl = curl_easy_init()) == NULL ||
	    oci_http_setup_transport(http->curl, options) != 0 ||
	    oci_http_setup_callbacks(http) != 0) {
		snprintf(err, errsize, "libcurl: cannot set up a handle (TLS, proxy, timeouts)");
		oci_http_free(http);
		return NULL;
	}
	return http;
}

void
oci_http_free(struct oci_http *http)
{
	if (http == NULL)
		return;
	if (http->curl != NULL)
		curl_easy_cleanup(http->curl);
	oci_http_capture_release(&http->capture);
	free(http->proxy_userinfo);
	free(http);
	curl_global_cleanup();
}

/* The method's options; a body only for POST and PUT. */
static int
oci_http_set_method(CURL *curl, const char *method, const void *body, size_t body_len)
{
	int ok = 1;

	if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) {
		ok &= curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
		                       method[0] == 'D' ? "DELETE" : NULL) == CURLE_OK;
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		ok &= curl_easy_setopt(curl, CURLOPT_POST, 1L) == CURLE_OK;
		ok &= curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "") == CURLE_OK;
		ok &= curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len) ==
		      CURLE_OK;
		ok &= curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
		                       method[1] == 'U' ? "PUT" : NULL) == CURLE_OK;
	} else
		return -1;
	return ok ? 0 : -1;
}

/* The signed lines, then ours; NULL when libcurl is out of memory. */
static struct curl_slist *
oci_http_header_list(const struct oci_signed_request *signed_request)
{
	static const char *const extra[] = {"accept: application/json", "expect:"};
	struct curl_slist *list = NULL, *grown;

	for (size_t i = 0; i < signed_request->header_count + 2; i++) {
		grown = curl_slist_append(list, i < signed_request->header_count
		                                    ? signed_request->header[i]
		                                    : extra[i - signed_request->header_count]);
		if (grown == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = grown;
	}
	return list;
}

/* Network failures that may pass; the rest would fail the same way again. */
static enum oci_http_result
oci_http_curl_class(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return OCI_HTTP_TEMPFAIL;
	default:
		return OCI_HTTP_ERROR;
	}
}

/* No answer: say why, without a secret. */
static enum oci_http_result
oci_http_failed(struct oci_http *http, CURLcode code, const char *method, const char *url,
                char *err, size_t errsize)
{
	const char *why = http->curl_error[0] ? http->curl_error : curl_easy_strerror(code);
	enum oci_http_result result = oci_http_curl_class(code);

	if (http->capture.body_too_large) {
		result = OCI_HTTP_ERROR;
		snprintf(err, errsize, "%s %.*s: answer larger than %zu bytes", method,
		         OCI_HTTP_URL_SHOWN, url, http->body_max);
	} else
		snprintf(err, errsize, "%s %.*s: %s", method, OCI_HTTP_URL_SHOWN, url, why);
	oci_http_scrub(err, http->proxy_userinfo);
	return result;
}

/* An answer: hand the capture over to response. */
static enum oci_http_result
oci_http_answered(struct oci_http *http, const char *method, const char *url,
                  struct oci_http_response *response, char *err, size_t errsize)
{
	struct oci_http_capture *capture = &http->capture;

	if (capture->header_error != NULL) {
		snprintf(err, errsize, "%s %.*s: %s (opc-request-id %s)", method,
		         OCI_HTTP_URL_SHOWN, url, capture->header_error, capture->request_id);
		return OCI_HTTP_ERROR;
	}
	curl_easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, &response->status);
	curl_easy_getinfo(http->curl, CURLINFO_NUM_CONNECTS, &response->connections);
	response->body = capture->body ? capture->body : xstrdup("");
	response->body_len = capture->body_len;
	memcpy(response->request_id, capture->request_id, sizeof(response->request_id));
	response->next_page = capture->next_page;
	response->total_items = capture->total_items;
	response->retry_after_s = capture->retry_after_s;
	capture->body = NULL; /* now the response's */
	capture->next_page = NULL;
	return OCI_HTTP_OK;
}

enum oci_http_result
oci_http_request(struct oci_http *http, const char *method, const char *url, const void *body,
                 size_t body_len, struct oci_http_response *response, char *err, size_t errsize)
{
	struct oci_signed_request signed_request;
	struct curl_slist *headers;
	enum oci_http_result result;
	char why[256];
	CURLcode code;

	memset(response, 0, sizeof(*response));
	if (oci_http_set_method(http->curl, method, body, body_len) != 0) {
		snprintf(err, errsize, "%s: method not supported", method);
		return OCI_HTTP_ERROR;
	}
	if (oci_sign_request(http->signer, method, url, NULL, body, body_len, NULL, &signed_request,
	                     why, sizeof(why)) != 0) {
		snprintf(err, errsize, "%s %.*s: cannot sign: %s", method, OCI_HTTP_URL_SHOWN, url,
		         why);
		return OCI_HTTP_ERROR;
	}
	headers = oci_http_header_list(&signed_request);
	oci_signed_request_free(&signed_request);
	if (headers == NULL) {
		snprintf(err, errsize, "%s: libcurl out of memory", method);
		return OCI_HTTP_ERROR;
	}
	oci_http_capture_release(&http->capture);
	oci_http_capture_begin(&http->capture, http->body_max);
	http->curl_error[0] = '\0';
	curl_easy_setopt(http->curl, CURLOPT_URL, url);
	curl_easy_setopt(http->curl, CURLOPT_HTTPHEADER, headers);
	code = curl_easy_perform(http->curl);
	curl_easy_setopt(http->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (code != CURLE_OK)
		result = oci_http_failed(http, code, method, url, err, errsize);
	else
		result = oci_http_answered(http, method, url, response, err, errsize);
	oci_http_capture_release(&http->capture);
	return result;
}

void
oci_http_response_free(struct oci_http_response *response)
{
	free(response->body);
	free(response->next_page);
	memset(response, 0, sizeof(*response));
}
