/*
 * config_table.c - every key of edg.conf, and how each type reaches its field
 *
 * SYNOPSIS
 *	extern const struct config_key config_keys[];
 *	extern const size_t config_key_count;
 *	const char *config_type_name(const struct config_key *key);
 *	int config_value_set(const struct config_key *key, const char *text,
 *	    void *field, char *why, size_t whysize);
 *	void config_value_release(const struct config_key *key, void *field);
 *
 * DESCRIPTION
 *	config_keys[] is the single source of truth: lib/config.c parses, validates,
 *	shows and documents from it and nothing else. Sections appear in table order.
 *	A key's C field type follows from its type:
 *
 *	  char *                  STRING PATH REGION OCID FINGERPRINT SECRET ENDPOINT
 *	                          PROXY KEY_PREFIX AUDIT ACCOUNT ADDRESS HEADER_NAME
 *	  int64_t (milliseconds)  DURATION
 *	  size_t (bytes)          SIZE
 *	  int                     BOOL ENUM (index into arg) FACILITY LEVEL
 *	  long                    INT
 *	  unsigned                MODE
 *	  struct config_list      OCID_LIST
 *	  struct config_socket    POLICY_SOCKET MILTER_SOCKET TCP_SOCKET
 *	  struct config_redis_url REDIS_URL
 *	  struct config_rewrite_list, config_binding_list     REWRITE, BIND
 *	  struct config_list      RCPT_PATTERNS (canonical recipient patterns)
 *	  struct config_limit_list LIMIT
 *	  struct config_reply_list SUPPRESSED_REPLY
 *
 *	config_value_set() is pure apart from allocation: text in, field out, the old
 *	value released. Its reasons never quote the value (it may be a secret).
 *
 * DIAGNOSTICS
 *	config_value_set() returns 0, or -1 with the reason in why.
 */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "xalloc.h"

#define FIELD(member) offsetof(struct edg_config, member)
#define SEC_MS        1000LL
#define MIN_MS        (60 * SEC_MS)
#define HOUR_MS       (60 * MIN_MS)
#define DAY_MS        (24 * HOUR_MS)

/*
 * KEY() names the five things every key has; RANGE() bounds numbers (durations in
 * ms, sizes in bytes); the rest is by name. Designated initializers throughout, so
 * a field left out is zero, never a silent shift.
 */
#define KEY(sec, key, kind, def, member, text)                                                     \
	.section = sec, .name = key, .type = kind, .default_text = def, .offset = FIELD(member),   \
	.doc = text
#define RANGE(low, high) .min = (low), .max = (high)
#define OPTIONAL         .flags = CONFIG_F_EMPTY

/* The keys [policyd] and [milter] share, in the daemon structure of each. */
#define DAEMON_KEYS(sec, d)                                                                        \
	{KEY(sec, "socket_owner", CONFIG_T_ACCOUNT, "", d.socket_owner,                            \
	     "owner of the unix: socket; empty: the user the daemon runs as"),                     \
	 OPTIONAL},                                                                                \
	    {KEY(sec, "socket_group", CONFIG_T_ACCOUNT, "", d.socket_group,                        \
	         "group of the unix: socket; empty: the daemon's group"),                          \
	     OPTIONAL},                                                                            \
	    {KEY(sec, "socket_mode", CONFIG_T_MODE, "0660", d.socket_mode,                         \
	         "permissions of the unix: socket (octal)")},                                      \
	    {KEY(sec, "user", CONFIG_T_ACCOUNT, "edg", d.user,                                     \
	         "unprivileged user to run as after opening the socket")},                         \
	    {KEY(sec, "mode", CONFIG_T_ENUM, "enforce", d.mode,                                    \
	         "enforce: refuse or rewrite; monitor: only log what would be done"),              \
	     .arg = "enforce|monitor"},                                                            \
	    {KEY(sec, "on_state_error", CONFIG_T_ENUM, "tempfail", d.on_state_error,               \
	         "state unavailable beyond max_stale: tempfail (4xx) or accept"),                  \
	     .arg = "tempfail|accept"},                                                            \
	    {KEY(sec, "max_stale", CONFIG_T_DURATION, "1h", d.max_stale_ms,                        \
	         "how long the last-known-good view answers while Redis is unreachable"),          \
	     RANGE(SEC_MS, 30 * DAY_MS)},                                                          \
	{                                                                                          \
		KEY(sec, "suppressed_reply", CONFIG_T_SUPPRESSED_REPLY, "", d.suppressed_replies,  \
		    "REASON CODE [DSN]: the reply to a recipient OCI suppressed for REASON (or *); " \
		    "unset: 550 5.1.1"),                                                           \
		    .flags = CONFIG_F_REPEAT | CONFIG_F_EMPTY, .example = "SOFTBOUNCE 450 4.2.1"   \
	}

