/*
 * ini.c - a small, pure, bounded INI parser
 *
 * See ini.h for the syntax and the contract. One line at a time is copied into a
 * stack buffer of INI_LINE_MAX + 1 bytes (so the handler gets NUL-terminated
 * strings without any allocation), classified, and handed on. Nothing here reads a
 * file, logs or allocates: the caller owns the buffer and every decision about
 * what the keys mean.
 */
#include <stdio.h>
#include <string.h>

#include "ini.h"

#define INI_BOM     "\xef\xbb\xbf"
#define INI_XSTR(x) #x
#define INI_STR(x)  INI_XSTR(x)

struct ini_state {
	ini_handler fn;
	ini_error_handler efn;
	void *ctx;
	char section[INI_LINE_MAX + 1];
	int have_section; /* 0: none yet, 1: good, -1: last header was bad */
	unsigned stopped_at;
	unsigned first_error;
};

static int
ini_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks on both ends in place; returns the new start. */
static char *
ini_trim(char *start, char *end)
{
	while (start < end && ini_is_blank(*start))
		start++;
	while (end > start && ini_is_blank(end[-1]))
		end--;
	*end = '\0';
	return start;
}

/* Control characters other than tab are refused: they are never meant, and a NUL
 * would silently cut the value the handler sees. */
static const char *
ini_check_bytes(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return "NUL byte";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "control character";
	}
	return NULL;
}

static const char *
ini_section_header(struct ini_state *st, char *line, size_t len)
{
	char *close = memchr(line, ']', len), *name;

	if (close == NULL)
		return "section header without \"]\"";
	for (char *p = close + 1; p < line + len; p++)
		if (!ini_is_blank(*p))
			return "text after the section header";
	name = ini_trim(line + 1, close);
	if (*name == '\0')
		return "empty section name";
	if (strchr(name, '[') != NULL)
		return "\"[\" in a section name";
	memmove(st->section, name, strlen(name) + 1);
	st->have_section = 1;
	return NULL;
}

/* One line (without its ending), copied into line[], already checked for length.
 * Returns a syntax error or NULL; a handler stop is recorded in st->stopped_at. */
static const char *
ini_line(struct ini_state *st, char *line, size_t len, unsigned lineno)
{
	const char *why;
	char *text, *eq, *key, *value;

	if ((why = ini_check_bytes(line, len)) != NULL)
		return why;
	line[len] = '\0';
	text = ini_trim(line, line + len);
	if (*text == '\0' || *text == '#' || *text == ';')
		return NULL;
	if (*text == '[') {
		st->have_section = -1;
		return ini_section_header(st, text, strlen(text));
	}
	if ((eq = strchr(text, '=')) == NULL)
		return "expected \"key = value\", \"[section]\" or a comment";
	key = ini_trim(text, eq);
	value = ini_trim(eq + 1, eq + 1 + strlen(eq + 1));
	if (*key == '\0')
		return "empty key before \"=\"";
	if (st->have_section == 0)
		return "key before any [section]";
	if (st->have_section < 0)
		return NULL; /* under a bad header: already reported */
	if (st->fn(st->section, key, value, lineno, st->ctx) != 0)
		st->stopped_at = lineno;
	return NULL;
}

/* Walk the lines; stop at the first error when efn is NULL. */
static int
ini_walk(struct ini_state *st, const char *buf, size_t len, char *err, size_t errsize)
{
	char line[INI_LINE_MAX + 1];
	size_t pos = 0;
	unsigned lineno = 0;

	if (len >= 3 && memcmp(buf, INI_BOM, 3) == 0)
		pos = 3;
	while (pos < len && st->stopped_at == 0) {
		const char *nl = memchr(buf + pos, '\n', len - pos), *why;
		size_t end = nl != NULL ? (size_t)(nl - buf) : len, linelen = end - pos;

		lineno++;
		if (linelen > 0 && buf[end - 1] == '\r')
			linelen--;
		if (linelen > INI_LINE_MAX) {
			why = "line too long (more than " INI_STR(INI_LINE_MAX) " bytes)";
		} else {
			memcpy(line, buf + pos, linelen);
			why = ini_line(st, line, linelen, lineno);
		}
		pos = end + 1;
		if (why == NULL)
			continue;
		if (st->first_error == 0)
			st->first_error = lineno;
		if (st->efn == NULL) {
			if (errsize > 0)
				snprintf(err, errsize, "line %u: %s", lineno, why);
			return (int)lineno;
		}
		if (st->efn(lineno, why, st->ctx) != 0)
			st->stopped_at = lineno;
	}
	if (st->stopped_at != 0 && errsize > 0)
		snprintf(err, errsize, "line %u: rejected by the handler", st->stopped_at);
	if (st->first_error != 0 && (st->stopped_at == 0 || st->first_error < st->stopped_at))
		return (int)st->first_error;
	return (int)st->stopped_at;
}

int
ini_parse(const char *buf, size_t len, ini_handler fn, void *ctx, char *err, size_t errsize)
{
	struct ini_state st = {.fn = fn, .ctx = ctx};

	if (errsize > 0)
		err[0] = '\0';
	return ini_walk(&st, buf, len, err, errsize);
}

int
ini_parse_all(const char *buf, size_t len, ini_handler fn, ini_error_handler efn, void *ctx)
{
	struct ini_state st = {.fn = fn, .efn = efn, .ctx = ctx};

	return ini_walk(&st, buf, len, NULL, 0);
}
