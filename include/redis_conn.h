/*
 * redis_conn.h - Redis connections (hiredis) from a parsed [redis] url
 *
 * SYNOPSIS
 *	redisContext *redis_connect(const struct config_redis_url *url, long connect_ms,
 *	    long command_ms, char *err, size_t errsize);
 *
 * DESCRIPTION
 *	The URL syntax ("redis://[user:password@]host[:port][/db]",
 *	"unix://[user:password@]/path[?db=N]") is parsed by config_redis_url_parse()
 *	(config.h), the one parser of it.
 *
 *	redis_connect() connects within connect_ms, sets command_ms as the socket
 *	timeout for every later command, enables TCP keepalive, marks the socket
 *	close-on-exec, authenticates (AUTH user password for a Redis 6 ACL user, or the
 *	legacy AUTH password) and selects the database. It returns a ready context, or
 *	NULL with a reason in err (never the password). The caller owns the context;
 *	after any error on it (ctx->err set, or a NULL reply) the context is dead:
 *	redisFree() it and connect again, never reuse it.
 *
 *	hiredis writes with write(2), so a Redis that goes away raises SIGPIPE:
 *	redis_connect() sets SIGPIPE to ignored unless the program installed a handler.
 */
#ifndef EDG_REDIS_CONN_H
#define EDG_REDIS_CONN_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "config.h"

redisContext *redis_connect(const struct config_redis_url *url, long connect_ms, long command_ms,
                            char *err, size_t errsize);

#endif
