/*
 * state_writer.c - the writer's side of docs/redis-schema.md (see state_writer.h)
 *
 * Commands are built as argument vectors (never formatted strings: keys and values
 * may hold anything) and pipelined between MULTI and EXEC.
 *
 * A failed connection is not retried before a jittered, doubling delay (100 ms to
 * 5 s): callers in a loop do not hammer a Redis that is down, and a fleet does not
 * reconnect in step. A reply saying the node is no longer a master (READONLY: a
 * primary demoted by a failover) marks the connection; it is dropped before the
 * next command, whose connection asks the sentinels again (redis_connect()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis_conn.h"
#include "state_writer.h"
#include "timefmt.h"
#include "xalloc.h"

#define STATE_WRITER_RETRIES        5
#define STATE_WRITER_STREAM_MAX     "1000000"
#define STATE_WRITER_ARGS           (8 + 2 * STATE_WRITER_CHUNK)
#define STATE_WRITER_BACKOFF_MIN_MS 100
#define STATE_WRITER_BACKOFF_MAX_MS 5000

struct state_writer_change {
	enum state_kind kind;
	int is_del;
	char *key;
	char *value;
};

struct state_writer {
	struct config_redis_url url;
	char *prefix; /* "<prefix>:v1" */
	long connect_ms, command_ms;
	redisContext *ctx;
	int demoted;                  /* ctx answered READONLY or MASTERDOWN: drop it */
	long backoff_ms;              /* the next failed connection's delay */
	long long retry_at_ms;        /* no connection attempt before this (monotonic) */
	char connect_error[256];      /* why the last attempt failed */
	char master[REDIS_PEER_SIZE]; /* sentinel URLs: the master last connected to */

	struct state_writer_change *queue;
	size_t nqueue, queue_cap;

	long long old_gen, new_gen; /* between gen_begin and gen_publish/abort */
	const char *gen_argv[3][STATE_WRITER_ARGS];
	char *gen_owned[3][STATE_WRITER_ARGS];
	size_t gen_argc[3];
};

static const char *const state_writer_hash[] = {
    [STATE_KIND_SENDER] = "senders",
    [STATE_KIND_DOMAIN] = "domains",
    [STATE_KIND_SUPPRESSION] = "sup",
};
static const char *const state_writer_logkind[] = {
    [STATE_KIND_SENDER] = "sender",
    [STATE_KIND_DOMAIN] = "domain",
    [STATE_KIND_SUPPRESSION] = "sup",
};

struct state_writer *
state_writer_open(const struct config_redis_url *url, const char *prefix, long connect_ms,
                  long command_ms, char *err, size_t errsize)
{
	struct state_writer *w = xcalloc(1, sizeof(*w));
	const char *why;

	if (config_redis_url_parse(url->text, &w->url, &why) != 0) {
		snprintf(err, errsize, "%s", why);
		config_redis_url_release(&w->url);
		free(w);
		return NULL;
	}
	w->prefix = xasprintf("%s:v1", prefix);
	w->connect_ms = connect_ms;
	w->command_ms = command_ms;
	w->backoff_ms = STATE_WRITER_BACKOFF_MIN_MS;
	return w;
}

void
state_writer_close(struct state_writer *w)
{
	if (w == NULL)
		return;
	if (w->new_gen != 0)
		state_writer_gen_abort(w);
	state_writer_discard(w);
	free(w->queue);
	if (w->ctx != NULL)
		redisFree(w->ctx);
	config_redis_url_release(&w->url);
	free(w->prefix);
	free(w);
}

static void
state_writer_drop(struct state_writer *w)
{
	if (w->ctx != NULL)
		redisFree(w->ctx);
	w->ctx = NULL;
	w->demoted = 0;
}

/* A new connection went to peer: say so when a sentinel URL now leads elsewhere. */
static void
state_writer_connected(struct state_writer *w)
{
	char peer[REDIS_PEER_SIZE];

	w->backoff_ms = STATE_WRITER_BACKOFF_MIN_MS;
	w->retry_at_ms = 0;
	if (w->url.kind != CONFIG_REDIS_SENTINEL)
		return;
	redis_peer(w->ctx, peer, sizeof(peer));
	if (w->master[0] != '\0' && strcmp(peer, w->master) != 0)
		log_info("redis: master \"%s\" is now %s (from Sentinel; was %s)",
		         w->url.master_name, peer, w->master);
	memcpy(w->master, peer, sizeof(peer));
}

