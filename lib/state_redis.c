/*
 * state_redis.c - the Redis state backend: an in-process view that follows Redis
 *
 * DESCRIPTION
 *	Implements docs/redis-schema.md on the reader side. This file is what the
 *	readers call (open, lookups, status, close); the follower thread is in
 *	state_redis_follow.c. One follower thread per state owns a Redis connection
 *	and does all the work:
 *
 *	load	GET {p}:gen; remember the change stream's last entry; HSCAN the
 *		generation's senders and suppressions into a new view; replay the stream
 *		from the remembered entry up to its end; swap the new view in. A reader
 *		therefore never sees half a publication: the writer's batches end in a
 *		"commit" entry and are applied only whole.
 *	follow	XREAD BLOCK on {p}:log; apply each committed batch under the write lock.
 *		A gap in the entries' sequence numbers (the stream was trimmed past us,
 *		or Redis lost data), a "gen" entry, or a generation that changed under us
 *		means load again; the old view keeps answering meanwhile.
 *	fail	any error kills the connection (a hiredis context is never reused after
 *		an error); reconnect after a jittered, doubling delay (100 ms to 5 s), so
 *		a fleet of readers does not hammer a restarting Redis all at once.
 *		With a redis+sentinel:// URL every reconnection asks the sentinels again
 *		(redis_connect()), and the periodic check also asks the node for its
 *		ROLE: a reader left on a demoted primary moves to the new one.
 *
 *	Lookups never touch the network (except STATE_DETAIL): they take the read lock
 *	and answer from the view, or LOOKUP_TEMPFAIL when there is none or when it has
 *	not agreed with Redis for longer than max_stale.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "redis_conn.h"
#include "state_backend.h"
#include "state_redis.h"
#include "state_view.h"
#include "strset.h"
#include "suptab.h"
#include "timefmt.h"
#include "xalloc.h"

void *
state_redis_open(const struct state_options *opts, char *err, size_t errsize)
{
	struct state_redis *r = xcalloc(1, sizeof(*r));

	const char *why = "no state URL";

	if (opts->url == NULL || config_redis_url_parse(opts->url, &r->url, &why) != 0) {
		snprintf(err, errsize, "%s", why);
		config_redis_url_release(&r->url);
		free(r);
		return NULL;
	}
	log_secret_add(r->url.password);
	log_secret_add(r->url.sentinel_password);
	r->prefix = xasprintf("%s:" STATE_SCHEMA, opts->prefix ? opts->prefix : "edg");
	r->connect_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 1000;
	r->command_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms : 1000;
	atomic_store(&r->max_stale_ms, opts->max_stale_ms > 0 ? opts->max_stale_ms : 3600 * 1000L);
	r->backoff_min_ms =
	    opts->reconnect_min_ms > 0 ? opts->reconnect_min_ms : STATE_BACKOFF_MIN_MS;
	pthread_rwlock_init(&r->view_lock, NULL);
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->detail_mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	atomic_store(&r->last_ok_ms, 0);
	if (pthread_create(&r->thread, NULL, state_redis_thread, r) != 0)
		fatal("state: cannot start the follower thread");
	return r;
}

/* Lock the view for reading; NULL (unlocked) when there is none or it is too old. */
static struct state_view *
state_redis_view(struct state_redis *r)
{
	pthread_rwlock_rdlock(&r->view_lock);
	if (r->view == NULL ||
	    timefmt_monotonic_ms() - atomic_load(&r->last_ok_ms) > atomic_load(&r->max_stale_ms)) {
		pthread_rwlock_unlock(&r->view_lock);
		return NULL;
	}
	return r->view;
}

static enum lookup
state_redis_sender(void *impl, const char *key)
{
	struct state_redis *r = impl;
	struct state_view *view = state_redis_view(r);
	int found;

	if (view == NULL)
		return LOOKUP_TEMPFAIL;
	found = state_view_sender_has(view, key);
	pthread_rwlock_unlock(&r->view_lock);
	return found ? LOOKUP_FOUND : LOOKUP_NOTFOUND;
}

/*
 * The exact record from Redis: 1 found (out filled), 0 Redis says absent (the view
 * is behind, or a hash collision), -1 no answer (keep the view's).
 */
static int
state_redis_detail(struct state_redis *r, unsigned long long gen, const char *addr,
                   struct suppression *out)
{
	redisReply *reply = NULL;
	char err[256];
	int rc = -1;

