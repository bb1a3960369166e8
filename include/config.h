/*
 * config.h - edg.conf: one table of keys, typed values, every error with file:line
 *
 * SYNOPSIS
 *	#include "config.h"
 *
 *	struct edg_config *config_load(const char *path, FILE *errors);
 *	struct edg_config *config_parse_buffer(const char *buf, size_t len,
 *	    const char *filename, FILE *errors);
 *	struct edg_config *config_defaults(void);
 *	void config_free(struct edg_config *cfg);
 *
 *	void config_show(const struct edg_config *cfg, FILE *out, int all);
 *	void config_sample(FILE *out);
 *	void config_reference(FILE *out);
 *	char *config_oci_endpoint(const struct edg_config *cfg, const char *profile_region);
 *
 *	int config_duration_parse(const char *text, int64_t *ms, const char **why);
 *	int config_size_parse(const char *text, size_t *bytes, const char **why);
 *	int config_bool_parse(const char *text, int *value);
 *	int config_cidr_parse(const char *text, struct config_cidr *out, const char **why);
 *	int config_cidr_match(const struct config_cidr *cidr, int family, const void *addr);
 *	int config_socket_parse(const char *text, enum config_socket_syntax syntax,
 *	    struct config_socket *out, const char **why);
 *	int config_redis_url_parse(const char *text, struct config_redis_url *out,
 *	    const char **why);
 *	int config_url_check(const char *text, const char *schemes, int userinfo_ok,
 *	    const char **why);
 *	int config_rewrite_rule_parse(const char *text, struct config_rewrite_rule *out,
 *	    const char **why);
 *	int config_binding_parse(const char *text, struct config_binding *out,
 *	    const char **why);
 *	int config_rcpt_pattern_parse(const char *text, char *out, size_t outsize,
 *	    const char **why);
 *	int config_limit_parse(const char *text, struct config_limit *out,
 *	    const char **why);
 *	int config_suppressed_reply_parse(const char *text, struct config_reply *out,
 *	    const char **why);
 *
 * DESCRIPTION
 *	Every key lives in one table (lib/config_table.c): section, name, type, default,
 *	one-line doc and the place in struct edg_config it fills. Parsing, validation,
 *	"edgctl config show", the sample file and docs/configuration.md all come from
 *	it, so a key cannot exist in one and not the other.
 *
 *	config_load() reads path (refusing a file that is not regular, is writable by
 *	others or is larger than CONFIG_FILE_MAX), parses it over the defaults and
 *	validates every value and the few rules that tie keys together. On success it
 *	passes every secret (pass_phrase, the Redis and proxy URL passwords) to
 *	log_secret_add(). config_parse_buffer() is the same without the file and without
 *	log_secret_add() (for tests and fuzzing); filename only labels the errors.
 *	config_defaults() is the configuration of an empty file.
 *
 *	There is no global state: to reload, call config_load() again and swap only when
 *	it succeeded; the old configuration stays valid until freed.
 *
 *	Ownership: the caller frees what config_load(), config_parse_buffer() and
 *	config_defaults() return with config_free() (NULL is fine). All strings inside
 *	are owned by the configuration and are never NULL ("" when unset).
 *	config_oci_endpoint() returns a string the caller frees, or NULL when neither
 *	endpoint nor a region is known (profile_region, from an OCI CLI profile, is
 *	used when [oci] region is empty). The other *_parse() functions fill
 *	structures whose strings the caller releases with the matching *_release(),
 *	also after a failed parse.
 *
 *	config_show() prints "[section]" blocks of "key = value" lines: the keys set in
 *	the file (like postconf -n), or every key when all is non-zero. A secret prints
 *	as "*****"; in a URL only its password does. config_sample() prints the fully
 *	commented sample (conf/edg.conf.sample); config_reference() the key reference
 *	in Markdown (the generated part of docs/configuration.md).
 *
 *	The value parsers are pure (text in, value out); they are public because the
 *	daemons reuse them (CIDR matching for client rules, socket specs).
 *	config_rcpt_pattern_parse() canonicalises one [guard] allow_recipients entry:
 *	an address, "@domain" (that domain exactly) or "*@*.domain" (its subdomains,
 *	not the domain itself). config_limit_parse() parses one [guard] limit line
 *	"SCOPE[:ID] COUNT/WINDOW [CODE [DSN]]" (see docs/edg-policyd.md, Guards).
 *	config_suppressed_reply_parse() parses one suppressed_reply line "REASON CODE
 *	[DSN]": the reply to a recipient OCI suppresses for REASON (an OCI reason,
 *	uppercased, or "*" for every reason without a line of its own).
 *	config_url_check() accepts scheme://[user:password@]host[:port] without a path
 *	(userinfo only when userinfo_ok) for a scheme listed in schemes ("|http|https|").
 *
 * DIAGNOSTICS
 *	config_load() and config_parse_buffer() return NULL after writing every problem
 *	(at most CONFIG_ERRORS_MAX) to errors (when not NULL), one per line:
 *	"FILE:LINE: [section] key: reason", "FILE:LINE: reason" for syntax errors,
 *	"FILE: reason" for the file itself. A secret value is never echoed.
 *	The value parsers return 0 on success, -1 with *why (static English) on error.
 */
