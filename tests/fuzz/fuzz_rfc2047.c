/*
 * fuzz_rfc2047.c - libFuzzer target for encoded-word decoding and encoding
 *
 * Decoders must return well-formed UTF-8 without NUL, within their bound. The
 * encoder must produce words within 75 characters (the first within its limit)
 * whose decoding gives back exactly the input after UTF-8 repair.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2047.h"
#include "fuzz.h"

static void
fuzz_check_utf8(const char *s, size_t len)
{
	size_t i = 0, n;

	FUZZ_CHECK(strlen(s) == len);
	while (i < len) {
		n = rfc2047_utf8_seqlen((const unsigned char *)s + i, len - i);
		FUZZ_CHECK(n > 0);
		i += n;
	}
}

static void
fuzz_decoders(const char *in, size_t size)
{
	char out[512];
	size_t outlen;
	char *text;

	if (rfc2047_decode_word(in, size, out, sizeof(out), &outlen) == RFC2047_OK)
		fuzz_check_utf8(out, outlen);
	if (rfc2047_decode_token(in, size, out, sizeof(out), &outlen) == RFC2047_OK)
		fuzz_check_utf8(out, outlen);
	text = rfc2047_decode_text(in, size, 3 * size + 16, NULL);
	FUZZ_CHECK(text != NULL); /* three octets per input octet always suffice */
	fuzz_check_utf8(text, strlen(text));
	free(text);
	text = rfc2047_decode_text(in, size, size / 2, NULL);
	if (text != NULL)
		FUZZ_CHECK(strlen(text) <= size / 2);
	free(text);
}

static void
fuzz_check_words(const char *encoded, size_t first_word_max)
{
	size_t limit = first_word_max < 24 ? 24 : first_word_max > 75 ? 75 : first_word_max;
	const char *word = encoded, *space;
	size_t len;

	while (*word != '\0') {
		space = strchr(word, ' ');
		len = space != NULL ? (size_t)(space - word) : strlen(word);
		FUZZ_CHECK(len > 0 && len <= limit);
		FUZZ_CHECK(rfc2047_word_len(word, len) == len);
		limit = 75;
		word += len + (space != NULL);
	}
}

static void
fuzz_encoder(const char *in, size_t size)
{
	size_t first_word_max = size > 0 ? (unsigned char)in[0] % 90 : 75;
	size_t repaired_len = rfc2047_utf8_repair(in, size, NULL, 0);
	char *repaired = malloc(repaired_len + 1);
	char *encoded = rfc2047_encode(in, size, first_word_max), *decoded;

	rfc2047_utf8_repair(in, size, repaired, repaired_len + 1);
	fuzz_check_words(encoded, first_word_max);
	decoded = rfc2047_decode_text(encoded, strlen(encoded), repaired_len + 1, NULL);
	FUZZ_CHECK(decoded != NULL && strcmp(decoded, repaired) == 0);
	free(decoded);
	free(encoded);
	free(repaired);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_decoders((const char *)data, size);
	if (size <= 4096)
		fuzz_encoder((const char *)data, size);
	return 0;
}
