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

/* 1 when in (leading whitespace skipped) starts with '@' and contains no other '@'. */
int addr_is_domain_pattern(const char *in, size_t len);

/* Domain part of a canonical address or pattern, or NULL. */
const char *addr_domain(const char *canon);

#endif
