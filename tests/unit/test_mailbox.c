/*
 * test_mailbox.c - From: header values: what the milter will see, and what it writes
 *
 * Parse rows give the value and the expected mailboxes as "name|address" pairs
 * joined by ';' ("" for an empty list), or the expected reason for a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "mailbox.h"

#define FFFD "\xef\xbf\xbd"

struct parse_case {
	const char *value;
	int ok;
	const char *want; /* pairs when ok, else a substring of the reason */
};

static const struct parse_case parse_cases[] = {
    /* Ordinary forms. */
    {"user@example.com", 1, "|user@example.com"},
    {"<user@example.com>", 1, "|user@example.com"},
    {"John Doe <John.Doe@Example.COM>", 1, "John Doe|john.doe@example.com"},
    {"\"Doe, John\" <jd@example.com>", 1, "Doe, John|jd@example.com"},
    {"John Q. Public <jqp@example.com>", 1, "John Q. Public|jqp@example.com"},
    {"Who? <one@y.test>", 1, "Who?|one@y.test"},
    {"\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>", 1,
     "Giant; \"Big\" Box|sysservices@example.net"},
    {"a@b.example, \"C D\" <c@d.example>", 1, "|a@b.example;C D|c@d.example"},
    {"a@example.com,,b@example.com,", 1, "|a@example.com;|b@example.com"},
    /* Groups. */
    {"Undisclosed recipients:;", 1, ""},
    {"Team: a@x.example, B <b@x.example>;", 1, "|a@x.example;B|b@x.example"},
    {"Team: a@x.example;, c@y.example", 1, "|a@x.example;|c@y.example"},
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;", 1,
     "Ed Jones|c@a.test;|joe@where.test;John|jdoe@one.test"},
    /* Comments, obsolete forms, routes. */
    {"(comment) user@example.com (another (nested) comment)", 1, "|user@example.com"},
    {"John (middle) Doe <jd@example.com>", 1, "John Doe|jd@example.com"},
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", 1, "Pete|pete@silly.test"},
    {"Eve <eve@evil.com> (ceo@bank.com)", 1, "Eve|eve@evil.com"},
    {"<@r1.example,@r2.example:joe@example.com>", 1, "|joe@example.com"},
    {"joe . doe @ example . com", 1, "|joe.doe@example.com"},
    {"\"joe doe\"@example.com", 1, "|\"joe doe\"@example.com"},
    {"\"john.doe\"@EXAMPLE.com", 1, "|john.doe@example.com"},
    {"\"joe\".doe@example.com", 1, "|joe.doe@example.com"},
    {"u@[192.0.2.1]", 1, "|u@[192.0.2.1]"},
    {"u@[ 192.0.2.1 ]", 1, "|u@[192.0.2.1]"},
    /* Folding. */
    {"Name\r\n <user@example.com>", 1, "Name|user@example.com"},
    {"Name\n\t<user@example.com>", 1, "Name|user@example.com"},
    {"\n\tName <user@example.com>", 1, "Name|user@example.com"},
    {"\"long\r\n name\" <u@example.com>", 1, "long name|u@example.com"},
    {"(a\r\n comment) u@example.com", 1, "|u@example.com"},
    {"user@example.com\r\n", 1, "|user@example.com"},
    /* Encoded words and 8-bit names. */
    {"=?UTF-8?Q?J=C3=B6rg?= <j@example.com>", 1, "J\xc3\xb6rg|j@example.com"},
    {"=?UTF-8?Q?a?= =?UTF-8?Q?b?= <x@example.com>", 1, "ab|x@example.com"},
    {"=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?= <x@example.com>", 1, "ab|x@example.com"},
    {"=?UTF-8?Q?a?= b =?UTF-8?Q?c?= <x@example.com>", 1, "a b c|x@example.com"},
    {"=?UTF-8?Q?a?==?UTF-8?Q?b?= <x@example.com>", 1, "ab|x@example.com"},
    {"=?utf-8?q?Mr.Smith?= <x@example.com>", 1, "Mr.Smith|x@example.com"},
    {"\"=?UTF-8?Q?a?=\" <x@example.com>", 1, "=?UTF-8?Q?a?=|x@example.com"},
    {"=?iso-8859-1?q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", 1,
     "Andr\xc3\xa9 Pirard|pirard@vm1.ulg.ac.be"},
    {"=?unknown?q?x?= <u@example.com>", 1, "=?unknown?q?x?=|u@example.com"},
    {"J\xc3\xb6rg <j@example.com>", 1, "J\xc3\xb6rg|j@example.com"},
    {"user@b\xc3\xbc\x63her.example", 1, "|user@xn--bcher-kva.example"},
    /* Hostile names are sanitised, never passed on. */
    {"Bad\xff Name <u@example.com>", 1, "Bad" FFFD " Name|u@example.com"},
    {"\"ctl\x01\x1b[31mred\" <u@example.com>", 1, "ctl [31mred|u@example.com"},
    {"=?utf-8?q?a=0D=0ABcc=3A_x=40y?= <u@example.com>", 1, "a Bcc: x@y|u@example.com"},
    /* Specials inside an encoded word are specials (RFC 2047 5(3)): no hidden ':' or '<'. */
    {"=?utf-8?q?a:_x@y?= <u@example.com>", 0, "not closed by ';'"},
    {"=?utf-8?q?<ceo@bank.com>?=", 0, "unexpected text"},
    {"=?utf-8?q?a=00b?= <u@example.com>", 1, "a" FFFD "b|u@example.com"},
    {"=?utf-8?q?a=C2=85b=E2=80=A8c?= <u@example.com>", 1, "a b c|u@example.com"},
    /* Confusions resolve to the address actually used. */
    {"\"Eve <ceo@bank.com>\" <eve@evil.com>", 1, "Eve <ceo@bank.com>|eve@evil.com"},
    {"ceo@bank.com <eve@evil.com>", 1, "ceo@bank.com|eve@evil.com"},
    {"\"ceo@bank.com\"@evil.com", 1, "|\"ceo@bank.com\"@evil.com"},
    {"=?utf-8?q?ceo=40bank.com?= <eve@evil.com>", 1, "ceo@bank.com|eve@evil.com"},
    /* Refusals. */
    {"", 0, "no address"},
    {"   ", 0, "no address"},
    {" , ,", 0, "no address"},
    {"user", 0, "no domain"},
    {"John Doe", 0, "no domain"},
    {"\"unclosed <a@b.example>", 0, "quote not closed"},
    {"Name <a@b.example", 0, "'<'"},
    {"Name a@b.example>", 0, "'>'"},
    {"(unclosed comment a@b.example", 0, "comment not closed"},
    {"a@b.example)", 0, "')'"},
    {"<>", 0, "empty address"},
    {"Name <>", 0, "empty address"},
    {"a@b.example\r\nBcc: x@y.example", 0, "bare CR or LF"},
    {"a@b.example\rx", 0, "bare CR or LF"},
    {"\"a\rb\" <a@b.example>", 0, "bare CR or LF"},
    {"ceo@bank.com@evil.com", 0, "more than one '@'"},
    {"<a@b.example> <c@d.example>", 0, "unexpected text"},
    {"<a@b.example> ceo@bank.com", 0, "unexpected text"},
    {"john doe@example.com", 0, "space inside"},
    {"G1: G2: a@b.example;;", 0, "group inside a group"},
    {"G1: a@b.example", 0, "not closed by ';'"},
    {"a@b.example;", 0, "';' outside a group"},
    {": a@b.example;", 0, "group without a name"},
    {"Name <a@b.example <c@d.example>>", 0, "'<'"},
    {"Name <a@-bad-.example>", 0, "invalid domain"},
    {"u@[1.2.3.4", 0, "'['"},
    {"\"a\\", 0, "escape"},
    {"a@b.example\x01", 0, "unexpected character"},
    {"Name <a b@example.com>", 0, "space inside"},
    {"a@\"quoted\".example", 0, "quoted string in a domain"},
    {"a@[192.0.2.1].example", 0, "literal mixed"},
    {"[192.0.2.1]@example.com", 0, "literal in a local part"},
    {"Name <\"a\x01\"@example.com>", 0, "control"},
};

