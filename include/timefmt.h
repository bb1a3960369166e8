/*
 * timefmt.h - OCI's RFC 3339 times <-> milliseconds since the epoch
 *
 * SYNOPSIS
 *	int  timefmt_parse_rfc3339(const char *s, size_t len, long long *ms);
 *	void timefmt_rfc3339(long long ms, char *buf, size_t size);
 *	void timefmt_date(long long ms, char *buf, size_t size);
 *	long long timefmt_now_ms(void);
 *	long long timefmt_monotonic_ms(void);
 *
 * DESCRIPTION
 *	timefmt_parse_rfc3339() accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"
 *	(T or t or space; fraction of 1 to 9 digits, kept to the millisecond) and returns 0,
 *	or -1 on anything else. It is pure and bounded: s need not be NUL-terminated.
 *	timefmt_rfc3339() writes "2016-12-19T16:39:57.600Z" (OCI's form, UTC, always 3
 *	fraction digits); timefmt_date() writes "2016-12-19". Buffers of 32 bytes suffice.
 */
#ifndef EDG_TIMEFMT_H
#define EDG_TIMEFMT_H

#include <stddef.h>

#define TIMEFMT_SIZE 32

int timefmt_parse_rfc3339(const char *s, size_t len, long long *ms);
void timefmt_rfc3339(long long ms, char *buf, size_t size);
void timefmt_date(long long ms, char *buf, size_t size);
long long timefmt_now_ms(void);
long long timefmt_monotonic_ms(void);

#endif
