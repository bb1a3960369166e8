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
 *	(with the identity counted and when its window ends), one when it stops (its
 *	window ended: counts only grow within a window) with how many recipients it
 *	deferred; the same for Redis becoming unavailable to the limits and coming
 *	back. Each refusal is still logged by server.c like any other refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "policyd.h"
#include "timefmt.h"
#include "xalloc.h"

struct policyd_guard {
	struct guard_redis *redis;
	const struct edg_config *cfg; /* the settings in force */
	int failing;                  /* Redis unavailable to the limits */
	long long failed;             /* recipients decided without counting meanwhile */
	struct {
		int over;
		long long until_ms; /* end of the window that is full */
		long long deferred;
	} limit[CONFIG_LIMITS_MAX];
};

struct policyd_guard *
policyd_guard_new(const struct edg_config *cfg)
{
	struct policyd_guard *g = xcalloc(1, sizeof(*g));

	g->redis = guard_redis_new();
	g->cfg = cfg;
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
}

static void
policyd_guard_stopped(struct policyd_guard *g, size_t i)
{
	log_notice("guard: limit \"%s\" no longer refusing (its window ended): %lld recipients "
	           "deferred",
	           g->cfg->guard.limits.limits[i].text, g->limit[i].deferred);
	memset(&g->limit[i], 0, sizeof(g->limit[i]));
}

/* Once a second from the event loop: a full window that has ended is logged. */
void
policyd_guard_tick(struct policyd_guard *g, long long now_ms)
{
	for (size_t i = 0; i < g->cfg->guard.limits.count; i++)
		if (g->limit[i].over && now_ms >= g->limit[i].until_ms)
			policyd_guard_stopped(g, i);
}

static void
policyd_guard_over(struct policyd_guard *g, const struct guard_counter *c)
{
	const struct config_limit *limit = &g->cfg->guard.limits.limits[c->limit];
	char until[TIMEFMT_SIZE];

	policyd_count_scope(limit->scope);
	if (!g->limit[c->limit].over) {
		timefmt_rfc3339(c->window_end_ms, until, sizeof(until));
		log_warnx("guard: limit \"%s\" reached for %s: answering %s %s until %s",
		          limit->text, c->id, limit->code, limit->dsn, until);
		g->limit[c->limit].over = 1;
	}
	g->limit[c->limit].until_ms = c->window_end_ms;
	g->limit[c->limit].deferred++;
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
	long long now_ms = timefmt_now_ms();
	size_t n, over = 0;
	char err[256];
	enum guard_outcome outcome;

	n = guard_counters(&g->cfg->guard.limits, who, g->cfg->redis.prefix, now_ms, counters);
	if (n == 0)
		return GUARD_UNDER;
	outcome = guard_redis_count(g->redis, g->cfg, counters, n, now_ms, &over, err, sizeof(err));
	policyd_guard_error(g, outcome == GUARD_ERROR, err);
	if (outcome == GUARD_OVER) {
		policyd_guard_over(g, &counters[over]);
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
		log_info("guard: limit %s, then %s %s (on_limit_error = %s)",
		         limits->limits[i].text, limits->limits[i].code, limits->limits[i].dsn,
		         cfg->guard.on_limit_error == CONFIG_ON_LIMIT_ERROR_OPEN ? "open"
		                                                                 : "closed");
}
