/*
 * fuzz_oci_sign.c - libFuzzer target for the OCI signing inputs: URLs, OCI CLI
 * config files, PEM keys
 *
 * DESCRIPTION
 *	The first byte picks the parser, the rest is its input:
 *
 *	0  oci_sign_string(): the input is "METHOD\nURL\nDATE\nCONTENT-TYPE\nBODY"
 *	   (missing lines are empty: an empty date or content type means the
 *	   default). On success the signing string must hold the request target line
 *	   starting with the lowercase method, a host line, no control byte but the
 *	   line breaks, and the body headers exactly for POST, PUT and PATCH.
 *	1  oci_cred_parse_oci_config(): the first line names the profile (empty:
 *	   DEFAULT), the rest is the file. A success must leave the credentials in a
 *	   state oci_cred_check() can judge; a failure must say why.
 *	2  oci_key_parse_pem(), with the pass phrase "fuzzpass" when the second byte
 *	   is odd: a key must be RSA and give a 47-character fingerprint.
 *
 *	Seeds: tests/fuzz/seeds/fuzz_oci_sign/ (the published signing vectors' URLs,
 *	OCI CLI files with profiles, plain and encrypted PKCS#1 and PKCS#8 keys).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

#include "log.h"
#include "oci_cred.h"
#include "oci_key.h"
#include "oci_sign.h"

#define FUZZ_FIELDS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_require(int condition)
{
	if (!condition)
		abort();
}

/* Split "a\nb\nc\nd\nrest" into NUL-terminated copies; the rest is the body. */
static char *
fuzz_fields(const uint8_t *data, size_t size, char *field[FUZZ_FIELDS], const char **body,
            size_t *body_len)
{
	char *copy = malloc(size + 1), *p = copy, *end = copy + size;

	memcpy(copy, data, size);
	copy[size] = '\0';
	for (int i = 0; i < FUZZ_FIELDS; i++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		field[i] = p;
		if (nl == NULL) {
			p = end;
			continue;
		}
		*nl = '\0';
		p = nl + 1;
	}
	*body = p;
	*body_len = (size_t)(end - p);
	return copy;
}

static int
fuzz_has_body(const char *method)
{
	return strcasecmp(method, "POST") == 0 || strcasecmp(method, "PUT") == 0 ||
	       strcasecmp(method, "PATCH") == 0;
}

static void
fuzz_check_signing_string(const char *text, const char *method)
{
	/* At a line start: a date may hold the words "(request-target): " too. */
	const char *target = strstr(text, "\n(request-target): ");

	fuzz_require(target != NULL && strstr(text, "\nhost: ") != NULL);
	target += strlen("\n(request-target): ");
	for (size_t i = 0; method[i] != '\0'; i++)
		fuzz_require(target[i] == (char)(method[i] | 0x20));
	fuzz_require(target[strlen(method)] == ' ');
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		fuzz_require(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	fuzz_require((strstr(text, "\nx-content-sha256: ") != NULL) == fuzz_has_body(method));
}

static void
fuzz_sign(const uint8_t *data, size_t size)
{
	char *field[FUZZ_FIELDS], *copy, err[256] = "", *text;
	const char *body;
	size_t body_len;

	copy = fuzz_fields(data, size, field, &body, &body_len);
	text = oci_sign_string(field[0], field[1],
	                       field[2][0] ? field[2] : "Thu, 05 Jan 2014 21:31:40 GMT", body,
	                       body_len, field[3][0] ? field[3] : NULL, err, sizeof(err));
	if (text != NULL)
		fuzz_check_signing_string(text, field[0]);
	else
		fuzz_require(err[0] != '\0');
	free(text);
	free(copy);
}

static void
fuzz_oci_config(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t profile_len = nl ? (size_t)(nl - data) : size;
	char *profile = strndup((const char *)data, profile_len), err[512] = "";
	struct oci_cred cred = {0};
	size_t rest = nl ? size - profile_len - 1 : 0;

	if (oci_cred_parse_oci_config(nl ? (const char *)nl + 1 : "", rest,
	                              profile[0] ? profile : NULL, &cred, err, sizeof(err)) == 0)
		oci_cred_check(&cred, err, sizeof(err));
	else
		fuzz_require(err[0] != '\0');
	oci_cred_free(&cred);
	free(profile);
	log_secret_clear(); /* pass phrases registered by oci_cred_set() */
}

static void
fuzz_pem(const uint8_t *data, size_t size)
{
	char err[512] = "", fingerprint[OCI_KEY_FINGERPRINT_SIZE];
	EVP_PKEY *key = NULL;
	int with_pass = size > 0 && (data[0] & 1);

	if (size > 0)
		data++, size--;
	if (oci_key_parse_pem(data, size, with_pass ? "fuzzpass" : NULL, "fuzz.pem", &key, err,
	                      sizeof(err)) == 0) {
		fuzz_require(key != NULL && EVP_PKEY_base_id(key) == EVP_PKEY_RSA);
		fuzz_require(oci_key_fingerprint(key, fingerprint) == 0 &&
		             strlen(fingerprint) == 47);
		EVP_PKEY_free(key);
	} else
		fuzz_require(key == NULL && err[0] != '\0');
	fuzz_require(ERR_peek_error() == 0); /* oci_key.h: the error queue is left empty */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 256 * 1024)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_sign(data + 1, size - 1);
		break;
	case 1:
		fuzz_oci_config(data + 1, size - 1);
		break;
	default:
		fuzz_pem(data + 1, size - 1);
		break;
	}
	return 0;
}
