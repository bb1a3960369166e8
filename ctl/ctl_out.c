/*
 * ctl_out.c - edgctl's output: JSON for scripts, ages and times for people
 *
 * See ctl_out.h.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_out.h"
#include "timefmt.h"

void
ctl_out_json(json_t *value)
{
	json_dumpf(value, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	fflush(stdout);
	json_decref(value);
}

json_t *
ctl_out_string(const char *text)
{
	return text == NULL || *text == '\0' ? json_null() : json_string(text);
}

void
ctl_out_age(long long ms, char *buf, size_t size)
{
	long long s = ms / 1000;

	if (ms < 0)
		snprintf(buf, size, "never");
	else if (ms < 1000)
		snprintf(buf, size, "%lldms", ms);
	else if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm %02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh %02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%lldd %02lldh", s / 86400, s % 86400 / 3600);
}

long long
ctl_out_time_parse(const char *text)
{
	char full[64];
	long long ms;
	size_t len = strlen(text);

	if (len == 10) {
		snprintf(full, sizeof(full), "%sT00:00:00Z", text);
		text = full;
		len = strlen(full);
	}
	if (timefmt_parse_rfc3339(text, len, &ms) != 0)
		return -1;
	return ms;
}
