/*
 * from.c - edg-milter at end of message: the header From: and the envelope sender
 *
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	void milter_from_decide(const struct milter_msg *msg,
 *	    const struct decide_client *client, struct milter_from_plan *plan);
 *	int milter_from_apply(SMFICTX *ctx, const struct milter_msg *msg,
 *	    const struct milter_from_plan *plan);
 *	void milter_from_plan_free(struct milter_from_plan *plan);
 *
 * DESCRIPTION
 *	milter_from_decide() parses every From: header the message had
 *	(lib/milter_from.c, mailbox_parse_list(): folded values, groups, comments,
 *	encoded words) and
 *	asks decide_header_from() about all their canonical addresses. Too many From:
 *	headers, too many bytes or addresses, or a value that does not parse give
 *	decide_header_from_invalid() (550 5.7.1 naming the reason). The verdict becomes
 *	a plan:
 *
 *	PASS (every address approved): nothing changes in the headers; when the
 *		envelope sender is none of the From: addresses, it becomes the first of
 *		them (OCI wants the envelope sender equal to the header From).
 *	REWRITE: one From: with the display name of the first mailbox (if any)
 *		(sanitised, RFC 2047-encoded when not ASCII, folded with LF as libmilter
 *		wants) and the rule's approved sender; the original mailboxes for Reply-To:
 *		(when the message has none and [milter] reply_to is on) and for
 *		[milter] original_from_header; the envelope sender set to the new From.
 *	REJECT, TEMPFAIL: nothing to change; the caller replies.
 *
 *	milter_from_apply() performs a plan: the first From: is changed (or, with
 *	none, one is inserted at the top), the other From: headers are deleted from the
 *	highest index down, Reply-To: is added, the original_from_header replaced (or
 *	added), and the envelope sender changed with smfi_chgfrom(). Every value it
 *	writes comes from mailbox_format(), so no byte of a peer's header can start a
 *	new header line: CR, LF and NUL never pass.
 *
 * OWNERSHIP
 *	The plan owns from_value and original_value; milter_from_plan_free() frees
 *	them. milter_from_decide() keeps nothing of msg.
 *
 * DIAGNOSTICS
 *	milter_from_apply() returns 0, or -1 (logged with the queue id) when libmilter
 *	refuses a change; the caller then tempfails the message, and the MTA discards
 *	the changes made so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "milter.h"
#include "xalloc.h"

static void
milter_from_plan_rewrite(const struct milter_msg *msg, const struct milter_from_parsed *parsed,
                         struct milter_from_plan *plan)
{
	const char *target = plan->verdict.rewrite_to;
	const char *original = msg->settings->cfg->milter.original_from_header;
	size_t used = strlen(original) + 2;

	if (used < sizeof("Reply-To: ") - 1)
		used = sizeof("Reply-To: ") - 1;
	plan->from_value = mailbox_format(milter_from_display(parsed), target, MAILBOX_FOLD_LF,
	                                  sizeof("From: ") - 1);
	plan->original_value = milter_from_originals(parsed, used);
	if (strcmp(msg->sender, target) != 0) {
		snprintf(plan->envelope, sizeof(plan->envelope), "%s", target);
		plan->set_envelope = 1;
	}
}

/* Every From: address approved: the envelope sender must be one of them. */
static void
milter_from_plan_envelope(const struct milter_msg *msg, const struct milter_from_parsed *parsed,
                          struct milter_from_plan *plan)
{
	const char *envelope = milter_from_envelope(parsed, msg->sender);

	if (envelope != NULL) {
		snprintf(plan->envelope, sizeof(plan->envelope), "%s", envelope);
		plan->set_envelope = 1;
	}
}

void
milter_from_decide(const struct milter_msg *msg, const struct decide_client *client,
                   struct milter_from_plan *plan)
{
	const struct decide_policy *policy = &msg->settings->policy;
	struct milter_from_parsed parsed;
	const char *why = "unparsable";

	memset(plan, 0, sizeof(*plan));
	if (milter_from_parse(msg->from, msg->from_len, msg->from_count, msg->from_bytes, &parsed,
	                      &why) != 0) {
		decide_header_from_invalid(policy, why, &plan->verdict);
	} else {
		plan->addresses = parsed.count;
		decide_header_from(policy, milter_state, client, msg->sender, parsed.address,
		                   parsed.count, &plan->verdict);
		if (plan->verdict.action == VERDICT_REWRITE)
			milter_from_plan_rewrite(msg, &parsed, plan);
		else if (plan->verdict.action == VERDICT_PASS &&
		         plan->verdict.reason == REASON_APPROVED)
			milter_from_plan_envelope(msg, &parsed, plan);
	}
	milter_from_parsed_free(&parsed);
}

void
milter_from_plan_free(struct milter_from_plan *plan)
{
	free(plan->from_value);
	free(plan->original_value);
	plan->from_value = plan->original_value = NULL;
}

static int
milter_from_check(const struct milter_msg *msg, int rc, const char *what, const char *name)
{
	if (rc == MI_SUCCESS)
		return 0;
	log_qid(LOG_WARNING, msg->queue_id, "libmilter refused to %s %s", what, name);
	return -1;
}

/* Set header name (whose count the message had) to one value: change the first, delete
 * the others from the highest index down; add it when there was none. libmilter takes
 * the name as char *: it gets a copy. */
static int
milter_from_set_header(SMFICTX *ctx, const struct milter_msg *msg, const char *name, size_t count,
                       char *value, int insert_at_top)
{
	char header[256];
	int rc;

	snprintf(header, sizeof(header), "%s", name);
	if (count == 0)
		rc = insert_at_top ? smfi_insheader(ctx, 0, header, value)
		                   : smfi_addheader(ctx, header, value);
	else
		rc = smfi_chgheader(ctx, header, 1, value);
	if (milter_from_check(msg, rc, count == 0 ? "add" : "change", name) != 0)
		return -1;
	for (size_t i = count; i >= 2; i--)
		if (milter_from_check(msg, smfi_chgheader(ctx, header, (int)i, NULL), "delete",
		                      name) != 0)
			return -1;
	return 0;
}

static int
milter_from_apply_rewrite(SMFICTX *ctx, const struct milter_msg *msg,
                          const struct milter_from_plan *plan)
{
	const struct edg_config *cfg = msg->settings->cfg;
	const char *original = cfg->milter.original_from_header;

	if (plan->from_value == NULL) {
		log_qid(LOG_WARNING, msg->queue_id, "cannot format From: <%s>",
		        plan->verdict.rewrite_to);
		return -1;
	}
	if (milter_from_set_header(ctx, msg, "From", msg->from_count, plan->from_value, 1) != 0)
		return -1;
	if (plan->original_value == NULL)
		return 0;
	if (cfg->milter.reply_to && !msg->reply_to_seen &&
	    milter_from_set_header(ctx, msg, "Reply-To", 0, plan->original_value, 0) != 0)
		return -1;
	if (*original != '\0' && milter_from_set_header(ctx, msg, original, msg->original_seen,
	                                                plan->original_value, 0) != 0)
		return -1;
	return 0;
}

int
milter_from_apply(SMFICTX *ctx, const struct milter_msg *msg, const struct milter_from_plan *plan)
{
	char path[ADDR_MAX + 2];

	if (plan->verdict.action == VERDICT_REWRITE &&
	    milter_from_apply_rewrite(ctx, msg, plan) != 0)
		return -1;
	if (!plan->set_envelope)
		return 0;
	snprintf(path, sizeof(path), "<%s>", plan->envelope);
	return milter_from_check(msg, smfi_chgfrom(ctx, path, NULL), "change", "envelope sender");
}
