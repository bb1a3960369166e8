/*
 * config.c - load, check and print edg.conf from the one table of keys
 *
 * SYNOPSIS
 *	See config.h: config_load(), config_parse_buffer(), config_defaults(),
 *	config_free(), config_show(), config_sample(), config_reference(),
 *	config_oci_endpoint().
 *
 * DESCRIPTION
 *	A configuration starts as the table's defaults; ini_parse_all() then hands
 *	over every "key = value" and this file finds the key in config_keys[], refuses
 *	unknown keys (suggesting the nearest one) and repeats of a key that may appear
 *	once, and lets config_value_set() put the value in place. What was written,
 *	and where, is kept in the private config_source so that "config show" prints
 *	the file's own words and the checks that tie keys together can name a line.
 *	Nothing is global: each call builds and returns its own configuration.
 *
 *	A file is read whole (at most CONFIG_FILE_MAX bytes) after fstat() shows a
 *	regular file that others cannot write; the buffer is wiped after parsing since
 *	it holds the secrets.
 *
 * DIAGNOSTICS
 *	Errors go to the caller's FILE as "FILE:LINE: [section] key: reason", at most
 *	CONFIG_ERRORS_MAX of them. A value is quoted in an error only when it cannot be
 *	a secret.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ini.h"
#include "log.h"
#include "xalloc.h"

#define CONFIG_MASK         "*****"
#define CONFIG_NAME_MAX     64 /* longest key or section worth a suggestion */
#define CONFIG_QUOTE_MAX    60 /* value bytes quoted in an error */
#define CONFIG_ENDPOINT_FMT "https://ctrl.email.%s.oci.oraclecloud.com"
#define CONFIG_WHY_MAX      256

/* What the file said about one key: every value as written, and the first line. */
struct config_setting {
	struct config_list texts;
	unsigned lineno; /* 0: not in the file */
};

struct config_source {
	size_t count;                     /* config_key_count */
	struct config_setting settings[]; /* in table order */
};

struct config_parse {
	struct edg_config *cfg;
	const char *filename;
	FILE *errors;
	unsigned error_count;
	char unknown_section[CONFIG_NAME_MAX + 1]; /* reported once, not per key */
};

static void *
config_field(const struct edg_config *cfg, const struct config_key *key)
{
	return (char *)(uintptr_t)cfg + key->offset;
}

static struct config_setting *
config_setting(const struct edg_config *cfg, const struct config_key *key)
{
	return &cfg->source->settings[key - config_keys];
}

static const struct config_key *
config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < config_key_count; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* Where the file set a key (0: it did not). */
static unsigned
config_line_of(const struct edg_config *cfg, const char *section, const char *name)
{
	return config_setting(cfg, config_key_find(section, name))->lineno;
}

/* Where the file gave a key a value other than its default (0: it did not). A
 * key restated at its default changes nothing, so the rules below ignore it and
 * the output of "config show -a" loads again. */
static unsigned
config_line_of_change(const struct edg_config *cfg, const char *section, const char *name)
{
	const struct config_key *key = config_key_find(section, name);
	const struct config_setting *setting = config_setting(cfg, key);

	if (setting->texts.count == 0 || strcmp(setting->texts.items[0], key->default_text) == 0)
		return 0;
	return setting->lineno;
}

