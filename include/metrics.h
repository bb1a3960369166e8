/*
 * metrics.h - counters and gauges in Prometheus text format, over HTTP (libmicrohttpd)
 *
 * SYNOPSIS
 *	void metrics_add(struct metric *m, unsigned long long n);
 *	void metrics_set(struct metric *m, long long value);
 *	void metrics_register(struct metric *set, size_t count);
 *	void metrics_set_collector(void (*collect)(void *arg), void *arg);
 *	size_t metrics_render(char *buf, size_t size);
 *	struct metrics_server *metrics_listen(const struct config_socket *sock,
 *	    char *err, size_t errsize);
 *	void metrics_stop(struct metrics_server *server);
 *
 * DESCRIPTION
 *	A daemon declares its metrics as static arrays of struct metric (name, help,
 *	type, a label set such as "verdict=\"reject\",reason=\"recipient-suppressed\""),
 *	registers each array once at start, and bumps them with metrics_add() (counters)
 *	or metrics_set() (gauges) from any thread: values are atomics, so the HTTP thread
 *	reads them while the daemon writes. Metrics of one name must be registered
 *	together (one array, consecutive), so "# HELP" and "# TYPE" are written once.
 *
 *	metrics_set_collector() names a function called before each rendering, to set
 *	gauges that are cheaper to read on demand (state age, view size). It runs on the
 *	HTTP thread: it must only read thread-safe things.
 *
 *	metrics_render() writes the exposition (text format 0.0.4) and returns its
 *	length (cut at size - 1). metrics_listen() serves it at GET /metrics on an
 *	"inet:HOST:PORT" socket (metrics_listen settings) from its own thread; anything
 *	else gets 404. NULL with a reason in err when it cannot listen.
 */
#ifndef EDG_METRICS_H
#define EDG_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#include "config.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metric {
	const char *name;
	const char *help;
	enum metric_type type;
	const char *labels; /* NULL or "" for none */
	_Atomic long long value;
};

#define METRIC_COUNTER_INIT(n, h, l)                                                               \
	{                                                                                          \
		.name = (n), .help = (h), .type = METRIC_COUNTER, .labels = (l)                    \
	}
#define METRIC_GAUGE_INIT(n, h, l)                                                                 \
	{                                                                                          \
		.name = (n), .help = (h), .type = METRIC_GAUGE, .labels = (l)                      \
	}

struct metrics_server;

void metrics_add(struct metric *m, unsigned long long n);
void metrics_set(struct metric *m, long long value);
void metrics_register(struct metric *set, size_t count);
void metrics_set_collector(void (*collect)(void *arg), void *arg);
size_t metrics_render(char *buf, size_t size);
struct metrics_server *metrics_listen(const struct config_socket *sock, char *err, size_t errsize);
void metrics_stop(struct metrics_server *server);

#endif
