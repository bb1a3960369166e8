/*
 * syncd_apply.h - one OCI listing applied to Redis (syncd/apply.c)
 *
 *	apply_init()      start: a diff of the published generation, or a new generation
 *	apply_page()      a page of (key, value) pairs; -1 stops the listing (a->err, or
 *	                  a->overflow when the diff grew past APPLY_DIFF_MAX)
 *	apply_deletions() after a complete full listing: what Redis has and OCI no longer
 *	apply_release()
 */
#ifndef EDG_SYNCD_APPLY_H
#define EDG_SYNCD_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "state_writer.h"

#define APPLY_DIFF_MAX 50000

enum apply_mode { APPLY_DIFF, APPLY_GEN };

struct syncd;

struct apply {
	struct syncd *sd;
	enum state_kind kind;
	enum apply_mode mode;
	struct suptab *seen;
	uint8_t key[16];
	size_t items, added, changed, removed;
	int overflow;
	char err[512];
};

void apply_init(struct apply *a, struct syncd *sd, enum state_kind kind, enum apply_mode mode);
void apply_release(struct apply *a);
int apply_page(struct apply *a, const char *const *keys, const char *const *values, size_t count);
int apply_deletions(struct apply *a);

#endif
