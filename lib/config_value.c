/*
 * config_value.c - pure parsers for the typed values of edg.conf
 *
 * SYNOPSIS
 *	See config.h: config_duration_parse(), config_size_parse(), config_bool_parse(),
 *	config_cidr_parse(), config_cidr_match(), config_socket_parse(),
 *	config_redis_url_parse(), config_rewrite_rule_parse(), config_binding_parse()
 *	and their release functions.
 *
 * DESCRIPTION
 *	Text in, value out: no I/O, no logging. Each parser refuses what it does not
 *	fully understand rather than guessing (a trailing unit typo is an error, not
 *	seconds). Strings placed in output structures are allocated with xstrdup() and
 *	released by the matching *_release() function, also after a failed parse.
 *
 * DIAGNOSTICS
 *	0 on success; -1 with *why pointing to a static English reason.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "addr.h"
#include "config.h"
#include "xalloc.h"

#define CONFIG_DURATION_MAX_MS (366LL * 24 * 3600 * 1000) /* one year */
#define CONFIG_HOST_MAX        255

/* Leading decimal digits of text into *value (at most 18 digits: no overflow). */
static const char *
config_digits(const char *text, unsigned long long *value)
{
	const char *p = text;

	*value = 0;
	while (isdigit((unsigned char)*p) && p - text < 18)
		*value = *value * 10 + (unsigned long long)(*p++ - '0');
	return p == text || isdigit((unsigned char)*p) ? NULL : p;
}

int
config_duration_parse(const char *text, int64_t *ms, const char **why)
{
	static const struct {
		const char *unit;
		unsigned long long ms;
	} units[] = {{"", 1000},       {"ms", 1},          {"s", 1000},
	             {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 24 * 3600 * 1000}};
	unsigned long long number;
	const char *unit = config_digits(text, &number);

	*why = "not a duration (a number with ms, s, m, h or d)";
	if (unit == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (number > (unsigned long long)CONFIG_DURATION_MAX_MS / units[i].ms) {
			*why = "duration longer than a year";
			return -1;
		}
		*ms = (int64_t)(number * units[i].ms);
		return 0;
	}
	return -1;
}

int
config_size_parse(const char *text, size_t *bytes, const char **why)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {{"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
	             {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}};
	unsigned long long number;
	const char *unit = config_digits(text, &number);

	*why = "not a size (a number with B, KB, MB or GB)";
	if (unit == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(unit, units[i].unit) != 0)
			continue;
		if (number > (SIZE_MAX >> units[i].shift)) {
			*why = "size too large";
			return -1;
		}
		*bytes = (size_t)(number << units[i].shift);
		return 0;
	}
	return -1;
}

int
config_bool_parse(const char *text, int *value)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *value = 1, 0;
		if (strcasecmp(text, no[i]) == 0)
			return *value = 0, 0;
	}
	return -1;
}

/* The bits of addr beyond prefix (of a bytes-long address) are all zero. */
static int
config_host_bits_clear(const unsigned char *addr, size_t bytes, unsigned prefix)
{
	for (size_t bit = prefix; bit < bytes * 8; bit++)
		if (addr[bit / 8] & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

int
config_cidr_parse(const char *text, struct config_cidr *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t len = slash != NULL ? (size_t)(slash - text) : strlen(text), bytes;
	unsigned long long prefix;

	*why = "not an IPv4 or IPv6 network (ADDRESS or ADDRESS/PREFIX)";
	if (len == 0 || len >= sizeof(addr))
		return -1;
	memcpy(addr, text, len);
	addr[len] = '\0';
	memset(out, 0, sizeof(*out));
	out->family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, addr, out->addr) != 1)
		return -1;
	bytes = out->family == AF_INET ? 4 : 16;
	prefix = bytes * 8;
	if (slash != NULL) {
		const char *end = config_digits(slash + 1, &prefix);

		if (end == NULL || *end != '\0' || prefix > bytes * 8 ||
		    (slash[1] == '0' && slash[2] != '\0'))
			return *why = "bad prefix length", -1;
	}
	out->prefix = (unsigned)prefix;
	if (!config_host_bits_clear(out->addr, bytes, out->prefix))
		return *why = "address has bits set beyond the prefix length", -1;
	return 0;
}

