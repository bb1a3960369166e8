/*
 * mailbox.c - From:-style header values: parse into (display name, address)
 *
 * SYNOPSIS
 *	See mailbox.h.
 *
 * DESCRIPTION
 *	The parser is a tokenizer and a small recursive-descent grammar over it. The
 *	tokenizer turns the value into atoms, quoted strings, domain literals and the
 *	specials < > @ , ; : . while it skips folding whitespace and comments; comments
 *	are skipped with a depth counter, so nesting costs no stack. Quoted-string and
 *	literal contents are unescaped into one scratch buffer sized by the input,
 *	allocated once, so tokens can point into it.
 *
 *	Each address is read the same way: collect the tokens up to '<', ':', ',', ';'
 *	or the end, then decide from that delimiter what they were: a display name
 *	(then an angle address follows), a group name, or an addr-spec. The grammar has
 *	two levels (address list, group), so recursion depth is fixed.
 *
 *	Display names keep what a reader would see: words joined by single spaces,
 *	encoded words decoded (whitespace between two of them dropped), then
 *	mailbox_sanitize_name(). Addresses go to addr_canon_parts() in pieces, so
 *	quoting and escapes in the header never reach the canonical form.
 *
 *	The builder, the reverse, is mailbox_format.c; mailbox_is_atext() is the one
 *	piece the two share.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "mailbox.h"
#include "rfc2047.h"
#include "xalloc.h"

#define MAILBOX_DOMAIN_INPUT_MAX 1024 /* as addr.c: a longer UTF-8 domain cannot fit */

enum mailbox_token_type {
	MAILBOX_TOK_END,
	MAILBOX_TOK_ATOM,
	MAILBOX_TOK_QUOTED,
	MAILBOX_TOK_LITERAL,
	MAILBOX_TOK_SPECIAL,
};

struct mailbox_token {
	enum mailbox_token_type type;
	char special;     /* MAILBOX_TOK_SPECIAL: one of < > @ , ; : . */
	const char *text; /* atom: in the value; quoted, literal: unescaped, in the scratch */
	size_t len;
	int space_before; /* folding whitespace or a comment came before it */
};

struct mailbox_parser {
	const char *value;
	size_t len, pos;
	char *scratch; /* sized len + 1, never reallocated: tokens point into it */
	size_t scratch_len;
	struct mailbox_token *items; /* the tokens of the address being read */
	size_t item_count, item_cap;
	struct mailbox_list *out;
	int seen_address; /* a mailbox or a group, so the value was not empty */
	const char *why;
};

static int
mailbox_fail(struct mailbox_parser *parser, const char *why)
{
	parser->why = why;
	return -1;
}

int
mailbox_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
mailbox_is_special(const struct mailbox_token *token, char special)
{
	return token->type == MAILBOX_TOK_SPECIAL && token->special == special;
}

/*
 * Length of the line break at pos when it is a fold (CRLF or LF before a space or
 * tab, or ending the value), 0 when it is a bare CR or LF.
 */
static size_t
mailbox_fold_len(const struct mailbox_parser *parser, size_t pos)
{
	const char *v = parser->value;
	size_t n = 0;

	if (v[pos] == '\r' && pos + 1 < parser->len && v[pos + 1] == '\n')
		n = 2;
	else if (v[pos] == '\n')
		n = 1;
	if (n == 0)
		return 0;
	if (pos + n == parser->len || v[pos + n] == ' ' || v[pos + n] == '\t')
		return n;
	return 0;
}

/* Checks the pair "\c" at pos: c must exist and be neither a line break nor NUL. */
static int
mailbox_escape_ok(const struct mailbox_parser *parser, size_t pos)
{
	char c;

	if (pos + 1 >= parser->len)
		return 0;
	c = parser->value[pos + 1];
	return c != '\r' && c != '\n' && c != '\0';
}

/* A comment, nested to any depth: counted, not recursed. */
static int
mailbox_skip_comment(struct mailbox_parser *parser)
{
	size_t depth = 0, fold;
	char c;

	while (parser->pos < parser->len) {
		c = parser->value[parser->pos];
		if (c == '\\') {
			if (!mailbox_escape_ok(parser, parser->pos))
				return mailbox_fail(parser, "bad backslash escape in comment");
			parser->pos += 2;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if ((fold = mailbox_fold_len(parser, parser->pos)) == 0)
				return mailbox_fail(parser, "bare CR or LF in header value");
			parser->pos += fold;
			continue;
		}
		if (c == '\0')
			return mailbox_fail(parser, "NUL in header value");
		parser->pos++;
		if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return 0;
	}
	return mailbox_fail(parser, "unbalanced '(': comment not closed");
}

