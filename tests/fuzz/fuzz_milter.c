/*
 * fuzz_milter.c - libFuzzer target for what edg-milter parses from Postfix: socketmap
 *	requests (lib/milter_socketmap.c) and sets of From: headers (lib/milter_from.c)
 *
 * The first byte picks the parser. Socketmap: a request is never longer than its bounds,
 * consumed never exceeds the input, and a reply built from any key is one netstring
 * without CR or LF. From headers: the input is split at NUL bytes into up to 17 header
 * values (one more than allowed); a parse that succeeds gives canonical addresses
 * without control characters, and everything is freed.
 */
#include <stdlib.h>
#include <string.h>

#include "milter_from.h"
#include "milter_socketmap.h"
#include "fuzz.h"

static void
fuzz_socketmap(const char *data, size_t size)
{
	struct milter_socketmap_request req;
	char reply[MILTER_SOCKETMAP_WIRE_MAX + 64];
	size_t consumed = 0;
	const char *why = NULL;

	while (size > 0) {
		enum milter_socketmap_status st =
		    milter_socketmap_parse(data, size, &req, &consumed, &why);

		if (st != MILTER_SOCKETMAP_REQUEST)
			return;
		FUZZ_CHECK(consumed > 0 && consumed <= size);
		FUZZ_CHECK(strlen(req.name) <= MILTER_SOCKETMAP_NAME_MAX);
		FUZZ_CHECK(strlen(req.key) <= MILTER_SOCKETMAP_DATA_MAX);
		if (milter_socketmap_reply(reply, sizeof(reply), "OK", req.key) > 0)
			FUZZ_CHECK(strpbrk(reply, "\r\n") == NULL);
		data += consumed;
		size -= consumed;
	}
}

static void
fuzz_from(const char *data, size_t size)
{
	char *values[MILTER_FROM_HEADERS_MAX + 1];
	size_t lengths[MILTER_FROM_HEADERS_MAX + 1], count = 0;
	struct milter_from_parsed parsed;
	const char *why = NULL;
	char *copy = malloc(size + 1);

	memcpy(copy, data, size);
	copy[size] = '\0';
	for (char *p = copy, *end = copy + size; p <= end && count <= MILTER_FROM_HEADERS_MAX;) {
		char *nul = memchr(p, '\0', (size_t)(end - p) + 1);

		values[count] = p;
		lengths[count++] = (size_t)(nul - p);
		p = nul + 1;
	}
	if (milter_from_parse(values, lengths, count, size, &parsed, &why) == 0) {
		for (size_t i = 0; i < parsed.count; i++)
			for (const unsigned char *a = (const unsigned char *)parsed.address[i]; *a;
			     a++)
				FUZZ_CHECK(*a >= 0x20 && *a != 0x7f);
	} else {
		FUZZ_CHECK(why != NULL);
	}
	milter_from_parsed_free(&parsed); /* also after a failure, as milter_from.h says */
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_socketmap((const char *)data + 1, size - 1);
	else
		fuzz_from((const char *)data + 1, size - 1);
	return 0;
}