#ifndef EDG_CONFIG_H
#define EDG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DEFAULT_PATH "/etc/edg/edg.conf"
#define CONFIG_FILE_MAX     (1024 * 1024) /* bytes; a larger file is refused */
#define CONFIG_ERRORS_MAX   100           /* errors reported before giving up */

/* [policyd] and [milter] mode */
#define CONFIG_MODE_ENFORCE 0
#define CONFIG_MODE_MONITOR 1
/* on_state_error */
#define CONFIG_ON_ERROR_TEMPFAIL 0
#define CONFIG_ON_ERROR_ACCEPT   1
/* [guard] on_limit_error */
#define CONFIG_ON_LIMIT_ERROR_OPEN   0
#define CONFIG_ON_LIMIT_ERROR_CLOSED 1

struct config_list {
	char **items; /* each owned */
	size_t count;
};

/* A network: family AF_INET or AF_INET6, addr in network byte order, host bits zero. */
struct config_cidr {
	int family;
	unsigned char addr[16];
	unsigned prefix;
};

enum config_socket_kind {
	CONFIG_SOCKET_NONE,  /* empty: off */
	CONFIG_SOCKET_INET,  /* host + port (host may be an IPv6 literal) */
	CONFIG_SOCKET_INET6, /* milter "inet6:PORT@HOST" */
	CONFIG_SOCKET_UNIX,  /* path ("unix:" or milter "local:") */
};

enum config_socket_syntax {
	CONFIG_SOCKET_POSTFIX, /* inet:HOST:PORT, inet:[IPV6]:PORT, unix:PATH */
	CONFIG_SOCKET_MILTER,  /* inet:PORT[@HOST], inet6:PORT[@HOST], unix:PATH, local:PATH */
	CONFIG_SOCKET_TCP,     /* inet:HOST:PORT only (metrics listeners) */
};

struct config_socket {
	enum config_socket_kind kind;
	char *spec; /* as written: libmilter takes it verbatim */
	char *host; /* without brackets; "" = every address (milter "inet:PORT") */
	unsigned port;
	char *path;
};

enum config_redis_kind { CONFIG_REDIS_TCP, CONFIG_REDIS_UNIX, CONFIG_REDIS_SENTINEL };

#define CONFIG_REDIS_SENTINELS_MAX   8
#define CONFIG_REDIS_MASTER_NAME_MAX 64
#define CONFIG_REDIS_SENTINEL_PORT   26379

struct config_redis_node {
	char *host; /* without brackets */
	unsigned port;
};

