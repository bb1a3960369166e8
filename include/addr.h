/*
 * addr.h - canonical form of mail addresses (the lookup key everywhere)
 *
 * SYNOPSIS
 *	#include "addr.h"
 *
 *	enum addr_result addr_canon(const char *in, size_t len, char *out,
 *	    size_t outsize, const char **why);
 *	enum addr_result addr_canon_pattern(const char *in, size_t len, char *out,
 *	    size_t outsize, const char **why);
 *	enum addr_result addr_canon_parts(const char *local, size_t local_len,
 *	    const char *domain, size_t domain_len, char *out, size_t outsize,
 *	    const char **why);
 *	enum addr_result addr_canon_domain(const char *in, size_t len, char *out,
 *	    size_t outsize, const char **why);
 *	int addr_is_domain_pattern(const char *in, size_t len);
 *	const char *addr_domain(const char *canon);
 *
 * DESCRIPTION
 *	addr_canon() reduces an envelope path or a bare address to the canonical form
 *	defined in SPEC.md: angle brackets and source routes removed, quoted local parts
 *	unquoted where RFC 5321 allows a dot-atom, ASCII letters lowercased, IDN domains
 *	in A-label form, a trailing dot on the domain removed, +tags kept.
 *
 *	addr_canon_pattern() also accepts an approved-sender domain pattern "@domain"
 *	and canonicalises it to "@" followed by the canonical domain.
 *
 *	Quoted local parts: the canonical local part is the unquoted text when that is an
 *	RFC 5321 Dot-string (atoms of atext or UTF-8, single dots between them), otherwise
 *	the text quoted with only '"' and '\' escaped. Unquoted local parts with empty
 *	atoms ("a..b", ".a", "a."), which Postfix accepts, are canonicalised to the quoted
 *	form just as Postfix's SMTP client sends them ("a..b"@x), so both spellings
 *	give one key. The 64-octet limit applies to the canonical local part.
 *
 *	Domains: ASCII names are lowercased and checked (labels of letters, digits, '-'
 *	and '_', 1-63 octets, no '-' at either end); names with non-ASCII characters go
 *	through libidn2 (UTS #46 non-transitional, NFC) to A-labels. Address literals:
 *	"[1.2.3.4]", "[IPv6:...]" (rewritten in inet_ntop's compressed form, so
 *	"[IPv6:0::1]" gives "[ipv6:::1]") and RFC 5321 general literals "[tag:text]".
 *	Source routes ("<@a,@b:user@dom>") are accepted inside angle brackets and dropped.
 *
 *	addr_canon_parts() is the common back end for callers that have already taken
 *	an address apart (the From: header parser): local is the local part's text with
 *	quotes and backslash escapes already removed, domain a domain name or literal.
 *
 *	addr_canon_domain() canonicalises a domain alone (name or literal).
 *
 *	addr_is_domain_pattern() tells whether in (after surrounding whitespace) starts
 *	with '@' and so is meant as a domain pattern rather than an address.
 *
 *	addr_domain() returns a pointer to the domain part (after the last '@') of a
 *	canonical address or pattern, or NULL when there is none.
 *
 *	All functions are pure: bytes in, result out, no I/O, no logging.
 *
 * DIAGNOSTICS
 *	ADDR_INVALID with *why (when why != NULL) pointing to a static English reason.
 */
#ifndef EDG_ADDR_H
#define EDG_ADDR_H

#include <stddef.h>

#define ADDR_MAX        512 /* canonical form buffer size, NUL included */
#define ADDR_LOCAL_MAX  64  /* RFC 5321 4.5.3.1.1, octets */
#define ADDR_DOMAIN_MAX 255 /* RFC 5321 4.5.3.1.2, octets */

enum addr_result { ADDR_OK = 0, ADDR_NULL = 1, ADDR_INVALID = -1 };

/* Canonicalise an envelope path or bare address: in/len need not be NUL-terminated.
 * ADDR_OK: out holds the canonical form. ADDR_NULL: "<>" (null sender), out = "".
 * ADDR_INVALID: *why (if why != NULL) points to a static English reason. */
enum addr_result addr_canon(const char *in, size_t len, char *out, size_t outsize,
                            const char **why);

/* As addr_canon(), but "@domain" is accepted too and gives "@canonical.domain". */
enum addr_result addr_canon_pattern(const char *in, size_t len, char *out, size_t outsize,
                                    const char **why);

/* local: unquoted, unescaped local-part text; domain: name or "[literal]". */
enum addr_result addr_canon_parts(const char *local, size_t local_len, const char *domain,
                                  size_t domain_len, char *out, size_t outsize, const char **why);

/* A domain name or address literal alone (surrounding whitespace allowed). */
enum addr_result addr_canon_domain(const char *in, size_t len, char *out, size_t outsize,
                                   const char **why);

/* 1 when in (leading whitespace skipped) starts with '@' and contains no other '@'. */
int addr_is_domain_pattern(const char *in, size_t len);

/* Domain part of a canonical address or pattern, or NULL. */
const char *addr_domain(const char *canon);

#endif