/* Folding whitespace and comments; *skipped tells whether there were any. */
static int
mailbox_skip_cfws(struct mailbox_parser *parser, int *skipped)
{
	size_t fold;
	char c;

	*skipped = 0;
	while (parser->pos < parser->len) {
		c = parser->value[parser->pos];
		if (c == ' ' || c == '\t') {
			parser->pos++;
		} else if (c == '\r' || c == '\n') {
			if ((fold = mailbox_fold_len(parser, parser->pos)) == 0)
				return mailbox_fail(parser, "bare CR or LF in header value");
			parser->pos += fold;
		} else if (c == '(') {
			if (mailbox_skip_comment(parser) != 0)
				return -1;
		} else {
			break;
		}
		*skipped = 1;
	}
	return 0;
}

/*
 * Quoted string or domain literal at pos, content unescaped into the scratch.
 * In a quoted string folds vanish and the whitespace after them stays; in a
 * literal all whitespace is folding whitespace and vanishes.
 */
static int
mailbox_delimited(struct mailbox_parser *parser, struct mailbox_token *token, char close,
                  const char *unbalanced)
{
	size_t fold;
	char c;

	token->text = parser->scratch + parser->scratch_len;
	for (parser->pos++; parser->pos < parser->len; parser->pos++) {
		c = parser->value[parser->pos];
		if (c == close) {
			parser->pos++;
			token->len = (size_t)(parser->scratch + parser->scratch_len - token->text);
			return 0;
		}
		if (c == '\\') {
			if (!mailbox_escape_ok(parser, parser->pos))
				return mailbox_fail(parser, "bad backslash escape");
			c = parser->value[++parser->pos];
		} else if (c == '\r' || c == '\n') {
			if ((fold = mailbox_fold_len(parser, parser->pos)) == 0)
				return mailbox_fail(parser, "bare CR or LF in header value");
			parser->pos += fold - 1;
			continue;
		} else if (c == '\0') {
			return mailbox_fail(parser, "NUL in header value");
		} else if (close == ']' && (c == '[' || c == ' ' || c == '\t')) {
			if (c == '[')
				return mailbox_fail(parser, "'[' inside a domain literal");
			continue;
		}
		parser->scratch[parser->scratch_len++] = c;
	}
	return mailbox_fail(parser, unbalanced);
}

/*
 * Encoded words written back to back and followed by a delimiter form one atom,
 * even with '.' inside (a common encoder bug that would otherwise split them).
 */
static size_t
mailbox_encoded_span(const struct mailbox_parser *parser)
{
	const char *start = parser->value + parser->pos;
	size_t i, word_len, span = 0, left = parser->len - parser->pos;

	while ((word_len = rfc2047_word_len(start + span, left - span)) > 0)
		span += word_len;
	if (span == 0 || (span < left && (mailbox_is_atext((unsigned char)start[span]) ||
	                                  (unsigned char)start[span] >= 0x80)))
		return 0;
	for (i = 0; i < span; i++)
		if (!mailbox_is_atext((unsigned char)start[i]) && start[i] != '.')
			return 0;
	return span;
}

static int
mailbox_atom(struct mailbox_parser *parser, struct mailbox_token *token)
{
	size_t start = parser->pos, span = mailbox_encoded_span(parser);
	unsigned char c;

	if (span > 0) {
		parser->pos += span;
	} else {
		while (
		    parser->pos < parser->len &&
		    (mailbox_is_atext(c = (unsigned char)parser->value[parser->pos]) || c >= 0x80))
			parser->pos++;
	}
	if (parser->pos == start)
		return mailbox_fail(parser, parser->value[start] == '\0'
		                                ? "NUL in header value"
		                                : "unexpected character in header value");
	token->type = MAILBOX_TOK_ATOM;
	token->text = parser->value + start;
	token->len = parser->pos - start;
	return 0;
}

