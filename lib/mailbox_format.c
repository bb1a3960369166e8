/*
 * mailbox_format.c - From:-style header values: build one from (display name, address)
 *
 * SYNOPSIS
 *	See mailbox.h.
 *
 * DESCRIPTION
 *	The builder is the reverse of the parser (mailbox.c): sanitise the name
 *	(mailbox_sanitize_name(), which the parser also applies to every display
 *	name it reads), write it as atoms, a quoted string or encoded words, then
 *	fold before the spaces in the name. Nothing here fails but for an address
 *	addr_canon() refuses; nothing logs.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mailbox.h"
#include "rfc2047.h"
#include "xalloc.h"

/* Length of the character at s when it is a control (C0, DEL, C1, U+2028/9), else 0. */
static size_t
mailbox_control_len(const unsigned char *s, size_t seq)
{
	if (seq == 1 && (s[0] < 0x20 || s[0] == 0x7f))
		return 1;
	if (seq == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 2;
	if (seq == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return 3;
	return 0;
}

char *
mailbox_sanitize_name(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	char *out = xmalloc(3 * len + 1);
	size_t i = 0, n = 0, seq;
	const char *piece;
	int pending_space = 0;

	while (i < len) {
		seq = rfc2047_utf8_seqlen(s + i, len - i);
		piece = name + i;
		if (seq == 0 || s[i] == '\0') {
			piece = "\xef\xbf\xbd";
			i++;
			seq = 3;
		} else if (s[i] == ' ' || mailbox_control_len(s + i, seq) > 0) {
			pending_space = n > 0;
			i += seq;
			continue;
		} else {
			i += seq;
		}
		if (n + pending_space + seq > MAILBOX_NAME_MAX)
			break;
		if (pending_space)
			out[n++] = ' ';
		pending_space = 0;
		memcpy(out + n, piece, seq);
		n += seq;
	}
	out[n] = '\0';
	return out;
}

/* 1 when name is atoms separated by single spaces, and no atom looks encoded. */
static int
mailbox_is_plain_phrase(const char *name)
{
	size_t i;

	if (strstr(name, "=?") != NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!mailbox_is_atext((unsigned char)name[i]) && name[i] != ' ')
			return 0;
	return 1;
}

static char *
mailbox_quote(const char *name)
{
	char *out = xmalloc(2 * strlen(name) + 3);
	size_t i, n = 0;

	out[n++] = '"';
	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] == '"' || name[i] == '\\')
			out[n++] = '\\';
		out[n++] = name[i];
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

/* A sanitised, non-empty name as a phrase: atoms, quoted string or encoded words. */
static char *
mailbox_phrase(const char *name, size_t first_line_used)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] >= 0x80)
			return rfc2047_encode(name, strlen(name),
			                      first_line_used < MAILBOX_LINE_MAX
			                          ? MAILBOX_LINE_MAX - first_line_used
			                          : 0);
	if (mailbox_is_plain_phrase(name))
		return xstrdup(name);
	return mailbox_quote(name);
}

/*
 * Inserts line breaks before spaces at offsets below foldable_end (the name and
 * the space before '<') so that lines stay within MAILBOX_LINE_MAX where a space
 * allows it. A fold is the break alone: the space stays and starts the next line.
 */
static char *
mailbox_fold(const char *value, size_t foldable_end, enum mailbox_fold fold, size_t line_len)
{
	const char *line_break = fold == MAILBOX_FOLD_CRLF ? "\r\n" : "\n";
	size_t total = strlen(value), pos = 0, next, n = 0;
	char *out = xmalloc(3 * total + 1);

	while (pos < total) {
		for (next = pos + 1; next < total && !(value[next] == ' ' && next < foldable_end);
		     next++)
			;
		if (fold != MAILBOX_FOLD_NONE && pos > 0 &&
		    line_len + (next - pos) > MAILBOX_LINE_MAX) {
			memcpy(out + n, line_break, strlen(line_break));
			n += strlen(line_break);
			line_len = 0;
		}
		memcpy(out + n, value + pos, next - pos);
		n += next - pos;
		line_len += next - pos;
		pos = next;
	}
	out[n] = '\0';
	return out;
}

char *
mailbox_format(const char *display_utf8, const char *address, enum mailbox_fold fold,
               size_t first_line_used)
{
	char canonical[ADDR_MAX];
	char *name, *phrase, *value, *folded;

	if (address == NULL ||
	    addr_canon(address, strlen(address), canonical, sizeof(canonical), NULL) != ADDR_OK)
		return NULL;
	name = mailbox_sanitize_name(display_utf8 != NULL ? display_utf8 : "",
	                             display_utf8 != NULL ? strlen(display_utf8) : 0);
	if (name[0] == '\0') {
		free(name);
		return xstrdup(canonical);
	}
	phrase = mailbox_phrase(name, first_line_used);
	value = xasprintf("%s <%s>", phrase, canonical);
	folded = mailbox_fold(value, strlen(phrase) + 1, fold, first_line_used);
	free(value);
	free(phrase);
	free(name);
	return folded;
}
