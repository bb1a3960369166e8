/*
 * metrics.c - edg-syncd's counters and gauges (Prometheus, through lib/metrics.c)
 *
 *	edg_syncd_cycles_total{cycle=...,result="ok"|"failed"}
 *	edg_syncd_changes_total{op="added"|"changed"|"removed"}
 *	edg_syncd_listed_items                      items of the last successful cycle
 *	edg_syncd_last_success_timestamp_seconds    of any cycle
 *	edg_syncd_last_cycle_seconds                duration of the last cycle
 *	edg_syncd_leader                            1 when this process holds the lease
 *	edg_syncd_audit_lines_total{result="written"|"lost"}
 */
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "syncd.h"
#include "timefmt.h"

static const char *const syncd_cycles[] = {"full_sync", "senders", "suppressions", "reconcile"};
#define SYNCD_CYCLES (sizeof(syncd_cycles) / sizeof(syncd_cycles[0]))

static struct metric syncd_cycle_metrics[SYNCD_CYCLES * 2];
static char syncd_cycle_labels[SYNCD_CYCLES * 2][64];

enum {
	SM_ADDED,
	SM_CHANGED,
	SM_REMOVED,
	SM_ITEMS,
	SM_LAST_SUCCESS,
	SM_DURATION,
	SM_LEADER,
	SM_AUDIT_WRITTEN,
	SM_AUDIT_LOST,
	SM_N
};

static struct metric syncd_metrics[SM_N] = {
    [SM_ADDED] =
        METRIC_COUNTER_INIT("edg_syncd_changes_total", "changes published", "op=\"added\""),
    [SM_CHANGED] =
        METRIC_COUNTER_INIT("edg_syncd_changes_total", "changes published", "op=\"changed\""),
    [SM_REMOVED] =
        METRIC_COUNTER_INIT("edg_syncd_changes_total", "changes published", "op=\"removed\""),
    [SM_ITEMS] = METRIC_GAUGE_INIT("edg_syncd_listed_items",
                                   "items listed by the last successful cycle", NULL),
    [SM_LAST_SUCCESS] = METRIC_GAUGE_INIT("edg_syncd_last_success_timestamp_seconds",
                                          "when a cycle last succeeded (0: never)", NULL),
    [SM_DURATION] =
        METRIC_GAUGE_INIT("edg_syncd_last_cycle_seconds", "how long the last cycle took", NULL),
    [SM_LEADER] = METRIC_GAUGE_INIT("edg_syncd_leader",
                                    "1 when this process holds the lease and pulls", NULL),
    [SM_AUDIT_WRITTEN] = METRIC_COUNTER_INIT("edg_syncd_audit_lines_total", "audit lines by result",
                                             "result=\"written\""),
    [SM_AUDIT_LOST] = METRIC_COUNTER_INIT("edg_syncd_audit_lines_total", "audit lines by result",
                                          "result=\"lost\""),
};

void
syncd_metrics_register(void)
{
	for (size_t i = 0; i < SYNCD_CYCLES * 2; i++) {
		snprintf(syncd_cycle_labels[i], sizeof(syncd_cycle_labels[i]),
		         "cycle=\"%s\",result=\"%s\"", syncd_cycles[i / 2],
		         i % 2 ? "failed" : "ok");
		syncd_cycle_metrics[i].name = "edg_syncd_cycles_total";
		syncd_cycle_metrics[i].help = "sync cycles by kind and result";
		syncd_cycle_metrics[i].type = METRIC_COUNTER;
		syncd_cycle_metrics[i].labels = syncd_cycle_labels[i];
	}
	metrics_register(syncd_cycle_metrics, SYNCD_CYCLES * 2);
	metrics_register(syncd_metrics, SM_N);
}

void
syncd_metrics_cycle(const char *cycle, const struct syncd_result *res, long long duration_ms)
{
	for (size_t i = 0; i < SYNCD_CYCLES; i++)
		if (strcmp(syncd_cycles[i], cycle) == 0)
			metrics_add(&syncd_cycle_metrics[2 * i + !res->ok], 1);
	metrics_set(&syncd_metrics[SM_DURATION], duration_ms / 1000);
	if (!res->ok)
		return;
	metrics_add(&syncd_metrics[SM_ADDED], res->added);
	metrics_add(&syncd_metrics[SM_CHANGED], res->changed);
	metrics_add(&syncd_metrics[SM_REMOVED], res->removed);
	metrics_set(&syncd_metrics[SM_ITEMS], (long long)res->items);
	metrics_set(&syncd_metrics[SM_LAST_SUCCESS], timefmt_now_ms() / 1000);
}

void
syncd_metrics_audit(size_t written, size_t lost)
{
	metrics_add(&syncd_metrics[SM_AUDIT_WRITTEN], written);
	metrics_add(&syncd_metrics[SM_AUDIT_LOST], lost);
}

void
syncd_metrics_leader(int leader)
{
	metrics_set(&syncd_metrics[SM_LEADER], leader);
}