static int
mailbox_next(struct mailbox_parser *parser, struct mailbox_token *token)
{
	char c;

	memset(token, 0, sizeof(*token));
	if (mailbox_skip_cfws(parser, &token->space_before) != 0)
		return -1;
	if (parser->pos >= parser->len) {
		token->type = MAILBOX_TOK_END;
		return 0;
	}
	c = parser->value[parser->pos];
	if (c == '"') {
		token->type = MAILBOX_TOK_QUOTED;
		return mailbox_delimited(parser, token, '"', "unbalanced '\"': quote not closed");
	}
	if (c == '[') {
		token->type = MAILBOX_TOK_LITERAL;
		return mailbox_delimited(parser, token, ']', "unbalanced '[': literal not closed");
	}
	if (c != '\0' && strchr("<>@,;:.", c) != NULL) {
		token->type = MAILBOX_TOK_SPECIAL;
		token->special = c;
		parser->pos++;
		return 0;
	}
	if (c == ')' || c == ']')
		return mailbox_fail(parser, c == ')' ? "unbalanced ')'" : "unbalanced ']'");
	return mailbox_atom(parser, token);
}

/* Collects words, dots and '@'s until another token; that one goes to *delimiter. */
static int
mailbox_collect(struct mailbox_parser *parser, struct mailbox_token *delimiter)
{
	struct mailbox_token token;

	parser->item_count = 0;
	for (;;) {
		if (mailbox_next(parser, &token) != 0)
			return -1;
		if (token.type == MAILBOX_TOK_END ||
		    (token.type == MAILBOX_TOK_SPECIAL && token.special != '.' &&
		     token.special != '@')) {
			*delimiter = token;
			return 0;
		}
		if (parser->item_count == parser->item_cap) {
			parser->item_cap = parser->item_cap ? 2 * parser->item_cap : 16;
			parser->items =
			    xrealloc(parser->items, parser->item_cap * sizeof(parser->items[0]));
		}
		parser->items[parser->item_count++] = token;
	}
}

/* Why item cannot come next in a local part or domain, or NULL when it can. */
static const char *
mailbox_piece_refusal(const struct mailbox_token *item, int after_word, int is_domain,
                      size_t pieces)
{
	if (item->type == MAILBOX_TOK_SPECIAL)
		return NULL;
	if (after_word)
		return "space inside an address";
	if (is_domain && item->type == MAILBOX_TOK_QUOTED)
		return "quoted string in a domain";
	if (item->type == MAILBOX_TOK_LITERAL && !is_domain)
		return "domain literal in a local part";
	if (item->type == MAILBOX_TOK_LITERAL && pieces != 1)
		return "domain literal mixed with a domain name";
	return NULL;
}

/*
 * Joins the words and dots of a local part or domain into buf. Words must be
 * separated by dots (obs-local-part allows CFWS around the dots, not instead of
 * them); a domain literal must stand alone; quoted strings only in a local part.
 */
static int
mailbox_join(struct mailbox_parser *parser, size_t from, size_t to, int is_domain, char *buf,
             size_t bufsize, size_t *len)
{
	const struct mailbox_token *item;
	const char *refusal;
	size_t i;
	int after_word = 0;

	*len = 0;
	for (i = from; i < to; i++) {
		item = &parser->items[i];
		if ((refusal = mailbox_piece_refusal(item, after_word, is_domain, to - from)) !=
		    NULL)
			return mailbox_fail(parser, refusal);
		if (*len + item->len + 2 >= bufsize) /* room for '.' or the brackets */
			return mailbox_fail(parser, is_domain ? "domain longer than 255 octets"
			                                      : "local part longer than 64 octets");
		after_word = item->type != MAILBOX_TOK_SPECIAL;
		if (!after_word) {
			buf[(*len)++] = '.'; /* the only special left: '@' split the address */
			continue;
		}
		if (item->type == MAILBOX_TOK_LITERAL)
			buf[(*len)++] = '[';
		memcpy(buf + *len, item->text, item->len);
		*len += item->len;
		if (item->type == MAILBOX_TOK_LITERAL)
			buf[(*len)++] = ']';
	}
	return 0;
}

