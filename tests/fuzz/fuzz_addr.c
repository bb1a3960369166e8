/*
 * fuzz_addr.c - libFuzzer target for addr_canon() and friends
 *
 * Feeds the input as an envelope path, a pattern and a domain. Besides memory
 * safety it checks the contract: a canonical form holds no control character,
 * has a domain, fits ADDR_MAX and is a fixed point (canonicalising it again gives
 * it back); a refusal always carries a reason; a small buffer is never overrun.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"
#include "fuzz.h"

static void
fuzz_check_canonical(const char *canonical, int is_pattern)
{
	char again[ADDR_MAX];
	size_t i, len = strlen(canonical);

	FUZZ_CHECK(len > 0 && len < ADDR_MAX);
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)canonical[i] >= 0x20 && canonical[i] != 0x7f);
	FUZZ_CHECK(addr_domain(canonical) != NULL);
	if (is_pattern)
		FUZZ_CHECK(addr_canon_pattern(canonical, len, again, sizeof(again), NULL) ==
		           ADDR_OK);
	else
		FUZZ_CHECK(addr_canon(canonical, len, again, sizeof(again), NULL) == ADDR_OK);
	FUZZ_CHECK(strcmp(canonical, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *why;
	char out[ADDR_MAX], small[12];
	enum addr_result result;

	why = NULL;
	result = addr_canon(in, size, out, sizeof(out), &why);
	if (result == ADDR_OK)
		fuzz_check_canonical(out, 0);
	else if (result == ADDR_NULL)
		FUZZ_CHECK(out[0] == '\0');
	else
		FUZZ_CHECK(why != NULL && why[0] != '\0');

	why = NULL;
	result = addr_canon_pattern(in, size, out, sizeof(out), &why);
	if (result == ADDR_OK)
		fuzz_check_canonical(out, 1);
	FUZZ_CHECK(result != ADDR_INVALID || why != NULL);

	if (addr_canon_domain(in, size, out, sizeof(out), NULL) == ADDR_OK) {
		char again[ADDR_MAX];

		FUZZ_CHECK(addr_canon_domain(out, strlen(out), again, sizeof(again), NULL) ==
		           ADDR_OK);
		FUZZ_CHECK(strcmp(out, again) == 0);
	}
	(void)addr_canon(in, size, small, sizeof(small), NULL);
	(void)addr_is_domain_pattern(in, size);
	return 0;
}
