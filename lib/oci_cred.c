/*
 * oci_cred.c - who signs OCI API requests: tenancy, user, key file, fingerprint
 *
 * See oci_cred.h. The field names are those of the OCI CLI configuration file, and
 * one table (oci_cred_fields) maps them to struct members, so the OCI config reader
 * and any other caller (edg's own [oci] section, edgctl flags) agree on spelling.
 * The OCI config semantics follow the OCI CLI, which reads the file with Python's
 * configparser: DEFAULT inherited, duplicate keys refused, unknown keys ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "oci_cred.h"
#include "xalloc.h"

#define OCI_CRED_DEFAULT_PROFILE "DEFAULT"
#define OCI_CRED_FINGERPRINT_LEN 47 /* 16 hex pairs and 15 colons */

static const struct {
	const char *name;
	size_t offset;
} oci_cred_fields[] = {
    {"tenancy", offsetof(struct oci_cred, tenancy)},
    {"user", offsetof(struct oci_cred, user)},
    {"fingerprint", offsetof(struct oci_cred, fingerprint)},
    {"key_file", offsetof(struct oci_cred, key_file)},
    {"pass_phrase", offsetof(struct oci_cred, pass_phrase)},
    {"region", offsetof(struct oci_cred, region)},
};
#define OCI_CRED_NFIELDS (sizeof(oci_cred_fields) / sizeof(oci_cred_fields[0]))

static int
oci_cred_field_index(const char *name)
{
	for (size_t i = 0; i < OCI_CRED_NFIELDS; i++)
		if (strcasecmp(name, oci_cred_fields[i].name) == 0)
			return (int)i;
	return -1;
}

static char **
oci_cred_slot(struct oci_cred *cred, size_t index)
{
	return (char **)((char *)cred + oci_cred_fields[index].offset);
}

/* Free a string that may be a secret: wipe it first, it costs nothing. */
static void
oci_cred_wipe_free(char *value)
{
	if (value != NULL) {
		OPENSSL_cleanse(value, strlen(value));
		free(value);
	}
}

int
oci_cred_set(struct oci_cred *cred, const char *name, const char *value)
{
	int index = oci_cred_field_index(name);
	char **slot;

	if (index < 0)
		return -1;
	slot = oci_cred_slot(cred, (size_t)index);
	oci_cred_wipe_free(*slot);
	*slot = value ? xstrdup(value) : NULL;
	if (value != NULL && slot == &cred->pass_phrase)
		log_secret_add(value);
	return 0;
}

void
oci_cred_free(struct oci_cred *cred)
{
	for (size_t i = 0; i < OCI_CRED_NFIELDS; i++) {
		oci_cred_wipe_free(*oci_cred_slot(cred, i));
		*oci_cred_slot(cred, i) = NULL;
	}
}

/* "xx:xx:...:xx", 16 pairs of hex digits: what OCI shows in the console. */
static int
oci_cred_fingerprint_ok(const char *fingerprint)
{
	if (strlen(fingerprint) != OCI_CRED_FINGERPRINT_LEN)
		return 0;
	for (size_t i = 0; i < OCI_CRED_FINGERPRINT_LEN; i++) {
		if (i % 3 == 2 ? fingerprint[i] != ':' : !isxdigit((unsigned char)fingerprint[i]))
			return 0;
	}
	return 1;
}

/* The keyId is "tenancy/user/fingerprint" inside double quotes: keep it unambiguous. */
static int
oci_cred_keyid_part_ok(const char *part)
{
	if (*part == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)part; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '"')
			return 0;
	return 1;
}

int
oci_cred_check(const struct oci_cred *cred, char *err, size_t errsize)
{
	const struct {
		const char *name, *value;
	} required[] = {
	    {"tenancy", cred->tenancy},
	    {"user", cred->user},
	    {"fingerprint", cred->fingerprint},
	    {"key_file", cred->key_file},
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (required[i].value == NULL || *required[i].value == '\0') {
			snprintf(err, errsize, "OCI credentials: %s is not set", required[i].name);
			return -1;
		}
		if (i < 3 && !oci_cred_keyid_part_ok(required[i].value)) {
			snprintf(err, errsize,
			         "OCI credentials: %s \"%s\" contains a blank, '/', '\"' or a "
			         "control character",
			         required[i].name, required[i].value);
			return -1;
		}
	}
	if (!oci_cred_fingerprint_ok(cred->fingerprint)) {
		snprintf(err, errsize,
		         "OCI credentials: fingerprint \"%s\" is not 16 hex pairs joined by ':'",
		         cred->fingerprint);
		return -1;
	}
	return 0;
}

/* What the INI handler collects: [DEFAULT] and the wanted profile, kept apart. */
struct oci_cred_parse {
	const char *profile;
	char *defaults[OCI_CRED_NFIELDS];
	char *chosen[OCI_CRED_NFIELDS];
	int profile_seen;
	char reason[256];
};