#define METRICS_KEY(sec, member, sample)                                                           \
	{                                                                                          \
		KEY(sec, "metrics_listen", CONFIG_T_TCP_SOCKET, "", member,                        \
		    "Prometheus metrics listener inet:HOST:PORT; empty: off"),                     \
		    OPTIONAL, .example = sample                                                    \
	}

/* clang-format off */
const struct config_key config_keys[] = {
	{KEY("log", "facility", CONFIG_T_FACILITY, "mail", log.facility,
	     "syslog facility: mail, daemon, user or local0 to local7")},
	{KEY("log", "level", CONFIG_T_LEVEL, "info", log.level,
	     "least important messages logged: debug, info, notice, warning or error")},

	{KEY("oci", "region", CONFIG_T_REGION, "", oci.region,
	     "OCI region identifier; empty with oci_config: the profile's region"),
	 OPTIONAL, .example = "us-ashburn-1"},
	{KEY("oci", "tenancy", CONFIG_T_OCID, "", oci.tenancy,
	     "tenancy OCID of the API signing key"),
	 OPTIONAL, .arg = "ocid1.tenancy.", .example = "ocid1.tenancy.oc1..aaaaaaaaexample"},
	{KEY("oci", "user", CONFIG_T_OCID, "", oci.user,
	     "user OCID of the API signing key"),
	 OPTIONAL, .arg = "ocid1.user.", .example = "ocid1.user.oc1..aaaaaaaaexample"},
	{KEY("oci", "fingerprint", CONFIG_T_FINGERPRINT, "", oci.fingerprint,
	     "fingerprint of the API signing key (16 colon-separated hex pairs)"),
	 OPTIONAL, .example = "12:34:56:78:9a:bc:de:f0:12:34:56:78:9a:bc:de:f0"},
	{KEY("oci", "key_file", CONFIG_T_PATH, "", oci.key_file,
	     "PEM private key of the API signing key"),
	 OPTIONAL, .example = "/etc/edg/oci_api_key.pem"},
	{KEY("oci", "pass_phrase", CONFIG_T_SECRET, "", oci.pass_phrase,
	     "passphrase of key_file; empty: the key is not encrypted"),
	 .flags = CONFIG_F_EMPTY | CONFIG_F_SECRET},
	{KEY("oci", "oci_config", CONFIG_T_PATH, "", oci.oci_config,
	     "OCI CLI config file with the credentials, instead of the keys above"),
	 OPTIONAL, .example = "/etc/edg/oci.config"},
	{KEY("oci", "profile", CONFIG_T_STRING, "DEFAULT", oci.profile,
	     "profile (section) of oci_config to use")},
	{KEY("oci", "compartments", CONFIG_T_OCID_LIST, "", oci.compartments,
	     "compartments whose approved senders are synced; empty: the tenancy"),
	 OPTIONAL, .example = "ocid1.compartment.oc1..aaaaaaaaexample"},
	{KEY("oci", "endpoint", CONFIG_T_ENDPOINT, "", oci.endpoint,
	     "control plane scheme://host[:port]; empty: https://ctrl.email.REGION.oci.oraclecloud.com"),
	 OPTIONAL},
	{KEY("oci", "ca_file", CONFIG_T_PATH, "", oci.ca_file,
	     "CA bundle for the endpoint; empty: the system's"),
	 OPTIONAL},
	{KEY("oci", "proxy", CONFIG_T_PROXY, "", oci.proxy,
	     "HTTP(S) or SOCKS proxy scheme://[user:password@]host[:port]; empty: from https_proxy/no_proxy"),
	 OPTIONAL, .example = "http://proxy.example.com:3128"},
	{KEY("oci", "connect_timeout", CONFIG_T_DURATION, "10s", oci.connect_timeout_ms,
	     "time allowed to connect to the API"),
	 RANGE(100, 5 * MIN_MS)},
	{KEY("oci", "timeout", CONFIG_T_DURATION, "60s", oci.timeout_ms,
	     "time allowed for one API request"),
	 RANGE(SEC_MS, HOUR_MS)},
	{KEY("oci", "max_pages", CONFIG_T_INT, "20000", oci.max_pages,
	     "pages of one listing before it is abandoned (guards against loops)"),
	 RANGE(1, 10000000)},
	{KEY("oci", "retries", CONFIG_T_INT, "8", oci.retries,
	     "retries of a failed request (429, 5xx, network) before giving up"),
	 RANGE(0, 100)},
	{KEY("oci", "retry_max_delay", CONFIG_T_DURATION, "30s", oci.retry_max_delay_ms,
	     "longest wait between retries (exponential backoff with jitter)"),
	 RANGE(SEC_MS, HOUR_MS)},

	{KEY("redis", "url", CONFIG_T_REDIS_URL, "unix:///run/redis/redis-server.sock", redis.url,
	     "redis://[user:pw@]host[:port][/db], unix://[user:pw@]/path[?db=N] or "
	     "redis+sentinel://hosts/master")},
	{KEY("redis", "prefix", CONFIG_T_KEY_PREFIX, "edg", redis.prefix,
	     "first component of every key (letters, digits, . _ -)")},
	{KEY("redis", "connect_timeout", CONFIG_T_DURATION, "1s", redis.connect_timeout_ms,
	     "time allowed to connect to Redis"),
	 RANGE(10, MIN_MS)},
	{KEY("redis", "command_timeout", CONFIG_T_DURATION, "1s", redis.command_timeout_ms,
	     "time allowed for one Redis command"),
	 RANGE(10, MIN_MS)},

	{KEY("syncd", "sender_interval", CONFIG_T_DURATION, "60s", syncd.sender_interval_ms,
	     "how often the approved senders are listed in full"),
	 RANGE(5 * SEC_MS, DAY_MS)},
	{KEY("syncd", "suppression_interval", CONFIG_T_DURATION, "60s",
	     syncd.suppression_interval_ms, "how often new suppressions are pulled"),
	 RANGE(5 * SEC_MS, DAY_MS)},
	{KEY("syncd", "reconcile_interval", CONFIG_T_DURATION, "6h", syncd.reconcile_interval_ms,
	     "how often all suppressions are listed to drop deleted ones"),
	 RANGE(MIN_MS, 30 * DAY_MS)},
	{KEY("syncd", "suppression_overlap", CONFIG_T_DURATION, "5m", syncd.suppression_overlap_ms,
	     "incremental pulls start this long before the high-water mark"),
	 RANGE(0, DAY_MS)},
	{KEY("syncd", "lock_ttl", CONFIG_T_DURATION, "30s", syncd.lock_ttl_ms,
	     "lifetime of the Redis lock that keeps a second syncd idle"),
	 RANGE(5 * SEC_MS, HOUR_MS)},
	{KEY("syncd", "audit_log", CONFIG_T_AUDIT, "syslog", syncd.audit_log,
	     "where state changes are recorded: syslog or an absolute file path")},
	{KEY("syncd", "user", CONFIG_T_ACCOUNT, "edg", syncd.user,
	     "unprivileged user to run as")},
	METRICS_KEY("syncd", syncd.metrics_listen, "inet:127.0.0.1:9641"),

	{KEY("policyd", "listen", CONFIG_T_POLICY_SOCKET, "inet:127.0.0.1:10040",
	     policyd.daemon.listen,
	     "policy service socket: inet:HOST:PORT, inet:[IPV6]:PORT or unix:/PATH")},
	DAEMON_KEYS("policyd", policyd.daemon),
	{KEY("policyd", "idle_timeout", CONFIG_T_DURATION, "300s", policyd.idle_timeout_ms,
	     "a Postfix connection idle this long is closed"),
	 RANGE(SEC_MS, DAY_MS)},
	{KEY("policyd", "max_connections", CONFIG_T_INT, "10000", policyd.max_connections,
	     "simultaneous Postfix connections"),
	 RANGE(1, 1000000)},
	{KEY("policyd", "max_request_size", CONFIG_T_SIZE, "16KB", policyd.max_request_size,
	     "largest policy request; a larger one closes the connection"),
	 RANGE(1024, 1024 * 1024)},
	METRICS_KEY("policyd", policyd.daemon.metrics_listen, "inet:127.0.0.1:9642"),

	{KEY("milter", "listen", CONFIG_T_MILTER_SOCKET, "inet:10041@127.0.0.1",
	     milter.daemon.listen,
	     "milter socket: inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH or local:/PATH")},
	DAEMON_KEYS("milter", milter.daemon),
	{KEY("milter", "default_sender", CONFIG_T_ADDRESS, "", milter.default_sender,
	     "approved sender for an unapproved From: no rule matches; empty: refuse"),
	 OPTIONAL, .example = "noreply@example.com"},
	{KEY("milter", "reply_to", CONFIG_T_BOOL, "yes", milter.reply_to,
	     "when rewriting, add Reply-To: with the original address if there is none")},
	{KEY("milter", "original_from_header", CONFIG_T_HEADER_NAME, "X-Original-From",
	     milter.original_from_header,
	     "header that keeps the original From: when rewriting; empty: none"),
	 OPTIONAL},
	{KEY("milter", "timeout", CONFIG_T_DURATION, "30s", milter.timeout_ms,
	     "libmilter I/O timeout with Postfix"),
	 RANGE(SEC_MS, HOUR_MS)},
	{KEY("milter", "transport_listen", CONFIG_T_POLICY_SOCKET, "", milter.transport_listen,
	     "socketmap for Postfix transport_maps bouncing suppressed recipients; empty: off"),
	 OPTIONAL, .example = "unix:/run/edg/transport.sock"},
	METRICS_KEY("milter", milter.daemon.metrics_listen, "inet:127.0.0.1:9643"),

	{KEY("rewrite", "rule", CONFIG_T_REWRITE, "", rewrite,
	     "SOURCE PATTERN SENDER; repeatable, the first match wins"),
	 .flags = CONFIG_F_REPEAT,
	 .example = "header @example.net news@example.com"},

	{KEY("bindings", "enforce", CONFIG_T_BOOL, "no", bindings.enforce,
	     "refuse a From: the SASL login or client network is not bound to")},
	{KEY("bindings", "bind", CONFIG_T_BIND, "", bindings.list,
	     "sasl:LOGIN or client:NETWORK, then the senders (addresses, @domains) it may use"),
	 .flags = CONFIG_F_REPEAT,
	 .example = "sasl:alice alice@example.com @example.org"},

	{KEY("guard", "allow_recipients", CONFIG_T_RCPT_PATTERNS, "", guard.allow_recipients,
	     "only these recipients (addresses, @domain, *@*.domain for subdomains); empty: all"),
	 .flags = CONFIG_F_REPEAT | CONFIG_F_EMPTY,
	 .example = "qa@example.com @staging.example.com *@*.test.example.com"},
	{KEY("guard", "redirect_to", CONFIG_T_ADDRESS, "", guard.redirect_to,
	     "mailbox that gets a message with a recipient off the allow-list; empty: refuse it"),
	 OPTIONAL, .example = "catch-all@example.com"},
	{KEY("guard", "limit", CONFIG_T_LIMIT, "", guard.limits,
	     "SCOPE[:ID] COUNT/WINDOW [CODE [DSN]]: recipients per sliding window, shared in Redis"),
	 .flags = CONFIG_F_REPEAT,
	 .example = "tenancy 17500/1m"},
	{KEY("guard", "on_limit_error", CONFIG_T_ENUM, "open", guard.on_limit_error,
	     "Redis unavailable for the limits: open (let mail pass) or closed (4xx)"),
	 .arg = "open|closed"},
};
/* clang-format on */

