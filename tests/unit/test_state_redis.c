/*
 * test_state_redis.c - the state client against a real, throwaway redis-server
 *
 * Starts redis-server on a unix socket in a temporary directory, writes state the way
 * docs/redis-schema.md says the writer does, and checks what a reader sees: FOUND,
 * NOTFOUND, TEMPFAIL before publication and once Redis has been gone for longer than
 * max_stale, the last-known-good view meanwhile, recovery after a restart, changes
 * applied only whole, and no file descriptor growth over 1,000 reconnects.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "state.h"
#include "testredis.h"
#include "timefmt.h"

static unsigned long long writer_seq;

/* After each test, even a failed one: no server survives into the next test. */
static int
test_teardown(void **unused)
{
	testredis_stop();
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The writer's side of the schema, in its simplest form. */
static void
log_entry(const char *op, const char *kind, const char *key, const char *val)
{
	writer_seq++;
	if (kind != NULL)
		testredis_cmd("XADD edg:v1:log * seq %llu op %s kind %s key %s val %s", writer_seq,
		              op, kind, key, val ? val : "");
	else
		testredis_cmd("XADD edg:v1:log * seq %llu op %s", writer_seq, op);
	testredis_cmd("SET edg:v1:seq %llu", writer_seq);
}

static void
publish_generation(unsigned long long gen)
{
	testredis_cmd("HSET edg:v1:%llu:senders noreply@example.com x @example.org x", gen);
	testredis_cmd("HSET edg:v1:%llu:sup bounced@example.net %s", gen,
	              "HARDBOUNCE 2026-01-02T03:04:05.678Z ocid1.emailsuppression.oc1..aaa");
	testredis_cmd("SET edg:v1:gen %llu", gen);
	writer_seq++;
	testredis_cmd("XADD edg:v1:log * seq %llu op gen gen %llu", writer_seq, gen);
	testredis_cmd("SET edg:v1:seq %llu", writer_seq);
}

static struct state *
open_state(long max_stale_ms)
{
	struct state_options opts = {
	    .url = testredis_url,
	    .prefix = "edg",
	    .connect_timeout_ms = 500,
	    .command_timeout_ms = 500,
	    .max_stale_ms = max_stale_ms,
	    .reconnect_min_ms = 2,
	};
	char err[256];
	struct state *st = state_open(&opts, err, sizeof(err));

	assert_non_null(st);
	return st;
}

/* Poll until the suppression lookup of addr gives want (changes arrive asynchronously). */
static int
eventually(struct state *st, const char *addr, enum lookup want, long timeout_ms)
{
	long long deadline = timefmt_monotonic_ms() + timeout_ms;

	while (timefmt_monotonic_ms() < deadline) {
		if (state_suppression(st, addr, NULL, 0) == want)
			return 1;
		sleep_ms(10);
	}
	return 0;
}

static int
setup(void **unused)
{
	testredis_init();
	return 0;
}

static int
teardown(void **unused)
{
	testredis_cleanup();
	return 0;
}

static void
test_unpublished_is_tempfail(void **unused)
{
	testredis_start();
	writer_seq = 0;
	struct state *st = open_state(60000);

	sleep_ms(200);
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0),
	                 LOOKUP_TEMPFAIL);
	assert_int_equal(state_suppression(st, "x@example.com", NULL, 0), LOOKUP_TEMPFAIL);
	assert_int_equal(state_wait_ready(st, 100), -1);
	publish_generation(1);
	assert_int_equal(state_wait_ready(st, 5000), 0);
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0), LOOKUP_FOUND);
	state_close(st);
	testredis_stop();
}

