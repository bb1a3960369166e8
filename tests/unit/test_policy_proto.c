/*
 * test_policy_proto.c - the policy request parser: framing, bounds, refusals
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "policy_proto.h"

/* Feed text in chunks of step bytes; return the result of the last call. */
static enum policy_parse
feed(struct policy_parser *p, const char *text, size_t step, size_t *total, const char **why)
{
	size_t len = strlen(text), off = 0, used;
	enum policy_parse rc = POLICY_MORE;

	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		rc = policy_parse(p, text + off, n, &used, why);
		off += used;
		if (rc != POLICY_MORE)
			break;
	}
	*total = off;
	return rc;
}

static void
test_framing_any_chunking(void **unused)
{
	const char *req = "request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.c\n"
	                  "recipient=d@e.f\nccert_subject=ignored\n\nrequest=next\n\n";

	for (size_t step = 1; step < 80; step++) {
		struct policy_parser p;
		const char *why;
		size_t used;

		policy_parser_init(&p, 16384);
		assert_int_equal(feed(&p, req, step, &used, &why), POLICY_DONE);
		assert_int_equal(used, strlen(req) - strlen("request=next\n\n"));
		const struct policy_request *r = policy_request(&p);
		assert_string_equal(r->value[POLICY_REQUEST], "smtpd_access_policy");
		assert_string_equal(r->value[POLICY_PROTOCOL_STATE], "RCPT");
		assert_string_equal(r->value[POLICY_SENDER], "a@b.c");
		assert_string_equal(r->value[POLICY_RECIPIENT], "d@e.f");
		assert_true(policy_has(r, POLICY_SENDER));
		assert_false(policy_has(r, POLICY_SASL_USERNAME));
		assert_int_equal(r->attributes, 5);
		policy_parser_reset(&p);
		assert_int_equal(feed(&p, req + used, step, &used, &why), POLICY_DONE);
		assert_string_equal(policy_request(&p)->value[POLICY_REQUEST], "next");
	}
}

static void
test_crlf_and_repeats(void **unused)
{
	struct policy_parser p;
	const char *why;
	size_t used;

	policy_parser_init(&p, 16384);
	assert_int_equal(feed(&p, "sender=x@y\r\nsender=z@w\r\nempty=\r\n\r\n", 100, &used, &why),
	                 POLICY_DONE);
	assert_string_equal(policy_request(&p)->value[POLICY_SENDER], "z@w");
}

static void
test_overlong_value_flagged(void **unused)
{
	char req[2000];
	struct policy_parser p;
	const char *why;
	size_t used;

	memset(req, 0, sizeof(req));
	strcpy(req, "recipient=");
	memset(req + 10, 'a', 900);
	strcat(req, "\nsender=ok@x\n\n");
	policy_parser_init(&p, 16384);
	assert_int_equal(feed(&p, req, 7, &used, &why), POLICY_DONE);
	assert_true(policy_request(&p)->overlong & (1u << POLICY_RECIPIENT));
	assert_false(policy_request(&p)->overlong & (1u << POLICY_SENDER));
	assert_int_equal(strlen(policy_request(&p)->value[POLICY_RECIPIENT]), POLICY_VALUE_MAX);
}

static void
test_refusals(void **unused)
{
	static const struct {
		const char *text;
		size_t max;
		const char *why;
	} cases[] = {
	    {"no equals sign\n\n", 16384, "attribute line without \"=\""},
	    {"=value\n\n", 16384, "attribute line without a name"},
	    {"a_very_long_attribute_name_that_goes_on_and_on_and_on_and_on_and_on_and_on=1\n",
	     16384, "attribute name too long"},
	    {"sender=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 20, "request too large"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_parser p;
		const char *why = NULL;
		size_t used;

		policy_parser_init(&p, cases[i].max);
		assert_int_equal(feed(&p, cases[i].text, 3, &used, &why), POLICY_ERROR);
		assert_string_equal(why, cases[i].why);
	}
}

static void
test_nul_refused(void **unused)
{
	struct policy_parser p;
	const char *why;
	size_t used;
	const char req[] = "sender=a\0b\n\n";

	policy_parser_init(&p, 16384);
	assert_int_equal(policy_parse(&p, req, sizeof(req) - 1, &used, &why), POLICY_ERROR);
	assert_string_equal(why, "NUL byte in request");
	assert_int_equal(used, 9);
}

/* Every kept attribute by its name, and names of the same lengths that are not kept. */
static void
test_every_kept_attribute(void **unused)
{
	const char *req = "request=R\nprotocol_state=P\nsender=S\nrecipient=T\n"
	                  "sasl_username=U\nclient_address=A\nclient_name=N\nqueue_id=Q\n"
	                  "instance=I\nsenders=x\nrequesT=x\ninstancf=x\nqueue_ix=x\n"
	                  "recipienT=x\nclient_namE=x\nsasl_usernamE=x\nprotocol_statE=x\n"
	                  "client_addresS=x\nclient_port=x\n\n";
	const char *want[POLICY_ATTR_COUNT] = {
	    [POLICY_REQUEST] = "R",       [POLICY_PROTOCOL_STATE] = "P",
	    [POLICY_SENDER] = "S",        [POLICY_RECIPIENT] = "T",
	    [POLICY_SASL_USERNAME] = "U", [POLICY_CLIENT_ADDRESS] = "A",
	    [POLICY_CLIENT_NAME] = "N",   [POLICY_QUEUE_ID] = "Q",
	    [POLICY_INSTANCE] = "I",
	};
	struct policy_parser p;
	const char *why;
	size_t used;

	policy_parser_init(&p, 16384);
	assert_int_equal(feed(&p, req, strlen(req), &used, &why), POLICY_DONE);
	for (int i = 0; i < POLICY_ATTR_COUNT; i++) {
		assert_true(policy_has(policy_request(&p), (enum policy_attr)i));
		assert_string_equal(policy_request(&p)->value[i], want[i]);
	}
	assert_int_equal(policy_request(&p)->attributes, 19);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framing_any_chunking),
	    cmocka_unit_test(test_every_kept_attribute),
	    cmocka_unit_test(test_crlf_and_repeats),
	    cmocka_unit_test(test_overlong_value_flagged),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_nul_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
