/*
 * config_rule.c - the rule-like values of edg.conf: [rewrite] rules, [bindings],
 * [guard] recipient patterns and limits, suppressed_reply (see config.h)
 *
 * DESCRIPTION
 *	Text in, value out, as the other value parsers (config_value.c): each line is
 *	split on blanks into tokens, each token checked and canonicalised (addresses
 *	through addr.c); the strings placed in the output are released by the matching
 *	*_release() function, also after a failed parse.
 *
 * DIAGNOSTICS
 *	0 on success; -1 with *why pointing to a static English reason.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_parse.h"
#include "xalloc.h"

void
config_list_release(struct config_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* Split text on blanks into at most max tokens (copies the caller frees with
 * config_list_release()). Returns the number of tokens, or max + 1 when there are
 * more. */
static size_t
config_tokens(const char *text, struct config_list *tokens, size_t max)
{
	const char *p = text;

	memset(tokens, 0, sizeof(*tokens));
	tokens->items = xcalloc(max, sizeof(char *));
	for (;;) {
		size_t len;

		p += strspn(p, " \t");
		if (*p == '\0')
			return tokens->count;
		if (tokens->count == max)
			return max + 1;
		len = strcspn(p, " \t");
		tokens->items[tokens->count++] = xstrndup(p, len);
		p += len;
	}
}

/* An address, or with pattern_ok an "@domain" too, in canonical form. */
static int
config_address_canon(const char *text, int pattern_ok, char **out, const char **why)
{
	char canon[ADDR_MAX];
	enum addr_result rc =
	    pattern_ok ? addr_canon_pattern(text, strlen(text), canon, sizeof(canon), why)
	               : addr_canon(text, strlen(text), canon, sizeof(canon), why);

	if (rc == ADDR_NULL)
		*why = "the null sender \"<>\" is not an approved sender";
	if (rc != ADDR_OK)
		return -1;
	*out = xstrdup(canon);
	return 0;
}

static int
config_rewrite_pattern(const char *text, struct config_rewrite_rule *out, const char **why)
{
	if (out->source == CONFIG_REWRITE_CLIENT) {
		out->kind = CONFIG_PATTERN_CIDR;
		out->pattern = xstrdup(text);
		return config_cidr_parse(text, &out->cidr, why);
	}
	if (strcmp(text, "*") == 0) {
		out->kind = CONFIG_PATTERN_ANY;
		out->pattern = xstrdup(text);
		return 0;
	}
	if (out->source == CONFIG_REWRITE_SASL) {
		out->kind = CONFIG_PATTERN_LOGIN;
		out->pattern = xstrdup(text);
		return 0;
	}
	out->kind = addr_is_domain_pattern(text, strlen(text)) ? CONFIG_PATTERN_DOMAIN
	                                                       : CONFIG_PATTERN_ADDRESS;
	return config_address_canon(text, 1, &out->pattern, why);
}

int
config_rewrite_rule_parse(const char *text, struct config_rewrite_rule *out, const char **why)
{
	static const char *const sources[] = {"envelope", "header", "sasl", "client"};
	struct config_list tokens;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected SOURCE PATTERN SENDER";
	if (config_tokens(text, &tokens, 3) != 3)
		goto done;
	*why = "SOURCE must be envelope, header, sasl or client";
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		if (strcmp(tokens.items[0], sources[i]) != 0)
			continue;
		out->source = (enum config_rewrite_source)i;
		if (config_rewrite_pattern(tokens.items[1], out, why) != 0)
			goto done;
		if (addr_is_domain_pattern(tokens.items[2], strlen(tokens.items[2]))) {
			*why = "SENDER must be an address, not a domain";
			goto done;
		}
		rc = config_address_canon(tokens.items[2], 0, &out->sender, why);
		break;
	}
done:
	config_list_release(&tokens);
	return rc;
}

void
config_rewrite_rule_release(struct config_rewrite_rule *rule)
{
	free(rule->pattern);
	free(rule->sender);
	memset(rule, 0, sizeof(*rule));
}

static int
config_binding_subject(const char *text, struct config_binding *out, const char **why)
{
	if (strncmp(text, "sasl:", 5) == 0 && text[5] != '\0') {
		out->kind = CONFIG_BIND_SASL;
		out->login = xstrdup(text + 5);
		return 0;
	}
	out->login = xstrdup("");
	if (strncmp(text, "client:", 7) == 0) {
		out->kind = CONFIG_BIND_CLIENT;
		return config_cidr_parse(text + 7, &out->cidr, why);
	}
	*why = "expected sasl:LOGIN or client:NETWORK first";
	return -1;
}