static void
test_found_notfound(void **unused)
{
	struct suppression sup;
	char matched[128];
	char day[TIMEFMT_SIZE];

	testredis_start();
	writer_seq = 0;
	testredis_cmd("FLUSHALL");
	publish_generation(1);
	struct state *st = open_state(60000);
	assert_int_equal(state_wait_ready(st, 5000), 0);

	assert_int_equal(state_approved_sender(st, "noreply@example.com", matched, sizeof(matched)),
	                 LOOKUP_FOUND);
	assert_string_equal(matched, "noreply@example.com");
	assert_int_equal(state_approved_sender(st, "anyone@example.org", matched, sizeof(matched)),
	                 LOOKUP_FOUND);
	assert_string_equal(matched, "@example.org");
	assert_int_equal(state_approved_sender(st, "x@sub.example.org", NULL, 0), LOOKUP_NOTFOUND);
	assert_int_equal(state_approved_sender(st, "other@example.com", NULL, 0), LOOKUP_NOTFOUND);

	assert_int_equal(state_suppression(st, "bounced@example.net", &sup, 0), LOOKUP_FOUND);
	assert_int_equal(sup.reason, SUPPRESSION_HARDBOUNCE);
	timefmt_date(sup.created_ms, day, sizeof(day));
	assert_string_equal(day, "2026-01-02");
	assert_string_equal(sup.id, "");
	assert_int_equal(state_suppression(st, "bounced@example.net", &sup, STATE_DETAIL),
	                 LOOKUP_FOUND);
	assert_string_equal(sup.id, "ocid1.emailsuppression.oc1..aaa");
	assert_string_equal(sup.reason_text, "HARDBOUNCE");
	assert_int_equal(state_suppression(st, "fine@example.net", &sup, 0), LOOKUP_NOTFOUND);
	state_close(st);
	testredis_stop();
}

/* A batch becomes visible only with its commit entry, all of it at once. */
static void
test_changes_whole_batches(void **unused)
{
	testredis_start();
	writer_seq = 0;
	publish_generation(1);
	struct state *st = open_state(60000);
	assert_int_equal(state_wait_ready(st, 5000), 0);

	testredis_cmd("HSET edg:v1:1:sup new1@example.com %s",
	              "COMPLAINT 2026-03-01T00:00:00Z ocid.n1");
	log_entry("set", "sup", "new1@example.com", "COMPLAINT 2026-03-01T00:00:00Z ocid.n1");
	testredis_cmd("HDEL edg:v1:1:sup bounced@example.net");
	log_entry("del", "sup", "bounced@example.net", NULL);
	sleep_ms(700);
	assert_int_equal(state_suppression(st, "new1@example.com", NULL, 0), LOOKUP_NOTFOUND);
	assert_int_equal(state_suppression(st, "bounced@example.net", NULL, 0), LOOKUP_FOUND);
	log_entry("commit", NULL, NULL, NULL);
	assert_true(eventually(st, "new1@example.com", LOOKUP_FOUND, 2000));
	assert_int_equal(state_suppression(st, "bounced@example.net", NULL, 0), LOOKUP_NOTFOUND);

	/* A sender removed, a domain added. */
	log_entry("del", "sender", "noreply@example.com", NULL);
	log_entry("set", "sender", "@example.com", "x");
	log_entry("commit", NULL, NULL, NULL);
	sleep_ms(1000);
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0), LOOKUP_FOUND);
	char matched[64];
	assert_int_equal(state_approved_sender(st, "noreply@example.com", matched, sizeof(matched)),
	                 LOOKUP_FOUND);
	assert_string_equal(matched, "@example.com");
	state_close(st);
	testredis_stop();
}

