/*
 * test_ini.c - the INI parser: what it hands the handler, and every syntax error
 *
 * Each case is an input and the exact transcript of handler calls ("section|key|value@line;")
 * plus the return value and error text of ini_parse().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ini.h"

struct transcript {
	char text[8192];
	int stop_at_key; /* stop (return 1) when this 1-based call is reached; 0: never */
	int calls;
};

static int
record_key(const char *section, const char *key, const char *value, unsigned lineno, void *ctx)
{
	struct transcript *t = ctx;
	size_t used = strlen(t->text);

	snprintf(t->text + used, sizeof(t->text) - used, "%s|%s|%s@%u;", section, key, value,
	         lineno);
	return ++t->calls == t->stop_at_key;
}

static int
record_error(unsigned lineno, const char *reason, void *ctx)
{
	struct transcript *t = ctx;
	size_t used = strlen(t->text);

	snprintf(t->text + used, sizeof(t->text) - used, "E%u:%s;", lineno, reason);
	return 0;
}

static const struct ini_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	int want_rc;
	const char *want_calls;
	const char *want_err;
} ini_cases[] = {
    {"empty", "", 0, 0, "", ""},
    {"basic", "[oci]\nregion = us-ashburn-1\n", 0, 0, "oci|region|us-ashburn-1@2;", ""},
    {"trim and first =", "  [ a b ]  \n\t key\t=  x = y  \n", 0, 0, "a b|key|x = y@2;", ""},
    {"empty value", "[s]\nk =\n", 0, 0, "s|k|@2;", ""},
    {"comments and blanks", "# c\n; c\n\n[s]\n  # indented\nk=v\n", 0, 0, "s|k|v@6;", ""},
    {"no inline comments", "[s]\npass = a#b ;c # d\n", 0, 0, "s|pass|a#b ;c # d@2;", ""},
    {"crlf", "[s]\r\nk = v\r\n", 0, 0, "s|k|v@2;", ""},
    {"no final newline", "[s]\nk = v", 0, 0, "s|k|v@2;", ""},
    {"bom", "\xef\xbb\xbf[s]\nk=v\n", 0, 0, "s|k|v@2;", ""},
    {"repeat keys kept in order", "[s]\nk=1\nk=2\n[t]\nk=3\n", 0, 0, "s|k|1@2;s|k|2@3;t|k|3@5;",
     ""},
    {"quotes are literal", "[s]\nk = \"v\"\n", 0, 0, "s|k|\"v\"@2;", ""},
    {"key before section", "k = v\n", 0, 1, "", "line 1: key before any [section]"},
    {"no equals", "[s]\njunk\n", 0, 2, "",
     "line 2: expected \"key = value\", \"[section]\" or a comment"},
    {"empty key", "[s]\n = v\n", 0, 2, "", "line 2: empty key before \"=\""},
    {"unclosed header", "[s\n", 0, 1, "", "line 1: section header without \"]\""},
    {"empty header", "[ ]\n", 0, 1, "", "line 1: empty section name"},
    {"text after header", "[s] x\n", 0, 1, "", "line 1: text after the section header"},
    {"comment after header", "[s] # x\n", 0, 1, "", "line 1: text after the section header"},
    {"nested bracket", "[[s]\n", 0, 1, "", "line 1: \"[\" in a section name"},
    {"nul byte", "[s]\nk = a\0b\n", 11, 2, "", "line 2: NUL byte"},
    {"control char", "[s]\nk = a\x1b b\n", 0, 2, "", "line 2: control character"},
    {"bare cr inside", "[s]\nk = a\rb\n", 0, 2, "", "line 2: control character"},
    {"stops at first error", "[s]\nk=1\nbad\nk=2\n", 0, 3, "s|k|1@2;",
     "line 3: expected \"key = value\", \"[section]\" or a comment"},
};

static void
test_ini_cases(void **unused)
{
	for (size_t i = 0; i < sizeof(ini_cases) / sizeof(ini_cases[0]); i++) {
		const struct ini_case *c = &ini_cases[i];
		struct transcript t = {.text = ""};
		char err[256] = "garbage";
		size_t len = c->len ? c->len : strlen(c->input);
		int rc = ini_parse(c->input, len, record_key, &t, err, sizeof(err));

		print_message("case: %s\n", c->name);
		assert_int_equal(rc, c->want_rc);
		assert_string_equal(t.text, c->want_calls);
		assert_string_equal(err, c->want_err);
	}
}

static void
test_line_length_bound(void **unused)
{
	static char buf[2 * INI_LINE_MAX];
	struct transcript t = {.text = ""};
	char err[128];
	size_t n = 0;

	n += (size_t)sprintf(buf, "[s]\nk = ");
	/* exactly INI_LINE_MAX bytes on line 2: accepted */
	memset(buf + n, 'x', INI_LINE_MAX - 4);
	n += INI_LINE_MAX - 4;
	buf[n++] = '\n';
	assert_int_equal(ini_parse(buf, n, record_key, &t, err, sizeof(err)), 0);
	assert_int_equal(t.calls, 1);
	/* one more byte: refused, with the line number */
	memmove(buf + n - 1, "x\n", 2);
	n++;
	t = (struct transcript){.text = ""};
	assert_int_equal(ini_parse(buf, n, record_key, &t, err, sizeof(err)), 2);
	assert_string_equal(err, "line 2: line too long (more than 4096 bytes)");
	assert_int_equal(t.calls, 0);
}

static void
test_handler_stops(void **unused)
{
	struct transcript t = {.text = "", .stop_at_key = 2};
	char err[128];

	assert_int_equal(ini_parse("[s]\na=1\nb=2\nc=3\n", 16, record_key, &t, err, sizeof(err)),
	                 3);
	assert_string_equal(t.text, "s|a|1@2;s|b|2@3;");
	assert_string_equal(err, "line 3: rejected by the handler");
}

static void
test_parse_all_reports_every_error(void **unused)
{
	const char *in = "k0=v\n[s]\na=1\nbad\n[x\nskipped=1\n[t]\nb = 2\n[u] y\nc=3\n";
	struct transcript t = {.text = ""};

	assert_int_equal(ini_parse_all(in, strlen(in), record_key, record_error, &t), 1);
	assert_string_equal(t.text, "E1:key before any [section];s|a|1@3;"
	                            "E4:expected \"key = value\", \"[section]\" or a comment;"
	                            "E5:section header without \"]\";t|b|2@8;"
	                            "E9:text after the section header;");
}

static void
test_parse_all_clean(void **unused)
{
	struct transcript t = {.text = ""};

	assert_int_equal(ini_parse_all("[s]\na=1\n", 8, record_key, record_error, &t), 0);
	assert_string_equal(t.text, "s|a|1@2;");
}

static void
test_zero_errsize(void **unused)
{
	struct transcript t = {.text = ""};

	assert_int_equal(ini_parse("bad\n", 4, record_key, &t, NULL, 0), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ini_cases),
	    cmocka_unit_test(test_line_length_bound),
	    cmocka_unit_test(test_handler_stops),
	    cmocka_unit_test(test_parse_all_reports_every_error),
	    cmocka_unit_test(test_parse_all_clean),
	    cmocka_unit_test(test_zero_errsize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
