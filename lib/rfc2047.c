/*
 * rfc2047.c - MIME encoded words (RFC 2047) and UTF-8 checking
 *
 * SYNOPSIS
 *	See rfc2047.h.
 *
 * DESCRIPTION
 *	Decoding follows RFC 2047 with the leniency real mail needs: encoded words
 *	longer than 75 characters, missing base64 padding and back-to-back encoded
 *	words without whitespace are accepted. An encoded word that cannot be decoded
 *	(unknown charset, bad base64 or Q escape) is shown as it is, as section 6.2
 *	allows, rather than failing the whole header.
 *
 *	Charsets are an allow-list of those seen in mail, not "whatever iconv can
 *	open": a peer picks the charset, and some of glibc's converters (EBCDIC
 *	stateful ones, say) have had bugs on invalid input. UTF-8, US-ASCII and
 *	ISO-8859-1 are decoded here; the rest through iconv(3).
 *
 *	Every output is well-formed UTF-8 without NUL: ill-formed sequences and NUL
 *	become U+FFFD, one per offending byte.
 *
 *	Ownership: rfc2047_decode_text() and rfc2047_encode() return malloc'd strings
 *	that the caller frees; the other functions write into the caller's buffer.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rfc2047.h"
#include "xalloc.h"

#define RFC2047_CHARSET_MAX 64
#define RFC2047_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* A bounded output buffer: appends fail once cap would be exceeded. */
struct rfc2047_buf {
	char *data;
	size_t len, cap;
};

struct rfc2047_word {
	char charset[RFC2047_CHARSET_MAX + 1]; /* lowercased, language suffix removed */
	char encoding;                         /* 'q' or 'b' */
	const char *text;
	size_t text_len;
};

