/*
 * test_config.c - edg.conf: every type's good and bad values, errors with lines,
 * duplicates, repeatables, cross-key rules, defaults, show, files, endpoint
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A complete [oci] API key, lines 1 to 6. */
#define API_KEY                                                                                    \
	"[oci]\nregion = us-ashburn-1\ntenancy = ocid1.tenancy.oc1..a\nuser = ocid1.user.oc1..b\n" \
	"fingerprint = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\nkey_file = /k.pem\n"

/* Parse text; the errors written land in *errors (caller frees). */
static struct edg_config *
parse(const char *text, char **errors)
{
	size_t size;
	FILE *mem = open_memstream(errors, &size);
	struct edg_config *cfg;

	assert_non_null(mem);
	cfg = config_parse_buffer(text, strlen(text), "t.conf", mem);
	fclose(mem);
	return cfg;
}

/* The whole-file cases: text, and the exact error output ("" = accepted). */
static const struct file_case {
	const char *text;
	const char *want;
} file_cases[] = {
    {"", ""},
    {"[log]\nlevel = debug\nfacility = local3\n", ""},
    {"[log]\nlevel = chatty\n", "t.conf:2: [log] level: \"chatty\": unknown log level\n"},
    {"[oci]\nfingerprnt = x\n",
     "t.conf:2: [oci] fingerprnt: unknown key (did you mean \"fingerprint\"?)\n"},
    {"[oci]\nzzzzzz = x\n", "t.conf:2: [oci] zzzzzz: unknown key\n"},
    {"[redis]\nlisten = x\n", "t.conf:2: [redis] listen: unknown key (it belongs in [policyd])\n"},
    {"[polcyd]\nlisten = x\nmode = y\n",
     "t.conf:2: [polcyd] listen: unknown section (did you mean [policyd]?)\n"},
    {"[nothing]\na = 1\n", "t.conf:2: [nothing] a: unknown section\n"},
    {"[syncd]\nlock_ttl = 30s\n\nlock_ttl = 40s\n",
     "t.conf:4: [syncd] lock_ttl: duplicate key (first set at line 2)\n"},
    {"[syncd]\nlock_ttl = 30s\n[redis]\nprefix = x\n[syncd]\nlock_ttl = 40s\n",
     "t.conf:6: [syncd] lock_ttl: duplicate key (first set at line 2)\n"},
    {"[syncd]\nsender_interval = 60x\n",
     "t.conf:2: [syncd] sender_interval: \"60x\": not a duration (a number with ms, s, m, h or "
     "d)\n"},
    {"[syncd]\nlock_ttl = 1s\n", "t.conf:2: [syncd] lock_ttl: \"1s\": must be between 5s and 1h\n"},
    {"[syncd]\nuser =\n", "t.conf:2: [syncd] user: a value is required\n"},
    {"[milter]\ndefault_sender = <>\n",
     "t.conf:2: [milter] default_sender: \"<>\": the null sender \"<>\" is not an address\n"},
    {"[oci]\npass_phrase = ab\n",
     "t.conf:2: [oci] pass_phrase: too short to be masked in logs (3 characters at least)\n"},
    {"[redis]\nurl = redis://u:hunter2@\n",
     "t.conf:2: [redis] url: bad HOST[:PORT] in the Redis URL\n"},
    {"[oci]\nproxy = ftp://u:hunter2@h\n", "t.conf:2: [oci] proxy: unsupported URL scheme\n"},
    {"key = 1\n[log]\nbad line\n",
     "t.conf:1: key before any [section]\n"
     "t.conf:3: expected \"key = value\", \"[section]\" or a comment\n"},
    /* every error, not the first only */
    {"[log]\nlevel = x\nfacility = y\n[syncd]\nlock_ttl = 0\n",
     "t.conf:2: [log] level: \"x\": unknown log level\n"
     "t.conf:3: [log] facility: \"y\": unknown syslog facility\n"
     "t.conf:5: [syncd] lock_ttl: \"0\": must be between 5s and 1h\n"},
    /* cross-key rules */
    {"[oci]\ntenancy = ocid1.tenancy.oc1..a\n",
     "t.conf:2: [oci] incomplete API key: user, fingerprint, key_file missing (or use "
     "oci_config)\n"},
    {"[oci]\noci_config = /etc/oci\nuser = ocid1.user.oc1..a\n",
     "t.conf:3: [oci] user: not used with oci_config (the profile has it): remove one of them\n"},
    {"[oci]\nprofile = other\n", "t.conf:2: [oci] profile: only used with oci_config\n"},
    {"[oci]\noci_config = /etc/oci\nprofile = my profile\n", ""},
    {"[oci]\nprofile = DEFAULT\nuser =\n", ""}, /* restating a default is no change */
    {"[oci]\npass_phrase = secret\n", "t.conf:2: [oci] pass_phrase: set without key_file\n"},
    {"[oci]\ntenancy = ocid1.tenancy.oc1..a\nuser = ocid1.user.oc1..b\n"
     "fingerprint = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\nkey_file = /k.pem\n",
     "t.conf:2: [oci] region: needed to reach the API (or set endpoint)\n"},
    {"[oci]\nregion = us-ashburn-1\ntenancy = ocid1.tenancy.oc1..a\nuser = ocid1.user.oc1..b\n"
     "fingerprint = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\nkey_file = /k.pem\n",
     ""},
    {"[oci]\nconnect_timeout = 2m\ntimeout = 1m\n",
     "t.conf:2: [oci] connect_timeout: longer than timeout\n"},
    {"[policyd]\nsocket_mode = 0600\n",
     "t.conf:2: [policyd] socket_mode: only for a unix: listen socket\n"},
    {"[policyd]\nlisten = unix:/run/p.sock\nsocket_mode = 0600\nsocket_owner = postfix\n", ""},
    {"[milter]\nmax_stale = 1m\n", ""},
    {"[policyd]\nmax_stale = 500ms\n",
     "t.conf:2: [policyd] max_stale: \"500ms\": must be between 1s and 30d\n"},
    {"[bindings]\nenforce = yes\n",
     "t.conf:2: [bindings] enforce: set, but there is no bind line\n"},
    {"[rewrite]\nrule =\n", "t.conf:2: [rewrite] rule: a value is required\n"},
};

