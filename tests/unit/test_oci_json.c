/*
 * test_oci_json.c - the JSON mappers of oci_json.c, without a network
 *
 * A table of bodies, each with the mapper it goes to and either the number of items
 * it must give or the words its error must hold: valid pages, every missing field,
 * every wrong type, extra and nested fields, bad OCIDs, times and addresses, huge
 * strings, duplicate keys, truncated and invalid UTF-8 input, depth and value-count
 * bombs. Then the values themselves (canonical addresses, times, optional fields),
 * the cut of free text on a UTF-8 boundary, and that no value of a body ever shows
 * in an error message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oci_json.h"
#include "xalloc.h"

#define T "ocid1.tenancy.oc1..aaaa"
#define S(addr, extra)                                                                             \
	"{\"id\":\"ocid1.emailsender.oc1..a\",\"compartmentId\":\"" T                              \
	"\",\"emailAddress\":\"" addr                                                              \
	"\",\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-10T09:00:00.000Z\"" extra "}"
#define SUP(addr, extra)                                                                           \
	"{\"id\":\"ocid1.emailsuppression.oc1..s\",\"compartmentId\":\"" T                         \
	"\",\"emailAddress\":\"" addr "\",\"reason\":\"HARDBOUNCE\","                              \
	"\"timeCreated\":\"2024-03-01T10:00:00.250Z\"" extra "}"
#define DOM(extra)                                                                                 \
	"{\"id\":\"ocid1.emaildomain.oc1..d\",\"name\":\"Example.COM\",\"compartmentId\":\"" T     \
	"\",\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"" extra "}"
#define DKIM(extra)                                                                                \
	"{\"id\":\"ocid1.emaildkim.oc1..k\",\"name\":\"sel2024\",\"emailDomainId\":"               \
	"\"ocid1.emaildomain.oc1..d\",\"lifecycleState\":\"ACTIVE\",\"timeCreated\":"              \
	"\"2024-01-01T00:05:00Z\"" extra "}"

enum mapper { SENDERS, SUPPRESSIONS, SUPPRESSION, DOMAINS, DKIMS, CONFIG, ERROR_BODY };

struct json_case {
	const char *name;
	enum mapper mapper;
	const char *body;
	int items;       /* expected count when why is NULL (objects: 1) */
	const char *why; /* expected words of the error, NULL: success */
};