size_t
rfc2047_utf8_seqlen(const unsigned char *s, size_t len)
{
	size_t need, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	need = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f; /* UTF-16 surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (len < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

size_t
rfc2047_utf8_repair(const char *in, size_t len, char *out, size_t outsize)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n, need = 0;
	const char *piece;

	while (i < len) {
		n = rfc2047_utf8_seqlen(s + i, len - i);
		if (n == 0 || s[i] == '\0') {
			piece = RFC2047_REPLACEMENT;
			n = 3;
			i++;
		} else {
			piece = in + i;
			i += n;
		}
		if (out != NULL && need + n < outsize)
			memcpy(out + need, piece, n);
		need += n;
	}
	if (out != NULL && outsize > 0)
		out[need < outsize ? need : outsize - 1] = '\0';
	return need;
}

static int
rfc2047_is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/* Length of the encoded word starting at s ("=?cs?e?text?="), 0 when there is none. */
size_t
rfc2047_word_len(const char *s, size_t len)
{
	const char *q1, *end;

	if (len < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	if ((q1 = memchr(s + 2, '?', len - 2)) == NULL || q1 == s + 2)
		return 0;
	if ((size_t)(q1 - s) + 3 > len || q1[2] != '?' || strchr("QqBb", q1[1]) == NULL ||
	    q1[1] == '\0')
		return 0;
	end = memchr(q1 + 3, '?', len - (size_t)(q1 + 3 - s));
	if (end == NULL || end + 1 >= s + len || end[1] != '=')
		return 0;
	return (size_t)(end + 2 - s);
}

/* Takes apart a word already delimited by rfc2047_word_len(); 0 on success. */
static int
rfc2047_word_split(const char *s, size_t len, struct rfc2047_word *word)
{
	const char *q1 = memchr(s + 2, '?', len - 2);
	size_t i, charset_len = (size_t)(q1 - (s + 2));
	const char *star = memchr(s + 2, '*', charset_len);

	if (star != NULL)
		charset_len = (size_t)(star - (s + 2)); /* RFC 2231 language: ignored */
	if (charset_len == 0 || charset_len > RFC2047_CHARSET_MAX)
		return -1;
	for (i = 0; i < (size_t)(q1 - (s + 2)); i++)
		if (!rfc2047_is_token_char((unsigned char)s[2 + i]) && s[2 + i] != '.')
			return -1;
	for (i = 0; i < charset_len; i++)
		word->charset[i] = (char)(s[2 + i] | ((s[2 + i] >= 'A' && s[2 + i] <= 'Z') << 5));
	word->charset[charset_len] = '\0';
	word->encoding = (char)(q1[1] | 0x20);
	word->text = q1 + 3;
	word->text_len = len - (size_t)(q1 + 3 - s) - 2;
	for (i = 0; i < word->text_len; i++)
		if ((unsigned char)word->text[i] <= 0x20 || (unsigned char)word->text[i] >= 0x7f)
			return -1;
	return 0;
}

static int
rfc2047_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Q: '_' is a space, "=XX" a byte. Returns the decoded length or -1. */
static long
rfc2047_q_decode(const char *text, size_t len, unsigned char *out)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (text[i] == '_') {
			out[n++] = ' ';
		} else if (text[i] == '=') {
			if (i + 2 >= len || (hi = rfc2047_hex((unsigned char)text[i + 1])) < 0 ||
			    (lo = rfc2047_hex((unsigned char)text[i + 2])) < 0)
				return -1;
			out[n++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = (unsigned char)text[i];
		}
	}
	return (long)n;
}

static int
rfc2047_b64_value(unsigned char c)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

/* B: standard base64, padding optional. Returns the decoded length or -1. */
static long
rfc2047_b_decode(const char *text, size_t len, unsigned char *out)
{
	size_t i, n = 0, pad = 0, quantum = 0;
	unsigned long bits = 0;
	int value;

	while (len > 0 && text[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((value = rfc2047_b64_value((unsigned char)text[i])) < 0)
			return -1;
		bits = bits << 6 | (unsigned long)value;
		if (++quantum == 4) {
			out[n++] = (unsigned char)(bits >> 16);
			out[n++] = (unsigned char)(bits >> 8);
			out[n++] = (unsigned char)bits;
			bits = 0;
			quantum = 0;
		}
	}
	if (quantum >= 2)
		out[n++] = (unsigned char)(bits >> (quantum == 2 ? 4 : 10));
	if (quantum == 3)
		out[n++] = (unsigned char)(bits >> 2);
	return (long)n;
}

/* Mail charset name to the iconv name, or NULL when not on the allow-list. */
static const char *
rfc2047_iconv_name(const char *charset)
{
	static const char *const allowed[][2] = {
	    {"iso-8859-15", "ISO-8859-15"}, {"latin-9", "ISO-8859-15"},
	    {"iso-8859-2", "ISO-8859-2"},   {"iso-8859-3", "ISO-8859-3"},
	    {"iso-8859-4", "ISO-8859-4"},   {"iso-8859-5", "ISO-8859-5"},
	    {"iso-8859-6", "ISO-8859-6"},   {"iso-8859-7", "ISO-8859-7"},
	    {"iso-8859-8", "ISO-8859-8"},   {"iso-8859-8-i", "ISO-8859-8"},
	    {"iso-8859-9", "ISO-8859-9"},   {"iso-8859-10", "ISO-8859-10"},
	    {"iso-8859-13", "ISO-8859-13"}, {"iso-8859-14", "ISO-8859-14"},
	    {"iso-8859-16", "ISO-8859-16"}, {"windows-1250", "CP1250"},
	    {"windows-1251", "CP1251"},     {"windows-1252", "CP1252"},
	    {"cp1252", "CP1252"},           {"windows-1253", "CP1253"},
	    {"windows-1254", "CP1254"},     {"windows-1255", "CP1255"},
	    {"windows-1256", "CP1256"},     {"windows-1257", "CP1257"},
	    {"windows-1258", "CP1258"},     {"koi8-r", "KOI8-R"},
	    {"koi8-u", "KOI8-U"},           {"iso-2022-jp", "ISO-2022-JP"},
	    {"shift_jis", "SHIFT_JIS"},     {"euc-jp", "EUC-JP"},
	    {"euc-kr", "EUC-KR"},           {"ks_c_5601-1987", "CP949"},
	    {"gb2312", "GB2312"},           {"gbk", "GBK"},
	    {"gb18030", "GB18030"},         {"big5", "BIG5"},
	    {"big5-hkscs", "BIG5-HKSCS"},   {"tis-620", "TIS-620"},
	    {"utf-16", "UTF-16"},           {"utf-7", "UTF-7"},
	};
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(charset, allowed[i][0]) == 0)
			return allowed[i][1];
	return NULL;
}

/* ISO-8859-1 bytes are the first 256 code points; US-ASCII has no 8-bit bytes at all. */
static size_t
rfc2047_8bit_to_utf8(const unsigned char *in, size_t len, int latin1, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == 0 || (in[i] >= 0x80 && !latin1)) {
			memcpy(out + n, RFC2047_REPLACEMENT, 3);
			n += 3;
		} else if (in[i] < 0x80) {
			out[n++] = (char)in[i];
		} else {
			out[n++] = (char)(0xc0 | in[i] >> 6);
			out[n++] = (char)(0x80 | (in[i] & 0x3f));
		}
	}
	out[n] = '\0';
	return n;
}