const size_t config_key_count = sizeof(config_keys) / sizeof(config_keys[0]);

const char *
config_type_name(const struct config_key *key)
{
	static const char *const names[] = {
	    [CONFIG_T_STRING] = "string",
	    [CONFIG_T_PATH] = "absolute path",
	    [CONFIG_T_DURATION] = "duration",
	    [CONFIG_T_SIZE] = "size",
	    [CONFIG_T_BOOL] = "boolean",
	    [CONFIG_T_INT] = "integer",
	    [CONFIG_T_ENUM] = "choice",
	    [CONFIG_T_FACILITY] = "syslog facility",
	    [CONFIG_T_LEVEL] = "log level",
	    [CONFIG_T_REGION] = "region",
	    [CONFIG_T_OCID] = "OCID",
	    [CONFIG_T_OCID_LIST] = "list of OCIDs",
	    [CONFIG_T_FINGERPRINT] = "fingerprint",
	    [CONFIG_T_SECRET] = "secret",
	    [CONFIG_T_ENDPOINT] = "URL",
	    [CONFIG_T_PROXY] = "URL",
	    [CONFIG_T_REDIS_URL] = "Redis URL",
	    [CONFIG_T_KEY_PREFIX] = "key prefix",
	    [CONFIG_T_AUDIT] = "syslog or path",
	    [CONFIG_T_ACCOUNT] = "user or group name",
	    [CONFIG_T_MODE] = "octal mode",
	    [CONFIG_T_POLICY_SOCKET] = "socket",
	    [CONFIG_T_MILTER_SOCKET] = "milter socket",
	    [CONFIG_T_TCP_SOCKET] = "TCP socket",
	    [CONFIG_T_ADDRESS] = "address",
	    [CONFIG_T_HEADER_NAME] = "header name",
	    [CONFIG_T_REWRITE] = "rewrite rule",
	    [CONFIG_T_BIND] = "binding",
	    [CONFIG_T_RCPT_PATTERNS] = "recipient patterns",
	    [CONFIG_T_LIMIT] = "limit",
	    [CONFIG_T_SUPPRESSED_REPLY] = "reply override",
	};

	return names[key->type];
}

