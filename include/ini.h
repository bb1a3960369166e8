/*
 * ini.h - a small, pure, bounded INI parser
 *
 * SYNOPSIS
 *	#include "ini.h"
 *
 *	typedef int (*ini_handler)(const char *section, const char *key,
 *	    const char *value, unsigned lineno, void *ctx);
 *	typedef int (*ini_error_handler)(unsigned lineno, const char *reason, void *ctx);
 *
 *	int ini_parse(const char *buf, size_t len, ini_handler fn, void *ctx,
 *	    char *err, size_t errsize);
 *	int ini_parse_all(const char *buf, size_t len, ini_handler fn,
 *	    ini_error_handler efn, void *ctx);
 *
 * DESCRIPTION
 *	The syntax, line by line (lines end in LF; a CR before the LF is dropped; a
 *	UTF-8 byte order mark at the very start is skipped):
 *
 *	  blank line               ignored
 *	  # text, ; text           a comment, only as the first non-blank character
 *	  [section]                starts a section; the name is trimmed, non-empty,
 *	                           without '[' or ']'; nothing but blanks may follow
 *	  key = value              split on the FIRST '='; key and value trimmed of
 *	                           blanks (space, tab); the key must not be empty, the
 *	                           value may be; every key belongs to a section
 *
 *	There are no inline comments: "pass_phrase = a#b ;c" gives the value "a#b ;c",
 *	because passphrases and URLs may contain '#' and ';'. There are no quotes (a
 *	quote is part of the value), no escapes and no continuation lines. A key may
 *	repeat: the handler sees every occurrence in order and decides.
 *
 *	Errors, each with its line number: a line longer than INI_LINE_MAX bytes, a NUL
 *	or other control character (tab excepted), a malformed section header, a line
 *	that is neither comment nor header nor key = value, a key before any section.
 *
 *	ini_parse() calls fn for every key in file order and stops at the first syntax
 *	error or at the first non-zero return of fn. ini_parse_all() keeps going after
 *	a syntax error (reporting each to efn, which returns non-zero to stop) so that a
 *	configuration checker can list every mistake; after a bad section header the
 *	keys up to the next good header are skipped, not attributed to the previous
 *	section. fn may likewise return non-zero to stop.
 *
 *	The strings passed to the handlers are NUL-terminated and valid only during the
 *	call: copy what must outlive it. Both functions are pure (no I/O, no logging,
 *	no allocation) and use about 2 * INI_LINE_MAX bytes of stack.
 *
 * DIAGNOSTICS
 *	ini_parse() returns 0 when every line was read, otherwise the (1-based) line
 *	number where it stopped; err (when errsize > 0) then holds "line N: reason",
 *	or "line N: rejected by the handler" when fn stopped it.
 *	ini_parse_all() returns 0 when there was no syntax error and nobody stopped,
 *	otherwise the line number of the first syntax error or of the stop.
 */
#ifndef EDG_INI_H
#define EDG_INI_H

#include <stddef.h>

#define INI_LINE_MAX 4096 /* bytes of one line, the line ending excluded */

typedef int (*ini_handler)(const char *section, const char *key, const char *value, unsigned lineno,
                           void *ctx);
typedef int (*ini_error_handler)(unsigned lineno, const char *reason, void *ctx);

int ini_parse(const char *buf, size_t len, ini_handler fn, void *ctx, char *err, size_t errsize);
int ini_parse_all(const char *buf, size_t len, ini_handler fn, ini_error_handler efn, void *ctx);

#endif
