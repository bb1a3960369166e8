/*
 * state_writer.h - the writer's side of docs/redis-schema.md (edg-syncd, edgctl)
 *
 * SYNOPSIS
 *	struct state_writer *state_writer_open(const struct config_redis_url *url,
 *	    const char *prefix, long connect_ms, long command_ms, char *err, size_t errsize);
 *	void state_writer_close(struct state_writer *w);
 *
 *	void state_writer_set(struct state_writer *w, enum state_kind kind,
 *	    const char *key, const char *value);
 *	void state_writer_del(struct state_writer *w, enum state_kind kind, const char *key);
 *	size_t state_writer_pending(const struct state_writer *w);
 *	int  state_writer_commit(struct state_writer *w, char *err, size_t errsize);
 *	void state_writer_discard(struct state_writer *w);
 *
 *	int  state_writer_gen_begin(struct state_writer *w, char *err, size_t errsize);
 *	int  state_writer_gen_put(struct state_writer *w, enum state_kind kind,
 *	    const char *key, const char *value, char *err, size_t errsize);
 *	int  state_writer_gen_publish(struct state_writer *w, char *err, size_t errsize);
 *	void state_writer_gen_abort(struct state_writer *w);
 *
 *	long long state_writer_generation(struct state_writer *w, char *err, size_t errsize);
 *	int  state_writer_hmget(struct state_writer *w, enum state_kind kind,
 *	    const char *const *keys, size_t count, char **values, char *err, size_t errsize);
 *	int  state_writer_scan(struct state_writer *w, enum state_kind kind,
 *	    int (*fn)(const char *key, const char *value, void *arg), void *arg,
 *	    char *err, size_t errsize);
 *	int  state_writer_lock(struct state_writer *w, const char *owner, long ttl_ms,
 *	    char *err, size_t errsize);
 *	void state_writer_unlock(struct state_writer *w, const char *owner);
 *	int  state_writer_status(struct state_writer *w, const char *const *fields,
 *	    size_t count, char *err, size_t errsize);
 *	int  state_writer_status_get(struct state_writer *w, const char *field, char *buf,
 *	    size_t size, char *err, size_t errsize);
 *	long state_writer_retry_ms(const struct state_writer *w);
 *
 * DESCRIPTION
 *	Changes to the published generation are queued with state_writer_set() and
 *	state_writer_del() and written by state_writer_commit(): transactions of at most
 *	STATE_WRITER_CHUNK changes, each writing the hashes, the matching change-log
 *	entries and the sequence counter, the last one ending with a "commit" entry, so
 *	readers apply the batch whole and no command blocks Redis for long. Every
 *	transaction WATCHes the sequence counter: a concurrent writer (edgctl while syncd
 *	runs) makes it retry with fresh numbers, so the log stays gap-free. With nothing
 *	queued, commit writes nothing.
 *
 *	A whole new generation (the first sync, or a change too large to stream) is
 *	written with gen_begin, gen_put (HSETs of STATE_WRITER_CHUNK fields, pipelined)
 *	and gen_publish, which switches {p}:gen and logs a "gen" entry in one transaction,
 *	then UNLINKs the old generation's hashes (freed by Redis in the background).
 *	gen_abort UNLINKs what was written. Readers see the old generation until the
 *	switch, the new one after it: never a mix.
 *
 *	state_writer_hmget() reads count fields of a hash of the published generation:
 *	values[i] is a copy the caller frees, or NULL when absent (or nothing published).
 *	state_writer_scan() walks a hash of the published generation with HSCAN.
 *	state_writer_lock() takes or renews the puller's lease {p}:lock for owner (1: held
 *	by owner now, 0: held by another, -1: error); state_writer_unlock() releases it
 *	only when owner holds it. state_writer_status() HSETs field/value pairs (count
 *	strings) into {p}:status; state_writer_status_get() reads one ("" when absent).
 *
 *	Functions returning int give 0 (or the documented value) on success and -1 with
 *	a reason in err. After an error the connection is dropped and the next call
 *	reconnects; queued changes are kept until committed or discarded. A failed
 *	connection is retried only after a jittered, doubling delay (100 ms to 5 s;
 *	calls meanwhile fail at once with the last reason); state_writer_retry_ms()
 *	says how long that is (0: a call may connect now), for a caller's loop to wait.
 *	A READONLY reply (a primary demoted by a failover) drops the connection before
 *	the next call, which asks the sentinels again for a redis+sentinel:// URL.
 *
 * OWNERSHIP
 *	Keys and values are copied. The caller closes the writer.
 */
#ifndef EDG_STATE_WRITER_H
#define EDG_STATE_WRITER_H

#include <stddef.h>

#include "config.h"

#define STATE_WRITER_CHUNK 1000

enum state_kind {
	STATE_KIND_SENDER,
	STATE_KIND_DOMAIN,
	STATE_KIND_SUPPRESSION,
};

struct state_writer;

struct state_writer *state_writer_open(const struct config_redis_url *url, const char *prefix,
                                       long connect_ms, long command_ms, char *err, size_t errsize);
void state_writer_close(struct state_writer *w);

void state_writer_set(struct state_writer *w, enum state_kind kind, const char *key,
                      const char *value);
void state_writer_del(struct state_writer *w, enum state_kind kind, const char *key);
size_t state_writer_pending(const struct state_writer *w);
int state_writer_commit(struct state_writer *w, char *err, size_t errsize);
void state_writer_discard(struct state_writer *w);

int state_writer_gen_begin(struct state_writer *w, char *err, size_t errsize);
int state_writer_gen_put(struct state_writer *w, enum state_kind kind, const char *key,
                         const char *value, char *err, size_t errsize);
int state_writer_gen_publish(struct state_writer *w, char *err, size_t errsize);
void state_writer_gen_abort(struct state_writer *w);

long long state_writer_generation(struct state_writer *w, char *err, size_t errsize);
int state_writer_hmget(struct state_writer *w, enum state_kind kind, const char *const *keys,
                       size_t count, char **values, char *err, size_t errsize);
int state_writer_scan(struct state_writer *w, enum state_kind kind,
                      int (*fn)(const char *key, const char *value, void *arg), void *arg,
                      char *err, size_t errsize);
int state_writer_lock(struct state_writer *w, const char *owner, long ttl_ms, char *err,
                      size_t errsize);
void state_writer_unlock(struct state_writer *w, const char *owner);
int state_writer_status(struct state_writer *w, const char *const *fields, size_t count, char *err,
                        size_t errsize);

int state_writer_status_get(struct state_writer *w, const char *field, char *buf, size_t size,
                            char *err, size_t errsize);
long state_writer_retry_ms(const struct state_writer *w);

#endif
