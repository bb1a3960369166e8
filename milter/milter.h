/*
 * milter.h - edg-milter's private interfaces between its files
 *
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	struct milter_settings *milter_settings_hold(void);
 *	void milter_settings_release(struct milter_settings *settings);
 *	void milter_settings_install(struct edg_config *cfg);
 *	void milter_settings_shutdown(void);
 *
 *	extern struct smfiDesc milter_desc;
 *	extern struct state *milter_state;
 *
 *	void milter_from_decide(struct milter_msg *msg, const struct decide_client *client,
 *	    struct milter_from_plan *plan);
 *	int milter_from_apply(SMFICTX *ctx, const struct milter_msg *msg,
 *	    const struct milter_from_plan *plan);
 *	void milter_from_plan_free(struct milter_from_plan *plan);
 *
 *	void milter_transport_open(const struct edg_config *cfg, const char *owner,
 *	    const char *group);
 *	void milter_transport_start(void);
 *
 * DESCRIPTION
 *	main.c starts the daemon and owns the configuration: milter_settings_install()
 *	makes a parsed, validated configuration the current one (at start and on
 *	SIGUSR1). The settings are reference counted: a message holds the settings it
 *	started with (milter_settings_hold() at MAIL FROM, milter_settings_release() at
 *	end of message or abort), so a reload never changes the rules in the middle of a
 *	message and the old configuration is freed when its last message is done.
 *
 *	callbacks.c holds the libmilter callbacks (milter_desc) and the per-connection
 *	(struct milter_conn: set in connect, freed in close) and per-message (struct
 *	milter_msg: set at MAIL FROM, freed at end of message or abort) data.
 *	milter_state is opened by main.c after dropping privileges, before smfi_main(),
 *	and never changes afterwards; lookups through it are thread-safe.
 *
 *	from.c decides the header From: at end of message (milter_from_decide(): parse
 *	every From: collected, ask decide_header_from(), and turn the verdict into a
 *	plan of header and envelope changes) and applies the plan
 *	(milter_from_apply()). Deciding and applying are apart so that monitor mode logs
 *	the plan and applies nothing.
 *
 *	transport.c serves [milter] transport_listen, a socketmap for Postfix
 *	transport_maps that bounces suppressed recipients one by one.
 *
 * OWNERSHIP
 *	A struct milter_msg owns its From: copies, sender_raw, rcpt_deferred and its
 *	settings reference; a plan owns its formatted header values
 *	(milter_from_plan_free()).
 */
#ifndef EDG_MILTER_H
#define EDG_MILTER_H

#include <libmilter/mfapi.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "decide.h"
#include "mailbox.h"
#include "milter_from.h"
#include "state.h"

#define MILTER_QUEUE_ID_MAX 64
#define MILTER_LOGIN_MAX    256

struct milter_settings {
	int refs; /* under the settings lock in main.c */
	struct edg_config *cfg;
	struct decide_policy policy;
};

struct milter_settings *milter_settings_hold(void);
void milter_settings_release(struct milter_settings *settings);
void milter_settings_install(struct edg_config *cfg);
void milter_settings_shutdown(void);

/* One connection from the MTA (one SMTP session, or one local submission). */
struct milter_conn {
	char client_name[128];
	char client_text[64]; /* the client address as text, for logs; "" unknown */
	char sasl_login[MILTER_LOGIN_MAX];
	struct decide_client client;
	int local_submission;   /* Postfix non_smtpd_milters (port 0): see callbacks.c */
	struct milter_msg *msg; /* the message in progress, or NULL */
};

/* One message, from MAIL FROM to end of message or abort. Kept under 1 KB (glibc's
 * per-thread cache serves allocations up to 1032 bytes): what is large and rare
 * (rcpt_deferred) or of any length (sender_raw) is allocated apart. */
struct milter_msg {
	struct milter_settings *settings;
	char queue_id[MILTER_QUEUE_ID_MAX];
	char *sender_raw;                    /* as given, without angle brackets, for logs */
	char sender[ADDR_MAX];               /* canonical; "" null sender */
	int sender_rewrite;                  /* not approved, but a rewrite rule covers it */
	char *from[MILTER_FROM_HEADERS_MAX]; /* values of the From: headers, in order */
	size_t from_len[MILTER_FROM_HEADERS_MAX];
	size_t from_count;    /* From: headers seen (may exceed the ones kept) */
	size_t from_bytes;    /* their total size */
	int reply_to_seen;    /* the message has a Reply-To: */
	size_t original_seen; /* headers named [milter] original_from_header */
	unsigned rcpt_accepted, rcpt_refused;
	struct verdict *rcpt_deferred; /* local submission: a recipient refusal for eom, or NULL */
};

/* What end of message will do about From: and the envelope sender. */
struct milter_from_plan {
	struct verdict verdict;
	char *from_value;        /* new From: value, or NULL: From: stays */
	char *original_value;    /* the original mailbox(es), for Reply-To: and the header */
	char envelope[ADDR_MAX]; /* new envelope sender ("" = leave it) */
	int set_envelope;
	size_t addresses; /* addresses found in the From: headers */
};

/* metrics.c */
void milter_metrics_start(const struct edg_config *cfg);
void milter_metrics_stop(void);
void milter_count(const char *stage, const struct verdict *v);
void milter_count_transport(const struct verdict *v);

extern struct smfiDesc milter_desc;
extern struct state *milter_state;

void milter_from_decide(const struct milter_msg *msg, const struct decide_client *client,
                        struct milter_from_plan *plan);
int milter_from_apply(SMFICTX *ctx, const struct milter_msg *msg,
                      const struct milter_from_plan *plan);
void milter_from_plan_free(struct milter_from_plan *plan);

void milter_transport_open(const struct edg_config *cfg, const char *owner, const char *group);
void milter_transport_start(void);

#endif
