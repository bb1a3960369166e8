/*
 * redis_conn.c - Redis connections (see redis_conn.h)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_conn.h"

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
redis_connect(const struct config_redis_url *url, long connect_ms, long command_ms, char *err,
              size_t errsize)
{
	struct timeval ctv = {connect_ms / 1000, (connect_ms % 1000) * 1000};
	struct timeval tv = {command_ms / 1000, (command_ms % 1000) * 1000};
	struct sigaction old;
	redisContext *ctx;

	/* hiredis writes with write(2): Redis going away must not kill the process. */
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	ctx = url->kind == CONFIG_REDIS_UNIX
	          ? redisConnectUnixWithTimeout(url->path, ctv)
	          : redisConnectWithTimeout(url->host, (int)url->port, ctv);

	if (ctx == NULL) {
		snprintf(err, errsize, "cannot allocate a Redis context");
		return NULL;
	}
	if (ctx->err) {
		snprintf(err, errsize, "connect to %s: %s",
		         url->kind == CONFIG_REDIS_UNIX ? url->path : url->host, ctx->errstr);
		redisFree(ctx);
		return NULL;
	}
	fcntl(ctx->fd, F_SETFD, FD_CLOEXEC);
	if (redisSetTimeout(ctx, tv) != REDIS_OK ||
	    (url->kind != CONFIG_REDIS_UNIX && redisEnableKeepAlive(ctx)))
		goto fail_ctx;
	if (url->password[0] != '\0' &&
	    (url->username[0] != '\0'
	         ? redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s %s", url->username,
	                               url->password)
	         : redis_setup_command(ctx, err, errsize, "AUTH", "AUTH %s", url->password)))
		goto fail;
	if (url->db != 0 && redis_setup_command(ctx, err, errsize, "SELECT", "SELECT %d", url->db))
		goto fail;
	return ctx;
fail_ctx:
	snprintf(err, errsize, "Redis socket set-up: %s", ctx->errstr);
fail:
	redisFree(ctx);
	return NULL;
}
