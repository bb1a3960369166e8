/*
 * test_decide.c - the shared decision table: configuration and state in, verdict out
 *
 * Each case parses a real edg.conf fragment (config_parse_buffer) and decides against
 * an in-memory state holding:
 *   approved: app@example.com, noreply@example.com, billing@example.com, @example.org
 *   suppressed: gone@example.net (HARDBOUNCE, 2026-01-02), angry@example.net (COMPLAINT)
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "config.h"
#include "decide.h"
#include "state.h"

static struct state *
test_state(void)
{
	struct state *st = state_memory_new();

	state_memory_add_sender(st, "app@example.com");
	state_memory_add_sender(st, "noreply@example.com");
	state_memory_add_sender(st, "billing@example.com");
	state_memory_add_sender(st, "@example.org");
	state_memory_add_suppression(st, "gone@example.net", "HARDBOUNCE", 1767323045678LL,
	                             "ocid1.emailsuppression.oc1..gone");
	state_memory_add_suppression(st, "angry@example.net", "COMPLAINT", 1767323045678LL,
	                             "ocid1.emailsuppression.oc1..angry");
	return st;
}

static struct edg_config *
test_config(const char *text)
{
	char buf[2048];
	struct edg_config *cfg;

	snprintf(buf, sizeof(buf), "[oci]\nregion = us-ashburn-1\n%s", text);
	cfg = config_parse_buffer(buf, strlen(buf), "test.conf", stderr);
	assert_non_null(cfg);
	return cfg;
}

static void
test_client(struct decide_client *client, const char *login, const char *ip)
{
	memset(client, 0, sizeof(*client));
	client->sasl_login = login;
	if (ip == NULL)
		return;
	if (inet_pton(AF_INET, ip, client->addr) == 1)
		client->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, client->addr) == 1)
		client->family = AF_INET6;
}

struct sender_case {
	const char *conf;
	const char *login, *ip, *sender;
	enum verdict_action action;
	enum verdict_reason reason;
	const char *rewrite_to;
	const char *text_has;
};

static const struct sender_case sender_cases[] = {
    {"", NULL, NULL, "app@example.com", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"", NULL, NULL, "anyone@example.org", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"", NULL, NULL, "x@sub.example.org", VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "",
     "<x@sub.example.org> is not an approved sender in OCI Email Delivery (region us-ashburn-1)"},
    {"", NULL, NULL, "", VERDICT_PASS, REASON_NULL_SENDER, "", NULL},
    {"", NULL, NULL, "cron@host.local", VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "",
     "cron@host.local"},
    /* rewrite rules that the milter will apply: policyd lets them through */
    {"[rewrite]\nrule = envelope @host.local noreply@example.com\n", NULL, NULL, "cron@host.local",
     VERDICT_PASS, REASON_REWRITE, "noreply@example.com", NULL},
    {"[rewrite]\nrule = envelope cron@host.local noreply@example.com\n", NULL, NULL,
     "other@host.local", VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "", NULL},
    {"[rewrite]\nrule = sasl billing-app billing@example.com\n", "billing-app", NULL,
     "invoice@internal.test", VERDICT_PASS, REASON_REWRITE, "billing@example.com", NULL},
    {"[rewrite]\nrule = sasl billing-app billing@example.com\n", "other-app", NULL,
     "invoice@internal.test", VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "", NULL},
    {"[rewrite]\nrule = client 10.1.0.0/16 app@example.com\n", NULL, "10.1.2.3", "x@internal.test",
     VERDICT_PASS, REASON_REWRITE, "app@example.com", NULL},
    {"[rewrite]\nrule = client 10.1.0.0/16 app@example.com\n", NULL, "10.2.0.1", "x@internal.test",
     VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "", NULL},
    {"[rewrite]\nrule = client 2001:db8::/32 app@example.com\n", NULL, "2001:db8::25",
     "x@internal.test", VERDICT_PASS, REASON_REWRITE, "app@example.com", NULL},
    /* first matching rule wins, in file order */
    {"[rewrite]\nrule = envelope * noreply@example.com\nrule = envelope * app@example.com\n", NULL,
     NULL, "x@internal.test", VERDICT_PASS, REASON_REWRITE, "noreply@example.com", NULL},
    /* header rules are the milter's: policyd cannot see the header at RCPT */
    {"[rewrite]\nrule = header * noreply@example.com\n", NULL, NULL, "x@internal.test",
     VERDICT_REJECT, REASON_SENDER_NOT_APPROVED, "", NULL},
    {"[milter]\ndefault_sender = noreply@example.com\n", NULL, NULL, "x@internal.test",
     VERDICT_PASS, REASON_REWRITE, "noreply@example.com", NULL},
    /* a rewrite target that is not approved is refused at once */
    {"[milter]\ndefault_sender = ghost@example.com\n", NULL, NULL, "x@internal.test",
     VERDICT_REJECT, REASON_REWRITE_NOT_APPROVED, "", "rewrite target <ghost@example.com>"},
    /* bindings: billing@ is bound to a login; others stay free */
    {"[bindings]\nenforce = yes\nbind = sasl:billing-app billing@example.com\n", "billing-app",
     NULL, "billing@example.com", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"[bindings]\nenforce = yes\nbind = sasl:billing-app billing@example.com\n", "web-app", NULL,
     "billing@example.com", VERDICT_REJECT, REASON_SENDER_NOT_BOUND, "", "not for this SASL login"},
    {"[bindings]\nenforce = yes\nbind = sasl:billing-app billing@example.com\n", NULL, NULL,
     "billing@example.com", VERDICT_REJECT, REASON_SENDER_NOT_BOUND, "", "this client"},
    {"[bindings]\nenforce = yes\nbind = sasl:billing-app billing@example.com\n", "web-app", NULL,
     "app@example.com", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"[bindings]\nenforce = no\nbind = sasl:billing-app billing@example.com\n", "web-app", NULL,
     "billing@example.com", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"[bindings]\nenforce = yes\nbind = client:192.0.2.0/24 @example.org\n", NULL, "192.0.2.7",
     "news@example.org", VERDICT_PASS, REASON_APPROVED, "", NULL},
    {"[bindings]\nenforce = yes\nbind = client:192.0.2.0/24 @example.org\n", NULL, "198.51.100.1",
     "news@example.org", VERDICT_REJECT, REASON_SENDER_NOT_BOUND, "", NULL},
    /* monitor mode: the refusal is only noted */
    {"[policyd]\nmode = monitor\n", NULL, NULL, "cron@host.local", VERDICT_PASS,
     REASON_SENDER_NOT_APPROVED, "", "not an approved sender"},
};

