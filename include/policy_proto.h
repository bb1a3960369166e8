/*
 * policy_proto.h - Postfix SMTPD policy delegation protocol: the request parser
 *
 * SYNOPSIS
 *	void policy_parser_init(struct policy_parser *p, size_t max_request);
 *	enum policy_parse policy_parse(struct policy_parser *p, const char *buf, size_t len,
 *	    size_t *consumed, const char **why);
 *	const struct policy_request *policy_request(const struct policy_parser *p);
 *	void policy_parser_reset(struct policy_parser *p);
 *
 * DESCRIPTION
 *	A request is "name=value" lines ended by LF (a CR before the LF is dropped),
 *	closed by an empty line (Postfix SMTPD_POLICY_README). The parser is pure and
 *	incremental: feed it whatever arrived; it consumes bytes up to the end of one
 *	request (POLICY_DONE, *consumed tells how far) or all of them (POLICY_MORE).
 *	*consumed is set in every case (on POLICY_ERROR: up to the offending byte).
 *	After POLICY_DONE the caller reads policy_request(), then policy_parser_reset()
 *	before feeding the rest, so several requests on one connection are answered in
 *	order.
 *
 *	Bounded: a request larger than max_request bytes, an attribute name over
 *	POLICY_NAME_MAX, a line without "=", or a NUL byte is POLICY_ERROR with *why set
 *	(static text); the caller closes the connection. Only the attributes edg uses are
 *	kept, each up to POLICY_VALUE_MAX bytes; a longer value is cut and flagged in
 *	overlong (the request itself is still valid). Others are skipped unread, so the
 *	memory of a connection does not depend on what the peer sends.
 */
#ifndef EDG_POLICY_PROTO_H
#define EDG_POLICY_PROTO_H

#include <stddef.h>

#define POLICY_NAME_MAX  64
#define POLICY_VALUE_MAX 512

enum policy_attr {
	POLICY_REQUEST,
	POLICY_PROTOCOL_STATE,
	POLICY_SENDER,
	POLICY_RECIPIENT,
	POLICY_SASL_USERNAME,
	POLICY_CLIENT_ADDRESS,
	POLICY_CLIENT_NAME,
	POLICY_QUEUE_ID,
	POLICY_INSTANCE,
	POLICY_ATTR_COUNT
};

struct policy_request {
	char value[POLICY_ATTR_COUNT][POLICY_VALUE_MAX + 1]; /* "" when absent */
	unsigned present;                                    /* bit per attribute */
	unsigned overlong;                                   /* bit per attribute */
	unsigned attributes;                                 /* lines in the request */
};

enum policy_parse { POLICY_MORE, POLICY_DONE, POLICY_ERROR };

struct policy_parser {
	struct policy_request req;
	size_t max_request;
	size_t request_bytes;
	char name[POLICY_NAME_MAX + 1];
	size_t name_len;
	int in_value; /* after '=' */
	int attr;     /* kept attribute of this line, or -1 */
	size_t value_len;
	int saw_cr;
};

void policy_parser_init(struct policy_parser *p, size_t max_request);
enum policy_parse policy_parse(struct policy_parser *p, const char *buf, size_t len,
                               size_t *consumed, const char **why);
const struct policy_request *policy_request(const struct policy_parser *p);
void policy_parser_reset(struct policy_parser *p);
int policy_has(const struct policy_request *req, enum policy_attr attr);

#endif