/*
 * redis://, unix:// or redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]
 * /MASTER[/DB][?sentinel_password=PASSWORD] (docs/operations.md, Redis Sentinel).
 */
struct config_redis_url {
	char *text; /* as written (with the password: never print it) */
	enum config_redis_kind kind;
	char *host; /* TCP, without brackets */
	unsigned port;
	char *path; /* UNIX */
	int db;
	char *username; /* "" = none (the "default" user) */
	char *password; /* "" = none; a secret */
	/* SENTINEL: the sentinels asked, in order, for the address of master_name */
	struct config_redis_node sentinels[CONFIG_REDIS_SENTINELS_MAX];
	size_t nsentinels;
	char *master_name;       /* "" unless SENTINEL */
	char *sentinel_password; /* "" = none; a secret */
};

enum config_rewrite_source {
	CONFIG_REWRITE_ENVELOPE, /* the envelope sender */
	CONFIG_REWRITE_HEADER,   /* the header From: address */
	CONFIG_REWRITE_SASL,     /* the SASL login */
	CONFIG_REWRITE_CLIENT,   /* the client IP address */
};

enum config_pattern_kind {
	CONFIG_PATTERN_ADDRESS, /* canonical address */
	CONFIG_PATTERN_DOMAIN,  /* "@canonical.domain" */
	CONFIG_PATTERN_ANY,     /* "*" */
	CONFIG_PATTERN_LOGIN,   /* a SASL login, as written */
	CONFIG_PATTERN_CIDR,    /* cidr is set; pattern is the text as written */
};

struct config_rewrite_rule {
	enum config_rewrite_source source;
	enum config_pattern_kind kind;
	char *pattern;
	struct config_cidr cidr;
	char *sender; /* canonical approved sender */
	unsigned lineno;
};

enum config_binding_kind { CONFIG_BIND_SASL, CONFIG_BIND_CLIENT };

struct config_binding {
	enum config_binding_kind kind;
	char *login; /* SASL; "" for client */
	struct config_cidr cidr;
	struct config_list senders; /* canonical addresses and "@domain" patterns */
	unsigned lineno;
};

struct config_rewrite_list {
	struct config_rewrite_rule *rules; /* in file order */
	size_t count;
};

struct config_binding_list {
	struct config_binding *binds; /* in file order */
	size_t count;
};

#define CONFIG_REPLY_CODE_SIZE 4  /* "550" */
#define CONFIG_REPLY_DSN_SIZE  12 /* "5.1.1", at most "5.999.999" */

/* [policyd] and [milter] suppressed_reply = REASON CODE [DSN] */
#define CONFIG_REPLIES_MAX 16

struct config_reply {
	char reason[32]; /* OCI reason, uppercase, or "*" */
	char code[CONFIG_REPLY_CODE_SIZE];
	char dsn[CONFIG_REPLY_DSN_SIZE];
};

struct config_reply_list {
	struct config_reply *replies; /* in file order; a later line for a reason wins */
	size_t count;
};

/* [guard] limit = SCOPE[:ID] COUNT/WINDOW [CODE [DSN]] (lib/guard.c applies them) */
enum config_limit_scope {
	CONFIG_LIMIT_SASL,    /* sasl:LOGIN, or sasl: each login apart */
	CONFIG_LIMIT_SENDER,  /* sender:ADDRESS, sender:@DOMAIN, or sender: each apart */
	CONFIG_LIMIT_CLIENT,  /* client:NETWORK (counted together), or client: each IP */
	CONFIG_LIMIT_TENANCY, /* everything this Redis's gateways relay */
};

#define CONFIG_LIMITS_MAX      64         /* limit lines in one file */
#define CONFIG_LIMIT_COUNT_MAX 1000000000 /* COUNT */

