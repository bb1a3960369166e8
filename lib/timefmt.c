/*
 * timefmt.c - OCI's RFC 3339 times <-> milliseconds since the epoch (see timefmt.h)
 *
 * Civil-date arithmetic without timegm()'s dependence on the TZ environment, so the
 * parser stays pure. Days from civil: H. Hinnant's algorithm.
 */
#include <stdio.h>
#include <time.h>

#include "timefmt.h"

static int
timefmt_digits(const char *s, size_t len, size_t pos, int n, int *out)
{
	int v = 0;

	if (pos + (size_t)n > len)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = s[pos + (size_t)i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

static long long
timefmt_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static int
timefmt_days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* The zone suffix at s[pos]: "Z" or "+HH:MM"/"-HH:MM", as an offset in minutes. */
static int
timefmt_zone(const char *s, size_t len, size_t pos, int *offset_min)
{
	int hh, mm;

	if (pos + 1 == len && (s[pos] == 'Z' || s[pos] == 'z')) {
		*offset_min = 0;
		return 0;
	}
	if (pos + 6 != len || (s[pos] != '+' && s[pos] != '-') || s[pos + 3] != ':')
		return -1;
	if (timefmt_digits(s, len, pos + 1, 2, &hh) || timefmt_digits(s, len, pos + 4, 2, &mm) ||
	    hh > 23 || mm > 59)
		return -1;
	*offset_min = (s[pos] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

int
timefmt_parse_rfc3339(const char *s, size_t len, long long *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, offset;
	size_t pos = 19;

	if (len < 20 || timefmt_digits(s, len, 0, 4, &y) || s[4] != '-' ||
	    timefmt_digits(s, len, 5, 2, &mo) || s[7] != '-' || timefmt_digits(s, len, 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || timefmt_digits(s, len, 11, 2, &h) ||
	    s[13] != ':' || timefmt_digits(s, len, 14, 2, &mi) || s[16] != ':' ||
	    timefmt_digits(s, len, 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > timefmt_days_in_month(y, mo) || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	if (s[pos] == '.') {
		size_t start = ++pos;

		for (; pos < len && s[pos] >= '0' && s[pos] <= '9'; pos++)
			if (pos - start < 3)
				frac = frac * 10 + (s[pos] - '0');
		if (pos == start || pos - start > 9)
			return -1;
		for (size_t n = pos - start; n < 3; n++)
			frac *= 10;
	}
	if (timefmt_zone(s, len, pos, &offset))
		return -1;
	*ms = ((timefmt_days_from_civil(y, mo, d) * 86400LL + h * 3600 + mi * 60 + sec) -
	       offset * 60LL) *
	          1000 +
	      frac;
	return 0;
}

void
timefmt_rfc3339(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (long long)secs * 1000));
}

/* n digits of v (0 <= v), zero-padded; returns the end. */
static char *
timefmt_put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

void
timefmt_date(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	int year = tm.tm_year + 1900;

	/* Every refusal's text carries a date: the digits by hand, not through printf. */
	if (year >= 0 && year <= 9999 && size >= 11) {
		char *p = timefmt_put_digits(buf, year, 4);

		*p++ = '-';
		p = timefmt_put_digits(p, tm.tm_mon + 1, 2);
		*p++ = '-';
		p = timefmt_put_digits(p, tm.tm_mday, 2);
		*p = '\0';
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02d", year, tm.tm_mon + 1, tm.tm_mday);
}

long long
timefmt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
timefmt_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
