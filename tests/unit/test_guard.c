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
	char key[GUARD_KEY_MAX];
	size_t n;

	(void)unused;
	test_who(&who, "billing-app", "billing@example.com", "10.1.2.3");
	n = guard_counters(&cfg->guard.limits, &who, "edg", counters);
	assert_int_equal(n, 7);
	assert_int_equal(counters[0].limit, 0);
	assert_string_equal(counters[0].id, "billing-app");
	assert_int_equal(counters[0].count, 5);
	assert_int_equal(counters[0].window_ms, 60000);
	assert_int_equal(counters[0].ttl_ms, 60000 + 1000 + 1 + GUARD_EXPIRY_SLACK_MS);
	assert_int_equal(counters[6].ttl_ms, 86400000 + 1440000 + 1 + GUARD_EXPIRY_SLACK_MS);
	assert_string_equal(counters[2].id, "@example.com");
	assert_string_equal(counters[3].id, "10.0.0.0/8");
	assert_string_equal(counters[4].id, "10.1.2.3");
	assert_string_equal(counters[5].id, "-");
	/* keys: PREFIX:v1:rate:SCOPE:HASH:WINDOW, one per identity and window, no time */
	assert_true(strncmp(counters[0].key, "edg:v1:rate:sasl:", 17) == 0);
	assert_int_equal(strlen(counters[0].key), 17 + 16 + 3);
	assert_string_equal(counters[0].key + 17 + 16, ":60");
	assert_true(strncmp(counters[5].key, "edg:v1:rate:tenancy:", 20) == 0);
	assert_string_equal(counters[6].key + strlen(counters[6].key) - 6, ":86400");
	/* sasl:billing-app and "each login" count the same thing: one hash, other window */
	assert_memory_equal(counters[0].key, counters[1].key, 17 + 16);
	assert_string_not_equal(counters[0].key, counters[1].key);
	/* the minute and the day of the tenancy never share a key */
	assert_string_not_equal(counters[5].key, counters[6].key);
	/* edgctl finds the key of a limit with one counter without a request */
	assert_int_equal(guard_limit_key(&cfg->guard.limits.limits[0], "edg", key, sizeof(key)), 0);
	assert_string_equal(key, counters[0].key);
	assert_int_equal(guard_limit_key(&cfg->guard.limits.limits[3], "edg", key, sizeof(key)), 0);
	assert_string_equal(key, counters[3].key);
	assert_int_equal(guard_limit_key(&cfg->guard.limits.limits[6], "edg", key, sizeof(key)), 0);
	assert_string_equal(key, counters[6].key);
	assert_int_equal(guard_limit_key(&cfg->guard.limits.limits[1], "edg", key, sizeof(key)),
	                 -1);
	assert_int_equal(guard_limit_single(&cfg->guard.limits.limits[4]), 0);
	assert_int_equal(guard_limit_single(&cfg->guard.limits.limits[5]), 1);
	assert_int_equal(guard_limit_key(&cfg->guard.limits.limits[5], "edg", key, 20), -1);

	/* no login, another domain, outside 10/8: only each-client and tenancy */
	test_who(&who, "", "x@example.org", "192.0.2.1");
	n = guard_counters(&cfg->guard.limits, &who, "edg", counters);
	assert_int_equal(n, 3);
	assert_int_equal(counters[0].limit, 4);
	assert_int_equal(counters[1].limit, 5);
	assert_int_equal(counters[2].limit, 6);
	/* a subdomain is not the domain */
	test_who(&who, "", "x@sub.example.com", "");
	n = guard_counters(&cfg->guard.limits, &who, "edg", counters);
	assert_int_equal(n, 2); /* no client address: tenancy only */
	/* the null sender is counted by nobody's sender limit */
	test_who(&who, "other-app", "", "2001:db8::1");
	n = guard_counters(&cfg->guard.limits, &who, "p", counters);
	assert_int_equal(n, 4); /* each login, each client, tenancy x2 */
	assert_string_equal(counters[0].id, "other-app");
	assert_string_equal(counters[1].id, "2001:db8::1");
	config_free(cfg);
}