struct config_limit {
	enum config_limit_scope scope;
	enum config_pattern_kind kind;     /* ANY (tenancy, or each apart), LOGIN, ADDRESS, DOMAIN,
	                                      CIDR */
	char *id;                          /* canonical ID as written after ':'; "" for ANY */
	struct config_cidr cidr;           /* CIDR */
	long count;                        /* recipients allowed per window, >= 1 */
	int64_t window_ms;                 /* 1s to 1d, whole seconds */
	char code[CONFIG_REPLY_CODE_SIZE]; /* "451" unless configured: 4xx or 5xx */
	char dsn[CONFIG_REPLY_DSN_SIZE];   /* "4.7.1" unless configured, same class as code */
	char *text;                        /* "sasl:billing-app 5/1m": logs and replies */
	unsigned lineno;
};

struct config_limit_list {
	struct config_limit *limits; /* in file order */
	size_t count;
};

struct config_daemon {
	struct config_socket listen;
	char *socket_owner; /* "" = the user the daemon runs as */
	char *socket_group;
	unsigned socket_mode;
	char *user;
	int mode;           /* CONFIG_MODE_* */
	int on_state_error; /* CONFIG_ON_ERROR_* */
	int64_t max_stale_ms;
	struct config_reply_list suppressed_replies; /* empty: 550 5.1.1 for every reason */
	struct config_socket metrics_listen;
};

struct config_source; /* private: text and line of every key, for show */

struct edg_config {
	struct {
		int facility; /* LOG_MAIL ... */
		int level;    /* LOG_INFO ... */
	} log;
	struct {
		char *region, *tenancy, *user, *fingerprint, *key_file, *pass_phrase;
		char *oci_config, *profile;
		struct config_list compartments;
		char *endpoint, *ca_file, *proxy;
		int64_t connect_timeout_ms, timeout_ms, retry_max_delay_ms;
		long max_pages, retries;
	} oci;
	struct {
		struct config_redis_url url;
		char *prefix;
		int64_t connect_timeout_ms, command_timeout_ms;
	} redis;
	struct {
		int64_t sender_interval_ms, suppression_interval_ms, reconcile_interval_ms;
		int64_t suppression_overlap_ms, lock_ttl_ms;
		char *audit_log; /* "syslog" or an absolute path */
		char *user;
		struct config_socket metrics_listen;
	} syncd;
	struct {
		struct config_daemon daemon;
		int64_t idle_timeout_ms;
		long max_connections;
		size_t max_request_size;
	} policyd;
	struct {
		struct config_daemon daemon;
		char *default_sender; /* canonical; "" = refuse */
		int reply_to;
		char *original_from_header; /* "" = not added */
		int64_t timeout_ms;
		struct config_socket transport_listen; /* socketmap for transport_maps; off */
	} milter;
	struct config_rewrite_list rewrite;
	struct {
		int enforce;
		struct config_binding_list list;
	} bindings;
	struct {
		struct config_list allow_recipients; /* canonical: a@d, @d, *@*.d */
		char *redirect_to;                   /* canonical; "" = refuse instead */
		struct config_limit_list limits;
		int on_limit_error; /* CONFIG_ON_LIMIT_ERROR_* */
	} guard;
	struct config_source *source;
};

struct edg_config *config_load(const char *path, FILE *errors);
struct edg_config *config_parse_buffer(const char *buf, size_t len, const char *filename,
                                       FILE *errors);
struct edg_config *config_defaults(void);
void config_free(struct edg_config *cfg);

void config_show(const struct edg_config *cfg, FILE *out, int all);
void config_sample(FILE *out);
void config_reference(FILE *out);
char *config_oci_endpoint(const struct edg_config *cfg, const char *profile_region);

int config_duration_parse(const char *text, int64_t *ms, const char **why);
int config_size_parse(const char *text, size_t *bytes, const char **why);
int config_bool_parse(const char *text, int *value);
int config_cidr_parse(const char *text, struct config_cidr *out, const char **why);
int config_cidr_match(const struct config_cidr *cidr, int family, const void *addr);
int config_socket_parse(const char *text, enum config_socket_syntax syntax,
                        struct config_socket *out, const char **why);
