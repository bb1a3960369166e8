/*
 * callbacks.c - edg-milter's libmilter callbacks: one decision per protocol step
 *
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	extern struct smfiDesc milter_desc;
 *
 * DESCRIPTION
 *	negotiate	asks for the actions used (change and add headers, change the
 *			envelope sender, delete recipients) and drops the steps not used
 *			(HELO, DATA, end of headers, body, unknown commands); connect and
 *			header get no reply (SMFIP_NR_*). An MTA that cannot do this
 *			(milter protocol 6: Postfix 2.6, Sendmail 8.14) is refused and its
 *			milter_default_action applies. Requests the macros {client_addr}
 *			at connect, i and {auth_authen} at MAIL FROM, i at RCPT and at end
 *			of message.
 *	connect		per-connection data: client address (bindings, client rules).
 *	envfrom		per-message data with the settings in force; the envelope sender
 *			through decide_sender(): REJECT and TEMPFAIL answered with the
 *			verdict's reply.
 *	envrcpt		decide_recipient(): a suppressed recipient is refused alone.
 *			Not in a local submission (Postfix non_smtpd_milters: sendmail(1),
 *			pickup; the connect address has port 0): there
 *			Postfix cannot refuse one recipient (it keeps the message in the
 *			maildrop queue, "milter configuration error"), so the refusal waits
 *			for end of message and refuses the message, which Postfix bounces
 *			to the sender with the reply's text (docs/edg-milter.md, "Local
 *			submissions"). A TEMPFAIL wins over a REJECT. With [milter]
 *			transport_listen set, a suppressed recipient passes instead:
 *			transport_maps bounce it alone (transport.c).
 *	header		collects From: (every one, in order), notes Reply-To: and the
 *			original_from_header.
 *	eom		the header From: decision and its changes (from.c).
 *	abort, close	free the message; close also the connection.
 *
 *	Every decision is logged once, with the queue id: refusals, rewrites and the
 *	message's outcome at info, a passing MAIL FROM or RCPT TO at debug. In monitor
 *	mode the would-be refusal or change is logged and nothing happens.
 *
 * OWNERSHIP
 *	struct milter_conn is set with smfi_setpriv() in connect and freed in close;
 *	struct milter_msg hangs off it from envfrom to eom or abort.
 *
 * COST
 *	Per message edg-milter adds to what libmilter costs any filter negotiating the
 *	same (tests/tools/noop_milter.c: same actions, steps, macros and callbacks) one
 *	write(2), the end-of-message log line, and the instructions of its decisions;
 *	the poll/read/writev traffic, the thread hand-offs and the context switches are
 *	libmilter's and the same for both. So the path of a message formats no text it
 *	does not log: macros, addresses and names are copied (milter_copy()), not
 *	snprintf()ed, an IPv4 address is written by hand, and struct milter_msg stays
 *	within glibc's per-thread allocation cache (milter.h).
 *
 * DIAGNOSTICS
 *	Nothing a peer sends ends the process: an unparsable address is looked up as
 *	it is (and found nowhere), a From: that cannot be parsed is refused with
 *	550 5.7.1, oversized or too many From: headers likewise.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "milter.h"
#include "xalloc.h"

#define MILTER_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT)
#define MILTER_STEPS_OFF                                                                           \
	(SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH)
#define MILTER_NO_REPLY (SMFIP_NR_CONN | SMFIP_NR_HDR)

static struct milter_conn *
milter_conn(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static void
milter_msg_free(struct milter_conn *conn)
{
	struct milter_msg *msg;

	if (conn == NULL || (msg = conn->msg) == NULL)
		return;
	for (size_t i = 0; i < MILTER_FROM_HEADERS_MAX; i++)
		free(msg->from[i]);
	free(msg->sender_raw);
	free(msg->rcpt_deferred);
	milter_settings_release(msg->settings);
	free(msg);
	conn->msg = NULL;
}

/* Copy len bytes of src (cut to size - 1) into dst and terminate it: snprintf(dst, size,
 * "%s", src) without the formatting, on the path of every message (COST above). */
static void
milter_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* milter_copy() of a C string. */
static void
milter_copy_str(char *dst, size_t size, const char *src)
{
	milter_copy(dst, size, src, strnlen(src, size));
}