static int
state_writer_connect(struct state_writer *w, char *err, size_t errsize)
{
	long long now;

	if (w->ctx != NULL && w->demoted) {
		log_info("redis: the node is no longer a master: connecting again");
		state_writer_drop(w);
	}
	if (w->ctx != NULL)
		return 0;
	now = timefmt_monotonic_ms();
	if (now < w->retry_at_ms) {
		snprintf(err, errsize, "%.200s (next attempt in %lld ms)", w->connect_error,
		         w->retry_at_ms - now);
		return -1;
	}
	w->ctx = redis_connect(&w->url, w->connect_ms, w->command_ms, err, errsize);
	if (w->ctx == NULL) {
		snprintf(w->connect_error, sizeof(w->connect_error), "%s", err);
		w->retry_at_ms = now + redis_backoff(&w->backoff_ms, STATE_WRITER_BACKOFF_MIN_MS,
		                                     STATE_WRITER_BACKOFF_MAX_MS);
		return -1;
	}
	state_writer_connected(w);
	return 0;
}

long
state_writer_retry_ms(const struct state_writer *w)
{
	long long now = timefmt_monotonic_ms();

	return w->ctx == NULL && w->retry_at_ms > now ? (long)(w->retry_at_ms - now) : 0;
}

/* Read one pipelined reply; NULL (connection dropped, err set) on a transport error. */
static redisReply *
state_writer_reply(struct state_writer *w, char *err, size_t errsize)
{
	void *reply = NULL;

	if (redisGetReply(w->ctx, &reply) != REDIS_OK || reply == NULL) {
		snprintf(err, errsize, "Redis: %s",
		         w->ctx->errstr[0] ? w->ctx->errstr : "no reply");
		state_writer_drop(w);
		return NULL;
	}
	if (redis_is_demotion(reply))
		w->demoted = 1;
	return reply;
}

static void
state_writer_append(struct state_writer *w, int argc, const char **argv)
{
	redisAppendCommandArgv(w->ctx, argc, argv, NULL);
}

