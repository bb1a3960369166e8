/*
 * test_guard.c - the guards' pure parts: allow-list patterns, limit lines, counters
 *
 * Tables: each allow_recipients / limit text goes through the real parsers
 * (config_rcpt_pattern_parse, config_limit_parse); matching and counter keys come
 * from lib/guard.c exactly as edg-policyd uses them.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"
#include "guard.h"

struct pattern_case {
	const char *text;
	const char *canon; /* NULL: refused */
};

static const struct pattern_case pattern_cases[] = {
    {"QA@Example.COM", "qa@example.com"},
    {"@Staging.Example.com", "@staging.example.com"},
    {"*@*.Test.Example.com", "*@*.test.example.com"},
    {"*@*.bücher.example", "*@*.xn--bcher-kva.example"},
    {"<qa@example.com>", "qa@example.com"},
    {"*@*.", NULL},
    {"*@*.*.example.com", NULL},
    {"*@example.com", "*@example.com"}, /* "*" is a valid local part: the address "*" */
    {"@", NULL},
    {"no-at-sign", NULL},
    {"", NULL},
};

static void
test_pattern_parse(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(pattern_cases) / sizeof(pattern_cases[0]); i++) {
		const struct pattern_case *c = &pattern_cases[i];
		char out[512];
		const char *why = NULL;
		int rc = config_rcpt_pattern_parse(c->text, out, sizeof(out), &why);

		if (c->canon == NULL) {
			if (rc == 0)
				fail_msg("case %zu: \"%s\" accepted as \"%s\"", i, c->text, out);
			assert_non_null(why);
		} else {
			if (rc != 0)
				fail_msg("case %zu: \"%s\" refused: %s", i, c->text, why);
			assert_string_equal(out, c->canon);
		}
	}
}

struct match_case {
	const char *recipient;
	int allowed;
};

static const struct match_case match_cases[] = {
    {"qa@example.com", 1},
    {"qa2@example.com", 0},
    {"anyone@staging.example.com", 1},
    {"anyone@x.staging.example.com", 0}, /* @domain is that domain only */
    {"dev@a.test.example.com", 1},
    {"dev@b.a.test.example.com", 1},
    {"dev@test.example.com", 0},  /* *@*.d is subdomains only */
    {"dev@atest.example.com", 0}, /* a label boundary, not a suffix */
    {"dev@test.example.com.evil.net", 0},
    {"qa@example.com.evil.net", 0},
    {"", 0},
};

static void
test_allow_list(void **unused)
{
	const char *text = "[guard]\nallow_recipients = qa@example.com, @staging.example.com\n"
	                   "allow_recipients = *@*.test.example.com\n";
	struct edg_config *cfg = config_parse_buffer(text, strlen(text), "t.conf", stderr);
	struct config_list empty = {0};

	(void)unused;
	assert_non_null(cfg);
	assert_int_equal(cfg->guard.allow_recipients.count, 3);
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++)
		if (guard_recipient_allowed(&cfg->guard.allow_recipients,
		                            match_cases[i].recipient) != match_cases[i].allowed)
			fail_msg("case %zu: <%s> allowed should be %d", i, match_cases[i].recipient,
			         match_cases[i].allowed);
	assert_int_equal(guard_recipient_allowed(&empty, "anyone@anywhere.example"), 1);
	assert_int_equal(guard_recipient_allowed(NULL, "anyone@anywhere.example"), 1);
	config_free(cfg);
}

struct limit_case {
	const char *text;
	int ok;
	enum config_limit_scope scope;
	enum config_pattern_kind kind;
	const char *id;
	long count;
	long long window_ms;
	const char *code, *dsn, *shown;
};