static void
test_file_cases(void **unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(file_cases); i++) {
		char *errors = NULL;
		struct edg_config *cfg = parse(file_cases[i].text, &errors);

		print_message("case %zu: %s", i, file_cases[i].text);
		assert_string_equal(errors, file_cases[i].want);
		if (file_cases[i].want[0] == '\0')
			assert_non_null(cfg);
		else
			assert_null(cfg);
		config_free(cfg);
		free(errors);
	}
}

/* One value of one key: accepted or refused (the reason is in want, a substring). */
static const struct value_case {
	const char *section, *key, *value;
	const char *want; /* NULL: accepted */
} value_cases[] = {
    {"log", "facility", "mail", NULL},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 450 4.2.1", NULL},
    {"policyd", "suppressed_reply", "softbounce 450", NULL},
    {"milter", "suppressed_reply", "* 550 5.7.1", NULL},
    {"milter", "suppressed_reply", "", NULL},
    {"policyd", "suppressed_reply", "SOFTBOUNCE", "expected REASON CODE [DSN]"},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 450 4.2.1 x", "expected REASON CODE [DSN]"},
    {"policyd", "suppressed_reply", "SOFT-BOUNCE 450", "REASON must be an OCI suppression"},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 250", "CODE must be a 4xx or 5xx"},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 45x", "CODE must be a 4xx or 5xx"},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 450 5.2.1", "same class as CODE"},
    {"policyd", "suppressed_reply", "SOFTBOUNCE 450 4.2", "same class as CODE"},
    {"log", "facility", "kern", "unknown syslog facility"},
    {"oci", "region", "eu-frankfurt-1", NULL},
    {"oci", "region", "EU_Frankfurt", "not a region"},
    {"oci", "compartments", "ocid1.compartment.oc1..a,ocid1.compartment.oc1..b", NULL},
    {"oci", "compartments", "ocid1.compartment.oc1..a ocid1.user.oc1..b", "item 2 is not"},
    {"oci", "endpoint", "https://ctrl.example.com", NULL},
    {"oci", "endpoint", "http://[::1]:8080", NULL},
    {"oci", "endpoint", "https://ctrl.example.com/20170907", "no path"},
    {"oci", "endpoint", "https://u:p@ctrl.example.com", "no user:password@"},
    {"oci", "endpoint", "ctrl.example.com", "not a URL"},
    {"oci", "endpoint", "https://ctrl.example.com:0", "bad host[:port]"},
    {"oci", "ca_file", "/etc/ssl/ca.pem", NULL},
    {"oci", "ca_file", "ca.pem", "absolute path"},
    {"oci", "proxy", "socks5h://proxy:1080", NULL},
    {"oci", "proxy", "http://user:pw@proxy:3128", NULL},
    {"oci", "proxy", "http://userwithoutpw@proxy:3128", "user:password@"},
    {"oci", "proxy", "http://u:p@[policyd", "bad host"}, /* found by fuzz_config */
    {"oci", "endpoint", "https://[::1", "bad host"},
    {"oci", "max_pages", "1", NULL},
    {"oci", "max_pages", "0", "between 1 and 10000000"},
    {"oci", "max_pages", "12abc", "not an integer"},
    {"oci", "max_pages", "99999999999999999999999", "between"},
    {"oci", "retries", "0", NULL},
    {"oci", "retries", "-1", "between 0 and 100"},
    {"oci", "retries", "", "a value is required"},
    {"redis", "url", "unix:///run/redis.sock?db=3", NULL},
    {"redis", "url", "unix://run/redis.sock", "absolute socket path"},
    {"redis", "url", "unix:///run/redis.sock?database=3", "?db=N"},
    {"redis", "url", "redis://h", NULL},
    {"redis", "url", "redis://h:6379/x", "must be a number"},
    {"redis", "url", "redis://user@h", "credentials"},
    {"redis", "url", "redis://:pw@h", "too short"},
    {"redis", "url", "rediss://h", "starts with redis://, unix:// or redis+sentinel://"},
    {"redis", "url", "redis+sentinel://s1,s2:26380/mymaster/2", NULL},
    {"redis", "url", "redis+sentinel://:pw@s1/m", "too short"},
    {"redis", "url", "redis+sentinel://s1/m?sentinel_password=ab", "too short"},
    {"redis", "url", "redis+sentinel://s1", "needs /MASTER"},
    {"redis", "prefix", "edg.prod-1", NULL},
    {"redis", "prefix", "edg:v1", "letters, digits"},
    {"syncd", "audit_log", "syslog", NULL},
    {"syncd", "audit_log", "/var/log/edg-audit.log", NULL},
    {"syncd", "audit_log", "file", "syslog or an absolute path"},
    {"syncd", "user", "_edg-sync.1", NULL},
    {"syncd", "user", "-edg", "not a user"},
    {"syncd", "user", "ed g", "not a user"},
    {"syncd", "metrics_listen", "inet:127.0.0.1:9641", NULL},
    {"syncd", "metrics_listen", "unix:/run/m.sock", "not a TCP socket"},
    {"syncd", "suppression_overlap", "0", NULL},
    {"policyd", "mode", "monitor", NULL},
    {"policyd", "mode", "Monitor", "must be one of: enforce|monitor"},
    {"policyd", "on_state_error", "accept", NULL},
    {"policyd", "on_state_error", "reject", "tempfail|accept"},
    {"policyd", "listen", "inet:[::1]:10040", NULL},
    {"policyd", "listen", "inet:127.0.0.1", "not a socket"},
    {"policyd", "listen", "", "a value is required"},
    {"policyd", "max_request_size", "1MB", NULL},
    {"policyd", "max_request_size", "2MB", "between 1KB and 1MB"},
    {"policyd", "max_request_size", "1TB", "not a size"},
    {"policyd", "idle_timeout", "500ms", "between 1s and 1d"},
    {"milter", "listen", "inet6:10041@::1", NULL},
    {"milter", "listen", "local:/run/edg/milter.sock", NULL},
    {"milter", "listen", "inet:127.0.0.1:10041", "not a milter socket"},
    {"milter", "reply_to", "off", NULL},
    {"milter", "reply_to", "maybe", "not a boolean"},
    {"milter", "default_sender", "Noreply@Example.COM", NULL},
    {"milter", "default_sender", "@example.com", "empty local part"},
    {"milter", "original_from_header", "X-Edg-Original", NULL},
    {"milter", "original_from_header", "", NULL},
    {"milter", "original_from_header", "X Bad", "not a header field name"},
    {"milter", "original_from_header", "X-Bad:", "not a header field name"},
    {"milter", "socket_mode", "0777", "only for a unix:"}, /* valid mode, inet listen */
    {"milter", "socket_mode", "0800", "not an octal mode"},
    {"milter", "socket_mode", "1777", "not an octal mode"},
    {"rewrite", "rule", "envelope alice@example.com approved@example.com", NULL},
    {"rewrite", "rule", "header * approved@example.com", NULL},
    {"rewrite", "rule", "sasl alice approved@example.com", NULL},
    {"rewrite", "rule", "client 192.0.2.0/24 approved@example.com", NULL},
    {"rewrite", "rule", "client 192.0.2.1/24 approved@example.com", "bits set beyond"},
    {"rewrite", "rule", "client example.com approved@example.com", "not an IPv4 or IPv6"},
    {"rewrite", "rule", "header @example.com @example.org", "not a domain"},
    {"rewrite", "rule", "header @example.com", "SOURCE PATTERN SENDER"},
    {"rewrite", "rule", "header a@b c@d e@f", "SOURCE PATTERN SENDER"},
    {"rewrite", "rule", "body a@example.com b@example.com", "SOURCE must be"},
    {"bindings", "bind", "sasl:alice alice@example.com", NULL},
    {"bindings", "bind", "client:10.0.0.0/8 @example.com a@example.org", NULL},
    {"bindings", "bind", "sasl:alice", "at least one SENDER"},
    {"bindings", "bind", "sasl: a@example.com", "sasl:LOGIN or client:NETWORK"},
    {"bindings", "bind", "user:alice a@example.com", "sasl:LOGIN or client:NETWORK"},
    {"bindings", "bind", "sasl:alice not-an-address", "missing '@'"},
    {"bindings", "enforce", "TRUE", "no bind line"},
};

