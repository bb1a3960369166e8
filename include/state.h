/*
 * state.h - the readers' three-way view of OCI state: approved senders and suppressions
 *
 * SYNOPSIS
 *	struct edg_config;
struct state *state_open(const struct state_options *opts, char *err, size_t errsize);
struct state *state_open_config(const struct edg_config *cfg, long max_stale_ms, char *err,
                                size_t errsize);
 *	struct state *state_open_config(const struct edg_config *cfg, long max_stale_ms,
 *	    char *err, size_t errsize);
 *	void state_close(struct state *st);
 *	enum lookup state_approved_sender(struct state *st, const char *canonical_addr,
 *	    char *matched, size_t matched_size);
 *	enum lookup state_suppression(struct state *st, const char *canonical_addr,
 *	    struct suppression *out, int flags);
 *	void state_status(struct state *st, struct state_status *out);
 *	int  state_wait_ready(struct state *st, long timeout_ms);
 *	void state_set_max_stale(struct state *st, long max_stale_ms);
 *
 *	const char *suppression_reason_name(enum suppression_reason reason);
 *	enum suppression_reason suppression_reason_parse(const char *name, size_t len);
 *
 *	struct state *state_memory_new(void);
 *	void state_memory_add_sender(struct state *st, const char *canonical_addr);
 *	void state_memory_add_suppression(struct state *st, const char *canonical_addr,
 *	    const char *reason, long long created_ms, const char *oci_id);
 *	void state_memory_set_tempfail(struct state *st, int tempfail);
 *
 * DESCRIPTION
 *	Every lookup has three outcomes (STYLE.md rule 3): LOOKUP_FOUND, LOOKUP_NOTFOUND,
 *	LOOKUP_TEMPFAIL. A Redis error is never "not found": the caller applies its
 *	on_state_error policy to LOOKUP_TEMPFAIL.
 *
 *	Addresses passed in must already be in canonical form (addr_canon()).
 *	state_approved_sender() finds the address itself, or its "@domain" entry, which
 *	approves every address at exactly that domain; matched receives the entry that
 *	matched. state_suppression() fills out (reason, time created, OCI id) when found.
 *
 *	Backends, chosen by opts->url:
 *	"redis://[user:pass@]host[:port][/db]", "unix://[user:pass@]/path[?db=N]"
 *		Redis, by the schema of docs/redis-schema.md. A follower thread loads the
 *		published state into a compact in-process view and follows the change stream,
 *		so lookups cost no round trip and changes arrive within a second. Through a
 *		Redis outage lookups keep answering from this last-known-good view until it is
 *		older than opts->max_stale_ms; then they return LOOKUP_TEMPFAIL. Before the
 *		first load completes, and while no state was ever published, they return
 *		LOOKUP_TEMPFAIL too. With STATE_DETAIL, a found suppression is confirmed with
 *		one Redis read for its exact reason, time and id (if Redis does not answer,
 *		the view's reason and day are used and the id is left empty).
 *	"memory:"
 *		An in-memory table filled with state_memory_*(), for tests and edgctl explain.
 *
 *	state_set_max_stale() changes max_stale of a running state (a reload).
 *
 *	state_open_config() is state_open() with [redis] of a configuration and the
 *	caller's max_stale (each daemon has its own).
 *
 *	state_open() returns NULL with a reason in err on a bad URL; it does not wait for
 *	Redis (state_wait_ready() does, for tools and tests). Open it after any fork():
 *	the Redis backend runs a thread. Lookups are thread-safe.
 *
 * OWNERSHIP
 *	The caller owns st and must state_close() it; opts strings are copied.
 */
#ifndef EDG_STATE_H
#define EDG_STATE_H

#include <stddef.h>

enum lookup {
	LOOKUP_FOUND = 0,
	LOOKUP_NOTFOUND = 1,
	LOOKUP_TEMPFAIL = 2,
};

enum suppression_reason {
	SUPPRESSION_UNKNOWN = 0,
	SUPPRESSION_HARDBOUNCE,
	SUPPRESSION_COMPLAINT,
	SUPPRESSION_MANUAL,
	SUPPRESSION_SOFTBOUNCE,
	SUPPRESSION_UNSUBSCRIBE,
	SUPPRESSION_OTHER, /* a reason OCI added after this code was written */
};

#define STATE_REASON_MAX 32
#define STATE_ID_MAX     256

struct suppression {
	enum suppression_reason reason;
	char reason_text[STATE_REASON_MAX]; /* as OCI published it, e.g. "HARDBOUNCE" */
	long long created_ms;               /* timeCreated, ms since the epoch (day precision
	                                       when only the view answered) */
	char id[STATE_ID_MAX];              /* OCI id; "" when unknown */
};

#define STATE_DETAIL 0x1 /* confirm a found suppression with Redis for its exact record */

struct state_options {
	const char *url;
	const char *prefix; /* key prefix, "edg" by default; the schema adds ":v1" */
	long connect_timeout_ms;
	long command_timeout_ms;
	long max_stale_ms;
	long reconnect_min_ms; /* first delay before reconnecting (jittered, doubling to
	                          5 s); 0: 100 ms */
};

struct state_status {
	int loaded;       /* a view is present */
	int published;    /* the writer has published state at least once */
	int connected;    /* the backend answers now */
	long long age_ms; /* since the view last agreed with the backend; -1: never */
	unsigned long long generation;
	unsigned long long sequence; /* last change applied */
	size_t senders;
	size_t suppressions;
	size_t view_bytes;
	unsigned long reconnects;
	char last_error[256];
};

struct state;

struct edg_config;
struct state *state_open(const struct state_options *opts, char *err, size_t errsize);
struct state *state_open_config(const struct edg_config *cfg, long max_stale_ms, char *err,
                                size_t errsize);
void state_close(struct state *st);
enum lookup state_approved_sender(struct state *st, const char *canonical_addr, char *matched,
                                  size_t matched_size);
enum lookup state_suppression(struct state *st, const char *canonical_addr, struct suppression *out,
                              int flags);
void state_status(struct state *st, struct state_status *out);
int state_wait_ready(struct state *st, long timeout_ms);
void state_set_max_stale(struct state *st, long max_stale_ms);

const char *suppression_reason_name(enum suppression_reason reason);
enum suppression_reason suppression_reason_parse(const char *name, size_t len);

struct state *state_memory_new(void);
void state_memory_add_sender(struct state *st, const char *canonical_addr);
void state_memory_add_suppression(struct state *st, const char *canonical_addr, const char *reason,
                                  long long created_ms, const char *oci_id);
void state_memory_set_tempfail(struct state *st, int tempfail);

#endif
