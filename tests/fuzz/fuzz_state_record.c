/*
 * fuzz_state_record.c - libFuzzer target for the values readers read back from Redis
 *
 * A suppression record ("REASON TIMECREATED ID") and an RFC 3339 time come from Redis,
 * which anything with write access could have filled. Besides memory safety: a record
 * that parses holds only printable fields and formats back to a record that parses to
 * the same values.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "state_view.h"
#include "timefmt.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct suppression sup, again;
	char buf[STATE_RECORD_MAX + 64];
	long long ms;

	if (timefmt_parse_rfc3339((const char *)data, size, &ms) == 0) {
		char when[TIMEFMT_SIZE];
		long long back;

		timefmt_rfc3339(ms, when, sizeof(when));
		/* Years before 0 or after 9999 do not print as four digits. */
		if (ms > -62135596800000LL && ms < 253402300800000LL) {
			FUZZ_CHECK(timefmt_parse_rfc3339(when, strlen(when), &back) == 0);
			FUZZ_CHECK(back == ms);
		}
	}
	if (state_record_parse((const char *)data, size, &sup) != 0)
		return 0;
	FUZZ_CHECK(sup.reason_text[0] != '\0' && sup.id[0] != '\0');
	if (state_record_format(&sup, buf, sizeof(buf)) == 0) {
		FUZZ_CHECK(state_record_parse(buf, strlen(buf), &again) == 0);
		FUZZ_CHECK(again.reason == sup.reason && again.created_ms == sup.created_ms);
		FUZZ_CHECK(strcmp(again.id, sup.id) == 0);
		FUZZ_CHECK(strcmp(again.reason_text, sup.reason_text) == 0);
	}
	return 0;
}
