/*
 * state_metrics.h - the readers' view of the state as Prometheus gauges
 *
 * SYNOPSIS
 *	void state_metrics_register(struct state *st);
 *
 * DESCRIPTION
 *	Registers edg_state_* gauges (age of the view, Redis reachable, generation,
 *	senders, suppressions, view bytes, reconnects) and the collector that reads them
 *	from state_status() at each scrape. For edg-policyd and edg-milter; call once,
 *	after state_open(), before metrics_listen().
 */
#ifndef EDG_STATE_METRICS_H
#define EDG_STATE_METRICS_H

#include "state.h"

void state_metrics_register(struct state *st);

#endif
