/*
 * milter_from.h - the From: headers of one message: parsed together, rebuilt
 *
 * SYNOPSIS
 *	#include "milter_from.h"
 *
 *	int milter_from_parse(char *const *values, const size_t *lengths, size_t count,
 *	    size_t total_bytes, struct milter_from_parsed *out, const char **why);
 *	void milter_from_parsed_free(struct milter_from_parsed *parsed);
 *	const char *milter_from_display(const struct milter_from_parsed *parsed);
 *	char *milter_from_originals(const struct milter_from_parsed *parsed, size_t used);
 *	const char *milter_from_envelope(const struct milter_from_parsed *parsed,
 *	    const char *sender);
 *
 * DESCRIPTION
 *	The pure part of edg-milter's end of message (milter/from.c does the deciding
 *	and the libmilter calls).
 *
 *	milter_from_parse() parses count From: header values (lengths[i] bytes each,
 *	count headers seen, of total_bytes together; values beyond MILTER_FROM_HEADERS_MAX
 *	need not be present) with mailbox_parse_list(), and lists every mailbox of all of
 *	them in order: out->mailbox[i], and out->address[i] its canonical address.
 *	Refused, with *why: more than MILTER_FROM_HEADERS_MAX headers, more than
 *	MILTER_FROM_BYTES_MAX bytes, more than MAILBOX_LIST_MAX addresses together, or a
 *	value mailbox_parse_list() refuses (its reason).
 *
 *	milter_from_display() is the display name a rewritten From: keeps: the first
 *	mailbox's ("" when it has none, or there is no mailbox). Another mailbox's name
 *	would put words in its mouth.
 *
 *	milter_from_originals() rebuilds every mailbox as one address-list value for
 *	Reply-To: and X-Original-From: (mailbox_format(), folded with LF, mailboxes
 *	separated by ",\n\t"); used is what "Header-Name: " takes of the first line.
 *	NULL when there is no mailbox.
 *
 *	milter_from_envelope() is what the envelope sender must become when every From:
 *	address is approved: NULL when sender is one of them (or there is none), else the
 *	first address.
 *
 * OWNERSHIP
 *	out points into itself: free it with milter_from_parsed_free() (also after a
 *	failure). milter_from_originals() returns a string the caller frees.
 */
#ifndef EDG_MILTER_FROM_H
#define EDG_MILTER_FROM_H

#include <stddef.h>

#include "mailbox.h"

#define MILTER_FROM_HEADERS_MAX 16     /* From: headers kept; more is a refusal */
#define MILTER_FROM_BYTES_MAX   131072 /* their total size; more is a refusal */

struct milter_from_parsed {
	struct mailbox_list lists[MILTER_FROM_HEADERS_MAX];
	size_t header_count;
	const struct mailbox *mailbox[MAILBOX_LIST_MAX];
	const char *address[MAILBOX_LIST_MAX];
	size_t count;
};

int milter_from_parse(char *const *values, const size_t *lengths, size_t count, size_t total_bytes,
                      struct milter_from_parsed *out, const char **why);
void milter_from_parsed_free(struct milter_from_parsed *parsed);
const char *milter_from_display(const struct milter_from_parsed *parsed);
char *milter_from_originals(const struct milter_from_parsed *parsed, size_t used);
const char *milter_from_envelope(const struct milter_from_parsed *parsed, const char *sender);

#endif