static const struct json_case json_cases[] = {
    {"two senders", SENDERS, "[" S("a@example.com", "") "," S("@Example.COM", "") "]", 2, NULL},
    {"empty page", SENDERS, "[]", 0, NULL},
    {"extra fields, nested tags", SENDERS,
     "[" S("a@example.com", ",\"freeformTags\":{\"a\":\"b\"},\"definedTags\":{\"ns\":{\"k\":[1,"
                            "2.5,true,null]}},\"isNew\":false") "]",
     1, NULL},
    {"optional null", SENDERS, "[" S("a@example.com", ",\"emailIpPoolId\":null") "]", 1, NULL},
    {"unknown lifecycle state kept", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "\"SOMETHING_NEW\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     1, NULL},
    {"missing id", SENDERS,
     "[" S("a@example.com",
           "") ",{\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\","
               "\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "SenderSummary [1]: id: missing"},
    {"required null", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "null,\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "lifecycleState: missing"},
    {"address of wrong type", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":12345,\"lifecycleState\":\"ACTIVE\","
     "\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "emailAddress: not a string"},
    {"id of wrong type", SENDERS,
     "[{\"id\":[\"i\"],\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "id: not a string"},
    {"item not an object", SENDERS, "[" S("a@example.com", "") ",\"x\"]", 0,
     "SenderSummary [1]: not an object"},
    {"object instead of array", SENDERS, "{\"items\":[]}", 0, "not an array"},
    {"id with a slash", SENDERS,
     "[{\"id\":\"ocid1/../x\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\","
     "\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "id: not an OCID"},
    {"state with a blank", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "\"ACT IVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "lifecycleState: not an enum value"},
    {"bad time", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "\"ACTIVE\",\"timeCreated\":\"yesterday\"}]",
     0, "timeCreated: not an RFC 3339 time"},
    {"time as a number", SENDERS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"lifecycleState\":"
     "\"ACTIVE\",\"timeCreated\":1700000000}]",
     0, "timeCreated: not a string"},
    {"not an address: left out, the page kept", SENDERS,
     "[" S("no-at-sign", "") "," S("a@example.com", "") "]", 1, NULL},
    {"address of a domain listing: the page refused", DOMAINS,
     "{\"items\":[{\"id\":\"ocid1.emaildomain.oc1..d\",\"name\":\"bad "
     "domain\",\"compartmentId\":\"" T
     "\",\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]}",
     0, "EmailDomainSummary [0]: name"},
    {"duplicate key", SENDERS,
     "[{\"id\":\"i\",\"id\":\"j\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\","
     "\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "a key repeated"},
    {"truncated", SENDERS, "[" S("a@example.com", "") ",{\"id\":\"ocid1.", 0, "truncated"},
    {"invalid UTF-8", SENDERS, "[" S("bad\xff\xfe\xc3(@x.example", "") "]", 0, "invalid UTF-8"},
    {"NUL escape", SENDERS, "[" S("a\\u0000b@example.com", "") "]", 0, "NUL"},
    {"trailing data", SENDERS, "[] []", 0, "data after the document"},
    {"empty body", SENDERS, "", 0, "empty body"},
    {"not JSON", SENDERS, "<html>502 Bad Gateway</html>", 0, "not valid JSON"},
    {"too deep", SENDERS,
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0,
     "nested too deeply"},
    {"brackets in strings do not count", SENDERS,
     "[" S("a@example.com", ",\"x\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"") "]", 1,
     NULL},
    {"huge integer in an unknown field", SENDERS,
     "[" S("a@example.com", ",\"n\":123456789012345678901234567890") "]", 1, NULL},

    {"suppressions", SUPPRESSIONS,
     "[" SUP("Bounced@Customer.EXAMPLE", "") "," SUP("b@x.example", ",\"tags\":{}") "]", 2, NULL},
    {"reason twice", SUPPRESSIONS, "[" SUP("b@x.example", ",\"reason\":\"MANUAL\"") "]", 0,
     "a key repeated"},
    {"suppression with unknown reason", SUPPRESSIONS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\",\"reason\":"
     "\"NEWREASON_2030\",\"timeCreated\":\"2024-01-01T00:00:00+02:00\"}]",
     1, NULL},
    {"suppression missing reason", SUPPRESSIONS,
     "[{\"id\":\"i\",\"compartmentId\":\"c\",\"emailAddress\":\"a@b.example\","
     "\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "SuppressionSummary [0]: reason: missing"},
    {"suppression missing compartment", SUPPRESSIONS,
     "[{\"id\":\"i\",\"reason\":\"MANUAL\",\"emailAddress\":\"a@b.example\","
     "\"timeCreated\":\"2024-01-01T00:00:00Z\"}]",
     0, "compartmentId: missing"},
    {"domain pattern is not a recipient: left out", SUPPRESSIONS, "[" SUP("@x.example", "") "]", 0,
     NULL},
    {"null sender is not a recipient: left out", SUPPRESSIONS, "[" SUP("<>", "") "]", 0, NULL},

    {"full suppression", SUPPRESSION,
     SUP("bounced@customer.example",
         ",\"timeLastSuppressed\":\"2024-03-02T00:00:00Z\","
         "\"messageId\":\"abc123@example.com\",\"errorDetail\":\"550 "
         "5.1.1 user unknown\",\"errorSource\":\"mx.customer.example\""),
     1, NULL},
    {"suppression as array", SUPPRESSION, "[" SUP("a@b.example", "") "]", 0,
     "Suppression: not an object"},
    {"message id with a blank", SUPPRESSION, SUP("a@b.example", ",\"messageId\":\"a b\""), 0,
     "messageId"},

    {"domains", DOMAINS,
     "{\"items\":[" DOM(",\"activeDkimId\":\"ocid1.emaildkim.oc1..k\"") "," DOM(
         ",\"isSpf\":true") "]}",
     2, NULL},
    {"domains without items", DOMAINS, "{\"data\":[]}", 0, "not an object with \"items\""},
    {"domains as bare array", DOMAINS, "[" DOM("") "]", 0, "not an object with \"items\""},
    {"items not an array", DOMAINS, "{\"items\":{}}", 0, "not an array"},
    {"isSpf of wrong type", DOMAINS, "{\"items\":[" DOM(",\"isSpf\":\"yes\"") "]}", 0,
     "isSpf: not a boolean"},
    {"domain name invalid", DOMAINS,
     "{\"items\":[{\"id\":\"d\",\"name\":\"-bad-.example\",\"compartmentId\":\"c\","
     "\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]}",
     0, "EmailDomainSummary [0]: name"},
    {"dkims", DKIMS, "{\"items\":[" DKIM("") "]}", 1, NULL},
    {"dkim missing domain", DKIMS,
     "{\"items\":[{\"id\":\"k\",\"name\":\"s\",\"lifecycleState\":\"ACTIVE\",\"timeCreated\":"
     "\"2024-01-01T00:00:00Z\"}]}",
     0, "emailDomainId: missing"},

    {"configuration", CONFIG,
     "{\"compartmentId\":\"" T "\",\"smtpSubmitEndpoint\":\"smtp.email.us-ashburn-1.oci."
     "oraclecloud.com\",\"httpSubmitEndpoint\":\"https://x.example\"}",
     1, NULL},
    {"configuration without smtp", CONFIG, "{\"httpSubmitEndpoint\":\"https://x.example\"}", 0,
     "smtpSubmitEndpoint: missing"},
    {"error body", ERROR_BODY, "{\"code\":\"NotAuthenticated\",\"message\":\"bad\\nsignature\"}", 1,
     NULL},
    {"error body without code", ERROR_BODY, "{\"message\":\"x\"}", 0, "code: missing"},
};

static int
run_mapper(enum mapper mapper, const char *body, size_t len, size_t *count, char *err,
           size_t errsize)
{
	struct oci_sender_list senders;
	struct oci_suppression_list suppressions;
	struct oci_suppression suppression;
	struct oci_email_domain_list domains;
	struct oci_dkim_list dkims;
	struct oci_email_config config;
	struct oci_error_body error_body;
	int rc = -1;

	*count = 1;
	switch (mapper) {
	case SENDERS:
		rc = oci_json_senders(body, len, &senders, err, errsize);
		*count = senders.count;
		if (rc != 0)
			assert_null(senders.items);
		oci_sender_list_free(&senders);
		break;
	case SUPPRESSIONS:
		rc = oci_json_suppressions(body, len, &suppressions, err, errsize);
		*count = suppressions.count;
		oci_suppression_list_free(&suppressions);
		break;
	case SUPPRESSION:
		rc = oci_json_suppression(body, len, &suppression, err, errsize);
		oci_suppression_free(&suppression);
		break;
	case DOMAINS:
		rc = oci_json_email_domains(body, len, &domains, err, errsize);
		*count = domains.count;
		oci_email_domain_list_free(&domains);
		break;
	case DKIMS:
		rc = oci_json_dkims(body, len, &dkims, err, errsize);
		*count = dkims.count;
		oci_dkim_list_free(&dkims);
		break;
	case CONFIG:
		rc = oci_json_email_config(body, len, &config, err, errsize);
		oci_email_config_free(&config);
		break;
	case ERROR_BODY:
		rc = oci_json_error(body, len, &error_body, err, errsize);
		oci_error_body_free(&error_body);
		break;
	}
	return rc;
}

static void
test_table(void **state)
{
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		const struct json_case *c = &json_cases[i];
		char err[512] = "";
		size_t count;
		int rc = run_mapper(c->mapper, c->body, strlen(c->body), &count, err, sizeof(err));

		if (c->why == NULL && (rc != 0 || count != (size_t)c->items))
			fail_msg("%s: want %d items, got rc %d count %zu: %s", c->name, c->items,
			         rc, count, err);
		if (c->why != NULL && (rc == 0 || strstr(err, c->why) == NULL))
			fail_msg("%s: want error \"%s\", got rc %d: %s", c->name, c->why, rc, err);
		if (c->why != NULL && count != 0 && c->mapper != SUPPRESSION &&
		    c->mapper != CONFIG && c->mapper != ERROR_BODY)
			fail_msg("%s: a rejected page still has %zu items", c->name, count);
	}
}

static void
test_sender_values(void **state)
{
	const char *body =
	    "[" S("A.B+Tag@Example.COM",
	          ",\"emailIpPoolId\":\"ocid1.pool.oc1..p\"") "," S("@Example.COM.", "") "]";
	struct oci_sender_list list;
	char err[256];

	assert_int_equal(oci_json_senders(body, strlen(body), &list, err, sizeof(err)), 0);
	assert_int_equal(list.count, 2);
	assert_string_equal(list.items[0].email_address, "a.b+tag@example.com");
	assert_string_equal(list.items[1].email_address, "@example.com");
	assert_string_equal(list.items[0].id, "ocid1.emailsender.oc1..a");
	assert_string_equal(list.items[0].compartment_id, T);
	assert_string_equal(list.items[0].lifecycle_state, "ACTIVE");
	assert_true(list.items[0].time_created_ms == 1704877200000LL);
	assert_string_equal(list.items[0].email_ip_pool_id, "ocid1.pool.oc1..p");
	assert_null(list.items[1].email_ip_pool_id);
	oci_sender_list_free(&list);
	assert_null(list.items);
	assert_int_equal(list.count, 0);
}

static void
test_suppression_values(void **state)
{
	const char *summary = "[" SUP("Bounced@Customer.EXAMPLE", "") "]";
	const char *full =
	    SUP("x@y.example", ",\"timeLastSuppressed\":\"2024-03-02T00:00:00Z\","
	                       "\"messageId\":\"abc@example.com\",\"errorSource\":null");
	struct oci_suppression_list list;
	struct oci_suppression one;
	char err[256];

	assert_int_equal(oci_json_suppressions(summary, strlen(summary), &list, err, sizeof(err)),
	                 0);
	assert_string_equal(list.items[0].email_address, "bounced@customer.example");
	assert_string_equal(list.items[0].reason, "HARDBOUNCE");
	assert_true(list.items[0].time_created_ms == 1709287200250LL);
	assert_true(list.items[0].time_last_suppressed_ms == OCI_JSON_TIME_UNSET);
	assert_null(list.items[0].message_id);
	oci_suppression_list_free(&list);

	assert_int_equal(oci_json_suppression(full, strlen(full), &one, err, sizeof(err)), 0);
	assert_true(one.time_last_suppressed_ms == 1709337600000LL);
	assert_string_equal(one.message_id, "abc@example.com");
	assert_null(one.error_source);
	assert_null(one.error_detail);
	oci_suppression_free(&one);
}

static void
test_domain_values(void **state)
{
	const char *body = "{\"items\":[" DOM(",\"isSpf\":false") "," DOM("") "]}";
	struct oci_email_domain_list list;
	char err[256];

	assert_int_equal(oci_json_email_domains(body, strlen(body), &list, err, sizeof(err)), 0);
	assert_string_equal(list.items[0].name, "example.com");
	assert_int_equal(list.items[0].is_spf, 0);
	assert_int_equal(list.items[1].is_spf, -1);
	assert_null(list.items[1].active_dkim_id);
	oci_email_domain_list_free(&list);
}

/* An OCID is at most 255 bytes: 255 passes, 256 rejects the page. */
static void
test_id_bound(void **state)
{
	char id[300], *body;
	struct oci_dkim_list list;
	char err[256];

	for (size_t len = 255; len <= 256; len++) {
		memset(id, 'a', len);
		id[len] = '\0';
		body = xasprintf(
		    "{\"items\":[{\"id\":\"%s\",\"name\":\"s\",\"emailDomainId\":\"d\","
		    "\"lifecycleState\":\"ACTIVE\",\"timeCreated\":\"2024-01-01T00:00:00Z\"}]}",
		    id);
		assert_int_equal(oci_json_dkims(body, strlen(body), &list, err, sizeof(err)),
		                 len == 255 ? 0 : -1);
		if (len == 256)
			assert_non_null(strstr(err, "DkimSummary [0]: id: not an OCID"));
		oci_dkim_list_free(&list);
		free(body);
	}
}

/* Huge strings: an address is refused, free text is cut on a character boundary. */
static void
test_huge_strings(void **state)
{
	size_t big = 100000;
	char *value = xmalloc(big * 2 + 1), *body, err[256];
	struct oci_suppression_list list;
	struct oci_suppression one;

	memset(value, 'a', big);
	strcpy(value + big, "@x.example");
	body = xasprintf("[" SUP("%s", "") "," SUP("ok@x.example", "") "]", value);
	assert_int_equal(oci_json_suppressions(body, strlen(body), &list, err, sizeof(err)), 0);
	assert_int_equal(list.count, 1); /* the unusable address is left out, counted */
	assert_string_equal(list.items[0].email_address, "ok@x.example");
	assert_int_equal(list.skipped.count, 1);
	assert_non_null(strstr(list.skipped.first, "SuppressionSummary [0]: emailAddress"));
	oci_suppression_list_free(&list);
	free(body);

	for (size_t i = 0; i < big; i++) /* "é" is 2 bytes: 4096 falls inside none */
		memcpy(value + 2 * i, "\xc3\xa9", 2);
	value[2 * big] = '\0';
	body = xasprintf(SUP("a@x.example", ",\"errorDetail\":\"x%s\""), value);
	assert_int_equal(oci_json_suppression(body, strlen(body), &one, err, sizeof(err)), 0);
	assert_int_equal(strlen(one.error_detail), OCI_JSON_TEXT_MAX - 1);
	assert_int_equal((unsigned char)one.error_detail[OCI_JSON_TEXT_MAX - 2], 0xa9);
	oci_suppression_free(&one);
	free(body);
	free(value);
}

/* Bombs: the scan refuses them before jansson allocates. */
static void
test_bounds(void **state)
{
	size_t n = OCI_JSON_NODES_MAX + 10, len = 0;
	char *body = xmalloc(2 * n + 3), err[256];
	struct oci_sender_list list;

	body[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		body[len++] = '0';
		body[len++] = ',';
	}
	body[len - 1] = ']';
	assert_int_equal(oci_json_senders(body, len, &list, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many values"));

	len = 0; /* 10001 empty objects: few values, too many items */
	body[len++] = '[';
	for (size_t i = 0; i <= OCI_JSON_ITEMS_MAX; i++)
		len += (size_t)sprintf(body + len, "{},");
	body[len - 1] = ']';
	assert_int_equal(oci_json_senders(body, len, &list, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 10000 items"));
	free(body);

	body = xmalloc(OCI_JSON_BODY_MAX + 1);
	memset(body, ' ', OCI_JSON_BODY_MAX + 1);
	body[0] = '[', body[OCI_JSON_BODY_MAX] = ']';
	assert_int_equal(oci_json_senders(body, OCI_JSON_BODY_MAX + 1, &list, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "larger than"));
	free(body);
}

/* Nothing of the body reaches err: not in a wrong value, not near a syntax error. */
static void
test_error_hides_values(void **state)
{
	static const char *const bodies[] = {
	    "[" S("SECRETVALUE", "") "]",
	    "[{\"id\":\"SECRETVALUE/\"}]",
	    "[SECRETVALUE]",
	    "{\"code\":\"SECRETVALUE x\",\"message\":\"m\"}",
	};
	struct oci_sender_list list;
	struct oci_error_body error_body;
	char err[512];

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int rc =
		    i < 3 ? oci_json_senders(bodies[i], strlen(bodies[i]), &list, err, sizeof(err))
		          : oci_json_error(bodies[i], strlen(bodies[i]), &error_body, err,
		                           sizeof(err));
		if (i == 0) { /* an unusable address: left out, and the reason hides it too */
			assert_int_equal(rc, 0);
			assert_int_equal(list.skipped.count, 1);
			if (strstr(list.skipped.first, "SECRETVALUE") != NULL)
				fail_msg("value in the skip reason: %s", list.skipped.first);
			oci_sender_list_free(&list);
			continue;
		}
		assert_int_equal(rc, -1);
		if (strstr(err, "SECRETVALUE") != NULL)
			fail_msg("value in error: %s", err);
	}
}

static void
test_create_body(void **state)
{
	char *body = oci_json_create_suppression(T, "new\"user@example.com");
	struct oci_error_body parsed;
	char err[128];

	assert_non_null(body);
	assert_string_equal(body, "{\"compartmentId\":\"" T
	                          "\",\"emailAddress\":\"new\\\"user@example.com\"}");
	free(body);
	assert_null(oci_json_create_suppression(T, "bad\xff"));
	assert_null(oci_json_create_suppression(NULL, "a@b.example"));
	/* A body not NUL-terminated is read within its length only. */
	assert_int_equal(oci_json_error("{\"code\":\"X\",\"message\":\"m\"}garbage", 26, &parsed,
	                                err, sizeof(err)),
	                 0);
	assert_string_equal(parsed.code, "X");
	oci_error_body_free(&parsed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_sender_values),
	    cmocka_unit_test(test_suppression_values),
	    cmocka_unit_test(test_domain_values),
	    cmocka_unit_test(test_id_bound),
	    cmocka_unit_test(test_huge_strings),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_error_hides_values),
	    cmocka_unit_test(test_create_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
