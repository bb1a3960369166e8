/*
 * decide.h - the decisions, once, for edg-policyd and edg-milter alike
 *
 * SYNOPSIS
 *	void decide_sender(const struct decide_policy *policy, struct state *st,
 *	    const struct decide_client *client, const char *envelope_sender,
 *	    struct verdict *out);
 *	void decide_recipient(const struct decide_policy *policy, struct state *st,
 *	    const char *recipient, struct verdict *out);
 *	void decide_header_from(const struct decide_policy *policy, struct state *st,
 *	    const struct decide_client *client, const char *envelope_sender,
 *	    const char *const *header_from, size_t count, struct verdict *out);
 *	void decide_header_from_invalid(const struct decide_policy *policy,
 *	    const char *why, struct verdict *out);
 *	const char *decide_rewrite_target(const struct decide_policy *policy,
 *	    const struct decide_client *client, const char *envelope_sender,
 *	    const char *header_from, int include_header_rules);
 *	void decide_guard_recipient(const struct decide_policy *policy,
 *	    const char *recipient, struct verdict *out);
 *	void decide_guard_limit(const struct decide_policy *policy,
 *	    enum guard_outcome outcome, const struct config_limit *limit,
 *	    const char *id, struct verdict *out);
 *	void decide_policy_from_config(struct decide_policy *policy,
 *	    const struct edg_config *cfg, const struct config_daemon *daemon);
 *
 * DESCRIPTION
 *	Pure decision logic (STYLE.md rule 4): state and request in, verdict out. No I/O
 *	except the state lookups, no logging; the daemons translate a verdict into a
 *	policy reply or a milter return code, and log it.
 *
 *	All addresses passed in are canonical (addr_canon()); "" is the null sender.
 *
 *	decide_sender(): the envelope sender at MAIL or RCPT time. Approved: PASS (and,
 *	when bindings are enforced, only if the SASL login or client network may use
 *	it). Not approved: PASS with rewrite_to set when a rewrite rule the milter will
 *	apply covers it (envelope, SASL and client rules, then default_sender; header
 *	rules are known only to the milter), else REJECT. The null sender passes: bounces
 *	must be accepted (RFC 5321 4.5.5) and the milter gives them an approved sender.
 *
 *	decide_recipient(): REJECT when OCI suppresses the recipient (the text names the
 *	address, the OCI reason and the date), else PASS. The reply is 550 5.1.1 unless
 *	suppressed_replies names the reason (or "*"): then its code and DSN, and a 4xx
 *	code makes the verdict TEMPFAIL instead of REJECT.
 *
 *	decide_header_from(): every header From: address must be approved. When one is
 *	not, REWRITE to the first rule that applies (envelope, header, SASL, client rules
 *	in file order, then default_sender), or REJECT when none does. A rewrite target
 *	must itself be approved, or the verdict is REJECT (the configuration is wrong,
 *	and OCI would refuse it anyway).
 *
 *	decide_header_from_invalid(): the milter could not parse the From: header(s)
 *	(why says what is wrong); REJECT, as OCI would refuse the message.
 *
 *	decide_guard_recipient(): the [guard] allow-list (guard.h). A recipient it does not
 *	list is REDIRECT to redirect_to when one is configured (Postfix redirects the
 *	whole message), else REJECT 550 5.7.1 naming the guard; listed (or no list): PASS.
 *
 *	decide_guard_limit(): the outcome of counting the recipient against the [guard]
 *	limits. GUARD_OVER: the limit's own code (451 4.7.1 unless configured; a 5xx code
 *	makes it a REJECT), the text naming the limit and the identity counted.
 *	GUARD_ERROR: on_limit_error closed gives TEMPFAIL 451 4.7.1, open gives PASS
 *	(the reason kept, for the log). GUARD_UNDER: PASS.
 *
 *	Whatever the question, a TEMPFAIL lookup gives on_state_error: TEMPFAIL (451 4.3.0)
 *	or PASS. In monitor mode a REJECT or TEMPFAIL becomes PASS with would_refuse set,
 *	the original code and text kept for the log line (policyd answers WARN).
 *
 *	Reply codes and texts are defined here and nowhere else. out->text never holds
 *	CR, LF or NUL, and is at most DECIDE_TEXT_MAX bytes.
 */
#ifndef EDG_DECIDE_H
#define EDG_DECIDE_H

#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "guard.h"
#include "state.h"

