/*
 * policyd.h - edg-policyd's parts: start-up (main.c) and the event loop (server.c)
 */
#ifndef EDG_POLICYD_H
#define EDG_POLICYD_H

#include "config.h"
#include "decide.h"
#include "state.h"

/* What a request is judged by; replaced whole on reload. */
struct policyd_settings {
	struct edg_config *cfg;
	struct decide_policy policy;
};

struct policyd_counters {
	unsigned long long requests, refused, would_refuse, tempfail, unexpected, protocol_errors;
	unsigned long long connections, rejected_connections;
	unsigned long long by_reason[REASON_COUNT];
};

struct policyd {
	struct policyd_settings *settings;
	struct state *state;
	int listen_fd;
	int signal_fd;
	int epoll_fd;
	int stop;
	const char *config_path;
	struct policyd_counters counters;
};

int policyd_serve(struct policyd *pd);
void policyd_reload(struct policyd *pd);

#endif
