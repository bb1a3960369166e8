/*
 * state_redis.h - the Redis state backend's insides (internal to lib/state_redis*.c)
 *
 * lib/state_redis.c is the backend the readers call (open, lookups, status,
 * close); lib/state_redis_follow.c is its follower thread (load, follow,
 * reconnect). struct state_redis is shared by the two: the view and its lock are
 * written by the thread and read by the lookups; the follower's own fields are
 * touched by the thread alone (and by state_redis_close() after joining it).
 *
 * state_redis_thread() is the follower (pthread start routine, arg: the struct
 * state_redis). state_redis_pending_clear() drops the changes of a batch not yet
 * committed.
 */
#ifndef EDG_STATE_REDIS_H
#define EDG_STATE_REDIS_H

#include <pthread.h>
#include <stdatomic.h>

#include "config.h"
#include "redis_conn.h"
#include "state.h"
#include "state_view.h"

#define STATE_SCHEMA           "v1"
#define STATE_SCAN_COUNT       "1000"
#define STATE_BLOCK_MS         500
#define STATE_CHECK_MS         10000 /* re-check generation and sequence while following */
#define STATE_PENDING_MAX      200000
#define STATE_BACKOFF_MIN_MS   100
#define STATE_BACKOFF_MAX_MS   5000
#define STATE_NOT_PUBLISHED_MS 500
#define STATE_DETAIL_RETRY_MS  1000 /* after a failed connection for an exact record */

struct state_change {
	int is_del;
	int is_sender; /* else a suppression; other kinds are not kept */
	char *key;
	struct suppression record;
};

struct state_redis {
	struct config_redis_url url;
	char *prefix; /* "<prefix>:v1" */
	long connect_ms, command_ms, backoff_min_ms;
	_Atomic long max_stale_ms;

	pthread_rwlock_t view_lock;
	struct state_view *view; /* NULL until the first load */
	_Atomic long long last_ok_ms;

	pthread_mutex_t mu; /* guards what follows, and the stop flag */
	pthread_cond_t cond;
	int stop, published, connected;
	unsigned long reconnects;
	char last_error[256];
	char master[REDIS_PEER_SIZE]; /* sentinel URLs: "host:port" of the master in use */

	/* Follower thread only. */
	pthread_t thread;
	redisContext *ctx;
	char last_id[64];
	unsigned long long sequence;
	struct state_change *pending;
	size_t npending, pending_cap;
	long long last_check_ms;

	pthread_mutex_t detail_mu;
	redisContext *detail_ctx;
	long long detail_retry_ms; /* no new detail connection before this (monotonic) */
};

void *state_redis_thread(void *arg);
void state_redis_pending_clear(struct state_redis *r);

#endif
