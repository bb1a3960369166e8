/*
 * cmd_explain.c - edgctl explain: what edg-policyd and edg-milter would decide, and why
 *
 * SYNOPSIS
 *	edgctl [-c FILE] explain --from ADDR --rcpt ADDR [--rcpt ADDR...]
 *	    [--header-from VALUE...] [--sasl LOGIN] [--client IP] [--json]
 *
 * DESCRIPTION
 *	Opens the state from Redis the way the daemons do (a reader view, lib/state.c)
 *	and runs the daemons' own code on the message described:
 *
 *	edg-policyd	policy_answer() for each recipient at RCPT time (the envelope
 *			sender, then the recipient), with [policyd] mode and
 *			on_state_error: the policy reply and the line Postfix sends.
 *	edg-milter	decide_sender() at MAIL FROM, decide_recipient() at each RCPT
 *			TO, and at end of message decide_header_from() on the
 *			addresses of the From: header(s) (parsed by mailbox_parse_list()
 *			like the milter does), with [milter] mode, default_sender and
 *			the [rewrite] rules: the reply, or the rewrite target and the
 *			envelope sender the milter sets.
 *
 *	Without --header-from the From: header is taken to be the envelope sender. A
 *	suppressed recipient is shown with its exact record (reason, time, OCI id:
 *	STATE_DETAIL).
 *
 * DIAGNOSTICS
 *	Exit 0 when the decisions were made from loaded state (whatever they are), 3
 *	when no state could be loaded (the decisions shown are then on_state_error's),
 *	2 on a usage error or an address that is not one, 1 on a bad configuration.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "ctl_out.h"
#include "ctl_state.h"
#include "decide.h"
#include "edgctl.h"
#include "mailbox.h"
#include "policy_answer.h"
#include "timefmt.h"
#include "xalloc.h"

#define EXPLAIN_RCPT_MAX 100
#define EXPLAIN_FROM_MAX 16

struct explain_request {
	const char *from;
	const char *rcpt[EXPLAIN_RCPT_MAX];
	size_t nrcpt;
	const char *header_from[EXPLAIN_FROM_MAX];
	size_t nheader_from;
	const char *sasl;
	const char *client_ip;
	int json;
	char sender[ADDR_MAX];                      /* canonical; "" null sender */
	char recipient[EXPLAIN_RCPT_MAX][ADDR_MAX]; /* canonical */
	struct decide_client client;
};

struct explain_ctx {
	const struct edg_config *cfg;
	struct state *st;
	int ready;
	struct explain_request *req;
	json_t *json; /* the result object with --json, else NULL */
};

static const char cmd_explain_usage_text[] =
    "usage: edgctl [-c FILE] explain --from ADDR --rcpt ADDR [--rcpt ADDR...]\n"
    "           [--header-from VALUE...] [--sasl LOGIN] [--client IP] [--json]\n"
    "  --from ADDR         envelope sender (\"<>\" or \"\" for the null sender)\n"
    "  --rcpt ADDR         envelope recipient (repeatable)\n"
    "  --header-from VALUE value of a From: header (repeatable; default: the sender)\n"
    "  --sasl LOGIN        SASL login of the client (bindings, rewrite rules)\n"
    "  --client IP         client address (bindings, rewrite rules)\n"
    "  --json              one JSON object for scripts\n"
    "exit: 0 decided from loaded state, 3 state unavailable, 2 usage\n";

static int
explain_usage(FILE *out, int status)
{
	fputs(cmd_explain_usage_text, out);
	return status;
}