/* Converts with iconv into scratch (size cap); returns the length or -1 (too big). */
static long
rfc2047_iconv(iconv_t cd, const unsigned char *in, size_t len, char *scratch, size_t cap)
{
	char *inp = (char *)(uintptr_t)in, *outp = scratch;
	size_t inleft = len, outleft = cap;

	while (inleft > 0) {
		if (iconv(cd, &inp, &inleft, &outp, &outleft) != (size_t)-1)
			break; /* all input converted */
		if (errno == E2BIG || outleft < 3)
			return -1;
		memcpy(outp, RFC2047_REPLACEMENT, 3); /* EILSEQ or EINVAL: skip one byte */
		outp += 3;
		outleft -= 3;
		inp++;
		inleft--;
	}
	if (iconv(cd, NULL, NULL, &outp, &outleft) == (size_t)-1)
		return -1;
	return (long)(outp - scratch);
}

/* Charset bytes to UTF-8 in out; RFC2047_NOT_ENCODED for a charset not allowed. */
static enum rfc2047_result
rfc2047_to_utf8(const char *charset, const unsigned char *in, size_t len, char *out, size_t outsize,
                size_t *outlen)
{
	const char *iconv_name;
	iconv_t cd;
	char *scratch;
	long converted;
	size_t scratch_size;
	int latin1 = strcmp(charset, "iso-8859-1") == 0 || strcmp(charset, "latin1") == 0;

	if (strcmp(charset, "utf-8") == 0 || strcmp(charset, "utf8") == 0) {
		*outlen = rfc2047_utf8_repair((const char *)in, len, out, outsize);
		return *outlen < outsize ? RFC2047_OK : RFC2047_TOO_BIG;
	}
	if (latin1 || strcmp(charset, "us-ascii") == 0 || strcmp(charset, "ascii") == 0) {
		if (len >= outsize / 3) /* worst case: three bytes per input byte */
			return RFC2047_TOO_BIG;
		*outlen = rfc2047_8bit_to_utf8(in, len, latin1, out);
		return RFC2047_OK;
	}
	if ((iconv_name = rfc2047_iconv_name(charset)) == NULL)
		return RFC2047_NOT_ENCODED;
	if ((cd = iconv_open("UTF-8", iconv_name)) == (iconv_t)-1)
		return RFC2047_NOT_ENCODED;
	/* No allowed charset gives more than three UTF-8 octets per input octet. */
	scratch_size = outsize < 4 * len + 16 ? outsize : 4 * len + 16;
	scratch = xmalloc(scratch_size);
	converted = rfc2047_iconv(cd, in, len, scratch, scratch_size);
	iconv_close(cd);
	if (converted >= 0)
		*outlen = rfc2047_utf8_repair(scratch, (size_t)converted, out, outsize);
	free(scratch);
	return converted >= 0 && *outlen < outsize ? RFC2047_OK : RFC2047_TOO_BIG;
}