static void
test_value_cases(void **unused)
{
	for (size_t i = 0; i < ARRAY_SIZE(value_cases); i++) {
		const struct value_case *c = &value_cases[i];
		char text[512], *errors = NULL;
		struct edg_config *cfg;

		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", c->section, c->key, c->value);
		cfg = parse(text, &errors);
		print_message("case [%s] %s = %s: %s", c->section, c->key, c->value, errors);
		if (c->want == NULL) {
			assert_non_null(cfg);
			assert_string_equal(errors, "");
		} else {
			assert_null(cfg);
			assert_non_null(strstr(errors, c->want));
			assert_int_equal(strncmp(errors, "t.conf:2: [", 11), 0);
		}
		config_free(cfg);
		free(errors);
	}
}

static void
test_duration_parse(void **unused)
{
	static const struct {
		const char *text;
		int64_t ms; /* -1: refused */
	} cases[] = {
	    {"500ms", 500},
	    {"60s", 60000},
	    {"5m", 300000},
	    {"6h", 21600000},
	    {"1d", 86400000},
	    {"60", 60000},
	    {"0", 0},
	    {"", -1},
	    {"s", -1},
	    {"1x", -1},
	    {"1.5s", -1},
	    {"-1s", -1},
	    {" 1s", -1},
	    {"1s ", -1},
	    {"1S", -1},
	    {"1 s", -1},
	    {"366d", 31622400000},
	    {"367d", -1},
	    {"99999999999999999999", -1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t ms = -7;
		const char *why = NULL;
		int rc = config_duration_parse(cases[i].text, &ms, &why);

		print_message("duration \"%s\"\n", cases[i].text);
		if (cases[i].ms < 0) {
			assert_int_equal(rc, -1);
			assert_non_null(why);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(ms, cases[i].ms);
		}
	}
}

static void
test_size_parse(void **unused)
{
	static const struct {
		const char *text;
		long long bytes; /* -1: refused */
	} cases[] = {
	    {"512", 512},   {"64KB", 65536}, {"2MB", 2097152}, {"1GB", 1073741824}, {"1k", 1024},
	    {"1KiB", 1024}, {"3b", 3},       {"1mb", 1048576}, {"1TB", -1},         {"", -1},
	    {"KB", -1},     {"1.5MB", -1},   {"-1", -1},       {"1 KB", -1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t bytes = 7;
		const char *why = NULL;
		int rc = config_size_parse(cases[i].text, &bytes, &why);

		print_message("size \"%s\"\n", cases[i].text);
		if (cases[i].bytes < 0) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(bytes, cases[i].bytes);
		}
	}
}

static void
test_bool_parse(void **unused)
{
	static const struct {
		const char *text;
		int value; /* -1: refused */
	} cases[] = {
	    {"yes", 1}, {"YES", 1}, {"true", 1}, {"on", 1}, {"1", 1},  {"no", 0},    {"False", 0},
	    {"off", 0}, {"0", 0},   {"", -1},    {"y", -1}, {"2", -1}, {"yes ", -1},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int value = 7, rc = config_bool_parse(cases[i].text, &value);

		if (cases[i].value < 0) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(value, cases[i].value);
		}
	}
}