/* Two lines on one identity and window share a key: one counter, the lower COUNT. */
static void
test_counters_merged(void **unused)
{
	const char *text = "[guard]\nlimit = sasl:billing-app 5/1m\nlimit = sasl 3/60s\n"
	                   "limit = sasl 10/1m\nlimit = tenancy 9/1m\nlimit = tenancy 7/1m 452\n";
	struct edg_config *cfg = config_parse_buffer(text, strlen(text), "t.conf", stderr);
	struct guard_counter counters[CONFIG_LIMITS_MAX];
	struct guard_who who;

	(void)unused;
	assert_non_null(cfg);
	test_who(&who, "billing-app", "a@example.com", "10.0.0.1");
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", counters), 2);
	assert_int_equal(counters[0].limit, 1);
	assert_int_equal(counters[0].count, 3);
	assert_int_equal(counters[1].limit, 4);
	assert_int_equal(counters[1].count, 7);
	test_who(&who, "web-app", "a@example.com", "10.0.0.1");
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", counters), 2);
	assert_int_equal(counters[0].limit, 1);
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
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", counters), 0);
	assert_int_equal(guard_counters(NULL, &who, "edg", counters), 0);
	config_free(cfg);
	cfg = config_defaults();
	assert_int_equal(guard_counters(&cfg->guard.limits, &who, "edg", counters), 0);
	config_free(cfg);
}

struct slot_case {
	long long now_ms, window_ms;
	long long slot;    /* guard_slot(now) */
	long long release; /* guard_slot_release_ms(slot): when a recipient counted now leaves */
};

static const struct slot_case slot_cases[] = {
    /* 1m: 1 s slots; counted at :45.678, counts until :06.000 of the next minute */
    {1767323045678LL, 60000, 1767323045LL, 1767323106000LL},
    {1767323045000LL, 60000, 1767323045LL, 1767323106000LL}, /* a slot's first ms: 61 s */
    {1767323045999LL, 60000, 1767323045LL, 1767323106000LL}, /* its last: 60.001 s */
    /* 1h: 1 min slots */
    {1767323045678LL, 3600000, 29455384LL, 1767326700000LL},
    /* 1d: 24 min slots */
    {1767323045678LL, 86400000, 1227307LL, 1767409920000LL},
    /* 1s: slots of 16.7 ms, rounded up to whole ms */
    {1767323045678LL, 1000, 106039382740LL, 1767323046684LL},
    {0, 1000, 0, 1017},
    /* 7 s: 116.7 ms */
    {700, 7000, 6, 7817},
};

static void
test_slots(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(slot_cases) / sizeof(slot_cases[0]); i++) {
		const struct slot_case *c = &slot_cases[i];
		long long slot = guard_slot(c->now_ms, c->window_ms);
		long long release = guard_slot_release_ms(slot, c->window_ms);

		if (slot != c->slot || release != c->release)
			fail_msg("case %zu: slot %lld release %lld, want %lld %lld", i, slot,
			         release, c->slot, c->release);
		/* held at least one window, at most one window and one slot */
		assert_true(release - c->now_ms >= c->window_ms);
		assert_true(release - c->now_ms <=
		            c->window_ms + (c->window_ms + GUARD_SLOTS - 1) / GUARD_SLOTS);
		/* the release is the first ms of slot + GUARD_SLOTS + 1 */
		assert_int_equal(guard_slot(release, c->window_ms), slot + GUARD_SLOTS + 1);
		assert_int_equal(guard_slot(release - 1, c->window_ms), slot + GUARD_SLOTS);
	}
}

