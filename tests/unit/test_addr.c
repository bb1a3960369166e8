/*
 * test_addr.c - the canonical address form: the contract every lookup relies on
 *
 * Each row is one spelling and what it must become (or why it must be refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

struct canon_case {
	const char *in;
	enum addr_result result;
	const char *want; /* canonical form, or a substring of the reason */
};

static const struct canon_case canon_cases[] = {
    /* Plain forms and brackets. */
    {"user@example.com", ADDR_OK, "user@example.com"},
    {"<user@example.com>", ADDR_OK, "user@example.com"},
    {"  <user@example.com>\t", ADDR_OK, "user@example.com"},
    {"< user@example.com >", ADDR_OK, "user@example.com"},
    {"<>", ADDR_NULL, ""},
    {" <> ", ADDR_NULL, ""},
    /* Case, tags, trailing dot. */
    {"John.Doe@Example.COM", ADDR_OK, "john.doe@example.com"},
    {"USER+Tag@EXAMPLE.com.", ADDR_OK, "user+tag@example.com"},
    {"a+b+c@x.example", ADDR_OK, "a+b+c@x.example"},
    {"!#$%&'*+-/=?^_`{|}~@example.com", ADDR_OK, "!#$%&'*+-/=?^_`{|}~@example.com"},
    {"u@sub_domain.example", ADDR_OK, "u@sub_domain.example"},
    /* Source routes. */
    {"<@r1.example,@r2.example:User@Example.com>", ADDR_OK, "user@example.com"},
    {"<@r1.example:a@b.example>", ADDR_OK, "a@b.example"},
    {"<@r1.example,a@b.example>", ADDR_INVALID, "route"},
    {"<@:a@b.example>", ADDR_INVALID, "route"},
    /* Quoted local parts: unquoted when a dot-atom results, kept otherwise. */
    {"\"john.doe\"@example.com", ADDR_OK, "john.doe@example.com"},
    {"\"John\"@example.com", ADDR_OK, "john@example.com"},
    {"\"a b\"@example.com", ADDR_OK, "\"a b\"@example.com"},
    {"\"a\\ b\"@example.com", ADDR_OK, "\"a b\"@example.com"},
    {"\"\\j\\o\\e\"@example.com", ADDR_OK, "joe@example.com"},
    {"\"a\\\"b\"@example.com", ADDR_OK, "\"a\\\"b\"@example.com"},
    {"\"a\\\\b\"@example.com", ADDR_OK, "\"a\\\\b\"@example.com"},
    {"\"a@b\"@example.com", ADDR_OK, "\"a@b\"@example.com"},
    {"\"a..b\"@example.com", ADDR_OK, "\"a..b\"@example.com"},
    {"a..b@example.com", ADDR_OK, "\"a..b\"@example.com"},
    {".a@example.com", ADDR_OK, "\".a\"@example.com"},
    {"\"\"@example.com", ADDR_INVALID, "empty local part"},
    {"\"abc@example.com", ADDR_INVALID, "quote"},
    {"\"a\"b@example.com", ADDR_INVALID, "after the quoted"},
    {"\"a\\", ADDR_INVALID, "quote"},
    /* SMTPUTF8 and IDN. */
    {"J\xc3\xb6rg@example.com", ADDR_OK, "j\xc3\xb6rg@example.com"},
    {"user@b\xc3\xbc\x63her.example", ADDR_OK, "user@xn--bcher-kva.example"},
    {"user@B\xc3\x9c\x43HER.example", ADDR_OK, "user@xn--bcher-kva.example"},
    {"user@xn--bcher-kva.example", ADDR_OK, "user@xn--bcher-kva.example"},
    {"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", ADDR_OK,
     "\xe7\x94\xa8\xe6\x88\xb7@xn--fsqu00a.xn--4rr70v"},
    {"user\xff@example.com", ADDR_INVALID, "UTF-8"},
    {"user@b\xfc\x63her.example", ADDR_INVALID, "UTF-8"},
    {"us\xc0\xafr@example.com", ADDR_INVALID, "UTF-8"},
    /* Address literals. */
    {"user@[192.0.2.1]", ADDR_OK, "user@[192.0.2.1]"},
    {"user@[IPv6:2001:DB8:0:0::1]", ADDR_OK, "user@[ipv6:2001:db8::1]"},
    {"user@[IPv6:zz::1]", ADDR_INVALID, "IPv6"},
    {"user@[192.0.2.1", ADDR_INVALID, "'['"},
    {"user@[999.1.1.1]", ADDR_INVALID, "literal"},
    {"user@[x-tag:Some-Thing]", ADDR_OK, "user@[x-tag:some-thing]"},
    /* Refusals. */
    {"", ADDR_INVALID, "empty address"},
    {"   ", ADDR_INVALID, "empty address"},
    {"userexample.com", ADDR_INVALID, "missing '@'"},
    {"@example.com", ADDR_INVALID, "empty local part"},
    {"user@", ADDR_INVALID, "empty domain"},
    {"user@.", ADDR_INVALID, "empty domain"},
    {"user@a..b", ADDR_INVALID, "invalid domain"},
    {"user@-a.example", ADDR_INVALID, "invalid domain"},
    {"user@a-.example", ADDR_INVALID, "invalid domain"},
    {"user@exa mple.com", ADDR_INVALID, "invalid domain"},
    {"a@b@c", ADDR_INVALID, "more than one"},
    {"a b@example.com", ADDR_INVALID, "local part"},
    {"user@example.com\r\nRCPT TO:<x@y>", ADDR_INVALID, "control"},
    {"user\n@example.com", ADDR_INVALID, "control"},
    {"<user@example.com", ADDR_INVALID, "angle"},
    {"user@example.com>", ADDR_INVALID, "angle"},
    {"<<user@example.com>>", ADDR_INVALID, "local part"},
    {"Name <user@example.com>", ADDR_INVALID, "angle"},
    {"user@exam\x7fple.com", ADDR_INVALID, "control"},
};