static void
test_cidr(void **unused)
{
	static const struct {
		const char *text;
		int family; /* 0: refused */
		unsigned prefix;
	} cases[] = {
	    {"10.0.0.0/8", AF_INET, 8}, {"192.0.2.1", AF_INET, 32},
	    {"0.0.0.0/0", AF_INET, 0},  {"2001:db8::/32", AF_INET6, 32},
	    {"::1", AF_INET6, 128},     {"10.0.0.1/8", 0, 0},
	    {"10.0.0.0/33", 0, 0},      {"10.0.0.0/", 0, 0},
	    {"10.0.0.0/08", 0, 0},      {"foo", 0, 0},
	    {"1.2.3/8", 0, 0},          {"/8", 0, 0},
	    {"2001:db8::1/32", 0, 0},   {"::/129", 0, 0},
	};
	struct config_cidr cidr;
	unsigned char v4[4], v6[16];
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = config_cidr_parse(cases[i].text, &cidr, &why);

		print_message("cidr %s\n", cases[i].text);
		assert_int_equal(rc, cases[i].family ? 0 : -1);
		if (rc == 0) {
			assert_int_equal(cidr.family, cases[i].family);
			assert_int_equal(cidr.prefix, cases[i].prefix);
		}
	}
	assert_int_equal(config_cidr_parse("192.0.2.128/25", &cidr, &why), 0);
	inet_pton(AF_INET, "192.0.2.200", v4);
	assert_true(config_cidr_match(&cidr, AF_INET, v4));
	inet_pton(AF_INET, "192.0.2.127", v4);
	assert_false(config_cidr_match(&cidr, AF_INET, v4));
	inet_pton(AF_INET6, "::ffff:192.0.2.200", v6);
	assert_false(config_cidr_match(&cidr, AF_INET6, v6));
	assert_int_equal(config_cidr_parse("2001:db8:8000::/33", &cidr, &why), 0);
	inet_pton(AF_INET6, "2001:db8:ffff::1", v6);
	assert_true(config_cidr_match(&cidr, AF_INET6, v6));
	inet_pton(AF_INET6, "2001:db8:7fff::1", v6);
	assert_false(config_cidr_match(&cidr, AF_INET6, v6));
	assert_int_equal(config_cidr_parse("0.0.0.0/0", &cidr, &why), 0);
	assert_true(config_cidr_match(&cidr, AF_INET, v4));
}

static void
test_socket_parse(void **unused)
{
	static const struct {
		const char *text;
		enum config_socket_syntax syntax;
		enum config_socket_kind kind; /* NONE with a non-empty text: refused */
		const char *host, *path;
		unsigned port;
	} cases[] = {
	    {"inet:127.0.0.1:10040", CONFIG_SOCKET_POSTFIX, CONFIG_SOCKET_INET, "127.0.0.1", "",
	     10040},
	    {"inet:[::1]:10040", CONFIG_SOCKET_POSTFIX, CONFIG_SOCKET_INET, "::1", "", 10040},
	    {"inet:localhost:1", CONFIG_SOCKET_POSTFIX, CONFIG_SOCKET_INET, "localhost", "", 1},
	    {"unix:/run/p.sock", CONFIG_SOCKET_POSTFIX, CONFIG_SOCKET_UNIX, "", "/run/p.sock", 0},
	    {"", CONFIG_SOCKET_TCP, CONFIG_SOCKET_NONE, "", "", 0},
	    {"inet:10041@127.0.0.1", CONFIG_SOCKET_MILTER, CONFIG_SOCKET_INET, "127.0.0.1", "",
	     10041},
	    {"inet:10041", CONFIG_SOCKET_MILTER, CONFIG_SOCKET_INET, "", "", 10041},
	    {"inet6:10041@::1", CONFIG_SOCKET_MILTER, CONFIG_SOCKET_INET6, "::1", "", 10041},
	    {"local:/run/m.sock", CONFIG_SOCKET_MILTER, CONFIG_SOCKET_UNIX, "", "/run/m.sock", 0},
	};
	static const struct {
		const char *text;
		enum config_socket_syntax syntax;
	} bad[] = {
	    {"inet:127.0.0.1", CONFIG_SOCKET_POSTFIX},
	    {"inet:::1:10", CONFIG_SOCKET_POSTFIX},
	    {"inet:[::1]", CONFIG_SOCKET_POSTFIX},
	    {"unix:relative", CONFIG_SOCKET_POSTFIX},
	    {"tcp:1.2.3.4:5", CONFIG_SOCKET_POSTFIX},
	    {"inet:h:0", CONFIG_SOCKET_POSTFIX},
	    {"inet:h:65536", CONFIG_SOCKET_POSTFIX},
	    {"inet:h:080", CONFIG_SOCKET_POSTFIX},
	    {"inet::10040", CONFIG_SOCKET_POSTFIX},
	    {"inet:h_x:1", CONFIG_SOCKET_POSTFIX},
	    {"unix:/x", CONFIG_SOCKET_TCP},
	    {"inet:127.0.0.1:1", CONFIG_SOCKET_MILTER},
	    {"inet:10041@", CONFIG_SOCKET_MILTER},
	    {"inet:10041@::1", CONFIG_SOCKET_MILTER},
	    {"inet6:x@::1", CONFIG_SOCKET_MILTER},
	    {"unix:", CONFIG_SOCKET_MILTER},
	};
	struct config_socket sock;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("socket %s\n", cases[i].text);
		assert_int_equal(config_socket_parse(cases[i].text, cases[i].syntax, &sock, &why),
		                 0);
		assert_int_equal(sock.kind, cases[i].kind);
		assert_string_equal(sock.spec, cases[i].text);
		assert_string_equal(sock.host, cases[i].host);
		assert_string_equal(sock.path, cases[i].path);
		assert_int_equal(sock.port, cases[i].port);
		config_socket_release(&sock);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad socket %s\n", bad[i].text);
		assert_int_equal(config_socket_parse(bad[i].text, bad[i].syntax, &sock, &why), -1);
		config_socket_release(&sock);
	}
}

