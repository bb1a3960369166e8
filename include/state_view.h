/*
 * state_view.h - the in-process copy of published state (internal to lib/state*.c)
 *
 * SYNOPSIS
 *	struct state_view *state_view_new(size_t expected_suppressions);
 *	void state_view_free(struct state_view *view);
 *	void state_view_sender_put(struct state_view *view, const char *key);
 *	void state_view_sender_del(struct state_view *view, const char *key);
 *	int  state_view_sender_has(const struct state_view *view, const char *key);
 *	void state_view_suppression_put(struct state_view *view, const char *addr,
 *	    enum suppression_reason reason, long long created_ms);
 *	void state_view_suppression_del(struct state_view *view, const char *addr);
 *	int  state_view_suppression_get(const struct state_view *view, const char *addr,
 *	    struct suppression *out);
 *
 *	int  state_record_parse(const char *value, size_t len, struct suppression *out);
 *	int  state_record_format(const struct suppression *sup, char *buf, size_t size);
 *
 * DESCRIPTION
 *	A view holds approved senders as strings (exact addresses and "@domain" entries)
 *	and suppressions as keyed 64-bit hashes with reason and day (suptab.h), so ten
 *	million suppressions cost about 150 MB. state_view_suppression_get() fills reason,
 *	reason_text and created_ms (at day precision) and leaves id empty.
 *
 *	A suppression record as stored in Redis is "REASON TIMECREATED ID" (see
 *	docs/redis-schema.md). state_record_parse() is pure and bounded: 0 on success,
 *	-1 on a malformed value; state_record_format() returns -1 when buf is too small.
 *	Not thread-safe: the owner locks.
 */
#ifndef EDG_STATE_VIEW_H
#define EDG_STATE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct state_view {
	struct strset *senders;
	struct suptab *suppressions;
	uint8_t key[16];
	unsigned long long generation;
	unsigned long long sequence;
};

struct state_view *state_view_new(size_t expected_suppressions);
void state_view_free(struct state_view *view);
void state_view_sender_put(struct state_view *view, const char *key);
void state_view_sender_del(struct state_view *view, const char *key);
int state_view_sender_has(const struct state_view *view, const char *key);
void state_view_suppression_put(struct state_view *view, const char *addr,
                                enum suppression_reason reason, long long created_ms);
void state_view_suppression_del(struct state_view *view, const char *addr);
int state_view_suppression_get(const struct state_view *view, const char *addr,
                               struct suppression *out);
size_t state_view_bytes(const struct state_view *view);

#define STATE_RECORD_MAX 512
int state_record_parse(const char *value, size_t len, struct suppression *out);
int state_record_format(const struct suppression *sup, char *buf, size_t size);

#endif
