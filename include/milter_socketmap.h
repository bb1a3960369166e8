/*
 * milter_socketmap.h - Postfix socketmap protocol: netstring requests in, replies out
 *
 * SYNOPSIS
 *	#include "milter_socketmap.h"
 *
 *	enum milter_socketmap_status milter_socketmap_parse(const char *buf, size_t len,
 *	    struct milter_socketmap_request *out, size_t *consumed, const char **why);
 *	int milter_socketmap_reply(char *out, size_t size, const char *status,
 *	    const char *text);
 *
 * DESCRIPTION
 *	Postfix's socketmap client (socketmap_table(5)) sends "NAME KEY" as a netstring
 *	("LEN:DATA,") and reads one netstring back: "OK VALUE", "NOTFOUND ", "TEMP REASON",
 *	"TIMEOUT REASON" or "PERM REASON". edg-milter answers transport_maps lookups with
 *	it (milter/transport.c).
 *
 *	milter_socketmap_parse() looks at the bytes received so far: MILTER_SOCKETMAP_MORE
 *	when the first netstring is not complete yet, MILTER_SOCKETMAP_REQUEST when out
 *	holds it (name and key, NUL-terminated) and *consumed is its length in buf, or
 *	MILTER_SOCKETMAP_ERROR with *why: a length that is not digits, has more than 5 of
 *	them or exceeds MILTER_SOCKETMAP_DATA_MAX, a missing ',' or ':', a NUL, no space
 *	between name and key, an empty name or key, a name longer than
 *	MILTER_SOCKETMAP_NAME_MAX. The connection is then to be closed. Pure: no I/O, no
 *	allocation, bytes need not be NUL-terminated.
 *
 *	milter_socketmap_reply() writes the netstring "LEN:STATUS TEXT," into out, with
 *	any CR or LF of text replaced by a space, and returns its length, or -1 when
 *	it does not fit in size.
 */
#ifndef EDG_MILTER_SOCKETMAP_H
#define EDG_MILTER_SOCKETMAP_H

#include <stddef.h>

#define MILTER_SOCKETMAP_DATA_MAX 2048 /* longest request data accepted */
#define MILTER_SOCKETMAP_NAME_MAX 64
#define MILTER_SOCKETMAP_WIRE_MAX (MILTER_SOCKETMAP_DATA_MAX + 8) /* with "LEN:" and "," */

enum milter_socketmap_status {
	MILTER_SOCKETMAP_MORE,
	MILTER_SOCKETMAP_REQUEST,
	MILTER_SOCKETMAP_ERROR,
};

struct milter_socketmap_request {
	char name[MILTER_SOCKETMAP_NAME_MAX + 1];
	char key[MILTER_SOCKETMAP_DATA_MAX + 1];
};

enum milter_socketmap_status milter_socketmap_parse(const char *buf, size_t len,
                                                    struct milter_socketmap_request *out,
                                                    size_t *consumed, const char **why);
int milter_socketmap_reply(char *out, size_t size, const char *status, const char *text);

#endif
