/*
 * oci_json.c - OCI Email Delivery JSON answers mapped to checked C structs
 *
 * See oci_json.h. Each model (SenderSummary, SuppressionSummary, ...) is a table of
 * fields: JSON name, kind of value, required or not, place in the C struct. One
 * mapper walks any table, so a rule (what an id may hold, how a time is read) is
 * written once and holds for every model.
 *
 * Before jansson sees a body, oci_json_scan() counts its values and nesting in one
 * pass: jansson builds the whole tree first, and a 16 MB body of "[[],[],..." would
 * otherwise cost it half a gigabyte.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "oci_json.h"
#include "timefmt.h"
#include "xalloc.h"

enum oci_json_kind {
	OCI_JSON_K_ID,      /* OCID characters */
	OCI_JSON_K_TOKEN,   /* enum value: letters, digits, '_' */
	OCI_JSON_K_ADDRESS, /* addr_canon() */
	OCI_JSON_K_PATTERN, /* addr_canon_pattern(): address or "@domain" */
	OCI_JSON_K_DOMAIN,  /* addr_canon_domain() */
	OCI_JSON_K_NAME,    /* printable ASCII without blanks */
	OCI_JSON_K_TEXT,    /* any text, cut at OCI_JSON_TEXT_MAX */
	OCI_JSON_K_TIME,    /* RFC 3339 -> long long ms */
	OCI_JSON_K_BOOL,    /* -> int */
};

struct oci_json_field {
	const char *name;
	enum oci_json_kind kind;
	int required;
	size_t offset;
};

struct oci_json_model {
	const char *name;
	const struct oci_json_field *fields; /* ends with a NULL name */
	size_t size;
};

#define REQUIRED 1
#define OPTIONAL 0
#define FIELD(type, json, kind, required, member)                                                  \
	{                                                                                          \
		json, OCI_JSON_K_##kind, required, offsetof(type, member)                          \
	}

static const struct oci_json_field oci_json_sender_fields[] = {
    FIELD(struct oci_sender, "id", ID, REQUIRED, id),
    FIELD(struct oci_sender, "compartmentId", ID, REQUIRED, compartment_id),
    FIELD(struct oci_sender, "emailAddress", PATTERN, REQUIRED, email_address),
    FIELD(struct oci_sender, "lifecycleState", TOKEN, REQUIRED, lifecycle_state),
    FIELD(struct oci_sender, "timeCreated", TIME, REQUIRED, time_created_ms),
    FIELD(struct oci_sender, "emailIpPoolId", ID, OPTIONAL, email_ip_pool_id),
    {NULL, 0, 0, 0},
};

static const struct oci_json_field oci_json_suppression_fields[] = {
    FIELD(struct oci_suppression, "id", ID, REQUIRED, id),
    FIELD(struct oci_suppression, "compartmentId", ID, REQUIRED, compartment_id),
    FIELD(struct oci_suppression, "emailAddress", ADDRESS, REQUIRED, email_address),
    FIELD(struct oci_suppression, "reason", TOKEN, REQUIRED, reason),
    FIELD(struct oci_suppression, "timeCreated", TIME, REQUIRED, time_created_ms),
    FIELD(struct oci_suppression, "timeLastSuppressed", TIME, OPTIONAL, time_last_suppressed_ms),
    FIELD(struct oci_suppression, "messageId", NAME, OPTIONAL, message_id),
    FIELD(struct oci_suppression, "errorDetail", TEXT, OPTIONAL, error_detail),
    FIELD(struct oci_suppression, "errorSource", TEXT, OPTIONAL, error_source),
    {NULL, 0, 0, 0},
};

static const struct oci_json_field oci_json_domain_fields[] = {
    FIELD(struct oci_email_domain, "id", ID, REQUIRED, id),
    FIELD(struct oci_email_domain, "name", DOMAIN, REQUIRED, name),
    FIELD(struct oci_email_domain, "compartmentId", ID, REQUIRED, compartment_id),
    FIELD(struct oci_email_domain, "lifecycleState", TOKEN, REQUIRED, lifecycle_state),
    FIELD(struct oci_email_domain, "activeDkimId", ID, OPTIONAL, active_dkim_id),
    FIELD(struct oci_email_domain, "timeCreated", TIME, REQUIRED, time_created_ms),
    FIELD(struct oci_email_domain, "isSpf", BOOL, OPTIONAL, is_spf),
    {NULL, 0, 0, 0},
};

