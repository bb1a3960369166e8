/*
 * rfc2047.h - MIME encoded words (RFC 2047) and UTF-8 checking
 *
 * SYNOPSIS
 *	#include "rfc2047.h"
 *
 *	size_t rfc2047_utf8_seqlen(const unsigned char *s, size_t len);
 *	size_t rfc2047_utf8_repair(const char *in, size_t len, char *out, size_t outsize);
 *
 *	enum rfc2047_result rfc2047_decode_word(const char *word, size_t len, char *out,
 *	    size_t outsize, size_t *outlen);
 *	size_t rfc2047_word_len(const char *s, size_t len);
 *	enum rfc2047_result rfc2047_decode_token(const char *token, size_t len, char *out,
 *	    size_t outsize, size_t *outlen);
 *	size_t rfc2047_word_len(const char *s, size_t len);
enum rfc2047_result rfc2047_decode_token(const char *token, size_t len, char *out, size_t outsize,
                                         size_t *outlen);
char *rfc2047_decode_text(const char *text, size_t len, size_t maxout,
 *	    const char **why);
 *	char *rfc2047_encode(const char *utf8, size_t len, size_t first_word_max);
 *
 * DESCRIPTION
 *	rfc2047_utf8_seqlen() returns the length (1-4) of the well-formed UTF-8 sequence
 *	that starts at s (no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 *
 *	rfc2047_utf8_repair() copies in to out, replacing every ill-formed byte and every
 *	NUL with U+FFFD; it returns the number of bytes the full result needs (not counting
 *	the terminating NUL), writing at most outsize - 1 of them plus a NUL.
 *
 *	rfc2047_decode_word() decodes exactly one encoded word "=?charset[*lang]?Q|B?text?="
 *	(case-insensitive) into UTF-8 in out (NUL-terminated, length in *outlen).
 *	Charsets: UTF-8, US-ASCII and ISO-8859-1 natively, everything else glibc iconv
 *	knows (ISO-8859-15, windows-1252, ISO-2022-JP, ...). The result is always valid
 *	UTF-8: ill-formed input bytes and NUL become U+FFFD. Other control characters
 *	pass through; callers that put text in a header sanitise it (mailbox.c does).
 *	RFC2047_NOT_ENCODED means "display the word as it is" (RFC 2047 section 6.2):
 *	not an encoded word, unknown charset, bad base64 or bad Q escape.
 *	RFC2047_TOO_BIG: out was too small.
 *
 *	rfc2047_word_len() returns the length of the encoded word that starts at s (its
 *	shape only: "=?" charset "?" Q|B "?" text "?="), or 0 when none starts there.
 *
 *	rfc2047_decode_token() decodes a token made only of one or more encoded words
 *	written back to back (a common encoder bug: "=?..?==?..?="); the result codes
 *	are those of rfc2047_decode_word(), RFC2047_NOT_ENCODED when any part fails.
 *
 *	rfc2047_decode_text() decodes unstructured text (a Subject, say): each
 *	whitespace-delimited token made only of encoded words is decoded, whitespace
 *	between two adjacent encoded words is dropped, everything else is copied with
 *	ill-formed UTF-8 repaired. The result (malloc'd, caller frees) is at most maxout
 *	bytes; NULL with *why set when it would be longer.
 *
 *	rfc2047_encode() encodes UTF-8 text as encoded words in charset UTF-8, separated
 *	by single spaces, so that decoding gives the text back (after repair: ill-formed
 *	bytes and NUL are encoded as U+FFFD). Q or B is chosen per text, whichever is
 *	shorter; Q uses only the characters RFC 2047 allows in a phrase, so the result can
 *	stand as a display name. Words are split at character boundaries; each is at most
 *	75 characters, the first at most first_word_max (raised to 24 when smaller), so
 *	a caller can fit it after a header name. The caller frees the result.
 *
 *	All functions are pure apart from iconv_open(3), which may read glibc's module
 *	configuration. No logging.
 */
#ifndef EDG_RFC2047_H
#define EDG_RFC2047_H

#include <stddef.h>

#define RFC2047_WORD_MAX 75 /* longest encoded word written (RFC 2047 section 2) */

enum rfc2047_result { RFC2047_OK = 0, RFC2047_NOT_ENCODED = 1, RFC2047_TOO_BIG = -1 };

size_t rfc2047_utf8_seqlen(const unsigned char *s, size_t len);
size_t rfc2047_utf8_repair(const char *in, size_t len, char *out, size_t outsize);

enum rfc2047_result rfc2047_decode_word(const char *word, size_t len, char *out, size_t outsize,
                                        size_t *outlen);
size_t rfc2047_word_len(const char *s, size_t len);
enum rfc2047_result rfc2047_decode_token(const char *token, size_t len, char *out, size_t outsize,
                                         size_t *outlen);
char *rfc2047_decode_text(const char *text, size_t len, size_t maxout, const char **why);
char *rfc2047_encode(const char *utf8, size_t len, size_t first_word_max);

#endif
