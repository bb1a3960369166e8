/*
 * state_backend.h - what a state backend provides (internal to lib/state*.c)
 *
 * The front (state.c) owns the three-way contract and the "@domain" rule; a backend
 * answers exact-key lookups. Each function returns a LOOKUP_* value.
 */
#ifndef EDG_STATE_BACKEND_H
#define EDG_STATE_BACKEND_H

#include "state.h"

struct state_backend {
	const char *name;
	enum lookup (*sender)(void *impl, const char *key);
	enum lookup (*suppression)(void *impl, const char *addr, struct suppression *out,
	                           int flags);
	void (*status)(void *impl, struct state_status *out);
	int (*wait_ready)(void *impl, long timeout_ms);
	void (*set_max_stale)(void *impl, long max_stale_ms);
	void (*close)(void *impl);
};

struct state {
	const struct state_backend *backend;
	void *impl;
};

void *state_redis_open(const struct state_options *opts, char *err, size_t errsize);
extern const struct state_backend state_redis_backend;

#endif
