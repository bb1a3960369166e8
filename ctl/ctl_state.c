/*
 * ctl_state.c - edgctl's ways into Redis: the readers' view, the writer, plain reads
 *
 * See ctl_state.h. Nothing here decides or formats: the commands do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_state.h"
#include "log.h"
#include "redis_conn.h"

struct state *
ctl_state_reader(const struct edg_config *cfg, long wait_ms, int *ready)
{
	char err[256];
	struct state *st;
	redisContext *probe;

	log_set_level(LOG_WARNING); /* the reader's notes on loading are for daemons' logs */
	st = state_open_config(cfg, (long)cfg->policyd.daemon.max_stale_ms, err, sizeof(err));
	*ready = 0;
	if (st == NULL) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		return NULL;
	}
	/* Redis down: the view cannot load, so do not wait for it. */
	if ((probe = ctl_state_connect(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "edgctl: redis: %s\n", err);
		return st;
	}
	redisFree(probe);
	*ready = state_wait_ready(st, wait_ms) == 0;
	return st;
}

struct state_writer *
ctl_state_writer(const struct edg_config *cfg)
{
	char err[256];
	struct state_writer *w = state_writer_open(
	    &cfg->redis.url, cfg->redis.prefix, (long)cfg->redis.connect_timeout_ms,
	    (long)cfg->redis.command_timeout_ms, err, sizeof(err));

	if (w == NULL)
		fprintf(stderr, "edgctl: redis: %s\n", err);
	return w;
}

redisContext *
ctl_state_connect(const struct edg_config *cfg, char *err, size_t errsize)
{
	return redis_connect(&cfg->redis.url, (long)cfg->redis.connect_timeout_ms,
	                     (long)cfg->redis.command_timeout_ms, err, errsize);
}

void
ctl_state_key(const struct edg_config *cfg, const char *suffix, char *buf, size_t size)
{
	snprintf(buf, size, "%s:v1:%s", cfg->redis.prefix, suffix);
}

/* A reply, or NULL with err: no answer, or an error reply. */
static redisReply *
ctl_state_command(redisContext *c, char *err, size_t errsize, const char *command, const char *key)
{
	redisReply *reply = redisCommand(c, "%s %s", command, key);

	if (reply == NULL) {
		snprintf(err, errsize, "Redis %s: %s", command,
		         c->errstr[0] ? c->errstr : "no answer");
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errsize, "Redis %s: %.200s", command, reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

int
ctl_state_hgetall(redisContext *c, const char *key,
                  int (*fn)(const char *field, const char *value, void *arg), void *arg, char *err,
                  size_t errsize)
{
	redisReply *reply = ctl_state_command(c, err, errsize, "HGETALL", key);

	if (reply == NULL)
		return -1;
	if (reply->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errsize, "Redis HGETALL: unexpected reply type %d", reply->type);
		freeReplyObject(reply);
		return -1;
	}
	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		const redisReply *f = reply->element[i], *v = reply->element[i + 1];

		if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    fn(f->str, v->str, arg) != 0)
			break;
	}
	freeReplyObject(reply);
	return 0;
}

long long
ctl_state_integer(redisContext *c, const char *command, const char *key, char *err, size_t errsize)
{
	redisReply *reply = ctl_state_command(c, err, errsize, command, key);
	long long n = 0;

	if (reply == NULL)
		return -1;
	if (reply->type == REDIS_REPLY_INTEGER)
		n = reply->integer;
	else if (reply->type == REDIS_REPLY_STRING)
		n = strtoll(reply->str, NULL, 10);
	freeReplyObject(reply);
	return n < 0 ? 0 : n;
}
