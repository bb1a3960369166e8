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

/*
 * The reply "action=WORD [WORD ...]\n\n", put together without printf (it is built
 * for every request): the words are joined by spaces and cut to fit; a NULL one
 * is left out.
 */
static void
policy_answer_reply(struct policy_answer *out, const char *const *words, size_t nwords)
{
	char *p = out->reply, *end = out->reply + sizeof(out->reply) - 3; /* "\n\n" NUL */

	memcpy(p, "action=", 7);
	p += 7;
	for (size_t i = 0; i < nwords; i++) {
		size_t n;

		if (words[i] == NULL) /* not for a refusal: decide.c sets code and dsn */
			continue;
		n = strlen(words[i]);
		if (p > out->reply + 7 && p < end)
			*p++ = ' ';
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		memcpy(p, words[i], n);
		p += n;
	}
	memcpy(p, "\n\n", 3);
}

/* policy_answer_reply() with the words listed in place */
#define POLICY_REPLY(out, ...)                                                                     \
	policy_answer_reply(out, (const char *const[]){__VA_ARGS__},                               \
	                    sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void
policy_answer_dunno(struct policy_answer *out)
{
	POLICY_REPLY(out, "DUNNO");
}

static void
policy_answer_verdict(struct policy_answer *out, const struct verdict *v)
{
	out->verdict = *v;
	if (v->would_refuse && v->code == NULL) {
		out->refused = 1;
		POLICY_REPLY(out, "WARN", v->text);
	} else if (v->would_refuse) {
		out->refused = 1;
		POLICY_REPLY(out, "WARN", v->code, v->dsn, v->text);
	} else if (v->action == VERDICT_REDIRECT) {
		POLICY_REPLY(out, "REDIRECT", v->rewrite_to);
	} else if (v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL) {
		out->refused = 1;
		POLICY_REPLY(out, v->code, v->dsn, v->text);
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
	if ((req->overlong >> POLICY_CLIENT_ADDRESS) & 1)
		return;
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

/* A verdict that stops the answer: a refusal, or a refusal monitor mode let pass. */
static int
policy_answer_final(const struct verdict *v)
{
	return v->action == VERDICT_REJECT || v->action == VERDICT_TEMPFAIL || v->would_refuse;
}

/* Count the recipient; the limit's verdict replaces *v when it refuses (or would). */
static void
policy_answer_limits(const struct decide_policy *policy, const struct policy_guard *guard,
                     const struct policy_request *req, const struct decide_client *client,
                     const struct policy_answer *out, struct verdict *v)
{
	const struct config_limit *limit = NULL;
	const char *id = "";
	struct guard_who who = {
	    .sasl_login = client->sasl_login,
	    .sender = out->sender,
	    .client_ip = client->family ? req->value[POLICY_CLIENT_ADDRESS] : "",
	    .family = client->family,
	};
	enum guard_outcome outcome;
	struct verdict limited;

	if (guard == NULL || guard->count == NULL)
		return;
	memcpy(who.addr, client->addr, sizeof(who.addr));
	outcome = guard->count(guard->arg, &who, &limit, &id);
	if (outcome == GUARD_OVER && limit == NULL)
		outcome = GUARD_ERROR;
	decide_guard_limit(policy, outcome, limit, id, &limited);
	if (policy_answer_final(&limited) && !v->would_refuse)
		*v = limited;
	else if (limited.reason == REASON_GUARD_LIMIT_ERROR && v->reason == REASON_NONE)
		v->reason = REASON_GUARD_LIMIT_ERROR; /* passed open: counted and logged as such */
}

/* RCPT: allow-list, then suppression (unless redirected), then the limits. */
static void
policy_answer_recipient(const struct decide_policy *policy, struct state *st,
                        const struct policy_guard *guard, const struct policy_request *req,
                        const struct decide_client *client, struct policy_answer *out)
{
	struct verdict v;

	decide_guard_recipient(policy, out->recipient, &v);
	if (!policy_answer_final(&v) && v.action != VERDICT_REDIRECT)
		decide_recipient(policy, st, out->recipient, &v);
	if (v.action != VERDICT_REJECT && v.action != VERDICT_TEMPFAIL)
		policy_answer_limits(policy, guard, req, client, out, &v);
	policy_answer_verdict(out, &v);
}

void
policy_answer_guarded(const struct decide_policy *policy, struct state *st,
                      const struct policy_guard *guard, const struct policy_request *req,
                      struct policy_answer *out)
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
	if (policy_answer_final(&v) || !rcpt) {
		policy_answer_verdict(out, &v);
		return;
	}
	if (policy_answer_addr(req, POLICY_RECIPIENT, out->recipient) != 0) {
		out->unexpected = 1;
		return;
	}
	policy_answer_recipient(policy, st, guard, req, &client, out);
}

void
policy_answer(const struct decide_policy *policy, struct state *st,
              const struct policy_request *req, struct policy_answer *out)
{
	policy_answer_guarded(policy, st, NULL, req, out);
}
