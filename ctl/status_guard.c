/*
 * status_guard.c - edgctl status: the usage of each [guard] limit (see status_guard.h)
 *
 * Reads the counters edg-policyd keeps (docs/redis-schema.md, "Rate-limit
 * counters") and sums them with the limiter's own arithmetic (lib/guard.c); writes
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_out.h"
#include "ctl_state.h"
#include "guard.h"
#include "status_guard.h"
#include "xalloc.h"

struct status_guard_counter {
	char key[GUARD_KEY_MAX];
	struct guard_usage usage;
};

struct status_guard_limit {
	const struct config_limit *limit;
	struct status_guard_counter top[STATUS_GUARD_TOP]; /* busiest first */
	size_t ntop;
	long long keys, active, refusing; /* counters read, with usage, at COUNT */
	int scanned, truncated;
};

struct status_guard {
	const struct edg_config *cfg;
	long long now_ms; /* Redis's clock */
	char error[256];  /* "" unless a read failed */
	size_t count;
	struct status_guard_limit limits[];
};

static const char *const status_guard_scopes[] = {"sasl", "sender", "client", "tenancy"};

struct status_guard_read {
	struct guard_usage *usage;
	long long now_ms, window_ms;
};

static int
status_guard_field(const char *field, const char *value, void *arg)
{
	struct status_guard_read *r = arg;

	guard_usage(r->usage, field, value, r->now_ms, r->window_ms);
	return 0;
}

/* Redis's TIME in ms; -1 with the reason in err. */
static long long
status_guard_time(redisContext *c, char *err, size_t errsize)
{
	redisReply *reply = redisCommand(c, "TIME");
	long long ms = -1;

	if (reply == NULL) {
		snprintf(err, errsize, "Redis TIME: %s", c->errstr);
		return -1;
	}
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING &&
	    reply->element[1]->type == REDIS_REPLY_STRING)
		ms = strtoll(reply->element[0]->str, NULL, 10) * 1000 +
		     strtoll(reply->element[1]->str, NULL, 10) / 1000;
	else
		snprintf(err, errsize, "Redis TIME: %s",
		         reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
	freeReplyObject(reply);
	return ms;
}

/* One counter into the limit's busiest list (kept sorted, busiest first). */
static void
status_guard_rank(struct status_guard_limit *l, const char *key, const struct guard_usage *usage)
{
	size_t at = l->ntop;

	l->keys++;
	if (usage->count > 0)
		l->active++;
	if (usage->count >= l->limit->count)
		l->refusing++;
	while (at > 0 && l->top[at - 1].usage.count < usage->count)
		at--;
	if (at >= STATUS_GUARD_TOP)
		return;
	if (l->ntop == STATUS_GUARD_TOP)
		l->ntop--;
	memmove(&l->top[at + 1], &l->top[at], (l->ntop - at) * sizeof(l->top[0]));
	snprintf(l->top[at].key, sizeof(l->top[at].key), "%s", key);
	l->top[at].usage = *usage;
	l->ntop++;
}

/* A limit per identity shares its keys with the lines of its scope and window that name
 * an ID; "sender" counts addresses, not a sender:@DOMAIN, "client" addresses, not a
 * client:NETWORK. */
static int
status_guard_belongs(const struct config_limit *limit, const char *id)
{
	if (guard_limit_single(limit))
		return 1;
	if (limit->scope == CONFIG_LIMIT_SENDER)
		return id[0] != '@';
	if (limit->scope == CONFIG_LIMIT_CLIENT)
		return strchr(id, '/') == NULL;
	return 1;
}

static int
status_guard_read(struct status_guard *sg, struct status_guard_limit *l, redisContext *c,
                  const char *key)
{
	struct guard_usage usage = {0};
	struct status_guard_read r = {&usage, sg->now_ms, l->limit->window_ms};

	if (ctl_state_hgetall(c, key, status_guard_field, &r, sg->error, sizeof(sg->error)) != 0)
		return -1;
	if (l->limit->scope == CONFIG_LIMIT_TENANCY)
		snprintf(usage.id, sizeof(usage.id), "-");
	if (status_guard_belongs(l->limit, usage.id))
		status_guard_rank(l, key, &usage);
	return 0;
}

