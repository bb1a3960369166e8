/*
 * oci_sign.h - sign OCI API requests (HTTP Signatures, version 1, rsa-sha256)
 *
 * SYNOPSIS
 *	#include "oci_sign.h"
 *
 *	struct oci_signer *oci_signer_open(const struct oci_cred *cred, char *err,
 *					   size_t errsize);
 *	struct oci_signer *oci_signer_new(const char *key_id, EVP_PKEY *key);
 *	const char *oci_signer_key_id(const struct oci_signer *signer);
 *	void oci_signer_free(struct oci_signer *signer);
 *
 *	int  oci_sign_request(const struct oci_signer *signer, const char *method,
 *			      const char *url, const char *date, const void *body,
 *			      size_t body_len, const char *content_type,
 *			      struct oci_signed_request *out, char *err, size_t errsize);
 *	void oci_signed_request_free(struct oci_signed_request *req);
 *	char *oci_sign_string(const char *method, const char *url, const char *date,
 *			      const void *body, size_t body_len, const char *content_type,
 *			      char *err, size_t errsize);
 *	int  oci_sign_date(time_t when, char *out, size_t outsize);
 *
 * DESCRIPTION
 *	A signer pairs the keyId "tenancy/user/fingerprint" with the RSA private key.
 *	oci_signer_open() builds one from credentials as a daemon must: the credentials
 *	pass oci_cred_check(), the key file passes oci_key_load_file() (mode, pass
 *	phrase) and its fingerprint must equal the configured one, else NULL and err.
 *	oci_signer_new() is the bare constructor for callers that made those decisions
 *	themselves (edgctl oci-sign may skip the fingerprint check); it takes its own
 *	reference on key and returns NULL when key_id is empty, longer than 1 KB, or
 *	holds '"', a control character or a non-ASCII byte. The keyId uses the key's
 *	own (lowercase) spelling of the fingerprint when oci_signer_open() built it.
 *	A signer is immutable: threads may share it.
 *
 *	oci_sign_request() signs one request. url is "scheme://host[:port]/path?query"
 *	(http or https; a "#fragment" is not sent and not signed). The path and query
 *	are signed exactly as given: nothing is decoded or re-encoded, so the caller must
 *	send the same bytes (percent-encode ':' in RFC 3339 query values identically in
 *	both). The host header is the URL's host and port, the port left out when it is
 *	the scheme's default (443, 80), as HTTP clients send it. method is compared
 *	without regard to ASCII case and signed in lowercase. date is an RFC 1123 date
 *	("Thu, 05 Jan 2014 21:31:40 GMT") signed literally; NULL means now. The
 *	date must be within 5 minutes of OCI's clock or OCI answers 401.
 *
 *	GET, HEAD, DELETE and other methods sign "date (request-target) host"; POST, PUT
 *	and PATCH also sign "content-length content-type x-content-sha256", always, even
 *	for an empty body (body may then be NULL). content_type NULL means
 *	"application/json". The body is ignored for methods that do not sign it.
 *
 *	The signing string is the "name: value" lines joined by "\n", without a final
 *	newline; the signature is RSASSA-PKCS1-v1_5 over SHA-256, in base64 without
 *	newlines.
 *
 *	oci_sign_string() returns the signing string alone, for tests and debugging.
 *	oci_sign_date() formats a time as the RFC 1123 GMT date OCI expects, in the C
 *	locale whatever the process locale is; outsize must be at least
 *	OCI_SIGN_DATE_SIZE.
 *
 * OWNERSHIP
 *	out is filled with strings the caller owns and releases with
 *	oci_signed_request_free(), which zeroes the struct. On failure out holds
 *	nothing to free (it is zeroed). oci_sign_string() returns a string the caller
 *	frees. oci_signer_free() releases the signer and its reference on the key.
 *
 * DIAGNOSTICS
 *	oci_sign_request() returns 0, or -1 with one line in err: a malformed method,
 *	URL, date or content type (a CR, LF or other control character is refused: it
 *	would inject a header), or an OpenSSL failure. oci_sign_string() returns NULL
 *	the same way.
 */
#ifndef EDG_OCI_SIGN_H
#define EDG_OCI_SIGN_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

#include "oci_cred.h"

#define OCI_SIGN_URL_MAX    16384 /* bytes of a URL we agree to sign */
#define OCI_SIGN_DATE_SIZE  32    /* "Thu, 05 Jan 2014 21:31:40 GMT" and a NUL */
#define OCI_SIGN_HEADER_MAX 6     /* header lines a signed request sends */

struct oci_signer;

struct oci_signed_request {
	char *authorization;  /* the Authorization header's value */
	char *signing_string; /* what was signed */
	char *header_names;   /* the headers="..." list, e.g. "date (request-target) host" */
	/* The header lines to send, "name: value" as curl_slist_append() takes them:
	 * date, host, [content-length, content-type, x-content-sha256,] authorization. */
	char *header[OCI_SIGN_HEADER_MAX];
	size_t header_count;
};

struct oci_signer *oci_signer_open(const struct oci_cred *cred, char *err, size_t errsize);
struct oci_signer *oci_signer_new(const char *key_id, EVP_PKEY *key);
const char *oci_signer_key_id(const struct oci_signer *signer);
void oci_signer_free(struct oci_signer *signer);

int oci_sign_request(const struct oci_signer *signer, const char *method, const char *url,
                     const char *date, const void *body, size_t body_len, const char *content_type,
                     struct oci_signed_request *out, char *err, size_t errsize);
void oci_signed_request_free(struct oci_signed_request *req);
char *oci_sign_string(const char *method, const char *url, const char *date, const void *body,
                      size_t body_len, const char *content_type, char *err, size_t errsize);
int oci_sign_date(time_t when, char *out, size_t outsize);

#endif