static const struct limit_case limit_cases[] = {
    {"sasl:billing-app 5/1m", 1, CONFIG_LIMIT_SASL, CONFIG_PATTERN_LOGIN, "billing-app", 5, 60000,
     "451", "4.7.1", "sasl:billing-app 5/1m"},
    {"tenancy 17500/1m", 1, CONFIG_LIMIT_TENANCY, CONFIG_PATTERN_ANY, "", 17500, 60000, "451",
     "4.7.1", "tenancy 17500/1m"},
    {"tenancy   49000/1d", 1, CONFIG_LIMIT_TENANCY, CONFIG_PATTERN_ANY, "", 49000, 86400000, "451",
     "4.7.1", "tenancy 49000/1d"},
    {"sender:@Example.com 1000/1h", 1, CONFIG_LIMIT_SENDER, CONFIG_PATTERN_DOMAIN, "@example.com",
     1000, 3600000, "451", "4.7.1", "sender:@example.com 1000/1h"},
    {"sender:App@Example.com 10/60s", 1, CONFIG_LIMIT_SENDER, CONFIG_PATTERN_ADDRESS,
     "app@example.com", 10, 60000, "451", "4.7.1", "sender:app@example.com 10/60s"},
    {"client:10.0.0.0/8 100/1m", 1, CONFIG_LIMIT_CLIENT, CONFIG_PATTERN_CIDR, "10.0.0.0/8", 100,
     60000, "451", "4.7.1", "client:10.0.0.0/8 100/1m"},
    {"sasl 10/1d 452 4.5.3", 1, CONFIG_LIMIT_SASL, CONFIG_PATTERN_ANY, "", 10, 86400000, "452",
     "4.5.3", "sasl 10/1d"},
    {"client 3/1s 550", 1, CONFIG_LIMIT_CLIENT, CONFIG_PATTERN_ANY, "", 3, 1000, "550", "5.7.1",
     "client 3/1s"},
    {.text = "tenancy:x 5/1m", .ok = 0},
    {.text = "bogus:x 5/1m", .ok = 0},
    {.text = "sasl:a 0/1m", .ok = 0},
    {.text = "sasl:a 1000000001/1m", .ok = 0},
    {.text = "sasl:a 5/1w", .ok = 0},
    {.text = "sasl:a 5/500ms", .ok = 0},
    {.text = "sasl:a 5/2d", .ok = 0},
    {.text = "sasl:a 5/1500ms", .ok = 0},
    {.text = "sasl:a 5", .ok = 0},
    {.text = "sasl:a 5/1m 251", .ok = 0},
    {.text = "sasl:a 5/1m 45", .ok = 0},
    {.text = "sasl:a 5/1m 451 5.7.1", .ok = 0},
    {.text = "sasl:a 5/1m 451 4.7", .ok = 0},
    {.text = "sasl:a 5/1m 451 4.7.1 extra", .ok = 0},
    {.text = "client:10.0.0.0/33 5/1m", .ok = 0},
    {.text = "sender:@ 5/1m", .ok = 0},
    {.text = "", .ok = 0},
};

static void
test_limit_parse(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		struct config_limit limit;
		const char *why = NULL;
		int rc = config_limit_parse(c->text, &limit, &why);

		if (!c->ok) {
			if (rc == 0)
				fail_msg("case %zu: \"%s\" accepted", i, c->text);
			assert_non_null(why);
			config_limit_release(&limit);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: \"%s\" refused: %s", i, c->text, why);
		assert_int_equal(limit.scope, c->scope);
		assert_int_equal(limit.kind, c->kind);
		assert_string_equal(limit.id, c->id);
		assert_int_equal(limit.count, c->count);
		assert_int_equal(limit.window_ms, c->window_ms);
		assert_string_equal(limit.code, c->code);
		assert_string_equal(limit.dsn, c->dsn);
		assert_string_equal(limit.text, c->shown);
		config_limit_release(&limit);
	}
}

static void
test_limit_count_max(void **unused)
{
	char text[8192] = "[guard]\n";
	struct edg_config *cfg;

	(void)unused;
	for (int i = 0; i <= CONFIG_LIMITS_MAX; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		         "limit = sasl:u%d 5/1m\n", i);
	cfg = config_parse_buffer(text, strlen(text), "t.conf", NULL);
	assert_null(cfg);
}

static struct edg_config *
limits_config(void)
{
	const char *text = "[guard]\n"
	                   "limit = sasl:billing-app 5/1m\n"       /* 0 */
	                   "limit = sasl 100/1h\n"                 /* 1: each login */
	                   "limit = sender:@example.com 1000/1h\n" /* 2 */
	                   "limit = client:10.0.0.0/8 100/1m\n"    /* 3 */
	                   "limit = client 50/1m\n"                /* 4: each address */
	                   "limit = tenancy 17500/1m\n"            /* 5 */
	                   "limit = tenancy 49000/1d\n";           /* 6 */
	struct edg_config *cfg = config_parse_buffer(text, strlen(text), "t.conf", stderr);

	assert_non_null(cfg);
	return cfg;
}

