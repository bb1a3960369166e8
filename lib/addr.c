/*
 * addr.c - canonical form of mail addresses (the lookup key everywhere)
 *
 * SYNOPSIS
 *	See addr.h.
 *
 * DESCRIPTION
 *	One function, addr_canon(), turns whatever spelling of an address arrives
 *	(envelope path from Postfix or libmilter, header address taken apart by
 *	mailbox.c, OCI record, configuration value) into the single form that is looked
 *	up in Redis. Every caller uses it, so two spellings of one mailbox cannot be
 *	treated differently by policyd and the milter.
 *
 *	The work is split in three: addr_canon() strips whitespace, angle brackets and
 *	a source route and removes quoting; addr_canon_parts() writes the canonical local
 *	part; addr_canon_domain() the canonical domain.
 *
 *	Everything is bounded by ADDR_MAX and works on the caller's buffers: no
 *	allocation except inside libidn2, no I/O, no logging.
 *
 * DIAGNOSTICS
 *	ADDR_INVALID with a static English reason in *why.
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "rfc2047.h"

/* A UTF-8 domain longer than this cannot become a 255-octet A-label name. */
#define ADDR_IDN_INPUT_MAX 1024
#define ADDR_LABEL_MAX     63

static enum addr_result
addr_fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return ADDR_INVALID;
}

static int
addr_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
addr_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 5322 atext, ASCII part. */
static int
addr_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static char
addr_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void
addr_trim(const char **in, size_t *len)
{
	while (*len > 0 && addr_is_wsp((*in)[0])) {
		(*in)++;
		(*len)--;
	}
	while (*len > 0 && addr_is_wsp((*in)[*len - 1]))
		(*len)--;
}

