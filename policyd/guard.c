/*
 * guard.c - edg-policyd's side of the rate limits: count through Redis, log changes
 *
 * DESCRIPTION
 *	policyd_guard_count() is the policy_answer_guarded() callback: it picks the
 *	limits that apply (guard_counters()) and, only when one does, counts the
 *	recipient with one synchronous EVAL on policyd's own Redis connection (not the
 *	state follower's). The event loop waits for it at most [redis] command_timeout;
 *	a Redis that is down is tried once per GUARD_RETRY_MS, never per recipient.
 *
 *	Logging is by change, not per message: one line when a limit starts refusing
 *	(with the identity counted), one when it stops, with how many recipients it
 *	deferred meanwhile. A sliding window has no end to wait for: a limit stops
 *	refusing when the same counter counts a recipient again, or, when nobody asks,
 *	once nothing has been refused for a window and a slot (by then everything that
 *	filled it has left the window). The same for Redis becoming unavailable to the
 *	limits and coming back. Each refusal is still logged by server.c like any other
 *	refusal.
 *
 *	Metrics: for each limit of the start-up configuration that has one counter (a
 *	tenancy limit, or one with an ID), edg_policyd_guard_usage{limit="TEXT"} is its
 *	usage in the sliding window: as the last recipient this daemon checked against it
 *	found it, and read again from Redis every GUARD_GAUGE_REFRESH_MS (so an idle
 *	gateway's gauge falls as the window slides, and shows what the other gateways
 *	counted), and edg_policyd_guard_limit{limit="TEXT"} its COUNT. The metric registry is fixed
 *	once the HTTP thread runs: a reload keeps the gauges of limits whose text is
 *	unchanged, and a limit added by a reload has none until a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "policyd.h"
#include "timefmt.h"
#include "xalloc.h"

#define GUARD_LABEL_MAX        600
#define GUARD_GAUGE_REFRESH_MS 5000 /* the usage gauges read again from Redis */

struct policyd_guard {
	struct guard_redis *redis;
	const struct edg_config *cfg; /* the settings in force */
	int failing;                  /* Redis unavailable to the limits */
	long long failed;             /* recipients decided without counting meanwhile */
	long long gauges_read_ms;     /* when the usage gauges were last read from Redis */
	struct {
		int over;
		char key[GUARD_KEY_MAX]; /* the counter that is full */
		char id[GUARD_ID_MAX];
		long long refused_ms; /* the latest refusal */
		long long deferred;
		int gauge; /* index into the gauges, or -1 */
	} limit[CONFIG_LIMITS_MAX];
};

/* usage gauges first, then the limits' COUNTs: one name each, consecutive */
static struct metric policyd_guard_gauges[2 * CONFIG_LIMITS_MAX];
static char policyd_guard_labels[CONFIG_LIMITS_MAX][GUARD_LABEL_MAX];
static size_t policyd_guard_ngauges;

/* limit="TEXT" with " and \ escaped (a login may hold them). */
static void
policyd_guard_label(char *buf, size_t size, const char *text)
{
	size_t len = (size_t)snprintf(buf, size, "limit=\"");

	for (; *text != '\0' && len + 4 < size; text++) {
		if (*text == '"' || *text == '\\')
			buf[len++] = '\\';
		buf[len++] = *text;
	}
	snprintf(buf + len, size - len, "\"");
}

static void
policyd_guard_register(const struct config_limit_list *limits)
{
	for (size_t i = 0; i < limits->count; i++) {
		size_t n = policyd_guard_ngauges;

		if (!guard_limit_single(&limits->limits[i]))
			continue;
		policyd_guard_label(policyd_guard_labels[n], GUARD_LABEL_MAX,
		                    limits->limits[i].text);
		policyd_guard_gauges[n] = (struct metric)METRIC_GAUGE_INIT(
		    "edg_policyd_guard_usage",
		    "recipients in the sliding window of a limit with one counter, as last counted",
		    policyd_guard_labels[n]);
		policyd_guard_ngauges++;
	}
	for (size_t i = 0; i < policyd_guard_ngauges; i++) {
		policyd_guard_gauges[policyd_guard_ngauges + i] = (struct metric)METRIC_GAUGE_INIT(
		    "edg_policyd_guard_limit", "recipients a limit lets through per window",
		    policyd_guard_labels[i]);
	}
	if (policyd_guard_ngauges > 0)
		metrics_register(policyd_guard_gauges, 2 * policyd_guard_ngauges);
}

