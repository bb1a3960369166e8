/*
 * decide.c - the decisions, once, for edg-policyd and edg-milter alike (see decide.h)
 *
 * Every refusal's code, enhanced status code and text come from decide_replies[]; the
 * daemons only translate. Bindings follow Postfix's reject_sender_login_mismatch: a
 * sender named in any binding may be used only by the SASL logins and client networks
 * bound to it; a sender named in no binding is unrestricted.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "decide.h"
#include "timefmt.h"

static const struct {
	const char *name;
	const char *code;
	const char *dsn;
} decide_replies[REASON_COUNT] = {
    [REASON_NONE] = {"none", NULL, NULL},
    [REASON_APPROVED] = {"approved", NULL, NULL},
    [REASON_NULL_SENDER] = {"null-sender", NULL, NULL},
    [REASON_REWRITE] = {"rewrite", NULL, NULL},
    [REASON_SENDER_NOT_APPROVED] = {"sender-not-approved", "550", "5.7.1"},
    [REASON_SENDER_NOT_BOUND] = {"sender-not-bound", "550", "5.7.1"},
    [REASON_REWRITE_NOT_APPROVED] = {"rewrite-target-not-approved", "550", "5.7.1"},
    [REASON_FROM_NOT_APPROVED] = {"from-not-approved", "550", "5.7.1"},
    [REASON_NO_FROM] = {"no-from", "550", "5.7.1"},
    [REASON_FROM_INVALID] = {"from-invalid", "550", "5.7.1"},
    [REASON_RCPT_SUPPRESSED] = {"recipient-suppressed", "550", "5.1.1"},
    [REASON_STATE_UNAVAILABLE] = {"state-unavailable", "451", "4.3.0"},
    [REASON_GUARD_NOT_ALLOWED] = {"guard-not-allowed", "550", "5.7.1"},
    [REASON_GUARD_REDIRECT] = {"guard-redirect", NULL, NULL},
    [REASON_GUARD_LIMIT] = {"guard-limit", "451", "4.7.1"},
    [REASON_GUARD_LIMIT_ERROR] = {"guard-limit-unavailable", "451", "4.7.1"},
};

const char *
decide_reason_name(enum verdict_reason reason)
{
	return (unsigned)reason < REASON_COUNT ? decide_replies[reason].name : "unknown";
}

void
decide_policy_from_config(struct decide_policy *policy, const struct edg_config *cfg,
                          const struct config_daemon *daemon)
{
	policy->mode = daemon->mode;
	policy->on_state_error = daemon->on_state_error;
	policy->region = cfg->oci.region;
	policy->rewrite = &cfg->rewrite;
	policy->bindings = &cfg->bindings.list;
	policy->bindings_enforce = cfg->bindings.enforce;
	policy->default_sender = cfg->milter.default_sender;
	policy->allow_recipients = &cfg->guard.allow_recipients;
	policy->redirect_to = cfg->guard.redirect_to;
	policy->limits = &cfg->guard.limits;
	policy->on_limit_error = cfg->guard.on_limit_error;
	policy->suppressed_replies = &daemon->suppressed_replies;
}

/* Make out a verdict; text is printf-formatted, control characters become '?'. */
__attribute__((format(printf, 4, 5))) static void
decide_set(struct verdict *out, enum verdict_action action, enum verdict_reason reason,
           const char *fmt, ...)
{
	va_list ap;

	out->action = action;
	out->reason = reason;
	out->code = decide_replies[reason].code;
	out->dsn = decide_replies[reason].dsn;
	if (strchr(fmt, '%') == NULL) { /* a constant text (most passes): no formatting */
		size_t n = strnlen(fmt, sizeof(out->text) - 1);

		memcpy(out->text, fmt, n);
		out->text[n] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(out->text, sizeof(out->text), fmt, ap);
	va_end(ap);
	for (char *p = out->text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Every field a verdict is read by; not a memset of the whole (it runs per RCPT). */
static void
decide_clear(struct verdict *out)
{
	out->action = VERDICT_PASS;
	out->reason = REASON_NONE;
	out->would_refuse = 0;
	out->code = out->dsn = NULL;
	out->text[0] = '\0';
	out->rewrite_to[0] = '\0';
	memset(&out->suppression, 0, sizeof(out->suppression));
}

/* " (region R)" or "" */
static const char *
decide_region(const struct decide_policy *policy, char *buf, size_t size)
{
	if (policy->region == NULL || *policy->region == '\0')
		return "";
	snprintf(buf, size, " (region %s)", policy->region);
	return buf;
}

static void
decide_state_error(const struct decide_policy *policy, struct verdict *out)
{
	if (policy->on_state_error == CONFIG_ON_ERROR_ACCEPT) {
		decide_set(out, VERDICT_PASS, REASON_STATE_UNAVAILABLE,
		           "OCI state unavailable, accepted (on_state_error = accept)");
		out->code = out->dsn = NULL;
	} else {
		decide_set(out, VERDICT_TEMPFAIL, REASON_STATE_UNAVAILABLE,
		           "sender and recipient checks temporarily unavailable, try again later");
	}
}

/* Monitor mode: nothing is refused, but the would-be refusal is kept for the log. */
static void
decide_finish(const struct decide_policy *policy, struct verdict *out)
{
	if (policy->mode == CONFIG_MODE_MONITOR &&
	    (out->action == VERDICT_REJECT || out->action == VERDICT_TEMPFAIL ||
	     out->action == VERDICT_REDIRECT)) {
		out->would_refuse = 1;
		out->action = VERDICT_PASS;
	}
}

static int
decide_address_matches(enum config_pattern_kind kind, const char *pattern, const char *addr)
{
	const char *domain;

	switch (kind) {
	case CONFIG_PATTERN_ANY:
		return *addr != '\0';
	case CONFIG_PATTERN_ADDRESS:
		return strcmp(pattern, addr) == 0;
	case CONFIG_PATTERN_DOMAIN:
		domain = strrchr(addr, '@');
		return domain != NULL && strcmp(domain, pattern) == 0;
	default:
		return 0;
	}
}

static int
decide_client_in(const struct decide_client *client, const struct config_cidr *cidr)
{
	return client != NULL && client->family != 0 &&
	       config_cidr_match(cidr, client->family, client->addr);
}

static int
decide_login_is(const struct decide_client *client, const char *login)
{
	return client != NULL && client->sasl_login != NULL && *client->sasl_login != '\0' &&
	       strcmp(client->sasl_login, login) == 0;
}

static int
decide_rule_matches(const struct config_rewrite_rule *rule, const struct decide_client *client,
                    const char *envelope_sender, const char *header_from, int include_header_rules)
{
	switch (rule->source) {
	case CONFIG_REWRITE_ENVELOPE:
		return decide_address_matches(rule->kind, rule->pattern, envelope_sender);
	case CONFIG_REWRITE_HEADER:
		return include_header_rules && header_from != NULL &&
		       decide_address_matches(rule->kind, rule->pattern, header_from);
	case CONFIG_REWRITE_SASL:
		if (rule->kind == CONFIG_PATTERN_ANY)
			return client != NULL && client->sasl_login != NULL &&
			       *client->sasl_login != '\0';
		return decide_login_is(client, rule->pattern);
	case CONFIG_REWRITE_CLIENT:
		return rule->kind == CONFIG_PATTERN_ANY || decide_client_in(client, &rule->cidr);
	}
	return 0;
}

const char *
decide_rewrite_target(const struct decide_policy *policy, const struct decide_client *client,
                      const char *envelope_sender, const char *header_from,
                      int include_header_rules)
{
	if (policy->rewrite != NULL) {
		for (size_t i = 0; i < policy->rewrite->count; i++) {
			const struct config_rewrite_rule *rule = &policy->rewrite->rules[i];

			if (decide_rule_matches(rule, client, envelope_sender, header_from,
			                        include_header_rules))
				return rule->sender;
		}
	}
	if (policy->default_sender != NULL && *policy->default_sender != '\0')
		return policy->default_sender;
	return NULL;
}

/* Bindings: 1 when client may use sender. */
static int
decide_bound(const struct decide_policy *policy, const struct decide_client *client,
             const char *sender)
{
	int named = 0;

	if (!policy->bindings_enforce || policy->bindings == NULL)
		return 1;
	for (size_t i = 0; i < policy->bindings->count; i++) {
		const struct config_binding *bind = &policy->bindings->binds[i];
		int lists_sender = 0;

		for (size_t j = 0; j < bind->senders.count && !lists_sender; j++) {
			const char *entry = bind->senders.items[j];

			lists_sender = decide_address_matches(
			    entry[0] == '@' ? CONFIG_PATTERN_DOMAIN : CONFIG_PATTERN_ADDRESS, entry,
			    sender);
		}
		if (!lists_sender)
			continue;
		named = 1;
		if (bind->kind == CONFIG_BIND_SASL ? decide_login_is(client, bind->login)
		                                   : decide_client_in(client, &bind->cidr))
			return 1;
	}
	return !named;
}

static const char *
decide_client_name(const struct decide_client *client)
{
	if (client != NULL && client->sasl_login != NULL && *client->sasl_login != '\0')
		return "this SASL login";
	return "this client";
}

/* The target of a rewrite must itself be approved. */
static void
decide_rewrite_to(const struct decide_policy *policy, struct state *st, const char *target,
                  enum verdict_action action, struct verdict *out)
{
	char region[96];

	switch (state_approved_sender(st, target, NULL, 0)) {
	case LOOKUP_FOUND:
		decide_set(out, action, REASON_REWRITE, "rewritten to <%s>", target);
		snprintf(out->rewrite_to, sizeof(out->rewrite_to), "%s", target);
		break;
	case LOOKUP_NOTFOUND:
		decide_set(out, VERDICT_REJECT, REASON_REWRITE_NOT_APPROVED,
		           "rewrite target <%s> is not an approved sender in OCI Email Delivery%s",
		           target, decide_region(policy, region, sizeof(region)));
		break;
	case LOOKUP_TEMPFAIL:
		decide_state_error(policy, out);
		break;
	}
}

void
decide_sender(const struct decide_policy *policy, struct state *st,
              const struct decide_client *client, const char *envelope_sender, struct verdict *out)
{
	char region[96];
	const char *target;

	decide_clear(out);
	if (*envelope_sender == '\0') {
		decide_set(out, VERDICT_PASS, REASON_NULL_SENDER, "null sender");
	} else {
		switch (state_approved_sender(st, envelope_sender, NULL, 0)) {
		case LOOKUP_FOUND:
			if (decide_bound(policy, client, envelope_sender))
				decide_set(out, VERDICT_PASS, REASON_APPROVED, "approved sender");
			else
				decide_set(out, VERDICT_REJECT, REASON_SENDER_NOT_BOUND,
				           "<%s> is an approved sender, but not for %s",
				           envelope_sender, decide_client_name(client));
			break;
		case LOOKUP_NOTFOUND:
			target = decide_rewrite_target(policy, client, envelope_sender, NULL, 0);
			if (target != NULL)
				decide_rewrite_to(policy, st, target, VERDICT_PASS, out);
			else
				decide_set(out, VERDICT_REJECT, REASON_SENDER_NOT_APPROVED,
				           "<%s> is not an approved sender in OCI Email Delivery%s",
				           envelope_sender,
				           decide_region(policy, region, sizeof(region)));
			break;
		case LOOKUP_TEMPFAIL:
			decide_state_error(policy, out);
			break;
		}
	}
	decide_finish(policy, out);
}

/* The configured reply for a suppression reason: its own line, else "*", else none. */
static const struct config_reply *
decide_suppressed_reply(const struct decide_policy *policy, const char *reason)
{
	const struct config_reply *wildcard = NULL, *own = NULL;

	if (policy->suppressed_replies == NULL)
		return NULL;
	for (size_t i = 0; i < policy->suppressed_replies->count; i++) {
		const struct config_reply *r = &policy->suppressed_replies->replies[i];

		if (strcmp(r->reason, "*") == 0)
			wildcard = r;
		else if (strcasecmp(r->reason, reason) == 0)
			own = r;
	}
	return own != NULL ? own : wildcard;
}

void
decide_recipient(const struct decide_policy *policy, struct state *st, const char *recipient,
                 struct verdict *out)
{
	const struct config_reply *reply;
	char day[TIMEFMT_SIZE];

	decide_clear(out);
	switch (state_suppression(st, recipient, &out->suppression, 0)) {
	case LOOKUP_FOUND:
		timefmt_date(out->suppression.created_ms, day, sizeof(day));
		decide_set(out, VERDICT_REJECT, REASON_RCPT_SUPPRESSED,
		           "<%s> is suppressed by OCI Email Delivery (%s since %s); mail to it "
		           "would be dropped without a bounce",
		           recipient, out->suppression.reason_text, day);
		if ((reply = decide_suppressed_reply(policy, out->suppression.reason_text)) !=
		    NULL) {
			out->code = reply->code;
			out->dsn = reply->dsn;
			if (*reply->code == '4')
				out->action = VERDICT_TEMPFAIL;
		}
		break;
	case LOOKUP_NOTFOUND:
		decide_set(out, VERDICT_PASS, REASON_NONE, "not suppressed");
		break;
	case LOOKUP_TEMPFAIL:
		decide_state_error(policy, out);
		break;
	}
	decide_finish(policy, out);
}

/* A message without From: gets one: the envelope sender if approved, else a rule's. */
static void
decide_missing_from(const struct decide_policy *policy, struct state *st,
                    const struct decide_client *client, const char *envelope_sender,
                    struct verdict *out)
{
	const char *target = NULL;

	switch (*envelope_sender ? state_approved_sender(st, envelope_sender, NULL, 0)
	                         : LOOKUP_NOTFOUND) {
	case LOOKUP_FOUND:
		target = envelope_sender;
		break;
	case LOOKUP_NOTFOUND:
		target = decide_rewrite_target(policy, client, envelope_sender, NULL, 1);
		break;
	case LOOKUP_TEMPFAIL:
		decide_state_error(policy, out);
		return;
	}
	if (target != NULL)
		decide_rewrite_to(policy, st, target, VERDICT_REWRITE, out);
	else
		decide_set(out, VERDICT_REJECT, REASON_NO_FROM,
		           "message has no From: header and no approved sender to give it");
}

void
decide_header_from(const struct decide_policy *policy, struct state *st,
                   const struct decide_client *client, const char *envelope_sender,
                   const char *const *header_from, size_t count, struct verdict *out)
{
	const char *unapproved = NULL, *target;
	char region[96];

	decide_clear(out);
	if (count == 0) {
		decide_missing_from(policy, st, client, envelope_sender, out);
		decide_finish(policy, out);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		enum lookup result = state_approved_sender(st, header_from[i], NULL, 0);

		if (result == LOOKUP_TEMPFAIL) {
			decide_state_error(policy, out);
			decide_finish(policy, out);
			return;
		}
		if (result == LOOKUP_NOTFOUND && unapproved == NULL)
			unapproved = header_from[i];
	}
	if (unapproved == NULL && !decide_bound(policy, client, header_from[0]))
		decide_set(out, VERDICT_REJECT, REASON_SENDER_NOT_BOUND,
		           "From: <%s> is an approved sender, but not for %s", header_from[0],
		           decide_client_name(client));
	else if (unapproved == NULL)
		decide_set(out, VERDICT_PASS, REASON_APPROVED, "approved From:");
	else if ((target = decide_rewrite_target(policy, client, envelope_sender, unapproved, 1)) !=
	         NULL)
		decide_rewrite_to(policy, st, target, VERDICT_REWRITE, out);
	else
		decide_set(out, VERDICT_REJECT, REASON_FROM_NOT_APPROVED,
		           "From: <%s> is not an approved sender in OCI Email Delivery%s",
		           unapproved, decide_region(policy, region, sizeof(region)));
	decide_finish(policy, out);
}

void
decide_header_from_invalid(const struct decide_policy *policy, const char *why, struct verdict *out)
{
	decide_clear(out);
	decide_set(out, VERDICT_REJECT, REASON_FROM_INVALID,
	           "From: header cannot be parsed (%s); OCI Email Delivery would refuse this "
	           "message",
	           why);
	decide_finish(policy, out);
}

void
decide_guard_recipient(const struct decide_policy *policy, const char *recipient,
                       struct verdict *out)
{
	decide_clear(out);
	if (guard_recipient_allowed(policy->allow_recipients, recipient))
		decide_set(out, VERDICT_PASS, REASON_NONE, "allowed recipient");
	else if (policy->redirect_to != NULL && *policy->redirect_to != '\0') {
		decide_set(out, VERDICT_REDIRECT, REASON_GUARD_REDIRECT,
		           "<%s> is not on this gateway's recipient allow-list (edg guard): "
		           "message %s to <%s>",
		           recipient,
		           policy->mode == CONFIG_MODE_MONITOR ? "would be redirected"
		                                               : "redirected",
		           policy->redirect_to);
		snprintf(out->rewrite_to, sizeof(out->rewrite_to), "%s", policy->redirect_to);
	} else
		decide_set(out, VERDICT_REJECT, REASON_GUARD_NOT_ALLOWED,
		           "<%s> is not on this gateway's recipient allow-list (edg guard "
		           "allow_recipients)",
		           recipient);
	decide_finish(policy, out);
}

void
decide_guard_limit(const struct decide_policy *policy, enum guard_outcome outcome,
                   const struct config_limit *limit, const char *id, struct verdict *out)
{
	decide_clear(out);
	switch (outcome) {
	case GUARD_UNDER:
		decide_set(out, VERDICT_PASS, REASON_NONE, "within the rate limits");
		break;
	case GUARD_OVER:
		decide_set(
		    out, limit->code[0] == '5' ? VERDICT_REJECT : VERDICT_TEMPFAIL,
		    REASON_GUARD_LIMIT, "rate limit reached: %s%s%s (edg guard)%s", limit->text,
		    limit->kind == CONFIG_PATTERN_ANY && limit->scope != CONFIG_LIMIT_TENANCY
		        ? " for "
		        : "",
		    limit->kind == CONFIG_PATTERN_ANY && limit->scope != CONFIG_LIMIT_TENANCY ? id
		                                                                              : "",
		    limit->code[0] == '4' ? ", try again later" : "");
		out->code = limit->code;
		out->dsn = limit->dsn;
		break;
	case GUARD_ERROR:
		if (policy->on_limit_error == CONFIG_ON_LIMIT_ERROR_OPEN) {
			decide_set(out, VERDICT_PASS, REASON_GUARD_LIMIT_ERROR,
			           "rate limits unavailable, accepted (on_limit_error = open)");
			out->code = out->dsn = NULL;
		} else
			decide_set(out, VERDICT_TEMPFAIL, REASON_GUARD_LIMIT_ERROR,
			           "rate limits temporarily unavailable, try again later");
		break;
	}
	decide_finish(policy, out);
}