/* Renders a list as "name|address;..." for comparison. */
static void
render(const struct mailbox_list *list, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < list->count; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s|%s", i > 0 ? ";" : "",
		                      list->items[i].display, list->items[i].address);
}

static void
test_parse_table(void **unused)
{
	struct mailbox_list list;
	const char *why;
	char got[4096];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];

		why = NULL;
		rc = mailbox_parse_list(c->value, strlen(c->value), &list, &why);
		if (c->ok && rc != 0)
			fail_msg("case %zu \"%s\": refused: %s", i, c->value, why);
		if (!c->ok && rc == 0) {
			render(&list, got, sizeof(got));
			fail_msg("case %zu \"%s\": accepted as \"%s\"", i, c->value, got);
		}
		if (c->ok) {
			render(&list, got, sizeof(got));
			if (strcmp(got, c->want) != 0)
				fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, c->value,
				         got, c->want);
		} else {
			assert_non_null(why);
			if (strstr(why, c->want) == NULL)
				fail_msg("case %zu \"%s\": reason \"%s\" lacks \"%s\"", i, c->value,
				         why, c->want);
			assert_int_equal(list.count, 0);
		}
		mailbox_list_free(&list);
	}
}

/* NUL can only arrive with an explicit length. */
static void
test_parse_nul(void **unused)
{
	struct mailbox_list list;
	const char *why = NULL;

	assert_int_equal(mailbox_parse_list("Na\0me <a@b.example>", 19, &list, &why), -1);
	assert_non_null(strstr(why, "NUL"));
	assert_int_equal(mailbox_parse_list("\"Na\0me\" <a@b.example>", 21, &list, &why), -1);
	assert_non_null(strstr(why, "NUL"));
	assert_int_equal(mailbox_parse_list("(a\0) a@b.example", 16, &list, &why), -1);
	assert_non_null(strstr(why, "NUL"));
	/* The length is honoured: what follows it is not read. */
	assert_int_equal(mailbox_parse_list("a@b.example, garbage<", 11, &list, &why), 0);
	assert_string_equal(list.items[0].address, "a@b.example");
	mailbox_list_free(&list);
}

