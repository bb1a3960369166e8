/*
 * fuzz_config.c - libFuzzer target for edg.conf: ini_parse() and config_parse_buffer()
 *
 * DESCRIPTION
 *	Each input is parsed twice: by ini_parse() with a handler that checks what
 *	the parser promises (NUL-terminated, trimmed, bounded strings, a line number
 *	that grows), then as a whole configuration by config_parse_buffer(), whose
 *	errors and, on success, "config show -a" output go to /dev/null so that the
 *	formatting paths run too. Seeds: tests/fuzz/seeds/fuzz_config/ (the sample,
 *	a full "show -a", files with every kind of mistake).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fuzz_sink;

static int
fuzz_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The promises of ini.h: a crash here is a finding. */
static int
fuzz_on_key(const char *section, const char *key, const char *value, unsigned lineno, void *ctx)
{
	unsigned *last_line = ctx;
	size_t klen = strlen(key), vlen = strlen(value);

	if (section[0] == '\0' || klen == 0 || klen > INI_LINE_MAX || vlen > INI_LINE_MAX ||
	    lineno <= *last_line || fuzz_blank(key[0]) || fuzz_blank(key[klen - 1]) ||
	    (vlen > 0 && (fuzz_blank(value[0]) || fuzz_blank(value[vlen - 1]))))
		abort();
	*last_line = lineno;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct edg_config *cfg;
	unsigned last_line = 0;
	char err[128];

	if (size > CONFIG_FILE_MAX)
		return 0; /* config_load() refuses such files before parsing */
	if (fuzz_sink == NULL && (fuzz_sink = fopen("/dev/null", "w")) == NULL)
		abort();
	ini_parse(text, size, fuzz_on_key, &last_line, err, sizeof(err));
	cfg = config_parse_buffer(text, size, "fuzz.conf", fuzz_sink);
	if (cfg != NULL)
		config_show(cfg, fuzz_sink, 1);
	config_free(cfg);
	return 0;
}