static const struct oci_json_field oci_json_dkim_fields[] = {
    FIELD(struct oci_dkim, "id", ID, REQUIRED, id),
    FIELD(struct oci_dkim, "name", NAME, REQUIRED, name),
    FIELD(struct oci_dkim, "emailDomainId", ID, REQUIRED, email_domain_id),
    FIELD(struct oci_dkim, "lifecycleState", TOKEN, REQUIRED, lifecycle_state),
    FIELD(struct oci_dkim, "timeCreated", TIME, REQUIRED, time_created_ms),
    {NULL, 0, 0, 0},
};

static const struct oci_json_field oci_json_config_fields[] = {
    FIELD(struct oci_email_config, "compartmentId", ID, OPTIONAL, compartment_id),
    FIELD(struct oci_email_config, "smtpSubmitEndpoint", NAME, REQUIRED, smtp_submit_endpoint),
    FIELD(struct oci_email_config, "httpSubmitEndpoint", NAME, OPTIONAL, http_submit_endpoint),
    {NULL, 0, 0, 0},
};

static const struct oci_json_field oci_json_error_fields[] = {
    FIELD(struct oci_error_body, "code", TOKEN, REQUIRED, code),
    FIELD(struct oci_error_body, "message", TEXT, REQUIRED, message),
    {NULL, 0, 0, 0},
};

static const struct oci_json_model oci_json_sender_model = {"SenderSummary", oci_json_sender_fields,
                                                            sizeof(struct oci_sender)};
static const struct oci_json_model oci_json_suppression_summary_model = {
    "SuppressionSummary", oci_json_suppression_fields, sizeof(struct oci_suppression)};
static const struct oci_json_model oci_json_suppression_model = {
    "Suppression", oci_json_suppression_fields, sizeof(struct oci_suppression)};
static const struct oci_json_model oci_json_domain_model = {
    "EmailDomainSummary", oci_json_domain_fields, sizeof(struct oci_email_domain)};
static const struct oci_json_model oci_json_dkim_model = {"DkimSummary", oci_json_dkim_fields,
                                                          sizeof(struct oci_dkim)};
static const struct oci_json_model oci_json_config_model = {
    "EmailConfiguration", oci_json_config_fields, sizeof(struct oci_email_config)};
static const struct oci_json_model oci_json_error_model = {"error body", oci_json_error_fields,
                                                           sizeof(struct oci_error_body)};

static int
oci_json_is_string_kind(enum oci_json_kind kind)
{
	return kind != OCI_JSON_K_TIME && kind != OCI_JSON_K_BOOL;
}

static int
oci_json_id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

static int
oci_json_token_char(unsigned char c)
{
	return oci_json_id_char(c) && c != '.' && c != '-';
}

