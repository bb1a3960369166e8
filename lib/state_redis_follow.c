/*
 * state_redis_follow.c - the Redis state backend's follower thread (see state_redis.c)
 *
 * DESCRIPTION
 *	One follower thread per state (started by state_redis_open() in
 *	state_redis.c) owns a Redis connection and does all the work:
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
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "redis_conn.h"
#include "state_redis.h"
#include "strset.h"
#include "suptab.h"
#include "timefmt.h"
#include "xalloc.h"

enum follow_result { FOLLOW_OK = 0, FOLLOW_ERROR = -1, FOLLOW_RELOAD = 1, FOLLOW_UNPUBLISHED = 2 };

static void
state_redis_error(struct state_redis *r, const char *what, const char *detail)
{
	pthread_mutex_lock(&r->mu);
	if (strncmp(r->last_error, what, strlen(what)) != 0 || r->connected)
		log_warnx("state: %s: %s", what, detail);
	snprintf(r->last_error, sizeof(r->last_error), "%s: %s", what, detail);
	r->connected = 0;
	pthread_mutex_unlock(&r->mu);
}

static int
state_redis_stopping(struct state_redis *r)
{
	int stop;

	pthread_mutex_lock(&r->mu);
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

/* Sleep up to ms, waking early when asked to stop. */
static void
state_redis_sleep(struct state_redis *r, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->mu);
	while (!r->stop && pthread_cond_timedwait(&r->cond, &r->mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&r->mu);
}

/* A command on the follower's connection; NULL (and the connection dropped) on error. */
static redisReply *
state_redis_command(struct state_redis *r, const char *fmt, ...)
{
	va_list ap;
	redisReply *reply;

	if (r->ctx == NULL)
		return NULL;
	va_start(ap, fmt);
	reply = redisvCommand(r->ctx, fmt, ap);
	va_end(ap);
	if (reply == NULL) {
		state_redis_error(r, "Redis", r->ctx->errstr);
		redisFree(r->ctx);
		r->ctx = NULL;
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		state_redis_error(r, "Redis", reply->str);
		freeReplyObject(reply);
		redisFree(r->ctx);
		r->ctx = NULL;
		return NULL;
	}
	return reply;
}

void
state_redis_pending_clear(struct state_redis *r)
{
	for (size_t i = 0; i < r->npending; i++)
		free(r->pending[i].key);
	r->npending = 0;
}

static void
state_redis_apply_change(struct state_view *view, const struct state_change *c)
{
	if (c->is_sender && c->is_del)
		state_view_sender_del(view, c->key);
	else if (c->is_sender)
		state_view_sender_put(view, c->key);
	else if (c->is_del)
		state_view_suppression_del(view, c->key);
	else
		state_view_suppression_put(view, c->key, c->record.reason, c->record.created_ms);
}

/* Apply the pending batch to view; lock when view is the live one. */
static void
state_redis_commit(struct state_redis *r, struct state_view *view, int live,
                   unsigned long long sequence)
{
	if (live)
		pthread_rwlock_wrlock(&r->view_lock);
	for (size_t i = 0; i < r->npending; i++)
		state_redis_apply_change(view, &r->pending[i]);
	view->sequence = sequence;
	if (live)
		pthread_rwlock_unlock(&r->view_lock);
	state_redis_pending_clear(r);
}

/* The value of field name in a stream entry's field array, or NULL. */
static const redisReply *
state_redis_field(const redisReply *fields, const char *name)
{
	for (size_t i = 0; i + 1 < fields->elements; i += 2)
		if (fields->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(fields->element[i]->str, name) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1];
	return NULL;
}

static int
state_redis_queue(struct state_redis *r, const redisReply *fields, int is_del)
{
	const redisReply *kind = state_redis_field(fields, "kind");
	const redisReply *key = state_redis_field(fields, "key");
	const redisReply *val = state_redis_field(fields, "val");
	struct state_change c = {.is_del = is_del};

	if (kind == NULL || key == NULL || key->len == 0 || key->len > 1024)
		return -1;
	if (strcmp(kind->str, "sender") == 0)
		c.is_sender = 1;
	else if (strcmp(kind->str, "sup") != 0)
		return 0; /* domains and future kinds: not needed for decisions */
	if (!c.is_sender && !is_del &&
	    (val == NULL || state_record_parse(val->str, val->len, &c.record) != 0))
		return -1;
	if (r->npending == STATE_PENDING_MAX)
		return -1;
	if (r->npending == r->pending_cap) {
		r->pending_cap = r->pending_cap ? r->pending_cap * 2 : 64;
		r->pending = xrealloc(r->pending, r->pending_cap * sizeof(*r->pending));
	}
	c.key = xstrndup(key->str, key->len);
	r->pending[r->npending++] = c;
	return 0;
}