static void
test_deeply_nested_comments(void **unused)
{
	const size_t depth = 10000;
	char *value = malloc(2 * depth + 32);
	struct mailbox_list list;
	const char *why = NULL;

	memset(value, '(', depth);
	memset(value + depth, ')', depth);
	strcpy(value + 2 * depth, " a@b.example");
	assert_int_equal(mailbox_parse_list(value, strlen(value), &list, &why), 0);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].address, "a@b.example");
	mailbox_list_free(&list);
	value[2 * depth - 1] = ' '; /* one ')' short */
	assert_int_equal(mailbox_parse_list(value, strlen(value), &list, &why), -1);
	assert_non_null(strstr(why, "comment not closed"));
	free(value);
}

static void
test_size_limits(void **unused)
{
	const size_t megabyte = 1024 * 1024;
	char *value = malloc(megabyte + 1);
	struct mailbox_list list;
	const char *why = NULL;
	clock_t start;

	/* 1 MB is refused at once. */
	memset(value, 'a', megabyte);
	value[megabyte] = '\0';
	value[10] = '@';
	start = clock();
	assert_int_equal(mailbox_parse_list(value, megabyte, &list, &why), -1);
	assert_true(clock() - start < CLOCKS_PER_SEC / 10);
	assert_non_null(strstr(why, "longer than"));
	/* Exactly the limit is parsed. */
	memset(value, 'x', MAILBOX_VALUE_MAX);
	value[0] = '(';
	memcpy(value + MAILBOX_VALUE_MAX - 13, ") a@b.example", 13);
	assert_int_equal(mailbox_parse_list(value, MAILBOX_VALUE_MAX, &list, &why), 0);
	assert_int_equal(list.count, 1);
	mailbox_list_free(&list);
	assert_int_equal(mailbox_parse_list(value, MAILBOX_VALUE_MAX + 1, &list, &why), -1);
	free(value);
}

/* The slowest shapes of a full-size value still parse in well under a second. */
static void
test_worst_case_time(void **unused)
{
	static const char *const units[] = {"=?koi8-r?q?=F0?= ", "=?utf-8?b?w6k=?= ", "(((", "a.",
	                                    "\"q\" "};
	char *value = malloc(MAILBOX_VALUE_MAX + 1);
	struct mailbox_list list;
	size_t i, n;
	clock_t start;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		for (n = 0; n + strlen(units[i]) + 16 < MAILBOX_VALUE_MAX; n += strlen(units[i]))
			memcpy(value + n, units[i], strlen(units[i]));
		memcpy(value + n, " <a@b.example>", 14);
		n += 14;
		start = clock();
		(void)mailbox_parse_list(value, n, &list, NULL);
		mailbox_list_free(&list);
		assert_true(clock() - start < CLOCKS_PER_SEC);
	}
	free(value);
}