static void
test_sender_table(void **unused)
{
	struct state *st = test_state();

	for (size_t i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		const struct sender_case *c = &sender_cases[i];
		struct edg_config *cfg = test_config(c->conf);
		struct decide_policy policy;
		struct decide_client client;
		struct verdict v;

		decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
		test_client(&client, c->login, c->ip);
		decide_sender(&policy, st, &client, c->sender, &v);
		print_message("case %zu: %s -> %s %s\n", i, c->sender, decide_reason_name(v.reason),
		              v.text);
		assert_int_equal(v.action, c->action);
		assert_int_equal(v.reason, c->reason);
		assert_string_equal(v.rewrite_to, c->rewrite_to);
		if (c->text_has != NULL)
			assert_non_null(strstr(v.text, c->text_has));
		assert_int_equal(v.would_refuse, policy.mode == CONFIG_MODE_MONITOR &&
		                                     v.reason == REASON_SENDER_NOT_APPROVED);
		if (v.action == VERDICT_REJECT) {
			assert_string_equal(v.code, "550");
			assert_string_equal(v.dsn, "5.7.1");
		}
		config_free(cfg);
	}
	state_close(st);
}

static void
test_recipients(void **unused)
{
	struct state *st = test_state();
	struct edg_config *cfg = test_config("");
	struct decide_policy policy;
	struct verdict v;

	decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
	decide_recipient(&policy, st, "gone@example.net", &v);
	assert_int_equal(v.action, VERDICT_REJECT);
	assert_int_equal(v.reason, REASON_RCPT_SUPPRESSED);
	assert_string_equal(v.code, "550");
	assert_string_equal(v.dsn, "5.1.1");
	assert_string_equal(v.text, "<gone@example.net> is suppressed by OCI Email Delivery "
	                            "(HARDBOUNCE since 2026-01-02); mail to it would be dropped "
	                            "without a bounce");
	decide_recipient(&policy, st, "angry@example.net", &v);
	assert_non_null(strstr(v.text, "COMPLAINT since 2026-01-02"));
	decide_recipient(&policy, st, "fine@example.net", &v);
	assert_int_equal(v.action, VERDICT_PASS);
	assert_null(v.code);
	config_free(cfg);
	state_close(st);
}