static void
test_canon_table(void **unused)
{
	char out[ADDR_MAX];
	const char *why;
	size_t i;
	enum addr_result result;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		const struct canon_case *c = &canon_cases[i];

		why = NULL;
		result = addr_canon(c->in, strlen(c->in), out, sizeof(out), &why);
		if (result != c->result)
			fail_msg("case %zu \"%s\": result %d, want %d (%s)", i, c->in, result,
			         c->result, why != NULL ? why : "");
		if (result == ADDR_INVALID) {
			assert_non_null(why);
			if (strstr(why, c->want) == NULL)
				fail_msg("case %zu \"%s\": reason \"%s\" lacks \"%s\"", i, c->in,
				         why, c->want);
		} else if (strcmp(out, c->want) != 0) {
			fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, c->in, out,
			         c->want);
		}
	}
}

/* The input need not be NUL-terminated, and a NUL inside it is refused. */
static void
test_canon_length_bounded(void **unused)
{
	char out[ADDR_MAX];
	const char *why = NULL;

	assert_int_equal(addr_canon("a@b.example TRAILING", 11, out, sizeof(out), &why), ADDR_OK);
	assert_string_equal(out, "a@b.example");
	assert_int_equal(addr_canon("a@b\0.example", 12, out, sizeof(out), &why), ADDR_INVALID);
	assert_non_null(strstr(why, "control"));
}

static void
test_canon_limits(void **unused)
{
	char in[2048], out[ADDR_MAX];
	const char *why = NULL;

	memset(in, 'a', 64);
	strcpy(in + 64, "@example.com");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_OK);
	memset(in, 'a', 65);
	strcpy(in + 65, "@example.com");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_INVALID);
	assert_non_null(strstr(why, "64"));
	/* 62 escaped characters fit when quoted unescaped but the quoted form is 64 + 2. */
	memset(in, 0, sizeof(in));
	in[0] = '"';
	memset(in + 1, ' ', 63);
	strcpy(in + 64, "\"@example.com");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_INVALID);
	/* A 63-octet label is fine, 64 is not; a 256-octet domain is refused. */
	strcpy(in, "u@");
	memset(in + 2, 'd', 63);
	strcpy(in + 65, ".example");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_OK);
	memset(in + 2, 'd', 64);
	strcpy(in + 66, ".example");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_INVALID);
	strcpy(in, "u@");
	for (size_t i = 0; i < 64; i++)
		memcpy(in + 2 + 4 * i, "abc.", 4);
	strcpy(in + 2 + 256, "x");
	assert_int_equal(addr_canon(in, strlen(in), out, sizeof(out), &why), ADDR_INVALID);
	assert_non_null(strstr(why, "255"));
}