static const char *
explain_action_name(const struct verdict *v)
{
	if (v->would_refuse)
		return "would_refuse";
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

/* "550 5.1.1 text" for a refusal; "" otherwise. */
static void
explain_reply(const struct verdict *v, char *buf, size_t size)
{
	*buf = '\0';
	if (v->code != NULL)
		snprintf(buf, size, "%s %s %s", v->code, v->dsn, v->text);
}

static json_t *
explain_json_suppression(const struct suppression *sup)
{
	char when[TIMEFMT_SIZE];

	timefmt_rfc3339(sup->created_ms, when, sizeof(when));
	return json_pack("{s:s, s:s, s:o}", "reason", sup->reason_text, "time_created", when, "id",
	                 ctl_out_string(sup->id));
}

static json_t *
explain_json_verdict(const struct verdict *v)
{
	char reply[DECIDE_TEXT_MAX + 32];

	explain_reply(v, reply, sizeof(reply));
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "action", explain_action_name(v), "reason",
	                 decide_reason_name(v->reason), "text", v->text, "reply",
	                 ctl_out_string(reply), "rewrite_to", ctl_out_string(v->rewrite_to));
}

/* The exact record of a suppressed recipient, as the daemons would log it. */
static int
explain_detail(struct explain_ctx *x, const char *rcpt, struct suppression *sup)
{
	memset(sup, 0, sizeof(*sup));
	return state_suppression(x->st, rcpt, sup, STATE_DETAIL) == LOOKUP_FOUND;
}

static void
explain_print_detail(const struct suppression *sup)
{
	char when[TIMEFMT_SIZE];

	timefmt_rfc3339(sup->created_ms, when, sizeof(when));
	printf("      suppression: %s since %s, OCI id %s\n", sup->reason_text, when,
	       *sup->id ? sup->id : "(unknown)");
}

static void
explain_policy_request(const struct explain_request *r, const char *rcpt,
                       struct policy_request *req)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->value[POLICY_REQUEST], POLICY_VALUE_MAX + 1, "smtpd_access_policy");
	snprintf(req->value[POLICY_PROTOCOL_STATE], POLICY_VALUE_MAX + 1, "RCPT");
	snprintf(req->value[POLICY_SENDER], POLICY_VALUE_MAX + 1, "%s", r->sender);
	snprintf(req->value[POLICY_RECIPIENT], POLICY_VALUE_MAX + 1, "%s", rcpt);
	snprintf(req->value[POLICY_SASL_USERNAME], POLICY_VALUE_MAX + 1, "%s",
	         r->sasl ? r->sasl : "");
	snprintf(req->value[POLICY_CLIENT_ADDRESS], POLICY_VALUE_MAX + 1, "%s",
	         r->client_ip ? r->client_ip : "");
	req->present = (1u << POLICY_REQUEST) | (1u << POLICY_PROTOCOL_STATE) |
	               (1u << POLICY_SENDER) | (1u << POLICY_RECIPIENT) |
	               (1u << POLICY_SASL_USERNAME) | (1u << POLICY_CLIENT_ADDRESS);
}

/* What Postfix sends the client for a policy refusal at RCPT. */
static void
explain_postfix_line(const struct policy_answer *ans, const char *rcpt, char *buf, size_t size)
{
	const struct verdict *v = &ans->verdict;

	*buf = '\0';
	if (!ans->refused)
		snprintf(buf, size, "(no reply: Postfix goes on with its other restrictions)");
	else if (v->would_refuse)
		snprintf(buf, size, "(monitor mode: Postfix logs a warning and accepts)");
	else
		snprintf(buf, size, "%s %s <%s>: Recipient address rejected: %s", v->code, v->dsn,
		         rcpt, v->text);
}

/* One recipient through policy_answer(): printed, or appended to list. */
static void
explain_policyd_rcpt(struct explain_ctx *x, const struct decide_policy *policy, const char *rcpt,
                     json_t *list)
{
	struct policy_request req;
	struct policy_answer ans;
	struct suppression sup;
	char line[DECIDE_TEXT_MAX + 2 * ADDR_MAX];
	int detail;

	explain_policy_request(x->req, rcpt, &req);
	policy_answer(policy, x->st, &req, &ans);
	ans.reply[strcspn(ans.reply, "\n")] = '\0';
	explain_postfix_line(&ans, rcpt, line, sizeof(line));
	detail = ans.verdict.reason == REASON_RCPT_SUPPRESSED && explain_detail(x, rcpt, &sup);
	if (list != NULL) {
		json_t *one = json_pack("{s:s, s:s, s:s, s:s}", "recipient", rcpt, "policy_reply",
		                        ans.reply, "postfix_reply", line, "reason",
		                        decide_reason_name(ans.verdict.reason));

		json_object_set_new(one, "suppression",
		                    detail ? explain_json_suppression(&sup) : json_null());
		json_array_append_new(list, one);
		return;
	}
	printf("  RCPT TO:<%s>\n    policy reply: %s\n    Postfix:      %s\n    why:          %s\n",
	       rcpt, ans.reply, line, decide_reason_name(ans.verdict.reason));
	if (detail)
		explain_print_detail(&sup);
}