#define CONFIG_BIND_SENDERS_MAX 64

int
config_binding_parse(const char *text, struct config_binding *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, CONFIG_BIND_SENDERS_MAX + 1);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected sasl:LOGIN or client:NETWORK and at least one SENDER";
	if (count < 2)
		goto done;
	*why = "too many senders on one line (64 at most)";
	if (count > CONFIG_BIND_SENDERS_MAX + 1)
		goto done;
	if (config_binding_subject(tokens.items[0], out, why) != 0)
		goto done;
	out->senders.items = xcalloc(count - 1, sizeof(char *));
	for (size_t i = 1; i < count; i++) {
		if (config_address_canon(tokens.items[i], 1, &out->senders.items[i - 1], why) != 0)
			goto done;
		out->senders.count++;
	}
	rc = 0;
done:
	config_list_release(&tokens);
	return rc;
}

void
config_binding_release(struct config_binding *binding)
{
	free(binding->login);
	config_list_release(&binding->senders);
	memset(binding, 0, sizeof(*binding));
}

int
config_rcpt_pattern_parse(const char *text, char *out, size_t outsize, const char **why)
{
	char canon[ADDR_MAX], domain[ADDR_MAX];
	int subdomains = strncmp(text, "*@*.", 4) == 0;
	const char *rest = text;

	*why = "not an address, @domain or *@*.domain";
	if (subdomains) {
		if ((size_t)snprintf(domain, sizeof(domain), "@%s", text + 4) >= sizeof(domain))
			return -1;
		rest = domain;
	}
	if (addr_canon_pattern(rest, strlen(rest), canon, sizeof(canon), why) != ADDR_OK)
		return -1;
	if (subdomains && canon[0] != '@') {
		*why = "*@*. must be followed by a domain";
		return -1;
	}
	if ((size_t)snprintf(out, outsize, "%s%s", subdomains ? "*@*." : "",
	                     subdomains ? canon + 1 : canon) >= outsize) {
		*why = "too long";
		return -1;
	}
	return 0;
}

/* SCOPE[:ID] of a limit line. */
static int
config_limit_subject(const char *text, struct config_limit *out, const char **why)
{
	static const char *const scopes[] = {"sasl", "sender", "client", "tenancy"};
	size_t len = strcspn(text, ":");
	const char *id = text[len] == ':' ? text + len + 1 : "";

	*why = "SCOPE must be sasl, sender, client or tenancy";
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (strlen(scopes[i]) != len || strncmp(text, scopes[i], len) != 0)
			continue;
		out->scope = (enum config_limit_scope)i;
		out->kind = CONFIG_PATTERN_ANY;
		if (*id == '\0') {
			out->id = xstrdup("");
			return 0;
		}
		switch (out->scope) {
		case CONFIG_LIMIT_SASL:
			out->kind = CONFIG_PATTERN_LOGIN;
			out->id = xstrdup(id);
			return strlen(id) > 255 ? (*why = "login too long", -1) : 0;
		case CONFIG_LIMIT_SENDER:
			out->kind = addr_is_domain_pattern(id, strlen(id)) ? CONFIG_PATTERN_DOMAIN
			                                                   : CONFIG_PATTERN_ADDRESS;
			return config_address_canon(id, 1, &out->id, why);
		case CONFIG_LIMIT_CLIENT:
			out->kind = CONFIG_PATTERN_CIDR;
			out->id = xstrdup(id);
			return config_cidr_parse(id, &out->cidr, why);
		case CONFIG_LIMIT_TENANCY:
			*why = "tenancy takes no :ID";
			return -1;
		}
	}
	return -1;
}

/* COUNT/WINDOW */
static int
config_limit_rate(const char *text, struct config_limit *out, const char **why)
{
	unsigned long long count;
	const char *slash = config_digits(text, &count);

	*why = "expected COUNT/WINDOW, e.g. 100/1m";
	if (slash == NULL || *slash != '/' || count == 0 || count > CONFIG_LIMIT_COUNT_MAX)
		return -1;
	out->count = (long)count;
	if (config_duration_parse(slash + 1, &out->window_ms, why) != 0)
		return -1;
	*why = "WINDOW must be whole seconds, from 1s to 1d";
	if (out->window_ms < 1000 || out->window_ms > 86400000 || out->window_ms % 1000 != 0)
		return -1;
	return 0;
}