static int
oci_json_name_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* 1..max bytes, each accepted by ok(). */
static int
oci_json_chars_ok(const char *s, size_t len, size_t max, int (*ok)(unsigned char))
{
	if (len == 0 || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Free text, cut at OCI_JSON_TEXT_MAX without splitting a UTF-8 sequence. */
static char *
oci_json_text_copy(const char *s, size_t len)
{
	size_t cut = len;

	if (cut > OCI_JSON_TEXT_MAX) {
		cut = OCI_JSON_TEXT_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	return xstrndup(s, cut);
}

/* An address in canonical form; NULL and *why when it has none. */
static char *
oci_json_address_copy(enum oci_json_kind kind, const char *s, size_t len, const char **why)
{
	char canonical[ADDR_MAX];
	enum addr_result result;

	if (kind == OCI_JSON_K_ADDRESS)
		result = addr_canon(s, len, canonical, sizeof(canonical), why);
	else if (kind == OCI_JSON_K_PATTERN)
		result = addr_canon_pattern(s, len, canonical, sizeof(canonical), why);
	else
		result = addr_canon_domain(s, len, canonical, sizeof(canonical), why);
	if (result == ADDR_NULL)
		*why = "empty address";
	if (result != ADDR_OK)
		return NULL;
	return xstrdup(canonical);
}

/* The checked copy of a string value, or NULL with *why. */
static char *
oci_json_string_copy(enum oci_json_kind kind, const char *s, size_t len, const char **why)
{
	switch (kind) {
	case OCI_JSON_K_ID:
		*why = "not an OCID (1 to 255 letters, digits, '.', '-', '_')";
		return oci_json_chars_ok(s, len, OCI_JSON_ID_MAX, oci_json_id_char)
		           ? xstrndup(s, len)
		           : NULL;
	case OCI_JSON_K_TOKEN:
		*why = "not an enum value (1 to 64 letters, digits, '_')";
		return oci_json_chars_ok(s, len, OCI_JSON_TOKEN_MAX, oci_json_token_char)
		           ? xstrndup(s, len)
		           : NULL;
	case OCI_JSON_K_NAME:
		*why = "empty, too long, or not printable ASCII without blanks";
		return oci_json_chars_ok(s, len, OCI_JSON_NAME_MAX, oci_json_name_char)
		           ? xstrndup(s, len)
		           : NULL;
	case OCI_JSON_K_TEXT:
		return oci_json_text_copy(s, len);
	default:
		return oci_json_address_copy(kind, s, len, why);
	}
}

/* Store value into the field; NULL on success, else the reason. */
static const char *
oci_json_convert(const struct oci_json_field *field, json_t *value, char *item)
{
	const char *why = NULL, *text;
	size_t len;
	char *copy;

	if (field->kind == OCI_JSON_K_BOOL) {
		if (!json_is_boolean(value))
			return "not a boolean";
		*(int *)(item + field->offset) = json_is_true(value);
		return NULL;
	}
	if (!json_is_string(value))
		return "not a string";
	text = json_string_value(value);
	len = json_string_length(value);
	if (field->kind == OCI_JSON_K_TIME) {
		if (timefmt_parse_rfc3339(text, len, (long long *)(void *)(item + field->offset)))
			return "not an RFC 3339 time";
		return NULL;
	}
	if ((copy = oci_json_string_copy(field->kind, text, len, &why)) == NULL)
		return why ? why : "invalid";
	*(char **)(void *)(item + field->offset) = copy;
	return NULL;
}

static void
oci_json_item_init(const struct oci_json_model *model, char *item)
{
	memset(item, 0, model->size);
	for (const struct oci_json_field *f = model->fields; f->name != NULL; f++) {
		if (f->kind == OCI_JSON_K_TIME)
			*(long long *)(void *)(item + f->offset) = OCI_JSON_TIME_UNSET;
		else if (f->kind == OCI_JSON_K_BOOL)
			*(int *)(item + f->offset) = -1;
	}
}

static void
oci_json_item_release(const struct oci_json_model *model, char *item)
{
	for (const struct oci_json_field *f = model->fields; f->name != NULL; f++)
		if (oci_json_is_string_kind(f->kind))
			free(*(char **)(void *)(item + f->offset));
	memset(item, 0, model->size);
}

/*
 * Map one JSON object; on failure item holds nothing and *field, *why say why. 1: the
 * only fault is an email address (a string) that edg cannot canonicalise: a lister may
 * skip that item rather than the page.
 */
static int
oci_json_item(const struct oci_json_model *model, json_t *object, char *item, const char **field,
              const char **why)
{
	const struct oci_json_field *f;
	json_t *value;

	*field = NULL;
	if (!json_is_object(object)) {
		*why = "not an object";
		return -1;
	}
	oci_json_item_init(model, item);
	for (f = model->fields; f->name != NULL; f++) {
		value = json_object_get(object, f->name);
		*field = f->name;
		if (value == NULL || json_is_null(value))
			*why = f->required ? "missing" : NULL;
		else
			*why = oci_json_convert(f, value, item);
		if (*why != NULL) {
			oci_json_item_release(model, item);
			return (f->kind == OCI_JSON_K_ADDRESS || f->kind == OCI_JSON_K_PATTERN) &&
			               json_is_string(value)
			           ? 1
			           : -1;
		}
	}
	return 0;
}

static void
oci_json_list_release(const struct oci_json_model *model, void *items, size_t count)
{
	for (size_t i = 0; i < count; i++)
		oci_json_item_release(model, (char *)items + i * model->size);
	free(items);
}

/*
 * Count values and keys and the nesting depth without building anything; NULL
 * when jansson may parse the body, else the reason. Brackets inside strings do not
 * count: the scan follows strings and their backslash escapes.
 */
static const char *
oci_json_scan(const unsigned char *p, size_t len)
{
	size_t nodes = 1, depth = 0;
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_string = 0;
			continue;
		}
		if (p[i] == '"')
			in_string = 1;
		else if (p[i] == '[' || p[i] == '{') {
			if (++depth > OCI_JSON_DEPTH_MAX)
				return "nested too deeply";
			nodes++;
		} else if ((p[i] == ']' || p[i] == '}') && depth > 0)
			depth--;
		else if (p[i] == ',' || p[i] == ':')
			nodes++;
		if (nodes > OCI_JSON_NODES_MAX)
			return "too many values";
	}
	return NULL;
}

/* jansson's messages quote the input near the error: ours name the problem only. */
static const char *
oci_json_syntax_reason(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_invalid_utf8:
		return "invalid UTF-8";
	case json_error_premature_end_of_input:
		return "truncated";
	case json_error_end_of_input_expected:
		return "data after the document";
	case json_error_duplicate_key:
		return "a key repeated in an object";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "a NUL character";
	case json_error_numeric_overflow:
		return "a number out of range";
	case json_error_stack_overflow:
		return "nested too deeply";
	case json_error_out_of_memory:
		return "out of memory";
	default:
		return "not valid JSON";
	}
}