/* The keys of one SCAN reply into the limit; the next cursor, or -1. */
static long long
status_guard_scan_page(struct status_guard *sg, struct status_guard_limit *l, redisContext *c,
                       const char *cursor, const char *pattern)
{
	redisReply *reply = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
	long long next = -1;

	if (reply == NULL) {
		snprintf(sg->error, sizeof(sg->error), "Redis SCAN: %s", c->errstr);
		return -1;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_ARRAY) {
		snprintf(sg->error, sizeof(sg->error), "Redis SCAN: %s",
		         reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		freeReplyObject(reply);
		return -1;
	}
	next = strtoll(reply->element[0]->str, NULL, 10);
	for (size_t i = 0; i < reply->element[1]->elements && next >= 0; i++) {
		const redisReply *key = reply->element[1]->element[i];

		if (l->keys >= STATUS_GUARD_SCAN_MAX) {
			l->truncated = 1;
			next = 0;
		} else if (key->type == REDIS_REPLY_STRING &&
		           status_guard_read(sg, l, c, key->str) != 0)
			next = -1;
	}
	freeReplyObject(reply);
	return next;
}

/* Every counter of a limit per identity. */
static int
status_guard_scan(struct status_guard *sg, struct status_guard_limit *l, redisContext *c)
{
	char pattern[GUARD_KEY_MAX + 32], cursor[24] = "0";
	long long next;

	snprintf(pattern, sizeof(pattern), "%s:v1:rate:%s:????????????????:%lld",
	         sg->cfg->redis.prefix, status_guard_scopes[l->limit->scope],
	         (long long)(l->limit->window_ms / 1000));
	do {
		if ((next = status_guard_scan_page(sg, l, c, cursor, pattern)) < 0)
			return -1;
		snprintf(cursor, sizeof(cursor), "%lld", next);
	} while (next != 0);
	l->scanned = 1;
	return 0;
}

static int
status_guard_limit(struct status_guard *sg, struct status_guard_limit *l, redisContext *c,
                   int quick)
{
	char key[GUARD_KEY_MAX];

	if (guard_limit_key(l->limit, sg->cfg->redis.prefix, key, sizeof(key)) == 0)
		return status_guard_read(sg, l, c, key);
	return quick ? 0 : status_guard_scan(sg, l, c);
}

struct status_guard *
status_guard_collect(const struct edg_config *cfg, redisContext *c, int quick)
{
	const struct config_limit_list *limits = &cfg->guard.limits;
	struct status_guard *sg;

	if (limits->count == 0)
		return NULL;
	sg = xcalloc(1, sizeof(*sg) + limits->count * sizeof(sg->limits[0]));
	sg->cfg = cfg;
	sg->count = limits->count;
	for (size_t i = 0; i < limits->count; i++)
		sg->limits[i].limit = &limits->limits[i];
	if ((sg->now_ms = status_guard_time(c, sg->error, sizeof(sg->error))) < 0)
		return sg;
	for (size_t i = 0; i < sg->count; i++)
		if (status_guard_limit(sg, &sg->limits[i], c, quick) != 0)
			break;
	return sg;
}

static void
status_guard_print_counter(const struct status_guard *sg, const struct status_guard_limit *l,
                           const struct status_guard_counter *sc, const char *indent)
{
	const struct config_limit *limit = l->limit;
	char room[32];

	printf("%s%s%s%lld/%ld", indent, *indent ? sc->usage.id : "", *indent ? ": " : "",
	       sc->usage.count, limit->count);
	if (sc->usage.count >= limit->count) {
		ctl_out_age(sc->usage.next_release_ms - sg->now_ms, room, sizeof(room));
		printf(" REFUSING (%s %s), room again in %s", limit->code, limit->dsn, room);
	}
	printf("\n");
}

void
status_guard_print(const struct status_guard *sg)
{
	if (sg == NULL)
		return;
	printf("rate limits (sliding windows, usage now/COUNT):\n");
	for (size_t i = 0; i < sg->count; i++) {
		const struct status_guard_limit *l = &sg->limits[i];

		printf("  %s: ", l->limit->text);
		if (guard_limit_single(l->limit) && l->ntop == 1) {
			status_guard_print_counter(sg, l, &l->top[0], "");
			continue;
		}
		if (!l->scanned) {
			printf("%s\n",
			       *sg->error ? "not read" : "one counter each, not listed (--quick)");
			continue;
		}
		printf("%lld active counters, %lld refusing%s%s\n", l->active, l->refusing,
		       l->truncated ? " (stopped counting)" : "", l->ntop > 0 ? "; busiest:" : "");
		for (size_t j = 0; j < l->ntop && l->top[j].usage.count > 0; j++)
			status_guard_print_counter(sg, l, &l->top[j], "    ");
	}
	if (*sg->error)
		printf("  (rate limits not fully read: %s)\n", sg->error);
}

static json_t *
status_guard_json_counter(const struct status_guard *sg, const struct status_guard_limit *l,
                          const struct status_guard_counter *sc)
{
	const struct guard_usage *u = &sc->usage;

	return json_pack(
	    "{s:o, s:s, s:I, s:b, s:o}", "id", ctl_out_string(u->id), "key", sc->key, "usage",
	    (json_int_t)u->count, "refusing", u->count >= l->limit->count, "next_release_in_ms",
	    u->next_release_ms ? json_integer(u->next_release_ms - sg->now_ms) : json_null());
}

json_t *
status_guard_json(const struct status_guard *sg)
{
	json_t *out = json_array();

	if (sg == NULL)
		return json_pack("{s:o, s:o}", "error", json_null(), "limits", out);

	for (size_t i = 0; i < sg->count; i++) {
		const struct status_guard_limit *l = &sg->limits[i];
		const struct config_limit *limit = l->limit;
		json_t *counters = json_array(), *one;
		int single = guard_limit_single(limit);

		for (size_t j = 0; j < l->ntop; j++)
			if (single || l->top[j].usage.count > 0)
				json_array_append_new(counters,
				                      status_guard_json_counter(sg, l, &l->top[j]));
		one = json_pack(
		    "{s:s, s:s, s:o, s:I, s:I, s:s++, s:b, s:o, s:o, s:b}", "limit", limit->text,
		    "scope", status_guard_scopes[limit->scope], "id", ctl_out_string(limit->id),
		    "count", (json_int_t)limit->count, "window_seconds",
		    (json_int_t)(limit->window_ms / 1000), "reply", limit->code, " ", limit->dsn,
		    "refusing", l->refusing > 0, "usage",
		    single && l->ntop == 1 ? json_integer(l->top[0].usage.count) : json_null(),
		    "active_counters", single || l->scanned ? json_integer(l->active) : json_null(),
		    "truncated", l->truncated);
		json_object_set_new(one, "counters", counters);
		json_array_append_new(out, one);
	}
	return json_pack("{s:o, s:o}", "error", ctl_out_string(sg->error), "limits", out);
}

void
status_guard_free(struct status_guard *sg)
{
	free(sg);
}
