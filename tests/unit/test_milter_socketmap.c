/*
 * test_milter_socketmap.c - the socketmap protocol: framing in any chunking, refusals,
 *	replies
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "milter_socketmap.h"

static void
test_request_any_prefix(void **unused)
{
	const char *wire = "29:transport gone@example.net ok,21:transport example.net,";
	struct milter_socketmap_request req;
	const char *why = NULL;
	size_t used = 0;

	(void)unused;
	for (size_t len = 0; len < 33; len++)
		assert_int_equal(milter_socketmap_parse(wire, len, &req, &used, &why),
		                 MILTER_SOCKETMAP_MORE);
	assert_int_equal(milter_socketmap_parse(wire, strlen(wire), &req, &used, &why),
	                 MILTER_SOCKETMAP_REQUEST);
	assert_int_equal(used, 33);
	assert_string_equal(req.name, "transport");
	assert_string_equal(req.key, "gone@example.net ok");
	assert_int_equal(
	    milter_socketmap_parse(wire + used, strlen(wire) - used, &req, &used, &why),
	    MILTER_SOCKETMAP_REQUEST);
	assert_string_equal(req.key, "example.net");
}

static void
test_refusals(void **unused)
{
	static const struct {
		const char *wire;
		const char *why;
	} cases[] = {
	    {"x:transport a@b,", "netstring length is not a number"},
	    {":transport a@b,", "netstring without a length"},
	    {"123456:", "netstring length has too many digits"},
	    {"99999:", "request too long"},
	    {"15:transport a@b.cX", "netstring not closed by ','"},
	    {"13:transportab@c,", "request without a space between name and key"},
	    {"4: a@b,", "empty map name"},
	    {"10:transport ,", "empty key"},
	    {"69:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bcd,",
	     "map name too long"},
	};
	struct milter_socketmap_request req;

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		size_t used = 0;

		assert_int_equal(
		    milter_socketmap_parse(cases[i].wire, strlen(cases[i].wire), &req, &used, &why),
		    MILTER_SOCKETMAP_ERROR);
		assert_string_equal(why, cases[i].why);
	}
}

static void
test_nul_refused(void **unused)
{
	const char wire[] = "13:transport a\0b,";
	struct milter_socketmap_request req;
	const char *why = NULL;
	size_t used = 0;

	(void)unused;
	assert_int_equal(milter_socketmap_parse(wire, sizeof(wire) - 1, &req, &used, &why),
	                 MILTER_SOCKETMAP_ERROR);
	assert_string_equal(why, "NUL in request");
}

static void
test_longest_request(void **unused)
{
	static char wire[MILTER_SOCKETMAP_WIRE_MAX + 16];
	struct milter_socketmap_request req;
	const char *why = NULL;
	size_t used = 0, n;

	(void)unused;
	n = (size_t)snprintf(wire, sizeof(wire), "%d:transport ", MILTER_SOCKETMAP_DATA_MAX);
	memset(wire + n, 'k', MILTER_SOCKETMAP_DATA_MAX - 10);
	wire[n + MILTER_SOCKETMAP_DATA_MAX - 10] = ',';
	assert_int_equal(
	    milter_socketmap_parse(wire, n + MILTER_SOCKETMAP_DATA_MAX - 9, &req, &used, &why),
	    MILTER_SOCKETMAP_REQUEST);
	assert_int_equal(strlen(req.key), MILTER_SOCKETMAP_DATA_MAX - 10);
}

static void
test_reply(void **unused)
{
	char out[64];

	(void)unused;
	assert_int_equal(milter_socketmap_reply(out, sizeof(out), "NOTFOUND", ""), 12);
	assert_string_equal(out, "9:NOTFOUND ,");
	assert_int_equal(milter_socketmap_reply(out, sizeof(out), "OK", "error:5.1.1 a\r\nb"), 23);
	assert_string_equal(out, "19:OK error:5.1.1 a  b,");
	assert_int_equal(milter_socketmap_reply(out, 23, "OK", "error:5.1.1 a\r\nb"), -1);
	assert_int_equal(milter_socketmap_reply(out, 24, "OK", "error:5.1.1 a\r\nb"), 23);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_any_prefix),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_nul_refused),
	    cmocka_unit_test(test_longest_request),
	    cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
