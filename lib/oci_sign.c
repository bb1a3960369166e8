/*
 * oci_sign.c - sign OCI API requests (HTTP Signatures, version 1, rsa-sha256)
 *
 * See oci_sign.h. A request is first reduced to its signed headers (struct
 * oci_sign_parts: names in signing order, values owned), from which the signing
 * string, the headers="..." list and the lines to send are all derived: one list,
 * so the three can never disagree on order. Every value that ends up in a header is
 * checked for control characters first, because a CR or LF in a URL, date or
 * content type would let a caller's input inject a header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "oci_key.h"
#include "oci_sign.h"
#include "xalloc.h"

#define OCI_SIGN_SIGNED_MAX       6 /* date (request-target) host + the three body headers */
#define OCI_SIGN_METHOD_MAX       16
#define OCI_SIGN_DATE_MAX         64
#define OCI_SIGN_CONTENT_TYPE_MAX 256
#define OCI_SIGN_KEY_ID_MAX       1024 /* two OCIDs (at most 255 each) and a fingerprint */
#define OCI_SIGN_DEFAULT_TYPE     "application/json"
#define OCI_SIGN_TARGET           "(request-target)"

struct oci_signer {
	char *key_id; /* tenancy/user/fingerprint */
	EVP_PKEY *key;
};

/* The signed headers of one request, in signing order. */
struct oci_sign_parts {
	const char *name[OCI_SIGN_SIGNED_MAX];
	char *value[OCI_SIGN_SIGNED_MAX];
	size_t count;
};

static void
oci_sign_parts_add(struct oci_sign_parts *parts, const char *name, char *value)
{
	parts->name[parts->count] = name;
	parts->value[parts->count] = value;
	parts->count++;
}

static void
oci_sign_parts_free(struct oci_sign_parts *parts)
{
	for (size_t i = 0; i < parts->count; i++)
		free(parts->value[i]);
	parts->count = 0;
}

/* Printable ASCII only, 1..max bytes: what may go into a header value. */
static int
oci_sign_text_ok(const char *text, size_t max)
{
	size_t len = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++, len++)
		if (*p < 0x20 || *p > 0x7e || len >= max)
			return 0;
	return len > 0;
}

static int
oci_sign_method_ok(const char *method)
{
	size_t len = strlen(method);

	if (len == 0 || len > OCI_SIGN_METHOD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((method[i] >= 'A' && method[i] <= 'Z') ||
		      (method[i] >= 'a' && method[i] <= 'z')))
			return 0;
	return 1;
}

/* OCI signs the body only for the methods that carry one. */
static int
oci_sign_has_body(const char *method)
{
	return strcasecmp(method, "POST") == 0 || strcasecmp(method, "PUT") == 0 ||
	       strcasecmp(method, "PATCH") == 0;
}

/* Parse ":port" digits; 0 when absent or malformed. */
static unsigned
oci_sign_port(const char *digits, size_t len)
{
	unsigned port = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (digits[i] < '0' || digits[i] > '9')
			return 0;
		port = port * 10 + (unsigned)(digits[i] - '0');
	}
	return port <= 65535 ? port : 0;
}

/* The host header from the URL's authority: host[:port], a default port dropped. */
static char *
oci_sign_host(const char *auth, size_t len, unsigned default_port, char *err, size_t errsize)
{
	const char *end = auth + len, *host_end, *bracket;
	unsigned port;

	if (memchr(auth, '@', len) != NULL) {
		snprintf(err, errsize, "URL: user information before the host is not allowed");
		return NULL;
	}
	if (len > 0 && auth[0] == '[') { /* IPv6 literal: a port may follow the ']' */
		host_end = (bracket = memchr(auth, ']', len)) ? bracket + 1 : NULL;
		if (host_end != NULL && host_end < end && *host_end != ':')
			host_end = NULL;
	} else if ((host_end = memchr(auth, ':', len)) == NULL)
		host_end = end;
	if (host_end == NULL || host_end == auth) {
		snprintf(err, errsize, "URL: no valid host");
		return NULL;
	}
	if (host_end == end)
		return xstrndup(auth, len);
	if ((port = oci_sign_port(host_end + 1, (size_t)(end - host_end - 1))) == 0) {
		snprintf(err, errsize, "URL: invalid port");
		return NULL;
	}
	return xstrndup(auth, port == default_port ? (size_t)(host_end - auth) : len);
}