/* libmilter takes a macro name as char *: these are the names it is given. */
static char milter_macro_queue_id[] = "i", milter_macro_auth_authen[] = "{auth_authen}";

/* A macro's value, copied (bounded) into buf; "" when the MTA did not send it. */
static void
milter_macro(SMFICTX *ctx, char *name, char *buf, size_t size)
{
	const char *value = smfi_getsymval(ctx, name);

	if (value == NULL)
		*buf = '\0';
	else
		milter_copy_str(buf, size, value);
}

/* The queue id, once the MTA has one (Postfix: after the first accepted RCPT). */
static void
milter_queue_id(SMFICTX *ctx, struct milter_msg *msg)
{
	const char *qid = smfi_getsymval(ctx, milter_macro_queue_id);

	if (qid != NULL && *qid != '\0')
		milter_copy_str(msg->queue_id, sizeof(msg->queue_id), qid);
}

/* The verdict's reply; libmilter wants a single '%' doubled. */
static void
milter_reply(SMFICTX *ctx, const struct verdict *v)
{
	char text[2 * DECIDE_TEXT_MAX], code[4], dsn[16];
	size_t n = 0;

	for (const char *p = v->text; *p != '\0' && n + 2 < sizeof(text); p++) {
		if (*p == '%')
			text[n++] = '%';
		text[n++] = *p;
	}
	text[n] = '\0';
	snprintf(code, sizeof(code), "%s", v->code);
	snprintf(dsn, sizeof(dsn), "%s", v->dsn);
	if (smfi_setreply(ctx, code, dsn, text) != MI_SUCCESS)
		log_warnx("smfi_setreply %s %s refused by libmilter", v->code, v->dsn);
}

/* The milter return code for an envelope verdict, after the reply is set. */
static sfsistat
milter_envelope_status(SMFICTX *ctx, const struct verdict *v)
{
	switch (v->action) {
	case VERDICT_REJECT:
		milter_reply(ctx, v);
		return SMFIS_REJECT;
	case VERDICT_TEMPFAIL:
		milter_reply(ctx, v);
		return SMFIS_TEMPFAIL;
	default:
		return SMFIS_CONTINUE;
	}
}

static const char *
milter_verdict_word(const struct verdict *v)
{
	if (v->would_refuse)
		return v->code != NULL && *v->code == '4' ? "would tempfail (monitor)"
		                                          : "would reject (monitor)";
	switch (v->action) {
	case VERDICT_REJECT:
		return "reject";
	case VERDICT_TEMPFAIL:
		return "tempfail";
	case VERDICT_REWRITE:
		return "rewrite";
	default:
		return "pass";
	}
}

static void
milter_log_envelope(const struct milter_conn *conn, const struct milter_msg *msg, const char *stage,
                    const char *rcpt, const struct verdict *v)
{
	int quiet = v->action == VERDICT_PASS && !v->would_refuse;

	milter_count(stage, v);
	log_qid(quiet ? LOG_DEBUG : LOG_INFO, msg->queue_id,
	        "%s: %s from %.100s[%s]: sender=<%s>%s%s%s sasl=%.64s reason=%s: %s%s%s%s%s", stage,
	        milter_verdict_word(v), conn->client_name, conn->client_text, msg->sender_raw,
	        rcpt != NULL ? " rcpt=<" : "", rcpt != NULL ? rcpt : "", rcpt != NULL ? ">" : "",
	        *conn->sasl_login ? conn->sasl_login : "-", decide_reason_name(v->reason),
	        v->code != NULL ? v->code : "", v->code != NULL ? " " : "",
	        v->dsn != NULL ? v->dsn : "", v->dsn != NULL ? " " : "", v->text);
}

/* Canonical form of an envelope address; one that does not parse is kept as written
 * (lowercased and bounded), so that it is found nowhere and named in the reply. */