/* 1 when text holds no control character and only well-formed UTF-8. */
static int
addr_text_ok(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n;

	while (i < len) {
		if (addr_is_control(s[i]))
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = rfc2047_utf8_seqlen(s + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* RFC 5321 Dot-string with RFC 6531 UTF-8: non-empty atoms, single dots between. */
static int
addr_is_dot_string(const char *local, size_t len)
{
	size_t i, atom_len = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)local[i];

		if (c == '.') {
			if (atom_len == 0)
				return 0;
			atom_len = 0;
		} else if (addr_is_atext(c) || c >= 0x80) {
			atom_len++;
		} else {
			return 0;
		}
	}
	return atom_len > 0;
}

/* Appends the canonical local part of raw (unquoted) text to out; returns its length. */
static size_t
addr_local_write(const char *raw, size_t len, char *out)
{
	size_t i, n = 0;
	int quote = !addr_is_dot_string(raw, len);

	if (quote)
		out[n++] = '"';
	for (i = 0; i < len; i++) {
		if (quote && (raw[i] == '"' || raw[i] == '\\'))
			out[n++] = '\\';
		out[n++] = addr_lower(raw[i]);
	}
	if (quote)
		out[n++] = '"';
	return n;
}

/* Letter, digit or hyphen. */
static int
addr_is_ldh(unsigned char c)
{
	return c == '-' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* ASCII domain name: labels of letters, digits, '-', '_'; 1-63 octets; no edge '-'. */
static int
addr_ascii_domain_ok(const char *name, size_t len)
{
	size_t i, label_len = 0;

	if (len == 0 || len > ADDR_DOMAIN_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		char c = i < len ? name[i] : '.';

		if (c == '.') {
			if (label_len == 0 || name[i - 1] == '-' || name[i - label_len] == '-')
				return 0;
			label_len = 0;
			continue;
		}
		if (!(addr_is_ldh((unsigned char)c) || c == '_'))
			return 0;
		if (++label_len > ADDR_LABEL_MAX)
			return 0;
	}
	return 1;
}

static enum addr_result
addr_ascii_domain_write(const char *name, size_t len, char *out, size_t outsize, const char **why)
{
	size_t i;

	if (!addr_ascii_domain_ok(name, len))
		return addr_fail(why, len > ADDR_DOMAIN_MAX ? "domain longer than 255 octets"
		                                            : "invalid domain name");
	if (len + 1 > outsize)
		return addr_fail(why, "address too long");
	for (i = 0; i < len; i++)
		out[i] = addr_lower(name[i]);
	out[len] = '\0';
	return ADDR_OK;
}

/* Non-ASCII name: UTS #46 non-transitional processing to A-labels, then the ASCII rules. */
static enum addr_result
addr_idn_domain_write(const char *name, size_t len, char *out, size_t outsize, const char **why)
{
	char utf8[ADDR_IDN_INPUT_MAX + 1];
	char *alabel = NULL;
	enum addr_result result;

	if (len > ADDR_IDN_INPUT_MAX)
		return addr_fail(why, "domain longer than 255 octets");
	if (!addr_text_ok(name, len))
		return addr_fail(why, "domain is not valid UTF-8");
	memcpy(utf8, name, len);
	utf8[len] = '\0';
	if (idn2_to_ascii_8z(utf8, &alabel, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
		idn2_free(alabel);
		return addr_fail(why, "invalid internationalised domain name");
	}
	result = addr_ascii_domain_write(alabel, strlen(alabel), out, outsize, why);
	idn2_free(alabel);
	return result;
}

static int
addr_is_ldh_tag(const char *tag, size_t len)
{
	size_t i;

	if (len == 0 || tag[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!addr_is_ldh((unsigned char)tag[i]))
			return 0;
	return 1;
}

/* "[tag:dcontent]" (RFC 5321 General-address-literal), written lowercased. */
static enum addr_result
addr_general_literal_write(const char *text, size_t len, char *out, size_t outsize,
                           const char **why)
{
	const char *colon = memchr(text, ':', len);
	size_t i;

	if (colon == NULL || !addr_is_ldh_tag(text, (size_t)(colon - text)) ||
	    colon + 1 == text + len)
		return addr_fail(why, "invalid address literal");
	for (i = (size_t)(colon - text) + 1; i < len; i++)
		if ((unsigned char)text[i] < 33 || (unsigned char)text[i] > 126 || text[i] == '[' ||
		    text[i] == ']' || text[i] == '\\')
			return addr_fail(why, "invalid address literal");
	if (len + 3 > outsize)
		return addr_fail(why, "address too long");
	out[0] = '[';
	for (i = 0; i < len; i++)
		out[i + 1] = addr_lower(text[i]);
	memcpy(out + len + 1, "]", 2);
	return ADDR_OK;
}

/* "[1.2.3.4]", "[IPv6:...]" or a general literal; literal is the text inside brackets. */
static enum addr_result
addr_literal_write(const char *literal, size_t len, char *out, size_t outsize, const char **why)
{
	char text[ADDR_DOMAIN_MAX + 1], ip6text[INET6_ADDRSTRLEN];
	unsigned char binary[16];

	if (len == 0 || len > ADDR_DOMAIN_MAX - 2)
		return addr_fail(why, "invalid address literal");
	memcpy(text, literal, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, binary) == 1) {
		if (len + 3 > outsize)
			return addr_fail(why, "address too long");
		memcpy(out, "[", 1);
		memcpy(out + 1, text, len);
		memcpy(out + 1 + len, "]", 2);
		return ADDR_OK;
	}
	if (len > 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, text + 5, binary) != 1 ||
		    inet_ntop(AF_INET6, binary, ip6text, sizeof(ip6text)) == NULL)
			return addr_fail(why, "invalid IPv6 address literal");
		if (strlen(ip6text) + 8 > outsize)
			return addr_fail(why, "address too long");
		memcpy(out, "[ipv6:", 6);
		memcpy(out + 6, ip6text, strlen(ip6text));
		memcpy(out + 6 + strlen(ip6text), "]", 2);
		return ADDR_OK;
	}
	return addr_general_literal_write(text, len, out, outsize, why);
}

enum addr_result
addr_canon_domain(const char *in, size_t len, char *out, size_t outsize, const char **why)
{
	size_t i;

	if (in == NULL || out == NULL || outsize == 0)
		return addr_fail(why, "no buffer");
	addr_trim(&in, &len);
	for (i = 0; i < len; i++)
		if (addr_is_control((unsigned char)in[i]))
			return addr_fail(why, "control character in domain");
	if (len > 0 && in[0] == '[') {
		if (in[len - 1] != ']')
			return addr_fail(why, "unbalanced '[' in address literal");
		return addr_literal_write(in + 1, len - 2, out, outsize, why);
	}
	if (len > 0 && in[len - 1] == '.')
		len--; /* the root label: "example.com." is "example.com" */
	if (len == 0)
		return addr_fail(why, "empty domain");
	for (i = 0; i < len; i++) {
		if ((unsigned char)in[i] >= 0x80)
			return addr_idn_domain_write(in, len, out, outsize, why);
	}
	return addr_ascii_domain_write(in, len, out, outsize, why);
}

enum addr_result
addr_canon_parts(const char *local, size_t local_len, const char *domain, size_t domain_len,
                 char *out, size_t outsize, const char **why)
{
	/* Worst case: every octet escaped, two quotes, '@', the domain and a NUL. */
	char canonical[2 * ADDR_LOCAL_MAX + 3 + ADDR_DOMAIN_MAX + 1];
	size_t local_written;
	enum addr_result result;

	if (local == NULL || domain == NULL || out == NULL || outsize == 0)
		return addr_fail(why, "no buffer");
	if (local_len == 0)
		return addr_fail(why, "empty local part");
	if (local_len > ADDR_LOCAL_MAX)
		return addr_fail(why, "local part longer than 64 octets");
	if (!addr_text_ok(local, local_len))
		return addr_fail(why, "control character or invalid UTF-8 in local part");
	local_written = addr_local_write(local, local_len, canonical);
	if (local_written > ADDR_LOCAL_MAX)
		return addr_fail(why, "local part longer than 64 octets");
	canonical[local_written] = '@';
	result = addr_canon_domain(domain, domain_len, canonical + local_written + 1,
	                           sizeof(canonical) - local_written - 1, why);
	if (result != ADDR_OK)
		return result;
	if (strlen(canonical) + 1 > outsize)
		return addr_fail(why, "address too long");
	memcpy(out, canonical, strlen(canonical) + 1);
	return ADDR_OK;
}

/*
 * Skips "@dom1,@dom2:" at the start of path; returns the offset after ':' or 0 when
 * the route is malformed. Route domains are not canonicalised: they are discarded.
 */
static size_t
addr_route_skip(const char *path, size_t len)
{
	size_t i = 0;

	for (;;) {
		if (i >= len || path[i] != '@')
			return 0;
		for (i++; i < len && path[i] != ',' && path[i] != ':'; i++)
			if (path[i] == '@' || path[i] == '"' || path[i] == '<' || path[i] == '>')
				return 0;
		if (i >= len || path[i - 1] == '@')
			return 0;
		if (path[i++] == ':')
			return i;
	}
}

/* "quoted"@...: unescapes into raw; returns offset after the closing quote, 0 if bad. */
static size_t
addr_quoted_take(const char *in, size_t len, char *raw, size_t rawsize, size_t *raw_len)
{
	size_t i;

	*raw_len = 0;
	for (i = 1; i < len && in[i] != '"'; i++) {
		if (in[i] == '\\') {
			if (++i >= len || (unsigned char)in[i] < 0x20 ||
			    (unsigned char)in[i] > 0x7e)
				return 0;
		}
		if (*raw_len >= rawsize)
			return 0;
		raw[(*raw_len)++] = in[i];
	}
	return i < len ? i + 1 : 0;
}

/* Local part up to the '@' that separates it from the domain; 0 when malformed. */
static size_t
addr_local_take(const char *in, size_t len, char *raw, size_t rawsize, size_t *raw_len,
                const char **why)
{
	size_t i;

	if (len > 0 && in[0] == '"') {
		if ((i = addr_quoted_take(in, len, raw, rawsize, raw_len)) == 0) {
			*why = *raw_len >= rawsize ? "local part longer than 64 octets"
			                           : "unbalanced quote or bad escape in local part";
			return 0;
		}
		return i;
	}
	for (i = 0; i < len && in[i] != '@'; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!(addr_is_atext(c) || c == '.' || c >= 0x80)) {
			*why = "invalid character in local part (quote it)";
			return 0;
		}
	}
	if (i > rawsize) {
		*why = "local part longer than 64 octets";
		return 0;
	}
	memcpy(raw, in, i);
	*raw_len = i;
	return i;
}

