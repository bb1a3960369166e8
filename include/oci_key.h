/*
 * oci_key.h - the OCI API signing key: load it, guard its file, name its fingerprint
 *
 * SYNOPSIS
 *	#include "oci_key.h"
 *
 *	int  oci_key_load_file(const char *path, const char *pass_phrase, EVP_PKEY **key,
 *			       char *err, size_t errsize);
 *	int  oci_key_parse_pem(const void *pem, size_t len, const char *pass_phrase,
 *			       const char *name, EVP_PKEY **key, char *err, size_t errsize);
 *	int  oci_key_fingerprint(const EVP_PKEY *key, char out[OCI_KEY_FINGERPRINT_SIZE]);
 *	int  oci_key_check_fingerprint(const EVP_PKEY *key, const char *configured,
 *				       const char *name, char *err, size_t errsize);
 *
 * DESCRIPTION
 *	oci_key_load_file() opens a PEM private key the way OCI's own tools expect it:
 *	the file must be a regular file that neither group nor others may read or write
 *	(mode 0600 or 0400). The mode is checked with fstat() on the descriptor that is
 *	then read, so the file checked is the file used. At most OCI_KEY_FILE_MAX bytes
 *	are read; the copy in memory is wiped once parsed.
 *
 *	oci_key_parse_pem() is the parser alone (bytes in, key out, no I/O, no logging).
 *	It accepts "BEGIN RSA PRIVATE KEY" (PKCS#1), "BEGIN PRIVATE KEY" (PKCS#8),
 *	"BEGIN ENCRYPTED PRIVATE KEY" and the legacy "Proc-Type: 4,ENCRYPTED" form. An
 *	encrypted key needs pass_phrase; a plain key ignores it. Only RSA keys are
 *	accepted (OCI signs with rsa-sha256). name labels the key in messages.
 *
 *	The pass phrase is registered with log_secret_add() by oci_key_load_file(), so no
 *	log line can show it; it never appears in an error message.
 *
 *	oci_key_fingerprint() writes the OCI fingerprint of the public half: the MD5 of
 *	the DER SubjectPublicKeyInfo as 16 lowercase hex pairs joined by ':' (47 chars and
 *	a NUL), what "openssl rsa -pubout -outform DER | openssl md5 -c" prints.
 *	oci_key_check_fingerprint() compares it with the configured fingerprint (ASCII
 *	case ignored). OCI finds the public key by the fingerprint in the keyId, so a
 *	mismatch means every request would fail with 401: it is refused up front.
 *
 * OWNERSHIP
 *	On success *key holds a new EVP_PKEY the caller frees with EVP_PKEY_free().
 *	On failure *key is NULL.
 *
 * DIAGNOSTICS
 *	Functions return 0 on success and -1 on failure, with one line in err naming the
 *	file and the reason (mode too open, not a key, encrypted without a pass phrase,
 *	wrong pass phrase, not RSA, fingerprint mismatch naming both values). The OpenSSL
 *	error queue is left empty.
 */
#ifndef EDG_OCI_KEY_H
#define EDG_OCI_KEY_H

#include <stddef.h>

#include <openssl/evp.h>

#define OCI_KEY_FILE_MAX         (64 * 1024)
#define OCI_KEY_FINGERPRINT_SIZE 48 /* "xx:" * 16, the last ':' being the NUL */

int oci_key_load_file(const char *path, const char *pass_phrase, EVP_PKEY **key, char *err,
                      size_t errsize);
int oci_key_parse_pem(const void *pem, size_t len, const char *pass_phrase, const char *name,
                      EVP_PKEY **key, char *err, size_t errsize);
int oci_key_fingerprint(const EVP_PKEY *key, char out[OCI_KEY_FINGERPRINT_SIZE]);
int oci_key_check_fingerprint(const EVP_PKEY *key, const char *configured, const char *name,
                              char *err, size_t errsize);

#endif