static int
oci_cred_parse_key(const char *section, const char *key, const char *value, unsigned lineno,
                   void *arg)
{
	struct oci_cred_parse *parse = arg;
	int index = oci_cred_field_index(key);
	char **slots;

	if (strcmp(section, OCI_CRED_DEFAULT_PROFILE) == 0)
		slots = parse->defaults;
	else if (strcmp(section, parse->profile) == 0)
		slots = parse->chosen;
	else
		return 0;
	if (slots == parse->chosen)
		parse->profile_seen = 1;
	if (index < 0)
		return 0;
	if (slots[index] != NULL) {
		snprintf(parse->reason, sizeof(parse->reason), "line %u: %s given twice in [%s]",
		         lineno, oci_cred_fields[index].name, section);
		return -1;
	}
	slots[index] = xstrdup(value);
	return 0;
}

static void
oci_cred_parse_release(struct oci_cred_parse *parse)
{
	for (size_t i = 0; i < OCI_CRED_NFIELDS; i++) {
		oci_cred_wipe_free(parse->defaults[i]);
		oci_cred_wipe_free(parse->chosen[i]);
	}
}

int
oci_cred_parse_oci_config(const char *buf, size_t len, const char *profile, struct oci_cred *cred,
                          char *err, size_t errsize)
{
	struct oci_cred_parse parse = {.profile = profile ? profile : OCI_CRED_DEFAULT_PROFILE};
	char ini_err[256];
	int rc = -1;

	if (ini_parse(buf, len, oci_cred_parse_key, &parse, ini_err, sizeof(ini_err)) != 0) {
		snprintf(err, errsize, "%s", parse.reason[0] ? parse.reason : ini_err);
		goto out;
	}
	if (strcmp(parse.profile, OCI_CRED_DEFAULT_PROFILE) != 0 && !parse.profile_seen) {
		snprintf(err, errsize, "profile [%s] not found (or it has no keys)", parse.profile);
		goto out;
	}
	for (size_t i = 0; i < OCI_CRED_NFIELDS; i++) {
		const char *value = parse.chosen[i] ? parse.chosen[i] : parse.defaults[i];

		if (value != NULL)
			oci_cred_set(cred, oci_cred_fields[i].name, value);
	}
	rc = 0;
out:
	oci_cred_parse_release(&parse);
	return rc;
}

char *
oci_cred_expand_home(const char *path, const char *home)
{
	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/') || home == NULL)
		return xstrdup(path);
	return xasprintf("%s%s", home, path + 1);
}

static const char *
oci_cred_home(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

/* Read up to size bytes, through short reads; -1 on error. */
static ssize_t
oci_cred_read_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;

	while (got < size) {
		if ((n = read(fd, buf + got, size - got)) < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Read a whole small regular file; NULL with err set otherwise. O_NONBLOCK: a FIFO
 * must be refused, not waited on. The buffer is one byte larger than the file so a
 * file that grew after fstat() is noticed.
 */
static char *
oci_cred_read_file(const char *path, size_t *len, char *err, size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char *buf = NULL;
	struct stat st;
	ssize_t got;

	if (fd < 0 || fstat(fd, &st) < 0)
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(err, errsize, "%s: not a regular file", path);
	else if (st.st_mode & S_IWOTH) /* it names the key that signs: as edg.conf */
		snprintf(err, errsize, "%s: writable by others", path);
	else if (st.st_size > OCI_CRED_FILE_MAX)
		snprintf(err, errsize, "%s: larger than %d bytes", path, OCI_CRED_FILE_MAX);
	else {
		buf = xmalloc((size_t)st.st_size + 1);
		if ((got = oci_cred_read_fd(fd, buf, (size_t)st.st_size + 1)) < 0 ||
		    got > st.st_size) {
			snprintf(err, errsize, "%s: %s", path,
			         got < 0 ? strerror(errno) : "changed while being read");
			free(buf);
			buf = NULL;
		} else
			*len = (size_t)got;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

int
oci_cred_load_oci_config(const char *path, const char *profile, struct oci_cred *cred, char *err,
                         size_t errsize)
{
	char reason[512], *buf, *expanded;
	size_t len;
	int rc;

	if ((buf = oci_cred_read_file(path, &len, err, errsize)) == NULL)
		return -1;
	rc = oci_cred_parse_oci_config(buf, len, profile, cred, reason, sizeof(reason));
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (rc < 0) {
		snprintf(err, errsize, "%s: %s", path, reason);
		return -1;
	}
	if (cred->key_file != NULL) {
		expanded = oci_cred_expand_home(cred->key_file, oci_cred_home());
		free(cred->key_file);
		cred->key_file = expanded;
	}
	return 0;
}

int
oci_cred_from_config(const struct edg_config *cfg, struct oci_cred *cred, char *err, size_t errsize)
{
	const struct {
		const char *name, *value;
	} keys[] = {
	    {"tenancy", cfg->oci.tenancy},         {"user", cfg->oci.user},
	    {"fingerprint", cfg->oci.fingerprint}, {"key_file", cfg->oci.key_file},
	    {"pass_phrase", cfg->oci.pass_phrase}, {"region", cfg->oci.region},
	};
	const char *profile = cfg->oci.profile[0] ? cfg->oci.profile : NULL;

	if (cfg->oci.oci_config[0] != '\0' &&
	    oci_cred_load_oci_config(cfg->oci.oci_config, profile, cred, err, errsize) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].value[0] != '\0')
			oci_cred_set(cred, keys[i].name, keys[i].value);
	return 0;
}
