/*
 * redis_conn.h - Redis URLs and connections (hiredis)
 *
 * SYNOPSIS
 *	int redis_endpoint_parse(const char *url, struct redis_endpoint *ep,
 *	    char *err, size_t errsize);
 *	redisContext *redis_connect(const struct redis_endpoint *ep, long connect_ms,
 *	    long command_ms, char *err, size_t errsize);
 *	void redis_endpoint_clear(struct redis_endpoint *ep);
 *
 * DESCRIPTION
 *	URLs: "redis://[user:password@]host[:port][/db]" (host may be "[IPv6]"; port 6379,
 *	db 0 by default) and "unix://[user:password@]/path[?db=N]". user and password
 *	are percent-decoded; a password alone ("redis://:pw@host") uses the legacy AUTH.
 *	redis_endpoint_parse() is pure: 0, or -1 with a reason in err (never the
 *	password).
 *
 *	redis_connect() connects within connect_ms, sets command_ms as the socket
 *	timeout for every later command, enables TCP keepalive, marks the socket
 *	close-on-exec, authenticates (AUTH user password, Redis 6 ACL) and selects the
 *	database. It returns a ready context, or NULL with a reason in err. The caller
 *	owns the context; after any error on it (ctx->err set, or a NULL reply) the
 *	context is dead: redisFree() it and connect again, never reuse it.
 *
 *	redis_endpoint_clear() wipes the password from memory.
 */
#ifndef EDG_REDIS_CONN_H
#define EDG_REDIS_CONN_H

#include <stddef.h>
#include <hiredis/hiredis.h>

struct redis_endpoint {
	int is_unix;
	char host[256];
	int port;
	char path[108];
	char user[128];
	char password[256];
	int db;
};

int redis_endpoint_parse(const char *url, struct redis_endpoint *ep, char *err, size_t errsize);
redisContext *redis_connect(const struct redis_endpoint *ep, long connect_ms, long command_ms,
                            char *err, size_t errsize);
void redis_endpoint_clear(struct redis_endpoint *ep);

#endif