static int config_error(struct config_parse *p, unsigned lineno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One error line; returns non-zero once there are too many to go on. */
static int
config_error(struct config_parse *p, unsigned lineno, const char *fmt, ...)
{
	va_list ap;

	if (++p->error_count > CONFIG_ERRORS_MAX || p->errors == NULL)
		return p->error_count >= CONFIG_ERRORS_MAX;
	if (lineno > 0)
		fprintf(p->errors, "%s:%u: ", p->filename, lineno);
	else
		fprintf(p->errors, "%s: ", p->filename);
	va_start(ap, fmt);
	vfprintf(p->errors, fmt, ap);
	va_end(ap);
	fputc('\n', p->errors);
	if (p->error_count == CONFIG_ERRORS_MAX)
		fprintf(p->errors, "%s: too many errors, giving up\n", p->filename);
	return p->error_count >= CONFIG_ERRORS_MAX;
}

/* Levenshtein distance, for "did you mean"; names longer than CONFIG_NAME_MAX are
 * never close to anything. */
static size_t
config_distance(const char *a, const char *b)
{
	size_t alen = strlen(a), blen = strlen(b), row[CONFIG_NAME_MAX + 1];

	if (alen > CONFIG_NAME_MAX || blen > CONFIG_NAME_MAX)
		return (size_t)-1;
	for (size_t j = 0; j <= blen; j++)
		row[j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t above = row[j], best = diagonal + (a[i - 1] != b[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diagonal = above;
			row[j] = best;
		}
	}
	return row[blen];
}

/* A typo is at most two edits, and fewer than the name has letters. */
static int
config_close_enough(const char *typed, const char *candidate, size_t distance)
{
	size_t limit = strlen(typed) > 4 ? 2 : 1;

	return distance <= limit && distance < strlen(candidate);
}

static const char *
config_nearest_section(const char *typed)
{
	const char *best = NULL;
	size_t best_distance = (size_t)-1;

	for (size_t i = 0; i < config_key_count; i++) {
		size_t d = config_distance(typed, config_keys[i].section);

		if (d < best_distance && config_close_enough(typed, config_keys[i].section, d))
			best = config_keys[i].section, best_distance = d;
	}
	return best;
}

/* The nearest key in section, or else a key of that exact name in another section. */
static const struct config_key *
config_nearest_key(const char *section, const char *typed)
{
	const struct config_key *best = NULL;
	size_t best_distance = (size_t)-1;

	for (size_t i = 0; i < config_key_count; i++) {
		size_t d;

		if (strcmp(config_keys[i].section, section) != 0)
			continue;
		d = config_distance(typed, config_keys[i].name);
		if (d < best_distance && config_close_enough(typed, config_keys[i].name, d))
			best = &config_keys[i], best_distance = d;
	}
	for (size_t i = 0; best == NULL && i < config_key_count; i++)
		if (strcmp(config_keys[i].name, typed) == 0)
			best = &config_keys[i];
	return best;
}

static int
config_section_known(const char *section)
{
	for (size_t i = 0; i < config_key_count; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return 1;
	return 0;
}

static int
config_unknown(struct config_parse *p, const char *section, const char *name, unsigned lineno)
{
	const struct config_key *near;
	const char *near_section;

	if (config_section_known(section)) {
		if ((near = config_nearest_key(section, name)) == NULL)
			return config_error(p, lineno, "[%s] %s: unknown key", section, name);
		if (strcmp(near->section, section) != 0)
			return config_error(p, lineno, "[%s] %s: unknown key (it belongs in [%s])",
			                    section, name, near->section);
		return config_error(p, lineno, "[%s] %s: unknown key (did you mean \"%s\"?)",
		                    section, name, near->name);
	}
	if (strcmp(p->unknown_section, section) == 0)
		return 0; /* reported at its first key */
	snprintf(p->unknown_section, sizeof(p->unknown_section), "%s", section);
	if ((near_section = config_nearest_section(section)) != NULL)
		return config_error(p, lineno, "[%s] %s: unknown section (did you mean [%s]?)",
		                    section, name, near_section);
	return config_error(p, lineno, "[%s] %s: unknown section", section, name);
}

/* Types whose text may hold a secret are never quoted back. */
static int
config_may_quote(const struct config_key *key)
{
	return !(key->flags & CONFIG_F_SECRET) && key->type != CONFIG_T_REDIS_URL &&
	       key->type != CONFIG_T_PROXY;
}

static int
config_on_key(const char *section, const char *name, const char *value, unsigned lineno, void *ctx)
{
	struct config_parse *p = ctx;
	const struct config_key *key = config_key_find(section, name);
	struct config_setting *setting;
	char why[CONFIG_WHY_MAX];

	if (key == NULL)
		return config_unknown(p, section, name, lineno);
	setting = config_setting(p->cfg, key);
	if (setting->lineno != 0 && !(key->flags & CONFIG_F_REPEAT))
		return config_error(p, lineno, "[%s] %s: duplicate key (first set at line %u)",
		                    section, name, setting->lineno);
	if (setting->lineno == 0)
		setting->lineno = lineno;
	if (config_value_set(key, value, config_field(p->cfg, key), why, sizeof(why)) != 0) {
		if (config_may_quote(key) && value[0] != '\0')
			return config_error(p, lineno, "[%s] %s: \"%.*s%s\": %s", section, name,
			                    CONFIG_QUOTE_MAX, value,
			                    strlen(value) > CONFIG_QUOTE_MAX ? "..." : "", why);
		return config_error(p, lineno, "[%s] %s: %s", section, name, why);
	}
	setting->texts.items =
	    xrealloc(setting->texts.items, (setting->texts.count + 1) * sizeof(char *));
	setting->texts.items[setting->texts.count++] = xstrdup(value);
	return 0;
}

static int
config_on_syntax_error(unsigned lineno, const char *reason, void *ctx)
{
	return config_error(ctx, lineno, "%s", reason);
}

/*
 * The rules that tie keys together. They run only on a file whose every value is
 * valid, so that a bad value is not reported twice under two names.
 */
static const char *const config_api_keys[] = {"tenancy", "user", "fingerprint", "key_file"};

static void
config_check_oci_config(struct config_parse *p)
{
	static const char *const credentials[] = {"tenancy", "user", "fingerprint", "key_file",
	                                          "pass_phrase"};

	for (size_t i = 0; i < sizeof(credentials) / sizeof(credentials[0]); i++) {
		unsigned line = config_line_of_change(p->cfg, "oci", credentials[i]);

		if (line != 0)
			config_error(p, line,
			             "[oci] %s: not used with oci_config (the profile "
			             "has it): remove one of them",
			             credentials[i]);
	}
}

/* Without oci_config the API key is given here: all four keys, or none at all. */
static void
config_check_api_key(struct config_parse *p)
{
	const struct edg_config *cfg = p->cfg;
	const char *values[] = {cfg->oci.tenancy, cfg->oci.user, cfg->oci.fingerprint,
	                        cfg->oci.key_file};
	char missing[128] = "";
	unsigned first_line = 0;

	for (size_t i = 0; i < 4; i++) {
		unsigned line = config_line_of(cfg, "oci", config_api_keys[i]);

		if (values[i][0] == '\0')
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
			         "%s%s", missing[0] ? ", " : "", config_api_keys[i]);
		else if (first_line == 0 || (line != 0 && line < first_line))
			first_line = line;
	}
	if (first_line != 0 && missing[0] != '\0')
		config_error(p, first_line,
		             "[oci] incomplete API key: %s missing (or use oci_config)", missing);
	else if (first_line != 0 && cfg->oci.region[0] == '\0' && cfg->oci.endpoint[0] == '\0')
		config_error(p, first_line,
		             "[oci] region: needed to reach the API (or set endpoint)");
	if (cfg->oci.pass_phrase[0] != '\0' && cfg->oci.key_file[0] == '\0')
		config_error(p, config_line_of(cfg, "oci", "pass_phrase"),
		             "[oci] pass_phrase: set without key_file");
	if (config_line_of_change(cfg, "oci", "profile") != 0)
		config_error(p, config_line_of_change(cfg, "oci", "profile"),
		             "[oci] profile: only used with oci_config");
}

static void
config_check_socket_keys(struct config_parse *p, const char *section,
                         const struct config_daemon *daemon)
{
	static const char *const unix_only[] = {"socket_owner", "socket_group", "socket_mode"};

	if (daemon->listen.kind == CONFIG_SOCKET_UNIX)
		return;
	for (size_t i = 0; i < sizeof(unix_only) / sizeof(unix_only[0]); i++) {
		unsigned line = config_line_of_change(p->cfg, section, unix_only[i]);

		if (line != 0)
			config_error(p, line, "[%s] %s: only for a unix: listen socket", section,
			             unix_only[i]);
	}
}

static void
config_check_rules(struct config_parse *p)
{
	const struct edg_config *cfg = p->cfg;

	if (cfg->oci.oci_config[0] != '\0')
		config_check_oci_config(p);
	else
		config_check_api_key(p);
	if (cfg->oci.connect_timeout_ms > cfg->oci.timeout_ms)
		config_error(p, config_line_of(cfg, "oci", "connect_timeout"),
		             "[oci] connect_timeout: longer than timeout");
	config_check_socket_keys(p, "policyd", &cfg->policyd.daemon);
	config_check_socket_keys(p, "milter", &cfg->milter.daemon);
	if (cfg->bindings.enforce && cfg->bindings.list.count == 0)
		config_error(p, config_line_of(cfg, "bindings", "enforce"),
		             "[bindings] enforce: set, but there is no bind line");
}

/* A configuration holding the defaults, with an empty source. */
static struct edg_config *
config_new(void)
{
	struct edg_config *cfg = xcalloc(1, sizeof(*cfg));
	char why[CONFIG_WHY_MAX];

	cfg->source =
	    xcalloc(1, sizeof(*cfg->source) + config_key_count * sizeof(cfg->source->settings[0]));
	for (size_t i = 0; i < config_key_count; i++) {
		const struct config_key *key = &config_keys[i];

		if ((key->flags & CONFIG_F_REPEAT) && key->default_text[0] == '\0')
			continue;
		if (config_value_set(key, key->default_text, config_field(cfg, key), why,
		                     sizeof(why)) != 0)
			fatalx("config: the default of [%s] %s is invalid: %s", key->section,
			       key->name, why);
	}
	return cfg;
}

struct edg_config *
config_defaults(void)
{
	return config_new();
}

void
config_free(struct edg_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < config_key_count; i++) {
		struct config_list *texts = &cfg->source->settings[i].texts;

		for (size_t j = 0; j < texts->count; j++)
			explicit_bzero(texts->items[j], strlen(texts->items[j]));
		config_list_release(texts);
		config_value_release(&config_keys[i], config_field(cfg, &config_keys[i]));
	}
	free(cfg->source);
	free(cfg);
}

struct edg_config *
config_parse_buffer(const char *buf, size_t len, const char *filename, FILE *errors)
{
	struct config_parse p = {.cfg = config_new(), .filename = filename, .errors = errors};

	ini_parse_all(buf, len, config_on_key, config_on_syntax_error, &p);
	if (p.error_count == 0)
		config_check_rules(&p);
	if (p.error_count == 0)
		return p.cfg;
	config_free(p.cfg);
	return NULL;
}

/* Open path if it is a file edg may trust: regular, not writable by others, not
 * larger than CONFIG_FILE_MAX. Returns the descriptor or -1. */
static int
config_open_trusted(struct config_parse *p, const char *path, struct stat *st)
{
	const char *why = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return config_error(p, 0, "cannot open: %s", strerror(errno)), -1;
	if (fstat(fd, st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st->st_mode))
		why = "not a regular file";
	else if (st->st_mode & S_IWOTH)
		why = "writable by everyone: refused (chmod o-w)";
	else if (st->st_size > CONFIG_FILE_MAX)
		why = "larger than 1 MB: refused";
	if (why == NULL)
		return fd;
	config_error(p, 0, "%s", why);
	close(fd);
	return -1;
}

/* The whole file into *buf (the caller wipes and frees it); *mode its permissions. */
static int
config_read_file(const char *path, FILE *errors, char **buf, size_t *len, mode_t *mode)
{
	struct config_parse p = {.filename = path, .errors = errors};
	struct stat st;
	ssize_t got = 0;
	size_t room;
	int fd = config_open_trusted(&p, path, &st);

	if (fd < 0)
		return -1;
	*mode = st.st_mode;
	room = (size_t)st.st_size + 1; /* one more byte shows a file that grew */
	*buf = xmalloc(room);
	*len = 0;
	while (*len < room && (got = read(fd, *buf + *len, room - *len)) > 0)
		*len += (size_t)got;
	close(fd);
	if (got >= 0 && *len < room)
		return 0;
	config_error(&p, 0, "%s", got < 0 ? strerror(errno) : "changed while being read");
	explicit_bzero(*buf, *len);
	free(*buf);
	return -1;
}

/* The password of "scheme://user:password@host", or "" (pointer into a copy). */
static char *
config_url_password(const char *url)
{
	const char *start = strstr(url, "://"), *at, *colon;

	if (start == NULL || (at = strrchr(start + 3, '@')) == NULL ||
	    (colon = memchr(start + 3, ':', (size_t)(at - start - 3))) == NULL)
		return xstrdup("");
	return xstrndup(colon + 1, (size_t)(at - colon - 1));
}

/* Every secret to the log masker; returns whether there was any. */
static int
config_register_secrets(const struct edg_config *cfg)
{
	char *proxy_password = config_url_password(cfg->oci.proxy);
	const char *secrets[] = {cfg->oci.pass_phrase, cfg->redis.url.password,
	                         cfg->redis.url.sentinel_password, proxy_password};
	int any = 0;

	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (secrets[i][0] == '\0')
			continue;
		log_secret_add(secrets[i]);
		any = 1;
	}
	explicit_bzero(proxy_password, strlen(proxy_password));
	free(proxy_password);
	return any;
}