static void
explain_policyd(struct explain_ctx *x)
{
	struct decide_policy policy;
	json_t *list = x->json != NULL ? json_array() : NULL;

	decide_policy_from_config(&policy, x->cfg, &x->cfg->policyd.daemon);
	if (list == NULL)
		printf("edg-policyd (check_policy_service, at RCPT TO):\n");
	for (size_t i = 0; i < x->req->nrcpt; i++)
		explain_policyd_rcpt(x, &policy, x->req->recipient[i], list);
	if (list != NULL)
		json_object_set_new(x->json, "policyd", list);
}

static void
explain_print_step(const char *step, const struct verdict *v)
{
	char reply[DECIDE_TEXT_MAX + 32];

	explain_reply(v, reply, sizeof(reply));
	printf("  %s\n    %s: %s", step, explain_action_name(v), decide_reason_name(v->reason));
	if (*reply == '\0')
		printf(" (%s)\n", v->text);
	else
		printf("\n    reply:  %s%s\n", reply,
		       v->would_refuse ? "  (monitor mode: logged, mail passes)" : "");
	if (*v->rewrite_to != '\0' && v->action != VERDICT_REWRITE)
		printf("    covered by a rewrite rule: the milter rewrites to <%s>\n",
		       v->rewrite_to);
	else if (*v->rewrite_to != '\0')
		printf("    rewrite to: <%s>\n", v->rewrite_to);
}

/* Every address of the From: headers (or the envelope sender); -1 with why. */
static int
explain_from_addresses(const struct explain_request *r, struct mailbox_list *lists,
                       const char **addrs, size_t *count, const char **why)
{
	*count = 0;
	if (r->nheader_from == 0) {
		if (*r->sender != '\0')
			addrs[(*count)++] = r->sender;
		return 0;
	}
	for (size_t i = 0; i < r->nheader_from; i++) {
		if (mailbox_parse_list(r->header_from[i], strlen(r->header_from[i]), &lists[i],
		                       why) != 0)
			return -1;
		for (size_t j = 0; j < lists[i].count; j++) {
			if (*count == MAILBOX_LIST_MAX) {
				*why = "too many addresses in From:";
				return -1;
			}
			addrs[(*count)++] = lists[i].items[j].address;
		}
	}
	return 0;
}

/* The envelope sender the milter sets at end of message ("" = none). */
static const char *
explain_envelope_change(const struct explain_request *r, const struct verdict *v,
                        const char *const *addrs, size_t count)
{
	if (v->action == VERDICT_REWRITE)
		return strcmp(r->sender, v->rewrite_to) != 0 ? v->rewrite_to : "";
	if (v->action != VERDICT_PASS || v->reason != REASON_APPROVED || count == 0)
		return "";
	for (size_t i = 0; i < count; i++)
		if (strcmp(r->sender, addrs[i]) == 0)
			return "";
	return addrs[0];
}