/* Which gauge shows each limit: the one labelled with its text, if any. */
static void
policyd_guard_map(struct policyd_guard *g)
{
	const struct config_limit_list *limits = &g->cfg->guard.limits;
	char label[GUARD_LABEL_MAX];

	for (size_t i = 0; i < limits->count; i++) {
		g->limit[i].gauge = -1;
		policyd_guard_label(label, sizeof(label), limits->limits[i].text);
		for (size_t j = 0; j < policyd_guard_ngauges; j++)
			if (strcmp(policyd_guard_labels[j], label) == 0) {
				g->limit[i].gauge = (int)j;
				metrics_set(&policyd_guard_gauges[policyd_guard_ngauges + j],
				            limits->limits[i].count);
			}
	}
}

struct policyd_guard *
policyd_guard_new(const struct edg_config *cfg)
{
	struct policyd_guard *g = xcalloc(1, sizeof(*g));
	static int registered;

	g->redis = guard_redis_new();
	g->cfg = cfg;
	if (!registered)
		policyd_guard_register(&cfg->guard.limits);
	registered = 1;
	policyd_guard_map(g);
	return g;
}

void
policyd_guard_free(struct policyd_guard *g)
{
	if (g == NULL)
		return;
	guard_redis_free(g->redis);
	free(g);
}

/* A reload may renumber the limits: forget what was over (the next refusal says so). */
void
policyd_guard_reconfigure(struct policyd_guard *g, const struct edg_config *cfg)
{
	g->cfg = cfg;
	memset(g->limit, 0, sizeof(g->limit));
	policyd_guard_map(g);
}

static void
policyd_guard_stopped(struct policyd_guard *g, size_t i, const char *why)
{
	log_notice("guard: limit \"%s\" no longer refusing %s (%s): %lld recipients deferred",
	           g->cfg->guard.limits.limits[i].text, g->limit[i].id, why, g->limit[i].deferred);
	g->limit[i].over = 0;
	g->limit[i].deferred = 0;
}

/* Once a second from the event loop: a limit that refused nothing for a window and a
 * slot holds nothing of what filled it. */
/*
 * The usage gauges from Redis: a few pipelined commands per limit with a gauge, on
 * the event loop (bounded by command_timeout). A failure is left to the counting
 * path to report: the gauges keep their last value.
 */
static void
policyd_guard_read_gauges(struct policyd_guard *g, long long now_ms)
{
	const struct config_limit_list *limits = &g->cfg->guard.limits;
	struct guard_usage usage;
	char key[GUARD_KEY_MAX], err[256];

	for (size_t i = 0; i < limits->count && !g->failing; i++) {
		if (g->limit[i].gauge < 0 ||
		    guard_limit_key(&limits->limits[i], g->cfg->redis.prefix, key, sizeof(key)) !=
		        0)
			continue;
		if (guard_redis_usage(g->redis, g->cfg, key, limits->limits[i].window_ms, now_ms,
		                      &usage, err, sizeof(err)) != 0)
			break;
		metrics_set(&policyd_guard_gauges[g->limit[i].gauge], usage.count);
	}
}

void
policyd_guard_tick(struct policyd_guard *g, long long now_ms)
{
	for (size_t i = 0; i < g->cfg->guard.limits.count; i++) {
		long long window_ms = g->cfg->guard.limits.limits[i].window_ms;

		if (g->limit[i].over &&
		    now_ms >= g->limit[i].refused_ms + window_ms + window_ms / GUARD_SLOTS + 1)
			policyd_guard_stopped(g, i, "nothing refused for a window");
	}
	if (now_ms - g->gauges_read_ms >= GUARD_GAUGE_REFRESH_MS) {
		g->gauges_read_ms = now_ms;
		policyd_guard_read_gauges(g, now_ms);
	}
}