/*
 * One stream entry [id, [field, value, ...]] applied to view. FOLLOW_RELOAD when the
 * entry does not follow the last one seen, is malformed, or starts a new generation.
 */
static enum follow_result
state_redis_entry(struct state_redis *r, const redisReply *entry, struct state_view *view, int live)
{
	const redisReply *fields, *seq, *op, *gen;
	unsigned long long n;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    entry->element[0]->type != REDIS_REPLY_STRING ||
	    entry->element[1]->type != REDIS_REPLY_ARRAY)
		return FOLLOW_RELOAD;
	fields = entry->element[1];
	snprintf(r->last_id, sizeof(r->last_id), "%s", entry->element[0]->str);
	if ((seq = state_redis_field(fields, "seq")) == NULL ||
	    (op = state_redis_field(fields, "op")) == NULL)
		return FOLLOW_RELOAD;
	n = strtoull(seq->str, NULL, 10);
	if (n != r->sequence + 1)
		return FOLLOW_RELOAD;
	r->sequence = n;
	if (strcmp(op->str, "set") == 0 || strcmp(op->str, "del") == 0)
		return state_redis_queue(r, fields, op->str[0] == 'd') ? FOLLOW_RELOAD : FOLLOW_OK;
	if (strcmp(op->str, "commit") == 0) {
		state_redis_commit(r, view, live, n);
		return FOLLOW_OK;
	}
	if (strcmp(op->str, "gen") == 0) {
		gen = state_redis_field(fields, "gen");
		if (gen == NULL || strtoull(gen->str, NULL, 10) != view->generation)
			return FOLLOW_RELOAD;
	}
	return FOLLOW_OK;
}

static enum follow_result
state_redis_entries(struct state_redis *r, const redisReply *entries, struct state_view *view,
                    int live)
{
	enum follow_result rc = FOLLOW_OK;

	for (size_t i = 0; i < entries->elements && rc == FOLLOW_OK; i++)
		rc = state_redis_entry(r, entries->element[i], view, live);
	return rc;
}

/* Where the stream ends now: its last entry's id and sequence number. */
static enum follow_result
state_redis_stream_tail(struct state_redis *r, char *id, size_t idsize,
                        unsigned long long *sequence)
{
	redisReply *reply = state_redis_command(r, "XREVRANGE %s:log + - COUNT 1", r->prefix);
	const redisReply *seq;

	if (reply == NULL)
		return FOLLOW_ERROR;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
		freeReplyObject(reply);
		snprintf(id, idsize, "0-0");
		if ((reply = state_redis_command(r, "GET %s:seq", r->prefix)) == NULL)
			return FOLLOW_ERROR;
		*sequence = reply->type == REDIS_REPLY_STRING ? strtoull(reply->str, NULL, 10) : 0;
		freeReplyObject(reply);
		return FOLLOW_OK;
	}
	const redisReply *entry = reply->element[0];
	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
	    (seq = state_redis_field(entry->element[1], "seq")) == NULL) {
		freeReplyObject(reply);
		return FOLLOW_RELOAD;
	}
	snprintf(id, idsize, "%s", entry->element[0]->str);
	*sequence = strtoull(seq->str, NULL, 10);
	freeReplyObject(reply);
	return FOLLOW_OK;
}

/* The published generation, 0 when nothing was ever published, -1 on error. */
static long long
state_redis_generation(struct state_redis *r)
{
	redisReply *reply = state_redis_command(r, "GET %s:gen", r->prefix);
	long long gen;

	if (reply == NULL)
		return -1;
	gen = reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : 0;
	freeReplyObject(reply);
	return gen < 0 ? 0 : gen;
}