enum rfc2047_result
rfc2047_decode_word(const char *s, size_t len, char *out, size_t outsize, size_t *outlen)
{
	struct rfc2047_word word;
	unsigned char *raw;
	long raw_len;
	enum rfc2047_result result;

	if (s == NULL || out == NULL || outsize == 0 || len == 0 ||
	    rfc2047_word_len(s, len) != len || rfc2047_word_split(s, len, &word) != 0)
		return RFC2047_NOT_ENCODED;
	raw = xmalloc(word.text_len + 1);
	raw_len = word.encoding == 'q' ? rfc2047_q_decode(word.text, word.text_len, raw)
	                               : rfc2047_b_decode(word.text, word.text_len, raw);
	result = raw_len < 0
	             ? RFC2047_NOT_ENCODED
	             : rfc2047_to_utf8(word.charset, raw, (size_t)raw_len, out, outsize, outlen);
	free(raw);
	if (result != RFC2047_OK) {
		out[0] = '\0';
		*outlen = 0;
	}
	return result;
}

static int
rfc2047_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum rfc2047_result
rfc2047_decode_token(const char *token, size_t len, char *out, size_t outsize, size_t *outlen)
{
	size_t word_len, decoded_len, i = 0;
	enum rfc2047_result result = RFC2047_NOT_ENCODED;

	if (token == NULL || out == NULL || outsize == 0)
		return RFC2047_NOT_ENCODED;
	*outlen = 0;
	while (i < len) {
		if ((word_len = rfc2047_word_len(token + i, len - i)) == 0) {
			result = RFC2047_NOT_ENCODED;
			break;
		}
		result = rfc2047_decode_word(token + i, word_len, out + *outlen, outsize - *outlen,
		                             &decoded_len);
		if (result != RFC2047_OK)
			break;
		*outlen += decoded_len;
		i += word_len;
	}
	if (result != RFC2047_OK) {
		out[0] = '\0';
		*outlen = 0;
	}
	return result;
}

/* Appends the decoded token to buf; -1 when it is not made only of encoded words. */
static int
rfc2047_token_decode(const char *token, size_t len, struct rfc2047_buf *buf)
{
	size_t decoded_len;

	if (rfc2047_decode_token(token, len, buf->data + buf->len, buf->cap - buf->len + 1,
	                         &decoded_len) != RFC2047_OK)
		return -1;
	buf->len += decoded_len;
	return 0;
}

/* Copies literal text, ill-formed UTF-8 repaired; -1 when it does not fit. */
static int
rfc2047_literal_add(const char *text, size_t len, struct rfc2047_buf *buf)
{
	size_t need = rfc2047_utf8_repair(text, len, NULL, 0);

	if (need > buf->cap - buf->len)
		return -1;
	rfc2047_utf8_repair(text, len, buf->data + buf->len, need + 1);
	buf->len += need;
	return 0;
}

/* Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2). */
static void
rfc2047_drop_space_before(struct rfc2047_buf *buf, size_t decoded_start, size_t space_len)
{
	memmove(buf->data + decoded_start - space_len, buf->data + decoded_start,
	        buf->len - decoded_start);
	buf->len -= space_len;
}

char *
rfc2047_decode_text(const char *text, size_t len, size_t maxout, const char **why)
{
	struct rfc2047_buf buf;
	size_t i = 0, space_start, token_start, decoded_start;
	int previous_encoded = 0, encoded, failed = 0;

	if (text == NULL || len > SIZE_MAX / 4) {
		if (why != NULL)
			*why = "no text or text too long";
		return NULL;
	}
	/* Nothing decodes to more than three octets per input octet: allocate no more. */
	buf.cap = maxout < 3 * len + 16 ? maxout : 3 * len + 16;
	buf.data = xmalloc(buf.cap + 1);
	buf.len = 0;

	while (i < len && !failed) {
		for (space_start = i; i < len && rfc2047_is_space(text[i]); i++)
			;
		for (token_start = i; i < len && !rfc2047_is_space(text[i]); i++)
			;
		if (rfc2047_literal_add(text + space_start, token_start - space_start, &buf) != 0) {
			failed = 1;
			break;
		}
		decoded_start = buf.len;
		encoded = rfc2047_token_decode(text + token_start, i - token_start, &buf) == 0;
		if (encoded && previous_encoded)
			rfc2047_drop_space_before(&buf, decoded_start, token_start - space_start);
		if (!encoded && rfc2047_literal_add(text + token_start, i - token_start, &buf) != 0)
			failed = 1;
		previous_encoded = encoded;
	}
	if (failed) {
		free(buf.data);
		if (why != NULL)
			*why = "decoded text too long";
		return NULL;
	}
	buf.data[buf.len] = '\0';
	return buf.data;
}