/* Text validators: NULL when text is acceptable for key, else the reason. */
static const char *
config_check_chars(const char *text, const char *extra, size_t max)
{
	size_t len = strlen(text);

	if (len == 0 || len > max)
		return "empty or too long";
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(extra, *p) == NULL)
			return "contains a character that is not allowed";
	return NULL;
}

static const char *
config_check_path(const char *text)
{
	if (text[0] != '/')
		return "must be an absolute path";
	return strlen(text) >= 4096 ? "path too long" : NULL;
}

static const char *
config_check_ocid(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (strncmp(text, prefix, plen) != 0 || text[plen] == '\0')
		return strcmp(prefix, "ocid1.tenancy.") == 0 ? "must start with ocid1.tenancy."
		                                             : "must start with ocid1.user.";
	return config_check_chars(text, "._-", 255) ? "not an OCID" : NULL;
}

static const char *
config_check_fingerprint(const char *text)
{
	if (strlen(text) != 47)
		return "must be 16 colon-separated hex pairs";
	for (size_t i = 0; i < 47; i++)
		if (i % 3 == 2 ? text[i] != ':' : !isxdigit((unsigned char)text[i]))
			return "must be 16 colon-separated hex pairs";
	return NULL;
}

static const char *
config_check_header_name(const char *text)
{
	if (strlen(text) > 76)
		return "header name too long";
	for (const char *p = text; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return "not a header field name (printable ASCII, no ':' or space)";
	return NULL;
}

/* Reason a text-valued key refuses text, or NULL. */
static const char *
config_text_reason(const struct config_key *key, const char *text)
{
	const char *why = NULL;

	switch (key->type) {
	case CONFIG_T_PATH:
		return config_check_path(text);
	case CONFIG_T_REGION:
		return config_check_chars(text, "-", 64) ? "not a region identifier" : NULL;
	case CONFIG_T_OCID:
		return config_check_ocid(text, key->arg);
	case CONFIG_T_FINGERPRINT:
		return config_check_fingerprint(text);
	case CONFIG_T_SECRET:
		if (strlen(text) < 3)
			return "too short to be masked in logs (3 characters at least)";
		return strlen(text) > 1024 ? "too long" : NULL;
	case CONFIG_T_ENDPOINT:
		return config_url_check(text, "|http|https|", 0, &why) ? why : NULL;
	case CONFIG_T_PROXY:
		return config_url_check(text, "|http|https|socks4|socks4a|socks5|socks5h|", 1, &why)
		           ? why
		           : NULL;
	case CONFIG_T_KEY_PREFIX:
		return config_check_chars(text, "._-", 64)
		           ? "letters, digits, . _ - only (64 at most)"
		           : NULL;
	case CONFIG_T_AUDIT:
		if (strcmp(text, "syslog") == 0)
			return NULL;
		return text[0] == '/' ? config_check_path(text) : "syslog or an absolute path";
	case CONFIG_T_ACCOUNT:
		if (text[0] == '-' || config_check_chars(text, "._-", 32))
			return "not a user or group name";
		return NULL;
	case CONFIG_T_HEADER_NAME:
		return config_check_header_name(text);
	default:
		return strlen(text) > 255 ? "too long" : NULL;
	}
}

static void
config_text_store(const struct config_key *key, char **field, const char *text)
{
	if (*field != NULL && (key->flags & CONFIG_F_SECRET))
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = xstrdup(text);
	if (key->type == CONFIG_T_FINGERPRINT)
		for (char *p = *field; *p; p++)
			*p = (char)tolower((unsigned char)*p);
}

/* "1m", "512KB": the largest unit that divides value exactly. */
static void
config_format_quantity(enum config_type type, long long value, char *buf, size_t size)
{
	static const struct {
		const char *unit;
		long long factor;
	} durations[] = {{"d", DAY_MS}, {"h", HOUR_MS}, {"m", MIN_MS}, {"s", SEC_MS}, {"ms", 1}},
	  sizes[] = {{"GB", 1LL << 30}, {"MB", 1LL << 20}, {"KB", 1LL << 10}, {"", 1}};
	const size_t count = type == CONFIG_T_DURATION ? 5 : 4;

	for (size_t i = 0; type != CONFIG_T_INT && i < count; i++) {
		long long factor =
		    type == CONFIG_T_DURATION ? durations[i].factor : sizes[i].factor;

		if (value != 0 && value % factor == 0) {
			snprintf(buf, size, "%lld%s", value / factor,
			         type == CONFIG_T_DURATION ? durations[i].unit : sizes[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%lld%s", value, type == CONFIG_T_DURATION ? "ms" : "");
}

void
config_type_describe(const struct config_key *key, char *buf, size_t size)
{
	char low[32], high[32];

	if (key->type == CONFIG_T_ENUM) {
		snprintf(buf, size, "one of %s", key->arg);
		for (char *p = buf; (p = strchr(p, '|')) != NULL;)
			*p = '/';
		return;
	}
	if (key->max == 0) {
		snprintf(buf, size, "%s", config_type_name(key));
		return;
	}
	config_format_quantity(key->type, key->min, low, sizeof(low));
	config_format_quantity(key->type, key->max, high, sizeof(high));
	snprintf(buf, size, "%s, %s to %s", config_type_name(key), low, high);
}

static int
config_range_check(const struct config_key *key, long long value, char *why, size_t whysize)
{
	char low[32], high[32];

	if (key->max == 0 || (value >= key->min && value <= key->max))
		return 0;
	config_format_quantity(key->type, key->min, low, sizeof(low));
	config_format_quantity(key->type, key->max, high, sizeof(high));
	snprintf(why, whysize, "must be between %s and %s", low, high);
	return -1;
}

static int
config_number_parse(const struct config_key *key, const char *text, long long *value,
                    const char **reason)
{
	int64_t ms;
	size_t bytes;
	char *end;

	switch (key->type) {
	case CONFIG_T_DURATION:
		if (config_duration_parse(text, &ms, reason) != 0)
			return -1;
		*value = ms;
		return 0;
	case CONFIG_T_SIZE:
		if (config_size_parse(text, &bytes, reason) != 0)
			return -1;
		*value = bytes > LLONG_MAX ? LLONG_MAX : (long long)bytes;
		return 0;
	default:
		*reason = "not an integer";
		if (!isdigit((unsigned char)text[text[0] == '-']))
			return -1;
		*value = strtoll(text, &end, 10); /* overflow saturates: the range check refuses */
		return *end == '\0' ? 0 : -1;
	}
}

static int
config_set_number(const struct config_key *key, const char *text, void *field, char *why,
                  size_t whysize)
{
	const char *reason;
	long long value;

	if (config_number_parse(key, text, &value, &reason) != 0)
		return snprintf(why, whysize, "%s", reason), -1;
	if (config_range_check(key, value, why, whysize) != 0)
		return -1;
	if (key->type == CONFIG_T_DURATION)
		*(int64_t *)field = value;
	else if (key->type == CONFIG_T_SIZE)
		*(size_t *)field = (size_t)value;
	else
		*(long *)field = (long)value;
	return 0;
}

/* Index of text among choices "a|b|c", or -1. */
static int
config_choice_find(const char *choices, const char *text)
{
	size_t len = strlen(text);

	for (int index = 0;; index++) {
		size_t choice_len = strcspn(choices, "|");

		if (choice_len == len && strncmp(choices, text, len) == 0)
			return index;
		if (choices[choice_len] == '\0')
			return -1;
		choices += choice_len + 1;
	}
}

/* Enum choices, facilities, levels and booleans: small ints. */
static int
config_set_choice(const struct config_key *key, const char *text, int *field, char *why,
                  size_t whysize)
{
	int value = -1;

	if (key->type == CONFIG_T_FACILITY)
		value = log_facility_parse(text);
	else if (key->type == CONFIG_T_LEVEL)
		value = log_level_parse(text);
	else if (key->type == CONFIG_T_BOOL && config_bool_parse(text, &value) != 0)
		value = -1;
	else if (key->type == CONFIG_T_ENUM)
		value = config_choice_find(key->arg, text);
	if (value >= 0) {
		*field = value;
		return 0;
	}
	if (key->type == CONFIG_T_BOOL)
		snprintf(why, whysize, "not a boolean (yes, no, true, false, on, off, 1, 0)");
	else if (key->type == CONFIG_T_ENUM)
		snprintf(why, whysize, "must be one of: %s", key->arg);
	else
		snprintf(why, whysize, "unknown %s", config_type_name(key));
	return -1;
}

static int
config_set_mode(const char *text, unsigned *field, char *why, size_t whysize)
{
	unsigned value = 0;
	size_t len = strspn(text, "01234567");

	if (len == 0 || len > 4 || text[len] != '\0' ||
	    (value = (unsigned)strtoul(text, NULL, 8)) > 0777)
		return snprintf(why, whysize, "not an octal mode (0 to 0777)"), -1;
	*field = value;
	return 0;
}

/* Comma and/or blank separated OCIDs of compartments (or the tenancy, the root one). */
static int
config_set_ocid_list(const char *text, struct config_list *field, char *why, size_t whysize)
{
	struct config_list list = {0};
	const char *p = text;

	while (*(p += strspn(p, ", \t")) != '\0') {
		size_t len = strcspn(p, ", \t");
		char *ocid = xstrndup(p, len);

		p += len;
		list.items = xrealloc(list.items, (list.count + 1) * sizeof(char *));
		list.items[list.count++] = ocid;
		if (config_check_ocid(ocid, "ocid1.compartment.") != NULL &&
		    config_check_ocid(ocid, "ocid1.tenancy.") != NULL) {
			snprintf(why, whysize, "item %zu is not a compartment or tenancy OCID",
			         list.count);
			config_list_release(&list);
			return -1;
		}
	}
	config_list_release(field);
	*field = list;
	return 0;
}

static int
config_set_socket(const struct config_key *key, const char *text, struct config_socket *field,
                  char *why, size_t whysize)
{
	enum config_socket_syntax syntax =
	    key->type == CONFIG_T_MILTER_SOCKET ? CONFIG_SOCKET_MILTER
	    : key->type == CONFIG_T_TCP_SOCKET  ? CONFIG_SOCKET_TCP
	                                        : CONFIG_SOCKET_POSTFIX;
	struct config_socket sock;
	const char *reason;

	if (config_socket_parse(text, syntax, &sock, &reason) != 0) {
		config_socket_release(&sock);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	config_socket_release(field);
	*field = sock;
	return 0;
}

static int
config_set_redis_url(const char *text, struct config_redis_url *field, char *why, size_t whysize)
{
	struct config_redis_url url;
	const char *reason;

	if (config_redis_url_parse(text, &url, &reason) != 0) {
		config_redis_url_release(&url);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	if (url.password[0] != '\0' && strlen(url.password) < 3) {
		config_redis_url_release(&url);
		return snprintf(why, whysize, "password too short to be masked in logs"), -1;
	}
	config_redis_url_release(field);
	*field = url;
	return 0;
}

static int
config_set_address(const char *text, char **field, char *why, size_t whysize)
{
	char canon[ADDR_MAX];
	const char *reason = "not an address";

	switch (addr_canon(text, strlen(text), canon, sizeof(canon), &reason)) {
	case ADDR_OK:
		free(*field);
		*field = xstrdup(canon);
		return 0;
	case ADDR_NULL:
		reason = "the null sender \"<>\" is not an address";
		break;
	default:
		break;
	}
	snprintf(why, whysize, "%s", reason);
	return -1;
}

static int
config_add_rewrite(const char *text, struct config_rewrite_list *list, char *why, size_t whysize)
{
	struct config_rewrite_rule rule;
	const char *reason;

	if (config_rewrite_rule_parse(text, &rule, &reason) != 0) {
		config_rewrite_rule_release(&rule);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->rules = xrealloc(list->rules, (list->count + 1) * sizeof(rule));
	list->rules[list->count++] = rule;
	return 0;
}

static int
config_add_binding(const char *text, struct config_binding_list *list, char *why, size_t whysize)
{
	struct config_binding binding;
	const char *reason;

	if (config_binding_parse(text, &binding, &reason) != 0) {
		config_binding_release(&binding);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->binds = xrealloc(list->binds, (list->count + 1) * sizeof(binding));
	list->binds[list->count++] = binding;
	return 0;
}

/* Blank or comma separated recipient patterns, appended to what is there. */
static int
config_add_rcpt_patterns(const char *text, struct config_list *list, char *why, size_t whysize)
{
	char canon[ADDR_MAX];
	const char *p = text, *reason;
	size_t index = 0;

	while (*(p += strspn(p, ", \t")) != '\0') {
		size_t len = strcspn(p, ", \t");
		char *item = xstrndup(p, len);

		p += len;
		index++;
		if (config_rcpt_pattern_parse(item, canon, sizeof(canon), &reason) != 0) {
			snprintf(why, whysize, "item %zu: %s", index, reason);
			free(item);
			return -1;
		}
		free(item);
		list->items = xrealloc(list->items, (list->count + 1) * sizeof(char *));
		list->items[list->count++] = xstrdup(canon);
	}
	return 0;
}

static int
config_add_limit(const char *text, struct config_limit_list *list, char *why, size_t whysize)
{
	struct config_limit limit;
	const char *reason;

	if (list->count >= CONFIG_LIMITS_MAX)
		return snprintf(why, whysize, "more than %d limits", CONFIG_LIMITS_MAX), -1;
	if (config_limit_parse(text, &limit, &reason) != 0) {
		config_limit_release(&limit);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->limits = xrealloc(list->limits, (list->count + 1) * sizeof(limit));
	list->limits[list->count++] = limit;
	return 0;
}

static int
config_add_suppressed_reply(const char *text, struct config_reply_list *list, char *why,
                            size_t whysize)
{
	struct config_reply reply;
	const char *reason;

	if (text[0] == '\0') /* "suppressed_reply =": back to the default */
		return free(list->replies), memset(list, 0, sizeof(*list)), 0;
	if (list->count >= CONFIG_REPLIES_MAX)
		return snprintf(why, whysize, "more than %d replies", CONFIG_REPLIES_MAX), -1;
	if (config_suppressed_reply_parse(text, &reply, &reason) != 0)
		return snprintf(why, whysize, "%s", reason), -1;
	list->replies = xrealloc(list->replies, (list->count + 1) * sizeof(reply));
	list->replies[list->count++] = reply;
	return 0;
}

static void
config_limit_list_release(struct config_limit_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_limit_release(&list->limits[i]);
	free(list->limits);
	memset(list, 0, sizeof(*list));
}

static void
config_rewrite_list_release(struct config_rewrite_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_rewrite_rule_release(&list->rules[i]);
	free(list->rules);
	memset(list, 0, sizeof(*list));
}

static void
config_binding_list_release(struct config_binding_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_binding_release(&list->binds[i]);
	free(list->binds);
	memset(list, 0, sizeof(*list));
}

int
config_value_set(const struct config_key *key, const char *text, void *field, char *why,
                 size_t whysize)
{
	const char *reason;

	if (text[0] == '\0' && !(key->flags & CONFIG_F_EMPTY))
		return snprintf(why, whysize, "a value is required"), -1;
	switch (key->type) {
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
	case CONFIG_T_INT:
		return config_set_number(key, text, field, why, whysize);
	case CONFIG_T_BOOL:
	case CONFIG_T_ENUM:
	case CONFIG_T_FACILITY:
	case CONFIG_T_LEVEL:
		return config_set_choice(key, text, field, why, whysize);
	case CONFIG_T_MODE:
		return config_set_mode(text, field, why, whysize);
	case CONFIG_T_OCID_LIST:
		return config_set_ocid_list(text, field, why, whysize);
	case CONFIG_T_POLICY_SOCKET:
	case CONFIG_T_MILTER_SOCKET:
	case CONFIG_T_TCP_SOCKET:
		return config_set_socket(key, text, field, why, whysize);
	case CONFIG_T_REDIS_URL:
		return config_set_redis_url(text, field, why, whysize);
	case CONFIG_T_REWRITE:
		return config_add_rewrite(text, field, why, whysize);
	case CONFIG_T_BIND:
		return config_add_binding(text, field, why, whysize);
	case CONFIG_T_RCPT_PATTERNS:
		return config_add_rcpt_patterns(text, field, why, whysize);
	case CONFIG_T_LIMIT:
		return config_add_limit(text, field, why, whysize);
	case CONFIG_T_SUPPRESSED_REPLY:
		return config_add_suppressed_reply(text, field, why, whysize);
	case CONFIG_T_ADDRESS:
		if (text[0] != '\0')
			return config_set_address(text, field, why, whysize);
		break;
	default:
		if (text[0] != '\0' && (reason = config_text_reason(key, text)) != NULL)
			return snprintf(why, whysize, "%s", reason), -1;
		break;
	}
	config_text_store(key, field, text);
	return 0;
}

void
config_value_release(const struct config_key *key, void *field)
{
	switch (key->type) {
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
	case CONFIG_T_INT:
	case CONFIG_T_BOOL:
	case CONFIG_T_ENUM:
	case CONFIG_T_FACILITY:
	case CONFIG_T_LEVEL:
	case CONFIG_T_MODE:
		break;
	case CONFIG_T_OCID_LIST:
		config_list_release(field);
		break;
	case CONFIG_T_POLICY_SOCKET:
	case CONFIG_T_MILTER_SOCKET:
	case CONFIG_T_TCP_SOCKET:
		config_socket_release(field);
		break;
	case CONFIG_T_REDIS_URL:
		config_redis_url_release(field);
		break;
	case CONFIG_T_REWRITE:
		config_rewrite_list_release(field);
		break;
	case CONFIG_T_BIND:
		config_binding_list_release(field);
		break;
	case CONFIG_T_RCPT_PATTERNS:
		config_list_release(field);
		break;
	case CONFIG_T_LIMIT:
		config_limit_list_release(field);
		break;
	case CONFIG_T_SUPPRESSED_REPLY:
		free(((struct config_reply_list *)field)->replies);
		memset(field, 0, sizeof(struct config_reply_list));
		break;
	default:
		config_text_store(key, field, "");
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	}
}