static void
milter_envelope_addr(const char *arg, char *raw, char *canon)
{
	const char *why;
	size_t len = strlen(arg);
	int bracketed = len >= 2 && arg[0] == '<' && arg[len - 1] == '>';

	milter_copy(raw, ADDR_MAX, arg + bracketed, bracketed ? len - 2 : len);
	switch (addr_canon(arg, len, canon, ADDR_MAX, &why)) {
	case ADDR_OK:
	case ADDR_NULL:
		return;
	case ADDR_INVALID:
		for (size_t i = 0; (canon[i] = raw[i]) != '\0'; i++)
			if (canon[i] >= 'A' && canon[i] <= 'Z')
				canon[i] = (char)(canon[i] - 'A' + 'a');
	}
}

static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                 unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
                 unsigned long *pf3)
{
	(void)f2, (void)f3;
	if ((f0 & MILTER_ACTIONS) != MILTER_ACTIONS || (f1 & MILTER_NO_REPLY) != MILTER_NO_REPLY) {
		log_warnx("the MTA does not offer the milter actions and steps edg-milter needs "
		          "(protocol 6: Postfix 2.6 or Sendmail 8.14 or later): refusing it");
		return SMFIS_REJECT;
	}
	*pf0 = MILTER_ACTIONS | (f0 & SMFIF_SETSYMLIST);
	*pf1 = (MILTER_STEPS_OFF & f1) | MILTER_NO_REPLY;
	*pf2 = *pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		static char connect_macros[] = "{client_addr} _", mail_macros[] = "i {auth_authen}",
		            queue_id_macro[] = "i";

		smfi_setsymlist(ctx, SMFIM_CONNECT, connect_macros);
		smfi_setsymlist(ctx, SMFIM_ENVFROM, mail_macros);
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, queue_id_macro);
		smfi_setsymlist(ctx, SMFIM_EOM, queue_id_macro);
	}
	return SMFIS_CONTINUE;
}

/* The dotted quad, for the logs: inet_ntop() formats IPv4 through sprintf(), which costs
 * more than all the rest of connect. text has room for 16 bytes. */
static void
milter_ipv4_text(const unsigned char *addr, char *text)
{
	for (int i = 0; i < 4; i++) {
		if (addr[i] >= 100)
			*text++ = (char)('0' + addr[i] / 100);
		if (addr[i] >= 10)
			*text++ = (char)('0' + addr[i] / 10 % 10);
		*text++ = (char)('0' + addr[i] % 10);
		*text++ = i < 3 ? '.' : '\0';
	}
}

/* Postfix gives a local submission (non_smtpd_milters) the client localhost[127.0.0.1]
 * with port 0; a TCP client never has port 0. No address at all (SMFIA_UNKNOWN) is an
 * SMTP dialogue without a network peer, which can refuse a recipient alone: Sendmail's
 * "sendmail -bs", Postfix's smtpd on a non-inet stream. Sendmail runs no milter on other
 * command-line submissions; they reach its milters through the MSP, over SMTP. */
static void
milter_client_addr(struct milter_conn *conn, const struct sockaddr *sa)
{
	const void *bytes = NULL;

	conn->local_submission = 0;
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;

		bytes = &sin->sin_addr;
		memcpy(conn->client.addr, bytes, 4);
		conn->local_submission = sin->sin_port == 0;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

		bytes = &sin6->sin6_addr;
		memcpy(conn->client.addr, bytes, 16);
		conn->local_submission = sin6->sin6_port == 0;
	}
	if (bytes != NULL) {
		conn->client.family = sa->sa_family;
		if (sa->sa_family == AF_INET)
			milter_ipv4_text(bytes, conn->client_text);
		else
			inet_ntop(AF_INET6, bytes, conn->client_text, sizeof(conn->client_text));
	}
}

static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	struct milter_conn *conn = xcalloc(1, sizeof(*conn));
	const char *name = hostname != NULL ? hostname : "unknown";

	milter_copy_str(conn->client_name, sizeof(conn->client_name), name);
	milter_client_addr(conn, hostaddr);
	if (*conn->client_text == '\0')
		memcpy(conn->client_text, "unknown", sizeof("unknown"));
	smfi_setpriv(ctx, conn);
	return SMFIS_NOREPLY;
}

