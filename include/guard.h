/*
 * guard.h - safe-sending guards: the recipient allow-list and rate limits
 *
 * SYNOPSIS
 *	int guard_recipient_allowed(const struct config_list *patterns,
 *	    const char *recipient);
 *	int guard_limit_applies(const struct config_limit *limit,
 *	    const struct guard_who *who, char *id, size_t idsize);
 *	size_t guard_counters(const struct config_limit_list *limits,
 *	    const struct guard_who *who, const char *prefix,
 *	    struct guard_counter *out);
 *	int guard_limit_key(const struct config_limit *limit, const char *prefix,
 *	    char *key, size_t keysize);
 *	int guard_limit_single(const struct config_limit *limit);
 *
 *	long long guard_slot(long long now_ms, long long window_ms);
 *	long long guard_slot_release_ms(long long slot, long long window_ms);
 *	void guard_usage(struct guard_usage *usage, const char *field,
 *	    const char *value, long long now_ms, long long window_ms);
 *
 *	struct guard_redis *guard_redis_new(void);
 *	void guard_redis_free(struct guard_redis *g);
 *	enum guard_outcome guard_redis_count(struct guard_redis *g,
 *	    const struct edg_config *cfg, const struct guard_counter *counters,
 *	    size_t count, long long now_ms, size_t *over, long long *usage,
 *	    char *err, size_t errsize);
 *	int guard_redis_usage(struct guard_redis *g, const struct edg_config *cfg,
 *	    const char *key, long long window_ms, long long now_ms,
 *	    struct guard_usage *out, char *err, size_t errsize);
 *
 * DESCRIPTION
 *	The pure half (lib/guard.c): which recipients the allow-list lets through, which
 *	[guard] limit lines apply to a request, the Redis key of each counter and the
 *	sliding-window arithmetic. The I/O half (lib/guard_redis.c): one EVAL per
 *	recipient that checks and counts every applicable counter atomically, shared by
 *	every gateway on the Redis.
 *
 *	Sliding windows in GUARD_SLOTS sub-windows. Time is cut into slots of
 *	window / GUARD_SLOTS; slot(t) = floor(t * GUARD_SLOTS / window). A counter is one
 *	Redis hash: one field per slot holding the recipients counted in it. The usage
 *	at time t is the sum of the slots slot(t) - GUARD_SLOTS .. slot(t): the last
 *	window and, whole, the slot that straddles its start. So a recipient counts for
 *	at least one window and at most one window and one slot (1m: 60 to 61 s), the
 *	estimate never under-counts (no window-long interval ever holds more than COUNT
 *	recipients counted), and at a steady rate a limit lets through at least
 *	GUARD_SLOTS / (GUARD_SLOTS + 1) of COUNT per window. The clock is Redis's (TIME
 *	inside the script): gateways' clocks do not matter.
 *
 *	guard_recipient_allowed(): 1 when patterns is empty or the canonical recipient
 *	matches one of them ("a@d" exactly, "@d" any address at d, "*@*.d" any address
 *	at a subdomain of d, not at d itself), else 0.
 *
 *	guard_limit_applies(): 1 when limit counts this request, with the counted
 *	identity in id (the configured ID, or the request's login, sender or client
 *	address for a limit without ID; "-" for tenancy); else 0. A sasl limit needs a
 *	login, a sender limit a non-null sender, a client limit a known address.
 *
 *	guard_counters(): one counter per applicable limit into out (which holds
 *	CONFIG_LIMITS_MAX); returns how many. The key is
 *	PREFIX:v1:rate:SCOPE:IDHASH:WINDOW (IDHASH 16 hex digits of a SipHash with a
 *	fixed key, WINDOW in seconds), so equal identities and windows share one counter
 *	whichever line names them, and a key never holds text from the request. Lines
 *	that share a key give one counter (counted once per recipient) with the lowest
 *	COUNT among them; its limit is that line's index.
 *
 *	guard_limit_key(): the key of a limit with one counter (guard_limit_single(): a
 *	tenancy limit or one with an ID); 0, or -1 when the limit has one counter per
 *	identity or key is too small.
 *
 *	guard_slot() is slot(now). guard_slot_release_ms() is when recipients counted in
 *	slot stop counting: the first millisecond of slot + GUARD_SLOTS + 1.
 *	guard_usage() adds one field of a counter's hash (as HGETALL returns them) to
 *	usage: a slot field in the window now to usage->count (and its release time to
 *	usage->next_release_ms when earlier), the "id" field to usage->id; other fields
 *	are bookkeeping and ignored. Start from a zeroed struct.
 *
 *	guard_redis_count(): counters under their limits: every one is counted once (the
 *	key's expiry becomes one window, one slot and GUARD_EXPIRY_SLACK_MS) and the
 *	result is GUARD_UNDER. One at its limit: nothing is counted, *over is its index
 *	in counters and the result GUARD_OVER. Either way usage[i] (count entries) is
 *	counter i's usage after the call. Redis unreachable or answering an error:
 *	GUARD_ERROR with the reason in err; the connection is dropped and not tried again
 *	for GUARD_RETRY_MS (a down Redis costs one failed connect per interval, not one
 *	per recipient). The connection ([redis] url, connect_timeout, command_timeout)
 *	is made on first use, apart from the state follower's; the call is synchronous
 *	and waits at most command_timeout. count 0: GUARD_UNDER without Redis.
 *
 *	guard_redis_usage(): the usage of one counter now (Redis's TIME and the
 *	counter's HGETALL, pipelined; guard_usage() on each field), counting nothing: 0,
 *	or -1 with the reason in err (the connection rules are guard_redis_count()'s).
 */
