/*
 * ctl_state.h - edgctl's ways into Redis: the readers' view, the writer, plain reads
 *
 * SYNOPSIS
 *	#include "ctl_state.h"
 *
 *	struct state *ctl_state_reader(const struct edg_config *cfg, long wait_ms,
 *	    int *ready);
 *	struct state_writer *ctl_state_writer(const struct edg_config *cfg);
 *	redisContext *ctl_state_connect(const struct edg_config *cfg, char *err,
 *	    size_t errsize);
 *	void ctl_state_key(const struct edg_config *cfg, const char *suffix, char *buf,
 *	    size_t size);
 *	int  ctl_state_hgetall(redisContext *c, const char *key,
 *	    int (*fn)(const char *field, const char *value, void *arg), void *arg,
 *	    char *err, size_t errsize);
 *	long long ctl_state_integer(redisContext *c, const char *command, const char *key,
 *	    char *err, size_t errsize);
 *
 * DESCRIPTION
 *	ctl_state_reader() opens the state exactly as edg-policyd does (lib/state.c,
 *	[redis] settings, [policyd] max_stale) and waits up to wait_ms for its first
 *	view (not at all when a plain connection to Redis fails); *ready tells
 *	whether one loaded. Decisions made through it are the
 *	daemons' decisions. It returns NULL only for a URL the reader cannot use (the
 *	reason is printed on stderr).
 *
 *	ctl_state_writer() opens the writer of docs/redis-schema.md (it connects at its
 *	first command). ctl_state_connect() is one plain connection for the reads the
 *	writer has no call for (HGETALL of the status hash, HLEN); after an error on it
 *	the caller frees it (hiredis contexts are dead after their first error).
 *
 *	ctl_state_key() writes "<prefix>:v1:<suffix>". ctl_state_hgetall() calls fn for
 *	each field of a hash (an absent hash has none); fn returns non-zero to stop.
 *	ctl_state_integer() runs "COMMAND KEY" (GET, HLEN) and returns its integer: 0
 *	for an absent key.
 *
 * DIAGNOSTICS
 *	ctl_state_hgetall() returns 0 or -1 and ctl_state_integer() -1, with a reason in
 *	err; a Redis error is never an empty answer (STYLE.md rule 3).
 */
#ifndef EDG_CTL_STATE_H
#define EDG_CTL_STATE_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "state.h"
#include "state_writer.h"

struct state *ctl_state_reader(const struct edg_config *cfg, long wait_ms, int *ready);
struct state_writer *ctl_state_writer(const struct edg_config *cfg);
redisContext *ctl_state_connect(const struct edg_config *cfg, char *err, size_t errsize);
void ctl_state_key(const struct edg_config *cfg, const char *suffix, char *buf, size_t size);
int ctl_state_hgetall(redisContext *c, const char *key,
                      int (*fn)(const char *field, const char *value, void *arg), void *arg,
                      char *err, size_t errsize);
long long ctl_state_integer(redisContext *c, const char *command, const char *key, char *err,
                            size_t errsize);

#endif