/* The collected items as local-part '@' domain, canonicalised into canonical. */
static int
mailbox_addr_spec(struct mailbox_parser *parser, char *canonical)
{
	char local[ADDR_LOCAL_MAX + 1], domain[MAILBOX_DOMAIN_INPUT_MAX + 3];
	size_t i, at = parser->item_count, local_len, domain_len;
	const char *why = NULL;

	for (i = 0; i < parser->item_count; i++) {
		if (!mailbox_is_special(&parser->items[i], '@'))
			continue;
		if (at != parser->item_count)
			return mailbox_fail(parser, "more than one '@' in an address");
		at = i;
	}
	if (at == parser->item_count)
		return mailbox_fail(parser, "address without '@' (no domain)");
	if (mailbox_join(parser, 0, at, 0, local, sizeof(local), &local_len) != 0 ||
	    mailbox_join(parser, at + 1, parser->item_count, 1, domain, sizeof(domain),
	                 &domain_len) != 0)
		return -1;
	if (addr_canon_parts(local, local_len, domain, domain_len, canonical, ADDR_MAX, &why) !=
	    ADDR_OK)
		return mailbox_fail(parser, why);
	return 0;
}

/* Appends one item of a display name to buf; returns 1 when it was encoded words. */
static int
mailbox_name_piece(const struct mailbox_token *item, char *buf, size_t *len, size_t cap)
{
	size_t decoded_len, repaired;

	if (item->type == MAILBOX_TOK_SPECIAL) {
		buf[(*len)++] = item->special;
		return 0;
	}
	if (item->type == MAILBOX_TOK_ATOM &&
	    rfc2047_decode_token(item->text, item->len, buf + *len, cap - *len, &decoded_len) ==
	        RFC2047_OK) {
		*len += decoded_len;
		return 1;
	}
	if (item->type == MAILBOX_TOK_LITERAL)
		buf[(*len)++] = '[';
	repaired = rfc2047_utf8_repair(item->text, item->len, buf + *len, cap - *len);
	*len += repaired < cap - *len ? repaired : cap - *len - 1; /* cannot happen: cap */
	if (item->type == MAILBOX_TOK_LITERAL)
		buf[(*len)++] = ']';
	return 0;
}

/*
 * The collected items as a display name. Capacity: a decoded or repaired byte
 * takes at most three, plus a space and two brackets per item.
 */
static char *
mailbox_render_name(const struct mailbox_parser *parser)
{
	size_t i, len = 0, cap = 16, word_start;
	int space, encoded, previous_encoded = 0;
	char *buf, *name;

	for (i = 0; i < parser->item_count; i++)
		cap += 3 * parser->items[i].len + 3;
	buf = xmalloc(cap + 1);
	for (i = 0; i < parser->item_count; i++) {
		space = i > 0 && parser->items[i].space_before;
		word_start = len;
		if (space)
			buf[len++] = ' ';
		encoded = mailbox_name_piece(&parser->items[i], buf, &len, cap);
		if (encoded && previous_encoded && space) {
			memmove(buf + word_start, buf + word_start + 1, len - word_start - 1);
			len--;
		}
		previous_encoded = encoded;
	}
	name = mailbox_sanitize_name(buf, len);
	free(buf);
	return name;
}

static int
mailbox_push(struct mailbox_parser *parser, char *display, const char *canonical)
{
	struct mailbox_list *list = parser->out;

	if (list->count >= MAILBOX_LIST_MAX) {
		free(display);
		return mailbox_fail(parser, "more than 100 mailboxes in one header");
	}
	list->items = xrealloc(list->items, (list->count + 1) * sizeof(list->items[0]));
	list->items[list->count].display = display;
	memcpy(list->items[list->count].address, canonical, strlen(canonical) + 1);
	list->count++;
	parser->seen_address = 1;
	return 0;
}

/* Ends an address: the next token must be ',', ';' (in a group) or the end. */
static int
mailbox_after_address(struct mailbox_parser *parser, int in_group)
{
	struct mailbox_token token;

	if (mailbox_next(parser, &token) != 0)
		return -1;
	if (token.type == MAILBOX_TOK_END)
		return 0;
	if (mailbox_is_special(&token, ',') || (in_group && mailbox_is_special(&token, ';')))
		return token.special;
	return mailbox_fail(parser, "unexpected text after an address");
}

