/*
 * policy_proto.c - Postfix SMTPD policy delegation protocol: the request parser
 *
 * See policy_proto.h. A byte-at-a-time state machine: collecting a name, then (after
 * '=') a value that is kept only for the attributes in policy_attr_names[].
 */
#include <string.h>

#include "policy_proto.h"

static const char *const policy_attr_names[POLICY_ATTR_COUNT] = {
    [POLICY_REQUEST] = "request",
    [POLICY_PROTOCOL_STATE] = "protocol_state",
    [POLICY_SENDER] = "sender",
    [POLICY_RECIPIENT] = "recipient",
    [POLICY_SASL_USERNAME] = "sasl_username",
    [POLICY_CLIENT_ADDRESS] = "client_address",
    [POLICY_CLIENT_NAME] = "client_name",
    [POLICY_QUEUE_ID] = "queue_id",
    [POLICY_INSTANCE] = "instance",
};

void
policy_parser_init(struct policy_parser *p, size_t max_request)
{
	memset(p, 0, sizeof(*p));
	p->max_request = max_request;
	p->attr = -1;
}

void
policy_parser_reset(struct policy_parser *p)
{
	policy_parser_init(p, p->max_request);
}

const struct policy_request *
policy_request(const struct policy_parser *p)
{
	return &p->req;
}

int
policy_has(const struct policy_request *req, enum policy_attr attr)
{
	return (req->present >> attr) & 1;
}

static int
policy_attr_lookup(const char *name)
{
	for (int i = 0; i < POLICY_ATTR_COUNT; i++)
		if (strcmp(name, policy_attr_names[i]) == 0)
			return i;
	return -1;
}

/* '=' seen: decide whether this line's value is kept. */
static void
policy_start_value(struct policy_parser *p)
{
	p->name[p->name_len] = '\0';
	p->in_value = 1;
	p->value_len = 0;
	p->attr = policy_attr_lookup(p->name);
	if (p->attr >= 0) {
		/* A repeated attribute: the last one counts, as in Postfix. */
		p->req.value[p->attr][0] = '\0';
		p->req.overlong &= ~(1u << p->attr);
	}
}

static void
policy_value_byte(struct policy_parser *p, char c)
{
	if (p->attr < 0)
		return;
	if (p->value_len < POLICY_VALUE_MAX)
		p->req.value[p->attr][p->value_len++] = c;
	else
		p->req.overlong |= 1u << p->attr;
}

/* End of line: 1 when it was the empty line that ends the request, -1 on error. */
static int
policy_end_line(struct policy_parser *p, const char **why)
{
	if (!p->in_value) {
		if (p->name_len == 0)
			return 1;
		*why = "attribute line without \"=\"";
		return -1;
	}
	if (p->name_len == 0) {
		*why = "attribute line without a name";
		return -1;
	}
	if (p->attr >= 0) {
		p->req.value[p->attr][p->value_len] = '\0';
		p->req.present |= 1u << p->attr;
	}
	p->req.attributes++;
	p->in_value = 0;
	p->name_len = 0;
	p->attr = -1;
	return 0;
}

static int
policy_name_byte(struct policy_parser *p, char c, const char **why)
{
	if (c == '=') {
		policy_start_value(p);
		return 0;
	}
	if (p->name_len == POLICY_NAME_MAX) {
		*why = "attribute name too long";
		return -1;
	}
	p->name[p->name_len++] = c;
	return 0;
}

enum policy_parse
policy_parse(struct policy_parser *p, const char *buf, size_t len, size_t *consumed,
             const char **why)
{
	*consumed = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		int rc = 0;

		*consumed = i + 1;
		if (++p->request_bytes > p->max_request) {
			*why = "request too large";
			return POLICY_ERROR;
		}
		if (c == '\0') {
			*why = "NUL byte in request";
			return POLICY_ERROR;
		}
		if (p->saw_cr && c != '\n') /* a CR inside a line is data */
			p->in_value ? policy_value_byte(p, '\r')
			            : (void)(rc = policy_name_byte(p, '\r', why));
		p->saw_cr = c == '\r';
		if (c == '\r' || rc < 0) {
			if (rc < 0)
				return POLICY_ERROR;
			continue;
		}
		if (c == '\n')
			rc = policy_end_line(p, why);
		else if (p->in_value)
			policy_value_byte(p, c);
		else
			rc = policy_name_byte(p, c, why);
		if (rc < 0)
			return POLICY_ERROR;
		if (rc == 1)
			return POLICY_DONE;
	}
	return POLICY_MORE;
}
