/*
 * state.c - the readers' three-way view of OCI state (see state.h)
 *
 * The front: picks a backend by URL, applies the "@domain" rule once for every
 * backend, and holds the in-memory backend used by tests and by edgctl explain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "state_backend.h"
#include "state_view.h"
#include "strset.h"
#include "xalloc.h"

struct state *
state_open(const struct state_options *opts, char *err, size_t errsize)
{
	struct state *st;
	void *impl;

	if (opts->url != NULL && strcmp(opts->url, "memory:") == 0)
		return state_memory_new();
	if ((impl = state_redis_open(opts, err, errsize)) == NULL)
		return NULL;
	st = xmalloc(sizeof(*st));
	st->backend = &state_redis_backend;
	st->impl = impl;
	return st;
}

struct state *
state_open_config(const struct edg_config *cfg, long max_stale_ms, char *err, size_t errsize)
{
	struct state_options opts = {
	    .url = cfg->redis.url.text,
	    .prefix = cfg->redis.prefix,
	    .connect_timeout_ms = (long)cfg->redis.connect_timeout_ms,
	    .command_timeout_ms = (long)cfg->redis.command_timeout_ms,
	    .max_stale_ms = max_stale_ms,
	};

	return state_open(&opts, err, errsize);
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	st->backend->close(st->impl);
	free(st);
}

enum lookup
state_approved_sender(struct state *st, const char *canonical_addr, char *matched,
                      size_t matched_size)
{
	const char *at = strrchr(canonical_addr, '@');
	enum lookup result;

	if ((result = st->backend->sender(st->impl, canonical_addr)) != LOOKUP_NOTFOUND) {
		if (result == LOOKUP_FOUND && matched != NULL)
			snprintf(matched, matched_size, "%s", canonical_addr);
		return result;
	}
	if (at == NULL || at == canonical_addr || at[1] == '\0')
		return LOOKUP_NOTFOUND;
	if ((result = st->backend->sender(st->impl, at)) == LOOKUP_FOUND && matched != NULL)
		snprintf(matched, matched_size, "%s", at);
	return result;
}

enum lookup
state_suppression(struct state *st, const char *canonical_addr, struct suppression *out, int flags)
{
	struct suppression ignored;

	return st->backend->suppression(st->impl, canonical_addr, out ? out : &ignored, flags);
}

void
state_status(struct state *st, struct state_status *out)
{
	memset(out, 0, sizeof(*out));
	out->age_ms = -1;
	st->backend->status(st->impl, out);
}

int
state_wait_ready(struct state *st, long timeout_ms)
{
	return st->backend->wait_ready(st->impl, timeout_ms);
}

void
state_set_max_stale(struct state *st, long max_stale_ms)
{
	if (st->backend->set_max_stale != NULL && max_stale_ms > 0)
		st->backend->set_max_stale(st->impl, max_stale_ms);
}

/*
 * The in-memory backend: a view plus the full records (a test holds a handful) and a
 * switch that turns every lookup into LOOKUP_TEMPFAIL.
 */
struct state_memory {
	struct state_view *view;
	struct suppression *records;
	char **record_addrs;
	size_t nrecords;
	int tempfail;
};

static enum lookup
state_memory_sender(void *impl, const char *key)
{
	struct state_memory *mem = impl;

	if (mem->tempfail)
		return LOOKUP_TEMPFAIL;
	return state_view_sender_has(mem->view, key) ? LOOKUP_FOUND : LOOKUP_NOTFOUND;
}

static enum lookup
state_memory_suppression(void *impl, const char *addr, struct suppression *out, int flags)
{
	struct state_memory *mem = impl;

	if (mem->tempfail)
		return LOOKUP_TEMPFAIL;
	for (size_t i = mem->nrecords; i-- > 0;) {
		if (strcmp(mem->record_addrs[i], addr) == 0) {
			if (flags & STATE_DETAIL)
				*out = mem->records[i];
			else
				state_view_suppression_get(mem->view, addr, out);
			return LOOKUP_FOUND;
		}
	}
	return LOOKUP_NOTFOUND;
}

static void
state_memory_status(void *impl, struct state_status *out)
{
	struct state_memory *mem = impl;

	out->loaded = out->published = out->connected = !mem->tempfail;
	out->age_ms = 0;
	out->senders = strset_count(mem->view->senders);
	out->suppressions = mem->nrecords;
	out->view_bytes = state_view_bytes(mem->view);
}

static int
state_memory_wait_ready(void *impl, long timeout_ms)
{
	return ((struct state_memory *)impl)->tempfail ? -1 : 0;
}

static void
state_memory_close(void *impl)
{
	struct state_memory *mem = impl;

	for (size_t i = 0; i < mem->nrecords; i++)
		free(mem->record_addrs[i]);
	free(mem->record_addrs);
	free(mem->records);
	state_view_free(mem->view);
	free(mem);
}

static const struct state_backend state_memory_backend = {
    .name = "memory",
    .sender = state_memory_sender,
    .suppression = state_memory_suppression,
    .status = state_memory_status,
    .wait_ready = state_memory_wait_ready,
    .close = state_memory_close,
};

struct state *
state_memory_new(void)
{
	struct state *st = xmalloc(sizeof(*st));
	struct state_memory *mem = xcalloc(1, sizeof(*mem));

	mem->view = state_view_new(0);
	st->backend = &state_memory_backend;
	st->impl = mem;
	return st;
}

void
state_memory_add_sender(struct state *st, const char *canonical_addr)
{
	state_view_sender_put(((struct state_memory *)st->impl)->view, canonical_addr);
}

void
state_memory_add_suppression(struct state *st, const char *canonical_addr, const char *reason,
                             long long created_ms, const char *oci_id)
{
	struct state_memory *mem = st->impl;
	struct suppression *rec;

	mem->records = xrealloc(mem->records, (mem->nrecords + 1) * sizeof(*mem->records));
	mem->record_addrs =
	    xrealloc(mem->record_addrs, (mem->nrecords + 1) * sizeof(*mem->record_addrs));
	rec = &mem->records[mem->nrecords];
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->reason_text, sizeof(rec->reason_text), "%s", reason);
	rec->reason = suppression_reason_parse(reason, strlen(reason));
	rec->created_ms = created_ms;
	snprintf(rec->id, sizeof(rec->id), "%s", oci_id ? oci_id : "");
	mem->record_addrs[mem->nrecords++] = xstrdup(canonical_addr);
	state_view_suppression_put(mem->view, canonical_addr, rec->reason, created_ms);
}

void
state_memory_set_tempfail(struct state *st, int tempfail)
{
	((struct state_memory *)st->impl)->tempfail = tempfail;
}
