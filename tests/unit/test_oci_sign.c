/*
 * test_oci_sign.c - OCI request signing reproduces the published vectors byte for byte
 *
 * The vectors (tests/data/oci-signing-vectors/, see its README.md) are those the OCI
 * SDKs assert. Beyond them: the empty-body hash, host ports, percent-encoding kept
 * as sent, method case, the header lines to send, and refusal of header injection.
 * Run from the repository root (make unit does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/pem.h>

#include "oci_key.h"
#include "oci_sign.h"
#include "xalloc.h"

#define VECTORS "tests/data/oci-signing-vectors/"
#define DATE    "Thu, 05 Jan 2014 21:31:40 GMT"
#define KEY_ID                                                                                     \
	"ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/"         \
	"ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/"             \
	"20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
#define GET_URL                                                                                    \
	"https://iaas.us-phoenix-1.oraclecloud.com/20160918/"                                      \
	"instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1.."    \
	"aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&" \
	"volumeId=ocid1.volume.oc1.phx."                                                           \
	"abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q"
#define POST_URL "https://iaas.us-phoenix-1.oraclecloud.com/20160918/volumeAttachments"
#define GET_SIGNATURE                                                                              \
	"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZ" \
	"AHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M="
#define POST_SIGNATURE                                                                             \
	"Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhq" \
	"locMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso="
#define EMPTY_SHA256 "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static char *
read_vector(const char *name, size_t *len)
{
	char path[256];
	FILE *fp;
	char *buf = xmalloc(65536);

	snprintf(path, sizeof(path), VECTORS "%s", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	*len = fread(buf, 1, 65535, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static int
setup_signer(void **state)
{
	size_t len;
	char *pem = read_vector("private-key.pem", &len), err[256];
	EVP_PKEY *key;

	assert_int_equal(oci_key_parse_pem(pem, len, NULL, "vector key", &key, err, sizeof(err)),
	                 0);
	free(pem);
	*state = oci_signer_new(KEY_ID, key);
	EVP_PKEY_free(key); /* the signer holds its own reference */
	return *state == NULL;
}

static int
teardown_signer(void **state)
{
	oci_signer_free(*state);
	return 0;
}

/* Sign, asserting success; the caller frees req. */
static void
sign_ok(void **state, const char *method, const char *url, const void *body, size_t len,
        const char *type, struct oci_signed_request *req)
{
	char err[256] = "";

	if (oci_sign_request(*state, method, url, DATE, body, len, type, req, err, sizeof(err)))
		fail_msg("signing %s %s failed: %s", method, url, err);
}

/* The signing string alone, asserting success; the caller frees it. */
static char *
string_ok(const char *method, const char *url, const void *body, size_t len)
{
	char err[256] = "",
	     *s = oci_sign_string(method, url, DATE, body, len, NULL, err, sizeof(err));

	if (s == NULL)
		fail_msg("signing string for %s %s failed: %s", method, url, err);
	return s;
}

static void
test_vector_get_signing_string(void **state)
{
	size_t len;
	char *want = read_vector("get-signing-string.txt", &len),
	     *got = string_ok("GET", GET_URL, NULL, 0);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void
test_vector_get_authorization(void **state)
{
	struct oci_signed_request req;

	sign_ok(state, "GET", GET_URL, NULL, 0, NULL, &req);
	assert_string_equal(
	    req.authorization,
	    "Signature version=\"1\",headers=\"date (request-target) host\",keyId=\"" KEY_ID
	    "\",algorithm=\"rsa-sha256\",signature=\"" GET_SIGNATURE "\"");
	assert_string_equal(req.header_names, "date (request-target) host");
	assert_int_equal(req.header_count, 3);
	assert_string_equal(req.header[0], "date: " DATE);
	assert_string_equal(req.header[1], "host: iaas.us-phoenix-1.oraclecloud.com");
	assert_string_equal(req.header[2] + strlen("authorization: "), req.authorization);
	oci_signed_request_free(&req);
	assert_null(req.authorization);
}

static void
test_vector_post(void **state)
{
	struct oci_signed_request req;
	size_t len, want_len;
	char *body = read_vector("post-body.json", &len);
	char *want = read_vector("post-signing-string.txt", &want_len);

	assert_int_equal(len, 316);
	sign_ok(state, "POST", POST_URL, body, len, "application/json", &req);
	assert_string_equal(req.signing_string, want);
	assert_string_equal(req.authorization,
	                    "Signature version=\"1\",headers=\"date (request-target) host "
	                    "content-length content-type x-content-sha256\",keyId=\"" KEY_ID
	                    "\",algorithm=\"rsa-sha256\",signature=\"" POST_SIGNATURE "\"");
	assert_int_equal(req.header_count, 6);
	assert_string_equal(req.header[2], "content-length: 316");
	assert_string_equal(req.header[3], "content-type: application/json");
	assert_string_equal(req.header[4],
	                    "x-content-sha256: V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=");
	assert_true(strncmp(req.header[5], "authorization: Signature ", 25) == 0);
	oci_signed_request_free(&req);
	free(body);
	free(want);
}

static void
test_empty_body_headers(void **state)
{
	static const char *const methods[] = {"POST", "PUT", "PATCH", "post"};
	struct oci_signed_request req;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		sign_ok(state, methods[i], "https://h.example/x", NULL, 0, NULL, &req);
		assert_int_equal(req.header_count, 6);
		assert_string_equal(req.header[2], "content-length: 0");
		assert_string_equal(req.header[3], "content-type: application/json");
		assert_string_equal(req.header[4], "x-content-sha256: " EMPTY_SHA256);
		oci_signed_request_free(&req);
	}
}