/* local-part "@" domain, no brackets, no route. */
static enum addr_result
addr_mailbox_canon(const char *in, size_t len, char *out, size_t outsize, const char **why)
{
	char raw[ADDR_LOCAL_MAX];
	size_t raw_len, end;
	const char *reason = NULL;

	if (in[0] == '@')
		return addr_fail(why, "empty local part");
	if ((end = addr_local_take(in, len, raw, sizeof(raw), &raw_len, &reason)) == 0)
		return addr_fail(why, reason);
	if (end >= len)
		return addr_fail(why, "missing '@' (no domain)");
	if (in[end] != '@')
		return addr_fail(why, "text after the quoted local part");
	if (in[end + 1 < len ? end + 1 : end] != '[' &&
	    memchr(in + end + 1, '@', len - end - 1) != NULL)
		return addr_fail(why, "more than one '@'");
	return addr_canon_parts(raw, raw_len, in + end + 1, len - end - 1, out, outsize, why);
}

enum addr_result
addr_canon(const char *in, size_t len, char *out, size_t outsize, const char **why)
{
	size_t i, route_len;

	if (in == NULL || out == NULL || outsize == 0)
		return addr_fail(why, "no buffer");
	addr_trim(&in, &len);
	for (i = 0; i < len; i++)
		if (addr_is_control((unsigned char)in[i]))
			return addr_fail(why, "control character (CR, LF, NUL, ...) in address");
	if (len > 0 && (in[0] == '<' || in[len - 1] == '>')) {
		if (len < 2 || in[0] != '<' || in[len - 1] != '>')
			return addr_fail(why, "unbalanced angle bracket");
		in++;
		len -= 2;
		addr_trim(&in, &len);
		if (len == 0) {
			out[0] = '\0';
			return ADDR_NULL;
		}
		if (in[0] == '@' &&
		    (memchr(in, ':', len) != NULL || memchr(in, ',', len) != NULL)) {
			if ((route_len = addr_route_skip(in, len)) == 0)
				return addr_fail(why, "malformed source route");
			in += route_len;
			len -= route_len;
		}
	}
	if (len == 0)
		return addr_fail(why, "empty address");
	return addr_mailbox_canon(in, len, out, outsize, why);
}

int
addr_is_domain_pattern(const char *in, size_t len)
{
	if (in == NULL)
		return 0;
	addr_trim(&in, &len);
	return len > 1 && in[0] == '@' && memchr(in + 1, '@', len - 1) == NULL;
}

enum addr_result
addr_canon_pattern(const char *in, size_t len, char *out, size_t outsize, const char **why)
{
	if (!addr_is_domain_pattern(in, len))
		return addr_canon(in, len, out, outsize, why);
	if (outsize < 2)
		return addr_fail(why, "address too long");
	addr_trim(&in, &len);
	out[0] = '@';
	return addr_canon_domain(in + 1, len - 1, out + 1, outsize - 1, why);
}

const char *
addr_domain(const char *canon)
{
	const char *at;

	if (canon == NULL || (at = strrchr(canon, '@')) == NULL || at[1] == '\0')
		return NULL;
	return at + 1;
}
