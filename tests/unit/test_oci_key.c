/*
 * test_oci_key.c - OCI key files and credentials: every PEM form, pass phrases, modes,
 * fingerprints, the OCI CLI config file
 *
 * The PKCS#8, encrypted PKCS#8 and legacy encrypted ("Proc-Type: 4,ENCRYPTED") forms
 * of the published vector key are written at test time with the OpenSSL API into a
 * temporary directory; all must sign exactly like the PKCS#1 original. Run from the
 * repository root (make unit does).
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "config.h"
#include "log.h"
#include "oci_cred.h"
#include "oci_key.h"
#include "oci_sign.h"
#include "xalloc.h"

#define VECTOR_KEY         "tests/data/oci-signing-vectors/private-key.pem"
#define VECTOR_PUBLIC_KEY  "tests/data/oci-signing-vectors/public-key.pem"
#define REAL_FINGERPRINT   "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
#define VECTOR_FINGERPRINT "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
#define TENANCY            "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq"
#define USER               "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq"
#define GET_URL                                                                                    \
	"https://iaas.us-phoenix-1.oraclecloud.com/20160918/"                                      \
	"instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId=ocid1.compartment.oc1.."    \
	"aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa&displayName=TeamXInstances&" \
	"volumeId=ocid1.volume.oc1.phx."                                                           \
	"abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q"
#define GET_SIGNATURE                                                                              \
	"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZ" \
	"AHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M="
#define PASS_PHRASE "correct horse battery"

static char tmpdir[] = "/tmp/test_oci_key.XXXXXX";
static EVP_PKEY *vector_key;

static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = xmalloc(65536);

	assert_non_null(fp);
	*len = fread(buf, 1, 65535, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* Write a file in tmpdir with the given mode; returns its path (caller frees). */
static char *
write_file(const char *name, const void *data, size_t len, mode_t mode)
{
	char *path = tmp_path(name);
	FILE *fp;

	unlink(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Write key in one PEM form through OpenSSL's writers; returns the file's text. */
static char *
pem_form(const char *form, EVP_PKEY *key)
{
	static unsigned char pass[] = PASS_PHRASE; /* the legacy writer wants it writable */
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *text;
	long len;
	int ok;

	if (strcmp(form, "pkcs8") == 0)
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	else if (strcmp(form, "pkcs8-encrypted") == 0)
		ok = PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), PASS_PHRASE,
		                                   (int)strlen(PASS_PHRASE), NULL, NULL);
	else
		ok = PEM_write_bio_PrivateKey_traditional(bio, key, EVP_aes_128_cbc(), pass,
		                                          (int)strlen(PASS_PHRASE), NULL, NULL);
	assert_int_equal(ok, 1);
	len = BIO_get_mem_data(bio, &data);
	text = xstrndup(data, (size_t)len);
	BIO_free(bio);
	return text;
}

