/*
 * config_set.c - how a value's text reaches its field, by the key's type
 *
 * SYNOPSIS
 *	int config_value_set(const struct config_key *key, const char *text,
 *	    void *field, char *why, size_t whysize);
 *	void config_value_release(const struct config_key *key, void *field);
 *
 * DESCRIPTION
 *	config_value_set() is pure apart from allocation: text in, field out, the old
 *	value released (a repeatable key's line is added to its list instead). The
 *	field's C type follows from the key's type (config_table.c). Its reasons never
 *	quote the value (it may be a secret). config_value_release() frees what a
 *	field holds and leaves it empty.
 *
 * DIAGNOSTICS
 *	config_value_set() returns 0, or -1 with the reason in why.
 */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_parse.h"
#include "log.h"
#include "xalloc.h"

/* Text validators: NULL when text is acceptable for key, else the reason. */
static const char *
config_check_chars(const char *text, const char *extra, size_t max)
{
	size_t len = strlen(text);

	if (len == 0 || len > max)
		return "empty or too long";
	for (const char *p = text; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr(extra, *p) == NULL)
			return "contains a character that is not allowed";
	return NULL;
}

static const char *
config_check_path(const char *text)
{
	if (text[0] != '/')
		return "must be an absolute path";
	return strlen(text) >= 4096 ? "path too long" : NULL;
}

static const char *
config_check_ocid(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (strncmp(text, prefix, plen) != 0 || text[plen] == '\0')
		return strcmp(prefix, "ocid1.tenancy.") == 0 ? "must start with ocid1.tenancy."
		                                             : "must start with ocid1.user.";
	return config_check_chars(text, "._-", 255) ? "not an OCID" : NULL;
}

static const char *
config_check_fingerprint(const char *text)
{
	if (strlen(text) != 47)
		return "must be 16 colon-separated hex pairs";
	for (size_t i = 0; i < 47; i++)
		if (i % 3 == 2 ? text[i] != ':' : !isxdigit((unsigned char)text[i]))
			return "must be 16 colon-separated hex pairs";
	return NULL;
}

static const char *
config_check_header_name(const char *text)
{
	if (strlen(text) > 76)
		return "header name too long";
	for (const char *p = text; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == ':')
			return "not a header field name (printable ASCII, no ':' or space)";
	return NULL;
}

/* Reason a text-valued key refuses text, or NULL. */
static const char *
config_text_reason(const struct config_key *key, const char *text)
{
	const char *why = NULL;

	switch (key->type) {
	case CONFIG_T_PATH:
		return config_check_path(text);
	case CONFIG_T_REGION:
		return config_check_chars(text, "-", 64) ? "not a region identifier" : NULL;
	case CONFIG_T_OCID:
		return config_check_ocid(text, key->arg);
	case CONFIG_T_FINGERPRINT:
		return config_check_fingerprint(text);
	case CONFIG_T_SECRET:
		if (strlen(text) < 3)
			return "too short to be masked in logs (3 characters at least)";
		return strlen(text) > 1024 ? "too long" : NULL;
	case CONFIG_T_ENDPOINT:
		return config_url_check(text, "|http|https|", 0, &why) ? why : NULL;
	case CONFIG_T_PROXY:
		return config_url_check(text, "|http|https|socks4|socks4a|socks5|socks5h|", 1, &why)
		           ? why
		           : NULL;
	case CONFIG_T_KEY_PREFIX:
		return config_check_chars(text, "._-", 64)
		           ? "letters, digits, . _ - only (64 at most)"
		           : NULL;
	case CONFIG_T_AUDIT:
		if (strcmp(text, "syslog") == 0)
			return NULL;
		return text[0] == '/' ? config_check_path(text) : "syslog or an absolute path";
	case CONFIG_T_ACCOUNT:
		if (text[0] == '-' || config_check_chars(text, "._-", 32))
			return "not a user or group name";
		return NULL;
	case CONFIG_T_HEADER_NAME:
		return config_check_header_name(text);
	default:
		return strlen(text) > 255 ? "too long" : NULL;
	}
}

static void
config_text_store(const struct config_key *key, char **field, const char *text)
{
	if (*field != NULL && (key->flags & CONFIG_F_SECRET))
		explicit_bzero(*field, strlen(*field));
	free(*field);
	*field = xstrdup(text);
	if (key->type == CONFIG_T_FINGERPRINT)
		for (char *p = *field; *p; p++)
			*p = (char)tolower((unsigned char)*p);
}