static void
test_bodyless_methods(void **state)
{
	static const char *const methods[] = {"GET", "DELETE", "HEAD", "delete"};
	struct oci_signed_request req;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		/* A body given to a method that does not sign one is ignored. */
		sign_ok(state, methods[i], "https://h.example/x", "{}", 2, NULL, &req);
		assert_string_equal(req.header_names, "date (request-target) host");
		assert_int_equal(req.header_count, 3);
		oci_signed_request_free(&req);
	}
}

static void
test_host_ports(void **state)
{
	static const struct {
		const char *url, *host_line;
	} cases[] = {
	    {"http://localhost:7000/x", "host: localhost:7000"},
	    {"https://h.example:443/x", "host: h.example"},
	    {"http://h.example:80/x", "host: h.example"},
	    {"https://h.example:80/x", "host: h.example:80"},
	    {"http://h.example:443/x", "host: h.example:443"},
	    {"https://[::1]:8443/x", "host: [::1]:8443"},
	    {"https://[::1]/x", "host: [::1]"},
	    {"HTTPS://Ctrl.Email.Example:8443", "host: Ctrl.Email.Example:8443"},
	};
	struct oci_signed_request req;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sign_ok(state, "GET", cases[i].url, NULL, 0, NULL, &req);
		assert_string_equal(req.header[1], cases[i].host_line);
		oci_signed_request_free(&req);
	}
}

static void
test_request_target_as_sent(void **state)
{
	static const struct {
		const char *method, *url, *target_line;
	} cases[] = {
	    {"GET",
	     "https://h/20170907/suppressions?timeCreatedGreaterThanOrEqualTo="
	     "2016-12-19T16%3A39%3A57.600Z&limit=1000",
	     "(request-target): get /20170907/suppressions?timeCreatedGreaterThanOrEqualTo="
	     "2016-12-19T16%3A39%3A57.600Z&limit=1000"},
	    {"GET", "https://h/a%2fb?x=%7e", "(request-target): get /a%2fb?x=%7e"},
	    {"get", "https://h", "(request-target): get /"},
	    {"Get", "https://h?x=1", "(request-target): get /?x=1"},
	    {"DELETE", "https://h/s/ocid1.x#frag", "(request-target): delete /s/ocid1.x"},
	    {"GET", "https://h/p?q#f?g", "(request-target): get /p?q"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = string_ok(cases[i].method, cases[i].url, NULL, 0);
		char *line = strchr(s, '\n') + 1;

		assert_int_equal(strncmp(line, cases[i].target_line, strlen(cases[i].target_line)),
		                 0);
		assert_int_equal(line[strlen(cases[i].target_line)], '\n');
		free(s);
	}
}

static void
test_method_case_same_signature(void **state)
{
	struct oci_signed_request upper, lower;

	sign_ok(state, "GET", GET_URL, NULL, 0, NULL, &upper);
	sign_ok(state, "get", GET_URL, NULL, 0, NULL, &lower);
	assert_string_equal(upper.authorization, lower.authorization);
	oci_signed_request_free(&upper);
	oci_signed_request_free(&lower);
}

static void
test_refused_inputs(void **state)
{
	static const struct {
		const char *method, *url, *date, *type;
	} cases[] = {
	    {"GET", "ftp://h/x", DATE, NULL},
	    {"GET", "https://h/a b", DATE, NULL},
	    {"GET", "https://h/a\r\nX-Injected: 1", DATE, NULL},
	    {"GET", "https://user:pw@h/x", DATE, NULL},
	    {"GET", "https://h:0/x", DATE, NULL},
	    {"GET", "https://h:65536/x", DATE, NULL},
	    {"GET", "https://h:/x", DATE, NULL},
	    {"GET", "https://h:12a/x", DATE, NULL},
	    {"GET", "https:///x", DATE, NULL},
	    {"GET", "https://[::1/x", DATE, NULL},
	    {"GET", "https://[::1]x/x", DATE, NULL},
	    {"GET", "", DATE, NULL},
	    {"GE T", "https://h/x", DATE, NULL},
	    {"", "https://h/x", DATE, NULL},
	    {"GETGETGETGETGETGET", "https://h/x", DATE, NULL},
	    {"GET", "https://h/x", "Thu\r\nX-Injected: 1", NULL},
	    {"GET", "https://h/x", "", NULL},
	    {"POST", "https://h/x", DATE, "text/plain\nX: 1"},
	    {"GET", "https://h/caf\xc3\xa9", DATE, NULL},
	};
	struct oci_signed_request req;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		memset(&req, 0xa5, sizeof(req));
		assert_int_equal(oci_sign_request(*state, cases[i].method, cases[i].url,
		                                  cases[i].date, NULL, 0, cases[i].type, &req, err,
		                                  sizeof(err)),
		                 -1);
		assert_true(err[0] != '\0');
		assert_null(req.authorization); /* nothing to free on failure */
		assert_int_equal(req.header_count, 0);
	}
	assert_int_equal(oci_sign_request(*state, "POST", "https://h/x", DATE, NULL, 5, NULL, &req,
	                                  err, sizeof(err)),
	                 -1);
	assert_null(oci_sign_string(NULL, "https://h/x", DATE, NULL, 0, NULL, err, sizeof(err)));
	assert_null(oci_sign_string("GET", NULL, DATE, NULL, 0, NULL, err, sizeof(err)));
}

