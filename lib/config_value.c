/*
 * config_value.c - pure parsers for the typed values of edg.conf: numbers, networks,
 * sockets, URLs
 *
 * SYNOPSIS
 *	See config.h: config_duration_parse(), config_size_parse(), config_bool_parse(),
 *	config_cidr_parse(), config_cidr_match(), config_socket_parse(),
 *	config_url_check() and their release functions. The Redis URL is parsed in
 *	config_redis_url.c, the rules (rewrite, bindings, guards, replies) in
 *	config_rule.c.
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
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config.h"
#include "config_parse.h"
#include "xalloc.h"

#define CONFIG_DURATION_MAX_MS (366LL * 24 * 3600 * 1000) /* one year */
#define CONFIG_HOST_MAX        255

/* Leading decimal digits of text into *value (at most 18 digits: no overflow). */
const char *
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
int
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

int
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