/* redis+sentinel:// URLs: the sentinels in order, the master's name, two passwords. */
static void
test_redis_sentinel_url(void **unused)
{
	static const struct {
		const char *text;
		size_t nsentinels;
		const char *first_host, *last_host;
		unsigned first_port, last_port;
		const char *master, *user, *password, *sentinel_password;
		int db;
	} cases[] = {
	    {"redis+sentinel://s1/mymaster", 1, "s1", "s1", 26379, 26379, "mymaster", "", "", "",
	     0},
	    {"redis+sentinel://10.0.0.1:5000,10.0.0.2,[::1]:5002/edg-main/3", 3, "10.0.0.1", "::1",
	     5000, 5002, "edg-main", "", "", "", 3},
	    {"redis+sentinel://edg-syncd:p@ss:w/rd@s1:26379,s2:26380/m_1.x/", 2, "s1", "s2", 26379,
	     26380, "m_1.x", "edg-syncd", "p@ss:w/rd", "", 0},
	    {"redis+sentinel://:data-pw@s1/m?sentinel_password=s@nt/?:x", 1, "s1", "s1", 26379,
	     26379, "m", "", "data-pw", "s@nt/?:x", 0},
	    {"redis+sentinel://s1/m/15?sentinel_password=spw", 1, "s1", "s1", 26379, 26379, "m", "",
	     "", "spw", 15},
	    {"redis+sentinel://a,b,c,d,e,f,g,h/m", 8, "a", "h", 26379, 26379, "m", "", "", "", 0},
	};
	static const char *const bad[] = {
	    "redis+sentinel://",
	    "redis+sentinel://s1",
	    "redis+sentinel://s1/",
	    "redis+sentinel:///m",
	    "redis+sentinel://s1,/m",
	    "redis+sentinel://,s1/m",
	    "redis+sentinel://s1:0/m",
	    "redis+sentinel://s1:x/m",
	    "redis+sentinel://[::1/m",
	    "redis+sentinel://a,b,c,d,e,f,g,h,i/m",
	    "redis+sentinel://s1/my master",
	    "redis+sentinel://s1/m/x",
	    "redis+sentinel://s1/m/99999",
	    "redis+sentinel://s1/m/1/2",
	    "redis+sentinel://u@s1/m",
	    "redis+sentinel://s1/"
	    "m2345678901234567890123456789012345678901234567890123456789012345",
	    "redis+sentinel://s1/m?db=1",
	    "redis+sentinel://s1/m?sentinel_password=",
	    "redis+sentinel://s1/m?sentinel_password=x",
	};
	struct config_redis_url url;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("sentinel %s\n", cases[i].text);
		assert_int_equal(config_redis_url_parse(cases[i].text, &url, &why), 0);
		assert_int_equal(url.kind, CONFIG_REDIS_SENTINEL);
		assert_string_equal(url.text, cases[i].text);
		assert_int_equal(url.nsentinels, cases[i].nsentinels);
		assert_string_equal(url.sentinels[0].host, cases[i].first_host);
		assert_int_equal(url.sentinels[0].port, cases[i].first_port);
		assert_string_equal(url.sentinels[url.nsentinels - 1].host, cases[i].last_host);
		assert_int_equal(url.sentinels[url.nsentinels - 1].port, cases[i].last_port);
		assert_string_equal(url.master_name, cases[i].master);
		assert_string_equal(url.username, cases[i].user);
		assert_string_equal(url.password, cases[i].password);
		assert_string_equal(url.sentinel_password, cases[i].sentinel_password);
		assert_int_equal(url.db, cases[i].db);
		assert_string_equal(url.host, "");
		assert_string_equal(url.path, "");
		config_redis_url_release(&url);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad sentinel %s\n", bad[i]);
		assert_int_equal(config_redis_url_parse(bad[i], &url, &why), -1);
		assert_non_null(why);
		config_redis_url_release(&url);
	}
}

static void
test_redis_url(void **unused)
{
	static const struct {
		const char *text;
		enum config_redis_kind kind;
		const char *host, *path, *user, *password;
		unsigned port;
		int db;
	} cases[] = {
	    {"redis://h", CONFIG_REDIS_TCP, "h", "", "", "", 6379, 0},
	    {"redis://10.0.0.5:6380/3", CONFIG_REDIS_TCP, "10.0.0.5", "", "", "", 6380, 3},
	    {"redis://u:p@ss:w/rd@[::1]:7000/", CONFIG_REDIS_TCP, "::1", "", "u", "p@ss:w/rd", 7000,
	     0},
	    {"redis://:secret@h/15", CONFIG_REDIS_TCP, "h", "", "", "secret", 6379, 15},
	    {"unix:///run/redis/redis.sock", CONFIG_REDIS_UNIX, "", "/run/redis/redis.sock", "", "",
	     0, 0},
	    {"unix:///r.sock?db=2", CONFIG_REDIS_UNIX, "", "/r.sock", "", "", 0, 2},
	    {"unix://edg-reader:p@ss@/r.sock?db=1", CONFIG_REDIS_UNIX, "", "/r.sock", "edg-reader",
	     "p@ss", 0, 1},
	    {"unix://:pw@/run/r.sock", CONFIG_REDIS_UNIX, "", "/run/r.sock", "", "pw", 0, 0},
	};
	static const char *const bad[] = {"",
	                                  "redis://",
	                                  "redis://h:0",
	                                  "redis://h:x",
	                                  "redis://h/99999",
	                                  "redis://u@h",
	                                  "unix://",
	                                  "unix:///r?db=",
	                                  "unix://user@/r.sock",
	                                  "unix://:pw@x/r.sock",
	                                  "unix://:@/r.sock",
	                                  "http://h",
	                                  "redis://[::1",
	                                  "redis://h/1/2"};
	struct config_redis_url url;
	const char *why;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("redis %s\n", cases[i].text);
		assert_int_equal(config_redis_url_parse(cases[i].text, &url, &why), 0);
		assert_int_equal(url.kind, cases[i].kind);
		assert_string_equal(url.text, cases[i].text);
		assert_string_equal(url.host, cases[i].host);
		assert_string_equal(url.path, cases[i].path);
		assert_string_equal(url.username, cases[i].user);
		assert_string_equal(url.password, cases[i].password);
		assert_int_equal(url.port, cases[i].port);
		assert_int_equal(url.db, cases[i].db);
		config_redis_url_release(&url);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad redis %s\n", bad[i]);
		assert_int_equal(config_redis_url_parse(bad[i], &url, &why), -1);
		config_redis_url_release(&url);
	}
}