/* One command, waited for; the reply is the caller's (NULL: error in err). */
static redisReply *
state_writer_run(struct state_writer *w, char *err, size_t errsize, int argc, const char **argv)
{
	redisReply *reply;

	if (state_writer_connect(w, err, errsize) != 0)
		return NULL;
	state_writer_append(w, argc, argv);
	if ((reply = state_writer_reply(w, err, errsize)) == NULL)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "Redis %s: %.200s", argv[0], reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* An integer held in a string key; 0 when absent, -1 on error. */
static long long
state_writer_get_number(struct state_writer *w, const char *suffix, char *err, size_t errsize)
{
	char key[256];
	const char *argv[] = {"GET", key};
	redisReply *reply;
	long long n;

	snprintf(key, sizeof(key), "%s:%s", w->prefix, suffix);
	if ((reply = state_writer_run(w, err, errsize, 2, argv)) == NULL)
		return -1;
	n = reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : 0;
	freeReplyObject(reply);
	return n < 0 ? 0 : n;
}

long long
state_writer_generation(struct state_writer *w, char *err, size_t errsize)
{
	return state_writer_get_number(w, "gen", err, errsize);
}

static void
state_writer_queue(struct state_writer *w, enum state_kind kind, int is_del, const char *key,
                   const char *value)
{
	if (w->nqueue == w->queue_cap) {
		w->queue_cap = w->queue_cap ? w->queue_cap * 2 : 256;
		w->queue = xrealloc(w->queue, w->queue_cap * sizeof(*w->queue));
	}
	w->queue[w->nqueue].kind = kind;
	w->queue[w->nqueue].is_del = is_del;
	w->queue[w->nqueue].key = xstrdup(key);
	w->queue[w->nqueue].value = is_del ? NULL : xstrdup(value);
	w->nqueue++;
}

void
state_writer_set(struct state_writer *w, enum state_kind kind, const char *key, const char *value)
{
	state_writer_queue(w, kind, 0, key, value);
}

void
state_writer_del(struct state_writer *w, enum state_kind kind, const char *key)
{
	state_writer_queue(w, kind, 1, key, NULL);
}

size_t
state_writer_pending(const struct state_writer *w)
{
	return w->nqueue;
}

void
state_writer_discard(struct state_writer *w)
{
	for (size_t i = 0; i < w->nqueue; i++) {
		free(w->queue[i].key);
		free(w->queue[i].value);
	}
	w->nqueue = 0;
}

/* Queue (inside MULTI) the hash change and its log entry numbered seq. */
static void
state_writer_append_change(struct state_writer *w, long long gen,
                           const struct state_writer_change *c, long long seq)
{
	char hash[256], seqbuf[32];

	snprintf(hash, sizeof(hash), "%s:%lld:%s", w->prefix, gen, state_writer_hash[c->kind]);
	snprintf(seqbuf, sizeof(seqbuf), "%lld", seq);
	if (c->is_del) {
		const char *del[] = {"HDEL", hash, c->key};
		const char *log[] = {
		    "XADD", NULL, "MAXLEN", "~",    STATE_WRITER_STREAM_MAX,       "*",   "seq",
		    seqbuf, "op", "del",    "kind", state_writer_logkind[c->kind], "key", c->key};
		char stream[256];

		snprintf(stream, sizeof(stream), "%s:log", w->prefix);
		log[1] = stream;
		state_writer_append(w, 3, del);
		state_writer_append(w, 14, log);
	} else {
		const char *set[] = {"HSET", hash, c->key, c->value};
		const char *log[] = {
		    "XADD", NULL,    "MAXLEN", "~",    STATE_WRITER_STREAM_MAX,       "*",   "seq",
		    seqbuf, "op",    "set",    "kind", state_writer_logkind[c->kind], "key", c->key,
		    "val",  c->value};
		char stream[256];

		snprintf(stream, sizeof(stream), "%s:log", w->prefix);
		log[1] = stream;
		state_writer_append(w, 4, set);
		state_writer_append(w, 16, log);
	}
}

/* Queue a bare log entry: "commit", or "gen" with the generation's number. */
static void
state_writer_append_marker(struct state_writer *w, long long seq, const char *op, long long gen)
{
	char stream[256], seqbuf[32], genbuf[32];
	const char *log[] = {"XADD", stream, "MAXLEN", "~",  STATE_WRITER_STREAM_MAX,
	                     "*",    "seq",  seqbuf,   "op", op,
	                     "gen",  genbuf};

	snprintf(stream, sizeof(stream), "%s:log", w->prefix);
	snprintf(seqbuf, sizeof(seqbuf), "%lld", seq);
	snprintf(genbuf, sizeof(genbuf), "%lld", gen);
	state_writer_append(w, gen > 0 ? 12 : 10, log);
}

static void
state_writer_append_seq(struct state_writer *w, long long seq)
{
	char seqkey[256], seqbuf[32];
	const char *set[] = {"SET", seqkey, seqbuf};

	snprintf(seqkey, sizeof(seqkey), "%s:seq", w->prefix);
	snprintf(seqbuf, sizeof(seqbuf), "%lld", seq);
	state_writer_append(w, 3, set);
}

/* Read the replies of MULTI ... EXEC (count commands queued): 1 done, 0 raced, -1 error. */
static int
state_writer_exec_replies(struct state_writer *w, size_t count, char *err, size_t errsize)
{
	redisReply *reply;
	int rc = 1;

	for (size_t i = 0; i < count + 2; i++) {
		if ((reply = state_writer_reply(w, err, errsize)) == NULL)
			return -1;
		if (reply->type == REDIS_REPLY_ERROR) {
			snprintf(err, errsize, "Redis: %.200s", reply->str);
			rc = -1;
		} else if (i == count + 1 && reply->type == REDIS_REPLY_NIL && rc == 1) {
			rc = 0; /* EXEC aborted: a WATCHed key changed */
		}
		freeReplyObject(reply);
	}
	return rc;
}

/* WATCH seq and gen, then read both: the numbers this transaction builds on. */
static int
state_writer_watch(struct state_writer *w, long long *seq, long long *gen, char *err,
                   size_t errsize)
{
	char seqkey[256], genkey[256];
	const char *watch[] = {"WATCH", seqkey, genkey};
	redisReply *reply;

	snprintf(seqkey, sizeof(seqkey), "%s:seq", w->prefix);
	snprintf(genkey, sizeof(genkey), "%s:gen", w->prefix);
	if ((reply = state_writer_run(w, err, errsize, 3, watch)) == NULL)
		return -1;
	freeReplyObject(reply);
	if ((*seq = state_writer_get_number(w, "seq", err, errsize)) < 0 ||
	    (*gen = state_writer_get_number(w, "gen", err, errsize)) < 0)
		return -1;
	return 0;
}

/* One transaction: changes [first, first+count), with the commit entry when last. */
static int
state_writer_chunk(struct state_writer *w, size_t first, size_t count, int last, char *err,
                   size_t errsize)
{
	const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};

	for (int attempt = 0; attempt < STATE_WRITER_RETRIES; attempt++) {
		long long seq, gen;
		int rc;

		if (state_writer_watch(w, &seq, &gen, err, errsize) != 0)
			return -1;
		if (gen == 0) {
			snprintf(err, errsize, "no generation published yet: a full sync first");
			return -1;
		}
		state_writer_append(w, 1, multi);
		for (size_t i = 0; i < count; i++)
			state_writer_append_change(w, gen, &w->queue[first + i], ++seq);
		if (last)
			state_writer_append_marker(w, ++seq, "commit", 0);
		state_writer_append_seq(w, seq);
		state_writer_append(w, 1, exec);
		rc = state_writer_exec_replies(w, 2 * count + 1 + (size_t)last, err, errsize);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	snprintf(err, errsize, "another writer kept changing the state: giving up");
	return -1;
}

int
state_writer_commit(struct state_writer *w, char *err, size_t errsize)
{
	for (size_t first = 0; first < w->nqueue; first += STATE_WRITER_CHUNK) {
		size_t count =
		    w->nqueue - first < STATE_WRITER_CHUNK ? w->nqueue - first : STATE_WRITER_CHUNK;

		if (state_writer_chunk(w, first, count, first + count == w->nqueue, err, errsize))
			return -1;
	}
	state_writer_discard(w);
	return 0;
}

static void
state_writer_gen_key(struct state_writer *w, long long gen, enum state_kind kind, char *buf,
                     size_t size)
{
	snprintf(buf, size, "%s:%lld:%s", w->prefix, gen, state_writer_hash[kind]);
}

/* UNLINK the three hashes of a generation: Redis frees them in the background. */
static int
state_writer_unlink_gen(struct state_writer *w, long long gen, char *err, size_t errsize)
{
	char keys[3][256];
	const char *argv[] = {"UNLINK", keys[0], keys[1], keys[2]};
	redisReply *reply;

	for (int k = 0; k < 3; k++)
		state_writer_gen_key(w, gen, (enum state_kind)k, keys[k], sizeof(keys[k]));
	if ((reply = state_writer_run(w, err, errsize, 4, argv)) == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

static void
state_writer_gen_reset(struct state_writer *w, enum state_kind kind)
{
	for (size_t i = 2; i < w->gen_argc[kind]; i++)
		free(w->gen_owned[kind][i]);
	w->gen_argc[kind] = 0;
}

int
state_writer_gen_begin(struct state_writer *w, char *err, size_t errsize)
{
	long long gen = state_writer_generation(w, err, errsize);

	if (gen < 0)
		return -1;
	if (w->new_gen != 0)
		state_writer_gen_abort(w);
	w->old_gen = gen;
	w->new_gen = gen + 1;
	/* A writer that died mid-way may have left this generation half written. */
	return state_writer_unlink_gen(w, w->new_gen, err, errsize);
}

/* Write the buffered fields of one kind as one HSET. */
static int
state_writer_gen_flush(struct state_writer *w, enum state_kind kind, char *err, size_t errsize)
{
	char key[256];
	redisReply *reply;
	size_t argc = w->gen_argc[kind];

	if (argc <= 2)
		return 0;
	state_writer_gen_key(w, w->new_gen, kind, key, sizeof(key));
	w->gen_argv[kind][0] = "HSET";
	w->gen_argv[kind][1] = key;
	reply = state_writer_run(w, err, errsize, (int)argc, w->gen_argv[kind]);
	state_writer_gen_reset(w, kind);
	if (reply == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

int
state_writer_gen_put(struct state_writer *w, enum state_kind kind, const char *key,
                     const char *value, char *err, size_t errsize)
{
	size_t argc;

	if (w->new_gen == 0) {
		snprintf(err, errsize, "no generation begun");
		return -1;
	}
	if (w->gen_argc[kind] == 0)
		w->gen_argc[kind] = 2; /* HSET key */
	argc = w->gen_argc[kind];
	w->gen_owned[kind][argc] = xstrdup(key);
	w->gen_owned[kind][argc + 1] = xstrdup(value);
	w->gen_argv[kind][argc] = w->gen_owned[kind][argc];
	w->gen_argv[kind][argc + 1] = w->gen_owned[kind][argc + 1];
	w->gen_argc[kind] = argc + 2;
	if (w->gen_argc[kind] >= 2 + 2 * STATE_WRITER_CHUNK)
		return state_writer_gen_flush(w, kind, err, errsize);
	return 0;
}

int
state_writer_gen_publish(struct state_writer *w, char *err, size_t errsize)
{
	const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
	char genkey[256], genbuf[32];
	const char *set[] = {"SET", genkey, genbuf};
	long long seq, gen;

	for (int k = 0; k < 3; k++)
		if (state_writer_gen_flush(w, (enum state_kind)k, err, errsize) != 0)
			return -1;
	if (state_writer_watch(w, &seq, &gen, err, errsize) != 0)
		return -1;
	if (gen != w->old_gen) {
		snprintf(err, errsize, "generation changed to %lld meanwhile: not published", gen);
		state_writer_gen_abort(w);
		return -1;
	}
	snprintf(genkey, sizeof(genkey), "%s:gen", w->prefix);
	snprintf(genbuf, sizeof(genbuf), "%lld", w->new_gen);
	state_writer_append(w, 1, multi);
	state_writer_append(w, 3, set);
	state_writer_append_marker(w, ++seq, "gen", w->new_gen);
	state_writer_append_seq(w, seq);
	state_writer_append(w, 1, exec);
	if (state_writer_exec_replies(w, 3, err, errsize) != 1) {
		if (err[0] == '\0' || strstr(err, "Redis") == NULL)
			snprintf(err, errsize, "generation switch raced with another writer");
		return -1;
	}
	gen = w->old_gen;
	w->old_gen = w->new_gen = 0;
	return gen > 0 ? state_writer_unlink_gen(w, gen, err, errsize) : 0;
}

void
state_writer_gen_abort(struct state_writer *w)
{
	char err[256];

	for (int k = 0; k < 3; k++)
		state_writer_gen_reset(w, (enum state_kind)k);
	if (w->new_gen != 0 && state_writer_unlink_gen(w, w->new_gen, err, sizeof(err)) != 0)
		log_warnx("state: cannot remove the unpublished generation %lld: %s", w->new_gen,
		          err);
	w->old_gen = w->new_gen = 0;
}

int
state_writer_scan(struct state_writer *w, enum state_kind kind,
                  int (*fn)(const char *key, const char *value, void *arg), void *arg, char *err,
                  size_t errsize)
{
	long long gen = state_writer_generation(w, err, errsize);
	char key[256], cursor[32] = "0";
	const char *argv[] = {"HSCAN", key, cursor, "COUNT", "1000"};

	if (gen <= 0)
		return gen < 0 ? -1 : 0;
	state_writer_gen_key(w, gen, kind, key, sizeof(key));
	do {
		redisReply *reply = state_writer_run(w, err, errsize, 5, argv);
		int stop = 0;

		if (reply == NULL)
			return -1;
		if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
			snprintf(err, errsize, "HSCAN: unexpected reply");
			freeReplyObject(reply);
			return -1;
		}
		const redisReply *pairs = reply->element[1];
		for (size_t i = 0; i + 1 < pairs->elements && !stop; i += 2)
			stop = fn(pairs->element[i]->str, pairs->element[i + 1]->str, arg);
		snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
		freeReplyObject(reply);
		if (stop)
			return 0;
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

static const char state_writer_lock_script[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "return 0";

int
state_writer_lock(struct state_writer *w, const char *owner, long ttl_ms, char *err, size_t errsize)
{
	char key[256], ttl[32];
	const char *argv[] = {"EVAL", state_writer_lock_script, "1", key, owner, ttl};
	redisReply *reply;
	int held;

	snprintf(key, sizeof(key), "%s:lock", w->prefix);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms);
	if ((reply = state_writer_run(w, err, errsize, 6, argv)) == NULL)
		return -1;
	held = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
	freeReplyObject(reply);
	return held;
}

void
state_writer_unlock(struct state_writer *w, const char *owner)
{
	static const char script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
	                             "return redis.call('DEL', KEYS[1]) end return 0";
	char key[256], err[256];
	const char *argv[] = {"EVAL", script, "1", key, owner};
	redisReply *reply;

	snprintf(key, sizeof(key), "%s:lock", w->prefix);
	if ((reply = state_writer_run(w, err, sizeof(err), 5, argv)) != NULL)
		freeReplyObject(reply);
}

int
state_writer_status(struct state_writer *w, const char *const *fields, size_t count, char *err,
                    size_t errsize)
{
	char key[256];
	const char *argv[2 + 32];
	redisReply *reply;

	if (count == 0 || count % 2 != 0 || count > 32) {
		snprintf(err, errsize, "status: bad field list");
		return -1;
	}
	snprintf(key, sizeof(key), "%s:status", w->prefix);
	argv[0] = "HSET";
	argv[1] = key;
	memcpy(argv + 2, fields, count * sizeof(*fields));
	if ((reply = state_writer_run(w, err, errsize, (int)count + 2, argv)) == NULL)
		return -1;
	freeReplyObject(reply);
	return 0;
}

int
state_writer_hmget(struct state_writer *w, enum state_kind kind, const char *const *keys,
                   size_t count, char **values, char *err, size_t errsize)
{
	long long gen = state_writer_generation(w, err, errsize);
	const char **argv;
	char hash[256];
	redisReply *reply;

	for (size_t i = 0; i < count; i++)
		values[i] = NULL;
	if (gen <= 0 || count == 0)
		return gen < 0 ? -1 : 0;
	state_writer_gen_key(w, gen, kind, hash, sizeof(hash));
	argv = xmalloc((count + 2) * sizeof(*argv));
	argv[0] = "HMGET";
	argv[1] = hash;
	memcpy(argv + 2, keys, count * sizeof(*keys));
	reply = state_writer_run(w, err, errsize, (int)count + 2, argv);
	free(argv);
	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != count) {
		snprintf(err, errsize, "HMGET: unexpected reply");
		freeReplyObject(reply);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (reply->element[i]->type == REDIS_REPLY_STRING)
			values[i] = xstrdup(reply->element[i]->str);
	freeReplyObject(reply);
	return 0;
}

int
state_writer_status_get(struct state_writer *w, const char *field, char *buf, size_t size,
                        char *err, size_t errsize)
{
	char key[256];
	const char *argv[] = {"HGET", key, field};
	redisReply *reply;

	snprintf(key, sizeof(key), "%s:status", w->prefix);
	buf[0] = '\0';
	if ((reply = state_writer_run(w, err, errsize, 3, argv)) == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_STRING)
		snprintf(buf, size, "%s", reply->str);
	freeReplyObject(reply);
	return 0;
}