static int
state_redis_scan_pairs(struct state_redis *r, const redisReply *pairs, struct state_view *view,
                       int senders)
{
	struct suppression record;

	for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
		const redisReply *field = pairs->element[i], *value = pairs->element[i + 1];

		if (field->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
			return -1;
		if (senders) {
			state_view_sender_put(view, field->str);
		} else if (state_record_parse(value->str, value->len, &record) == 0) {
			state_view_suppression_put(view, field->str, record.reason,
			                           record.created_ms);
		} else {
			log_warnx("state: ignoring malformed suppression record for %.200s",
			          field->str);
		}
	}
	return 0;
}

/* HSCAN one hash of generation gen into view. */
static enum follow_result
state_redis_scan(struct state_redis *r, unsigned long long gen, const char *kind,
                 struct state_view *view)
{
	char cursor[32] = "0";
	int senders = strcmp(kind, "senders") == 0;

	do {
		redisReply *reply = state_redis_command(
		    r, "HSCAN %s:%llu:%s %s COUNT " STATE_SCAN_COUNT, r->prefix, gen, kind, cursor);

		if (reply == NULL)
			return FOLLOW_ERROR;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		    reply->element[0]->type != REDIS_REPLY_STRING ||
		    reply->element[1]->type != REDIS_REPLY_ARRAY ||
		    state_redis_scan_pairs(r, reply->element[1], view, senders) != 0) {
			freeReplyObject(reply);
			return FOLLOW_RELOAD;
		}
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		freeReplyObject(reply);
		if (state_redis_stopping(r))
			return FOLLOW_ERROR;
	} while (strcmp(cursor, "0") != 0);
	return FOLLOW_OK;
}

/* Replay the stream from r->last_id to its end into view (not yet live). */
static enum follow_result
state_redis_replay(struct state_redis *r, struct state_view *view)
{
	for (;;) {
		redisReply *reply =
		    state_redis_command(r, "XRANGE %s:log (%s + COUNT 1000", r->prefix, r->last_id);
		enum follow_result rc;
		size_t n;

		if (reply == NULL)
			return FOLLOW_ERROR;
		if (reply->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(reply);
			return FOLLOW_RELOAD;
		}
		n = reply->elements;
		rc = state_redis_entries(r, reply, view, 0);
		freeReplyObject(reply);
		if (rc != FOLLOW_OK || n == 0)
			return rc;
	}
}

static size_t
state_redis_expected(struct state_redis *r, unsigned long long gen)
{
	redisReply *reply = state_redis_command(r, "HLEN %s:%llu:sup", r->prefix, gen);
	size_t n = 0;

	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0)
		n = (size_t)reply->integer;
	if (reply != NULL)
		freeReplyObject(reply);
	return n;
}

static void
state_redis_swap(struct state_redis *r, struct state_view *view)
{
	struct state_view *old;

	pthread_rwlock_wrlock(&r->view_lock);
	old = r->view;
	r->view = view;
	pthread_rwlock_unlock(&r->view_lock);
	atomic_store(&r->last_ok_ms, timefmt_monotonic_ms());
	state_view_free(old);
	pthread_mutex_lock(&r->mu);
	r->published = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
}

static enum follow_result
state_redis_load(struct state_redis *r)
{
	long long gen = state_redis_generation(r);
	struct state_view *view;
	enum follow_result rc;

	if (gen <= 0)
		return gen < 0 ? FOLLOW_ERROR : FOLLOW_UNPUBLISHED;
	rc = state_redis_stream_tail(r, r->last_id, sizeof(r->last_id), &r->sequence);
	if (rc != FOLLOW_OK)
		return rc;
	view = state_view_new(state_redis_expected(r, (unsigned long long)gen));
	view->generation = (unsigned long long)gen;
	view->sequence = r->sequence;
	state_redis_pending_clear(r);
	if ((rc = state_redis_scan(r, view->generation, "senders", view)) == FOLLOW_OK &&
	    (rc = state_redis_scan(r, view->generation, "sup", view)) == FOLLOW_OK)
		rc = state_redis_replay(r, view);
	if (rc == FOLLOW_OK && state_redis_generation(r) != gen)
		rc = FOLLOW_RELOAD;
	if (rc != FOLLOW_OK) {
		state_view_free(view);
		return rc;
	}
	state_redis_swap(r, view);
	log_info("state: loaded generation %lld: %zu senders, %zu suppressions", gen,
	         strset_count(view->senders), suptab_count(view->suppressions));
	return FOLLOW_OK;
}