/* suppressed_reply: a reason's own line, else "*", else 550 5.1.1; 4xx defers. */
static void
test_suppressed_replies(void **unused)
{
	struct state *st = test_state();
	struct edg_config *cfg = test_config("[policyd]\n"
	                                     "suppressed_reply = complaint 450 4.7.1\n"
	                                     "[milter]\n"
	                                     "suppressed_reply = * 551\n"
	                                     "suppressed_reply = HARDBOUNCE 550 5.1.10\n"
	                                     "mode = monitor\n");
	struct decide_policy policy;
	struct verdict v;

	state_memory_add_suppression(st, "soft@example.net", "SOFTBOUNCE", 1767323045678LL, "");
	decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
	decide_recipient(&policy, st, "angry@example.net", &v);
	assert_int_equal(v.action, VERDICT_TEMPFAIL);
	assert_int_equal(v.reason, REASON_RCPT_SUPPRESSED);
	assert_string_equal(v.code, "450");
	assert_string_equal(v.dsn, "4.7.1");
	assert_non_null(strstr(v.text, "<angry@example.net> is suppressed by OCI Email Delivery "
	                               "(COMPLAINT since 2026-01-02)"));
	decide_recipient(&policy, st, "gone@example.net", &v);
	assert_int_equal(v.action, VERDICT_REJECT);
	assert_string_equal(v.code, "550");
	assert_string_equal(v.dsn, "5.1.1");
	decide_recipient(&policy, st, "fine@example.net", &v);
	assert_int_equal(v.action, VERDICT_PASS);
	assert_null(v.code);

	decide_policy_from_config(&policy, cfg, &cfg->milter.daemon);
	decide_recipient(&policy, st, "gone@example.net", &v);
	assert_int_equal(v.action, VERDICT_PASS); /* monitor */
	assert_true(v.would_refuse);
	assert_string_equal(v.code, "550");
	assert_string_equal(v.dsn, "5.1.10");
	decide_recipient(&policy, st, "soft@example.net", &v);
	assert_string_equal(v.code, "551");
	assert_string_equal(v.dsn, "5.1.1");
	config_free(cfg);
	state_close(st);
}

/* A state error: on_state_error decides, monitor mode never refuses. */
static void
test_state_errors(void **unused)
{
	static const struct {
		const char *conf;
		enum verdict_action action;
		int would_refuse;
	} cases[] = {
	    {"", VERDICT_TEMPFAIL, 0},
	    {"[policyd]\non_state_error = tempfail\n", VERDICT_TEMPFAIL, 0},
	    {"[policyd]\non_state_error = accept\n", VERDICT_PASS, 0},
	    {"[policyd]\nmode = monitor\n", VERDICT_PASS, 1},
	};
	struct state *st = test_state();

	state_memory_set_tempfail(st, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct edg_config *cfg = test_config(cases[i].conf);
		struct decide_policy policy;
		struct verdict v;

		decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
		decide_sender(&policy, st, NULL, "app@example.com", &v);
		assert_int_equal(v.action, cases[i].action);
		assert_int_equal(v.reason, REASON_STATE_UNAVAILABLE);
		assert_int_equal(v.would_refuse, cases[i].would_refuse);
		decide_recipient(&policy, st, "gone@example.net", &v);
		assert_int_equal(v.action, cases[i].action);
		if (v.action == VERDICT_TEMPFAIL) {
			assert_string_equal(v.code, "451");
			assert_string_equal(v.dsn, "4.3.0");
			assert_non_null(strstr(v.text, "try again later"));
		}
		config_free(cfg);
	}
	state_close(st);
}

struct from_case {
	const char *conf;
	const char *login, *sender;
	const char *from[3];
	size_t count;
	enum verdict_action action;
	enum verdict_reason reason;
	const char *rewrite_to;
};