enum verdict_action {
	VERDICT_PASS,
	VERDICT_REWRITE, /* milter: rewrite From and envelope sender to rewrite_to */
	VERDICT_REJECT,
	VERDICT_TEMPFAIL,
	VERDICT_REDIRECT, /* policyd: the whole message to rewrite_to (Postfix REDIRECT) */
};

enum verdict_reason {
	REASON_NONE,
	REASON_APPROVED,
	REASON_NULL_SENDER,
	REASON_REWRITE,              /* not approved, a rewrite rule covers it */
	REASON_SENDER_NOT_APPROVED,  /* 550 5.7.1 */
	REASON_SENDER_NOT_BOUND,     /* 550 5.7.1: approved, but not for this login/network */
	REASON_REWRITE_NOT_APPROVED, /* 550 5.7.1: the configured target is not approved */
	REASON_FROM_NOT_APPROVED,    /* 550 5.7.1 */
	REASON_NO_FROM,              /* 550 5.7.1: a message without From: (RFC 5322 3.6) */
	REASON_FROM_INVALID,         /* 550 5.7.1: From: that cannot be parsed (milter) */
	REASON_RCPT_SUPPRESSED,      /* 550 5.1.1 */
	REASON_STATE_UNAVAILABLE,    /* 451 4.3.0 */
	REASON_GUARD_NOT_ALLOWED,    /* 550 5.7.1: recipient off [guard] allow_recipients */
	REASON_GUARD_REDIRECT,       /* REDIRECT to [guard] redirect_to */
	REASON_GUARD_LIMIT,          /* 451 4.7.1 unless the limit says otherwise */
	REASON_GUARD_LIMIT_ERROR,    /* 451 4.7.1 with on_limit_error = closed */
	REASON_COUNT
};

#define DECIDE_TEXT_MAX 400

struct verdict {
	enum verdict_action action;
	enum verdict_reason reason;
	int would_refuse;               /* monitor mode let a refusal pass */
	const char *code;               /* "550", "451"; NULL when passing */
	const char *dsn;                /* "5.7.1"; NULL when passing */
	char text[DECIDE_TEXT_MAX];     /* human part of the reply, also for a PASS's log line */
	char rewrite_to[ADDR_MAX];      /* VERDICT_REWRITE, or PASS covered by a rule */
	struct suppression suppression; /* REASON_RCPT_SUPPRESSED */
};

/* Where the message comes from: what bindings and client rules look at. */
struct decide_client {
	const char *sasl_login; /* NULL or "": not authenticated */
	int family;             /* AF_INET, AF_INET6, or 0 unknown */
	unsigned char addr[16];
};

struct decide_policy {
	int mode;           /* CONFIG_MODE_* */
	int on_state_error; /* CONFIG_ON_ERROR_* */
	const char *region; /* named in refusals ("" when not configured) */
	const struct config_rewrite_list *rewrite;
	const struct config_binding_list *bindings;
	int bindings_enforce;
	const char *default_sender;                 /* "" = none */
	const struct config_list *allow_recipients; /* [guard]; NULL or empty: everyone */
	const char *redirect_to;                    /* "" = refuse */
	const struct config_limit_list *limits;
	int on_limit_error;                                 /* CONFIG_ON_LIMIT_ERROR_* */
	const struct config_reply_list *suppressed_replies; /* NULL or empty: 550 5.1.1 */
};

void decide_policy_from_config(struct decide_policy *policy, const struct edg_config *cfg,
                               const struct config_daemon *daemon);
void decide_sender(const struct decide_policy *policy, struct state *st,
                   const struct decide_client *client, const char *envelope_sender,
                   struct verdict *out);
void decide_recipient(const struct decide_policy *policy, struct state *st, const char *recipient,
                      struct verdict *out);
void decide_header_from(const struct decide_policy *policy, struct state *st,
                        const struct decide_client *client, const char *envelope_sender,
                        const char *const *header_from, size_t count, struct verdict *out);
void decide_header_from_invalid(const struct decide_policy *policy, const char *why,
                                struct verdict *out);
const char *decide_rewrite_target(const struct decide_policy *policy,
                                  const struct decide_client *client, const char *envelope_sender,
                                  const char *header_from, int include_header_rules);
void decide_guard_recipient(const struct decide_policy *policy, const char *recipient,
                            struct verdict *out);
void decide_guard_limit(const struct decide_policy *policy, enum guard_outcome outcome,
                        const struct config_limit *limit, const char *id, struct verdict *out);
const char *decide_reason_name(enum verdict_reason reason);

#endif
