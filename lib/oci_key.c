/*
 * oci_key.c - the OCI API signing key: load it, guard its file, name its fingerprint
 *
 * See oci_key.h. PEM decoding is OpenSSL's PEM_read_bio_PrivateKey(), which in 3.0
 * runs the provider decoders for every form OCI users have on disk (PKCS#1, PKCS#8,
 * encrypted PKCS#8, legacy encrypted PEM). The pass phrase reaches OpenSSL only through
 * oci_key_pass_cb(), which also records whether one was asked for: that is how "the key
 * is encrypted and no pass phrase is configured" is told apart from "wrong pass phrase"
 * and from "this is not a key".
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log.h"
#include "oci_key.h"
#include "xalloc.h"

#define OCI_KEY_MD5_LEN 16

/* What oci_key_pass_cb() needs, and what it learnt. */
struct oci_key_pass {
	const char *pass_phrase; /* NULL: none configured */
	int asked;               /* the key is encrypted */
	int too_long;            /* pass phrase longer than OpenSSL's buffer */
};

static int
oci_key_pass_cb(char *buf, int size, int rwflag, void *arg)
{
	struct oci_key_pass *pass = arg;
	size_t len;

	pass->asked = 1;
	if (pass->pass_phrase == NULL || size <= 0)
		return -1;
	len = strlen(pass->pass_phrase);
	if (len > (size_t)size) {
		pass->too_long = 1;
		return -1;
	}
	memcpy(buf, pass->pass_phrase, len);
	return (int)len;
}

/* Say why PEM decoding failed, from what the callback saw and what the bytes hold. */
static void
oci_key_explain_failure(const void *pem, size_t len, const struct oci_key_pass *pass,
                        const char *name, char *err, size_t errsize)
{
	if (pass->too_long)
		snprintf(err, errsize, "%s: the pass phrase is too long", name);
	else if (pass->asked && pass->pass_phrase == NULL)
		snprintf(err, errsize, "%s: the key is encrypted and no pass phrase is configured",
		         name);
	else if (pass->asked)
		snprintf(err, errsize, "%s: cannot decrypt the key: wrong pass phrase?", name);
	else if (memmem(pem, len, "PUBLIC KEY-----", 15) != NULL &&
	         memmem(pem, len, "PRIVATE KEY-----", 16) == NULL)
		snprintf(err, errsize, "%s: this is a public key; the private key is needed", name);
	else
		snprintf(err, errsize, "%s: not a PEM private key (PKCS#1 or PKCS#8)", name);
}

int
oci_key_parse_pem(const void *pem, size_t len, const char *pass_phrase, const char *name,
                  EVP_PKEY **key, char *err, size_t errsize)
{
	struct oci_key_pass pass = {pass_phrase, 0, 0};
	BIO *bio;

	*key = NULL;
	if (len > OCI_KEY_FILE_MAX) {
		snprintf(err, errsize, "%s: larger than %d bytes: not a key", name,
		         OCI_KEY_FILE_MAX);
		return -1;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errsize, "%s: out of memory", name);
		return -1;
	}
	*key = PEM_read_bio_PrivateKey(bio, NULL, oci_key_pass_cb, &pass);
	BIO_free(bio);
	ERR_clear_error();
	if (*key == NULL) {
		oci_key_explain_failure(pem, len, &pass, name, err, errsize);
		return -1;
	}
	if (!EVP_PKEY_is_a(*key, "RSA")) {
		snprintf(err, errsize, "%s: the key type is %s; OCI request signing needs RSA",
		         name, EVP_PKEY_get0_type_name(*key));
		EVP_PKEY_free(*key);
		*key = NULL;
		return -1;
	}
	return 0;
}

/* Refuse what OCI's tools refuse: anything but a regular file private to its owner. */
static int
oci_key_check_mode(int fd, const char *path, char *err, size_t errsize)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsize, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errsize,
		         "%s: mode %04o lets group or others access the private key; "
		         "chmod 600 it (0600 or 0400 required)",
		         path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size > OCI_KEY_FILE_MAX) {
		snprintf(err, errsize, "%s: larger than %d bytes: not a key", path,
		         OCI_KEY_FILE_MAX);
		return -1;
	}
	return 0;
}

/* Read at most OCI_KEY_FILE_MAX + 1 bytes, so a file that grew after fstat() is caught. */
static ssize_t
oci_key_read_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
oci_key_load_file(const char *path, const char *pass_phrase, EVP_PKEY **key, char *err,
                  size_t errsize)
{
	char *buf;
	ssize_t len;
	int fd, rc = -1;

	*key = NULL;
	if (pass_phrase != NULL)
		log_secret_add(pass_phrase);
	/* O_NONBLOCK: a FIFO in place of the key must be refused, not waited on. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(OCI_KEY_FILE_MAX + 1);
	if (oci_key_check_mode(fd, path, err, errsize) < 0)
		goto out;
	if ((len = oci_key_read_fd(fd, buf, OCI_KEY_FILE_MAX + 1)) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = oci_key_parse_pem(buf, (size_t)len, pass_phrase, path, key, err, errsize);
	OPENSSL_cleanse(buf, (size_t)len);
out:
	free(buf);
	close(fd);
	return rc;
}

int
oci_key_fingerprint(const EVP_PKEY *key, char out[OCI_KEY_FINGERPRINT_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int der_len, ok;

	out[0] = '\0';
	if ((der_len = i2d_PUBKEY(key, &der)) <= 0) {
		ERR_clear_error();
		return -1;
	}
	ok = EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_md5(), NULL);
	OPENSSL_free(der);
	ERR_clear_error();
	if (!ok || md_len != OCI_KEY_MD5_LEN)
		return -1;
	for (unsigned int i = 0; i < md_len; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 0x0f];
		out[3 * i + 2] = i + 1 < md_len ? ':' : '\0';
	}
	return 0;
}

int
oci_key_check_fingerprint(const EVP_PKEY *key, const char *configured, const char *name, char *err,
                          size_t errsize)
{
	char actual[OCI_KEY_FINGERPRINT_SIZE];

	if (oci_key_fingerprint(key, actual) < 0) {
		snprintf(err, errsize, "%s: cannot compute the key's fingerprint", name);
		return -1;
	}
	if (configured == NULL || strcasecmp(actual, configured) != 0) {
		snprintf(err, errsize,
		         "%s: the key's fingerprint is %s but the configured fingerprint is %s; "
		         "OCI would refuse every request",
		         name, actual, configured ? configured : "(none)");
		return -1;
	}
	return 0;
}