#ifndef EDG_GUARD_H
#define EDG_GUARD_H

#include <stddef.h>

#include "config.h"

#define GUARD_SLOTS           60 /* sub-windows of a window */
#define GUARD_KEY_MAX         160
#define GUARD_ID_MAX          512
#define GUARD_ID_SHOWN        60 /* bytes of the identity kept in the hash, for edgctl */
#define GUARD_EXPIRY_SLACK_MS 5000
#define GUARD_RETRY_MS        1000

enum guard_outcome {
	GUARD_UNDER, /* counted */
	GUARD_OVER,  /* a limit is reached: not counted */
	GUARD_ERROR, /* Redis unavailable: not counted */
};

/* What a limit may count by; strings canonical, never NULL ("" unknown). */
struct guard_who {
	const char *sasl_login;
	const char *sender;
	const char *client_ip; /* as Postfix sent it */
	int family;            /* AF_INET, AF_INET6 or 0 */
	unsigned char addr[16];
};

struct guard_counter {
	size_t limit; /* index into the limit list */
	char key[GUARD_KEY_MAX];
	char id[GUARD_ID_MAX]; /* the identity counted, for the log */
	long count;            /* recipients allowed per window */
	long long window_ms;
	long long ttl_ms;
};

/* A counter's usage now, from its hash. */
struct guard_usage {
	long long count;
	long long next_release_ms; /* 0: nothing counted */
	char id[GUARD_ID_SHOWN + 1];
};

struct guard_redis;

int guard_recipient_allowed(const struct config_list *patterns, const char *recipient);
int guard_limit_applies(const struct config_limit *limit, const struct guard_who *who, char *id,
                        size_t idsize);
size_t guard_counters(const struct config_limit_list *limits, const struct guard_who *who,
                      const char *prefix, struct guard_counter *out);
int guard_limit_single(const struct config_limit *limit);
int guard_limit_key(const struct config_limit *limit, const char *prefix, char *key,
                    size_t keysize);

long long guard_slot(long long now_ms, long long window_ms);
long long guard_slot_release_ms(long long slot, long long window_ms);
void guard_usage(struct guard_usage *usage, const char *field, const char *value, long long now_ms,
                 long long window_ms);

struct guard_redis *guard_redis_new(void);
void guard_redis_free(struct guard_redis *g);
enum guard_outcome guard_redis_count(struct guard_redis *g, const struct edg_config *cfg,
                                     const struct guard_counter *counters, size_t count,
                                     long long now_ms, size_t *over, long long *usage, char *err,
                                     size_t errsize);
int guard_redis_usage(struct guard_redis *g, const struct edg_config *cfg, const char *key,
                      long long window_ms, long long now_ms, struct guard_usage *out, char *err,
                      size_t errsize);

#endif
