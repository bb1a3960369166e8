/*
 * mailbox.h - From:-style header values: parse into (display name, address), build back
 *
 * SYNOPSIS
 *	#include "mailbox.h"
 *
 *	int mailbox_parse_list(const char *value, size_t len, struct mailbox_list *out,
 *	    const char **why);
 *	void mailbox_list_free(struct mailbox_list *list);
 *
 *	char *mailbox_sanitize_name(const char *name, size_t len);
 *	char *mailbox_format(const char *display_utf8, const char *address,
 *	    enum mailbox_fold fold, size_t first_line_used);
 *
 *	int mailbox_is_atext(unsigned char c);
 *
 * DESCRIPTION
 *	mailbox_parse_list() parses an RFC 5322 address-list (a mailbox-list, as in
 *	From:, is a special case): name-addr ("Name <a@b>"), bare addr-spec, groups
 *	("Team: a@b, c@d;", "Undisclosed:;"), comments (nested to any depth, skipped
 *	without recursion), quoted strings with backslash escapes, folding whitespace
 *	(CRLF or LF followed by a space or tab; a line break at the very end is
 *	ignored), obs-route inside angle brackets and the obsolete forms Postfix passes
 *	through (dots in phrases, CFWS around the dots of an addr-spec, empty list
 *	elements). value need not be NUL-terminated.
 *
 *	Each mailbox found is stored with its address in canonical form (addr_canon())
 *	and its display name decoded (RFC 2047 encoded words in atoms; not inside
 *	quoted strings, as RFC 2047 section 5 says) and sanitised by
 *	mailbox_sanitize_name(); "" when there is none. Comments are never used as
 *	names. Group names are dropped; the group's mailboxes are listed.
 *
 *	Address confusions resolve the way MTAs deliver, never the way a reader might
 *	guess: in "ceo@bank.com <eve@evil.com>" and "\"Eve <ceo@bank.com>\" <eve@evil.com>"
 *	the address is eve@evil.com and the rest is the display name.
 *
 *	Limits: values longer than MAILBOX_VALUE_MAX octets are refused at once (a
 *	1 MB header costs a length check); more than MAILBOX_LIST_MAX mailboxes are
 *	refused; display names are cut at MAILBOX_NAME_MAX octets.
 *
 *	mailbox_sanitize_name() returns a copy of name (UTF-8) safe to show and to put
 *	in a header: ill-formed UTF-8 and NUL become U+FFFD, control characters (C0,
 *	DEL, C1: CR, LF and TAB included) become spaces, runs of spaces become one,
 *	leading and trailing spaces go, and the result is cut at a character boundary
 *	to MAILBOX_NAME_MAX octets. Applying it twice changes nothing.
 *
 *	mailbox_format() builds a header value "Name <address>" (or "address" when the
 *	sanitised name is empty). address must be acceptable to addr_canon() and is
 *	written in canonical form. The name is sanitised first, then written as atoms
 *	when it is only atext and spaces, as a quoted string when it is other ASCII,
 *	and as RFC 2047 encoded words (UTF-8, Q or B, whichever is shorter) when it
 *	holds non-ASCII characters. Lines are folded before a space so that none is
 *	longer than 78 octets where that is possible; first_line_used is how much of
 *	the first line the caller's "From: " takes. The fold is chosen by the caller:
 *	MAILBOX_FOLD_LF ("\n" + the space) is what libmilter's smfi_chgheader() and
 *	smfi_addheader() take from a Postfix or Sendmail milter; MAILBOX_FOLD_CRLF is
 *	wire format; MAILBOX_FOLD_NONE keeps one line (for logs). The result holds no
 *	CR, LF or NUL except a fold's line break followed by a space, and
 *	mailbox_parse_list() gives back the sanitised name and the canonical address.
 *
 *	mailbox_is_atext() tells whether c is RFC 5322 atext (ASCII only): what an
 *	atom is made of, for the parser and the builder alike.
 *
 * OWNERSHIP
 *	mailbox_list_free() releases what mailbox_parse_list() stored in *out (also
 *	after a failure, when it is empty). The strings returned by
 *	mailbox_sanitize_name() and mailbox_format() are the caller's to free.
 *
 * DIAGNOSTICS
 *	mailbox_parse_list() returns 0, or -1 with *why (if why != NULL) a static
 *	English reason; out is then empty. mailbox_format() returns NULL when address
 *	is not a valid address. Neither logs nor performs I/O.
 */
#ifndef EDG_MAILBOX_H
#define EDG_MAILBOX_H

#include <stddef.h>

#include "addr.h"

#define MAILBOX_VALUE_MAX 65536 /* longest header value parsed, octets */
#define MAILBOX_LIST_MAX  100   /* most mailboxes in one value */
#define MAILBOX_NAME_MAX  1024  /* display names are cut to this many octets */
#define MAILBOX_LINE_MAX  78    /* RFC 5322 2.1.1: preferred line length */

struct mailbox {
	char *display;          /* UTF-8, sanitised; "" when none */
	char address[ADDR_MAX]; /* canonical form */
};

struct mailbox_list {
	struct mailbox *items;
	size_t count;
};

enum mailbox_fold { MAILBOX_FOLD_NONE, MAILBOX_FOLD_LF, MAILBOX_FOLD_CRLF };

int mailbox_parse_list(const char *value, size_t len, struct mailbox_list *out, const char **why);
void mailbox_list_free(struct mailbox_list *list);

char *mailbox_sanitize_name(const char *name, size_t len);
char *mailbox_format(const char *display_utf8, const char *address, enum mailbox_fold fold,
                     size_t first_line_used);

int mailbox_is_atext(unsigned char c);

#endif