static int
setup_tmpdir(void **state)
{
	size_t len;
	char *pem, err[256];

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	pem = read_file(VECTOR_KEY, &len);
	free(write_file("pkcs1.pem", pem, len, 0600));
	if (oci_key_parse_pem(pem, len, NULL, VECTOR_KEY, &vector_key, err, sizeof(err)) < 0)
		return -1;
	free(pem);
	return 0;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
teardown_tmpdir(void **state)
{
	EVP_PKEY_free(vector_key);
	log_secret_clear();
	return nftw(tmpdir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Load path, sign the GET vector with the SDK's keyId, compare with the published header. */
static void
assert_signs_vector(const char *path, const char *pass_phrase)
{
	struct oci_signed_request req;
	struct oci_signer *signer;
	EVP_PKEY *key;
	char err[256] = "";

	if (oci_key_load_file(path, pass_phrase, &key, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	signer = oci_signer_new(TENANCY "/" USER "/" VECTOR_FINGERPRINT, key);
	EVP_PKEY_free(key);
	assert_non_null(signer);
	assert_int_equal(oci_sign_request(signer, "GET", GET_URL, "Thu, 05 Jan 2014 21:31:40 GMT",
	                                  NULL, 0, NULL, &req, err, sizeof(err)),
	                 0);
	assert_non_null(strstr(req.authorization, "signature=\"" GET_SIGNATURE "\""));
	oci_signed_request_free(&req);
	oci_signer_free(signer);
}

static void
test_every_form_signs_alike(void **state)
{
	static const struct {
		const char *form, *marker, *pass_phrase;
	} forms[] = {
	    {"pkcs8", "-----BEGIN PRIVATE KEY-----", NULL},
	    {"pkcs8-encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----", PASS_PHRASE},
	    {"legacy-encrypted", "Proc-Type: 4,ENCRYPTED", PASS_PHRASE},
	};
	char *path = tmp_path("pkcs1.pem");

	assert_signs_vector(path, NULL);
	assert_signs_vector(path, "ignored for a plain key");
	free(path);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *text = pem_form(forms[i].form, vector_key);

		assert_non_null(strstr(text, forms[i].marker));
		path = write_file(forms[i].form, text, strlen(text), 0600);
		assert_signs_vector(path, forms[i].pass_phrase);
		free(path);
		free(text);
	}
}

static void
test_pass_phrase_errors(void **state)
{
	static const char *const forms[] = {"pkcs8-encrypted", "legacy-encrypted"};
	EVP_PKEY *key;
	char err[256], line[LOG_LINE_MAX];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *text = pem_form(forms[i], vector_key);
		char *path = write_file(forms[i], text, strlen(text), 0400);

		assert_int_equal(oci_key_load_file(path, "wrong horse", &key, err, sizeof(err)),
		                 -1);
		assert_null(key);
		assert_non_null(strstr(err, "wrong pass phrase"));
		assert_null(strstr(err, "wrong horse"));
		assert_int_equal(oci_key_load_file(path, NULL, &key, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "encrypted and no pass phrase"));
		assert_non_null(strstr(err, path));
		free(path);
		free(text);
	}
	/* Both pass phrases tried above are now masked in every log line. */
	snprintf(line, sizeof(line), "tried wrong horse then " PASS_PHRASE ".");
	log_sanitize(line, sizeof(line));
	assert_string_equal(line, "tried ***** then *****.");
}

static void
test_mode_checked(void **state)
{
	static const mode_t refused[] = {0644, 0640, 0604, 0660, 0602, 0620, 0610};
	static const mode_t accepted[] = {0600, 0400, 0700};
	char *path = tmp_path("pkcs1.pem"), err[256], want[32];
	EVP_PKEY *key;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(chmod(path, refused[i]), 0);
		assert_int_equal(oci_key_load_file(path, NULL, &key, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "mode %04o", (unsigned)refused[i]);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, "chmod 600"));
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		assert_int_equal(chmod(path, accepted[i]), 0);
		assert_int_equal(oci_key_load_file(path, NULL, &key, err, sizeof(err)), 0);
		EVP_PKEY_free(key);
	}
	assert_int_equal(chmod(path, 0600), 0);
	free(path);
	assert_int_equal(oci_key_load_file(tmpdir, NULL, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	/* A FIFO is refused at once, not waited on for a writer that never comes. */
	path = tmp_path("fifo.pem");
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(oci_key_load_file(path, NULL, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	free(path);
	path = tmp_path("missing.pem");
	assert_int_equal(oci_key_load_file(path, NULL, &key, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	free(path);
}

static void
test_fingerprint(void **state)
{
	char fingerprint[OCI_KEY_FINGERPRINT_SIZE], err[256];

	assert_int_equal(oci_key_fingerprint(vector_key, fingerprint), 0);
	assert_string_equal(fingerprint, REAL_FINGERPRINT);
	assert_int_equal(
	    oci_key_check_fingerprint(vector_key, REAL_FINGERPRINT, "k", err, sizeof(err)), 0);
	assert_int_equal(
	    oci_key_check_fingerprint(vector_key, "73:61:A2:21:67:E0:DF:BE:7E:4B:93:1E:15:98:A5:B7",
	                              "k", err, sizeof(err)),
	    0);
	assert_int_equal(
	    oci_key_check_fingerprint(vector_key, VECTOR_FINGERPRINT, "k.pem", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "k.pem"));
	assert_non_null(strstr(err, REAL_FINGERPRINT));
	assert_non_null(strstr(err, VECTOR_FINGERPRINT));
	assert_int_equal(oci_key_check_fingerprint(vector_key, NULL, "k", err, sizeof(err)), -1);
}

static void
assert_parse_refused(const char *text, size_t len, const char *reason)
{
	EVP_PKEY *key = vector_key; /* must come back NULL */
	char err[256] = "";

	assert_int_equal(oci_key_parse_pem(text, len, NULL, "f.pem", &key, err, sizeof(err)), -1);
	assert_null(key);
	if (strstr(err, reason) == NULL)
		fail_msg("want \"%s\" in \"%s\"", reason, err);
	assert_int_equal(ERR_peek_error(), 0);
}

static void
test_not_a_key(void **state)
{
	static const char truncated[] = "-----BEGIN RSA PRIVATE KEY-----\nMIICXgIBAAKBgQDCFENG\n";
	size_t len;
	char *public_pem = read_file(VECTOR_PUBLIC_KEY, &len), *ec_pem, *big;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_parse_refused("garbage\n", 8, "not a PEM private key");
	assert_parse_refused("", 0, "not a PEM private key");
	assert_parse_refused("\0\0\0\0", 4, "not a PEM private key");
	assert_parse_refused(truncated, sizeof(truncated) - 1, "not a PEM private key");
	assert_parse_refused(public_pem, len, "this is a public key");
	assert_non_null(ec);
	ec_pem = pem_form("pkcs8", ec);
	assert_parse_refused(ec_pem, strlen(ec_pem),
	                     "the key type is EC; OCI request signing needs RSA");
	big = xcalloc(1, OCI_KEY_FILE_MAX + 1);
	assert_parse_refused(big, OCI_KEY_FILE_MAX + 1, "larger than");
	free(big);
	free(ec_pem);
	EVP_PKEY_free(ec);
	free(public_pem);
}

static void
test_signer_open(void **state)
{
	struct oci_cred cred = {0};
	struct oci_signer *signer;
	char *path = tmp_path("pkcs1.pem"), err[256];

	oci_cred_set(&cred, "tenancy", TENANCY);
	oci_cred_set(&cred, "user", USER);
	oci_cred_set(&cred, "key_file", path);
	oci_cred_set(&cred, "fingerprint", "73:61:A2:21:67:E0:DF:BE:7E:4B:93:1E:15:98:A5:B7");
	signer = oci_signer_open(&cred, err, sizeof(err));
	assert_non_null(signer);
	assert_string_equal(oci_signer_key_id(signer), TENANCY "/" USER "/" REAL_FINGERPRINT);
	oci_signer_free(signer);
	/* The daemon's default: a fingerprint that is not the key's is refused. */
	oci_cred_set(&cred, "fingerprint", VECTOR_FINGERPRINT);
	assert_null(oci_signer_open(&cred, err, sizeof(err)));
	assert_non_null(strstr(err, VECTOR_FINGERPRINT));
	assert_non_null(strstr(err, REAL_FINGERPRINT));
	oci_cred_set(&cred, "fingerprint", REAL_FINGERPRINT);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(oci_signer_open(&cred, err, sizeof(err)));
	assert_non_null(strstr(err, "mode 0644"));
	assert_int_equal(chmod(path, 0600), 0);
	oci_cred_set(&cred, "user", NULL);
	assert_null(oci_signer_open(&cred, err, sizeof(err)));
	assert_string_equal(err, "OCI credentials: user is not set");
	oci_cred_free(&cred);
	free(path);
}

static void
test_cred_check(void **state)
{
	static const struct {
		const char *name, *value, *reason;
	} cases[] = {
	    {"fingerprint", "73:61:a2", "not 16 hex pairs"},
	    {"fingerprint", "73-61-a2-21-67-e0-df-be-7e-4b-93-1e-15-98-a5-b7", "not 16 hex"},
	    {"fingerprint", "zz:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7", "not 16 hex"},
	    {"tenancy", "ocid1/x", "contains a blank, '/'"},
	    {"user", "ocid1 x", "contains a blank"},
	    {"user", "ocid1\"x", "contains a blank"},
	    {"tenancy", "", "tenancy is not set"},
	    {"key_file", NULL, "key_file is not set"},
	};
	struct oci_cred cred = {0};
	char err[256];

	assert_int_equal(oci_cred_set(&cred, "keyfile", "x"), -1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oci_cred_set(&cred, "tenancy", TENANCY);
		oci_cred_set(&cred, "user", USER);
		oci_cred_set(&cred, "fingerprint", REAL_FINGERPRINT);
		oci_cred_set(&cred, "key_file", "/k.pem");
		assert_int_equal(oci_cred_check(&cred, err, sizeof(err)), 0);
		oci_cred_set(&cred, cases[i].name, cases[i].value);
		assert_int_equal(oci_cred_check(&cred, err, sizeof(err)), -1);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("case %zu: want \"%s\" in \"%s\"", i, cases[i].reason, err);
	}
	oci_cred_free(&cred);
	assert_null(cred.tenancy);
}

static const char oci_config[] = "# written by oci setup config\n"
                                 "[DEFAULT]\n"
                                 "user=ocid1.user.oc1..default\n"
                                 "fingerprint = " REAL_FINGERPRINT "\n"
                                 "key_file = ~/.oci/oci_api_key.pem\n"
                                 "tenancy = ocid1.tenancy.oc1..t\n"
                                 "region = us-ashburn-1\n"
                                 "\n"
                                 "[ADMIN]\n"
                                 "USER = ocid1.user.oc1..admin\n"
                                 "region=eu-frankfurt-1\n"
                                 "pass_phrase = a=b=c #not a comment\n"
                                 "security_token_file = /ignored\n"
                                 "\n"
                                 "[OTHER]\n"
                                 "user = ocid1.user.oc1..other\n"
                                 "key_file = /etc/edg/other.pem\n";

static void
test_oci_config_profiles(void **state)
{
	struct oci_cred cred = {0};
	char err[256];

	assert_int_equal(oci_cred_parse_oci_config(oci_config, strlen(oci_config), NULL, &cred, err,
	                                           sizeof(err)),
	                 0);
	assert_string_equal(cred.user, "ocid1.user.oc1..default");
	assert_string_equal(cred.key_file, "~/.oci/oci_api_key.pem"); /* pure: not expanded */
	assert_string_equal(cred.region, "us-ashburn-1");
	assert_null(cred.pass_phrase);
	oci_cred_free(&cred);

	assert_int_equal(oci_cred_parse_oci_config(oci_config, strlen(oci_config), "ADMIN", &cred,
	                                           err, sizeof(err)),
	                 0);
	assert_string_equal(cred.user, "ocid1.user.oc1..admin");
	assert_string_equal(cred.region, "eu-frankfurt-1");
	assert_string_equal(cred.tenancy, "ocid1.tenancy.oc1..t");     /* inherited */
	assert_string_equal(cred.fingerprint, REAL_FINGERPRINT);       /* inherited */
	assert_string_equal(cred.pass_phrase, "a=b=c #not a comment"); /* first '=' only */
	oci_cred_free(&cred);

	assert_int_equal(oci_cred_parse_oci_config(oci_config, strlen(oci_config), "OTHER", &cred,
	                                           err, sizeof(err)),
	                 0);
	assert_string_equal(cred.user, "ocid1.user.oc1..other");
	assert_string_equal(cred.key_file, "/etc/edg/other.pem");
	assert_string_equal(cred.region, "us-ashburn-1");
	oci_cred_free(&cred);
}

static void
test_oci_config_errors(void **state)
{
	static const char duplicate[] = "[DEFAULT]\nuser = a\n[P]\nuser = b\nuser = c\n";
	static const char no_section[] = "user = a\n";
	struct oci_cred cred = {0};
	char err[256];

	assert_int_equal(oci_cred_parse_oci_config(oci_config, strlen(oci_config), "admin", &cred,
	                                           err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "profile [admin] not found (or it has no keys)");
	assert_int_equal(
	    oci_cred_parse_oci_config(duplicate, strlen(duplicate), "P", &cred, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "line 5: user given twice in [P]");
	/* A profile that was not asked for is not read, so its duplicate goes unnoticed. */
	assert_int_equal(
	    oci_cred_parse_oci_config(duplicate, strlen(duplicate), NULL, &cred, err, sizeof(err)),
	    0);
	assert_int_equal(oci_cred_parse_oci_config(no_section, strlen(no_section), NULL, &cred, err,
	                                           sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "line 1"));
	oci_cred_free(&cred);
}

static void
test_oci_config_file(void **state)
{
	struct oci_cred cred = {0};
	char *path = write_file("config", oci_config, strlen(oci_config), 0600), *missing, err[512];
	char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

	setenv("HOME", "/home/edg", 1);
	assert_int_equal(oci_cred_load_oci_config(path, "ADMIN", &cred, err, sizeof(err)), 0);
	assert_string_equal(cred.key_file, "/home/edg/.oci/oci_api_key.pem");
	oci_cred_free(&cred);
	missing = tmp_path("no-such-config");
	assert_int_equal(oci_cred_load_oci_config(missing, NULL, &cred, err, sizeof(err)), -1);
	assert_non_null(strstr(err, missing));
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(oci_cred_load_oci_config(path, NULL, &cred, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by others"));
	assert_int_equal(chmod(path, 0644), 0); /* readable is fine: no secret in it here */
	assert_int_equal(oci_cred_load_oci_config(path, NULL, &cred, err, sizeof(err)), 0);
	oci_cred_free(&cred);
	assert_int_equal(oci_cred_load_oci_config(tmpdir, NULL, &cred, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(oci_cred_load_oci_config(path, "NOPE", &cred, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "profile [NOPE] not found"));
	if (saved_home != NULL)
		setenv("HOME", saved_home, 1);
	free(saved_home);
	free(missing);
	free(path);
}

/* An [oci] section as lib/config.c leaves it: every string owned, "" when unset. */
static void
config_oci(struct edg_config *cfg, const char *file, const char *profile, const char *user,
           const char *region)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->oci.oci_config = xstrdup(file);
	cfg->oci.profile = xstrdup(profile);
	cfg->oci.user = xstrdup(user);
	cfg->oci.region = xstrdup(region);
	cfg->oci.tenancy = xstrdup("");
	cfg->oci.fingerprint = xstrdup("");
	cfg->oci.key_file = xstrdup("");
	cfg->oci.pass_phrase = xstrdup("");
}

static void
config_oci_free(struct edg_config *cfg)
{
	free(cfg->oci.oci_config);
	free(cfg->oci.profile);
	free(cfg->oci.user);
	free(cfg->oci.region);
	free(cfg->oci.tenancy);
	free(cfg->oci.fingerprint);
	free(cfg->oci.key_file);
	free(cfg->oci.pass_phrase);
}

static void
test_cred_from_config(void **state)
{
	char *path = write_file("config", oci_config, strlen(oci_config), 0600), err[512];
	struct oci_cred cred = {0};
	struct edg_config cfg;

	/* The OCI CLI file and its profile, [oci] region overriding the profile's. */
	config_oci(&cfg, path, "ADMIN", "", "eu-zurich-1");
	assert_int_equal(oci_cred_from_config(&cfg, &cred, err, sizeof(err)), 0);
	assert_string_equal(cred.user, "ocid1.user.oc1..admin");
	assert_string_equal(cred.tenancy, "ocid1.tenancy.oc1..t");
	assert_string_equal(cred.region, "eu-zurich-1");
	oci_cred_free(&cred);
	config_oci_free(&cfg);
	/* No OCI CLI file: the [oci] keys alone. */
	config_oci(&cfg, "", "DEFAULT", "ocid1.user.oc1..own", "");
	assert_int_equal(oci_cred_from_config(&cfg, &cred, err, sizeof(err)), 0);
	assert_string_equal(cred.user, "ocid1.user.oc1..own");
	assert_null(cred.tenancy);
	assert_null(cred.region);
	oci_cred_free(&cred);
	config_oci_free(&cfg);
	config_oci(&cfg, path, "MISSING", "", "");
	assert_int_equal(oci_cred_from_config(&cfg, &cred, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "profile [MISSING] not found"));
	config_oci_free(&cfg);
	free(path);
}

static void
test_expand_home(void **state)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
	    {"~", "/h"},
	    {"~/k.pem", "/h/k.pem"},
	    {"~x/k.pem", "~x/k.pem"},
	    {"/abs/~/k", "/abs/~/k"},
	    {"rel/k.pem", "rel/k.pem"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = oci_cred_expand_home(cases[i].path, "/h");

		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_form_signs_alike),
	    cmocka_unit_test(test_pass_phrase_errors),
	    cmocka_unit_test(test_mode_checked),
	    cmocka_unit_test(test_fingerprint),
	    cmocka_unit_test(test_not_a_key),
	    cmocka_unit_test(test_signer_open),
	    cmocka_unit_test(test_cred_check),
	    cmocka_unit_test(test_oci_config_profiles),
	    cmocka_unit_test(test_oci_config_errors),
	    cmocka_unit_test(test_oci_config_file),
	    cmocka_unit_test(test_cred_from_config),
	    cmocka_unit_test(test_expand_home),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
