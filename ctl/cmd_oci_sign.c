/*
 * cmd_oci_sign.c - edgctl oci-sign: print the OCI Authorization header of a request
 *
 * SYNOPSIS
 *	edgctl [-c FILE] oci-sign [-v] [--key FILE] [--tenancy OCID] [--user OCID]
 *	    [--fingerprint FP] [--pass-phrase-file FILE] [--oci-config FILE]
 *	    [--profile NAME] [--date DATE] [--body FILE] [--content-type TYPE]
 *	    [--no-fingerprint-check] METHOD URL
 *
 * DESCRIPTION
 *	Signs one request exactly as edg-syncd would (lib/oci_sign.c) and prints the
 *	Authorization header's value alone on one line, so that it can be compared
 *	with another implementation or pasted into curl. With -v the signing string
 *	and the other headers to send follow on standard error.
 *
 *	Credentials come from the flags; whatever they leave unset comes from
 *	--oci-config (an OCI CLI config file, --profile or DEFAULT) or, without it,
 *	from the [oci] section of the edg configuration (-c FILE before the command).
 *
 *	The key file is held to the daemon's rules (mode 0600 or 0400). Its fingerprint
 *	must equal the configured one, as for the daemon, unless --no-fingerprint-check
 *	is given: then a mismatch is only a warning and the given fingerprint goes into
 *	the keyId as is. That is what reproducing the published test vectors needs
 *	(their keyId names a fingerprint that is not the key's); OCI would answer such a
 *	request with 401.
 *
 * DIAGNOSTICS
 *	Exit 0 with the header on standard output; 1 when the credentials, key or
 *	request cannot be used, with one line on standard error; 2 on a usage error.
 *	The pass phrase never appears in any output.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "edgctl.h"
#include "log.h"
#include "oci_cred.h"
#include "oci_key.h"
#include "oci_sign.h"
#include "xalloc.h"

#define OCI_SIGN_BODY_MAX        (64 * 1024 * 1024) /* far above what OCI accepts */
#define OCI_SIGN_PASS_PHRASE_MAX 1024

struct oci_sign_options {
	const char *key_file, *tenancy, *user, *fingerprint, *pass_phrase_file;
	const char *oci_config, *profile, *date, *body_file, *content_type;
	const char *method, *url;
	int no_fingerprint_check, verbose;
};

static void
oci_sign_usage(FILE *out)
{
	fprintf(out,
	        "usage: edgctl [-c FILE] oci-sign [options] METHOD URL\n"
	        "\n"
	        "Print the OCI Authorization header of a request, as edg-syncd signs it.\n"
	        "\n"
	        "  --key FILE              PEM private key (mode 0600 or 0400)\n"
	        "  --tenancy OCID          tenancy OCID\n"
	        "  --user OCID             user OCID\n"
	        "  --fingerprint FP        the API key's fingerprint, as registered with OCI\n"
	        "  --pass-phrase-file FILE pass phrase of an encrypted key (its first line)\n"
	        "  --oci-config FILE       take unset credentials from this OCI CLI config\n"
	        "  --profile NAME          its profile (default DEFAULT; only with --oci-config)\n"
	        "  --date DATE             sign this RFC 1123 date (default: now)\n"
	        "  --body FILE             request body, '-' for standard input\n"
	        "  --content-type TYPE     default application/json (POST, PUT, PATCH)\n"
	        "  --no-fingerprint-check  sign even when FP is not the key's fingerprint,\n"
	        "                          with a warning (OCI itself would answer 401)\n"
	        "  -v                      also print the signing string and the other\n"
	        "                          headers on standard error\n"
	        "\n"
	        "Credentials the flags leave unset come from --oci-config, else from the\n"
	        "[oci] section of the edg configuration (-c FILE).\n");
}

/* The long options that take a value, and the field each value goes to. */
static const struct {
	const char *name;
	size_t offset;
} oci_sign_value_flags[] = {
    {"key", offsetof(struct oci_sign_options, key_file)},
    {"tenancy", offsetof(struct oci_sign_options, tenancy)},
    {"user", offsetof(struct oci_sign_options, user)},
    {"fingerprint", offsetof(struct oci_sign_options, fingerprint)},
    {"pass-phrase-file", offsetof(struct oci_sign_options, pass_phrase_file)},
    {"oci-config", offsetof(struct oci_sign_options, oci_config)},
    {"profile", offsetof(struct oci_sign_options, profile)},
    {"date", offsetof(struct oci_sign_options, date)},
    {"body", offsetof(struct oci_sign_options, body_file)},
    {"content-type", offsetof(struct oci_sign_options, content_type)},
};
#define OCI_SIGN_NVALUE_FLAGS (sizeof(oci_sign_value_flags) / sizeof(oci_sign_value_flags[0]))
#define OCI_SIGN_FLAG_BASE    256 /* getopt_long() codes of the value flags: above any char */
#define OCI_SIGN_FLAG_NOCHECK (OCI_SIGN_FLAG_BASE + (int)OCI_SIGN_NVALUE_FLAGS)

