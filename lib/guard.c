/*
 * guard.c - the recipient allow-list and which rate limits count a request (see guard.h)
 *
 * Pure: text in, answers out; no I/O, no logging. The counting itself is
 * lib/guard_redis.c's, the replies decide.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "siphash.h"

/* Fixed, not random: every gateway must name the same counter the same way. */
static const uint8_t guard_hash_key[16] = "edg-guard-rate-1";

static const char *const guard_scope_names[] = {
    [CONFIG_LIMIT_SASL] = "sasl",
    [CONFIG_LIMIT_SENDER] = "sender",
    [CONFIG_LIMIT_CLIENT] = "client",
    [CONFIG_LIMIT_TENANCY] = "tenancy",
};

static int
guard_pattern_matches(const char *pattern, const char *recipient)
{
	const char *domain = strrchr(recipient, '@');
	size_t dlen, plen;

	if (strncmp(pattern, "*@*.", 4) == 0) {
		if (domain == NULL)
			return 0;
		dlen = strlen(domain + 1);
		plen = strlen(pattern + 3); /* ".d" */
		return dlen > plen && strcmp(domain + 1 + dlen - plen, pattern + 3) == 0;
	}
	if (pattern[0] == '@')
		return domain != NULL && strcmp(domain, pattern) == 0;
	return strcmp(pattern, recipient) == 0;
}

int
guard_recipient_allowed(const struct config_list *patterns, const char *recipient)
{
	if (patterns == NULL || patterns->count == 0)
		return 1;
	for (size_t i = 0; i < patterns->count; i++)
		if (guard_pattern_matches(patterns->items[i], recipient))
			return 1;
	return 0;
}

static int
guard_copy(char *id, size_t idsize, const char *value)
{
	return *value != '\0' && (size_t)snprintf(id, idsize, "%s", value) < idsize;
}

int
guard_limit_applies(const struct config_limit *limit, const struct guard_who *who, char *id,
                    size_t idsize)
{
	const char *domain;

	switch (limit->scope) {
	case CONFIG_LIMIT_SASL:
		if (limit->kind == CONFIG_PATTERN_ANY)
			return guard_copy(id, idsize, who->sasl_login);
		return strcmp(limit->id, who->sasl_login) == 0 && guard_copy(id, idsize, limit->id);
	case CONFIG_LIMIT_SENDER:
		if (limit->kind == CONFIG_PATTERN_ANY)
			return guard_copy(id, idsize, who->sender);
		if (limit->kind == CONFIG_PATTERN_DOMAIN)
			return (domain = strrchr(who->sender, '@')) != NULL &&
			       strcmp(domain, limit->id) == 0 && guard_copy(id, idsize, limit->id);
		return strcmp(limit->id, who->sender) == 0 && guard_copy(id, idsize, limit->id);
	case CONFIG_LIMIT_CLIENT:
		if (limit->kind == CONFIG_PATTERN_ANY)
			return who->family != 0 && guard_copy(id, idsize, who->client_ip);
		return who->family != 0 &&
		       config_cidr_match(&limit->cidr, who->family, who->addr) &&
		       guard_copy(id, idsize, limit->id);
	case CONFIG_LIMIT_TENANCY:
		return guard_copy(id, idsize, "-");
	}
	return 0;
}

/* 64 bits of the counted identity; a network is hashed in its canonical form. */
static uint64_t
guard_id_hash(const struct config_limit *limit, const char *id)
{
	unsigned char net[1 + 16 + 1];

	if (limit->kind != CONFIG_PATTERN_CIDR)
		return siphash24(guard_hash_key, id, strlen(id));
	net[0] = (unsigned char)limit->cidr.family;
	memcpy(net + 1, limit->cidr.addr, 16);
	net[17] = (unsigned char)limit->cidr.prefix;
	return siphash24(guard_hash_key, net, sizeof(net));
}

size_t
guard_counters(const struct config_limit_list *limits, const struct guard_who *who,
               const char *prefix, long long now_ms, struct guard_counter *out)
{
	size_t n = 0;

	for (size_t i = 0; limits != NULL && i < limits->count && n < CONFIG_LIMITS_MAX; i++) {
		const struct config_limit *limit = &limits->limits[i];
		struct guard_counter *c = &out[n];
		long long window_s = limit->window_ms / 1000;
		long long start_s = now_ms / 1000 / window_s * window_s;

		if (!guard_limit_applies(limit, who, c->id, sizeof(c->id)))
			continue;
		c->limit = i;
		c->count = limit->count;
		c->window_end_ms = (start_s + window_s) * 1000;
		c->ttl_ms = limit->window_ms + GUARD_EXPIRY_SLACK_MS;
		snprintf(c->key, sizeof(c->key), "%s:v1:rate:%s:%016" PRIx64 ":%lld:%lld", prefix,
		         guard_scope_names[limit->scope], guard_id_hash(limit, c->id), window_s,
		         start_s);
		n++;
	}
	return n;
}
