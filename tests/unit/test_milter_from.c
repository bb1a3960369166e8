/*
 * test_milter_from.c - the From: headers of one message: parsed together (limits,
 *	refusals), the display name kept, the originals rebuilt, the envelope sender
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "milter_from.h"

#define MAXV 4

struct from_case {
	const char *values[MAXV]; /* the From: headers, NULL-terminated */
	const char *addresses;    /* canonical addresses joined by ' ', or NULL: refused */
	const char *why;          /* refusal reason */
	const char *display;
	const char *originals;        /* milter_from_originals(, 10) */
	const char *envelope_for_app; /* milter_from_envelope(, "app@example.com") */
};

static const struct from_case from_cases[] = {
    {{"App <app@example.com>"}, "app@example.com", NULL, "App", "App <app@example.com>", NULL},
    {{"\"Smith, Alice\" <Alice@Corp.Example>"},
     "alice@corp.example",
     NULL,
     "Smith, Alice",
     "\"Smith, Alice\" <alice@corp.example>",
     "alice@corp.example"},
    {{"Alice\n\tSmith\r\n <alice@corp.example>"},
     "alice@corp.example",
     NULL,
     "Alice Smith",
     "Alice Smith <alice@corp.example>",
     "alice@corp.example"},
    {{"Team: a@corp.example, Bob <b@corp.example>;"},
     "a@corp.example b@corp.example",
     NULL,
     "",
     "a@corp.example,\n\tBob <b@corp.example>",
     "a@corp.example"},
    {{"a@corp.example", "App <app@example.com>"},
     "a@corp.example app@example.com",
     NULL,
     "",
     "a@corp.example,\n\tApp <app@example.com>",
     NULL},
    {{"=?UTF-8?Q?J=C3=BCrgen?= <jm@corp.example>"},
     "jm@corp.example",
     NULL,
     "J\xC3\xBCrgen",
     "=?UTF-8?Q?J=C3=BCrgen?= <jm@corp.example>",
     "jm@corp.example"},
    {{"Undisclosed:;"}, "", NULL, "", NULL, NULL},
    {{"<<<@@"}, NULL, "unbalanced '<': angle address not closed", NULL, NULL, NULL},
    {{"ok@corp.example", ""}, NULL, "no address in header value", NULL, NULL, NULL},
    {{"\"Eve\r\nBcc: x@y\" <eve@corp.example>"},
     NULL,
     "bare CR or LF in header value",
     NULL,
     NULL,
     NULL},
};

static void
join(const struct milter_from_parsed *parsed, char *out, size_t size)
{
	*out = '\0';
	for (size_t i = 0; i < parsed->count; i++) {
		if (i > 0)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, parsed->address[i], size - strlen(out) - 1);
	}
}

static void
test_table(void **unused)
{
	(void)unused;
	for (size_t i = 0; i < sizeof(from_cases) / sizeof(from_cases[0]); i++) {
		const struct from_case *c = &from_cases[i];
		char *values[MAXV];
		size_t lengths[MAXV], count = 0, bytes = 0;
		struct milter_from_parsed parsed;
		const char *why = NULL;
		char got[1024];

		for (; count < MAXV && c->values[count] != NULL; count++) {
			values[count] = (char *)(uintptr_t)c->values[count];
			bytes += lengths[count] = strlen(c->values[count]);
		}
		int rc = milter_from_parse(values, lengths, count, bytes, &parsed, &why);

		print_message("case %zu: %s\n", i, c->values[0]);
		if (c->addresses == NULL) {
			assert_int_equal(rc, -1);
			assert_string_equal(why, c->why);
		} else {
			char *originals = milter_from_originals(&parsed, 10);
			const char *envelope = milter_from_envelope(&parsed, "app@example.com");

			assert_int_equal(rc, 0);
			join(&parsed, got, sizeof(got));
			assert_string_equal(got, c->addresses);
			assert_string_equal(milter_from_display(&parsed), c->display);
			if (c->originals == NULL)
				assert_null(originals);
			else
				assert_string_equal(originals, c->originals);
			if (c->envelope_for_app == NULL)
				assert_null(envelope);
			else
				assert_string_equal(envelope, c->envelope_for_app);
			free(originals);
		}
		milter_from_parsed_free(&parsed);
	}
}

static void
test_limits(void **unused)
{
	char *values[MILTER_FROM_HEADERS_MAX + 1], big[200];
	size_t lengths[MILTER_FROM_HEADERS_MAX + 1];
	struct milter_from_parsed parsed;
	const char *why = NULL;

	(void)unused;
	for (size_t i = 0; i <= MILTER_FROM_HEADERS_MAX; i++) {
		values[i] = (char *)(uintptr_t) "a@corp.example";
		lengths[i] = 14;
	}
	assert_int_equal(
	    milter_from_parse(values, lengths, MILTER_FROM_HEADERS_MAX, 16 * 14, &parsed, &why), 0);
	assert_int_equal(parsed.count, MILTER_FROM_HEADERS_MAX);
	milter_from_parsed_free(&parsed);
	assert_int_equal(
	    milter_from_parse(values, lengths, MILTER_FROM_HEADERS_MAX + 1, 17 * 14, &parsed, &why),
	    -1);
	assert_string_equal(why, "too many From: headers");
	milter_from_parsed_free(&parsed);
	assert_int_equal(
	    milter_from_parse(values, lengths, 1, MILTER_FROM_BYTES_MAX + 1, &parsed, &why), -1);
	assert_string_equal(why, "From: headers too large");
	milter_from_parsed_free(&parsed);

	/* 16 headers of 7 addresses: 112 together, over MAILBOX_LIST_MAX (100). */
	strcpy(big, "a@x.io, b@x.io, c@x.io, d@x.io, e@x.io, f@x.io, g@x.io");
	for (size_t i = 0; i < MILTER_FROM_HEADERS_MAX; i++) {
		values[i] = big;
		lengths[i] = strlen(big);
	}
	assert_int_equal(
	    milter_from_parse(values, lengths, MILTER_FROM_HEADERS_MAX, 16 * 54, &parsed, &why),
	    -1);
	assert_string_equal(why, "too many addresses in From:");
	milter_from_parsed_free(&parsed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