static const struct from_case from_cases[] = {
    {"", NULL, "app@example.com", {"app@example.com"}, 1, VERDICT_PASS, REASON_APPROVED, ""},
    {"",
     NULL,
     "app@example.com",
     {"app@example.com", "noreply@example.com"},
     2,
     VERDICT_PASS,
     REASON_APPROVED,
     ""},
    {"",
     NULL,
     "app@example.com",
     {"app@example.com", "ceo@bank.test"},
     2,
     VERDICT_REJECT,
     REASON_FROM_NOT_APPROVED,
     ""},
    {"[milter]\ndefault_sender = noreply@example.com\n",
     NULL,
     "x@internal.test",
     {"x@internal.test"},
     1,
     VERDICT_REWRITE,
     REASON_REWRITE,
     "noreply@example.com"},
    {"[rewrite]\nrule = header @internal.test app@example.com\n",
     NULL,
     "bounce@other.test",
     {"x@internal.test"},
     1,
     VERDICT_REWRITE,
     REASON_REWRITE,
     "app@example.com"},
    {"[rewrite]\nrule = header @internal.test app@example.com\n",
     NULL,
     "bounce@other.test",
     {"x@else.test"},
     1,
     VERDICT_REJECT,
     REASON_FROM_NOT_APPROVED,
     ""},
    {"[rewrite]\nrule = sasl billing-app billing@example.com\n",
     "billing-app",
     "x@internal.test",
     {"x@internal.test"},
     1,
     VERDICT_REWRITE,
     REASON_REWRITE,
     "billing@example.com"},
    /* no From: at all: the approved envelope sender becomes it */
    {"", NULL, "app@example.com", {NULL}, 0, VERDICT_REWRITE, REASON_REWRITE, "app@example.com"},
    {"", NULL, "x@internal.test", {NULL}, 0, VERDICT_REJECT, REASON_NO_FROM, ""},
    {"[milter]\ndefault_sender = ghost@example.com\n",
     NULL,
     "x@internal.test",
     {"x@internal.test"},
     1,
     VERDICT_REJECT,
     REASON_REWRITE_NOT_APPROVED,
     ""},
    {"[milter]\nmode = monitor\n",
     NULL,
     "x@internal.test",
     {"x@internal.test"},
     1,
     VERDICT_PASS,
     REASON_FROM_NOT_APPROVED,
     ""},
};

static void
test_header_from_table(void **unused)
{
	struct state *st = test_state();

	for (size_t i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		const struct from_case *c = &from_cases[i];
		struct edg_config *cfg = test_config(c->conf);
		struct decide_policy policy;
		struct decide_client client;
		struct verdict v;

		decide_policy_from_config(&policy, cfg, &cfg->milter.daemon);
		test_client(&client, c->login, NULL);
		decide_header_from(&policy, st, &client, c->sender, c->from, c->count, &v);
		print_message("case %zu: %s -> %s %s\n", i, c->count ? c->from[0] : "(none)",
		              decide_reason_name(v.reason), v.text);
		assert_int_equal(v.action, c->action);
		assert_int_equal(v.reason, c->reason);
		assert_string_equal(v.rewrite_to, c->rewrite_to);
		config_free(cfg);
	}
	state_close(st);
}

/* [guard]: the allow-list (refuse or redirect) and the verdicts of the rate limits. */
struct guard_case {
	const char *conf;
	const char *recipient;
	enum verdict_action action;
	enum verdict_reason reason;
	int would_refuse;
	const char *code, *dsn, *text, *rewrite_to;
};

#define GUARD_LIST "[guard]\nallow_recipients = qa@example.com @staging.example.com\n"

static const struct guard_case guard_cases[] = {
    {"", "anyone@example.net", VERDICT_PASS, REASON_NONE, 0, NULL, NULL, NULL, ""},
    {GUARD_LIST, "qa@example.com", VERDICT_PASS, REASON_NONE, 0, NULL, NULL, NULL, ""},
    {GUARD_LIST, "x@staging.example.com", VERDICT_PASS, REASON_NONE, 0, NULL, NULL, NULL, ""},
    {GUARD_LIST, "customer@example.net", VERDICT_REJECT, REASON_GUARD_NOT_ALLOWED, 0, "550",
     "5.7.1",
     "<customer@example.net> is not on this gateway's recipient allow-list (edg guard "
     "allow_recipients)",
     ""},
    {GUARD_LIST "redirect_to = Catch@Example.com\n", "customer@example.net", VERDICT_REDIRECT,
     REASON_GUARD_REDIRECT, 0, NULL, NULL,
     "<customer@example.net> is not on this gateway's recipient allow-list (edg guard): message "
     "redirected to <catch@example.com>",
     "catch@example.com"},
    {GUARD_LIST "redirect_to = catch@example.com\n", "qa@example.com", VERDICT_PASS, REASON_NONE, 0,
     NULL, NULL, NULL, ""},
    {GUARD_LIST "[policyd]\nmode = monitor\n", "customer@example.net", VERDICT_PASS,
     REASON_GUARD_NOT_ALLOWED, 1, "550", "5.7.1", NULL, ""},
    {GUARD_LIST "redirect_to = catch@example.com\n[policyd]\nmode = monitor\n",
     "customer@example.net", VERDICT_PASS, REASON_GUARD_REDIRECT, 1, NULL, NULL, NULL,
     "catch@example.com"},
};

