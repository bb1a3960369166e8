/*
 * policyd.h - edg-policyd's parts: start-up (main.c) and the event loop (server.c)
 */
#ifndef EDG_POLICYD_H
#define EDG_POLICYD_H

#include "config.h"
#include "decide.h"
#include "guard.h"
#include "state.h"

/* What a request is judged by; replaced whole on reload. */
struct policyd_settings {
	struct edg_config *cfg;
	struct decide_policy policy;
};

/* Counters, served by metrics_listen (policyd/metrics.c). */
enum policyd_metric {
	PM_REQUESTS,
	PM_DUNNO,
	PM_REJECT,
	PM_TEMPFAIL,
	PM_WARN,
	PM_UNEXPECTED,
	PM_PROTOCOL_ERRORS,
	PM_CONNECTIONS,
	PM_CONNECTIONS_REFUSED,
	PM_CONNECTIONS_OPEN,
	PM_GUARD_NOT_ALLOWED,
	PM_GUARD_REDIRECTED,
	PM_GUARD_DEFERRED_SASL, /* in enum config_limit_scope order */
	PM_GUARD_DEFERRED_SENDER,
	PM_GUARD_DEFERRED_CLIENT,
	PM_GUARD_DEFERRED_TENANCY,
	PM_GUARD_ERRORS,
	PM_COUNT
};

void policyd_metrics_register(void);
void policyd_count(enum policyd_metric which, long long n);
void policyd_count_reason(enum verdict_reason reason);
long long policyd_counted(enum policyd_metric which);
void policyd_count_scope(enum config_limit_scope scope);

/* Rate limits through Redis (guard.c). */
struct policyd_guard;
struct policyd_guard *policyd_guard_new(const struct edg_config *cfg);
void policyd_guard_free(struct policyd_guard *g);
void policyd_guard_reconfigure(struct policyd_guard *g, const struct edg_config *cfg);
void policyd_guard_announce(const struct edg_config *cfg);
void policyd_guard_tick(struct policyd_guard *g, long long now_ms);
enum guard_outcome policyd_guard_count(void *arg, const struct guard_who *who,
                                       const struct config_limit **limit, const char **id);

struct policyd {
	struct policyd_settings *settings;
	struct metrics_server *metrics;
	struct state *state;
	struct policyd_guard *guard;
	int listen_fd;
	int signal_fd;
	int epoll_fd;
	int stop;
	const char *config_path;
};

int policyd_serve(struct policyd *pd);
void policyd_reload(struct policyd *pd);

#endif
