/*
 * syncd.h - edg-syncd's parts: start-up and schedule (main.c), one pull applied to
 *	Redis (apply.c), the cycles (cycle.c); the audit trail is lib/audit.c (audit.h)
 */
#ifndef EDG_SYNCD_H
#define EDG_SYNCD_H

#include <stdio.h>

#include "audit.h"
#include "config.h"
#include "oci_api.h"
#include "state_writer.h"

struct syncd {
	struct edg_config *cfg;
	const char *config_path;
	struct oci_api *api;
	struct state_writer *writer;
	struct audit *audit;
	char owner[128]; /* this process's name on the lease */
	int dry_run;
	int progress;      /* a terminal watches: show long pulls advancing */
	volatile int stop; /* set by the signal handler: finish cleanly */
	int leader;
	long long lease_renewed_ms;
	long long cycle_started_ms;
	unsigned long long audit_written, audit_lost; /* lines, since start */
	struct metrics_server *metrics;
	char last_error[1600];
};

/* What a cycle did. */
struct syncd_result {
	int ok;
	size_t items, added, changed, removed;
	int rewrote; /* a whole new generation was published */
};

int syncd_lease(struct syncd *sd);
int syncd_full_sync(struct syncd *sd, struct syncd_result *res);
int syncd_senders_cycle(struct syncd *sd, struct syncd_result *res);
int syncd_suppressions_cycle(struct syncd *sd, int reconcile, struct syncd_result *res);
void syncd_status(struct syncd *sd, const char *what, const struct syncd_result *res);

/* metrics.c */
void syncd_metrics_register(void);
void syncd_metrics_cycle(const char *cycle, const struct syncd_result *res, long long duration_ms);
void syncd_metrics_leader(int leader);
void syncd_metrics_audit(size_t written, size_t lost);

#endif
