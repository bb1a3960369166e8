/*
 * test_rfc2047.c - encoded words: decoding what mailers send, encoding what they read
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rfc2047.h"

#define FFFD "\xef\xbf\xbd"

struct word_case {
	const char *in;
	enum rfc2047_result result;
	const char *want;
};

static const struct word_case word_cases[] = {
    {"=?UTF-8?Q?caf=C3=A9?=", RFC2047_OK, "caf\xc3\xa9"},
    {"=?utf-8?q?a_b?=", RFC2047_OK, "a b"},
    {"=?UTF-8?B?Y2Fmw6k=?=", RFC2047_OK, "caf\xc3\xa9"},
    {"=?UTF-8?b?Y2Fmw6k?=", RFC2047_OK, "caf\xc3\xa9"},
    {"=?ISO-8859-1?Q?caf=E9?=", RFC2047_OK, "caf\xc3\xa9"},
    {"=?latin1?q?=C4?=", RFC2047_OK, "\xc3\x84"},
    {"=?iso-8859-15?q?=A4?=", RFC2047_OK, "\xe2\x82\xac"},
    {"=?windows-1252?Q?=80_5?=", RFC2047_OK, "\xe2\x82\xac 5"},
    {"=?US-ASCII?Q?Keith_Moore?=", RFC2047_OK, "Keith Moore"},
    {"=?US-ASCII*EN?Q?Keith?=", RFC2047_OK, "Keith"},
    {"=?us-ascii?q?caf=E9?=", RFC2047_OK, "caf" FFFD},
    {"=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", RFC2047_OK, "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"},
    {"=?koi8-r?b?8NLJ18XU?=", RFC2047_OK, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
    {"=?utf-8?q?\?=", RFC2047_OK, ""},
    {"=?utf-8?q?=FF?=", RFC2047_OK, FFFD},
    {"=?utf-8?q?a=00b?=", RFC2047_OK, "a" FFFD "b"},
    {"=?utf-8?q?=ED=A0=80?=", RFC2047_OK, FFFD FFFD FFFD},
    {"=?utf-8?q?=0D=0A?=", RFC2047_OK, "\r\n"},
    {"=?x-unknown?q?a?=", RFC2047_NOT_ENCODED, ""},
    {"=?ibm037?q?a?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?x?a?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?q?=G1?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?q?=4?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?q?abc=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?b?!!!!?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?b?QUJDR?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?q?a b?=", RFC2047_NOT_ENCODED, ""},
    {"=??q?a?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf/8?q?a?=", RFC2047_NOT_ENCODED, ""},
    {"=?utf-8?q?a?b?=", RFC2047_NOT_ENCODED, ""},
    {"plain", RFC2047_NOT_ENCODED, ""},
    {"", RFC2047_NOT_ENCODED, ""},
};

static void
test_decode_word_table(void **unused)
{
	char out[256];
	size_t i, outlen;
	enum rfc2047_result result;

	for (i = 0; i < sizeof(word_cases) / sizeof(word_cases[0]); i++) {
		const struct word_case *c = &word_cases[i];

		outlen = 12345;
		result = rfc2047_decode_word(c->in, strlen(c->in), out, sizeof(out), &outlen);
		if (result != c->result)
			fail_msg("case %zu \"%s\": result %d, want %d", i, c->in, result,
			         c->result);
		if (result == RFC2047_OK &&
		    (strcmp(out, c->want) != 0 || outlen != strlen(c->want)))
			fail_msg("case %zu \"%s\": got \"%s\"", i, c->in, out);
	}
}

static void
test_decode_word_bounded(void **unused)
{
	char out[4];
	size_t outlen;

	assert_int_equal(rfc2047_decode_word("=?utf-8?q?abcdef?=", 18, out, sizeof(out), &outlen),
	                 RFC2047_TOO_BIG);
	assert_string_equal(out, "");
	assert_int_equal(rfc2047_decode_word("=?latin1?q?abc?=", 16, out, sizeof(out), &outlen),
	                 RFC2047_TOO_BIG);
	assert_int_equal(rfc2047_decode_word("=?utf-8?q?abc?=", 15, out, sizeof(out), &outlen),
	                 RFC2047_OK);
	assert_string_equal(out, "abc");
}

struct text_case {
	const char *in;
	const char *want;
};

static const struct text_case text_cases[] = {
    {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
    {"=?utf-8?q?a?= \r\n\t=?utf-8?q?b?=", "ab"},
    {"x =?utf-8?q?a?= y", "x a y"},
    {"=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"},
    {"=?utf-8?q?a?==?utf-8?q?b?=", "ab"},
    {"=?bogus?q?a?= =?utf-8?q?b?=", "=?bogus?q?a?= b"},
    {"plain \xff text", "plain " FFFD " text"},
    {"foo=?utf-8?q?a?=", "foo=?utf-8?q?a?="},
    {"=?utf-8?q?a?=foo", "=?utf-8?q?a?=foo"},
    {"  lead and trail  ", "  lead and trail  "},
    {"=?UTF-8?B?SGVsbG8gV29ybGQ=?=", "Hello World"},
    {"", ""},
};

static void
test_decode_text_table(void **unused)
{
	size_t i;
	char *got;
	const char *why = NULL;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		got = rfc2047_decode_text(text_cases[i].in, strlen(text_cases[i].in), 1024, &why);
		assert_non_null(got);
		if (strcmp(got, text_cases[i].want) != 0)
			fail_msg("case %zu \"%s\": got \"%s\"", i, text_cases[i].in, got);
		free(got);
	}
}

static void
test_decode_text_bounded(void **unused)
{
	const char *why = NULL;
	char *got;

	assert_null(rfc2047_decode_text("0123456789", 10, 9, &why));
	assert_non_null(strstr(why, "too long"));
	got = rfc2047_decode_text("0123456789", 10, 10, &why);
	assert_string_equal(got, "0123456789");
	free(got);
	/* A huge bound does not mean a huge allocation (nor an overflow to a tiny one). */
	got = rfc2047_decode_text("=?utf-8?q?=C3=A9?=", 18, (size_t)-1, &why);
	assert_string_equal(got, "\xc3\xa9");
	free(got);
	/* "\xff" needs three bytes once repaired. */
	assert_null(rfc2047_decode_text("\xff", 1, 2, &why));
}

