/*
 * guard.h - safe-sending guards: the recipient allow-list and rate limits
 *
 * SYNOPSIS
 *	int guard_recipient_allowed(const struct config_list *patterns,
 *	    const char *recipient);
 *	int guard_limit_applies(const struct config_limit *limit,
 *	    const struct guard_who *who, char *id, size_t idsize);
 *	size_t guard_counters(const struct config_limit_list *limits,
 *	    const struct guard_who *who, const char *prefix, long long now_ms,
 *	    struct guard_counter *out);
 *
 *	struct guard_redis *guard_redis_new(void);
 *	void guard_redis_free(struct guard_redis *g);
 *	enum guard_outcome guard_redis_count(struct guard_redis *g,
 *	    const struct edg_config *cfg, const struct guard_counter *counters,
 *	    size_t count, long long now_ms, size_t *over, char *err, size_t errsize);
 *
 * DESCRIPTION
 *	The pure half (lib/guard.c): which recipients the allow-list lets through, which
 *	[guard] limit lines apply to a request, and the Redis key of each counter.
 *	The I/O half (lib/guard_redis.c): one EVAL per recipient that checks and counts
 *	every applicable counter atomically, shared by every gateway on the Redis.
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
 *	CONFIG_LIMITS_MAX); returns how many. Fixed windows aligned to the epoch:
 *	the key is PREFIX:v1:rate:SCOPE:IDHASH:WINDOW:START (IDHASH 16 hex digits of a
 *	SipHash with a fixed key, WINDOW and START in seconds), so equal identities and
 *	windows share one counter whichever line names them, and a key never holds
 *	text from the request.
 *
 *	guard_redis_count(): counters under their limits: every one is incremented by
 *	one (a new key gets an expiry of its window plus GUARD_EXPIRY_SLACK_MS) and the
 *	result is GUARD_UNDER. One at its limit: nothing is incremented, *over is its
 *	index in counters and the result GUARD_OVER. Redis unreachable or answering an
 *	error: GUARD_ERROR with the reason in err; the connection is dropped and not
 *	tried again for GUARD_RETRY_MS (a down Redis costs one failed connect per
 *	interval, not one per recipient). The connection ([redis] url, connect_timeout,
 *	command_timeout) is made on first use, apart from the state follower's; the
 *	call is synchronous and waits at most command_timeout. count 0: GUARD_UNDER
 *	without Redis.
 */
#ifndef EDG_GUARD_H
#define EDG_GUARD_H

#include <stddef.h>

#include "config.h"

#define GUARD_KEY_MAX         160
#define GUARD_ID_MAX          512
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
	long count;
	long long ttl_ms;
	long long window_end_ms;
};

struct guard_redis;

int guard_recipient_allowed(const struct config_list *patterns, const char *recipient);
int guard_limit_applies(const struct config_limit *limit, const struct guard_who *who, char *id,
                        size_t idsize);
size_t guard_counters(const struct config_limit_list *limits, const struct guard_who *who,
                      const char *prefix, long long now_ms, struct guard_counter *out);

struct guard_redis *guard_redis_new(void);
void guard_redis_free(struct guard_redis *g);
enum guard_outcome guard_redis_count(struct guard_redis *g, const struct edg_config *cfg,
                                     const struct guard_counter *counters, size_t count,
                                     long long now_ms, size_t *over, char *err, size_t errsize);

#endif