static void
policyd_guard_over(struct policyd_guard *g, const struct guard_counter *c, long long now_ms)
{
	const struct config_limit *limit = &g->cfg->guard.limits.limits[c->limit];

	policyd_count_scope(limit->scope);
	if (!g->limit[c->limit].over || strcmp(g->limit[c->limit].key, c->key) != 0) {
		log_warnx("guard: limit \"%s\" reached for %s (%ld recipients in the sliding "
		          "window): answering %s %s",
		          limit->text, c->id, c->count, limit->code, limit->dsn);
		g->limit[c->limit].over = 1;
		snprintf(g->limit[c->limit].key, sizeof(g->limit[c->limit].key), "%s", c->key);
		snprintf(g->limit[c->limit].id, sizeof(g->limit[c->limit].id), "%s", c->id);
	}
	g->limit[c->limit].refused_ms = now_ms;
	g->limit[c->limit].deferred++;
}

/* After a counted recipient: a full counter that counts again is no longer full. */
static void
policyd_guard_counted(struct policyd_guard *g, const struct guard_counter *c)
{
	if (g->limit[c->limit].over && strcmp(g->limit[c->limit].key, c->key) == 0)
		policyd_guard_stopped(g, c->limit, "room again in its window");
}

static void
policyd_guard_error(struct policyd_guard *g, int failing, const char *err)
{
	if (failing && !g->failing)
		log_warnx("guard: rate limits unavailable (%s): %s", err,
		          g->cfg->guard.on_limit_error == CONFIG_ON_LIMIT_ERROR_OPEN
		              ? "recipients pass uncounted (on_limit_error = open)"
		              : "recipients deferred (on_limit_error = closed)");
	else if (!failing && g->failing)
		log_notice("guard: rate limits available again; %lld recipients were decided "
		           "without them",
		           g->failed);
	if (failing != g->failing)
		g->failed = 0;
	g->failing = failing;
	if (failing) {
		g->failed++;
		policyd_count(PM_GUARD_ERRORS, 1);
	}
}

enum guard_outcome
policyd_guard_count(void *arg, const struct guard_who *who, const struct config_limit **limit,
                    const char **id)
{
	static struct guard_counter counters[CONFIG_LIMITS_MAX];
	struct policyd_guard *g = arg;
	long long now_ms = timefmt_now_ms(), usage[CONFIG_LIMITS_MAX];
	size_t n, over = 0;
	char err[256];
	enum guard_outcome outcome;

	n = guard_counters(&g->cfg->guard.limits, who, g->cfg->redis.prefix, counters);
	if (n == 0)
		return GUARD_UNDER;
	outcome = guard_redis_count(g->redis, g->cfg, counters, n, now_ms, &over, usage, err,
	                            sizeof(err));
	policyd_guard_error(g, outcome == GUARD_ERROR, err);
	for (size_t i = 0; i < n && outcome != GUARD_ERROR; i++) {
		int gauge = g->limit[counters[i].limit].gauge;

		if (gauge >= 0 && usage[i] >= 0)
			metrics_set(&policyd_guard_gauges[gauge], usage[i]);
		if (outcome == GUARD_UNDER)
			policyd_guard_counted(g, &counters[i]);
	}
	if (outcome == GUARD_OVER) {
		policyd_guard_over(g, &counters[over], now_ms);
		*limit = &g->cfg->guard.limits.limits[counters[over].limit];
		*id = counters[over].id;
	}
	return outcome;
}

/* At start and after a reload: what the guards are. */
void
policyd_guard_announce(const struct edg_config *cfg)
{
	const struct config_limit_list *limits = &cfg->guard.limits;

	if (cfg->guard.allow_recipients.count > 0)
		log_info("guard: recipients limited to %zu allow-list entries; others %s%s%s",
		         cfg->guard.allow_recipients.count,
		         *cfg->guard.redirect_to ? "redirected to <" : "refused",
		         cfg->guard.redirect_to, *cfg->guard.redirect_to ? ">" : "");
	else if (*cfg->guard.redirect_to)
		log_warnx("guard: redirect_to is set but allow_recipients is empty: nothing is "
		          "redirected");
	for (size_t i = 0; i < limits->count; i++)
		log_info("guard: limit %s (sliding window), then %s %s (on_limit_error = %s)",
		         limits->limits[i].text, limits->limits[i].code, limits->limits[i].dsn,
		         cfg->guard.on_limit_error == CONFIG_ON_LIMIT_ERROR_OPEN ? "open"
		                                                                 : "closed");
}