static struct milter_msg *
milter_msg_new(SMFICTX *ctx, struct milter_conn *conn)
{
	struct milter_msg *msg = xcalloc(1, sizeof(*msg));

	milter_msg_free(conn);
	conn->msg = msg;
	msg->settings = milter_settings_hold();
	milter_queue_id(ctx, msg);
	milter_macro(ctx, milter_macro_auth_authen, conn->sasl_login, sizeof(conn->sasl_login));
	conn->client.sasl_login = conn->sasl_login;
	return msg;
}

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = milter_conn(ctx);
	struct milter_msg *msg;
	char raw[ADDR_MAX];
	struct verdict v;

	if (conn == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_TEMPFAIL;
	msg = milter_msg_new(ctx, conn);
	milter_envelope_addr(argv[0], raw, msg->sender);
	msg->sender_raw = xstrdup(raw);
	decide_sender(&msg->settings->policy, milter_state, &conn->client, msg->sender, &v);
	msg->sender_rewrite = v.action == VERDICT_PASS && *v.rewrite_to != '\0';
	milter_log_envelope(conn, msg, "MAIL", NULL, &v);
	return milter_envelope_status(ctx, &v);
}

/* With [milter] transport_listen, Postfix's transport_maps bounce a suppressed recipient
 * of a local submission alone (transport.c): the milter lets it through. */
static int
milter_rcpt_by_transport(const struct milter_msg *msg, const struct verdict *v)
{
	return v->reason == REASON_RCPT_SUPPRESSED &&
	       msg->settings->cfg->milter.transport_listen.kind != CONFIG_SOCKET_NONE;
}