static void
test_who(struct guard_who *who, const char *login, const char *sender, const char *ip)
{
	memset(who, 0, sizeof(*who));
	who->sasl_login = login;
	who->sender = sender;
	who->client_ip = ip;
	if (inet_pton(AF_INET, ip, who->addr) == 1)
		who->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, who->addr) == 1)
		who->family = AF_INET6;
}

static void
test_counters(void **unused)
{
	struct edg_config *cfg = limits_config();
	struct guard_counter counters[CONFIG_LIMITS_MAX];
	struct guard_who who;
	long long now = 1767323045678LL; /* 2026-01-02T03:04:05.678Z */
	size_t n;

	(void)unused;
	test_who(&who, "billing-app", "billing@example.com", "10.1.2.3");
	n = guard_counters(&cfg->guard.limits, &who, "edg", now, counters);
	assert_int_equal(n, 7);
	assert_int_equal(counters[0].limit, 0);
	assert_string_equal(counters[0].id, "billing-app");
	assert_int_equal(counters[0].count, 5);
	assert_int_equal(counters[0].ttl_ms, 60000 + GUARD_EXPIRY_SLACK_MS);
	assert_int_equal(counters[0].window_end_ms, 1767323100000LL);
	assert_string_equal(counters[2].id, "@example.com");
	assert_string_equal(counters[3].id, "10.0.0.0/8");
	assert_string_equal(counters[4].id, "10.1.2.3");
	assert_string_equal(counters[5].id, "-");
	assert_int_equal(counters[6].window_end_ms, 1767398400000LL);
	/* keys: PREFIX:v1:rate:SCOPE:HASH:WINDOW:START */
	assert_true(strncmp(counters[0].key, "edg:v1:rate:sasl:", 17) == 0);
	assert_string_equal(counters[0].key + strlen(counters[0].key) - 14, ":60:1767323040");
	assert_true(strncmp(counters[5].key, "edg:v1:rate:tenancy:", 20) == 0);
	assert_string_equal(counters[6].key + strlen(counters[6].key) - 17, ":86400:1767312000");
	/* sasl:billing-app and "each login" count the same thing: one hash, other window */
	assert_memory_equal(counters[0].key, counters[1].key, 17 + 16);
	assert_string_not_equal(counters[0].key, counters[1].key);
	/* the minute and the day of the tenancy never share a key */
	assert_string_not_equal(counters[5].key, counters[6].key);

	/* no login, another domain, outside 10/8: only each-client and tenancy */
	test_who(&who, "", "x@example.org", "192.0.2.1");
	n = guard_counters(&cfg->guard.limits, &who, "edg", now, counters);
	assert_int_equal(n, 3);
	assert_int_equal(counters[0].limit, 4);
	assert_int_equal(counters[1].limit, 5);
	assert_int_equal(counters[2].limit, 6);
	/* a subdomain is not the domain */
	test_who(&who, "", "x@sub.example.com", "");
	n = guard_counters(&cfg->guard.limits, &who, "edg", now, counters);
	assert_int_equal(n, 2); /* no client address: tenancy only */
	/* the null sender is counted by nobody's sender limit */
	test_who(&who, "other-app", "", "2001:db8::1");
	n = guard_counters(&cfg->guard.limits, &who, "p", now, counters);
	assert_int_equal(n, 4); /* each login, each client, tenancy x2 */
	assert_string_equal(counters[0].id, "other-app");
	assert_string_equal(counters[1].id, "2001:db8::1");
	config_free(cfg);
}

static void
test_counters_none(void **unused)
{
	const char *text = "[guard]\nlimit = sasl:billing-app 5/1m\n";
	struct edg_config *cfg = config_parse_buffer(text, strlen(text), "t.conf", stderr);
	struct guard_counter counters[CONFIG_LIMITS_MAX];
	struct guard_who who;

	(void)unused;
	test_who(&who, "web-app", "a@example.com", "10.0.0.1");
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", 0, counters), 0);
	assert_int_equal(guard_counters(NULL, &who, "edg", 0, counters), 0);
	config_free(cfg);
	cfg = config_defaults();
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", 0, counters), 0);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pattern_parse), cmocka_unit_test(test_allow_list),
	    cmocka_unit_test(test_limit_parse),   cmocka_unit_test(test_limit_count_max),
	    cmocka_unit_test(test_counters),      cmocka_unit_test(test_counters_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
