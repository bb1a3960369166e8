/*
 * apply.c - one OCI listing applied to Redis: as a diff, or as a new generation
 *
 * DESCRIPTION
 *	A listing arrives page by page (key, value pairs: canonical address and the
 *	schema's record). For each page the current values are read with one HMGET, each
 *	key is remembered in a "seen" set (64-bit keyed hashes: 8 bytes an entry), and:
 *
 *	APPLY_DIFF	a key that is new or whose value changed is queued as a change;
 *			after a complete listing (and only then) the keys of Redis that
 *			were not seen are queued as deletions (unless the listing is
 *			incremental) and everything is committed. Over APPLY_DIFF_MAX
 *			changes the diff gives up (overflow) and the caller rewrites a
 *			whole generation instead, which readers take atomically.
 *	APPLY_GEN	every pair goes into the new generation; the changes found the
 *			same way only feed the audit trail.
 *
 *	Either way nothing is published before the listing is complete: a failed pull
 *	leaves Redis as it was, and its audit lines are discarded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "siphash.h"
#include "suptab.h"
#include "syncd.h"
#include "syncd_apply.h"
#include "timefmt.h"
#include "xalloc.h"

static const char *const apply_kind_name[] = {
    [STATE_KIND_SENDER] = "sender",
    [STATE_KIND_DOMAIN] = "domain",
    [STATE_KIND_SUPPRESSION] = "suppression",
};

void
apply_init(struct apply *a, struct syncd *sd, enum state_kind kind, enum apply_mode mode)
{
	memset(a, 0, sizeof(*a));
	a->sd = sd;
	a->kind = kind;
	a->mode = mode;
	a->seen = suptab_new(0);
	if (getrandom(a->key, sizeof(a->key), 0) != sizeof(a->key))
		memset(a->key, 0x3c, sizeof(a->key));
}

void
apply_release(struct apply *a)
{
	if (a->sd->progress && a->items > 0)
		fputc('\n', stderr);
	suptab_free(a->seen);
	a->seen = NULL;
}

/* The reason and OCI id of a record, for the audit line ("" when not a suppression). */
static void
apply_audit(struct apply *a, const char *op, const char *key, const char *value)
{
	char reason[64] = "", id[256] = "";

	if (value != NULL && a->kind == STATE_KIND_SUPPRESSION)
		sscanf(value, "%63s %*s %255s", reason, id);
	else if (value != NULL)
		sscanf(value, "%255s", id);
	audit_spool(a->sd->audit, apply_kind_name[a->kind], op, key, reason[0] ? reason : NULL,
	            id[0] ? id : NULL);
	if (a->sd->dry_run)
		printf("%s %s %s%s%s\n", op, apply_kind_name[a->kind], key, reason[0] ? " " : "",
		       reason);
}

static int
apply_one(struct apply *a, const char *key, const char *value, const char *current)
{
	const char *op = current == NULL ? "added" : strcmp(current, value) != 0 ? "changed" : NULL;
	char err[256];

	suptab_put(a->seen, siphash24(a->key, key, strlen(key)), 0);
	a->items++;
	if (op != NULL) {
		apply_audit(a, op, key, value);
		*(current == NULL ? &a->added : &a->changed) += 1;
	}
	if (a->mode == APPLY_GEN) {
		if (a->sd->dry_run ||
		    state_writer_gen_put(a->sd->writer, a->kind, key, value, err, sizeof(err)) == 0)
			return 0;
		snprintf(a->err, sizeof(a->err), "%s", err);
		return -1;
	}
	if (op != NULL) {
		if (a->added + a->changed > APPLY_DIFF_MAX) {
			a->overflow = 1;
			return -1;
		}
		state_writer_set(a->sd->writer, a->kind, key, value);
	}
	return 0;
}

int
apply_page(struct apply *a, const char *const *keys, const char *const *values, size_t count)
{
	char **current = xcalloc(count ? count : 1, sizeof(*current));
	int rc = 0;

	if (state_writer_hmget(a->sd->writer, a->kind, keys, count, current, a->err,
	                       sizeof(a->err)) != 0)
		rc = -1;
	for (size_t i = 0; i < count && rc == 0; i++)
		rc = apply_one(a, keys[i], values[i], current[i]);
	for (size_t i = 0; i < count; i++)
		free(current[i]);
	free(current);
	if (a->sd->progress)
		fprintf(stderr, "\r%s: %zu listed, %zu added, %zu changed ",
		        apply_kind_name[a->kind], a->items, a->added, a->changed);
	if (rc == 0 && a->sd->stop) {
		snprintf(a->err, sizeof(a->err), "stopping");
		rc = -1;
	}
	if (rc == 0 && syncd_lease(a->sd) != 1) {
		snprintf(a->err, sizeof(a->err), "lost the puller's lease during the pull");
		rc = -1;
	}
	return rc;
}

static int
apply_unseen(const char *key, const char *value, void *arg)
{
	struct apply *a = arg;

	if (suptab_get(a->seen, siphash24(a->key, key, strlen(key)), NULL))
		return 0;
	apply_audit(a, "removed", key, value);
	a->removed++;
	if (a->mode == APPLY_DIFF) {
		if (a->added + a->changed + a->removed > APPLY_DIFF_MAX) {
			a->overflow = 1;
			return 1;
		}
		state_writer_del(a->sd->writer, a->kind, key);
	}
	return 0;
}

int
apply_deletions(struct apply *a)
{
	if (state_writer_scan(a->sd->writer, a->kind, apply_unseen, a, a->err, sizeof(a->err)) != 0)
		return -1;
	return a->overflow ? -1 : 0;
}