static void
test_mailbox_count_limit(void **unused)
{
	char value[MAILBOX_LIST_MAX * 16 + 32];
	struct mailbox_list list;
	const char *why = NULL;
	size_t i, n = 0;

	for (i = 0; i < MAILBOX_LIST_MAX; i++)
		n += (size_t)sprintf(value + n, "u%zu@x.example,", i);
	assert_int_equal(mailbox_parse_list(value, n, &list, &why), 0);
	assert_int_equal(list.count, MAILBOX_LIST_MAX);
	assert_string_equal(list.items[99].address, "u99@x.example");
	mailbox_list_free(&list);
	n += (size_t)sprintf(value + n, "one-too-many@x.example");
	assert_int_equal(mailbox_parse_list(value, n, &list, &why), -1);
	assert_non_null(strstr(why, "more than 100"));
	assert_int_equal(list.count, 0);
}

struct sanitize_case {
	const char *in;
	const char *want;
};

static void
test_sanitize_name(void **unused)
{
	static const struct sanitize_case cases[] = {
	    {"  John   Doe  ", "John Doe"},
	    {"a\r\nb\tc\x7f"
	     "d",
	     "a b c d"},
	    {"\xc2\x80x\xc2\x9f", "x"},
	    {"bad\xfe", "bad" FFFD},
	    {"", ""},
	    {"\r\n\t", ""},
	};
	char *got, *again, long_name[3000];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = mailbox_sanitize_name(cases[i].in, strlen(cases[i].in));
		assert_string_equal(got, cases[i].want);
		again = mailbox_sanitize_name(got, strlen(got));
		assert_string_equal(again, got);
		free(again);
		free(got);
	}
	/* Cut at a character boundary, never inside a sequence. */
	for (i = 0; i + 2 < sizeof(long_name); i += 2)
		memcpy(long_name + i, "\xc3\xa9", 2);
	long_name[i] = '\0';
	long_name[1] = '\xa9';
	got = mailbox_sanitize_name(long_name + 1, strlen(long_name + 1));
	assert_true(strlen(got) <= MAILBOX_NAME_MAX);
	assert_true(strlen(got) % 2 == 1); /* U+FFFD (3) then whole 2-octet characters */
	free(got);
}

struct format_case {
	const char *name;
	const char *address;
	const char *want;
};

static void
test_format_table(void **unused)
{
	static const struct format_case cases[] = {
	    {"John Doe", "John@Example.com", "John Doe <john@example.com>"},
	    {"Doe, John", "jd@example.com", "\"Doe, John\" <jd@example.com>"},
	    {"", "a@b.example", "a@b.example"},
	    {NULL, "<A@B.example>", "a@b.example"},
	    {"  \r\n ", "a@b.example", "a@b.example"},
	    {"Evil\r\nBcc: x@y", "a@b.example", "\"Evil Bcc: x@y\" <a@b.example>"},
	    {"a\"b\\c", "a@b.example", "\"a\\\"b\\\\c\" <a@b.example>"},
	    {"=?utf-8?q?x?=", "a@b.example", "\"=?utf-8?q?x?=\" <a@b.example>"},
	    {"J\xc3\xb6rg", "j@b.example", "=?UTF-8?B?SsO2cmc=?= <j@b.example>"},
	    {"Name", "\"a b\"@x.example", "Name <\"a b\"@x.example>"},
	};
	char *got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = mailbox_format(cases[i].name, cases[i].address, MAILBOX_FOLD_CRLF, 6);
		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
		free(got);
	}
	assert_null(mailbox_format("Name", "not an address", MAILBOX_FOLD_LF, 6));
	assert_null(mailbox_format("Name", "a@b\r\n.example", MAILBOX_FOLD_LF, 6));
	assert_null(mailbox_format("Name", "<>", MAILBOX_FOLD_LF, 6));
	assert_null(mailbox_format("Name", NULL, MAILBOX_FOLD_LF, 6));
}