static json_t *
oci_json_load(const struct oci_json_model *model, const void *body, size_t len, char *err,
              size_t errsize)
{
	const char *why = NULL;
	json_error_t jerr;
	json_t *doc;

	if (body == NULL || len == 0)
		why = "empty body";
	else if (len > OCI_JSON_BODY_MAX)
		why = "body larger than 16 MB";
	else
		why = oci_json_scan(body, len);
	if (why != NULL) {
		snprintf(err, errsize, "%s: %s", model->name, why);
		return NULL;
	}
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL)
		snprintf(err, errsize, "%s: %s at byte %d", model->name,
		         oci_json_syntax_reason(&jerr), jerr.position);
	return doc;
}

/*
 * Map a JSON array of model objects: all of them, or none. With skip (listings of
 * addresses), an item whose only fault is an address edg cannot use is left out and
 * counted there instead: it can never match a canonical address, and one such entry
 * must not stop every future sync.
 */
static int
oci_json_array(const struct oci_json_model *model, json_t *array, void **items, size_t *count,
               struct oci_json_skipped *skip, char *err, size_t errsize)
{
	const char *field, *why;
	size_t n = json_array_size(array), i, kept = 0;
	char *list;
	int rc;

	*items = NULL;
	*count = 0;
	if (!json_is_array(array)) {
		snprintf(err, errsize, "%s page: not an array", model->name);
		return -1;
	}
	if (n > OCI_JSON_ITEMS_MAX) {
		snprintf(err, errsize, "%s page: more than %d items", model->name,
		         OCI_JSON_ITEMS_MAX);
		return -1;
	}
	list = n > 0 ? xcalloc(n, model->size) : NULL;
	for (i = 0; i < n; i++) {
		json_t *object = json_array_get(array, i);

		rc = oci_json_item(model, object, list + kept * model->size, &field, &why);
		if (rc == 1 && skip != NULL) {
			if (skip->count++ == 0)
				snprintf(skip->first, sizeof(skip->first), "%s [%zu]: %s: %s",
				         model->name, i, field, why);
			continue;
		}
		if (rc != 0) {
			oci_json_list_release(model, list, kept);
			snprintf(err, errsize, "%s [%zu]: %s%s%s", model->name, i,
			         field ? field : "", field ? ": " : "", why);
			return -1;
		}
		kept++;
	}
	*items = list;
	*count = kept;
	return 0;
}

/* A page: a bare array (wrapped 0) or {"items": [...]} (wrapped 1). */
static int
oci_json_page(const struct oci_json_model *model, int wrapped, const void *body, size_t len,
              void **items, size_t *count, struct oci_json_skipped *skip, char *err, size_t errsize)
{
	json_t *doc, *array;
	int rc;

	*items = NULL;
	*count = 0;
	if ((doc = oci_json_load(model, body, len, err, errsize)) == NULL)
		return -1;
	array = doc;
	if (wrapped && (!json_is_object(doc) || (array = json_object_get(doc, "items")) == NULL)) {
		snprintf(err, errsize, "%s page: not an object with \"items\"", model->name);
		json_decref(doc);
		return -1;
	}
	rc = oci_json_array(model, array, items, count, skip, err, errsize);
	json_decref(doc);
	return rc;
}

