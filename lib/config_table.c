/*
 * config_table.c - every key of edg.conf, and the names of their types
 *
 * SYNOPSIS
 *	extern const struct config_key config_keys[];
 *	extern const size_t config_key_count;
 *	const char *config_type_name(const struct config_key *key);
 *	void config_type_describe(const struct config_key *key, char *buf,
 *	    size_t size);
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
 *	config_value_set() (config_set.c) puts a value into its field by that type.
 *	config_type_describe() writes a type with its range ("duration, 5s to 1d")
 *	for the reference and the sample file.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_parse.h"

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
		    "REASON CODE [DSN]: the reply to a recipient OCI suppressed for REASON (or "   \
		    "*); "                                                                         \
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

/* "1m", "512KB": the largest unit that divides value exactly. */
void
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
