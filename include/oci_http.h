/*
 * oci_http.h - signed HTTPS requests to the OCI control plane (libcurl)
 *
 * SYNOPSIS
 *	#include "oci_http.h"
 *
 *	struct oci_http *oci_http_new(const struct oci_signer *signer,
 *				      const struct oci_http_options *options,
 *				      char *err, size_t errsize);
 *	void oci_http_free(struct oci_http *http);
 *
 *	enum oci_http_result oci_http_request(struct oci_http *http, const char *method,
 *			const char *url, const void *body, size_t body_len,
 *			struct oci_http_response *response, char *err, size_t errsize);
 *	void oci_http_response_free(struct oci_http_response *response);
 *
 * DESCRIPTION
 *	A client holds one libcurl easy handle, reused by every request, so that
 *	libcurl keeps the connection alive between the pages of a listing. Certificate
 *	and host name verification are always on; options->ca_file (the [oci] ca_file
 *	key) replaces the system's CA store. Proxies: options->proxy when set, else
 *	libcurl's default, which reads https_proxy, http_proxy and no_proxy from the
 *	environment. Connect and total timeouts apply to each request. Redirects are
 *	not followed (OCI does not send them; a signed request must not go elsewhere).
 *
 *	oci_http_request() signs the request with oci_sign_request() (date: now) and
 *	sends it. method is GET, DELETE, POST or PUT; url is
 *	"scheme://host[:port]/path?query" with the query already percent-encoded: it is
 *	sent byte for byte as signed (libcurl is told not to normalise the path). A
 *	body (POST, PUT) is sent as application/json. The answer's body is kept up to
 *	options->body_max bytes; a longer one fails the request. Response headers
 *	captured (names without regard to case): opc-request-id, opc-next-page,
 *	opc-total-items, and retry-after (delta-seconds; an HTTP-date is ignored).
 *
 *	Nothing secret reaches an error message: not the Authorization header, not the
 *	proxy's URL (which may hold a password), not the request body.
 *
 *	A client is not thread-safe: one thread at a time (syncd has one puller).
 *
 * OWNERSHIP
 *	The client borrows signer: it must outlive the client. oci_http_free()
 *	releases the handle and its connections (NULL is fine). response is filled
 *	on OCI_HTTP_OK with strings the caller releases with oci_http_response_free(),
 *	which zeroes it; on any other result it holds nothing to free.
 *
 * DIAGNOSTICS
 *	oci_http_new() returns NULL with err when libcurl cannot be set up.
 *	oci_http_request() returns
 *	  OCI_HTTP_OK       an HTTP answer arrived, whatever its status (a 4xx or 5xx
 *			    is the caller's to judge);
 *	  OCI_HTTP_TEMPFAIL no answer, for a reason that may pass: connection refused
 *			    or reset, DNS failure, timeout, an answer cut short;
 *	  OCI_HTTP_ERROR    no answer, and trying again would not help: signing
 *			    failed, body over body_max, certificate not trusted, a
 *			    header value over its bound, a malformed URL.
 *	with one line in err naming the method, the URL and the reason.
 */
#ifndef EDG_OCI_HTTP_H
#define EDG_OCI_HTTP_H

#include <stddef.h>

#include "oci_sign.h"

#define OCI_HTTP_BODY_MAX        (16 * 1024 * 1024) /* a 1000-item page is under 2 MB */
#define OCI_HTTP_REQUEST_ID_SIZE 256
#define OCI_HTTP_PAGE_TOKEN_MAX  8192

struct oci_http;

struct oci_http_options {
	const char *ca_file;          /* NULL or "": the system's CA store */
	const char *proxy;            /* NULL or "": libcurl's default (the environment) */
	long long connect_timeout_ms; /* <= 0: libcurl's default (300 s) */
	long long timeout_ms;         /* whole request; <= 0: none */
	size_t body_max;              /* 0: OCI_HTTP_BODY_MAX */
};

struct oci_http_response {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated (the NUL not counted in body_len); never NULL */
	size_t body_len;
	char request_id[OCI_HTTP_REQUEST_ID_SIZE]; /* "" when absent; control bytes as '?' */
	char *next_page;                           /* opc-next-page, NULL when absent */
	long long total_items;                     /* opc-total-items, -1 when absent */
	long long retry_after_s;                   /* Retry-After in seconds, -1 when absent */
	long connections; /* connections opened for it: 0 when one was reused */
};

enum oci_http_result { OCI_HTTP_OK = 0, OCI_HTTP_TEMPFAIL = -1, OCI_HTTP_ERROR = -2 };

struct oci_http *oci_http_new(const struct oci_signer *signer,
                              const struct oci_http_options *options, char *err, size_t errsize);
void oci_http_free(struct oci_http *http);
enum oci_http_result oci_http_request(struct oci_http *http, const char *method, const char *url,
                                      const void *body, size_t body_len,
                                      struct oci_http_response *response, char *err,
                                      size_t errsize);
void oci_http_response_free(struct oci_http_response *response);

#endif