static void
test_defaults(void **unused)
{
	struct edg_config *cfg = config_defaults();

	assert_non_null(cfg);
	assert_int_equal(cfg->log.facility, LOG_MAIL);
	assert_int_equal(cfg->log.level, LOG_INFO);
	assert_string_equal(cfg->oci.profile, "DEFAULT");
	assert_string_equal(cfg->oci.tenancy, "");
	assert_int_equal(cfg->oci.compartments.count, 0);
	assert_int_equal(cfg->oci.connect_timeout_ms, 10000);
	assert_int_equal(cfg->oci.timeout_ms, 60000);
	assert_int_equal(cfg->oci.max_pages, 20000);
	assert_int_equal(cfg->oci.retries, 8);
	assert_int_equal(cfg->oci.retry_max_delay_ms, 30000);
	assert_int_equal(cfg->redis.url.kind, CONFIG_REDIS_UNIX);
	assert_string_equal(cfg->redis.url.path, "/run/redis/redis-server.sock");
	assert_string_equal(cfg->redis.prefix, "edg");
	assert_int_equal(cfg->redis.connect_timeout_ms, 1000);
	assert_int_equal(cfg->syncd.sender_interval_ms, 60000);
	assert_int_equal(cfg->syncd.reconcile_interval_ms, 6 * 3600 * 1000);
	assert_int_equal(cfg->syncd.suppression_overlap_ms, 300000);
	assert_int_equal(cfg->syncd.lock_ttl_ms, 30000);
	assert_string_equal(cfg->syncd.audit_log, "syslog");
	assert_int_equal(cfg->syncd.metrics_listen.kind, CONFIG_SOCKET_NONE);
	assert_int_equal(cfg->policyd.daemon.listen.kind, CONFIG_SOCKET_INET);
	assert_string_equal(cfg->policyd.daemon.listen.host, "127.0.0.1");
	assert_int_equal(cfg->policyd.daemon.listen.port, 10040);
	assert_int_equal(cfg->policyd.daemon.socket_mode, 0660);
	assert_string_equal(cfg->policyd.daemon.user, "edg");
	assert_int_equal(cfg->policyd.daemon.mode, CONFIG_MODE_ENFORCE);
	assert_int_equal(cfg->policyd.daemon.on_state_error, CONFIG_ON_ERROR_TEMPFAIL);
	assert_int_equal(cfg->policyd.daemon.max_stale_ms, 3600000);
	assert_int_equal(cfg->policyd.idle_timeout_ms, 300000);
	assert_int_equal(cfg->policyd.max_connections, 10000);
	assert_int_equal(cfg->policyd.max_request_size, 16384);
	assert_string_equal(cfg->milter.daemon.listen.spec, "inet:10041@127.0.0.1");
	assert_string_equal(cfg->milter.default_sender, "");
	assert_int_equal(cfg->milter.reply_to, 1);
	assert_string_equal(cfg->milter.original_from_header, "X-Original-From");
	assert_int_equal(cfg->milter.timeout_ms, 30000);
	assert_int_equal(cfg->rewrite.count, 0);
	assert_int_equal(cfg->bindings.enforce, 0);
	assert_int_equal(cfg->bindings.list.count, 0);
	config_free(cfg);
}

/* The table: unique keys, a doc line each, every default valid for its own type. */
static void
test_table(void **unused)
{
	for (size_t i = 0; i < config_key_count; i++) {
		const struct config_key *key = &config_keys[i];

		assert_true(strlen(key->doc) > 10);
		assert_true(strlen(key->doc) < 100);
		assert_true(key->default_text[0] != '\0' || (key->flags & CONFIG_F_EMPTY) ||
		            (key->flags & CONFIG_F_REPEAT));
		for (size_t j = i + 1; j < config_key_count; j++)
			assert_false(strcmp(key->section, config_keys[j].section) == 0 &&
			             strcmp(key->name, config_keys[j].name) == 0);
	}
}

static void
test_parsed_values(void **unused)
{
	const char *text = "[oci]\nfingerprint = AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
	                   "tenancy = ocid1.tenancy.oc1..t\nuser = ocid1.user.oc1..u\n"
	                   "key_file = /k.pem\nregion = us-phoenix-1\n"
	                   "compartments = ocid1.compartment.oc1..a, ,ocid1.tenancy.oc1..t\n"
	                   "[milter]\ndefault_sender = <Noreply@Example.COM>\n"
	                   "listen = unix:/run/m.sock\nsocket_mode = 0640\nmode = monitor\n";
	char *errors = NULL;
	struct edg_config *cfg = parse(text, &errors);

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_string_equal(cfg->oci.fingerprint,
	                    "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89");
	assert_int_equal(cfg->oci.compartments.count, 2);
	assert_string_equal(cfg->oci.compartments.items[1], "ocid1.tenancy.oc1..t");
	assert_string_equal(cfg->milter.default_sender, "noreply@example.com");
	assert_int_equal(cfg->milter.daemon.socket_mode, 0640);
	assert_int_equal(cfg->milter.daemon.mode, CONFIG_MODE_MONITOR);
	assert_int_equal(cfg->milter.daemon.listen.kind, CONFIG_SOCKET_UNIX);
	config_free(cfg);
	free(errors);
}

