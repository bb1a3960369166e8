/*
 * metrics.c - edg-policyd's counters (Prometheus, through lib/metrics.c)
 *
 *	edg_policyd_requests_total                  policy requests answered
 *	edg_policyd_replies_total{action=...}       DUNNO, REJECT (5xx), TEMPFAIL (4xx), WARN
 *	edg_policyd_decisions_total{reason=...}     by decide.c reason
 *	edg_policyd_unexpected_requests_total, edg_policyd_protocol_errors_total
 *	edg_policyd_connections_total, edg_policyd_connections_refused_total,
 *	edg_policyd_connections                     open now
 *	edg_policyd_guard_refused_total{guard="allow_recipients"}, edg_policyd_guard_
 *	redirected_total, edg_policyd_guard_deferred_total{scope=sasl|sender|client|
 *	tenancy} (refused by a limit; monitor mode counts would-be refusals too),
 *	edg_policyd_guard_errors_total              recipients the limits could not count
 */
#include <stdio.h>

#include "metrics.h"
#include "policyd.h"

static struct metric policyd_metrics[PM_COUNT] = {
    [PM_REQUESTS] =
        METRIC_COUNTER_INIT("edg_policyd_requests_total", "policy requests answered", NULL),
    [PM_DUNNO] =
        METRIC_COUNTER_INIT("edg_policyd_replies_total", "replies by action", "action=\"dunno\""),
    [PM_REJECT] =
        METRIC_COUNTER_INIT("edg_policyd_replies_total", "replies by action", "action=\"reject\""),
    [PM_TEMPFAIL] = METRIC_COUNTER_INIT("edg_policyd_replies_total", "replies by action",
                                        "action=\"tempfail\""),
    [PM_WARN] =
        METRIC_COUNTER_INIT("edg_policyd_replies_total", "replies by action", "action=\"warn\""),
    [PM_UNEXPECTED] = METRIC_COUNTER_INIT("edg_policyd_unexpected_requests_total",
                                          "requests edg does not judge (answered DUNNO)", NULL),
    [PM_PROTOCOL_ERRORS] = METRIC_COUNTER_INIT("edg_policyd_protocol_errors_total",
                                               "connections closed for malformed requests", NULL),
    [PM_CONNECTIONS] =
        METRIC_COUNTER_INIT("edg_policyd_connections_total", "connections accepted", NULL),
    [PM_CONNECTIONS_REFUSED] = METRIC_COUNTER_INIT("edg_policyd_connections_refused_total",
                                                   "connections closed over max_connections", NULL),
    [PM_CONNECTIONS_OPEN] = METRIC_GAUGE_INIT("edg_policyd_connections", "connections open", NULL),
    [PM_GUARD_NOT_ALLOWED] =
        METRIC_COUNTER_INIT("edg_policyd_guard_refused_total",
                            "recipients refused by the allow-list", "guard=\"allow_recipients\""),
    [PM_GUARD_REDIRECTED] = METRIC_COUNTER_INIT("edg_policyd_guard_redirected_total",
                                                "recipients off the allow-list redirected", NULL),
    [PM_GUARD_DEFERRED_SASL] = METRIC_COUNTER_INIT(
        "edg_policyd_guard_deferred_total", "recipients refused by a rate limit", "scope=\"sasl\""),
    [PM_GUARD_DEFERRED_SENDER] =
        METRIC_COUNTER_INIT("edg_policyd_guard_deferred_total",
                            "recipients refused by a rate limit", "scope=\"sender\""),
    [PM_GUARD_DEFERRED_CLIENT] =
        METRIC_COUNTER_INIT("edg_policyd_guard_deferred_total",
                            "recipients refused by a rate limit", "scope=\"client\""),
    [PM_GUARD_DEFERRED_TENANCY] =
        METRIC_COUNTER_INIT("edg_policyd_guard_deferred_total",
                            "recipients refused by a rate limit", "scope=\"tenancy\""),
    [PM_GUARD_ERRORS] =
        METRIC_COUNTER_INIT("edg_policyd_guard_errors_total",
                            "recipients decided without the rate limits (Redis unavailable)", NULL),
};

static struct metric policyd_reason_metrics[REASON_COUNT];
static char policyd_reason_labels[REASON_COUNT][64];

void
policyd_metrics_register(void)
{
	for (int r = 0; r < REASON_COUNT; r++) {
		snprintf(policyd_reason_labels[r], sizeof(policyd_reason_labels[r]),
		         "reason=\"%s\"", decide_reason_name((enum verdict_reason)r));
		policyd_reason_metrics[r].name = "edg_policyd_decisions_total";
		policyd_reason_metrics[r].help = "decisions by reason";
		policyd_reason_metrics[r].type = METRIC_COUNTER;
		policyd_reason_metrics[r].labels = policyd_reason_labels[r];
	}
	metrics_register(policyd_metrics, PM_COUNT);
	metrics_register(policyd_reason_metrics, REASON_COUNT);
}

void
policyd_count(enum policyd_metric which, long long n)
{
	atomic_fetch_add_explicit(&policyd_metrics[which].value, n, memory_order_relaxed);
}

void
policyd_count_reason(enum verdict_reason reason)
{
	if ((unsigned)reason < REASON_COUNT)
		metrics_add(&policyd_reason_metrics[reason], 1);
}

void
policyd_count_scope(enum config_limit_scope scope)
{
	if ((unsigned)scope <= CONFIG_LIMIT_TENANCY)
		policyd_count((enum policyd_metric)(PM_GUARD_DEFERRED_SASL + (int)scope), 1);
}

long long
policyd_counted(enum policyd_metric which)
{
	return atomic_load_explicit(&policyd_metrics[which].value, memory_order_relaxed);
}
