/*
 * state_fill.c - generate N suppressions and the approved senders for the benchmarks
 *
 * SYNOPSIS
 *	state_fill redis N [PREFIX]	| redis-cli --pipe
 *	state_fill postmap-sup N	> sup	(then postmap cdb:sup)
 *	state_fill postmap-senders	> senders
 *
 * DESCRIPTION
 *	"redis" writes, in the Redis protocol, generation 1 by docs/redis-schema.md the
 *	way the writer publishes a new generation: HSETs of at most 1,000 fields into
 *	PREFIX:1:senders and PREFIX:1:sup, then SET PREFIX:gen 1, XADD PREFIX:log * seq 1
 *	op gen gen 1, SET PREFIX:seq 1. PREFIX defaults to edg:v1.
 *
 *	Suppressed address i (0 <= i < N) is "u%012d@suppressed.example" (i zero-padded
 *	to 12 digits): the form redis-benchmark gives __rand_int__, so that
 *	"HEXISTS edg:v1:1:sup u__rand_int__@suppressed.example" with -r 2N hits half the
 *	time, like bench/policy_load with the same N. Reasons cycle through the six OCI
 *	reasons; every record is "REASON 2026-01-02T03:04:05.678Z ocid1.emailsuppression.
 *	oc1..bench<i>".
 *
 *	Approved senders: app@example.com, the domain entry @example.org, and
 *	sender0@example.com ... sender97@example.com (100 entries).
 *
 *	"postmap-sup" and "postmap-senders" write the same data as Postfix access(5)
 *	tables: a suppressed address maps to a 550 5.1.1 reply, an approved sender to OK
 *	(the domain entry as the bare domain, which access(5) matches for every address of
 *	that domain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILL_BATCH   1000
#define FILL_SENDERS 98

static const char *fill_reasons[] = {"HARDBOUNCE", "COMPLAINT",   "MANUAL",
                                     "SOFTBOUNCE", "UNSUBSCRIBE", "UNKNOWN"};

static void
resp_bulk(const char *s)
{
	printf("$%zu\r\n%s\r\n", strlen(s), s);
}

static void
resp_command(int argc, const char **argv)
{
	printf("*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		resp_bulk(argv[i]);
}

static void
fill_sender(char *buf, size_t size, int i)
{
	if (i == 0)
		snprintf(buf, size, "app@example.com");
	else if (i == 1)
		snprintf(buf, size, "@example.org");
	else
		snprintf(buf, size, "sender%d@example.com", i - 2);
}

static void
fill_redis_senders(const char *prefix)
{
	char key[128], field[64];

	snprintf(key, sizeof(key), "%s:1:senders", prefix);
	printf("*%d\r\n", 2 + 2 * (FILL_SENDERS + 2));
	resp_bulk("HSET");
	resp_bulk(key);
	for (int i = 0; i < FILL_SENDERS + 2; i++) {
		fill_sender(field, sizeof(field), i);
		resp_bulk(field);
		resp_bulk("ocid1.emailsender.bench ocid1.compartment.bench 2026-01-01T00:00:00.000Z");
	}
}

static void
fill_redis_sup(const char *prefix, long long n)
{
	char key[128], field[64], value[128];

	snprintf(key, sizeof(key), "%s:1:sup", prefix);
	for (long long start = 0; start < n; start += FILL_BATCH) {
		long long end = start + FILL_BATCH < n ? start + FILL_BATCH : n;

		printf("*%lld\r\n", 2 + 2 * (end - start));
		resp_bulk("HSET");
		resp_bulk(key);
		for (long long i = start; i < end; i++) {
			snprintf(field, sizeof(field), "u%012lld@suppressed.example", i);
			snprintf(value, sizeof(value),
			         "%s 2026-01-02T03:04:05.678Z ocid1.emailsuppression.oc1..bench%lld",
			         fill_reasons[i % 6], i);
			resp_bulk(field);
			resp_bulk(value);
		}
	}
}

static void
fill_redis(long long n, const char *prefix)
{
	char key[128];

	fill_redis_senders(prefix);
	fill_redis_sup(prefix, n);
	snprintf(key, sizeof(key), "%s:gen", prefix);
	resp_command(3, (const char *[]){"SET", key, "1"});
	snprintf(key, sizeof(key), "%s:log", prefix);
	resp_command(9, (const char *[]){"XADD", key, "*", "seq", "1", "op", "gen", "gen", "1"});
	snprintf(key, sizeof(key), "%s:seq", prefix);
	resp_command(3, (const char *[]){"SET", key, "1"});
}

static void
fill_postmap_sup(long long n)
{
	for (long long i = 0; i < n; i++)
		printf("u%012lld@suppressed.example 550 5.1.1 suppressed by OCI Email Delivery "
		       "(%s since 2026-01-02)\n",
		       i, fill_reasons[i % 6]);
}

static void
fill_postmap_senders(void)
{
	char field[64];

	for (int i = 0; i < FILL_SENDERS + 2; i++) {
		fill_sender(field, sizeof(field), i);
		printf("%s OK\n", field[0] == '@' ? field + 1 : field);
	}
}

int
main(int argc, char **argv)
{
	static char out[1 << 20];

	setvbuf(stdout, out, _IOFBF, sizeof(out));
	if (argc >= 3 && strcmp(argv[1], "redis") == 0)
		fill_redis(atoll(argv[2]), argc > 3 ? argv[3] : "edg:v1");
	else if (argc == 3 && strcmp(argv[1], "postmap-sup") == 0)
		fill_postmap_sup(atoll(argv[2]));
	else if (argc == 2 && strcmp(argv[1], "postmap-senders") == 0)
		fill_postmap_senders();
	else {
		fprintf(stderr, "usage: state_fill redis N [PREFIX] | postmap-sup N | "
		                "postmap-senders\n");
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