static void
explain_milter_eom(struct explain_ctx *x, const struct decide_policy *policy, json_t *out)
{
	struct mailbox_list lists[EXPLAIN_FROM_MAX];
	const char *addrs[MAILBOX_LIST_MAX], *why = "unparsable", *envelope;
	size_t count = 0;
	struct verdict v;

	memset(lists, 0, sizeof(lists));
	if (explain_from_addresses(x->req, lists, addrs, &count, &why) != 0)
		decide_header_from_invalid(policy, why, &v);
	else
		decide_header_from(policy, x->st, &x->req->client, x->req->sender, addrs, count,
		                   &v);
	envelope = explain_envelope_change(x->req, &v, addrs, count);
	if (out != NULL) {
		json_t *eom = explain_json_verdict(&v), *from = json_array();

		for (size_t i = 0; i < count; i++)
			json_array_append_new(from, json_string(addrs[i]));
		json_object_set_new(eom, "from_addresses", from);
		json_object_set_new(eom, "envelope_sender", ctl_out_string(envelope));
		json_object_set_new(out, "end_of_message", eom);
	} else {
		printf("  end of message, From: %s%s\n", count ? addrs[0] : "(none)",
		       x->req->nheader_from ? "" : " (no --header-from: the envelope sender)");
		explain_print_step("header From:", &v);
		if (*envelope != '\0')
			printf("    envelope sender set to <%s>\n", envelope);
	}
	for (size_t i = 0; i < x->req->nheader_from; i++)
		mailbox_list_free(&lists[i]);
}

static int
explain_refuses(const struct verdict *v)
{
	return !v->would_refuse && (v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL);
}

/* Each RCPT TO after an accepted MAIL FROM; returns how many were accepted. */
static size_t
explain_milter_rcpts(struct explain_ctx *x, const struct decide_policy *policy, json_t *rcpts)
{
	char step[ADDR_MAX + 16];
	size_t accepted = 0;
	struct verdict v;

	for (size_t i = 0; i < x->req->nrcpt; i++) {
		decide_recipient(policy, x->st, x->req->recipient[i], &v);
		accepted += !explain_refuses(&v);
		if (rcpts != NULL) {
			json_t *one = explain_json_verdict(&v);

			json_object_set_new(one, "recipient", json_string(x->req->recipient[i]));
			json_array_append_new(rcpts, one);
		} else {
			snprintf(step, sizeof(step), "RCPT TO:<%s>", x->req->recipient[i]);
			explain_print_step(step, &v);
		}
	}
	return accepted;
}

static void
explain_milter(struct explain_ctx *x)
{
	struct decide_policy policy;
	struct verdict v;
	json_t *out = x->json != NULL ? json_object() : NULL;
	json_t *rcpts = out != NULL ? json_array() : NULL;
	char step[ADDR_MAX + 16];
	size_t accepted = 0;

	decide_policy_from_config(&policy, x->cfg, &x->cfg->milter.daemon);
	decide_sender(&policy, x->st, &x->req->client, x->req->sender, &v);
	snprintf(step, sizeof(step), "MAIL FROM:<%s>", x->req->sender);
	if (out != NULL) {
		json_object_set_new(out, "mail_from", explain_json_verdict(&v));
	} else {
		printf("edg-milter:\n");
		explain_print_step(step, &v);
	}
	if (!explain_refuses(&v)) /* Postfix ends the transaction at a refused MAIL FROM */
		accepted = explain_milter_rcpts(x, &policy, rcpts);
	if (accepted > 0)
		explain_milter_eom(x, &policy, out);
	else if (out != NULL)
		json_object_set_new(out, "end_of_message", json_null());
	else
		printf("  no message: %s\n",
		       explain_refuses(&v) ? "refused at MAIL FROM" : "every recipient refused");
	if (out != NULL) {
		json_object_set_new(out, "recipients", rcpts);
		json_object_set_new(x->json, "milter", out);
	}
}

