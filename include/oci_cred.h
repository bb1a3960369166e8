/*
 * oci_cred.h - who signs OCI API requests: tenancy, user, key file, fingerprint
 *
 * SYNOPSIS
 *	#include "oci_cred.h"
 *
 *	struct oci_cred { char *tenancy, *user, *fingerprint, *key_file, *pass_phrase,
 *			  *region; };
 *
 *	int   oci_cred_set(struct oci_cred *cred, const char *name, const char *value);
 *	int   oci_cred_check(const struct oci_cred *cred, char *err, size_t errsize);
 *	void  oci_cred_free(struct oci_cred *cred);
 *
 *	int   oci_cred_parse_oci_config(const char *buf, size_t len, const char *profile,
 *					struct oci_cred *cred, char *err, size_t errsize);
 *	int   oci_cred_load_oci_config(const char *path, const char *profile,
 *				       struct oci_cred *cred, char *err, size_t errsize);
 *	char *oci_cred_expand_home(const char *path, const char *home);
int oci_cred_from_config(const struct edg_config *cfg, struct oci_cred *cred, char *err,
                         size_t errsize);
 *	int   oci_cred_from_config(const struct edg_config *cfg, struct oci_cred *cred,
 *				   char *err, size_t errsize);
 *
 * DESCRIPTION
 *	A struct oci_cred starts zeroed ({0}); a NULL field is unset. pass_phrase is
 *	set only when the key file is encrypted; region is carried along for callers
 *	that derive an endpoint, signing does not use it.
 *
 *	oci_cred_set() stores a copy of value under one of the OCI CLI names "tenancy",
 *	"user", "fingerprint", "key_file", "pass_phrase", "region" (ASCII case ignored),
 *	replacing an earlier value. A pass phrase is registered with log_secret_add().
 *
 *	oci_cred_check() says whether the credentials can sign: tenancy, user,
 *	fingerprint and key_file are set; the fingerprint has the form of 16 hex pairs
 *	joined by ':'; tenancy, user and fingerprint contain no '/', '"', blank or
 *	control character (they are joined by '/' into the quoted keyId).
 *
 *	oci_cred_parse_oci_config() reads an OCI CLI configuration (~/.oci/config): INI
 *	whose sections are profiles. Keys of [DEFAULT] are inherited by every profile;
 *	the profile's own keys win. A profile other than DEFAULT must exist. Keys this
 *	module does not use (security_token_file, ...) are ignored; a key given twice in
 *	one section is an error, as it is for the OCI CLI. profile NULL means DEFAULT.
 *	The result is stored with oci_cred_set() over what cred already holds. It is
 *	pure (no I/O, no "~" expansion, no logging) but for the log_secret_add() of a
 *	pass phrase that oci_cred_set() does. It uses lib/ini.c.
 *
 *	oci_cred_load_oci_config() reads the file (a regular file others cannot write:
 *	it names the key that signs; at most OCI_CRED_FILE_MAX bytes), parses it, and
 *	expands a leading "~" or "~/" in key_file with $HOME (or the password database
 *	when HOME is unset).
 *
 *	oci_cred_expand_home() returns path with a leading "~" or "~/" replaced by
 *	home; any other path (including "~user/...") is returned unchanged.
 *
 *	oci_cred_from_config() takes the credentials of edg's own configuration: when
 *	[oci] oci_config is set, that OCI CLI file and its profile are read first; then
 *	every non-empty [oci] tenancy, user, fingerprint, key_file, pass_phrase and
 *	region is stored over them (so region may override the profile's). It does not
 *	call oci_cred_check(): the caller decides what it needs.
 *
 * OWNERSHIP
 *	The strings in a struct oci_cred belong to it; oci_cred_free() releases them
 *	(wiping the pass phrase first) and leaves the struct zeroed and reusable.
 *	oci_cred_expand_home() returns a string the caller frees.
 *
 * DIAGNOSTICS
 *	oci_cred_set() returns -1 for a name it does not know. The others return 0 on
 *	success and -1 with one line in err: the file and line of a syntax error, the
 *	missing profile, the missing or malformed field.
 */
#ifndef EDG_OCI_CRED_H
#define EDG_OCI_CRED_H

#include <stddef.h>

#define OCI_CRED_FILE_MAX (1024 * 1024)

struct edg_config;

struct oci_cred {
	char *tenancy;     /* OCID of the tenancy */
	char *user;        /* OCID of the API user */
	char *fingerprint; /* of the API key, as registered with OCI */
	char *key_file;    /* PEM private key */
	char *pass_phrase; /* of an encrypted key_file, else NULL */
	char *region;      /* e.g. us-ashburn-1 */
};

int oci_cred_set(struct oci_cred *cred, const char *name, const char *value);
int oci_cred_check(const struct oci_cred *cred, char *err, size_t errsize);
void oci_cred_free(struct oci_cred *cred);

int oci_cred_parse_oci_config(const char *buf, size_t len, const char *profile,
                              struct oci_cred *cred, char *err, size_t errsize);
int oci_cred_load_oci_config(const char *path, const char *profile, struct oci_cred *cred,
                             char *err, size_t errsize);
char *oci_cred_expand_home(const char *path, const char *home);
int oci_cred_from_config(const struct edg_config *cfg, struct oci_cred *cred, char *err,
                         size_t errsize);

#endif
