/*
 * redis_conn.c - Redis connections: direct, or through Redis Sentinel (see redis_conn.h)
 *
 * DESCRIPTION
 *	A sentinel URL is resolved the way Redis' client guidelines for Sentinel ask:
 *	each sentinel in the URL's order is asked SENTINEL get-master-addr-by-name;
 *	the answer is connected to, authenticated, and must say "master" to ROLE (a
 *	sentinel that has not yet noticed a failover names the demoted node, which now
 *	says "slave"); else the next sentinel is asked. Nothing is cached: every call
 *	resolves again, so a caller that reconnects after an error follows a failover.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "redis_conn.h"
#include "timefmt.h"

#define REDIS_HOST_MAX 256

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

/* A connection (TCP when path is NULL) with the options every edg connection has. */
static redisContext *
redis_open(const char *host, unsigned port, const char *path, long connect_ms, long command_ms,
           char *err, size_t errsize)
{
	struct timeval ctv = {connect_ms / 1000, (connect_ms % 1000) * 1000};
	struct timeval tv = {command_ms / 1000, (command_ms % 1000) * 1000};
	struct sigaction old;
	redisContext *ctx;

	/* hiredis writes with write(2): Redis going away must not kill the process. */
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	ctx = path != NULL ? redisConnectUnixWithTimeout(path, ctv)
	                   : redisConnectWithTimeout(host, (int)port, ctv);
	if (ctx == NULL) {
		snprintf(err, errsize, "cannot allocate a Redis context");
		return NULL;
	}
	if (ctx->err) {
		if (path != NULL)
			snprintf(err, errsize, "connect to %s: %s", path, ctx->errstr);
		else
			snprintf(err, errsize, "connect to %s:%u: %s", host, port, ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	fcntl(ctx->fd, F_SETFD, FD_CLOEXEC);
	if (redisSetTimeout(ctx, tv) != REDIS_OK || (path == NULL && redisEnableKeepAlive(ctx))) {
		snprintf(err, errsize, "Redis socket set-up: %s", ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

/* AUTH [user] password, when there is a password. */
static int
redis_auth(redisContext *ctx, const char *username, const char *password, char *err, size_t errsize)
{
	if (password[0] == '\0')
		return 0;
	if (username[0] != '\0')
		return redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s %s", username,
		                           password);
	return redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s", password);
}

int
redis_check_master(redisContext *ctx, char *err, size_t errsize)
{
	redisReply *reply = redisCommand(ctx, "ROLE");
	int rc = -1;

	if (reply == NULL)
		snprintf(err, errsize, "ROLE: %s", ctx->errstr);
	else if (reply->type == REDIS_REPLY_ERROR)
		snprintf(err, errsize, "ROLE: %.200s", reply->str);
	else if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
	         reply->element[0]->type != REDIS_REPLY_STRING)
		snprintf(err, errsize, "ROLE: unexpected reply");
	else if (strcmp(reply->element[0]->str, "master") != 0)
		snprintf(err, errsize, "not a master (it says %.20s)", reply->element[0]->str);
	else
		rc = 0;
	if (reply != NULL)
		freeReplyObject(reply);
	return rc;
}

/* The master's address from one sentinel's answer [host, port]. */
static int
redis_sentinel_answer(const redisReply *reply, char *host, size_t hostsize, unsigned *port,
                      char *err, size_t errsize)
{
	char *end;
	unsigned long value;

	if (reply->type == REDIS_REPLY_NIL) {
		snprintf(err, errsize, "it does not know this master");
		return -1;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "%.200s", reply->str);
		return -1;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING || reply->element[0]->len == 0 ||
	    reply->element[0]->len >= hostsize) {
		snprintf(err, errsize, "unexpected reply to get-master-addr-by-name");
		return -1;
	}
	value = strtoul(reply->element[1]->str, &end, 10);
	if (*end != '\0' || value == 0 || value > 65535) {
		snprintf(err, errsize, "bad port in its answer");
		return -1;
	}
	memcpy(host, reply->element[0]->str, reply->element[0]->len + 1);
	*port = (unsigned)value;
	return 0;
}

/* Ask sentinel i where the master is: 0 with host and port. */
static int
redis_sentinel_ask(const struct config_redis_url *url, size_t i, long connect_ms, long command_ms,
                   char *host, size_t hostsize, unsigned *port, char *err, size_t errsize)
{
	const struct config_redis_node *node = &url->sentinels[i];
	redisContext *ctx =
	    redis_open(node->host, node->port, NULL, connect_ms, command_ms, err, errsize);
	redisReply *reply;
	char why[256];
	int rc = -1;

	if (ctx == NULL)
		return -1;
	if (redis_auth(ctx, "", url->sentinel_password, why, sizeof(why)) != 0) {
		snprintf(err, errsize, "sentinel %.64s:%u: %.150s", node->host, node->port, why);
	} else if ((reply = redisCommand(ctx, "SENTINEL get-master-addr-by-name %s",
	                                 url->master_name)) == NULL) {
		snprintf(err, errsize, "sentinel %.64s:%u: %.150s", node->host, node->port,
		         ctx->errstr);
	} else {
		if ((rc = redis_sentinel_answer(reply, host, hostsize, port, why, sizeof(why))) !=
		    0)
			snprintf(err, errsize, "sentinel %.64s:%u: %.150s", node->host, node->port,
			         why);
		freeReplyObject(reply);
	}
	redisFree(ctx);
	return rc;
}

/* Through the sentinels, in order, to a node that says it is the master. */
static redisContext *
redis_sentinel_connect(const struct config_redis_url *url, long connect_ms, long command_ms,
                       char *err, size_t errsize)
{
	char host[REDIS_HOST_MAX], why[256] = "no sentinel", reason[200];
	unsigned port;
	redisContext *ctx;

	for (size_t i = 0; i < url->nsentinels; i++) {
		if (redis_sentinel_ask(url, i, connect_ms, command_ms, host, sizeof(host), &port,
		                       why, sizeof(why)) != 0 ||
		    (ctx = redis_open(host, port, NULL, connect_ms, command_ms, why,
		                      sizeof(why))) == NULL)
			continue;
		if (redis_auth(ctx, url->username, url->password, reason, sizeof(reason)) == 0 &&
		    redis_check_master(ctx, reason, sizeof(reason)) == 0)
			return ctx;
		snprintf(why, sizeof(why), "%.64s:%u: %.150s", host, port, reason);
		redisFree(ctx);
	}
	snprintf(err, errsize, "no master \"%s\" found through %zu sentinel%s (last: %s)",
	         url->master_name, url->nsentinels, url->nsentinels == 1 ? "" : "s", why);
	return NULL;
}

redisContext *
redis_connect(const struct config_redis_url *url, long connect_ms, long command_ms, char *err,
              size_t errsize)
{
	redisContext *ctx;

	if (url->kind == CONFIG_REDIS_SENTINEL) {
		if ((ctx = redis_sentinel_connect(url, connect_ms, command_ms, err, errsize)) ==
		    NULL)
			return NULL;
	} else {
		ctx = redis_open(url->host, url->port,
		                 url->kind == CONFIG_REDIS_UNIX ? url->path : NULL, connect_ms,
		                 command_ms, err, errsize);
		if (ctx == NULL)
			return NULL;
		if (redis_auth(ctx, url->username, url->password, err, errsize) != 0)
			goto fail;
	}
	if (url->db != 0 && redis_setup_command(ctx, err, errsize, "SELECT", "SELECT %d", url->db))
		goto fail;
	return ctx;
fail:
	redisFree(ctx);
	return NULL;
}

int
redis_is_demotion(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	       (strncmp(reply->str, "READONLY", 8) == 0 ||
	        strncmp(reply->str, "MASTERDOWN", 10) == 0);
}

void
redis_peer(const redisContext *ctx, char *buf, size_t size)
{
	if (ctx->connection_type == REDIS_CONN_UNIX)
		snprintf(buf, size, "%s", ctx->unix_sock.path);
	else if (strchr(ctx->tcp.host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", ctx->tcp.host, ctx->tcp.port);
	else
		snprintf(buf, size, "%s:%d", ctx->tcp.host, ctx->tcp.port);
}

long
redis_backoff(long *delay_ms, long min_ms, long max_ms)
{
	uint32_t rnd = 0;
	long ms;

	if (*delay_ms < min_ms)
		*delay_ms = min_ms;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint32_t)timefmt_monotonic_ms() * 2654435761u;
	ms = *delay_ms / 2 + (long)(rnd % (uint32_t)(*delay_ms / 2 + 1)); /* [d/2, d] */
	*delay_ms = *delay_ms > max_ms / 2 ? max_ms : *delay_ms * 2;
	return ms;
}
