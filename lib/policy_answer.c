/*
 * policy_answer.c - one policy request in, one Postfix policy reply out
 *
 * See policy_answer.h. The decisions themselves are decide.c's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "policy_answer.h"

static void
policy_answer_dunno(struct policy_answer *out)
{
	snprintf(out->reply, sizeof(out->reply), "action=DUNNO\n\n");
}

static void
policy_answer_verdict(struct policy_answer *out, const struct verdict *v)
{
	out->verdict = *v;
	if (v->would_refuse) {
		out->refused = 1;
		snprintf(out->reply, sizeof(out->reply), "action=WARN %s %s %s\n\n", v->code,
		         v->dsn, v->text);
	} else if (v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL) {
		out->refused = 1;
		snprintf(out->reply, sizeof(out->reply), "action=%s %s %s\n\n", v->code, v->dsn,
		         v->text);
	} else {
		policy_answer_dunno(out);
	}
}

static void
policy_answer_client(const struct policy_request *req, struct decide_client *client)
{
	const char *ip = req->value[POLICY_CLIENT_ADDRESS];

	memset(client, 0, sizeof(*client));
	client->sasl_login = req->value[POLICY_SASL_USERNAME];
	if (inet_pton(AF_INET, ip, client->addr) == 1)
		client->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, client->addr) == 1)
		client->family = AF_INET6;
}

/* Canonical form of an envelope address attribute; -1 when it has none. */
static int
policy_answer_addr(const struct policy_request *req, enum policy_attr attr, char *out)
{
	const char *value = req->value[attr];

	if ((req->overlong >> attr) & 1)
		return -1;
	if (attr == POLICY_SENDER && *value == '\0') {
		*out = '\0';
		return 0;
	}
	return addr_canon(value, strlen(value), out, ADDR_MAX, NULL) == ADDR_OK ? 0 : -1;
}

void
policy_answer(const struct decide_policy *policy, struct state *st,
              const struct policy_request *req, struct policy_answer *out)
{
	const char *stage = req->value[POLICY_PROTOCOL_STATE];
	struct decide_client client;
	struct verdict v;
	int rcpt = strcasecmp(stage, "RCPT") == 0;

	memset(out, 0, sizeof(*out));
	out->stage = stage;
	policy_answer_dunno(out);
	if (strcmp(req->value[POLICY_REQUEST], "smtpd_access_policy") != 0) {
		out->unexpected = 1;
		return;
	}
	if (!rcpt && strcasecmp(stage, "MAIL") != 0)
		return;
	if (policy_answer_addr(req, POLICY_SENDER, out->sender) != 0) {
		out->unexpected = 1;
		return;
	}
	policy_answer_client(req, &client);
	decide_sender(policy, st, &client, out->sender, &v);
	if (v.action == VERDICT_REJECT || v.action == VERDICT_TEMPFAIL || v.would_refuse || !rcpt) {
		policy_answer_verdict(out, &v);
		return;
	}
	if (policy_answer_addr(req, POLICY_RECIPIENT, out->recipient) != 0) {
		out->unexpected = 1;
		return;
	}
	decide_recipient(policy, st, out->recipient, &v);
	policy_answer_verdict(out, &v);
}
