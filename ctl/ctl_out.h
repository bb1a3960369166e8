/*
 * ctl_out.h - edgctl's output: JSON for scripts, ages and times for people
 *
 * SYNOPSIS
 *	#include "ctl_out.h"
 *
 *	void ctl_out_json(json_t *value);
 *	json_t *ctl_out_string(const char *text);
 *	void ctl_out_age(long long ms, char *buf, size_t size);
 *	long long ctl_out_time_parse(const char *text);
 *
 * DESCRIPTION
 *	ctl_out_json() prints value on stdout, indented, keys in insertion order, with
 *	a final newline, and releases it. ctl_out_string() is a JSON string, or null for
 *	NULL or "".
 *
 *	ctl_out_age() writes a duration for people: "850ms", "42s", "5m 12s", "3h 04m",
 *	"2d 07h"; "never" for a negative value.
 *
 *	ctl_out_time_parse() reads "YYYY-MM-DD" (midnight UTC) or an RFC 3339 time and
 *	returns milliseconds since the epoch, or -1 when it is neither.
 *
 * OWNERSHIP
 *	ctl_out_json() takes value over.
 */
#ifndef EDG_CTL_OUT_H
#define EDG_CTL_OUT_H

#include <stddef.h>
#include <jansson.h>

void ctl_out_json(json_t *value);
json_t *ctl_out_string(const char *text);
void ctl_out_age(long long ms, char *buf, size_t size);
long long ctl_out_time_parse(const char *text);

#endif