struct edg_config *
config_load(const char *path, FILE *errors)
{
	struct edg_config *cfg;
	char *buf;
	size_t len;
	mode_t mode;

	if (config_read_file(path, errors, &buf, &len, &mode) != 0)
		return NULL;
	cfg = config_parse_buffer(buf, len, path, errors);
	explicit_bzero(buf, len);
	free(buf);
	if (cfg != NULL && config_register_secrets(cfg) && (mode & S_IROTH) && errors != NULL)
		fprintf(errors, "%s: warning: holds secrets but everyone may read it (chmod o-r)\n",
		        path);
	return cfg;
}

char *
config_oci_endpoint(const struct edg_config *cfg, const char *profile_region)
{
	const char *region = cfg->oci.region[0] != '\0' ? cfg->oci.region : profile_region;

	if (cfg->oci.endpoint[0] != '\0')
		return xstrdup(cfg->oci.endpoint);
	if (region == NULL || region[0] == '\0' ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
		return NULL;
	return xasprintf(CONFIG_ENDPOINT_FMT, region);
}

/*
 * text with the password of a URL, or all of a secret, replaced by CONFIG_MASK; a
 * Redis Sentinel URL's "?sentinel_password=", which runs to the end, is masked too.
 */
static void
config_print_masked(const struct config_key *key, const char *text, FILE *out)
{
	const char *start = strstr(text, "://"), *query, *at, *colon;
	int len;

	if ((key->flags & CONFIG_F_SECRET) && text[0] != '\0') {
		fputs(CONFIG_MASK, out);
		return;
	}
	if (config_may_quote(key) || start == NULL) {
		fputs(text, out);
		return;
	}
	query = strstr(start, "?sentinel_password=");
	len = query != NULL ? (int)(query - text) : (int)strlen(text);
	if ((at = memrchr(start + 3, '@', (size_t)(text + len - start - 3))) == NULL ||
	    (colon = memchr(start + 3, ':', (size_t)(at - start - 3))) == NULL)
		fprintf(out, "%.*s", len, text);
	else
		fprintf(out, "%.*s%s%.*s", (int)(colon + 1 - text), text, CONFIG_MASK,
		        (int)(text + len - at), at);
	if (query != NULL)
		fprintf(out, "?sentinel_password=%s", CONFIG_MASK);
}

static void
config_show_line(const struct config_key *key, const char *text, FILE *out)
{
	fprintf(out, "%s =%s", key->name, text[0] != '\0' ? " " : "");
	config_print_masked(key, text, out);
	fputc('\n', out);
}

static void
config_show_key(const struct edg_config *cfg, const struct config_key *key, FILE *out)
{
	const struct config_setting *setting = config_setting(cfg, key);

	if (setting->texts.count == 0 && !(key->flags & CONFIG_F_REPEAT))
		config_show_line(key, key->default_text, out);
	for (size_t i = 0; i < setting->texts.count; i++)
		config_show_line(key, setting->texts.items[i], out);
}

void
config_show(const struct edg_config *cfg, FILE *out, int all)
{
	const char *section = NULL;

	for (size_t i = 0; i < config_key_count; i++) {
		const struct config_key *key = &config_keys[i];

		if (!all && config_setting(cfg, key)->texts.count == 0)
			continue;
		if (section == NULL || strcmp(section, key->section) != 0) {
			fprintf(out, "%s[%s]\n", section != NULL ? "\n" : "", key->section);
			section = key->section;
		}
		config_show_key(cfg, key, out);
	}
}

static const char config_sample_header[] =
    "# edg.conf - configuration of edg-syncd, edg-policyd, edg-milter and edgctl\n"
    "#\n"
    "# Generated from the key table by \"edgctl config sample\" (\"make sample\"):\n"
    "# do not edit this copy; copy it to /etc/edg/edg.conf and edit that one.\n"
    "# Every key is shown commented out with its default value; the reference is\n"
    "# docs/configuration.md.\n"
    "#\n"
    "# Syntax: [section] headers; key = value (split on the first \"=\", blanks\n"
    "# around key and value ignored); whole-line comments start with # or ;.\n"
    "# There are no inline comments: a # inside a value is part of the value.\n"
    "# Durations: 500ms, 60s, 5m, 6h, 1d (a bare number is seconds).\n"
    "# Sizes: 512, 64KB, 2MB, 1GB (KB = 1024 bytes).\n"
    "# Booleans: yes/no, true/false, on/off, 1/0. Lists: comma or blank separated.\n"
    "# Check a file with: edgctl -c FILE config check\n";

void
config_sample(FILE *out)
{
	const char *section = NULL;
	char type[128];

	fputs(config_sample_header, out);
	for (size_t i = 0; i < config_key_count; i++) {
		const struct config_key *key = &config_keys[i];

		if (section == NULL || strcmp(section, key->section) != 0)
			fprintf(out, "\n[%s]\n", key->section);
		section = key->section;
		config_type_describe(key, type, sizeof(type));
		fprintf(out, "\n# %s\n# Type: %s. Default: %s%s%s.", key->doc, type,
		        key->default_text[0] ? "" : "empty", key->default_text,
		        key->flags & CONFIG_F_REPEAT ? " (repeatable)" : "");
		if (key->example != NULL)
			fprintf(out, " Example: %s", key->example);
		if (key->flags & CONFIG_F_REPEAT)
			fprintf(out, "\n#%s = %s\n", key->name, key->example);
		else if (key->default_text[0] != '\0')
			fprintf(out, "\n#%s = %s\n", key->name, key->default_text);
		else
			fprintf(out, "\n#%s =\n", key->name);
	}
}

/* Markdown table cells: a "|" would end the cell. */
static void
config_print_cell(const char *text, FILE *out)
{
	for (; *text; text++) {
		if (*text == '|')
			fputc('\\', out);
		fputc(*text, out);
	}
}

void
config_reference(FILE *out)
{
	const char *section = NULL;
	char type[128];

	for (size_t i = 0; i < config_key_count; i++) {
		const struct config_key *key = &config_keys[i];

		if (section == NULL || strcmp(section, key->section) != 0)
			fprintf(out,
			        "%s### [%s]\n\n| Key | Type | Default | Description |\n"
			        "|---|---|---|---|\n",
			        section != NULL ? "\n" : "", key->section);
		section = key->section;
		config_type_describe(key, type, sizeof(type));
		fprintf(out, "| `%s` | ", key->name);
		config_print_cell(type, out);
		fprintf(out, "%s | %s%s%s | ", key->flags & CONFIG_F_REPEAT ? " (repeatable)" : "",
		        key->default_text[0] ? "`" : "",
		        key->default_text[0] ? key->default_text : "empty",
		        key->default_text[0] ? "`" : "");
		config_print_cell(key->doc, out);
		if (key->example != NULL)
			fprintf(out, ". Example: `%s`", key->example);
		fputs(" |\n", out);
	}
}