void config_socket_release(struct config_socket *sock);
int config_redis_url_parse(const char *text, struct config_redis_url *out, const char **why);
void config_redis_url_release(struct config_redis_url *url);
int config_url_check(const char *text, const char *schemes, int userinfo_ok, const char **why);
int config_rewrite_rule_parse(const char *text, struct config_rewrite_rule *out, const char **why);
void config_rewrite_rule_release(struct config_rewrite_rule *rule);
int config_binding_parse(const char *text, struct config_binding *out, const char **why);
void config_binding_release(struct config_binding *binding);
int config_rcpt_pattern_parse(const char *text, char *out, size_t outsize, const char **why);
int config_limit_parse(const char *text, struct config_limit *out, const char **why);
int config_suppressed_reply_parse(const char *text, struct config_reply *out, const char **why);
void config_limit_release(struct config_limit *limit);
void config_list_release(struct config_list *list);

/*
 * The table itself, shared by lib/config*.c and the tests. Each key's field is at
 * offset in struct edg_config; its C type follows from the key's type (see
 * lib/config_table.c). min and max bound integers, durations (milliseconds) and
 * sizes (bytes) when max > 0; arg is the OCID prefix or the enum's "a|b" choices.
 */
enum config_type {
	CONFIG_T_STRING,
	CONFIG_T_PATH,
	CONFIG_T_DURATION,
	CONFIG_T_SIZE,
	CONFIG_T_BOOL,
	CONFIG_T_INT,
	CONFIG_T_ENUM,
	CONFIG_T_FACILITY,
	CONFIG_T_LEVEL,
	CONFIG_T_REGION,
	CONFIG_T_OCID,
	CONFIG_T_OCID_LIST,
	CONFIG_T_FINGERPRINT,
	CONFIG_T_SECRET,
	CONFIG_T_ENDPOINT,
	CONFIG_T_PROXY,
	CONFIG_T_REDIS_URL,
	CONFIG_T_KEY_PREFIX,
	CONFIG_T_AUDIT,
	CONFIG_T_ACCOUNT,
	CONFIG_T_MODE,
	CONFIG_T_POLICY_SOCKET,
	CONFIG_T_MILTER_SOCKET,
	CONFIG_T_TCP_SOCKET,
	CONFIG_T_ADDRESS,
	CONFIG_T_HEADER_NAME,
	CONFIG_T_REWRITE,
	CONFIG_T_BIND,
	CONFIG_T_RCPT_PATTERNS,
	CONFIG_T_LIMIT,
	CONFIG_T_SUPPRESSED_REPLY,
};

#define CONFIG_F_SECRET 0x1 /* never printed; passed to log_secret_add() */
#define CONFIG_F_REPEAT 0x2 /* may appear many times, in order */
#define CONFIG_F_EMPTY  0x4 /* "" is a valid value (unset / off) */

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	const char *default_text;
	const char *doc;
	size_t offset;
	long long min, max;
	const char *arg;
	unsigned flags;
	const char *example; /* shown in the sample for keys without a default */
};

extern const struct config_key config_keys[];
extern const size_t config_key_count;

/* The word for a key's type in the sample and the reference ("duration", ...). */
const char *config_type_name(const struct config_key *key);
/* The type with its bounds or choices: "duration, 1m to 30d", "one of enforce/monitor". */
void config_type_describe(const struct config_key *key, char *buf, size_t size);
/* Parse text as key's type into field (the key's place in a struct edg_config),
 * replacing (or, for repeatable keys, appending to) what is there. -1: why holds
 * the reason, never the value itself. */
int config_value_set(const struct config_key *key, const char *text, void *field, char *why,
                     size_t whysize);
void config_value_release(const struct config_key *key, void *field);

#endif