static void
test_guard_recipients(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(guard_cases) / sizeof(guard_cases[0]); i++) {
		const struct guard_case *c = &guard_cases[i];
		struct edg_config *cfg = test_config(c->conf);
		struct decide_policy policy;
		struct verdict v;

		decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
		decide_guard_recipient(&policy, c->recipient, &v);
		if (v.action != c->action || v.reason != c->reason ||
		    v.would_refuse != c->would_refuse)
			fail_msg("case %zu: action %d reason %s would_refuse %d", i, v.action,
			         decide_reason_name(v.reason), v.would_refuse);
		if (c->code != NULL) {
			assert_string_equal(v.code, c->code);
			assert_string_equal(v.dsn, c->dsn);
		} else {
			assert_null(v.code);
		}
		if (c->text != NULL)
			assert_string_equal(v.text, c->text);
		assert_string_equal(v.rewrite_to, c->rewrite_to);
		config_free(cfg);
	}
}

static void
test_guard_limits(void **unused)
{
	static const struct {
		const char *conf;
		enum guard_outcome outcome;
		enum verdict_action action;
		enum verdict_reason reason;
		int would_refuse;
		const char *code, *dsn, *text;
	} cases[] = {
	    {"limit = sasl:billing-app 5/1m\n", GUARD_UNDER, VERDICT_PASS, REASON_NONE, 0, NULL,
	     NULL, NULL},
	    {"limit = sasl:billing-app 5/1m\n", GUARD_OVER, VERDICT_TEMPFAIL, REASON_GUARD_LIMIT, 0,
	     "451", "4.7.1",
	     "rate limit reached: sasl:billing-app 5/1m (edg guard), try again later"},
	    {"limit = sasl 5/1h\n", GUARD_OVER, VERDICT_TEMPFAIL, REASON_GUARD_LIMIT, 0, "451",
	     "4.7.1", "rate limit reached: sasl 5/1h for the-id (edg guard), try again later"},
	    {"limit = tenancy 49000/1d 452 4.5.3\n", GUARD_OVER, VERDICT_TEMPFAIL,
	     REASON_GUARD_LIMIT, 0, "452", "4.5.3",
	     "rate limit reached: tenancy 49000/1d (edg guard), try again later"},
	    {"limit = client:10.0.0.0/8 100/1m 550\n", GUARD_OVER, VERDICT_REJECT,
	     REASON_GUARD_LIMIT, 0, "550", "5.7.1",
	     "rate limit reached: client:10.0.0.0/8 100/1m (edg guard)"},
	    {"limit = tenancy 5/1m\n", GUARD_ERROR, VERDICT_PASS, REASON_GUARD_LIMIT_ERROR, 0, NULL,
	     NULL, "rate limits unavailable, accepted (on_limit_error = open)"},
	    {"limit = tenancy 5/1m\non_limit_error = closed\n", GUARD_ERROR, VERDICT_TEMPFAIL,
	     REASON_GUARD_LIMIT_ERROR, 0, "451", "4.7.1",
	     "rate limits temporarily unavailable, try again later"},
	    {"limit = tenancy 5/1m\n[policyd]\nmode = monitor\n", GUARD_OVER, VERDICT_PASS,
	     REASON_GUARD_LIMIT, 1, "451", "4.7.1", NULL},
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char conf[512];
		struct edg_config *cfg;
		struct decide_policy policy;
		struct verdict v;

		snprintf(conf, sizeof(conf), "[guard]\n%s", cases[i].conf);
		cfg = test_config(conf);
		decide_policy_from_config(&policy, cfg, &cfg->policyd.daemon);
		decide_guard_limit(&policy, cases[i].outcome, &cfg->guard.limits.limits[0],
		                   "the-id", &v);
		if (v.action != cases[i].action || v.reason != cases[i].reason ||
		    v.would_refuse != cases[i].would_refuse)
			fail_msg("case %zu: action %d reason %s would_refuse %d", i, v.action,
			         decide_reason_name(v.reason), v.would_refuse);
		if (cases[i].code != NULL) {
			assert_string_equal(v.code, cases[i].code);
			assert_string_equal(v.dsn, cases[i].dsn);
		} else {
			assert_null(v.code);
		}
		if (cases[i].text != NULL)
			assert_string_equal(v.text, cases[i].text);
		config_free(cfg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sender_table),       cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_state_errors),       cmocka_unit_test(test_header_from_table),
	    cmocka_unit_test(test_guard_recipients),   cmocka_unit_test(test_guard_limits),
	    cmocka_unit_test(test_suppressed_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
