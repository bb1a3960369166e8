/*
 * config_parse.h - helpers shared by the value parsers (internal to lib/config_*.c)
 *
 *	config_digits() reads the leading decimal digits of text (at most 18: no
 *	overflow) into *value and returns where they end, or NULL when there are none.
 *	config_hostport_parse() splits "host[:port]" (IPv6 in brackets) into a copy of
 *	host, which the caller frees (also on failure), and port (default_port when
 *	absent; absent is an error when default_port is 0): 0, or -1 when malformed.
 *	config_unix_path_valid() says whether path may name a unix socket (absolute,
 *	short enough for sockaddr_un).
 *	config_format_quantity() writes a duration (ms) or a size (bytes) of a key of
 *	that type with the largest unit that divides it ("1m", "512KB").
 */
#ifndef EDG_CONFIG_PARSE_H
#define EDG_CONFIG_PARSE_H

#include <stddef.h>

#include "config.h"

const char *config_digits(const char *text, unsigned long long *value);
int config_hostport_parse(const char *text, unsigned default_port, char **host, unsigned *port);
int config_unix_path_valid(const char *path);
void config_format_quantity(enum config_type type, long long value, char *buf, size_t size);

#endif