int
config_cidr_match(const struct config_cidr *cidr, int family, const void *addr)
{
	const unsigned char *bytes = addr;
	unsigned full = cidr->prefix / 8, rest = cidr->prefix % 8;

	if (family != cidr->family)
		return 0;
	if (memcmp(bytes, cidr->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((bytes[full] ^ cidr->addr[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Host name (letters, digits, '-', '.'), IPv4 or, when v6_ok, an IPv6 literal. */
static int
config_host_valid(const char *host, int v6_ok)
{
	unsigned char buf[16];
	size_t len = strlen(host);

	if (len == 0 || len > CONFIG_HOST_MAX)
		return 0;
	if (strchr(host, ':') != NULL)
		return v6_ok && inet_pton(AF_INET6, host, buf) == 1;
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return host[0] != '-' && host[0] != '.';
}

static int
config_port_parse(const char *text, unsigned *port)
{
	unsigned long long value;
	const char *end = config_digits(text, &value);

	if (end == NULL || *end != '\0' || value == 0 || value > 65535 || text[0] == '0')
		return -1;
	*port = (unsigned)value;
	return 0;
}

/* "HOST:PORT" or "[IPV6]:PORT" (port optional when default_port != 0) into out. */
static int
config_hostport_parse(const char *text, unsigned default_port, char **host, unsigned *port)
{
	const char *colon, *host_start = text, *host_end;

	*host = NULL;
	if (text[0] == '[') {
		host_end = strchr(text, ']');
		if (host_end == NULL || (host_end[1] != '\0' && host_end[1] != ':'))
			return -1;
		host_start = text + 1;
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
	} else {
		colon = strrchr(text, ':');
		host_end = colon != NULL ? colon : text + strlen(text);
	}
	*host = xstrndup(host_start, (size_t)(host_end - host_start));
	if (!config_host_valid(*host, text[0] == '['))
		return -1;
	if (colon == NULL) {
		*port = default_port;
		return default_port != 0 ? 0 : -1;
	}
	return config_port_parse(colon + 1, port);
}

static int
config_unix_path_valid(const char *path)
{
	struct sockaddr_un sun;

	return path[0] == '/' && strlen(path) < sizeof(sun.sun_path);
}

static int
config_socket_postfix(const char *text, int unix_ok, struct config_socket *out)
{
	if (unix_ok && strncmp(text, "unix:", 5) == 0) {
		out->kind = CONFIG_SOCKET_UNIX;
		out->path = xstrdup(text + 5);
		return config_unix_path_valid(out->path) ? 0 : -1;
	}
	if (strncmp(text, "inet:", 5) != 0)
		return -1;
	out->kind = CONFIG_SOCKET_INET;
	return config_hostport_parse(text + 5, 0, &out->host, &out->port);
}

/* libmilter: inet:PORT[@HOST], inet6:PORT[@HOST], unix:PATH, local:PATH. */
static int
config_socket_milter(const char *text, struct config_socket *out)
{
	int v6 = strncmp(text, "inet6:", 6) == 0;
	const char *rest, *at;
	char *port;
	int rc;

	if (strncmp(text, "unix:", 5) == 0 || strncmp(text, "local:", 6) == 0) {
		out->kind = CONFIG_SOCKET_UNIX;
		out->path = xstrdup(strchr(text, ':') + 1);
		return config_unix_path_valid(out->path) ? 0 : -1;
	}
	if (!v6 && strncmp(text, "inet:", 5) != 0)
		return -1;
	out->kind = v6 ? CONFIG_SOCKET_INET6 : CONFIG_SOCKET_INET;
	rest = text + (v6 ? 6 : 5);
	at = strchr(rest, '@');
	port = xstrndup(rest, at != NULL ? (size_t)(at - rest) : strlen(rest));
	rc = config_port_parse(port, &out->port);
	free(port);
	out->host = xstrdup(at != NULL ? at + 1 : "");
	if (at != NULL && !config_host_valid(out->host, v6))
		return -1;
	return rc;
}

int
config_socket_parse(const char *text, enum config_socket_syntax syntax, struct config_socket *out,
                    const char **why)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->spec = xstrdup(text);
	switch (text[0] == '\0' ? -1 : (int)syntax) {
	case -1:
		rc = 0; /* empty: no socket */
		break;
	case CONFIG_SOCKET_MILTER:
		*why = "not a milter socket (inet:PORT@HOST, inet6:PORT@HOST, unix:/PATH)";
		rc = config_socket_milter(text, out);
		break;
	case CONFIG_SOCKET_TCP:
		*why = "not a TCP socket (inet:HOST:PORT or inet:[IPV6]:PORT)";
		rc = config_socket_postfix(text, 0, out);
		break;
	default:
		*why = "not a socket (inet:HOST:PORT, inet:[IPV6]:PORT or unix:/PATH)";
		rc = config_socket_postfix(text, 1, out);
		break;
	}
	if (out->host == NULL)
		out->host = xstrdup("");
	if (out->path == NULL)
		out->path = xstrdup("");
	return rc;
}

void
config_socket_release(struct config_socket *sock)
{
	free(sock->spec);
	free(sock->host);
	free(sock->path);
	memset(sock, 0, sizeof(*sock));
}

static int
config_redis_db_parse(const char *text, int *db)
{
	unsigned long long value;
	const char *end = config_digits(text, &value);

	if (end == NULL || *end != '\0' || value > 65535)
		return -1;
	*db = (int)value;
	return 0;
}

/* "[USER]:PASSWORD@" ending at at: the credentials of a Redis URL. */
static int
config_redis_credentials(const char *text, const char *at, struct config_redis_url *out,
                         const char **why)
{
	const char *colon = memchr(text, ':', (size_t)(at - text));

	if (colon == NULL || colon + 1 == at)
		return *why = "credentials must be USER:PASSWORD@ or :PASSWORD@", -1;
	out->username = xstrndup(text, (size_t)(colon - text));
	out->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
	return 0;
}

/* unix://[[USER]:PASSWORD@]/PATH[?db=N]: credentials end at the last '@' before the
 * path's first '/'. */
static int
config_redis_unix(const char *text, struct config_redis_url *out, const char **why)
{
	const char *query, *slash = strchr(text, '/'), *at;

	if (slash != NULL && slash != text) {
		at = memrchr(text, '@', (size_t)(slash - text));
		if (at == NULL || at + 1 != slash)
			return *why = "unix:// needs an absolute socket path", -1;
		if (config_redis_credentials(text, at, out, why) != 0)
			return -1;
		text = slash;
	}
	query = strchr(text, '?');
	out->kind = CONFIG_REDIS_UNIX;
	out->path = xstrndup(text, query != NULL ? (size_t)(query - text) : strlen(text));
	if (!config_unix_path_valid(out->path))
		return *why = "unix:// needs an absolute socket path", -1;
	if (query != NULL &&
	    (strncmp(query, "?db=", 4) != 0 || config_redis_db_parse(query + 4, &out->db) != 0))
		return *why = "the only query is ?db=N", -1;
	return 0;
}

/* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: the last '@' ends the credentials, so a
 * password may contain '@', ':' and '/'; nothing is percent-decoded. */
static int
config_redis_tcp(const char *text, struct config_redis_url *out, const char **why)
{
	const char *at = strrchr(text, '@'), *hostpart = at != NULL ? at + 1 : text;
	const char *slash = strchr(hostpart, '/');
	char *hostport;
	int rc;

	out->kind = CONFIG_REDIS_TCP;
	if (at != NULL && config_redis_credentials(text, at, out, why) != 0)
		return -1;
	hostport =
	    xstrndup(hostpart, slash != NULL ? (size_t)(slash - hostpart) : strlen(hostpart));
	rc = config_hostport_parse(hostport, 6379, &out->host, &out->port);
	free(hostport);
	if (rc != 0)
		return *why = "bad HOST[:PORT] in the Redis URL", -1;
	if (slash != NULL && slash[1] != '\0' && config_redis_db_parse(slash + 1, &out->db) != 0)
		return *why = "the database after \"/\" must be a number", -1;
	return 0;
}

/* HOST[:PORT][,HOST[:PORT]...], len bytes of text: the sentinels, in the order given. */
static int
config_redis_sentinel_hosts(const char *text, size_t len, struct config_redis_url *out,
                            const char **why)
{
	const char *item = text, *end = text + len;

	for (;;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma != NULL ? comma : end;
		struct config_redis_node *node = &out->sentinels[out->nsentinels];
		char *hostport;
		int rc;

		if (out->nsentinels == CONFIG_REDIS_SENTINELS_MAX)
			return *why = "at most 8 sentinels in a redis+sentinel:// URL", -1;
		hostport = xstrndup(item, (size_t)(item_end - item));
		rc = config_hostport_parse(hostport, CONFIG_REDIS_SENTINEL_PORT, &node->host,
		                           &node->port);
		out->nsentinels++; /* counted even when bad: release frees its host */
		free(hostport);
		if (rc != 0)
			return *why = "bad sentinel HOST[:PORT] in the Redis URL", -1;
		if (comma == NULL)
			return 0;
		item = comma + 1;
	}
}

/* MASTER[/DB], len bytes of text. */
static int
config_redis_sentinel_master(const char *text, size_t len, struct config_redis_url *out,
                             const char **why)
{
	const char *slash = memchr(text, '/', len);
	size_t name_len = slash != NULL ? (size_t)(slash - text) : len;
	char *db;
	int rc;

	if (name_len == 0 || name_len > CONFIG_REDIS_MASTER_NAME_MAX)
		return *why = "redis+sentinel:// needs /MASTER (1 to 64 characters) after the "
		              "sentinels",
		       -1;
	out->master_name = xstrndup(text, name_len);
	if (strspn(out->master_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                             "0123456789._-") != name_len)
		return *why = "the master name may hold letters, digits, '.', '_' and '-'", -1;
	if (slash == NULL || slash + 1 == text + len)
		return 0;
	db = xstrndup(slash + 1, (size_t)(text + len - slash - 1));
	rc = config_redis_db_parse(db, &out->db);
	free(db);
	return rc != 0 ? (*why = "the database after the master name must be a number", -1) : 0;
}

/*
 * redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB]
 * [?sentinel_password=PASSWORD]. The query is found first (the sentinel password runs
 * to the end of the URL), then the last '@' before it ends the data nodes' credentials,
 * so either password may contain '@', ':' and '/'; neither may contain the text
 * "?sentinel_password=".
 */
static int
config_redis_sentinel(const char *text, struct config_redis_url *out, const char **why)
{
	static const char query_name[] = "?sentinel_password=";
	const char *query = strstr(text, query_name);
	const char *end = query != NULL ? query : text + strlen(text);
	const char *at = memrchr(text, '@', (size_t)(end - text));
	const char *hosts = at != NULL ? at + 1 : text;
	const char *slash = memchr(hosts, '/', (size_t)(end - hosts));

	out->kind = CONFIG_REDIS_SENTINEL;
	if (query != NULL) {
		out->sentinel_password = xstrdup(query + sizeof(query_name) - 1);
		if (strlen(out->sentinel_password) < 3)
			return *why = "sentinel_password too short to be masked in logs", -1;
	}
	if (at != NULL && config_redis_credentials(text, at, out, why) != 0)
		return -1;
	if (slash == NULL)
		return *why = "redis+sentinel:// needs /MASTER after the sentinels", -1;
	if (config_redis_sentinel_hosts(hosts, (size_t)(slash - hosts), out, why) != 0)
		return -1;
	return config_redis_sentinel_master(slash + 1, (size_t)(end - slash - 1), out, why);
}

int
config_redis_url_parse(const char *text, struct config_redis_url *out, const char **why)
{
	int rc;

	memset(out, 0, sizeof(*out));
	out->text = xstrdup(text);
	if (strncmp(text, "unix://", 7) == 0)
		rc = config_redis_unix(text + 7, out, why);
	else if (strncmp(text, "redis://", 8) == 0)
		rc = config_redis_tcp(text + 8, out, why);
	else if (strncmp(text, "redis+sentinel://", 17) == 0)
		rc = config_redis_sentinel(text + 17, out, why);
	else
		rc = -1, *why = "a Redis URL starts with redis://, unix:// or redis+sentinel://";
	if (out->host == NULL)
		out->host = xstrdup("");
	if (out->path == NULL)
		out->path = xstrdup("");
	if (out->username == NULL)
		out->username = xstrdup("");
	if (out->password == NULL)
		out->password = xstrdup("");
	if (out->master_name == NULL)
		out->master_name = xstrdup("");
	if (out->sentinel_password == NULL)
		out->sentinel_password = xstrdup("");
	return rc;
}

void
config_redis_url_release(struct config_redis_url *url)
{
	if (url->text != NULL)
		explicit_bzero(url->text, strlen(url->text));
	free(url->text);
	free(url->host);
	free(url->path);
	free(url->username);
	if (url->password != NULL)
		explicit_bzero(url->password, strlen(url->password));
	free(url->password);
	for (size_t i = 0; i < url->nsentinels; i++)
		free(url->sentinels[i].host);
	free(url->master_name);
	if (url->sentinel_password != NULL)
		explicit_bzero(url->sentinel_password, strlen(url->sentinel_password));
	free(url->sentinel_password);
	memset(url, 0, sizeof(*url));
}

void
config_list_release(struct config_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* Split text on blanks into at most max tokens (copies the caller frees with
 * config_list_release()). Returns the number of tokens, or max + 1 when there are
 * more. */
static size_t
config_tokens(const char *text, struct config_list *tokens, size_t max)
{
	const char *p = text;

	memset(tokens, 0, sizeof(*tokens));
	tokens->items = xcalloc(max, sizeof(char *));
	for (;;) {
		size_t len;

		p += strspn(p, " \t");
		if (*p == '\0')
			return tokens->count;
		if (tokens->count == max)
			return max + 1;
		len = strcspn(p, " \t");
		tokens->items[tokens->count++] = xstrndup(p, len);
		p += len;
	}
}

/* An address, or with pattern_ok an "@domain" too, in canonical form. */
static int
config_address_canon(const char *text, int pattern_ok, char **out, const char **why)
{
	char canon[ADDR_MAX];
	enum addr_result rc =
	    pattern_ok ? addr_canon_pattern(text, strlen(text), canon, sizeof(canon), why)
	               : addr_canon(text, strlen(text), canon, sizeof(canon), why);

	if (rc == ADDR_NULL)
		*why = "the null sender \"<>\" is not an approved sender";
	if (rc != ADDR_OK)
		return -1;
	*out = xstrdup(canon);
	return 0;
}

static int
config_rewrite_pattern(const char *text, struct config_rewrite_rule *out, const char **why)
{
	if (out->source == CONFIG_REWRITE_CLIENT) {
		out->kind = CONFIG_PATTERN_CIDR;
		out->pattern = xstrdup(text);
		return config_cidr_parse(text, &out->cidr, why);
	}
	if (strcmp(text, "*") == 0) {
		out->kind = CONFIG_PATTERN_ANY;
		out->pattern = xstrdup(text);
		return 0;
	}
	if (out->source == CONFIG_REWRITE_SASL) {
		out->kind = CONFIG_PATTERN_LOGIN;
		out->pattern = xstrdup(text);
		return 0;
	}
	out->kind = addr_is_domain_pattern(text, strlen(text)) ? CONFIG_PATTERN_DOMAIN
	                                                       : CONFIG_PATTERN_ADDRESS;
	return config_address_canon(text, 1, &out->pattern, why);
}

int
config_rewrite_rule_parse(const char *text, struct config_rewrite_rule *out, const char **why)
{
	static const char *const sources[] = {"envelope", "header", "sasl", "client"};
	struct config_list tokens;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected SOURCE PATTERN SENDER";
	if (config_tokens(text, &tokens, 3) != 3)
		goto done;
	*why = "SOURCE must be envelope, header, sasl or client";
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (strcmp(tokens.items[0], sources[i]) != 0)
			continue;
		out->source = (enum config_rewrite_source)i;
		if (config_rewrite_pattern(tokens.items[1], out, why) != 0)
			goto done;
		if (addr_is_domain_pattern(tokens.items[2], strlen(tokens.items[2]))) {
			*why = "SENDER must be an address, not a domain";
			goto done;
		}
		rc = config_address_canon(tokens.items[2], 0, &out->sender, why);
		break;
	}
done:
	config_list_release(&tokens);
	return rc;
}

void
config_rewrite_rule_release(struct config_rewrite_rule *rule)
{
	free(rule->pattern);
	free(rule->sender);
	memset(rule, 0, sizeof(*rule));
}

static int
config_binding_subject(const char *text, struct config_binding *out, const char **why)
{
	if (strncmp(text, "sasl:", 5) == 0 && text[5] != '\0') {
		out->kind = CONFIG_BIND_SASL;
		out->login = xstrdup(text + 5);
		return 0;
	}
	out->login = xstrdup("");
	if (strncmp(text, "client:", 7) == 0) {
		out->kind = CONFIG_BIND_CLIENT;
		return config_cidr_parse(text + 7, &out->cidr, why);
	}
	*why = "expected sasl:LOGIN or client:NETWORK first";
	return -1;
}

#define CONFIG_BIND_SENDERS_MAX 64

int
config_binding_parse(const char *text, struct config_binding *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, CONFIG_BIND_SENDERS_MAX + 1);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected sasl:LOGIN or client:NETWORK and at least one SENDER";
	if (count < 2)
		goto done;
	*why = "too many senders on one line (64 at most)";
	if (count > CONFIG_BIND_SENDERS_MAX + 1)
		goto done;
	if (config_binding_subject(tokens.items[0], out, why) != 0)
		goto done;
	out->senders.items = xcalloc(count - 1, sizeof(char *));
	for (size_t i = 1; i < count; i++) {
		if (config_address_canon(tokens.items[i], 1, &out->senders.items[i - 1], why) != 0)
			goto done;
		out->senders.count++;
	}
	rc = 0;
done:
	config_list_release(&tokens);
	return rc;
}

void
config_binding_release(struct config_binding *binding)
{
	free(binding->login);
	config_list_release(&binding->senders);
	memset(binding, 0, sizeof(*binding));
}

int
config_url_check(const char *text, const char *schemes, int userinfo_ok, const char **why)
{
	const char *sep = strstr(text, "://"), *hostport, *at;
	char scheme[16], *host;
	unsigned port;
	int rc;

	*why = "not a URL (scheme://host[:port])";
	if (sep == NULL || (size_t)(sep - text) + 2 >= sizeof(scheme))
		return -1;
	snprintf(scheme, sizeof(scheme), "|%.*s|", (int)(sep - text), text);
	if (strstr(schemes, scheme) == NULL)
		return *why = "unsupported URL scheme", -1;
	at = strrchr(sep + 3, '@');
	if (at != NULL && !userinfo_ok)
		return *why = "no user:password@ allowed here", -1;
	if (at != NULL && memchr(sep + 3, ':', (size_t)(at - sep - 3)) == NULL)
		return *why = "credentials must be user:password@", -1;
	hostport = at != NULL ? at + 1 : sep + 3;
	if (strchr(hostport, '/') != NULL)
		return *why = "no path allowed: scheme://host[:port] only", -1;
	/* The default port is irrelevant here: only the syntax is checked. */
	rc = config_hostport_parse(hostport, 1, &host, &port);
	free(host);
	if (rc != 0)
		*why = "bad host[:port] in the URL";
	return rc;
}

int
config_rcpt_pattern_parse(const char *text, char *out, size_t outsize, const char **why)
{
	char canon[ADDR_MAX], domain[ADDR_MAX];
	int subdomains = strncmp(text, "*@*.", 4) == 0;
	const char *rest = text;

	*why = "not an address, @domain or *@*.domain";
	if (subdomains) {
		if ((size_t)snprintf(domain, sizeof(domain), "@%s", text + 4) >= sizeof(domain))
			return -1;
		rest = domain;
	}
	if (addr_canon_pattern(rest, strlen(rest), canon, sizeof(canon), why) != ADDR_OK)
		return -1;
	if (subdomains && canon[0] != '@') {
		*why = "*@*. must be followed by a domain";
		return -1;
	}
	if ((size_t)snprintf(out, outsize, "%s%s", subdomains ? "*@*." : "",
	                     subdomains ? canon + 1 : canon) >= outsize) {
		*why = "too long";
		return -1;
	}
	return 0;
}

/* SCOPE[:ID] of a limit line. */
static int
config_limit_subject(const char *text, struct config_limit *out, const char **why)
{
	static const char *const scopes[] = {"sasl", "sender", "client", "tenancy"};
	size_t len = strcspn(text, ":");
	const char *id = text[len] == ':' ? text + len + 1 : "";

	*why = "SCOPE must be sasl, sender, client or tenancy";
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (strlen(scopes[i]) != len || strncmp(text, scopes[i], len) != 0)
			continue;
		out->scope = (enum config_limit_scope)i;
		out->kind = CONFIG_PATTERN_ANY;
		if (*id == '\0') {
			out->id = xstrdup("");
			return 0;
		}
		switch (out->scope) {
		case CONFIG_LIMIT_SASL:
			out->kind = CONFIG_PATTERN_LOGIN;
			out->id = xstrdup(id);
			return strlen(id) > 255 ? (*why = "login too long", -1) : 0;
		case CONFIG_LIMIT_SENDER:
			out->kind = addr_is_domain_pattern(id, strlen(id)) ? CONFIG_PATTERN_DOMAIN
			                                                   : CONFIG_PATTERN_ADDRESS;
			return config_address_canon(id, 1, &out->id, why);
		case CONFIG_LIMIT_CLIENT:
			out->kind = CONFIG_PATTERN_CIDR;
			out->id = xstrdup(id);
			return config_cidr_parse(id, &out->cidr, why);
		case CONFIG_LIMIT_TENANCY:
			*why = "tenancy takes no :ID";
			return -1;
		}
	}
	return -1;
}

/* COUNT/WINDOW */
static int
config_limit_rate(const char *text, struct config_limit *out, const char **why)
{
	unsigned long long count;
	const char *slash = config_digits(text, &count);

	*why = "expected COUNT/WINDOW, e.g. 100/1m";
	if (slash == NULL || *slash != '/' || count == 0 || count > CONFIG_LIMIT_COUNT_MAX)
		return -1;
	out->count = (long)count;
	if (config_duration_parse(slash + 1, &out->window_ms, why) != 0)
		return -1;
	*why = "WINDOW must be whole seconds, from 1s to 1d";
	if (out->window_ms < 1000 || out->window_ms > 86400000 || out->window_ms % 1000 != 0)
		return -1;
	return 0;
}

/*
 * A 4xx or 5xx reply code and an enhanced status code of the same class; dsn NULL:
 * the class with default_detail (".7.1" gives "4.7.1" or "5.7.1").
 */
static int
config_reply_code(const char *code, const char *dsn, const char *default_detail,
                  char out_code[CONFIG_REPLY_CODE_SIZE], char out_dsn[CONFIG_REPLY_DSN_SIZE],
                  const char **why)
{
	unsigned a, b, c;
	char end;

	*why = "CODE must be a 4xx or 5xx reply code";
	if (strlen(code) != 3 || strspn(code, "0123456789") != 3 ||
	    (code[0] != '4' && code[0] != '5'))
		return -1;
	memcpy(out_code, code, 4);
	if (dsn == NULL) {
		snprintf(out_dsn, CONFIG_REPLY_DSN_SIZE, "%c%s", code[0], default_detail);
		return 0;
	}
	*why = "DSN must be an enhanced status code X.Y.Z of the same class as CODE";
	if (strlen(dsn) >= CONFIG_REPLY_DSN_SIZE || dsn[0] != code[0] ||
	    sscanf(dsn, "%u.%u.%u%c", &a, &b, &c, &end) != 3 || b > 999 || c > 999)
		return -1;
	memcpy(out_dsn, dsn, strlen(dsn) + 1);
	return 0;
}

/* [CODE [DSN]] of a limit: 451 4.7.1 unless configured. */
static int
config_limit_code(const struct config_list *tokens, struct config_limit *out, const char **why)
{
	return config_reply_code(tokens->count > 2 ? tokens->items[2] : "451",
	                         tokens->count > 3 ? tokens->items[3] : NULL, ".7.1", out->code,
	                         out->dsn, why);
}

int
config_suppressed_reply_parse(const char *text, struct config_reply *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, 3), len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected REASON CODE [DSN], e.g. SOFTBOUNCE 450 4.2.1";
	if (count < 2 || count > 3)
		goto done;
	len = strlen(tokens.items[0]);
	*why = "REASON must be an OCI suppression reason (HARDBOUNCE, COMPLAINT, MANUAL, "
	       "SOFTBOUNCE, UNSUBSCRIBE, UNKNOWN, ...) or *";
	if (len == 0 || len >= sizeof(out->reason) ||
	    (strcmp(tokens.items[0], "*") != 0 &&
	     strspn(tokens.items[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") !=
	         len))
		goto done;
	for (size_t i = 0; i <= len; i++)
		out->reason[i] = (char)toupper((unsigned char)tokens.items[0][i]);
	rc = config_reply_code(tokens.items[1], count > 2 ? tokens.items[2] : NULL, ".1.1",
	                       out->code, out->dsn, why);
done:
	config_list_release(&tokens);
	return rc;
}

int
config_limit_parse(const char *text, struct config_limit *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, 4);
	static const char *const names[] = {"sasl", "sender", "client", "tenancy"};
	char window[32];
	size_t size;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected SCOPE[:ID] COUNT/WINDOW [CODE [DSN]]";
	if (count < 2 || count > 4)
		goto done;
	if (config_limit_subject(tokens.items[0], out, why) != 0 ||
	    config_limit_rate(tokens.items[1], out, why) != 0 ||
	    config_limit_code(&tokens, out, why) != 0)
		goto done;
	snprintf(window, sizeof(window), "%s", strchr(tokens.items[1], '/') + 1);
	size = strlen(out->id) + sizeof(window) + 32;
	out->text = xmalloc(size);
	snprintf(out->text, size, "%s%s%s %ld/%s", names[out->scope], *out->id ? ":" : "", out->id,
	         out->count, window);
	rc = 0;
done:
	config_list_release(&tokens);
	return rc;
}

void
config_limit_release(struct config_limit *limit)
{
	free(limit->id);
	free(limit->text);
	memset(limit, 0, sizeof(*limit));
}