/* Split url into the host header and the path?query as sent ("/" when empty). */
static int
oci_sign_url_split(const char *url, char **host, char **target, char *err, size_t errsize)
{
	const char *auth, *path, *fragment;
	unsigned default_port;

	if (!oci_sign_text_ok(url, OCI_SIGN_URL_MAX) || strchr(url, ' ') != NULL) {
		snprintf(err, errsize, "URL: empty, too long, or with a byte to percent-encode");
		return -1;
	}
	if (strncasecmp(url, "https://", 8) == 0)
		auth = url + 8, default_port = 443;
	else if (strncasecmp(url, "http://", 7) == 0)
		auth = url + 7, default_port = 80;
	else {
		snprintf(err, errsize, "URL: the scheme must be https:// or http://");
		return -1;
	}
	path = auth + strcspn(auth, "/?#");
	*host = oci_sign_host(auth, (size_t)(path - auth), default_port, err, errsize);
	if (*host == NULL)
		return -1;
	fragment = path + strcspn(path, "#");
	*target = xasprintf("%s%.*s", *path == '/' ? "" : "/", (int)(fragment - path), path);
	return 0;
}

static char *
oci_sign_base64(const unsigned char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static char *
oci_sign_body_sha256(const void *body, size_t body_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (!EVP_Digest(body ? body : "", body_len, md, &md_len, EVP_sha256(), NULL)) {
		ERR_clear_error();
		return NULL;
	}
	return oci_sign_base64(md, md_len);
}

static char *
oci_sign_request_target(const char *method, const char *target)
{
	char lower[OCI_SIGN_METHOD_MAX + 1];
	size_t i;

	for (i = 0; method[i] != '\0' && i < OCI_SIGN_METHOD_MAX; i++)
		lower[i] = (char)(method[i] | 0x20); /* letters only: checked */
	lower[i] = '\0';
	return xasprintf("%s %s", lower, target);
}

/* Check the inputs that go into header values; say which one is wrong. */
static int
oci_sign_check_inputs(const char *method, const char *date, const void *body, size_t body_len,
                      const char *content_type, char *err, size_t errsize)
{
	if (method == NULL || !oci_sign_method_ok(method)) {
		snprintf(err, errsize, "method: 1 to %d ASCII letters expected",
		         OCI_SIGN_METHOD_MAX);
		return -1;
	}
	if (date != NULL && !oci_sign_text_ok(date, OCI_SIGN_DATE_MAX)) {
		snprintf(err, errsize, "date: empty, too long, or holds a control character");
		return -1;
	}
	if (content_type != NULL && !oci_sign_text_ok(content_type, OCI_SIGN_CONTENT_TYPE_MAX)) {
		snprintf(err, errsize,
		         "content type: empty, too long, or holds a control character");
		return -1;
	}
	if (body == NULL && body_len > 0) {
		snprintf(err, errsize, "body: NULL with a length of %zu", body_len);
		return -1;
	}
	return 0;
}

/* The body headers, for the methods that sign them. */
static int
oci_sign_add_body(struct oci_sign_parts *parts, const void *body, size_t body_len,
                  const char *content_type, char *err, size_t errsize)
{
	char *sha256 = oci_sign_body_sha256(body, body_len);

	if (sha256 == NULL) {
		snprintf(err, errsize, "cannot compute the body's SHA-256");
		return -1;
	}
	oci_sign_parts_add(parts, "content-length", xasprintf("%zu", body_len));
	oci_sign_parts_add(parts, "content-type",
	                   xstrdup(content_type ? content_type : OCI_SIGN_DEFAULT_TYPE));
	oci_sign_parts_add(parts, "x-content-sha256", sha256);
	return 0;
}

static int
oci_sign_prepare(const char *method, const char *url, const char *date, const void *body,
                 size_t body_len, const char *content_type, struct oci_sign_parts *parts, char *err,
                 size_t errsize)
{
	char now[OCI_SIGN_DATE_SIZE], *host, *target;

	parts->count = 0;
	if (oci_sign_check_inputs(method, date, body, body_len, content_type, err, errsize) < 0)
		return -1;
	if (date == NULL && oci_sign_date(time(NULL), now, sizeof(now)) < 0) {
		snprintf(err, errsize, "cannot format the current date");
		return -1;
	}
	if (url == NULL || oci_sign_url_split(url, &host, &target, err, errsize) < 0)
		return -1;
	oci_sign_parts_add(parts, "date", xstrdup(date ? date : now));
	oci_sign_parts_add(parts, OCI_SIGN_TARGET, oci_sign_request_target(method, target));
	oci_sign_parts_add(parts, "host", host);
	free(target);
	if (oci_sign_has_body(method) &&
	    oci_sign_add_body(parts, body, body_len, content_type, err, errsize) < 0) {
		oci_sign_parts_free(parts);
		return -1;
	}
	return 0;
}

/* Join the parts: "name: value" lines by '\n' (signing string), or names by ' '.
 * At most OCI_SIGN_SIGNED_MAX parts: rebuilding the string each time costs nothing. */
static char *
oci_sign_join(const struct oci_sign_parts *parts, int with_values)
{
	char *out = xstrdup(""), *longer;

	for (size_t i = 0; i < parts->count; i++) {
		if (with_values)
			longer = xasprintf("%s%s%s: %s", out, i ? "\n" : "", parts->name[i],
			                   parts->value[i]);
		else
			longer = xasprintf("%s%s%s", out, i ? " " : "", parts->name[i]);
		free(out);
		out = longer;
	}
	return out;
}

/* RSASSA-PKCS1-v1_5 with SHA-256, in base64; NULL when OpenSSL fails. */
static char *
oci_sign_rsa_sha256(EVP_PKEY *key, const char *data)
{
	const unsigned char *bytes = (const unsigned char *)data;
	size_t len = strlen(data), sig_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	char *b64 = NULL;

	/* PKCS#1 v1.5 is OpenSSL's default for RSA; said anyway, it is the contract. */
	if (ctx != NULL && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_DigestSign(ctx, NULL, &sig_len, bytes, len) == 1) {
		sig = xmalloc(sig_len);
		if (EVP_DigestSign(ctx, sig, &sig_len, bytes, len) == 1)
			b64 = oci_sign_base64(sig, sig_len);
	}
	free(sig);
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return b64;
}

/* The lines to send: every signed header but (request-target), then Authorization. */
static void
oci_sign_header_lines(const struct oci_sign_parts *parts, struct oci_signed_request *out)
{
	for (size_t i = 0; i < parts->count; i++)
		if (strcmp(parts->name[i], OCI_SIGN_TARGET) != 0)
			out->header[out->header_count++] =
			    xasprintf("%s: %s", parts->name[i], parts->value[i]);
	out->header[out->header_count++] = xasprintf("authorization: %s", out->authorization);
}

int
oci_sign_request(const struct oci_signer *signer, const char *method, const char *url,
                 const char *date, const void *body, size_t body_len, const char *content_type,
                 struct oci_signed_request *out, char *err, size_t errsize)
{
	struct oci_sign_parts parts;
	char *signature;

	memset(out, 0, sizeof(*out));
	if (oci_sign_prepare(method, url, date, body, body_len, content_type, &parts, err,
	                     errsize) < 0)
		return -1;
	out->signing_string = oci_sign_join(&parts, 1);
	out->header_names = oci_sign_join(&parts, 0);
	if ((signature = oci_sign_rsa_sha256(signer->key, out->signing_string)) == NULL) {
		snprintf(err, errsize, "OpenSSL cannot sign with this key");
		oci_sign_parts_free(&parts);
		oci_signed_request_free(out);
		return -1;
	}
	out->authorization = xasprintf("Signature version=\"1\",headers=\"%s\",keyId=\"%s\","
	                               "algorithm=\"rsa-sha256\",signature=\"%s\"",
	                               out->header_names, signer->key_id, signature);
	free(signature);
	oci_sign_header_lines(&parts, out);
	oci_sign_parts_free(&parts);
	return 0;
}

void
oci_signed_request_free(struct oci_signed_request *req)
{
	free(req->authorization);
	free(req->signing_string);
	free(req->header_names);
	for (size_t i = 0; i < req->header_count; i++)
		free(req->header[i]);
	memset(req, 0, sizeof(*req));
}

char *
oci_sign_string(const char *method, const char *url, const char *date, const void *body,
                size_t body_len, const char *content_type, char *err, size_t errsize)
{
	struct oci_sign_parts parts;
	char *signing_string;

	if (oci_sign_prepare(method, url, date, body, body_len, content_type, &parts, err,
	                     errsize) < 0)
		return NULL;
	signing_string = oci_sign_join(&parts, 1);
	oci_sign_parts_free(&parts);
	return signing_string;
}

int
oci_sign_date(time_t when, char *out, size_t outsize)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	int len;

	/* strftime's %a and %b follow the locale; HTTP dates never do. */
	if (gmtime_r(&when, &tm) == NULL || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return -1;
	len = snprintf(out, outsize, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	               tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	               tm.tm_sec);
	return len > 0 && (size_t)len < outsize ? 0 : -1;
}

struct oci_signer *
oci_signer_new(const char *key_id, EVP_PKEY *key)
{
	struct oci_signer *signer;

	if (key_id == NULL || key == NULL || !oci_sign_text_ok(key_id, OCI_SIGN_KEY_ID_MAX) ||
	    strchr(key_id, '"') != NULL || EVP_PKEY_up_ref(key) != 1)
		return NULL;
	signer = xmalloc(sizeof(*signer));
	signer->key_id = xstrdup(key_id);
	signer->key = key;
	return signer;
}

struct oci_signer *
oci_signer_open(const struct oci_cred *cred, char *err, size_t errsize)
{
	char fingerprint[OCI_KEY_FINGERPRINT_SIZE], *key_id;
	struct oci_signer *signer = NULL;
	EVP_PKEY *key;

	if (oci_cred_check(cred, err, errsize) < 0 ||
	    oci_key_load_file(cred->key_file, cred->pass_phrase, &key, err, errsize) < 0)
		return NULL;
	if (oci_key_check_fingerprint(key, cred->fingerprint, cred->key_file, err, errsize) == 0 &&
	    oci_key_fingerprint(key, fingerprint) == 0) {
		/* The key's own spelling (lowercase), whatever case the configuration used. */
		key_id = xasprintf("%s/%s/%s", cred->tenancy, cred->user, fingerprint);
		if ((signer = oci_signer_new(key_id, key)) == NULL)
			snprintf(err, errsize, "OCI credentials: cannot build the keyId");
		free(key_id);
	}
	EVP_PKEY_free(key);
	return signer;
}

const char *
oci_signer_key_id(const struct oci_signer *signer)
{
	return signer->key_id;
}

void
oci_signer_free(struct oci_signer *signer)
{
	if (signer == NULL)
		return;
	free(signer->key_id);
	EVP_PKEY_free(signer->key);
	free(signer);
}
