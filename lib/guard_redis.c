/*
 * guard_redis.c - rate-limit counters shared through Redis (see guard.h)
 *
 * One EVAL per recipient: the script reads every counter, refuses without counting
 * when one is at its limit, otherwise increments them all and gives a new key its
 * expiry. Atomic, so two gateways cannot both let the last recipient of a window
 * through, and a deferred recipient costs nothing against the quota (OCI counts
 * what it is given). The ACL a limiter needs is in docs/redis-schema.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "redis_conn.h"
#include "xalloc.h"

/* KEYS[i]: counter; ARGV[2i-1]: its limit; ARGV[2i]: expiry of a new key (ms).
 * Returns 0 when counted, or the 1-based index of the counter at its limit. */
static const char guard_script[] = "for i = 1, #KEYS do\n"
                                   "  local n = tonumber(redis.call('GET', KEYS[i]) or '0')\n"
                                   "  if n >= tonumber(ARGV[2 * i - 1]) then return i end\n"
                                   "end\n"
                                   "for i = 1, #KEYS do\n"
                                   "  if redis.call('INCR', KEYS[i]) == 1 then\n"
                                   "    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])\n"
                                   "  end\n"
                                   "end\n"
                                   "return 0\n";

struct guard_redis {
	redisContext *ctx;
	long long retry_at_ms; /* no connection attempt before this */
};

struct guard_redis *
guard_redis_new(void)
{
	return xcalloc(1, sizeof(struct guard_redis));
}

void
guard_redis_free(struct guard_redis *g)
{
	if (g == NULL)
		return;
	if (g->ctx != NULL)
		redisFree(g->ctx);
	free(g);
}

static void
guard_redis_drop(struct guard_redis *g, long long now_ms)
{
	if (g->ctx != NULL)
		redisFree(g->ctx);
	g->ctx = NULL;
	g->retry_at_ms = now_ms + GUARD_RETRY_MS;
}

static int
guard_redis_ready(struct guard_redis *g, const struct edg_config *cfg, long long now_ms, char *err,
                  size_t errsize)
{
	if (g->ctx != NULL)
		return 0;
	if (now_ms < g->retry_at_ms) {
		snprintf(err, errsize, "Redis unavailable, next attempt in %lld ms",
		         g->retry_at_ms - now_ms);
		return -1;
	}
	g->ctx = redis_connect(&cfg->redis.url, (long)cfg->redis.connect_timeout_ms,
	                       (long)cfg->redis.command_timeout_ms, err, errsize);
	if (g->ctx == NULL) {
		g->retry_at_ms = now_ms + GUARD_RETRY_MS;
		return -1;
	}
	return 0;
}

/* The reply of the script: GUARD_UNDER, GUARD_OVER (*over set) or GUARD_ERROR. */
static enum guard_outcome
guard_redis_reply(const redisReply *reply, size_t count, size_t *over, char *err, size_t errsize)
{
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "EVAL: %.200s", reply->str);
		return GUARD_ERROR;
	}
	if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0 ||
	    (unsigned long long)reply->integer > count) {
		snprintf(err, errsize, "EVAL: unexpected reply");
		return GUARD_ERROR;
	}
	if (reply->integer == 0)
		return GUARD_UNDER;
	*over = (size_t)reply->integer - 1;
	return GUARD_OVER;
}

enum guard_outcome
guard_redis_count(struct guard_redis *g, const struct edg_config *cfg,
                  const struct guard_counter *counters, size_t count, long long now_ms,
                  size_t *over, char *err, size_t errsize)
{
	const char *argv[3 + 3 * CONFIG_LIMITS_MAX];
	char numbers[CONFIG_LIMITS_MAX][2][24], nkeys[24];
	size_t argc = 0;
	redisReply *reply;
	enum guard_outcome outcome;

	if (count == 0)
		return GUARD_UNDER;
	if (count > CONFIG_LIMITS_MAX || guard_redis_ready(g, cfg, now_ms, err, errsize) != 0)
		return GUARD_ERROR;
	snprintf(nkeys, sizeof(nkeys), "%zu", count);
	argv[argc++] = "EVAL";
	argv[argc++] = guard_script;
	argv[argc++] = nkeys;
	for (size_t i = 0; i < count; i++)
		argv[argc++] = counters[i].key;
	for (size_t i = 0; i < count; i++) {
		snprintf(numbers[i][0], sizeof(numbers[i][0]), "%ld", counters[i].count);
		snprintf(numbers[i][1], sizeof(numbers[i][1]), "%lld", counters[i].ttl_ms);
		argv[argc++] = numbers[i][0];
		argv[argc++] = numbers[i][1];
	}
	reply = redisCommandArgv(g->ctx, (int)argc, argv, NULL);
	if (reply == NULL) {
		snprintf(err, errsize, "Redis: %s", g->ctx->errstr);
		guard_redis_drop(g, now_ms);
		return GUARD_ERROR;
	}
	outcome = guard_redis_reply(reply, count, over, err, errsize);
	freeReplyObject(reply);
	return outcome;
}