/* After '<': [obs-route] addr-spec '>'. */
static int
mailbox_angle(struct mailbox_parser *parser, char *canonical)
{
	struct mailbox_token delimiter;

	if (mailbox_collect(parser, &delimiter) != 0)
		return -1;
	while (parser->item_count > 0 && mailbox_is_special(&parser->items[0], '@') &&
	       (mailbox_is_special(&delimiter, ',') || mailbox_is_special(&delimiter, ':'))) {
		int route_done = delimiter.special == ':';

		if (mailbox_collect(parser, &delimiter) != 0)
			return -1;
		if (route_done)
			break;
	}
	if (!mailbox_is_special(&delimiter, '>'))
		return mailbox_fail(parser, "unbalanced '<': angle address not closed");
	if (parser->item_count == 0)
		return mailbox_fail(parser, "empty address <> in a header");
	return mailbox_addr_spec(parser, canonical);
}

/* display-name angle-addr; the display name's tokens are the collected items. */
static int
mailbox_name_addr(struct mailbox_parser *parser, int in_group)
{
	char canonical[ADDR_MAX];
	char *display = mailbox_render_name(parser);

	if (mailbox_angle(parser, canonical) != 0) {
		free(display);
		return -1;
	}
	if (mailbox_push(parser, display, canonical) != 0) /* frees display on failure */
		return -1;
	return mailbox_after_address(parser, in_group);
}

static int mailbox_address(struct mailbox_parser *parser, int in_group);

/* After "name:": mailboxes up to ';', then ',' or the end. */
static int
mailbox_group(struct mailbox_parser *parser)
{
	int delimiter;

	parser->seen_address = 1;
	do {
		if ((delimiter = mailbox_address(parser, 1)) < 0)
			return -1;
		if (delimiter == 0)
			return mailbox_fail(parser, "group not closed by ';'");
	} while (delimiter != ';');
	return mailbox_after_address(parser, 0);
}

/* One address (mailbox or group); returns the delimiter after it (',', ';', 0) or -1. */
static int
mailbox_address(struct mailbox_parser *parser, int in_group)
{
	struct mailbox_token delimiter;
	char canonical[ADDR_MAX];
	int end;

	if (mailbox_collect(parser, &delimiter) != 0)
		return -1;
	if (mailbox_is_special(&delimiter, '<'))
		return mailbox_name_addr(parser, in_group);
	if (mailbox_is_special(&delimiter, ':')) {
		if (in_group)
			return mailbox_fail(parser, "group inside a group");
		if (parser->item_count == 0)
			return mailbox_fail(parser, "group without a name");
		return mailbox_group(parser);
	}
	if (mailbox_is_special(&delimiter, '>'))
		return mailbox_fail(parser, "unbalanced '>'");
	end = delimiter.type == MAILBOX_TOK_END ? 0 : delimiter.special;
	if (end == ';' && !in_group)
		return mailbox_fail(parser, "';' outside a group");
	if (parser->item_count == 0)
		return end; /* empty list element, as in "a@b,,c@d" */
	if (mailbox_addr_spec(parser, canonical) != 0 ||
	    mailbox_push(parser, xstrdup(""), canonical) != 0)
		return -1;
	return end;
}

int
mailbox_parse_list(const char *value, size_t len, struct mailbox_list *out, const char **why)
{
	struct mailbox_parser parser;
	int delimiter;

	if (out == NULL)
		return -1;
	out->items = NULL;
	out->count = 0;
	memset(&parser, 0, sizeof(parser));
	if (value == NULL || len > MAILBOX_VALUE_MAX) {
		if (why != NULL)
			*why = value == NULL ? "no header value"
			                     : "header value longer than 65536 octets";
		return -1;
	}
	parser.value = value;
	parser.len = len;
	parser.scratch = xmalloc(len + 1);
	parser.out = out;
	while ((delimiter = mailbox_address(&parser, 0)) > 0)
		;
	if (delimiter == 0 && !parser.seen_address)
		delimiter = mailbox_fail(&parser, "no address in header value");
	free(parser.scratch);
	free(parser.items);
	if (delimiter < 0) {
		mailbox_list_free(out);
		if (why != NULL)
			*why = parser.why;
		return -1;
	}
	return 0;
}

void
mailbox_list_free(struct mailbox_list *list)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < list->count; i++)
		free(list->items[i].display);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}
