/*
 * guard_redis.c - rate-limit counters shared through Redis (see guard.h)
 *
 * One EVAL per recipient: the script reads every counter's usage over its sliding
 * window, refuses without counting when one is at its limit, otherwise counts the
 * recipient in each. Atomic, so two gateways cannot both let the last recipient
 * of a window through, and a deferred recipient costs nothing against the quota
 * (OCI counts what it is given). The clock is Redis's TIME, one for all gateways.
 *
 * A counter is a hash (docs/redis-schema.md): a field per slot ("<slot>": count),
 * "n" their sum, "lo" the lowest slot that may still hold a count, "id" the
 * identity (cut to GUARD_ID_SHOWN bytes, for edgctl status). Slots that left the
 * window are subtracted from "n" and deleted as the window passes over them, so a
 * check costs a few commands whatever the traffic, the hash holds at most
 * GUARD_SLOTS + 4 fields (a small listpack), and a key idle for a window is
 * dropped whole. The arithmetic is guard_slot()'s; the ACL a limiter needs is in
 * docs/redis-schema.md.
 *
 * The script is sent by its SHA1 (EVALSHA): 40 bytes instead of 1.6 KB per
 * recipient, and Redis does not hash the body again. A Redis that does not know it
 * (restarted, SCRIPT FLUSH, a new primary) answers NOSCRIPT, and that one recipient
 * sends it whole with EVAL, which caches it. A node that answers READONLY or
 * MASTERDOWN (a demoted primary) is dropped, so the next recipient asks the
 * sentinels for the new one.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "log.h"
#include "redis_conn.h"
#include "xalloc.h"

#define GUARD_ARGS 5 /* ARGV per key */

/* KEYS[i]: counter; ARGV[5i-4..5i]: slots, window (ms), limit, expiry (ms), id.
 * Returns {0 (counted) or the 1-based index of the counter at its limit, usage...}. */
static const char guard_script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local over, keep, out = 0, {}, {}\n"
    "for i = 1, #KEYS do\n"
    "  local k, a = KEYS[i], 5 * i - 5\n"
    "  local slots = tonumber(ARGV[a + 1])\n"
    "  local slot = math.floor(now * slots / tonumber(ARGV[a + 2]))\n"
    "  local oldest = slot - slots\n"
    "  local f = redis.call('HMGET', k, 'n', 'lo')\n"
    "  local n, lo, fresh, moved = tonumber(f[1]) or 0, tonumber(f[2]), false, false\n"
    "  if lo == nil or oldest - lo > slots then\n"
    "    if lo ~= nil then redis.call('DEL', k) end\n"
    "    n, lo, fresh = 0, oldest, true\n"
    "  end\n"
    "  while lo < oldest do\n"
    "    local field = string.format('%d', lo)\n"
    "    local v = tonumber(redis.call('HGET', k, field) or '0')\n"
    "    if v > 0 then n = n - v; redis.call('HDEL', k, field) end\n"
    "    lo, moved = lo + 1, true\n"
    "  end\n"
    "  keep[i] = {n, lo, math.max(slot, lo), fresh, moved}\n"
    "  out[i + 1] = n\n"
    "  if over == 0 and n >= tonumber(ARGV[a + 3]) then over = i end\n"
    "end\n"
    "out[1] = over\n"
    "for i = 1, #KEYS do\n"
    "  local k, a, s = KEYS[i], 5 * i - 5, keep[i]\n"
    "  local lo = string.format('%d', s[2])\n"
    "  if over == 0 then\n"
    "    redis.call('HINCRBY', k, string.format('%d', s[3]), 1)\n"
    "    redis.call('HSET', k, 'n', s[1] + 1, 'lo', lo)\n"
    "    if s[4] then redis.call('HSET', k, 'id', ARGV[a + 5]) end\n"
    "    redis.call('PEXPIRE', k, ARGV[a + 4])\n"
    "    out[i + 1] = s[1] + 1\n"
    "  elseif s[5] and not s[4] then\n"
    "    redis.call('HSET', k, 'n', s[1], 'lo', lo)\n"
    "  end\n"
    "end\n"
    "return out\n";

struct guard_redis {
	redisContext *ctx;
	long long retry_at_ms; /* no connection attempt before this */
	char sha[41];          /* of guard_script, lowercase hex */
};

struct guard_redis *
guard_redis_new(void)
{
	struct guard_redis *g = xcalloc(1, sizeof(struct guard_redis));
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_Digest(guard_script, sizeof(guard_script) - 1, md, &len, EVP_sha1(), NULL) != 1 ||
	    len != 20)
		fatalx("guard: cannot compute the script's SHA1");
	for (unsigned i = 0; i < len; i++)
		snprintf(g->sha + 2 * i, 3, "%02x", md[i]);
	return g;
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
guard_redis_reply(const redisReply *reply, size_t count, size_t *over, long long *usage, char *err,
                  size_t errsize)
{
	const redisReply *first;

	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "EVAL: %.200s", reply->str);
		return GUARD_ERROR;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != count + 1 ||
	    (first = reply->element[0])->type != REDIS_REPLY_INTEGER || first->integer < 0 ||
	    (unsigned long long)first->integer > count) {
		snprintf(err, errsize, "EVAL: unexpected reply");
		return GUARD_ERROR;
	}
	for (size_t i = 0; i < count; i++)
		usage[i] = reply->element[i + 1]->type == REDIS_REPLY_INTEGER
		               ? reply->element[i + 1]->integer
		               : -1;
	if (first->integer == 0)
		return GUARD_UNDER;
	*over = (size_t)first->integer - 1;
	return GUARD_OVER;
}