/*
 * A 4xx or 5xx reply code and an enhanced status code of the same class; dsn NULL:
 * the class with default_detail (".7.1" gives "4.7.1" or "5.7.1").
 */
static int
config_reply_code(const char *code, const char *dsn, const char *default_detail,
                  char out_code[CONFIG_REPLY_CODE_SIZE], char out_dsn[CONFIG_REPLY_DSN_SIZE],
                  const char **why)
{
	unsigned a, b, c;
	char end;

	*why = "CODE must be a 4xx or 5xx reply code";
	if (strlen(code) != 3 || strspn(code, "0123456789") != 3 ||
	    (code[0] != '4' && code[0] != '5'))
		return -1;
	memcpy(out_code, code, 4);
	if (dsn == NULL) {
		snprintf(out_dsn, CONFIG_REPLY_DSN_SIZE, "%c%s", code[0], default_detail);
		return 0;
	}
	*why = "DSN must be an enhanced status code X.Y.Z of the same class as CODE";
	if (strlen(dsn) >= CONFIG_REPLY_DSN_SIZE || dsn[0] != code[0] ||
	    sscanf(dsn, "%u.%u.%u%c", &a, &b, &c, &end) != 3 || b > 999 || c > 999)
		return -1;
	memcpy(out_dsn, dsn, strlen(dsn) + 1);
	return 0;
}

/* [CODE [DSN]] of a limit: 451 4.7.1 unless configured. */
static int
config_limit_code(const struct config_list *tokens, struct config_limit *out, const char **why)
{
	return config_reply_code(tokens->count > 2 ? tokens->items[2] : "451",
	                         tokens->count > 3 ? tokens->items[3] : NULL, ".7.1", out->code,
	                         out->dsn, why);
}

int
config_suppressed_reply_parse(const char *text, struct config_reply *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, 3), len;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected REASON CODE [DSN], e.g. SOFTBOUNCE 450 4.2.1";
	if (count < 2 || count > 3)
		goto done;
	len = strlen(tokens.items[0]);
	*why = "REASON must be an OCI suppression reason (HARDBOUNCE, COMPLAINT, MANUAL, "
	       "SOFTBOUNCE, UNSUBSCRIBE, UNKNOWN, ...) or *";
	if (len == 0 || len >= sizeof(out->reason) ||
	    (strcmp(tokens.items[0], "*") != 0 &&
	     strspn(tokens.items[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_") !=
	         len))
		goto done;
	for (size_t i = 0; i <= len; i++)
		out->reason[i] = (char)toupper((unsigned char)tokens.items[0][i]);
	rc = config_reply_code(tokens.items[1], count > 2 ? tokens.items[2] : NULL, ".1.1",
	                       out->code, out->dsn, why);
done:
	config_list_release(&tokens);
	return rc;
}

int
config_limit_parse(const char *text, struct config_limit *out, const char **why)
{
	struct config_list tokens;
	size_t count = config_tokens(text, &tokens, 4);
	static const char *const names[] = {"sasl", "sender", "client", "tenancy"};
	char window[32];
	size_t size;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*why = "expected SCOPE[:ID] COUNT/WINDOW [CODE [DSN]]";
	if (count < 2 || count > 4)
		goto done;
	if (config_limit_subject(tokens.items[0], out, why) != 0 ||
	    config_limit_rate(tokens.items[1], out, why) != 0 ||
	    config_limit_code(&tokens, out, why) != 0)
		goto done;
	snprintf(window, sizeof(window), "%s", strchr(tokens.items[1], '/') + 1);
	size = strlen(out->id) + sizeof(window) + 32;
	out->text = xmalloc(size);
	snprintf(out->text, size, "%s%s%s %ld/%s", names[out->scope], *out->id ? ":" : "", out->id,
	         out->count, window);
	rc = 0;
done:
	config_list_release(&tokens);
	return rc;
}

void
config_limit_release(struct config_limit *limit)
{
	free(limit->id);
	free(limit->text);
	memset(limit, 0, sizeof(*limit));
}