/* While following: has the generation changed, or the stream gone back? */
static enum follow_result
state_redis_check(struct state_redis *r)
{
	long long gen = state_redis_generation(r);
	char id[64], why[160];
	unsigned long long seq;
	enum follow_result rc;

	if (gen < 0)
		return FOLLOW_ERROR;
	if (r->url.kind == CONFIG_REDIS_SENTINEL &&
	    redis_check_master(r->ctx, why, sizeof(why)) != 0) {
		state_redis_error(r, "Sentinel master", why);
		return FOLLOW_ERROR; /* ask the sentinels again */
	}
	if ((unsigned long long)gen != r->view->generation)
		return FOLLOW_RELOAD;
	if ((rc = state_redis_stream_tail(r, id, sizeof(id), &seq)) != FOLLOW_OK)
		return rc;
	return seq < r->sequence ? FOLLOW_RELOAD : FOLLOW_OK;
}

static enum follow_result
state_redis_follow(struct state_redis *r)
{
	redisReply *reply;
	enum follow_result rc = FOLLOW_OK;
	long long now = timefmt_monotonic_ms();

	if (now - r->last_check_ms >= STATE_CHECK_MS) {
		r->last_check_ms = now;
		if ((rc = state_redis_check(r)) != FOLLOW_OK)
			return rc;
	}
	reply = state_redis_command(r, "XREAD COUNT 1000 BLOCK %d STREAMS %s:log %s",
	                            STATE_BLOCK_MS, r->prefix, r->last_id);
	if (reply == NULL)
		return FOLLOW_ERROR;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
	    reply->element[0]->type == REDIS_REPLY_ARRAY && reply->element[0]->elements == 2)
		rc = state_redis_entries(r, reply->element[0]->element[1], r->view, 1);
	freeReplyObject(reply);
	if (rc == FOLLOW_OK)
		atomic_store(&r->last_ok_ms, timefmt_monotonic_ms());
	return rc;
}

static int
state_redis_connect(struct state_redis *r)
{
	char err[256];

	if ((r->ctx = redis_connect(&r->url, r->connect_ms, r->command_ms + STATE_BLOCK_MS, err,
	                            sizeof(err))) == NULL) {
		state_redis_error(r, "connect", err);
		return -1;
	}
	pthread_mutex_lock(&r->mu);
	if (r->last_error[0] != '\0')
		log_info("state: Redis reachable again");
	if (r->url.kind == CONFIG_REDIS_SENTINEL) {
		char peer[REDIS_PEER_SIZE];

		redis_peer(r->ctx, peer, sizeof(peer));
		if (strcmp(peer, r->master) != 0)
			log_info("state: Redis master \"%s\" is %s (from Sentinel)",
			         r->url.master_name, peer);
		memcpy(r->master, peer, sizeof(peer));
	}
	r->connected = 1;
	r->reconnects++;
	r->last_error[0] = '\0';
	pthread_mutex_unlock(&r->mu);
	return 0;
}

void *
state_redis_thread(void *arg)
{
	struct state_redis *r = arg;
	long delay_ms = r->backoff_min_ms;
	int need_load = 1;

	while (!state_redis_stopping(r)) {
		enum follow_result rc;

		if (r->ctx == NULL && state_redis_connect(r) != 0) {
			state_redis_sleep(
			    r, redis_backoff(&delay_ms, r->backoff_min_ms, STATE_BACKOFF_MAX_MS));
			continue;
		}
		rc = need_load ? state_redis_load(r) : state_redis_follow(r);
		if (rc == FOLLOW_OK) {
			need_load = 0;
			delay_ms = r->backoff_min_ms;
		} else if (rc == FOLLOW_RELOAD) {
			need_load = 1;
		} else if (rc == FOLLOW_UNPUBLISHED) {
			atomic_store(&r->last_ok_ms, timefmt_monotonic_ms());
			state_redis_sleep(r, STATE_NOT_PUBLISHED_MS);
		} else {
			need_load = 1; /* reconnected readers re-check everything */
			if (r->ctx != NULL) {
				redisFree(r->ctx);
				r->ctx = NULL;
			}
			state_redis_sleep(
			    r, redis_backoff(&delay_ms, r->backoff_min_ms, STATE_BACKOFF_MAX_MS));
		}
	}
	return NULL;
}