static int
config_range_check(const struct config_key *key, long long value, char *why, size_t whysize)
{
	char low[32], high[32];

	if (key->max == 0 || (value >= key->min && value <= key->max))
		return 0;
	config_format_quantity(key->type, key->min, low, sizeof(low));
	config_format_quantity(key->type, key->max, high, sizeof(high));
	snprintf(why, whysize, "must be between %s and %s", low, high);
	return -1;
}

static int
config_number_parse(const struct config_key *key, const char *text, long long *value,
                    const char **reason)
{
	int64_t ms;
	size_t bytes;
	char *end;

	switch (key->type) {
	case CONFIG_T_DURATION:
		if (config_duration_parse(text, &ms, reason) != 0)
			return -1;
		*value = ms;
		return 0;
	case CONFIG_T_SIZE:
		if (config_size_parse(text, &bytes, reason) != 0)
			return -1;
		*value = bytes > LLONG_MAX ? LLONG_MAX : (long long)bytes;
		return 0;
	default:
		*reason = "not an integer";
		if (!isdigit((unsigned char)text[text[0] == '-']))
			return -1;
		*value = strtoll(text, &end, 10); /* overflow saturates: the range check refuses */
		return *end == '\0' ? 0 : -1;
	}
}

static int
config_set_number(const struct config_key *key, const char *text, void *field, char *why,
                  size_t whysize)
{
	const char *reason;
	long long value;

	if (config_number_parse(key, text, &value, &reason) != 0)
		return snprintf(why, whysize, "%s", reason), -1;
	if (config_range_check(key, value, why, whysize) != 0)
		return -1;
	if (key->type == CONFIG_T_DURATION)
		*(int64_t *)field = value;
	else if (key->type == CONFIG_T_SIZE)
		*(size_t *)field = (size_t)value;
	else
		*(long *)field = (long)value;
	return 0;
}

/* Index of text among choices "a|b|c", or -1. */
static int
config_choice_find(const char *choices, const char *text)
{
	size_t len = strlen(text);

	for (int index = 0;; index++) {
		size_t choice_len = strcspn(choices, "|");

		if (choice_len == len && strncmp(choices, text, len) == 0)
			return index;
		if (choices[choice_len] == '\0')
			return -1;
		choices += choice_len + 1;
	}
}

/* Enum choices, facilities, levels and booleans: small ints. */
static int
config_set_choice(const struct config_key *key, const char *text, int *field, char *why,
                  size_t whysize)
{
	int value = -1;

	if (key->type == CONFIG_T_FACILITY)
		value = log_facility_parse(text);
	else if (key->type == CONFIG_T_LEVEL)
		value = log_level_parse(text);
	else if (key->type == CONFIG_T_BOOL && config_bool_parse(text, &value) != 0)
		value = -1;
	else if (key->type == CONFIG_T_ENUM)
		value = config_choice_find(key->arg, text);
	if (value >= 0) {
		*field = value;
		return 0;
	}
	if (key->type == CONFIG_T_BOOL)
		snprintf(why, whysize, "not a boolean (yes, no, true, false, on, off, 1, 0)");
	else if (key->type == CONFIG_T_ENUM)
		snprintf(why, whysize, "must be one of: %s", key->arg);
	else
		snprintf(why, whysize, "unknown %s", config_type_name(key));
	return -1;
}

static int
config_set_mode(const char *text, unsigned *field, char *why, size_t whysize)
{
	unsigned value = 0;
	size_t len = strspn(text, "01234567");

	if (len == 0 || len > 4 || text[len] != '\0' ||
	    (value = (unsigned)strtoul(text, NULL, 8)) > 0777)
		return snprintf(why, whysize, "not an octal mode (0 to 0777)"), -1;
	*field = value;
	return 0;
}

/* Comma and/or blank separated OCIDs of compartments (or the tenancy, the root one). */
static int
config_set_ocid_list(const char *text, struct config_list *field, char *why, size_t whysize)
{
	struct config_list list = {0};
	const char *p = text;

	while (*(p += strspn(p, ", \t")) != '\0') {
		size_t len = strcspn(p, ", \t");
		char *ocid = xstrndup(p, len);

		p += len;
		list.items = xrealloc(list.items, (list.count + 1) * sizeof(char *));
		list.items[list.count++] = ocid;
		if (config_check_ocid(ocid, "ocid1.compartment.") != NULL &&
		    config_check_ocid(ocid, "ocid1.tenancy.") != NULL) {
			snprintf(why, whysize, "item %zu is not a compartment or tenancy OCID",
			         list.count);
			config_list_release(&list);
			return -1;
		}
	}
	config_list_release(field);
	*field = list;
	return 0;
}