static void
test_decode_token(void **unused)
{
	char out[64];
	size_t outlen;

	assert_int_equal(
	    rfc2047_decode_token("=?utf-8?q?a?==?latin1?q?=E9?=", 29, out, sizeof(out), &outlen),
	    RFC2047_OK);
	assert_string_equal(out, "a\xc3\xa9");
	assert_int_equal(outlen, 3);
	assert_int_equal(rfc2047_decode_token("=?utf-8?q?a?=x", 14, out, sizeof(out), &outlen),
	                 RFC2047_NOT_ENCODED);
	assert_int_equal(
	    rfc2047_decode_token("=?utf-8?q?a?==?bogus?q?b?=", 26, out, sizeof(out), &outlen),
	    RFC2047_NOT_ENCODED);
	assert_int_equal(rfc2047_decode_token("", 0, out, sizeof(out), &outlen),
	                 RFC2047_NOT_ENCODED);
	assert_int_equal(rfc2047_word_len("=?utf-8?q?a?= rest", 18), 13);
	assert_int_equal(rfc2047_word_len("=?utf-8?q?a", 11), 0);
	assert_int_equal(rfc2047_word_len("=?utf-8?q?a?", 12), 0);
	assert_int_equal(rfc2047_word_len("x=?utf-8?q?a?=", 14), 0);
}

static void
test_utf8_seqlen(void **unused)
{
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"a", 1), 1);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xc0\x80", 2), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xe0\x80\x80", 3), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xed\xa0\x80", 3), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
	assert_int_equal(rfc2047_utf8_seqlen((const unsigned char *)"\x80", 1), 0);
}

static void
test_utf8_repair(void **unused)
{
	char out[32];

	assert_int_equal(rfc2047_utf8_repair("a\xff\0b", 4, out, sizeof(out)), 8);
	assert_memory_equal(out, "a" FFFD FFFD "b", 9);
	/* Truncated output is still NUL-terminated; the return value is the full need. */
	assert_int_equal(rfc2047_utf8_repair("abcdef", 6, out, 4), 6);
	assert_string_equal(out, "abc");
}

/* Every word at most its limit, each one decodable alone, the whole giving the text back. */
static void
encode_check(const char *text, size_t first_word_max, const char *want)
{
	char *encoded = rfc2047_encode(text, strlen(text), first_word_max), *decoded;
	char *word, *save = NULL, *copy = strdup(encoded), piece[256];
	size_t limit = first_word_max < 24 ? 24 : first_word_max > 75 ? 75 : first_word_max;
	size_t piece_len;

	if (want != NULL)
		assert_string_equal(encoded, want);
	for (word = strtok_r(copy, " ", &save); word != NULL; word = strtok_r(NULL, " ", &save)) {
		if (strlen(word) > limit)
			fail_msg("word \"%s\" longer than %zu", word, limit);
		assert_int_equal(
		    rfc2047_decode_word(word, strlen(word), piece, sizeof(piece), &piece_len),
		    RFC2047_OK);
		assert_null(strstr(piece, FFFD)); /* split at a character boundary */
		limit = 75;
	}
	decoded = rfc2047_decode_text(encoded, strlen(encoded), 4096, NULL);
	assert_string_equal(decoded, text);
	free(decoded);
	free(copy);
	free(encoded);
}

static void
test_encode(void **unused)
{
	encode_check("", 75, "");
	encode_check("caf\xc3\xa9 au lait, s'il vous pla\xc3\xaet", 75,
	             "=?UTF-8?Q?caf=C3=A9_au_lait=2C_s=27il_vous_pla=C3=AEt?=");
	encode_check("\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", 75, "=?UTF-8?B?44OG44K544OI?=");
	encode_check("J\xc3\xb6rg M\xc3\xbcller", 75, NULL);
	encode_check("a \"quoted\" <name> (comment) =?x?q?y?= _under_score_", 75, NULL);
	encode_check("\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	             "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	             "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	             "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
	             10, NULL);
	encode_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	             "\xc3\xa9\xc3\xa9 x \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	             40, NULL);
}

static void
test_encode_long_text(void **unused)
{
	char text[3000];
	size_t i;

	for (i = 0; i + 2 < sizeof(text); i += 2)
		memcpy(text + i, i % 6 == 0 ? "\xc3\xa9" : "ab", 2);
	text[i] = '\0';
	encode_check(text, 60, NULL);
}

/* Ill-formed input is encoded as U+FFFD, never passed through. */
static void
test_encode_repairs(void **unused)
{
	char *encoded = rfc2047_encode("a\xff\0b", 4, 75);
	char *decoded = rfc2047_decode_text(encoded, strlen(encoded), 100, NULL);

	assert_string_equal(decoded, "a" FFFD FFFD "b");
	free(decoded);
	free(encoded);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_word_table), cmocka_unit_test(test_decode_word_bounded),
	    cmocka_unit_test(test_decode_text_table), cmocka_unit_test(test_decode_text_bounded),
	    cmocka_unit_test(test_decode_token),      cmocka_unit_test(test_utf8_seqlen),
	    cmocka_unit_test(test_utf8_repair),       cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_encode_long_text),  cmocka_unit_test(test_encode_repairs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
