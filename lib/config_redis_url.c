/*
 * config_redis_url.c - the [redis] url of edg.conf: redis://, unix:// and
 * redis+sentinel:// (see config.h, config_redis_url_parse())
 *
 * DESCRIPTION
 *	Text in, value out, as the other value parsers (config_value.c): no I/O, no
 *	logging; the strings of struct config_redis_url are released by
 *	config_redis_url_release() (which wipes the passwords), also after a failed
 *	parse.
 *
 * DIAGNOSTICS
 *	0 on success; -1 with *why pointing to a static English reason.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_parse.h"
#include "xalloc.h"

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
