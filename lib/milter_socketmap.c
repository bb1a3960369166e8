/*
 * milter_socketmap.c - Postfix socketmap protocol, bounded and incremental
 *	(see milter_socketmap.h)
 */
#include <stdio.h>
#include <string.h>

#include "milter_socketmap.h"

#define MILTER_SOCKETMAP_DIGITS_MAX 5

/* The netstring's length: -1 error, 0 need more bytes, else the bytes "LEN:" took. */
static int
milter_socketmap_length(const char *buf, size_t len, size_t *data_len, const char **why)
{
	size_t value = 0, i;

	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9') {
			*why = "netstring length is not a number";
			return -1;
		}
		if (i == MILTER_SOCKETMAP_DIGITS_MAX) {
			*why = "netstring length has too many digits";
			return -1;
		}
		value = value * 10 + (size_t)(buf[i] - '0');
	}
	if (i == len)
		return 0;
	if (i == 0) {
		*why = "netstring without a length";
		return -1;
	}
	if (value > MILTER_SOCKETMAP_DATA_MAX) {
		*why = "request too long";
		return -1;
	}
	*data_len = value;
	return (int)i + 1;
}

/* Split "NAME KEY" into out. */
static int
milter_socketmap_split(const char *data, size_t len, struct milter_socketmap_request *out,
                       const char **why)
{
	const char *space = memchr(data, ' ', len);
	size_t name_len;

	if (memchr(data, '\0', len) != NULL) {
		*why = "NUL in request";
		return -1;
	}
	if (space == NULL) {
		*why = "request without a space between name and key";
		return -1;
	}
	name_len = (size_t)(space - data);
	if (name_len == 0 || name_len > MILTER_SOCKETMAP_NAME_MAX) {
		*why = name_len == 0 ? "empty map name" : "map name too long";
		return -1;
	}
	if (name_len + 1 == len) {
		*why = "empty key";
		return -1;
	}
	memcpy(out->name, data, name_len);
	out->name[name_len] = '\0';
	memcpy(out->key, space + 1, len - name_len - 1);
	out->key[len - name_len - 1] = '\0';
	return 0;
}

enum milter_socketmap_status
milter_socketmap_parse(const char *buf, size_t len, struct milter_socketmap_request *out,
                       size_t *consumed, const char **why)
{
	size_t data_len = 0;
	int head = milter_socketmap_length(buf, len, &data_len, why);

	if (head < 0)
		return MILTER_SOCKETMAP_ERROR;
	if (head == 0 || len < (size_t)head + data_len + 1)
		return MILTER_SOCKETMAP_MORE;
	if (buf[(size_t)head + data_len] != ',') {
		*why = "netstring not closed by ','";
		return MILTER_SOCKETMAP_ERROR;
	}
	if (milter_socketmap_split(buf + head, data_len, out, why) != 0)
		return MILTER_SOCKETMAP_ERROR;
	*consumed = (size_t)head + data_len + 1;
	return MILTER_SOCKETMAP_REQUEST;
}

int
milter_socketmap_reply(char *out, size_t size, const char *status, const char *text)
{
	size_t status_len = strlen(status), text_len = strlen(text);
	size_t data_len = status_len + 1 + text_len;
	int head = snprintf(out, size, "%zu:", data_len);

	if (head < 0 || (size_t)head + data_len + 2 > size)
		return -1;
	memcpy(out + head, status, status_len);
	out[head + status_len] = ' ';
	for (size_t i = 0; i < text_len; i++) {
		char c = text[i];

		out[(size_t)head + status_len + 1 + i] = c == '\r' || c == '\n' ? ' ' : c;
	}
	out[(size_t)head + data_len] = ',';
	out[(size_t)head + data_len + 1] = '\0';
	return head + (int)data_len + 1;
}