/* A local submission: keep a refusal for end of message; a TEMPFAIL wins. */
static sfsistat
milter_rcpt_defer(struct milter_msg *msg, const struct verdict *v)
{
	if (v->action != VERDICT_REJECT && v->action != VERDICT_TEMPFAIL) {
		msg->rcpt_accepted++;
		return SMFIS_CONTINUE;
	}
	msg->rcpt_refused++;
	if (msg->rcpt_deferred == NULL)
		msg->rcpt_deferred = xmalloc(sizeof(*msg->rcpt_deferred));
	else if (v->action != VERDICT_TEMPFAIL || msg->rcpt_deferred->action == VERDICT_TEMPFAIL)
		return SMFIS_CONTINUE;
	*msg->rcpt_deferred = *v;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *conn = milter_conn(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	char raw[ADDR_MAX], rcpt[ADDR_MAX];
	struct verdict v;
	sfsistat status;

	if (msg == NULL || argv == NULL || argv[0] == NULL)
		return SMFIS_TEMPFAIL;
	milter_queue_id(ctx, msg);
	milter_envelope_addr(argv[0], raw, rcpt);
	decide_recipient(&msg->settings->policy, milter_state, rcpt, &v);
	if (conn->local_submission && milter_rcpt_by_transport(msg, &v)) {
		milter_log_envelope(conn, msg, "RCPT (local, bounced by transport_maps)", raw, &v);
		msg->rcpt_accepted++;
		return SMFIS_CONTINUE;
	}
	milter_log_envelope(conn, msg, conn->local_submission ? "RCPT (local)" : "RCPT", raw, &v);
	if (conn->local_submission)
		return milter_rcpt_defer(msg, &v);
	status = milter_envelope_status(ctx, &v);
	if (status == SMFIS_CONTINUE)
		msg->rcpt_accepted++;
	else
		msg->rcpt_refused++;
	return status;
}

static void
milter_header_from(struct milter_msg *msg, const char *value)
{
	size_t len = strlen(value);

	msg->from_bytes += len;
	if (msg->from_count < MILTER_FROM_HEADERS_MAX && msg->from_bytes <= MILTER_FROM_BYTES_MAX) {
		msg->from[msg->from_count] = xstrndup(value, len);
		msg->from_len[msg->from_count] = len;
	}
	msg->from_count++;
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *conn = milter_conn(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	const char *original;

	if (msg == NULL || name == NULL || value == NULL)
		return SMFIS_NOREPLY;
	original = msg->settings->cfg->milter.original_from_header;
	if (strcasecmp(name, "From") == 0)
		milter_header_from(msg, value);
	else if (strcasecmp(name, "Reply-To") == 0)
		msg->reply_to_seen = 1;
	else if (*original != '\0' && strcasecmp(name, original) == 0)
		msg->original_seen++;
	return SMFIS_NOREPLY;
}

static void
milter_log_message(const struct milter_conn *conn, const struct milter_msg *msg,
                   const struct milter_from_plan *plan, const char *what)
{
	const struct verdict *v = &plan->verdict;

	milter_count("EOM", v);
	log_qid(LOG_INFO, msg->queue_id,
	        "EOM: %s from %.100s[%s]: sender=<%s> from_headers=%zu from_addresses=%zu "
	        "rcpts=%u sasl=%.64s reason=%s: %s%s%s%s%s%s%s%s",
	        what, conn->client_name, conn->client_text, msg->sender_raw, msg->from_count,
	        plan->addresses, msg->rcpt_accepted, *conn->sasl_login ? conn->sasl_login : "-",
	        decide_reason_name(v->reason), v->code != NULL ? v->code : "",
	        v->code != NULL ? " " : "", v->dsn != NULL ? v->dsn : "", v->dsn != NULL ? " " : "",
	        v->text, plan->set_envelope ? "; envelope sender <" : "",
	        plan->set_envelope ? plan->envelope : "", plan->set_envelope ? ">" : "");
}

static const char *
milter_message_word(const struct milter_msg *msg, const struct milter_from_plan *plan)
{
	int monitor = msg->settings->policy.mode == CONFIG_MODE_MONITOR;
	const struct verdict *v = &plan->verdict;

	if (v->would_refuse || v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL)
		return milter_verdict_word(v);
	if (plan->from_value != NULL)
		return monitor ? "would rewrite (monitor)" : "rewrite";
	if (plan->set_envelope)
		return monitor ? "would set envelope sender (monitor)" : "set envelope sender";
	return "pass";
}

/* A local submission with a refused recipient: the message is refused (and bounced
 * to the sender by Postfix) with that recipient's reply. */
static sfsistat
milter_eom_deferred(SMFICTX *ctx, struct milter_conn *conn)
{
	struct milter_msg *msg = conn->msg;
	const struct verdict *v = msg->rcpt_deferred;
	sfsistat status;

	log_qid(LOG_INFO, msg->queue_id,
	        "EOM: %s from %.100s[%s]: sender=<%s> local submission, %u of %u recipients "
	        "refused: %s %s %s",
	        milter_verdict_word(v), conn->client_name, conn->client_text, msg->sender_raw,
	        msg->rcpt_refused, msg->rcpt_refused + msg->rcpt_accepted, v->code, v->dsn,
	        v->text);
	status = milter_envelope_status(ctx, v);
	milter_msg_free(conn);
	return status;
}

static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *conn = milter_conn(ctx);
	struct milter_msg *msg = conn != NULL ? conn->msg : NULL;
	struct milter_from_plan plan;
	sfsistat status = SMFIS_CONTINUE;

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	milter_queue_id(ctx, msg);
	if (msg->rcpt_deferred != NULL)
		return milter_eom_deferred(ctx, conn);
	milter_from_decide(msg, &conn->client, &plan);
	milter_log_message(conn, msg, &plan, milter_message_word(msg, &plan));
	if (plan.verdict.action == VERDICT_REJECT || plan.verdict.action == VERDICT_TEMPFAIL)
		status = milter_envelope_status(ctx, &plan.verdict);
	else if (msg->settings->policy.mode != CONFIG_MODE_MONITOR &&
	         milter_from_apply(ctx, msg, &plan) != 0)
		status = SMFIS_TEMPFAIL;
	milter_from_plan_free(&plan);
	milter_msg_free(conn);
	return status;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	milter_msg_free(milter_conn(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct milter_conn *conn = milter_conn(ctx);

	milter_msg_free(conn);
	free(conn);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static char milter_name[] = "edg-milter";

struct smfiDesc milter_desc = {
    .xxfi_name = milter_name,
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = MILTER_ACTIONS,
    .xxfi_connect = milter_connect,
    .xxfi_envfrom = milter_envfrom,
    .xxfi_envrcpt = milter_envrcpt,
    .xxfi_header = milter_header,
    .xxfi_eom = milter_eom,
    .xxfi_abort = milter_abort,
    .xxfi_close = milter_close,
    .xxfi_negotiate = milter_negotiate,
};