/* Canonical envelope addresses and the client; -1 (after a message) when one is bad. */
static int
explain_prepare(struct explain_request *r)
{
	const char *why = "not an address";

	switch (addr_canon(r->from, strlen(r->from), r->sender, ADDR_MAX, &why)) {
	case ADDR_OK:
		break;
	case ADDR_NULL:
		*r->sender = '\0';
		break;
	default:
		if (*r->from != '\0')
			return fprintf(stderr, "edgctl: explain: --from %s: %s\n", r->from, why),
			       -1;
		*r->sender = '\0';
	}
	for (size_t i = 0; i < r->nrcpt; i++)
		if (addr_canon(r->rcpt[i], strlen(r->rcpt[i]), r->recipient[i], ADDR_MAX, &why) !=
		    ADDR_OK)
			return fprintf(stderr, "edgctl: explain: --rcpt %s: %s\n", r->rcpt[i], why),
			       -1;
	r->client.sasl_login = r->sasl;
	if (r->client_ip == NULL)
		return 0;
	if (inet_pton(AF_INET, r->client_ip, r->client.addr) == 1)
		r->client.family = AF_INET;
	else if (inet_pton(AF_INET6, r->client_ip, r->client.addr) == 1)
		r->client.family = AF_INET6;
	else
		return fprintf(stderr, "edgctl: explain: --client %s: not an IP address\n",
		               r->client_ip),
		       -1;
	return 0;
}

static int
explain_options(int argc, char **argv, struct explain_request *r, const char **config_path)
{
	static const struct option longopts[] = {{"from", required_argument, NULL, 'f'},
	                                         {"rcpt", required_argument, NULL, 'r'},
	                                         {"header-from", required_argument, NULL, 'H'},
	                                         {"sasl", required_argument, NULL, 's'},
	                                         {"client", required_argument, NULL, 'a'},
	                                         {"json", no_argument, NULL, 'j'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*config_path = optarg;
			break;
		case 'f':
			r->from = optarg;
			break;
		case 'r':
			if (r->nrcpt == EXPLAIN_RCPT_MAX)
				return explain_usage(stderr, EDGCTL_USAGE);
			r->rcpt[r->nrcpt++] = optarg;
			break;
		case 'H':
			if (r->nheader_from == EXPLAIN_FROM_MAX)
				return explain_usage(stderr, EDGCTL_USAGE);
			r->header_from[r->nheader_from++] = optarg;
			break;
		case 's':
			r->sasl = optarg;
			break;
		case 'a':
			r->client_ip = optarg;
			break;
		case 'j':
			r->json = 1;
			break;
		case 'h':
			explain_usage(stdout, EDGCTL_OK);
			return -1;
		default:
			return explain_usage(stderr, EDGCTL_USAGE);
		}
	}
	if (optind != argc || r->from == NULL || r->nrcpt == 0)
		return explain_usage(stderr, EDGCTL_USAGE);
	return EDGCTL_OK;
}

static void
explain_run(struct explain_ctx *x)
{
	if (x->json != NULL) {
		json_object_set_new(x->json, "state_loaded", json_boolean(x->ready));
		json_object_set_new(x->json, "sender", json_string(x->req->sender));
	} else if (!x->ready) {
		printf("STATE UNAVAILABLE: no state could be loaded from Redis; the daemons apply "
		       "on_state_error:\n");
	}
	explain_policyd(x);
	explain_milter(x);
	if (x->json != NULL)
		ctl_out_json(x->json);
}

/* Load the configuration and the state, decide, print. */
static int
explain_with_state(struct explain_request *r, const char *config_path)
{
	struct explain_ctx x = {.req = r};
	struct edg_config *cfg = config_load(config_path, stderr);

	if (cfg == NULL)
		return EDGCTL_FAIL;
	x.cfg = cfg;
	x.st = ctl_state_reader(cfg, (long)cfg->redis.connect_timeout_ms + 10000, &x.ready);
	if (x.st == NULL) {
		config_free(cfg);
		return EDGCTL_STATE;
	}
	x.json = r->json ? json_object() : NULL;
	explain_run(&x);
	state_close(x.st);
	config_free(cfg);
	return x.ready ? EDGCTL_OK : EDGCTL_STATE;
}

int
cmd_explain(int argc, char **argv, const char *config_path)
{
	struct explain_request *r = xcalloc(1, sizeof(*r));
	int rc = explain_options(argc, argv, r, &config_path);

	if (rc < 0) /* -h answered */
		rc = EDGCTL_OK;
	else if (rc == EDGCTL_OK)
		rc = explain_prepare(r) != 0 ? EDGCTL_USAGE : explain_with_state(r, config_path);
	free(r);
	return rc;
}