/* A hash as HGETALL returns it: bookkeeping fields, stale and live slots. */
static void
test_usage(void **unused)
{
	long long now = 1767323045678LL, slot = guard_slot(now, 60000);
	struct guard_usage usage = {0};
	char field[32];

	(void)unused;
	guard_usage(&usage, "n", "99", now, 60000);
	guard_usage(&usage, "lo", "1767322980", now, 60000);
	guard_usage(&usage, "id", "billing-app", now, 60000);
	guard_usage(&usage, "x1", "7", now, 60000);
	guard_usage(&usage, "", "7", now, 60000);
	assert_int_equal(usage.count, 0);
	assert_int_equal(usage.next_release_ms, 0);
	assert_string_equal(usage.id, "billing-app");
	snprintf(field, sizeof(field), "%lld", slot - GUARD_SLOTS - 1); /* left the window */
	guard_usage(&usage, field, "40", now, 60000);
	assert_int_equal(usage.count, 0);
	snprintf(field, sizeof(field), "%lld", slot - GUARD_SLOTS); /* straddles its start */
	guard_usage(&usage, field, "2", now, 60000);
	snprintf(field, sizeof(field), "%lld", slot - 10);
	guard_usage(&usage, field, "3", now, 60000);
	snprintf(field, sizeof(field), "%lld", slot);
	guard_usage(&usage, field, "4", now, 60000);
	assert_int_equal(usage.count, 9);
	assert_int_equal(usage.next_release_ms, 1767323046000LL); /* the straddling slot's */
	/* a second later the straddling slot has left */
	memset(&usage, 0, sizeof(usage));
	for (long long s = slot - GUARD_SLOTS; s <= slot; s++) {
		snprintf(field, sizeof(field), "%lld", s);
		guard_usage(&usage, field, "1", now + 1000, 60000);
	}
	assert_int_equal(usage.count, GUARD_SLOTS);
}

/*
 * The window math against a model of the script: random arrivals over ten windows,
 * each let through only while the counted usage is under COUNT. Checks the two
 * promises: no interval of one window holds more than COUNT recipients let through
 * (never under-counted), and each counts for at least one window and at most one
 * window and one slot (the bound on over-counting).
 */
#define SIM_MAX 4096

static long long
sim_usage(const long long *slots, const long long *counts, size_t n, long long now,
          long long window_ms)
{
	struct guard_usage usage = {0};
	char field[32], value[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "%lld", slots[i]);
		snprintf(value, sizeof(value), "%lld", counts[i]);
		guard_usage(&usage, field, value, now, window_ms);
	}
	return usage.count;
}

static void
test_window_model(void **unused)
{
	static const long long windows[] = {1000, 7000, 60000};
	static long long slots[SIM_MAX], counts[SIM_MAX], passed[SIM_MAX];

	(void)unused;
	srandom(10);
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		long long window_ms = windows[w], now = 1767323045678LL, limit = 25;
		size_t nslots = 0, npassed = 0;

		while (npassed < SIM_MAX && nslots < SIM_MAX) {
			long long slot;

			now += random() % (window_ms / 20 + 1);
			slot = guard_slot(now, window_ms);
			if (sim_usage(slots, counts, nslots, now, window_ms) >= limit)
				continue;
			if (nslots == 0 || slots[nslots - 1] != slot) {
				slots[nslots] = slot;
				counts[nslots++] = 0;
			}
			counts[nslots - 1]++;
			passed[npassed++] = now;
			if (now > 1767323045678LL + 10 * window_ms)
				break;
		}
		assert_true(npassed > 5 * (size_t)limit);
		for (size_t i = 0; i < npassed; i++) {
			size_t in_window = 0;

			for (size_t j = i; j < npassed && passed[j] < passed[i] + window_ms; j++)
				in_window++;
			if (in_window > (size_t)limit)
				fail_msg("window %lld: %zu recipients within one window from %lld",
				         window_ms, in_window, passed[i]);
		}
		for (size_t i = 0; i < npassed; i++) {
			long long slot = guard_slot(passed[i], window_ms), one = 1;
			long long held = guard_slot_release_ms(slot, window_ms) - passed[i];

			assert_true(held >= window_ms &&
			            held <= window_ms + window_ms / GUARD_SLOTS + 1);
			assert_int_equal(
			    sim_usage(&slot, &one, 1, passed[i] + window_ms - 1, window_ms), 1);
			assert_int_equal(sim_usage(&slot, &one, 1, passed[i] + held, window_ms), 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pattern_parse), cmocka_unit_test(test_allow_list),
	    cmocka_unit_test(test_limit_parse),   cmocka_unit_test(test_limit_count_max),
	    cmocka_unit_test(test_counters),      cmocka_unit_test(test_counters_merged),
	    cmocka_unit_test(test_counters_none), cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_usage),         cmocka_unit_test(test_window_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