/* A new generation replaces the view; a gap in the sequence forces a reload. */
static void
test_generation_and_gap(void **unused)
{
	testredis_start();
	writer_seq = 0;
	publish_generation(1);
	struct state *st = open_state(60000);
	assert_int_equal(state_wait_ready(st, 5000), 0);

	testredis_cmd("HSET edg:v1:2:senders noreply@example.com x");
	testredis_cmd("HSET edg:v1:2:sup gen2@example.com %s",
	              "MANUAL 2026-04-01T00:00:00Z ocid.g2");
	testredis_cmd("SET edg:v1:gen 2");
	writer_seq++;
	testredis_cmd("XADD edg:v1:log * seq %llu op gen gen 2", writer_seq);
	assert_true(eventually(st, "gen2@example.com", LOOKUP_FOUND, 3000));
	assert_int_equal(state_suppression(st, "bounced@example.net", NULL, 0), LOOKUP_NOTFOUND);

	/* The writer skips a sequence number (entries lost): the reader reloads the hash. */
	testredis_cmd("HSET edg:v1:2:sup gap@example.com %s",
	              "MANUAL 2026-04-01T00:00:00Z ocid.gap");
	writer_seq += 5;
	testredis_cmd("XADD edg:v1:log * seq %llu op commit", writer_seq);
	assert_true(eventually(st, "gap@example.com", LOOKUP_FOUND, 3000));
	state_close(st);
	testredis_stop();
}

/* Redis gone: the last-known-good view answers until max_stale, then TEMPFAIL; back: normal. */
static void
test_outage_and_recovery(void **unused)
{
	testredis_start();
	writer_seq = 0;
	publish_generation(1);
	struct state *st = open_state(1500);
	struct state_status status;
	assert_int_equal(state_wait_ready(st, 5000), 0);

	testredis_stop();
	sleep_ms(300);
	assert_int_equal(state_suppression(st, "bounced@example.net", NULL, 0), LOOKUP_FOUND);
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0), LOOKUP_FOUND);
	assert_int_equal(state_suppression(st, "fine@example.net", NULL, 0), LOOKUP_NOTFOUND);
	state_status(st, &status);
	assert_int_equal(status.connected, 0);
	assert_true(status.last_error[0] != '\0');
	sleep_ms(2000);
	assert_int_equal(state_suppression(st, "bounced@example.net", NULL, 0), LOOKUP_TEMPFAIL);
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0),
	                 LOOKUP_TEMPFAIL);

	testredis_start(); /* empty: Redis restarted without its data, syncd publishes again */
	writer_seq = 0;
	publish_generation(1);
	assert_true(eventually(st, "bounced@example.net", LOOKUP_FOUND, 5000));
	assert_int_equal(state_approved_sender(st, "noreply@example.com", NULL, 0), LOOKUP_FOUND);
	state_close(st);
	testredis_stop();
}

static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(dir);
	while (readdir(dir) != NULL)
		n++;
	closedir(dir);
	return n;
}

/* Kill the reader's connection 1,000 times: it reconnects each time, and leaks nothing. */
static void
test_reconnects_leak_nothing(void **unused)
{
	struct state_status status;
	int before, after;

	testredis_start();
	writer_seq = 0;
	publish_generation(1);
	struct state *st = open_state(60000);
	assert_int_equal(state_wait_ready(st, 5000), 0);
	state_status(st, &status);
	unsigned long start = status.reconnects;
	before = count_fds();

	for (int i = 0; i < 1000; i++) {
		testredis_cmd("CLIENT KILL TYPE normal SKIPME yes");
		long long deadline = timefmt_monotonic_ms() + 5000;
		do {
			sleep_ms(1);
			state_status(st, &status);
		} while (status.reconnects < start + (unsigned long)i + 1 &&
		         timefmt_monotonic_ms() < deadline);
		assert_true(status.reconnects >= start + (unsigned long)i + 1);
	}
	assert_true(eventually(st, "bounced@example.net", LOOKUP_FOUND, 3000));
	after = count_fds();
	assert_true(after <= before + 1);
	state_close(st);
	testredis_stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_unpublished_is_tempfail, test_teardown),
	    cmocka_unit_test_teardown(test_found_notfound, test_teardown),
	    cmocka_unit_test_teardown(test_changes_whole_batches, test_teardown),
	    cmocka_unit_test_teardown(test_generation_and_gap, test_teardown),
	    cmocka_unit_test_teardown(test_outage_and_recovery, test_teardown),
	    cmocka_unit_test_teardown(test_reconnects_leak_nothing, test_teardown),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
