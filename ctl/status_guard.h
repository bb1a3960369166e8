/*
 * status_guard.h - edgctl status: the usage of each [guard] limit
 *
 * SYNOPSIS
 *	#include "status_guard.h"
 *
 *	struct status_guard *status_guard_collect(const struct edg_config *cfg,
 *	    redisContext *c, int quick);
 *	void status_guard_print(const struct status_guard *sg);
 *	json_t *status_guard_json(const struct status_guard *sg);
 *	void status_guard_free(struct status_guard *sg);
 *
 * DESCRIPTION
 *	For every configured limit: its counters' usage over the sliding window now (by
 *	Redis's clock, the one the limiter counts with), the limit, the window, and
 *	whether it refuses now (usage at COUNT). A tenancy limit or one with an ID has
 *	one counter, read with one HGETALL of its key (guard_limit_key()). A limit per
 *	login, sender or client has one counter per identity: they are found with
 *	SCAN MATCH PREFIX:v1:rate:SCOPE:<16 hex>:WINDOW (at most STATUS_GUARD_SCAN_MAX
 *	keys) and the STATUS_GUARD_TOP busiest are kept, with how many are active and
 *	how many refuse; quick skips the SCAN. The usage is guard_usage()'s sum.
 *
 *	status_guard_collect() returns NULL when no limit is configured; a Redis error
 *	(e.g. an ACL without TIME or SCAN) is kept and shown, not fatal to the status.
 *	status_guard_json() is {"error": null or the failed read, "limits": [one object
        per limit]} (an empty list without limits).
 *
 * OWNERSHIP
 *	c stays the caller's. The result is freed with status_guard_free().
 */
#ifndef EDG_STATUS_GUARD_H
#define EDG_STATUS_GUARD_H

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "config.h"

#define STATUS_GUARD_TOP      5
#define STATUS_GUARD_SCAN_MAX 100000

struct status_guard;

struct status_guard *status_guard_collect(const struct edg_config *cfg, redisContext *c, int quick);
void status_guard_print(const struct status_guard *sg);
json_t *status_guard_json(const struct status_guard *sg);
void status_guard_free(struct status_guard *sg);

#endif
