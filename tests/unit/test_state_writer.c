/*
 * test_state_writer.c - the writer against a real redis-server, read back by the reader
 *
 * What a reader sees after each writer operation: a first generation, batches of
 * changes (also over several transactions), a new generation replacing the old one
 * (whose hashes are unlinked), a commit with nothing queued writing nothing, a
 * gap-free change log even with two writers racing, and the puller's lease.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "config.h"
#include "state.h"
#include "state_writer.h"
#include "testredis.h"
#include "timefmt.h"

#define REC "HARDBOUNCE 2026-01-02T03:04:05.678Z ocid1.emailsuppression.oc1..x"

static struct config_redis_url url;

static struct state_writer *
writer(void)
{
	char err[256];
	struct state_writer *w = state_writer_open(&url, "edg", 1000, 1000, err, sizeof(err));

	assert_non_null(w);
	return w;
}

static struct state *
reader(void)
{
	struct state_options opts = {.url = testredis_url, .prefix = "edg", .max_stale_ms = 60000};
	char err[256];
	struct state *st = state_open(&opts, err, sizeof(err));

	assert_non_null(st);
	return st;
}

static int
eventually(struct state *st, const char *addr, enum lookup want)
{
	long long deadline = timefmt_monotonic_ms() + 3000;
	struct timespec pause = {0, 10 * 1000000};

	while (timefmt_monotonic_ms() < deadline) {
		if (state_suppression(st, addr, NULL, 0) == want)
			return 1;
		nanosleep(&pause, NULL);
	}
	return 0;
}

static long long
number(const char *key)
{
	redisReply *reply = testredis_query("GET %s", key);
	long long n = reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : -1;

	freeReplyObject(reply);
	return n;
}

static void
publish_first(struct state_writer *w)
{
	char err[256];

	assert_int_equal(state_writer_gen_begin(w, err, sizeof(err)), 0);
	assert_int_equal(
	    state_writer_gen_put(w, STATE_KIND_SENDER, "app@example.com", "x", err, sizeof(err)),
	    0);
	for (int i = 0; i < 2500; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "user%d@example.net", i);
		assert_int_equal(
		    state_writer_gen_put(w, STATE_KIND_SUPPRESSION, addr, REC, err, sizeof(err)),
		    0);
	}
	assert_int_equal(state_writer_gen_publish(w, err, sizeof(err)), 0);
}

static void
test_generations(void **unused)
{
	char err[256];
	struct state_writer *w;
	struct state *st;

	testredis_start();
	w = writer();
	publish_first(w);
	st = reader();
	assert_int_equal(state_wait_ready(st, 5000), 0);
	assert_int_equal(state_suppression(st, "user0@example.net", NULL, 0), LOOKUP_FOUND);
	assert_int_equal(state_suppression(st, "user2499@example.net", NULL, 0), LOOKUP_FOUND);
	assert_int_equal(state_approved_sender(st, "app@example.com", NULL, 0), LOOKUP_FOUND);
	assert_int_equal(number("edg:v1:gen"), 1);

	/* A second generation replaces the first; its hashes are unlinked. */
	assert_int_equal(state_writer_gen_begin(w, err, sizeof(err)), 0);
	assert_int_equal(state_writer_gen_put(w, STATE_KIND_SUPPRESSION, "only@example.net", REC,
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(state_writer_gen_publish(w, err, sizeof(err)), 0);
	assert_true(eventually(st, "only@example.net", LOOKUP_FOUND));
	assert_int_equal(state_suppression(st, "user0@example.net", NULL, 0), LOOKUP_NOTFOUND);
	assert_int_equal(state_approved_sender(st, "app@example.com", NULL, 0), LOOKUP_NOTFOUND);
	redisReply *reply = testredis_query("EXISTS edg:v1:1:sup edg:v1:1:senders");
	assert_int_equal(reply->integer, 0);
	freeReplyObject(reply);

	/* An aborted generation leaves nothing behind. */
	assert_int_equal(state_writer_gen_begin(w, err, sizeof(err)), 0);
	assert_int_equal(state_writer_gen_put(w, STATE_KIND_SUPPRESSION, "never@example.net", REC,
	                                      err, sizeof(err)),
	                 0);
	state_writer_gen_abort(w);
	reply = testredis_query("EXISTS edg:v1:3:sup");
	assert_int_equal(reply->integer, 0);
	freeReplyObject(reply);
	assert_int_equal(number("edg:v1:gen"), 2);
	state_close(st);
	state_writer_close(w);
}

static void
test_changes(void **unused)
{
	char err[256];
	struct state_writer *w;
	struct state *st;
	long long seq;

	testredis_start();
	w = writer();
	/* Changes need a published generation. */
	state_writer_set(w, STATE_KIND_SUPPRESSION, "a@example.net", REC);
	assert_int_equal(state_writer_commit(w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no generation published"));
	state_writer_discard(w);
	publish_first(w);
	st = reader();
	assert_int_equal(state_wait_ready(st, 5000), 0);

	/* 2,500 changes: three transactions, one batch for the reader. */
	for (int i = 0; i < 2500; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "user%d@example.net", i);
		state_writer_del(w, STATE_KIND_SUPPRESSION, addr);
	}
	state_writer_set(w, STATE_KIND_SUPPRESSION, "new@example.net", REC);
	state_writer_set(w, STATE_KIND_SENDER, "@example.org", "x");
	assert_int_equal(state_writer_pending(w), 2502);
	assert_int_equal(state_writer_commit(w, err, sizeof(err)), 0);
	assert_int_equal(state_writer_pending(w), 0);
	assert_true(eventually(st, "new@example.net", LOOKUP_FOUND));
	assert_int_equal(state_suppression(st, "user1234@example.net", NULL, 0), LOOKUP_NOTFOUND);
	assert_int_equal(state_approved_sender(st, "x@example.org", NULL, 0), LOOKUP_FOUND);
	seq = number("edg:v1:seq");
	assert_int_equal(seq, 1 + 2502 + 1); /* gen entry, changes, commit */

	/* Nothing queued: nothing written. */
	assert_int_equal(state_writer_commit(w, err, sizeof(err)), 0);
	assert_int_equal(number("edg:v1:seq"), seq);
	redisReply *reply = testredis_query("XLEN edg:v1:log");
	assert_int_equal(reply->integer, seq);
	freeReplyObject(reply);
	state_close(st);
	state_writer_close(w);
}

/* Two writers interleaving keep the log gap-free: the reader never needs to reload. */
static void
test_two_writers(void **unused)
{
	char err[256];
	struct state_writer *w1, *w2;
	struct state *st;
	struct state_status status;

	testredis_start();
	w1 = writer();
	w2 = writer();
	publish_first(w1);
	st = reader();
	assert_int_equal(state_wait_ready(st, 5000), 0);
	for (int i = 0; i < 50; i++) {
		char addr[64];

		snprintf(addr, sizeof(addr), "w1-%d@example.net", i);
		state_writer_set(w1, STATE_KIND_SUPPRESSION, addr, REC);
		snprintf(addr, sizeof(addr), "w2-%d@example.net", i);
		state_writer_set(w2, STATE_KIND_SUPPRESSION, addr, REC);
		assert_int_equal(state_writer_commit(i % 2 ? w1 : w2, err, sizeof(err)), 0);
		assert_int_equal(state_writer_commit(i % 2 ? w2 : w1, err, sizeof(err)), 0);
	}
	assert_true(eventually(st, "w1-49@example.net", LOOKUP_FOUND));
	assert_true(eventually(st, "w2-49@example.net", LOOKUP_FOUND));
	state_status(st, &status);
	assert_int_equal(status.sequence, (unsigned long long)number("edg:v1:seq"));
	assert_int_equal(status.suppressions, 2500 + 100);
	state_close(st);
	state_writer_close(w1);
	state_writer_close(w2);
}

static void
test_lock(void **unused)
{
	char err[256];
	struct state_writer *w;

	testredis_start();
	w = writer();
	assert_int_equal(state_writer_lock(w, "syncd-a", 500, err, sizeof(err)), 1);
	assert_int_equal(state_writer_lock(w, "syncd-b", 500, err, sizeof(err)), 0);
	assert_int_equal(state_writer_lock(w, "syncd-a", 500, err, sizeof(err)), 1); /* renew */
	state_writer_unlock(w, "syncd-b"); /* not its lock */
	assert_int_equal(state_writer_lock(w, "syncd-b", 500, err, sizeof(err)), 0);
	state_writer_unlock(w, "syncd-a");
	assert_int_equal(state_writer_lock(w, "syncd-b", 200, err, sizeof(err)), 1);
	struct timespec pause = {0, 300 * 1000000};
	nanosleep(&pause, NULL); /* b dies without unlocking: the lease expires */
	assert_int_equal(state_writer_lock(w, "syncd-a", 500, err, sizeof(err)), 1);
	const char *fields[] = {"last_success", "2026-11-27T10:00:00.000Z", "suppressions", "3"};
	assert_int_equal(state_writer_status(w, fields, 4, err, sizeof(err)), 0);
	redisReply *reply = testredis_query("HGET edg:v1:status suppressions");
	assert_string_equal(reply->str, "3");
	freeReplyObject(reply);
	state_writer_close(w);
}

/* Redis gone: errors, not crashes; back: the writer reconnects by itself. */
static void
test_reconnect(void **unused)
{
	char err[256];
	struct state_writer *w;

	testredis_start();
	w = writer();
	publish_first(w);
	testredis_stop();
	state_writer_set(w, STATE_KIND_SUPPRESSION, "x@example.net", REC);
	assert_int_equal(state_writer_commit(w, err, sizeof(err)), -1);
	assert_int_equal(state_writer_pending(w), 1); /* kept for the next try */
	testredis_start();
	publish_first(w);
	assert_int_equal(state_writer_commit(w, err, sizeof(err)), 0);
	state_writer_close(w);
}

static long long
connections_received(void)
{
	redisReply *reply = testredis_query("INFO stats");
	const char *line = strstr(reply->str, "total_connections_received:");
	long long n = line != NULL ? strtoll(line + 27, NULL, 10) : -1;

	freeReplyObject(reply);
	return n;
}

/*
 * A primary demoted under the writer (READONLY): the connection is dropped and the
 * next call connects again (asks the sentinels again for a sentinel URL), no loop.
 */
static void
test_readonly(void **unused)
{
	const char *fields[] = {"k", "v"};
	char err[256];
	struct state_writer *w;
	long long before;

	testredis_start();
	w = writer();
	publish_first(w);
	testredis_cmd("REPLICAOF 127.0.0.1 1");
	assert_int_equal(state_writer_status(w, fields, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "READONLY"));
	before = connections_received();
	assert_int_equal(state_writer_status(w, fields, 2, err, sizeof(err)), -1);
	assert_int_equal(connections_received(), before + 1); /* a new connection */
	testredis_cmd("REPLICAOF NO ONE");
	before = connections_received();
	assert_int_equal(state_writer_status(w, fields, 2, err, sizeof(err)), 0);
	assert_int_equal(connections_received(), before + 1);
	assert_int_equal(state_writer_status(w, fields, 2, err, sizeof(err)), 0);
	assert_int_equal(connections_received(), before + 1); /* kept once it works */
	state_writer_close(w);
}

/* A failed connection is not retried at once: a jittered 50-100 ms first, then more. */
static void
test_connect_backoff(void **unused)
{
	char err[256];
	struct state_writer *w = writer(); /* no server */
	struct timespec pause = {0, 120 * 1000000};
	long retry;

	assert_int_equal(state_writer_generation(w, err, sizeof(err)), -1);
	assert_null(strstr(err, "next attempt"));
	retry = state_writer_retry_ms(w);
	assert_true(retry > 0 && retry <= 100);
	assert_int_equal(state_writer_generation(w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "next attempt in"));
	nanosleep(&pause, NULL);
	assert_int_equal(state_writer_retry_ms(w), 0);
	assert_int_equal(state_writer_generation(w, err, sizeof(err)), -1); /* tried again */
	assert_null(strstr(err, "next attempt"));
	assert_true(state_writer_retry_ms(w) > 90); /* 100-200 ms now */
	testredis_start();
	nanosleep(&pause, NULL);
	nanosleep(&pause, NULL);
	assert_int_equal(state_writer_generation(w, err, sizeof(err)), 0);
	state_writer_close(w);
}

static int
test_teardown(void **unused)
{
	testredis_stop();
	return 0;
}

static int
setup(void **unused)
{
	const char *why;

	testredis_init();
	return config_redis_url_parse(testredis_url, &url, &why);
}

static int
teardown(void **unused)
{
	config_redis_url_release(&url);
	testredis_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_generations, test_teardown),
	    cmocka_unit_test_teardown(test_changes, test_teardown),
	    cmocka_unit_test_teardown(test_two_writers, test_teardown),
	    cmocka_unit_test_teardown(test_lock, test_teardown),
	    cmocka_unit_test_teardown(test_reconnect, test_teardown),
	    cmocka_unit_test_teardown(test_readonly, test_teardown),
	    cmocka_unit_test_teardown(test_connect_backoff, test_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