static void
test_repeatables_keep_order(void **unused)
{
	const char *text = "[rewrite]\n"
	                   "rule = header @Example.NET news@example.com\n"
	                   "rule = client 2001:db8::/32 ops@example.com\n"
	                   "rule = sasl alice alice@example.com\n"
	                   "rule = envelope * bounce@example.com\n"
	                   "[bindings]\nenforce = on\n"
	                   "bind = sasl:alice alice@example.com @Example.ORG\n"
	                   "bind = client:192.0.2.0/24 ops@example.com\n";
	char *errors = NULL;
	struct edg_config *cfg = parse(text, &errors);
	const struct config_rewrite_rule *rules;
	const struct config_binding *binds;

	assert_string_equal(errors, "");
	assert_non_null(cfg);
	rules = cfg->rewrite.rules;
	assert_int_equal(cfg->rewrite.count, 4);
	assert_int_equal(rules[0].source, CONFIG_REWRITE_HEADER);
	assert_int_equal(rules[0].kind, CONFIG_PATTERN_DOMAIN);
	assert_string_equal(rules[0].pattern, "@example.net");
	assert_string_equal(rules[0].sender, "news@example.com");
	assert_int_equal(rules[1].source, CONFIG_REWRITE_CLIENT);
	assert_int_equal(rules[1].kind, CONFIG_PATTERN_CIDR);
	assert_int_equal(rules[1].cidr.family, AF_INET6);
	assert_int_equal(rules[2].kind, CONFIG_PATTERN_LOGIN);
	assert_string_equal(rules[2].pattern, "alice");
	assert_int_equal(rules[3].source, CONFIG_REWRITE_ENVELOPE);
	assert_int_equal(rules[3].kind, CONFIG_PATTERN_ANY);
	binds = cfg->bindings.list.binds;
	assert_int_equal(cfg->bindings.enforce, 1);
	assert_int_equal(cfg->bindings.list.count, 2);
	assert_int_equal(binds[0].kind, CONFIG_BIND_SASL);
	assert_string_equal(binds[0].login, "alice");
	assert_int_equal(binds[0].senders.count, 2);
	assert_string_equal(binds[0].senders.items[1], "@example.org");
	assert_int_equal(binds[1].kind, CONFIG_BIND_CLIENT);
	assert_int_equal(binds[1].cidr.prefix, 24);
	config_free(cfg);
	free(errors);
}

static void
test_secret_never_in_errors(void **unused)
{
	const char *text = "[oci]\npass_phrase = x\n"
	                   "[redis]\nurl = redis://u:hunter2@h:99999\n"
	                   "[oci]\nproxy = http://u:hunter3@h/path\n";
	char *errors = NULL;
	struct edg_config *cfg = parse(text, &errors);

	assert_null(cfg);
	assert_null(strstr(errors, "hunter"));
	assert_non_null(strstr(errors, "t.conf:4: [redis] url: "));
	assert_non_null(strstr(errors, "t.conf:6: [oci] proxy: "));
	free(errors);
}

static void
test_error_cap(void **unused)
{
	char *text = NULL, *errors = NULL;
	size_t size;
	FILE *mem = open_memstream(&text, &size);
	size_t lines = 0;

	fputs("[log]\n", mem);
	for (int i = 0; i < 500; i++)
		fprintf(mem, "bogus%d = 1\n", i);
	fclose(mem);
	assert_null(parse(text, &errors));
	for (const char *p = errors; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, CONFIG_ERRORS_MAX + 1);
	assert_non_null(strstr(errors, "t.conf: too many errors, giving up\n"));
	free(text);
	free(errors);
}

static char *
show(const struct edg_config *cfg, int all)
{
	char *out = NULL;
	size_t size;
	FILE *mem = open_memstream(&out, &size);

	config_show(cfg, mem, all);
	fclose(mem);
	return out;
}

static void
test_show(void **unused)
{
	const char *text = API_KEY "pass_phrase = my#pass ;phrase\n"
	                           "proxy = http://pu:proxypass@proxy:3128\n"
	                           "[redis]\nurl = redis://user:redispass@h:6379/2\n"
	                           "[syncd]\nsender_interval = 60s\n";
	char *errors = NULL, *out;
	struct edg_config *cfg = parse(text, &errors);

	assert_non_null(cfg);
	out = show(cfg, 0);
	assert_string_equal(out, "[oci]\nregion = us-ashburn-1\ntenancy = ocid1.tenancy.oc1..a\n"
	                         "user = ocid1.user.oc1..b\n"
	                         "fingerprint = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
	                         "key_file = /k.pem\npass_phrase = *****\n"
	                         "proxy = http://pu:*****@proxy:3128\n\n"
	                         "[redis]\nurl = redis://user:*****@h:6379/2\n\n"
	                         "[syncd]\nsender_interval = 60s\n");
	free(out);
	out = show(cfg, 1);
	assert_null(strstr(out, "pass ;phrase"));
	assert_null(strstr(out, "redispass"));
	assert_null(strstr(out, "proxypass"));
	assert_int_equal(strncmp(out, "[log]\nfacility = mail\n", 22), 0);
	assert_non_null(strstr(out, "\nca_file =\n"));
	assert_non_null(strstr(out, "\nmax_stale = 1h\n"));
	free(out);
	config_free(cfg);
	free(errors);
}

/* show -a of the defaults parses back to the same output. */
static void
test_show_round_trip(void **unused)
{
	struct edg_config *cfg = config_defaults(), *again;
	char *first = show(cfg, 1), *errors = NULL, *second;

	again = parse(first, &errors);
	assert_string_equal(errors, "");
	assert_non_null(again);
	second = show(again, 1);
	assert_string_equal(first, second);
	free(first);
	free(second);
	free(errors);
	config_free(cfg);
	config_free(again);
}

static void
test_sample_parses(void **unused)
{
	char *sample = NULL, *errors = NULL;
	size_t size;
	FILE *mem = open_memstream(&sample, &size);
	struct edg_config *cfg;

	config_sample(mem);
	fclose(mem);
	for (size_t i = 0; i < config_key_count; i++) {
		char line[128];

		snprintf(line, sizeof(line), "\n#%s =", config_keys[i].name);
		assert_non_null(strstr(sample, line));
	}
	cfg = parse(sample, &errors);
	assert_non_null(cfg);
	assert_string_equal(errors, "");
	config_free(cfg);
	free(sample);
	free(errors);
}

