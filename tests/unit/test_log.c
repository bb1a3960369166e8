/*
 * test_log.c - log lines are safe: no control characters, no secrets
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static void
sanitized(const char *in, const char *want)
{
	char line[LOG_LINE_MAX];

	snprintf(line, sizeof(line), "%s", in);
	log_sanitize(line, sizeof(line));
	assert_string_equal(line, want);
}

static void
test_control_characters(void **unused)
{
	sanitized("a\r\nb\tc\x7f", "a??b?c?");
}

static void
test_registered_secret(void **unused)
{
	log_secret_add("hunter2-passphrase");
	log_secret_add("hunter2-passphrase"); /* twice: stored once */
	sanitized("key pass hunter2-passphrase and again hunter2-passphrase.",
	          "key pass ***** and again *****.");
	log_secret_clear();
	sanitized("hunter2-passphrase", "hunter2-passphrase");
}

static void
test_short_secret_not_registered(void **unused)
{
	log_secret_add("ab");
	sanitized("abcab", "abcab");
}

static void
test_url_password(void **unused)
{
	sanitized("cannot reach redis://reader:s3cret@127.0.0.1:6379/0 now",
	          "cannot reach redis://reader:*****@127.0.0.1:6379/0 now");
	sanitized("redis://:pw123@host/1", "redis://:*****@host/1");
	sanitized("redis://host:6379/0", "redis://host:6379/0");
	sanitized("unix:///run/redis.sock", "unix:///run/redis.sock");
}

static void
test_stderr_line(void **unused)
{
	char buf[LOG_LINE_MAX] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	log_init("test", 1, LOG_MAIL);
	log_secret_add("topsecret");
	/* Lines go to file descriptor 2 with one write each, not through stdio. */
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);
	log_qid(LOG_WARNING, "4ABCDEF", "rcpt=<x@y> pass=%s\r\nInjected: 1", "topsecret");
	log_debug("below the level: not shown");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fileno(tmp), buf, sizeof(buf) - 1, 0);
	fclose(tmp);
	assert_true(n > 0);
	assert_string_equal(buf, "test: warning: 4ABCDEF: rcpt=<x@y> pass=*****??Injected: 1\n");
	log_secret_clear();
}

static void
test_long_line_cut(void **unused)
{
	char big[3 * LOG_LINE_MAX], buf[2 * LOG_LINE_MAX] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	ssize_t n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_non_null(tmp);
	log_init("test", 1, LOG_MAIL);
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);
	log_qid(LOG_WARNING, "4ABCDEF", "%s", big);
	log_warnx("short %d", 7);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fileno(tmp), buf, sizeof(buf) - 1, 0);
	fclose(tmp);
	assert_true(n > 0);
	/* The message part (queue id included) is LOG_LINE_MAX - 1 bytes, ending in "...". */
	char *nl = strchr(buf, '\n');

	assert_non_null(nl);
	assert_int_equal(nl - buf, strlen("test: warning: ") + LOG_LINE_MAX - 1);
	assert_memory_equal(nl - 3, "...", 3);
	assert_memory_equal(buf, "test: warning: 4ABCDEF: xxx", 27);
	assert_string_equal(nl + 1, "test: warning: short 7\n");
}

/* Batched lines reach the file only at log_flush(), in order; log_batch(0) flushes. */
static void
test_batch(void **unused)
{
	char buf[4 * LOG_LINE_MAX] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);

	assert_non_null(tmp);
	log_init("test", 1, LOG_MAIL);
	assert_int_equal(dup2(fileno(tmp), STDERR_FILENO), STDERR_FILENO);
	log_batch(1);
	log_warnx("one");
	log_qid(LOG_WARNING, "Q1", "two");
	assert_int_equal(pread(fileno(tmp), buf, sizeof(buf) - 1, 0), 0);
	log_flush();
	assert_true(pread(fileno(tmp), buf, sizeof(buf) - 1, 0) > 0);
	assert_string_equal(buf, "test: warning: one\ntest: warning: Q1: two\n");
	for (int i = 0; i < 20; i++) /* more than the buffer holds: flushed when full */
		log_warnx("%01000d", i);
	log_batch(0);
	log_warnx("three");
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(lseek(fileno(tmp), 0, SEEK_END), 19 + 23 + 20 * (15 + 1000 + 1) + 21);
	fclose(tmp);
}

static void
test_parse_names(void **unused)
{
	assert_int_equal(log_facility_parse("mail"), LOG_MAIL);
	assert_int_equal(log_facility_parse("LOCAL3"), LOG_LOCAL3);
	assert_int_equal(log_facility_parse("kern"), -1);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("loud"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_characters),
	    cmocka_unit_test(test_registered_secret),
	    cmocka_unit_test(test_short_secret_not_registered),
	    cmocka_unit_test(test_url_password),
	    cmocka_unit_test(test_stderr_line),
	    cmocka_unit_test(test_long_line_cut),
	    cmocka_unit_test(test_batch),
	    cmocka_unit_test(test_parse_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