/* Characters RFC 2047 section 5(3) allows unencoded in a Q word inside a phrase. */
static int
rfc2047_q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t
rfc2047_q_cost(const unsigned char *s, size_t len)
{
	size_t i, cost = 0;

	for (i = 0; i < len; i++)
		cost += (rfc2047_q_plain(s[i]) || s[i] == ' ') ? 1 : 3;
	return cost;
}

static void
rfc2047_q_append(const unsigned char *s, size_t len, char *out, size_t *n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		if (rfc2047_q_plain(s[i])) {
			out[(*n)++] = (char)s[i];
		} else if (s[i] == ' ') {
			out[(*n)++] = '_';
		} else {
			out[(*n)++] = '=';
			out[(*n)++] = hex[s[i] >> 4];
			out[(*n)++] = hex[s[i] & 15];
		}
	}
}

static void
rfc2047_b_append(const unsigned char *s, size_t len, char *out, size_t *n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	unsigned long bits;

	for (i = 0; i < len; i += 3) {
		bits = (unsigned long)s[i] << 16 |
		       (i + 1 < len ? (unsigned long)s[i + 1] << 8 : 0) |
		       (i + 2 < len ? s[i + 2] : 0);
		out[(*n)++] = alphabet[bits >> 18 & 63];
		out[(*n)++] = alphabet[bits >> 12 & 63];
		out[(*n)++] = i + 1 < len ? alphabet[bits >> 6 & 63] : '=';
		out[(*n)++] = i + 2 < len ? alphabet[bits & 63] : '=';
	}
}

/* Appends one encoded word holding text[0..len) to out at *n, a space first unless at 0. */
static void
rfc2047_word_append(const unsigned char *text, size_t len, int base64, char *out, size_t *n)
{
	if (*n > 0)
		out[(*n)++] = ' ';
	memcpy(out + *n, base64 ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
	*n += 10;
	if (base64)
		rfc2047_b_append(text, len, out, n);
	else
		rfc2047_q_append(text, len, out, n);
	memcpy(out + *n, "?=", 2);
	*n += 2;
}

/* Encoded size of len bytes of text in one word's payload. */
static size_t
rfc2047_payload_cost(const unsigned char *text, size_t len, int base64)
{
	return base64 ? (len + 2) / 3 * 4 : rfc2047_q_cost(text, len);
}

char *
rfc2047_encode(const char *utf8, size_t len, size_t first_word_max)
{
	size_t text_len = rfc2047_utf8_repair(utf8, len, NULL, 0), start = 0, end, seq, n = 0;
	unsigned char *text = xmalloc(text_len + 1);
	size_t word_max = first_word_max < 24 ? 24 : first_word_max > 75 ? 75 : first_word_max;
	int base64;
	char *out;

	rfc2047_utf8_repair(utf8, len, (char *)text, text_len + 1);
	base64 = (text_len + 2) / 3 * 4 < rfc2047_q_cost(text, text_len);
	/* Each word holds at least one character (at most 12 encoded octets) in 13 more. */
	out = xmalloc(text_len * 3 + (text_len + 1) * 13 + 1);
	while (start < text_len) {
		for (end = start; end < text_len; end += seq) {
			seq = rfc2047_utf8_seqlen(text + end, text_len - end);
			if (end > start &&
			    rfc2047_payload_cost(text + start, end + seq - start, base64) + 12 >
			        word_max)
				break;
		}
		rfc2047_word_append(text + start, end - start, base64, out, &n);
		start = end;
		word_max = RFC2047_WORD_MAX;
	}
	out[n] = '\0';
	free(text);
	return out;
}