enum guard_outcome
guard_redis_count(struct guard_redis *g, const struct edg_config *cfg,
                  const struct guard_counter *counters, size_t count, long long now_ms,
                  size_t *over, long long *usage, char *err, size_t errsize)
{
	const char *argv[3 + (1 + GUARD_ARGS) * CONFIG_LIMITS_MAX];
	size_t argvlen[3 + (1 + GUARD_ARGS) * CONFIG_LIMITS_MAX];
	char numbers[CONFIG_LIMITS_MAX][4][24], nkeys[24];
	size_t argc = 0;
	redisReply *reply;
	enum guard_outcome outcome;

	if (count == 0)
		return GUARD_UNDER;
	if (count > CONFIG_LIMITS_MAX || guard_redis_ready(g, cfg, now_ms, err, errsize) != 0)
		return GUARD_ERROR;
	snprintf(nkeys, sizeof(nkeys), "%zu", count);
	argv[argc++] = "EVALSHA";
	argv[argc++] = g->sha;
	argv[argc++] = nkeys;
	for (size_t i = 0; i < count; i++)
		argv[argc++] = counters[i].key;
	for (size_t i = 0; i < count; i++) {
		snprintf(numbers[i][0], sizeof(numbers[i][0]), "%d", GUARD_SLOTS);
		snprintf(numbers[i][1], sizeof(numbers[i][1]), "%lld", counters[i].window_ms);
		snprintf(numbers[i][2], sizeof(numbers[i][2]), "%ld", counters[i].count);
		snprintf(numbers[i][3], sizeof(numbers[i][3]), "%lld", counters[i].ttl_ms);
		for (size_t j = 0; j < 4; j++)
			argv[argc++] = numbers[i][j];
		argv[argc++] = counters[i].id;
	}
	for (size_t i = 0; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	/* the identity kept in the hash is cut: it is for people, the key has its hash */
	for (size_t i = 0; i < count; i++)
		if (argvlen[3 + count + GUARD_ARGS * i + 4] > GUARD_ID_SHOWN)
			argvlen[3 + count + GUARD_ARGS * i + 4] = GUARD_ID_SHOWN;
	reply = redisCommandArgv(g->ctx, (int)argc, argv, argvlen);
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(reply);
		argv[0] = "EVAL";
		argv[1] = guard_script;
		argvlen[0] = 4;
		argvlen[1] = sizeof(guard_script) - 1;
		reply = redisCommandArgv(g->ctx, (int)argc, argv, argvlen);
	}
	if (reply == NULL) {
		snprintf(err, errsize, "Redis: %s", g->ctx->errstr);
		guard_redis_drop(g, now_ms);
		return GUARD_ERROR;
	}
	outcome = guard_redis_reply(reply, count, over, usage, err, errsize);
	if (redis_is_demotion(reply))
		guard_redis_drop(g, now_ms);
	freeReplyObject(reply);
	return outcome;
}

/* Redis's TIME reply in ms; -1 when it is not one. */
static long long
guard_redis_time(const redisReply *reply)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING)
		return -1;
	return strtoll(reply->element[0]->str, NULL, 10) * 1000 +
	       strtoll(reply->element[1]->str, NULL, 10) / 1000;
}

int
guard_redis_usage(struct guard_redis *g, const struct edg_config *cfg, const char *key,
                  long long window_ms, long long now_ms, struct guard_usage *out, char *err,
                  size_t errsize)
{
	redisReply *time = NULL, *fields = NULL;
	long long redis_ms;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (guard_redis_ready(g, cfg, now_ms, err, errsize) != 0)
		return -1;
	if (redisAppendCommand(g->ctx, "TIME") != REDIS_OK ||
	    redisAppendCommand(g->ctx, "HGETALL %s", key) != REDIS_OK ||
	    redisGetReply(g->ctx, (void **)&time) != REDIS_OK ||
	    redisGetReply(g->ctx, (void **)&fields) != REDIS_OK) {
		snprintf(err, errsize, "Redis: %s", g->ctx->errstr);
		guard_redis_drop(g, now_ms);
		goto done;
	}
	if ((redis_ms = guard_redis_time(time)) < 0 || fields->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errsize, "TIME, HGETALL: %.200s",
		         time->type == REDIS_REPLY_ERROR     ? time->str
		         : fields->type == REDIS_REPLY_ERROR ? fields->str
		                                             : "unexpected reply");
		if (redis_is_demotion(time) || redis_is_demotion(fields))
			guard_redis_drop(g, now_ms);
		goto done;
	}
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			guard_usage(out, fields->element[i]->str, fields->element[i + 1]->str,
			            redis_ms, window_ms);
	rc = 0;
done:
	if (time != NULL)
		freeReplyObject(time);
	if (fields != NULL)
		freeReplyObject(fields);
	return rc;
}
