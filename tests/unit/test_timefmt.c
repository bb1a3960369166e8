/*
 * test_timefmt.c - dates in refusal texts: timefmt_date() against strftime(3)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "timefmt.h"

static void
check_date(long long ms)
{
	char got[TIMEFMT_SIZE], want[64];
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(want, sizeof(want), "%Y-%m-%d", &tm);
	timefmt_date(ms, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
test_date_matches_strftime(void **unused)
{
	static const long long fixed[] = {
	    0,                /* 1970-01-01 */
	    -1,               /* 1969-12-31: a millisecond before the epoch */
	    951782400000LL,   /* 2000-02-29 */
	    1798761599999LL,  /* 2026-12-31, the last millisecond */
	    1798761600000LL,  /* 2027-01-01 */
	    253402300799000LL /* 9999-12-31 */
	};

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		check_date(fixed[i]);
	for (long long ms = 0; ms < 4102444800000LL; ms += 86399999LL * 7) /* to 2100 */
		check_date(ms);
}

static void
test_date_small_buffer(void **unused)
{
	char buf[6];

	timefmt_date(1798761600000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2027-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_date_matches_strftime),
	    cmocka_unit_test(test_date_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