/* One object as the whole body. */
static int
oci_json_object(const struct oci_json_model *model, const void *body, size_t len, void *out,
                char *err, size_t errsize)
{
	const char *field, *why;
	json_t *doc;
	int rc;

	memset(out, 0, model->size);
	if ((doc = oci_json_load(model, body, len, err, errsize)) == NULL)
		return -1;
	rc = oci_json_item(model, doc, out, &field, &why);
	if (rc != 0)
		snprintf(err, errsize, "%s: %s%s%s", model->name, field ? field : "",
		         field ? ": " : "", why);
	json_decref(doc);
	return rc;
}

int
oci_json_senders(const void *body, size_t len, struct oci_sender_list *out, char *err,
                 size_t errsize)
{
	void *items;
	int rc;

	memset(&out->skipped, 0, sizeof(out->skipped));
	rc = oci_json_page(&oci_json_sender_model, 0, body, len, &items, &out->count, &out->skipped,
	                   err, errsize);

	out->items = items;
	return rc;
}

int
oci_json_suppressions(const void *body, size_t len, struct oci_suppression_list *out, char *err,
                      size_t errsize)
{
	void *items;
	int rc;

	memset(&out->skipped, 0, sizeof(out->skipped));
	rc = oci_json_page(&oci_json_suppression_summary_model, 0, body, len, &items, &out->count,
	                   &out->skipped, err, errsize);

	out->items = items;
	return rc;
}

int
oci_json_email_domains(const void *body, size_t len, struct oci_email_domain_list *out, char *err,
                       size_t errsize)
{
	void *items;
	int rc = oci_json_page(&oci_json_domain_model, 1, body, len, &items, &out->count, NULL, err,
	                       errsize);

	out->items = items;
	return rc;
}

int
oci_json_dkims(const void *body, size_t len, struct oci_dkim_list *out, char *err, size_t errsize)
{
	void *items;
	int rc = oci_json_page(&oci_json_dkim_model, 1, body, len, &items, &out->count, NULL, err,
	                       errsize);

	out->items = items;
	return rc;
}

int
oci_json_suppression(const void *body, size_t len, struct oci_suppression *out, char *err,
                     size_t errsize)
{
	return oci_json_object(&oci_json_suppression_model, body, len, out, err, errsize);
}

int
oci_json_email_config(const void *body, size_t len, struct oci_email_config *out, char *err,
                      size_t errsize)
{
	return oci_json_object(&oci_json_config_model, body, len, out, err, errsize);
}

int
oci_json_error(const void *body, size_t len, struct oci_error_body *out, char *err, size_t errsize)
{
	return oci_json_object(&oci_json_error_model, body, len, out, err, errsize);
}

char *
oci_json_create_suppression(const char *compartment_id, const char *email_address)
{
	json_t *doc;
	char *text, *copy;

	if (compartment_id == NULL || email_address == NULL)
		return NULL;
	doc =
	    json_pack("{s:s, s:s}", "compartmentId", compartment_id, "emailAddress", email_address);
	if (doc == NULL) /* not UTF-8 */
		return NULL;
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return NULL;
	copy = xstrdup(text); /* the caller frees with free(), whatever jansson's allocator */
	free(text);
	return copy;
}

void
oci_sender_list_free(struct oci_sender_list *list)
{
	oci_json_list_release(&oci_json_sender_model, list->items, list->count);
	memset(list, 0, sizeof(*list));
}

void
oci_suppression_list_free(struct oci_suppression_list *list)
{
	oci_json_list_release(&oci_json_suppression_model, list->items, list->count);
	memset(list, 0, sizeof(*list));
}

void
oci_suppression_free(struct oci_suppression *suppression)
{
	oci_json_item_release(&oci_json_suppression_model, (char *)suppression);
}

void
oci_email_domain_list_free(struct oci_email_domain_list *list)
{
	oci_json_list_release(&oci_json_domain_model, list->items, list->count);
	memset(list, 0, sizeof(*list));
}

void
oci_dkim_list_free(struct oci_dkim_list *list)
{
	oci_json_list_release(&oci_json_dkim_model, list->items, list->count);
	memset(list, 0, sizeof(*list));
}

void
oci_email_config_free(struct oci_email_config *config)
{
	oci_json_item_release(&oci_json_config_model, (char *)config);
}

void
oci_error_body_free(struct oci_error_body *error)
{
	oci_json_item_release(&oci_json_error_model, (char *)error);
}
