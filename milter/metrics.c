/*
 * metrics.c - edg-milter's counters (Prometheus, through lib/metrics.c)
 *
 *	edg_milter_decisions_total{stage="mail|rcpt|eom",verdict="pass|reject|tempfail|rewrite|warn"}
 *	edg_milter_reasons_total{reason=...}            by decide.c reason
 *	edg_milter_transport_lookups_total, edg_milter_transport_bounces_total  (socketmap)
 *
 * Counters are atomics: libmilter's threads bump them while the HTTP thread reads.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "milter.h"
#include "state_metrics.h"

#define MM_STAGES   3
#define MM_VERDICTS 5

static const char *const mm_stage[MM_STAGES] = {"mail", "rcpt", "eom"};
static const char *const mm_verdict[MM_VERDICTS] = {"pass", "reject", "tempfail", "rewrite",
                                                    "warn"};

static struct metric mm_decisions[MM_STAGES * MM_VERDICTS];
static char mm_decision_labels[MM_STAGES * MM_VERDICTS][64];
static struct metric mm_reasons[REASON_COUNT];
static char mm_reason_labels[REASON_COUNT][64];
static struct metric mm_transport[2] = {
    METRIC_COUNTER_INIT("edg_milter_transport_lookups_total",
                        "transport_maps (socketmap) lookups answered", NULL),
    METRIC_COUNTER_INIT("edg_milter_transport_bounces_total",
                        "suppressed recipients sent to error: by transport_maps", NULL),
};
static struct metrics_server *mm_server;

static void
mm_init(struct metric *m, const char *name, const char *help, const char *labels)
{
	m->name = name;
	m->help = help;
	m->type = METRIC_COUNTER;
	m->labels = labels;
}

void
milter_metrics_start(const struct edg_config *cfg)
{
	char err[256];

	for (int s = 0; s < MM_STAGES; s++) {
		for (int v = 0; v < MM_VERDICTS; v++) {
			char *label = mm_decision_labels[s * MM_VERDICTS + v];

			snprintf(label, 64, "stage=\"%s\",verdict=\"%s\"", mm_stage[s],
			         mm_verdict[v]);
			mm_init(&mm_decisions[s * MM_VERDICTS + v], "edg_milter_decisions_total",
			        "decisions by stage and verdict", label);
		}
	}
	for (int r = 0; r < REASON_COUNT; r++) {
		snprintf(mm_reason_labels[r], sizeof(mm_reason_labels[r]), "reason=\"%s\"",
		         decide_reason_name((enum verdict_reason)r));
		mm_init(&mm_reasons[r], "edg_milter_reasons_total", "decisions by reason",
		        mm_reason_labels[r]);
	}
	metrics_register(mm_decisions, MM_STAGES * MM_VERDICTS);
	metrics_register(mm_reasons, REASON_COUNT);
	metrics_register(mm_transport, 2);
	state_metrics_register(milter_state);
	if (cfg->milter.daemon.metrics_listen.kind != CONFIG_SOCKET_NONE &&
	    (mm_server = metrics_listen(&cfg->milter.daemon.metrics_listen, err, sizeof(err))) ==
	        NULL)
		fatalx("%s", err);
}

void
milter_metrics_stop(void)
{
	metrics_stop(mm_server);
	mm_server = NULL;
}

void
milter_count(const char *stage, const struct verdict *v)
{
	int s = strcmp(stage, "MAIL") == 0 ? 0 : strcmp(stage, "RCPT") == 0 ? 1 : 2;
	int w = v->would_refuse                 ? 4
	        : v->action == VERDICT_REJECT   ? 1
	        : v->action == VERDICT_TEMPFAIL ? 2
	        : v->action == VERDICT_REWRITE  ? 3
	                                        : 0;

	metrics_add(&mm_decisions[s * MM_VERDICTS + w], 1);
	if ((unsigned)v->reason < REASON_COUNT)
		metrics_add(&mm_reasons[v->reason], 1);
}

void
milter_count_transport(const struct verdict *v)
{
	metrics_add(&mm_transport[0], 1);
	if (v->action == VERDICT_REJECT)
		metrics_add(&mm_transport[1], 1);
}