static void
test_endpoint(void **unused)
{
	char *errors = NULL, *endpoint;
	struct edg_config *cfg = config_defaults();

	assert_null(config_oci_endpoint(cfg, NULL));
	assert_null(config_oci_endpoint(cfg, ""));
	assert_null(config_oci_endpoint(cfg, "evil.com/x?"));
	endpoint = config_oci_endpoint(cfg, "eu-zurich-1");
	assert_string_equal(endpoint, "https://ctrl.email.eu-zurich-1.oci.oraclecloud.com");
	free(endpoint);
	config_free(cfg);

	cfg = parse("[oci]\nregion = us-ashburn-1\n", &errors);
	endpoint = config_oci_endpoint(cfg, "eu-zurich-1");
	assert_string_equal(endpoint, "https://ctrl.email.us-ashburn-1.oci.oraclecloud.com");
	free(endpoint);
	config_free(cfg);
	free(errors);

	cfg = parse("[oci]\nregion = us-ashburn-1\nendpoint = http://127.0.0.1:8443\n", &errors);
	endpoint = config_oci_endpoint(cfg, NULL);
	assert_string_equal(endpoint, "http://127.0.0.1:8443");
	free(endpoint);
	config_free(cfg);
	free(errors);
}

/* A file in a fresh temporary directory with the given mode. */
static char *
temp_file(const char *text, size_t len, mode_t mode)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static char *
load_errors(const char *path, struct edg_config **cfg)
{
	char *errors = NULL;
	size_t size;
	FILE *mem = open_memstream(&errors, &size);

	*cfg = config_load(path, mem);
	fclose(mem);
	return errors;
}

static void
test_load_file_checks(void **unused)
{
	static char big[CONFIG_FILE_MAX + 2];
	struct edg_config *cfg;
	char *path, *errors, want[256];

	path = temp_file("[log]\nlevel = debug\n", 20, 0640);
	errors = load_errors(path, &cfg);
	assert_string_equal(errors, "");
	assert_non_null(cfg);
	assert_int_equal(cfg->log.level, LOG_DEBUG);
	config_free(cfg);
	free(errors);
	chmod(path, 0646);
	errors = load_errors(path, &cfg);
	snprintf(want, sizeof(want), "%s: writable by everyone: refused (chmod o-w)\n", path);
	assert_string_equal(errors, want);
	assert_null(cfg);
	free(errors);
	unlink(path);
	free(path);

	memset(big, '#', sizeof(big));
	path = temp_file(big, CONFIG_FILE_MAX + 1, 0600);
	errors = load_errors(path, &cfg);
	assert_null(cfg);
	assert_non_null(strstr(errors, "larger than 1 MB: refused"));
	free(errors);
	unlink(path);
	free(path);

	errors = load_errors("/tmp", &cfg);
	assert_string_equal(errors, "/tmp: not a regular file\n");
	free(errors);
	errors = load_errors("/nonexistent/edg.conf", &cfg);
	assert_string_equal(errors,
	                    "/nonexistent/edg.conf: cannot open: No such file or directory\n");
	free(errors);
}

static void
test_load_registers_secrets(void **unused)
{
	const char *text = API_KEY "pass_phrase = open-sesame\n"
	                           "[redis]\nurl = redis://u:redis-pw@h\n";
	char *path = temp_file(text, strlen(text), 0604), *errors, line[LOG_LINE_MAX], want[256];
	struct edg_config *cfg;

	log_secret_clear();
	errors = load_errors(path, &cfg);
	assert_non_null(cfg);
	snprintf(want, sizeof(want),
	         "%s: warning: holds secrets but everyone may read it (chmod o-r)\n", path);
	assert_string_equal(errors, want);
	snprintf(line, sizeof(line), "a open-sesame b redis-pw c");
	log_sanitize(line, sizeof(line));
	assert_string_equal(line, "a ***** b ***** c");
	log_secret_clear();
	config_free(cfg);
	free(errors);
	unlink(path);
	free(path);
}

/* Both passwords of a sentinel URL are masked by show and registered for the logs. */
static void
test_show_sentinel(void **unused)
{
	const char *text = "[redis]\nurl = redis+sentinel://edg:data-pw@s1,s2:26380/m/1"
	                   "?sentinel_password=sent@pw\n";
	char *errors = NULL, *out, *path, line[LOG_LINE_MAX];
	struct edg_config *cfg = parse(text, &errors);

	assert_non_null(cfg);
	out = show(cfg, 0);
	assert_string_equal(out, "[redis]\nurl = redis+sentinel://edg:*****@s1,s2:26380/m/1"
	                         "?sentinel_password=*****\n");
	free(out);
	config_free(cfg);
	free(errors);

	path = temp_file(text, strlen(text), 0600);
	log_secret_clear();
	errors = load_errors(path, &cfg);
	assert_non_null(cfg);
	snprintf(line, sizeof(line), "a data-pw b sent@pw c");
	log_sanitize(line, sizeof(line));
	assert_string_equal(line, "a ***** b ***** c");
	log_secret_clear();
	config_free(cfg);
	free(errors);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_cases),
	    cmocka_unit_test(test_value_cases),
	    cmocka_unit_test(test_duration_parse),
	    cmocka_unit_test(test_size_parse),
	    cmocka_unit_test(test_bool_parse),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_socket_parse),
	    cmocka_unit_test(test_redis_url),
	    cmocka_unit_test(test_redis_sentinel_url),
	    cmocka_unit_test(test_show_sentinel),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_parsed_values),
	    cmocka_unit_test(test_repeatables_keep_order),
	    cmocka_unit_test(test_secret_never_in_errors),
	    cmocka_unit_test(test_error_cap),
	    cmocka_unit_test(test_show),
	    cmocka_unit_test(test_show_round_trip),
	    cmocka_unit_test(test_sample_parses),
	    cmocka_unit_test(test_endpoint),
	    cmocka_unit_test(test_load_file_checks),
	    cmocka_unit_test(test_load_registers_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