static void
test_date(void **state)
{
	char date[OCI_SIGN_DATE_SIZE], err[256], *s;

	/* The published vector's date says Thu, but 5 January 2014 was a Sunday: the
	 * vector is signed literally, our own dates carry the true weekday. */
	assert_int_equal(oci_sign_date(1388957500, date, sizeof(date)), 0);
	assert_string_equal(date, "Sun, 05 Jan 2014 21:31:40 GMT");
	assert_int_equal(oci_sign_date(0, date, sizeof(date)), 0);
	assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(oci_sign_date(0, date, 10), -1);
	/* No date given: now, in the same shape. */
	s = oci_sign_string("GET", "https://h/", NULL, NULL, 0, NULL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(strncmp(s, "date: ", 6), 0);
	assert_int_equal(strchr(s, '\n') - s, 6 + strlen(DATE));
	assert_int_equal(strncmp(strchr(s, '\n') - 4, " GMT", 4), 0);
	free(s);
}

/* The signature verifies with the public key through OpenSSL's own verifier. */
static void
test_signature_verifies(void **state)
{
	struct oci_signed_request req;
	unsigned char sig[512];
	size_t len;
	char *pem = read_vector("public-key.pem", &len), *b64;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int sig_len;

	assert_non_null(pub);
	sign_ok(state, "PUT", "http://localhost:7000/s?x=%3A", "abc", 3, "text/plain", &req);
	b64 = strstr(req.authorization, "signature=\"") + 11;
	*strchr(b64, '"') = '\0';
	/* EVP_DecodeBlock() counts each '=' of padding as a decoded zero byte. */
	sig_len = EVP_DecodeBlock(sig, (const unsigned char *)b64, (int)strlen(b64));
	sig_len -= (int)(strlen(b64) - strcspn(b64, "="));
	assert_int_equal(sig_len, 128); /* a 1024-bit key */
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, (size_t)sig_len,
	                                  (const unsigned char *)req.signing_string,
	                                  strlen(req.signing_string)),
	                 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);
	BIO_free(bio);
	free(pem);
	oci_signed_request_free(&req);
}

static void
test_signer_key_id(void **state)
{
	assert_string_equal(oci_signer_key_id(*state), KEY_ID);
	assert_null(oci_signer_new("a\"b", NULL));
	oci_signer_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_get_signing_string),
	    cmocka_unit_test(test_vector_get_authorization),
	    cmocka_unit_test(test_vector_post),
	    cmocka_unit_test(test_empty_body_headers),
	    cmocka_unit_test(test_bodyless_methods),
	    cmocka_unit_test(test_host_ports),
	    cmocka_unit_test(test_request_target_as_sent),
	    cmocka_unit_test(test_method_case_same_signature),
	    cmocka_unit_test(test_refused_inputs),
	    cmocka_unit_test(test_date),
	    cmocka_unit_test(test_signature_verifies),
	    cmocka_unit_test(test_signer_key_id),
	};

	return cmocka_run_group_tests(tests, setup_signer, teardown_signer);
}
