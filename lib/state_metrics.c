/*
 * state_metrics.c - the readers' view of the state as Prometheus gauges
 *
 * See state_metrics.h. state_status() takes the view's read lock and a mutex: both
 * are safe from the HTTP thread.
 */
#include "metrics.h"
#include "state_metrics.h"

enum {
	SM_AGE,
	SM_CONNECTED,
	SM_LOADED,
	SM_GENERATION,
	SM_SENDERS,
	SM_SUPPRESSIONS,
	SM_BYTES,
	SM_RECONNECTS,
	SM_COUNT
};

static struct metric state_metrics[SM_COUNT] = {
    [SM_AGE] = METRIC_GAUGE_INIT("edg_state_age_seconds",
                                 "seconds since the view last agreed with Redis (-1: never)", NULL),
    [SM_CONNECTED] = METRIC_GAUGE_INIT("edg_state_redis_connected", "1 when Redis answers", NULL),
    [SM_LOADED] = METRIC_GAUGE_INIT("edg_state_loaded", "1 when a view is loaded", NULL),
    [SM_GENERATION] =
        METRIC_GAUGE_INIT("edg_state_generation", "published generation in the view", NULL),
    [SM_SENDERS] = METRIC_GAUGE_INIT("edg_state_senders", "approved senders in the view", NULL),
    [SM_SUPPRESSIONS] =
        METRIC_GAUGE_INIT("edg_state_suppressions", "suppressed addresses in the view", NULL),
    [SM_BYTES] = METRIC_GAUGE_INIT("edg_state_view_bytes", "memory of the view", NULL),
    [SM_RECONNECTS] = METRIC_COUNTER_INIT("edg_state_redis_connects_total",
                                          "connections made to Redis by the follower", NULL),
};

static void
state_metrics_collect(void *arg)
{
	struct state_status status;

	state_status(arg, &status);
	metrics_set(&state_metrics[SM_AGE], status.age_ms < 0 ? -1 : status.age_ms / 1000);
	metrics_set(&state_metrics[SM_CONNECTED], status.connected);
	metrics_set(&state_metrics[SM_LOADED], status.loaded);
	metrics_set(&state_metrics[SM_GENERATION], (long long)status.generation);
	metrics_set(&state_metrics[SM_SENDERS], (long long)status.senders);
	metrics_set(&state_metrics[SM_SUPPRESSIONS], (long long)status.suppressions);
	metrics_set(&state_metrics[SM_BYTES], (long long)status.view_bytes);
	metrics_set(&state_metrics[SM_RECONNECTS], (long long)status.reconnects);
}

void
state_metrics_register(struct state *st)
{
	metrics_register(state_metrics, SM_COUNT);
	metrics_set_collector(state_metrics_collect, st);
}