/* 0: sign; 1: -h; -1: usage error. */
static int
oci_sign_parse_args(int argc, char **argv, struct oci_sign_options *opts)
{
	struct option longopts[OCI_SIGN_NVALUE_FLAGS + 3] = {{NULL, 0, NULL, 0}};
	int ch;

	for (size_t i = 0; i < OCI_SIGN_NVALUE_FLAGS; i++)
		longopts[i] = (struct option){oci_sign_value_flags[i].name, required_argument, NULL,
		                              OCI_SIGN_FLAG_BASE + (int)i};
	longopts[OCI_SIGN_NVALUE_FLAGS] =
	    (struct option){"no-fingerprint-check", no_argument, NULL, OCI_SIGN_FLAG_NOCHECK};
	longopts[OCI_SIGN_NVALUE_FLAGS + 1] = (struct option){"help", no_argument, NULL, 'h'};
	while ((ch = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1) {
		if (ch >= OCI_SIGN_FLAG_BASE && ch < OCI_SIGN_FLAG_NOCHECK)
			*(const char **)((char *)opts +
			                 oci_sign_value_flags[ch - OCI_SIGN_FLAG_BASE].offset) =
			    optarg;
		else if (ch == OCI_SIGN_FLAG_NOCHECK)
			opts->no_fingerprint_check = 1;
		else if (ch == 'v')
			opts->verbose = 1;
		else
			return ch == 'h' ? 1 : -1;
	}
	/* --profile alone would silently do nothing: edg.conf has its own profile key. */
	if (argc - optind != 2 || (opts->profile != NULL && opts->oci_config == NULL))
		return -1;
	opts->method = argv[optind];
	opts->url = argv[optind + 1];
	return 0;
}

/* Read a whole file (or standard input for "-"), at most max bytes. */
static char *
oci_sign_read(const char *path, size_t max, size_t *len, char *err, size_t errsize)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	size_t size = 4096, got = 0, n;
	char *buf;

	if (fp == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(size);
	while ((n = fread(buf + got, 1, size - got, fp)) > 0) {
		if ((got += n) == size && size <= max)
			buf = xrealloc(buf, size *= 2);
	}
	if (ferror(fp) || got > max) {
		snprintf(err, errsize, "%s: %s", path, ferror(fp) ? strerror(errno) : "too large");
		OPENSSL_cleanse(buf, got);
		free(buf);
		buf = NULL;
	}
	if (fp != stdin)
		fclose(fp);
	*len = got;
	return buf;
}

/* The pass phrase is the file's first line, without its line ending. */
static int
oci_sign_pass_phrase(const char *path, struct oci_cred *cred, char *err, size_t errsize)
{
	size_t len;
	char *text = oci_sign_read(path, OCI_SIGN_PASS_PHRASE_MAX, &len, err, errsize);
	int rc;

	if (text == NULL)
		return -1;
	text = xrealloc(text, len + 1);
	text[len] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	if ((rc = text[0] == '\0' ? -1 : 0) < 0)
		snprintf(err, errsize, "%s: empty pass phrase", path);
	else
		oci_cred_set(cred, "pass_phrase", text);
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

static int
oci_sign_flags_complete(const struct oci_sign_options *opts)
{
	return opts->key_file && opts->tenancy && opts->user && opts->fingerprint;
}

/* The edg configuration's credentials, for what the flags leave unset. */
static int
oci_sign_config_cred(const char *config_path, struct oci_cred *cred, char *err, size_t errsize)
{
	struct edg_config *cfg = config_load(config_path, stderr);
	int rc;

	if (cfg == NULL) {
		snprintf(err, errsize,
		         "%s: unusable (give --key, --tenancy, --user and --fingerprint, "
		         "or --oci-config)",
		         config_path);
		return -1;
	}
	rc = oci_cred_from_config(cfg, cred, err, errsize);
	config_free(cfg);
	return rc;
}

static int
oci_sign_credentials(const struct oci_sign_options *opts, const char *config_path,
                     struct oci_cred *cred, char *err, size_t errsize)
{
	int rc = 0;

	if (opts->oci_config != NULL)
		rc = oci_cred_load_oci_config(opts->oci_config, opts->profile, cred, err, errsize);
	else if (!oci_sign_flags_complete(opts))
		rc = oci_sign_config_cred(config_path, cred, err, errsize);
	if (rc < 0)
		return -1;
	if (opts->key_file)
		oci_cred_set(cred, "key_file", opts->key_file);
	if (opts->tenancy)
		oci_cred_set(cred, "tenancy", opts->tenancy);
	if (opts->user)
		oci_cred_set(cred, "user", opts->user);
	if (opts->fingerprint)
		oci_cred_set(cred, "fingerprint", opts->fingerprint);
	if (opts->pass_phrase_file &&
	    oci_sign_pass_phrase(opts->pass_phrase_file, cred, err, errsize) < 0)
		return -1;
	return oci_cred_check(cred, err, errsize);
}

/* The daemon's rule (refuse a fingerprint that is not the key's), or a warning. */
static struct oci_signer *
oci_sign_signer(const struct oci_sign_options *opts, const struct oci_cred *cred, char *err,
                size_t errsize)
{
	struct oci_signer *signer;
	EVP_PKEY *key;
	char *key_id;

	if (!opts->no_fingerprint_check)
		return oci_signer_open(cred, err, errsize);
	if (oci_key_load_file(cred->key_file, cred->pass_phrase, &key, err, errsize) < 0)
		return NULL;
	if (oci_key_check_fingerprint(key, cred->fingerprint, cred->key_file, err, errsize) < 0)
		log_warnx("oci-sign: %s (signing anyway: --no-fingerprint-check)", err);
	key_id = xasprintf("%s/%s/%s", cred->tenancy, cred->user, cred->fingerprint);
	if ((signer = oci_signer_new(key_id, key)) == NULL)
		snprintf(err, errsize, "cannot build the keyId \"%s\"", key_id);
	free(key_id);
	EVP_PKEY_free(key);
	return signer;
}

static int
oci_sign_print(const struct oci_sign_options *opts, const struct oci_signer *signer,
               const char *body, size_t body_len, char *err, size_t errsize)
{
	struct oci_signed_request req;

	if (oci_sign_request(signer, opts->method, opts->url, opts->date, body, body_len,
	                     opts->content_type, &req, err, errsize) < 0)
		return -1;
	printf("%s\n", req.authorization);
	if (opts->verbose) {
		fprintf(stderr, "signing string:\n%s\n\nheaders:\n", req.signing_string);
		for (size_t i = 0; i + 1 < req.header_count; i++) /* the last is printed above */
			fprintf(stderr, "%s\n", req.header[i]);
	}
	oci_signed_request_free(&req);
	return fflush(stdout) == 0 ? 0 : -1;
}

int
cmd_oci_sign(int argc, char **argv, const char *config_path)
{
	struct oci_sign_options opts = {0};
	struct oci_cred cred = {0};
	struct oci_signer *signer = NULL;
	char err[1024] = "", *body = NULL;
	size_t body_len = 0;
	int rc = EDGCTL_FAIL;

	switch (oci_sign_parse_args(argc, argv, &opts)) {
	case 1:
		oci_sign_usage(stdout);
		return EDGCTL_OK;
	case -1:
		oci_sign_usage(stderr);
		return EDGCTL_USAGE;
	}
	if (oci_sign_credentials(&opts, config_path, &cred, err, sizeof(err)) < 0 ||
	    (signer = oci_sign_signer(&opts, &cred, err, sizeof(err))) == NULL)
		goto out;
	if (opts.body_file != NULL && (body = oci_sign_read(opts.body_file, OCI_SIGN_BODY_MAX,
	                                                    &body_len, err, sizeof(err))) == NULL)
		goto out;
	if (oci_sign_print(&opts, signer, body, body_len, err, sizeof(err)) == 0)
		rc = EDGCTL_OK;
out:
	if (rc != EDGCTL_OK)
		log_warnx("oci-sign: %s", err[0] ? err : "cannot write the output");
	free(body);
	oci_signer_free(signer);
	oci_cred_free(&cred);
	return rc;
}