static int
config_set_socket(const struct config_key *key, const char *text, struct config_socket *field,
                  char *why, size_t whysize)
{
	enum config_socket_syntax syntax =
	    key->type == CONFIG_T_MILTER_SOCKET ? CONFIG_SOCKET_MILTER
	    : key->type == CONFIG_T_TCP_SOCKET  ? CONFIG_SOCKET_TCP
	                                        : CONFIG_SOCKET_POSTFIX;
	struct config_socket sock;
	const char *reason;

	if (config_socket_parse(text, syntax, &sock, &reason) != 0) {
		config_socket_release(&sock);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	config_socket_release(field);
	*field = sock;
	return 0;
}

static int
config_set_redis_url(const char *text, struct config_redis_url *field, char *why, size_t whysize)
{
	struct config_redis_url url;
	const char *reason;

	if (config_redis_url_parse(text, &url, &reason) != 0) {
		config_redis_url_release(&url);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	if (url.password[0] != '\0' && strlen(url.password) < 3) {
		config_redis_url_release(&url);
		return snprintf(why, whysize, "password too short to be masked in logs"), -1;
	}
	config_redis_url_release(field);
	*field = url;
	return 0;
}

static int
config_set_address(const char *text, char **field, char *why, size_t whysize)
{
	char canon[ADDR_MAX];
	const char *reason = "not an address";

	switch (addr_canon(text, strlen(text), canon, sizeof(canon), &reason)) {
	case ADDR_OK:
		free(*field);
		*field = xstrdup(canon);
		return 0;
	case ADDR_NULL:
		reason = "the null sender \"<>\" is not an address";
		break;
	default:
		break;
	}
	snprintf(why, whysize, "%s", reason);
	return -1;
}

static int
config_add_rewrite(const char *text, struct config_rewrite_list *list, char *why, size_t whysize)
{
	struct config_rewrite_rule rule;
	const char *reason;

	if (config_rewrite_rule_parse(text, &rule, &reason) != 0) {
		config_rewrite_rule_release(&rule);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->rules = xrealloc(list->rules, (list->count + 1) * sizeof(rule));
	list->rules[list->count++] = rule;
	return 0;
}

static int
config_add_binding(const char *text, struct config_binding_list *list, char *why, size_t whysize)
{
	struct config_binding binding;
	const char *reason;

	if (config_binding_parse(text, &binding, &reason) != 0) {
		config_binding_release(&binding);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->binds = xrealloc(list->binds, (list->count + 1) * sizeof(binding));
	list->binds[list->count++] = binding;
	return 0;
}

/* Blank or comma separated recipient patterns, appended to what is there. */
static int
config_add_rcpt_patterns(const char *text, struct config_list *list, char *why, size_t whysize)
{
	char canon[ADDR_MAX];
	const char *p = text, *reason;
	size_t index = 0;

	while (*(p += strspn(p, ", \t")) != '\0') {
		size_t len = strcspn(p, ", \t");
		char *item = xstrndup(p, len);

		p += len;
		index++;
		if (config_rcpt_pattern_parse(item, canon, sizeof(canon), &reason) != 0) {
			snprintf(why, whysize, "item %zu: %s", index, reason);
			free(item);
			return -1;
		}
		free(item);
		list->items = xrealloc(list->items, (list->count + 1) * sizeof(char *));
		list->items[list->count++] = xstrdup(canon);
	}
	return 0;
}

static int
config_add_limit(const char *text, struct config_limit_list *list, char *why, size_t whysize)
{
	struct config_limit limit;
	const char *reason;

	if (list->count >= CONFIG_LIMITS_MAX)
		return snprintf(why, whysize, "more than %d limits", CONFIG_LIMITS_MAX), -1;
	if (config_limit_parse(text, &limit, &reason) != 0) {
		config_limit_release(&limit);
		return snprintf(why, whysize, "%s", reason), -1;
	}
	list->limits = xrealloc(list->limits, (list->count + 1) * sizeof(limit));
	list->limits[list->count++] = limit;
	return 0;
}

static int
config_add_suppressed_reply(const char *text, struct config_reply_list *list, char *why,
                            size_t whysize)
{
	struct config_reply reply;
	const char *reason;

	if (text[0] == '\0') /* "suppressed_reply =": back to the default */
		return free(list->replies), memset(list, 0, sizeof(*list)), 0;
	if (list->count >= CONFIG_REPLIES_MAX)
		return snprintf(why, whysize, "more than %d replies", CONFIG_REPLIES_MAX), -1;
	if (config_suppressed_reply_parse(text, &reply, &reason) != 0)
		return snprintf(why, whysize, "%s", reason), -1;
	list->replies = xrealloc(list->replies, (list->count + 1) * sizeof(reply));
	list->replies[list->count++] = reply;
	return 0;
}

static void
config_limit_list_release(struct config_limit_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_limit_release(&list->limits[i]);
	free(list->limits);
	memset(list, 0, sizeof(*list));
}

static void
config_rewrite_list_release(struct config_rewrite_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_rewrite_rule_release(&list->rules[i]);
	free(list->rules);
	memset(list, 0, sizeof(*list));
}

static void
config_binding_list_release(struct config_binding_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		config_binding_release(&list->binds[i]);
	free(list->binds);
	memset(list, 0, sizeof(*list));
}

int
config_value_set(const struct config_key *key, const char *text, void *field, char *why,
                 size_t whysize)
{
	const char *reason;

	if (text[0] == '\0' && !(key->flags & CONFIG_F_EMPTY))
		return snprintf(why, whysize, "a value is required"), -1;
	switch (key->type) {
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
	case CONFIG_T_INT:
		return config_set_number(key, text, field, why, whysize);
	case CONFIG_T_BOOL:
	case CONFIG_T_ENUM:
	case CONFIG_T_FACILITY:
	case CONFIG_T_LEVEL:
		return config_set_choice(key, text, field, why, whysize);
	case CONFIG_T_MODE:
		return config_set_mode(text, field, why, whysize);
	case CONFIG_T_OCID_LIST:
		return config_set_ocid_list(text, field, why, whysize);
	case CONFIG_T_POLICY_SOCKET:
	case CONFIG_T_MILTER_SOCKET:
	case CONFIG_T_TCP_SOCKET:
		return config_set_socket(key, text, field, why, whysize);
	case CONFIG_T_REDIS_URL:
		return config_set_redis_url(text, field, why, whysize);
	case CONFIG_T_REWRITE:
		return config_add_rewrite(text, field, why, whysize);
	case CONFIG_T_BIND:
		return config_add_binding(text, field, why, whysize);
	case CONFIG_T_RCPT_PATTERNS:
		return config_add_rcpt_patterns(text, field, why, whysize);
	case CONFIG_T_LIMIT:
		return config_add_limit(text, field, why, whysize);
	case CONFIG_T_SUPPRESSED_REPLY:
		return config_add_suppressed_reply(text, field, why, whysize);
	case CONFIG_T_ADDRESS:
		if (text[0] != '\0')
			return config_set_address(text, field, why, whysize);
		break;
	default:
		if (text[0] != '\0' && (reason = config_text_reason(key, text)) != NULL)
			return snprintf(why, whysize, "%s", reason), -1;
		break;
	}
	config_text_store(key, field, text);
	return 0;
}

void
config_value_release(const struct config_key *key, void *field)
{
	switch (key->type) {
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
	case CONFIG_T_INT:
	case CONFIG_T_BOOL:
	case CONFIG_T_ENUM:
	case CONFIG_T_FACILITY:
	case CONFIG_T_LEVEL:
	case CONFIG_T_MODE:
		break;
	case CONFIG_T_OCID_LIST:
		config_list_release(field);
		break;
	case CONFIG_T_POLICY_SOCKET:
	case CONFIG_T_MILTER_SOCKET:
	case CONFIG_T_TCP_SOCKET:
		config_socket_release(field);
		break;
	case CONFIG_T_REDIS_URL:
		config_redis_url_release(field);
		break;
	case CONFIG_T_REWRITE:
		config_rewrite_list_release(field);
		break;
	case CONFIG_T_BIND:
		config_binding_list_release(field);
		break;
	case CONFIG_T_RCPT_PATTERNS:
		config_list_release(field);
		break;
	case CONFIG_T_LIMIT:
		config_limit_list_release(field);
		break;
	case CONFIG_T_SUPPRESSED_REPLY:
		free(((struct config_reply_list *)field)->replies);
		memset(field, 0, sizeof(struct config_reply_list));
		break;
	default:
		config_text_store(key, field, "");
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	}
}