	pthread_mutex_lock(&r->detail_mu);
	if (r->detail_ctx == NULL && timefmt_monotonic_ms() >= r->detail_retry_ms) {
		r->detail_ctx =
		    redis_connect(&r->url, r->connect_ms, r->command_ms, err, sizeof(err));
		if (r->detail_ctx == NULL)
			r->detail_retry_ms = timefmt_monotonic_ms() + STATE_DETAIL_RETRY_MS;
	}
	if (r->detail_ctx != NULL)
		reply = redisCommand(r->detail_ctx, "HGET %s:%llu:sup %s", r->prefix, gen, addr);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (r->detail_ctx != NULL)
			redisFree(r->detail_ctx);
		r->detail_ctx = NULL;
	} else if (reply->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (reply->type == REDIS_REPLY_STRING &&
	           state_record_parse(reply->str, reply->len, out) == 0) {
		rc = 1;
	}
	if (reply != NULL)
		freeReplyObject(reply);
	pthread_mutex_unlock(&r->detail_mu);
	return rc;
}

static enum lookup
state_redis_suppression(void *impl, const char *addr, struct suppression *out, int flags)
{
	struct state_redis *r = impl;
	struct state_view *view = state_redis_view(r);
	unsigned long long gen;
	struct suppression exact;
	int found;

	if (view == NULL)
		return LOOKUP_TEMPFAIL;
	found = state_view_suppression_get(view, addr, out);
	gen = view->generation;
	pthread_rwlock_unlock(&r->view_lock);
	if (!found)
		return LOOKUP_NOTFOUND;
	if (flags & STATE_DETAIL) {
		switch (state_redis_detail(r, gen, addr, &exact)) {
		case 1:
			*out = exact;
			break;
		case 0:
			return LOOKUP_NOTFOUND;
		default:
			break;
		}
	}
	return LOOKUP_FOUND;
}

static void
state_redis_status(void *impl, struct state_status *out)
{
	struct state_redis *r = impl;
	long long last_ok = atomic_load(&r->last_ok_ms);

	pthread_rwlock_rdlock(&r->view_lock);
	if (r->view != NULL) {
		out->loaded = 1;
		out->generation = r->view->generation;
		out->sequence = r->view->sequence;
		out->senders = strset_count(r->view->senders);
		out->suppressions = suptab_count(r->view->suppressions);
		out->view_bytes = state_view_bytes(r->view);
	}
	pthread_rwlock_unlock(&r->view_lock);
	out->age_ms = last_ok > 0 ? timefmt_monotonic_ms() - last_ok : -1;
	pthread_mutex_lock(&r->mu);
	out->published = r->published;
	out->connected = r->connected;
	out->reconnects = r->reconnects;
	snprintf(out->last_error, sizeof(out->last_error), "%s", r->last_error);
	pthread_mutex_unlock(&r->mu);
}

static int
state_redis_wait_ready(void *impl, long timeout_ms)
{
	struct state_redis *r = impl;
	long long deadline = timefmt_monotonic_ms() + timeout_ms;
	int ready;

	for (;;) {
		pthread_rwlock_rdlock(&r->view_lock);
		ready = r->view != NULL;
		pthread_rwlock_unlock(&r->view_lock);
		if (ready || timefmt_monotonic_ms() >= deadline)
			return ready ? 0 : -1;
		struct timespec pause = {0, 10 * 1000000};
		nanosleep(&pause, NULL);
	}
}

static void
state_redis_close(void *impl)
{
	struct state_redis *r = impl;

	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	if (r->ctx != NULL)
		redisFree(r->ctx);
	if (r->detail_ctx != NULL)
		redisFree(r->detail_ctx);
	state_redis_pending_clear(r);
	free(r->pending);
	state_view_free(r->view);
	config_redis_url_release(&r->url);
	pthread_rwlock_destroy(&r->view_lock);
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->detail_mu);
	pthread_cond_destroy(&r->cond);
	free(r->prefix);
	free(r);
}

static void
state_redis_set_max_stale(void *impl, long max_stale_ms)
{
	atomic_store(&((struct state_redis *)impl)->max_stale_ms, max_stale_ms);
}

const struct state_backend state_redis_backend = {
    .set_max_stale = state_redis_set_max_stale,
    .name = "redis",
    .sender = state_redis_sender,
    .suppression = state_redis_suppression,
    .status = state_redis_status,
    .wait_ready = state_redis_wait_ready,
    .close = state_redis_close,
};
