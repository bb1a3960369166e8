/*
 * state_view.c - the in-process copy of published state (see state_view.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "siphash.h"
#include "state_view.h"
#include "strset.h"
#include "suptab.h"
#include "timefmt.h"
#include "xalloc.h"

#define DAY_MS (86400LL * 1000)

static const char *const suppression_reasons[] = {
    [SUPPRESSION_UNKNOWN] = "UNKNOWN",       [SUPPRESSION_HARDBOUNCE] = "HARDBOUNCE",
    [SUPPRESSION_COMPLAINT] = "COMPLAINT",   [SUPPRESSION_MANUAL] = "MANUAL",
    [SUPPRESSION_SOFTBOUNCE] = "SOFTBOUNCE", [SUPPRESSION_UNSUBSCRIBE] = "UNSUBSCRIBE",
    [SUPPRESSION_OTHER] = "OTHER",
};

const char *
suppression_reason_name(enum suppression_reason reason)
{
	if ((unsigned)reason >= sizeof(suppression_reasons) / sizeof(suppression_reasons[0]))
		return "OTHER";
	return suppression_reasons[reason];
}

enum suppression_reason
suppression_reason_parse(const char *name, size_t len)
{
	for (int r = SUPPRESSION_UNKNOWN; r < SUPPRESSION_OTHER; r++)
		if (strlen(suppression_reasons[r]) == len &&
		    strncasecmp(suppression_reasons[r], name, len) == 0)
			return (enum suppression_reason)r;
	return SUPPRESSION_OTHER;
}

struct state_view *
state_view_new(size_t expected_suppressions)
{
	struct state_view *view = xcalloc(1, sizeof(*view));

	view->senders = strset_new();
	view->suppressions = suptab_new(expected_suppressions);
	if (getrandom(view->key, sizeof(view->key), 0) != sizeof(view->key))
		memset(view->key, 0xa5, sizeof(view->key));
	return view;
}

void
state_view_free(struct state_view *view)
{
	if (view == NULL)
		return;
	strset_free(view->senders);
	suptab_free(view->suppressions);
	free(view);
}

void
state_view_sender_put(struct state_view *view, const char *key)
{
	strset_add(view->senders, key);
}

void
state_view_sender_del(struct state_view *view, const char *key)
{
	strset_del(view->senders, key);
}

int
state_view_sender_has(const struct state_view *view, const char *key)
{
	return strset_has(view->senders, key);
}

/* Metadata: reason in the low 4 bits, days since the epoch above. */
void
state_view_suppression_put(struct state_view *view, const char *addr,
                           enum suppression_reason reason, long long created_ms)
{
	uint32_t days = created_ms > 0 ? (uint32_t)(created_ms / DAY_MS) : 0;

	suptab_put(view->suppressions, siphash24(view->key, addr, strlen(addr)),
	           (days << 4) | ((uint32_t)reason & 0xf));
}

void
state_view_suppression_del(struct state_view *view, const char *addr)
{
	suptab_del(view->suppressions, siphash24(view->key, addr, strlen(addr)));
}

int
state_view_suppression_get(const struct state_view *view, const char *addr, struct suppression *out)
{
	uint32_t meta;

	if (!suptab_get(view->suppressions, siphash24(view->key, addr, strlen(addr)), &meta))
		return 0;
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->reason = (enum suppression_reason)(meta & 0xf);
		snprintf(out->reason_text, sizeof(out->reason_text), "%s",
		         suppression_reason_name(out->reason));
		out->created_ms = (long long)(meta >> 4) * DAY_MS;
	}
	return 1;
}

size_t
state_view_bytes(const struct state_view *view)
{
	return suptab_bytes(view->suppressions) + strset_count(view->senders) * 96;
}

/* A record field: printable ASCII without spaces, at most max-1 bytes. */
static int
state_record_field(const char **p, const char *end, char *out, size_t max)
{
	size_t n = 0;

	while (*p < end && **p != ' ') {
		if (**p <= ' ' || **p > '~' || n + 1 >= max)
			return -1;
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	return n == 0 ? -1 : 0;
}

int
state_record_parse(const char *value, size_t len, struct suppression *out)
{
	const char *p = value, *end = value + len;
	char when[TIMEFMT_SIZE + 8];

	memset(out, 0, sizeof(*out));
	if (len > STATE_RECORD_MAX ||
	    state_record_field(&p, end, out->reason_text, sizeof(out->reason_text)) || p++ == end ||
	    state_record_field(&p, end, when, sizeof(when)) || p++ == end ||
	    state_record_field(&p, end, out->id, sizeof(out->id)) || p != end)
		return -1;
	if (timefmt_parse_rfc3339(when, strlen(when), &out->created_ms))
		return -1;
	out->reason = suppression_reason_parse(out->reason_text, strlen(out->reason_text));
	return 0;
}

int
state_record_format(const struct suppression *sup, char *buf, size_t size)
{
	char when[TIMEFMT_SIZE];
	int n;

	timefmt_rfc3339(sup->created_ms, when, sizeof(when));
	n = snprintf(buf, size, "%s %s %s", sup->reason_text[0] ? sup->reason_text : "UNKNOWN",
	             when, sup->id[0] ? sup->id : "-");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