/* Every CR is in CRLF, every line break is followed by a space, no NUL (by strlen). */
static void
assert_header_safe(const char *value, enum mailbox_fold fold)
{
	size_t i;

	for (i = 0; value[i] != '\0'; i++) {
		if (value[i] == '\r') {
			assert_int_equal(fold, MAILBOX_FOLD_CRLF);
			assert_int_equal(value[i + 1], '\n');
		}
		if (value[i] == '\n') {
			assert_int_not_equal(fold, MAILBOX_FOLD_NONE);
			assert_true(fold == MAILBOX_FOLD_LF || (i > 0 && value[i - 1] == '\r'));
			assert_true(value[i + 1] == ' ');
		}
	}
}

/* Longest line, counting first_line_used on the first. */
static size_t
longest_line(const char *value, size_t first_line_used)
{
	size_t longest = 0, line = first_line_used;

	for (; *value != '\0'; value++) {
		if (*value == '\r' || *value == '\n') {
			line = 0;
			continue;
		}
		if (++line > longest)
			longest = line;
	}
	return longest;
}

static void
round_trip(const char *name, const char *address, enum mailbox_fold fold, int check_length)
{
	char *value = mailbox_format(name, address, fold, 6);
	char *want_name = mailbox_sanitize_name(name, strlen(name));
	struct mailbox_list list;
	const char *why = NULL;

	assert_non_null(value);
	assert_header_safe(value, fold);
	if (check_length && fold != MAILBOX_FOLD_NONE && longest_line(value, 6) > MAILBOX_LINE_MAX)
		fail_msg("line longer than 78 in \"%s\"", value);
	if (mailbox_parse_list(value, strlen(value), &list, &why) != 0)
		fail_msg("\"%s\" does not parse back: %s", value, why);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.items[0].display, want_name);
	mailbox_list_free(&list);
	free(want_name);
	free(value);
}

static void
test_round_trips(void **unused)
{
	static const char *const names[] = {
	    "John Doe",
	    "Doe, John (Sales) <sales@example.com>",
	    "J\xc3\xb6rg M\xc3\xbcller",
	    "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e",
	    "Evil\r\nBcc: victim@example.com\r\n\r\nbody",
	    "quote \" and \\ backslash",
	    "=?utf-8?q?looks_encoded?=",
	    "Tab\there\x01\x7f and C1 \xc2\x85 bad \xff\xfe",
	    "A very long ASCII display name that certainly will not fit on a single line of "
	    "seventy-eight characters at all",
	    "\"A very long, quoted display name\" that certainly will not fit on one line of "
	    "seventy-eight characters",
	    "Tr\xc3\xa8s long nom d'exp\xc3\xa9"
	    "diteur avec des accents qui d\xc3\xa9passe "
	    "largement une ligne de soixante-dix-huit caract\xc3\xa8res",
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	    "-",
	    "  ",
	};
	static const char *const addresses[] = {"user@example.com", "\"odd local\"@example.com",
	                                        "j\xc3\xb6rg@xn--bcher-kva.example"};
	size_t i, j;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = 0; j < sizeof(addresses) / sizeof(addresses[0]); j++) {
			round_trip(names[i], addresses[j], MAILBOX_FOLD_NONE, 0);
			round_trip(names[i], addresses[j], MAILBOX_FOLD_LF, i >= 8 && i <= 11);
			round_trip(names[i], addresses[j], MAILBOX_FOLD_CRLF, i >= 8 && i <= 11);
		}
}

/* The address comes back canonical, whatever spelling was given to the builder. */
static void
test_format_canonical_address(void **unused)
{
	char *value = mailbox_format("N", "<@route.example:USER@B\xc3\x9c\x43HER.example.>",
	                             MAILBOX_FOLD_LF, 6);
	struct mailbox_list list;

	assert_string_equal(value, "N <user@xn--bcher-kva.example>");
	assert_int_equal(mailbox_parse_list(value, strlen(value), &list, NULL), 0);
	assert_string_equal(list.items[0].address, "user@xn--bcher-kva.example");
	mailbox_list_free(&list);
	free(value);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_nul),
	    cmocka_unit_test(test_deeply_nested_comments),
	    cmocka_unit_test(test_size_limits),
	    cmocka_unit_test(test_mailbox_count_limit),
	    cmocka_unit_test(test_worst_case_time),
	    cmocka_unit_test(test_sanitize_name),
	    cmocka_unit_test(test_format_table),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_format_canonical_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
