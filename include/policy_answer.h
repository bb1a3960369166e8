/*
 * policy_answer.h - one policy request in, one Postfix policy reply out
 *
 * SYNOPSIS
 *	void policy_answer(const struct decide_policy *policy, struct state *st,
 *	    const struct policy_request *req, struct policy_answer *out);
 *	void policy_answer_guarded(const struct decide_policy *policy, struct state *st,
 *	    const struct policy_guard *guard, const struct policy_request *req,
 *	    struct policy_answer *out);
 *
 * DESCRIPTION
 *	Translates decide.h verdicts into the policy protocol (SMTPD_POLICY_README):
 *
 *	request other than smtpd_access_policy     action=DUNNO (logged as unexpected)
 *	protocol_state RCPT                        the envelope sender, the recipient
 *	                                           allow-list, the suppressions, then
 *	                                           the rate limits
 *	protocol_state MAIL                        the envelope sender only
 *	any other protocol_state (DATA, VRFY...)   action=DUNNO
 *	an address Postfix passed but edg cannot canonicalise: action=DUNNO (OCI will
 *	answer 553 and Postfix bounce it: the sender learns, nothing is silent)
 *
 *	A refusal is "action=550 5.7.1 <text>" (or 5.1.1, or 451 4.3.0); in monitor mode
 *	"action=WARN <code> <dsn> <text>", which Postfix logs and lets pass; anything
 *	else "action=DUNNO". Never an empty action or a bare number (Postfix would take
 *	both as OK). The reply ends with the empty line and holds no other CR or LF.
 *
 *	A recipient off the allow-list with [guard] redirect_to set is answered
 *	"action=REDIRECT <address>" (its suppression is not looked up: it does not get
 *	the mail). In monitor mode a would-be redirect is "action=WARN <text>".
 *
 *	Rate limits: policy_answer_guarded() calls guard->count once per RCPT whose
 *	answer would let the recipient through (DUNNO, REDIRECT or a monitor-mode WARN),
 *	so that each recipient handed on counts one, as OCI counts; a refused one is
 *	never counted. guard->count returns the outcome and, for GUARD_OVER, the limit
 *	and identity; decide_guard_limit() makes the verdict. policy_answer() is
 *	policy_answer_guarded() without limits (guard NULL).
 *
 *	out->verdict is the deciding verdict (for the log line and the counters); out->
 *	refused is set when out->reply refuses or would refuse.
 */
#ifndef EDG_POLICY_ANSWER_H
#define EDG_POLICY_ANSWER_H

#include "addr.h"
#include "decide.h"
#include "policy_proto.h"

struct policy_answer {
	char reply[DECIDE_TEXT_MAX + ADDR_MAX + 64];
	struct verdict verdict;
	int refused;
	int unexpected;    /* not a request edg knows how to judge */
	const char *stage; /* "RCPT", "MAIL", or the state as sent */
	char sender[ADDR_MAX];
	char recipient[ADDR_MAX];
};

/* Counts one recipient against the applicable limits (policyd: lib/guard_redis.c). */
struct policy_guard {
	enum guard_outcome (*count)(void *arg, const struct guard_who *who,
	                            const struct config_limit **limit, const char **id);
	void *arg;
};

void policy_answer(const struct decide_policy *policy, struct state *st,
                   const struct policy_request *req, struct policy_answer *out);
void policy_answer_guarded(const struct decide_policy *policy, struct state *st,
                           const struct policy_guard *guard, const struct policy_request *req,
                           struct policy_answer *out);

#endif