static void
test_canon_small_buffer(void **unused)
{
	char out[8];
	const char *why = NULL;

	assert_int_equal(addr_canon("user@example.com", 16, out, sizeof(out), &why), ADDR_INVALID);
	assert_non_null(strstr(why, "too long"));
	assert_int_equal(addr_canon("a@b.c", 5, out, sizeof(out), NULL), ADDR_OK);
	assert_string_equal(out, "a@b.c");
}

static void
test_pattern(void **unused)
{
	char out[ADDR_MAX];
	const char *why = NULL;

	assert_true(addr_is_domain_pattern(" @Example.COM.", 14));
	assert_false(addr_is_domain_pattern("a@example.com", 13));
	assert_false(addr_is_domain_pattern("<@r:a@b>", 8));
	assert_int_equal(addr_canon_pattern("@Example.COM.", 13, out, sizeof(out), &why), ADDR_OK);
	assert_string_equal(out, "@example.com");
	assert_int_equal(
	    addr_canon_pattern("@b\xc3\xbc\x63her.example", 16, out, sizeof(out), &why), ADDR_OK);
	assert_string_equal(out, "@xn--bcher-kva.example");
	assert_int_equal(addr_canon_pattern("A@Example.com", 13, out, sizeof(out), &why), ADDR_OK);
	assert_string_equal(out, "a@example.com");
	assert_int_equal(addr_canon_pattern("@", 1, out, sizeof(out), &why), ADDR_INVALID);
	assert_int_equal(addr_canon_pattern("@bad..domain", 12, out, sizeof(out), &why),
	                 ADDR_INVALID);
	/* A pattern is not an address: addr_canon() refuses it. */
	assert_int_equal(addr_canon("@example.com", 12, out, sizeof(out), &why), ADDR_INVALID);
}

static void
test_domain_and_parts(void **unused)
{
	char out[ADDR_MAX];
	const char *why = NULL;

	assert_string_equal(addr_domain("user@example.com"), "example.com");
	assert_string_equal(addr_domain("\"a@b\"@example.com"), "example.com");
	assert_string_equal(addr_domain("@example.com"), "example.com");
	assert_null(addr_domain("nodomain"));
	assert_null(addr_domain("trailing@"));
	assert_int_equal(addr_canon_domain(" Example.ORG. ", 14, out, sizeof(out), &why), ADDR_OK);
	assert_string_equal(out, "example.org");
	assert_int_equal(addr_canon_parts("Joe Q", 5, "Example.com", 11, out, sizeof(out), &why),
	                 ADDR_OK);
	assert_string_equal(out, "\"joe q\"@example.com");
	/* Found by fuzz_addr: a NUL inside a literal stopped inet_pton(), not the check. */
	assert_int_equal(addr_canon_domain("[12.0.2.1\0\0]", 12, out, sizeof(out), &why),
	                 ADDR_INVALID);
	assert_int_equal(addr_canon_parts("a\tb", 3, "x.example", 9, out, sizeof(out), &why),
	                 ADDR_INVALID);
}

/* Canonical forms are fixed points: canonicalising again changes nothing. */
static void
test_canon_idempotent(void **unused)
{
	char once[ADDR_MAX], twice[ADDR_MAX];
	size_t i;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		if (canon_cases[i].result != ADDR_OK)
			continue;
		assert_int_equal(addr_canon(canon_cases[i].in, strlen(canon_cases[i].in), once,
		                            sizeof(once), NULL),
		                 ADDR_OK);
		assert_int_equal(addr_canon(once, strlen(once), twice, sizeof(twice), NULL),
		                 ADDR_OK);
		assert_string_equal(once, twice);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_canon_table),      cmocka_unit_test(test_canon_length_bounded),
	    cmocka_unit_test(test_canon_limits),     cmocka_unit_test(test_canon_small_buffer),
	    cmocka_unit_test(test_pattern),          cmocka_unit_test(test_domain_and_parts),
	    cmocka_unit_test(test_canon_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
