/*
 * redis_conn.h - Redis connections (hiredis) from a parsed [redis] url
 *
 * SYNOPSIS
 *	redisContext *redis_connect(const struct config_redis_url *url, long connect_ms,
 *	    long command_ms, char *err, size_t errsize);
 *	int redis_check_master(redisContext *ctx, char *err, size_t errsize);
 *	int redis_is_demotion(const redisReply *reply);
 *	void redis_peer(const redisContext *ctx, char *buf, size_t size);
 *	long redis_backoff(long *delay_ms, long min_ms, long max_ms);
 *
 * DESCRIPTION
 *	The URL syntax ("redis://[user:password@]host[:port][/db]",
 *	"unix://[user:password@]/path[?db=N]",
 *	"redis+sentinel://[user:password@]host[:port][,host[:port]...]/master[/db]
 *	[?sentinel_password=...]") is parsed by config_redis_url_parse() (config.h), the
 *	one parser of it.
 *
 *	redis_connect() connects within connect_ms, sets command_ms as the socket
 *	timeout for every later command, enables TCP keepalive, marks the socket
 *	close-on-exec, authenticates (AUTH user password for a Redis 6 ACL user, or the
 *	legacy AUTH password) and selects the database. For a sentinel URL it first asks
 *	each sentinel in turn (each within connect_ms and command_ms, with AUTH
 *	sentinel_password when set) for the master's address, connects there and
 *	accepts the node only when ROLE says "master"; every call resolves again (no
 *	cache), so reconnecting after an error follows a failover. It returns a ready
 *	context, or NULL with one line in err (never a password): a "try again" for the
 *	caller. The caller owns the context; after any error on it (ctx->err set, or a
 *	NULL reply) the context is dead: redisFree() it and connect again, never reuse
 *	it. redis_peer() writes where a context went ("host:port", "[v6]:port" or the
 *	socket path) into buf; REDIS_PEER_SIZE holds any of them.
 *
 *	redis_check_master() is 0 when the node behind ctx says "master" to ROLE, else
 *	-1 with the reason in err. redis_is_demotion() is non-zero for an error reply
 *	that means the node is not (or no longer) a usable master: READONLY (a demoted
 *	primary refusing a write) or MASTERDOWN; such a connection must be dropped and
 *	connect called again, not retried in place.
 *
 *	redis_backoff() returns the pause before the next connection attempt: a random
 *	value in [d/2, d] for the current delay d (*delay_ms, at least min_ms), then
 *	doubles *delay_ms up to max_ms. The randomness spreads a fleet's reconnections
 *	after a restart or a failover instead of having them arrive together; reset
 *	*delay_ms to min_ms after a success.
 *
 *	hiredis writes with write(2), so a Redis that goes away raises SIGPIPE:
 *	redis_connect() sets SIGPIPE to ignored unless the program installed a handler.
 */
#ifndef EDG_REDIS_CONN_H
#define EDG_REDIS_CONN_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "config.h"

#define REDIS_PEER_SIZE 300

redisContext *redis_connect(const struct config_redis_url *url, long connect_ms, long command_ms,
                            char *err, size_t errsize);
int redis_check_master(redisContext *ctx, char *err, size_t errsize);
int redis_is_demotion(const redisReply *reply);
void redis_peer(const redisContext *ctx, char *buf, size_t size);
long redis_backoff(long *delay_ms, long min_ms, long max_ms);

#endif
