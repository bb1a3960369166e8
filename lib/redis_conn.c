/*
 * redis_conn.c - Redis URLs and connections (see redis_conn.h)
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn.h"

/* Percent-decode [in, in+len) into out (size bytes); -1 when it does not fit or is bad. */
static int
redis_url_decode(const char *in, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == '%') {
			if (i + 2 >= len || !isxdigit((unsigned char)in[i + 1]) ||
			    !isxdigit((unsigned char)in[i + 2]))
				return -1;
			char hex[3] = {in[i + 1], in[i + 2], '\0'};
			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (c == '\0' || n + 1 >= size)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

static int
redis_url_db(const char *s, int *db)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1000)
		return -1;
	*db = (int)v;
	return 0;
}

/* "user:password@" before the host part; *rest moves past it. */
static int
redis_url_userinfo(const char **rest, struct redis_endpoint *ep)
{
	const char *s = *rest, *at = strchr(s, '@'), *slash = strchr(s, '/'), *colon;

	if (at == NULL || (slash != NULL && slash < at))
		return 0;
	colon = memchr(s, ':', (size_t)(at - s));
	if (colon == NULL)
		return redis_url_decode(s, (size_t)(at - s), ep->password, sizeof(ep->password));
	if (redis_url_decode(s, (size_t)(colon - s), ep->user, sizeof(ep->user)) ||
	    redis_url_decode(colon + 1, (size_t)(at - colon - 1), ep->password,
	                     sizeof(ep->password)))
		return -1;
	*rest = at + 1;
	return 0;
}

static int
redis_url_hostport(const char *s, struct redis_endpoint *ep)
{
	const char *end = s + strcspn(s, "/"), *port = NULL;
	size_t hostlen;

	if (*s == '[') {
		const char *close = memchr(s, ']', (size_t)(end - s));

		if (close == NULL)
			return -1;
		hostlen = (size_t)(close - s - 1);
		s++;
		if (close + 1 < end && close[1] == ':')
			port = close + 2;
		else if (close + 1 != end)
			return -1;
	} else {
		const char *colon = memchr(s, ':', (size_t)(end - s));

		hostlen = (size_t)((colon ? colon : end) - s);
		port = colon ? colon + 1 : NULL;
	}
	if (hostlen == 0 || hostlen >= sizeof(ep->host))
		return -1;
	memcpy(ep->host, s, hostlen);
	ep->host[hostlen] = '\0';
	if (port != NULL) {
		char *stop;
		long v = strtol(port, &stop, 10);

		if (port == stop || stop != end || v < 1 || v > 65535)
			return -1;
		ep->port = (int)v;
	}
	if (*end == '/' && end[1] != '\0')
		return redis_url_db(end + 1, &ep->db);
	return 0;
}

static int
redis_url_unix(const char *rest, struct redis_endpoint *ep)
{
	const char *query = strchr(rest, '?');
	size_t len = query ? (size_t)(query - rest) : strlen(rest);

	if (len == 0 || rest[0] != '/' || len >= sizeof(ep->path))
		return -1;
	memcpy(ep->path, rest, len);
	ep->path[len] = '\0';
	if (query != NULL)
		return strncmp(query, "?db=", 4) == 0 ? redis_url_db(query + 4, &ep->db) : -1;
	return 0;
}

int
redis_endpoint_parse(const char *url, struct redis_endpoint *ep, char *err, size_t errsize)
{
	const char *rest;
	int rc;

	memset(ep, 0, sizeof(*ep));
	ep->port = 6379;
	if (strncmp(url, "redis://", 8) == 0) {
		rest = url + 8;
		rc = redis_url_userinfo(&rest, ep) || redis_url_hostport(rest, ep);
	} else if (strncmp(url, "unix://", 7) == 0) {
		rest = url + 7;
		ep->is_unix = 1;
		rc = redis_url_userinfo(&rest, ep) || redis_url_unix(rest, ep);
	} else {
		snprintf(err, errsize, "Redis URL must start with redis:// or unix://");
		return -1;
	}
	if (rc) {
		redis_endpoint_clear(ep);
		snprintf(err, errsize,
		         "bad Redis URL: expected redis://[user:password@]host[:port][/db] "
		         "or unix://[user:password@]/path[?db=N]");
		return -1;
	}
	return 0;
}

void
redis_endpoint_clear(struct redis_endpoint *ep)
{
	explicit_bzero(ep->password, sizeof(ep->password));
}

/* Run one set-up command; 0 when Redis did not answer with an error. */
static int
redis_setup_command(redisContext *ctx, char *err, size_t errsize, const char *what, const char *fmt,
                    ...)
{
	va_list ap;
	redisReply *reply;
	int rc = 0;

	va_start(ap, fmt);
	reply = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	if (reply == NULL) {
		snprintf(err, errsize, "%s: %s", what, ctx->errstr);
		return -1;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		/* Redis error texts never echo the password. */
		snprintf(err, errsize, "%s: %.200s", what, reply->str);
		rc = -1;
	}
	freeReplyObject(reply);
	return rc;
}

redisContext *
redis_connect(const struct redis_endpoint *ep, long connect_ms, long command_ms, char *err,
              size_t errsize)
{
	struct timeval ctv = {connect_ms / 1000, (connect_ms % 1000) * 1000};
	struct timeval tv = {command_ms / 1000, (command_ms % 1000) * 1000};
	redisContext *ctx = ep->is_unix ? redisConnectUnixWithTimeout(ep->path, ctv)
	                                : redisConnectWithTimeout(ep->host, ep->port, ctv);

	if (ctx == NULL) {
		snprintf(err, errsize, "cannot allocate a Redis context");
		return NULL;
	}
	if (ctx->err) {
		snprintf(err, errsize, "connect to %s: %s", ep->is_unix ? ep->path : ep->host,
		         ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	fcntl(ctx->fd, F_SETFD, FD_CLOEXEC);
	if (redisSetTimeout(ctx, tv) != REDIS_OK || (!ep->is_unix && redisEnableKeepAlive(ctx)))
		goto fail_ctx;
	if (ep->password[0] != '\0' &&
	    (ep->user[0] != '\0'
	         ? redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s %s", ep->user,
	                               ep->password)
	         : redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s", ep->password)))
		goto fail;
	if (ep->db != 0 && redis_setup_command(ctx, err, errsize, "SELECT", "SELECT %d", ep->db))
		goto fail;
	return ctx;
fail_ctx:
	snprintf(err, errsize, "Redis socket set-up: %s", ctx->errstr);
fail:
	redisFree(ctx);
	return NULL;
}
