/*
 * guard.c - the recipient allow-list and which rate limits count a request (see guard.h)
 *
 * Pure: text in, answers out; no I/O, no logging. The counting itself is
 * lib/guard_redis.c's (its script keeps the slots this file sums), the replies
 * decide.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
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

static int
guard_key(const struct config_limit *limit, const char *id, const char *prefix, char *key,
          size_t keysize)
{
	size_t len = (size_t)snprintf(key, keysize, "%s:v1:rate:%s:%016" PRIx64 ":%lld", prefix,
	                              guard_scope_names[limit->scope], guard_id_hash(limit, id),
	                              (long long)(limit->window_ms / 1000));

	return len < keysize ? 0 : -1;
}

/* An earlier counter with the same key: it takes the lower COUNT; 1 when merged. */
static int
guard_merge(struct guard_counter *counters, size_t n, const struct guard_counter *c)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(counters[i].key, c->key) != 0)
			continue;
		if (c->count < counters[i].count)
			counters[i] = *c;
		return 1;
	}
	return 0;
}

size_t
guard_counters(const struct config_limit_list *limits, const struct guard_who *who,
               const char *prefix, struct guard_counter *out)
{
	size_t n = 0;

	for (size_t i = 0; limits != NULL && i < limits->count && n < CONFIG_LIMITS_MAX; i++) {
		const struct config_limit *limit = &limits->limits[i];
		struct guard_counter *c = &out[n];

		if (!guard_limit_applies(limit, who, c->id, sizeof(c->id)) ||
		    guard_key(limit, c->id, prefix, c->key, sizeof(c->key)) != 0)
			continue;
		c->limit = i;
		c->count = limit->count;
		c->window_ms = limit->window_ms;
		c->ttl_ms =
		    limit->window_ms + limit->window_ms / GUARD_SLOTS + 1 + GUARD_EXPIRY_SLACK_MS;
		if (!guard_merge(out, n, c))
			n++;
	}
	return n;
}

int
guard_limit_single(const struct config_limit *limit)
{
	return limit->scope == CONFIG_LIMIT_TENANCY || limit->kind != CONFIG_PATTERN_ANY;
}

int
guard_limit_key(const struct config_limit *limit, const char *prefix, char *key, size_t keysize)
{
	if (!guard_limit_single(limit))
		return -1;
	return guard_key(limit, limit->scope == CONFIG_LIMIT_TENANCY ? "-" : limit->id, prefix, key,
	                 keysize);
}

long long
guard_slot(long long now_ms, long long window_ms)
{
	return now_ms * GUARD_SLOTS / window_ms;
}

long long
guard_slot_release_ms(long long slot, long long window_ms)
{
	return ((slot + GUARD_SLOTS + 1) * window_ms + GUARD_SLOTS - 1) / GUARD_SLOTS;
}

/* A slot field: decimal digits only, as the script writes them. */
static int
guard_slot_field(const char *field, long long *slot)
{
	size_t len = strlen(field);

	if (len == 0 || len > 18 || strspn(field, "0123456789") != len)
		return 0;
	*slot = strtoll(field, NULL, 10);
	return 1;
}

void
guard_usage(struct guard_usage *usage, const char *field, const char *value, long long now_ms,
            long long window_ms)
{
	long long slot, release;

	if (strcmp(field, "id") == 0) {
		snprintf(usage->id, sizeof(usage->id), "%s", value);
		return;
	}
	if (!guard_slot_field(field, &slot) || slot < guard_slot(now_ms, window_ms) - GUARD_SLOTS)
		return;
	usage->count += strtoll(value, NULL, 10);
	release = guard_slot_release_ms(slot, window_ms);
	if (usage->next_release_ms == 0 || release < usage->next_release_ms)
		usage->next_release_ms = release;
}
