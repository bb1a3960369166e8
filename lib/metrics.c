/*
 * metrics.c - counters and gauges in Prometheus text format (see metrics.h)
 *
 * The registry is a short fixed list of arrays filled at start-up, before the HTTP
 * thread exists, and never changed afterwards; values are atomics.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "xalloc.h"

#define METRICS_SETS_MAX 16
#define METRICS_PAGE_MAX (256 * 1024)

static struct {
	struct metric *set;
	size_t count;
} metrics_sets[METRICS_SETS_MAX];
static size_t metrics_nsets;
static void (*metrics_collect)(void *);
static void *metrics_collect_arg;

struct metrics_server {
	struct MHD_Daemon *daemon;
};

void
metrics_add(struct metric *m, unsigned long long n)
{
	atomic_fetch_add_explicit(&m->value, (long long)n, memory_order_relaxed);
}

void
metrics_set(struct metric *m, long long value)
{
	atomic_store_explicit(&m->value, value, memory_order_relaxed);
}

void
metrics_register(struct metric *set, size_t count)
{
	if (metrics_nsets < METRICS_SETS_MAX) {
		metrics_sets[metrics_nsets].set = set;
		metrics_sets[metrics_nsets].count = count;
		metrics_nsets++;
	}
}

void
metrics_set_collector(void (*collect)(void *arg), void *arg)
{
	metrics_collect = collect;
	metrics_collect_arg = arg;
}

static size_t
metrics_line(char *buf, size_t size, size_t len, const struct metric *m, const struct metric *prev)
{
	int n = 0;

	if (len >= size || m->name == NULL) /* a slot nobody declared: skip, never crash */
		return len;
	if (prev == NULL || prev->name == NULL || strcmp(prev->name, m->name) != 0)
		n = snprintf(buf + len, size - len, "# HELP %s %s\n# TYPE %s %s\n", m->name,
		             m->help, m->name, m->type == METRIC_COUNTER ? "counter" : "gauge");
	if (n > 0 && (size_t)n < size - len)
		len += (size_t)n;
	n = snprintf(buf + len, size - len,
	             m->labels && *m->labels ? "%s{%s} %lld\n" : "%s%s %lld\n", m->name,
	             m->labels && *m->labels ? m->labels : "",
	             atomic_load_explicit(&m->value, memory_order_relaxed));
	if (n > 0)
		len += (size_t)n;
	return len < size ? len : size - 1;
}

size_t
metrics_render(char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (metrics_collect != NULL)
		metrics_collect(metrics_collect_arg);
	for (size_t s = 0; s < metrics_nsets; s++)
		for (size_t i = 0; i < metrics_sets[s].count; i++)
			len = metrics_line(buf, size, len, &metrics_sets[s].set[i],
			                   i ? &metrics_sets[s].set[i - 1] : NULL);
	return len;
}

static enum MHD_Result
metrics_answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
               const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct MHD_Response *response;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	char *page;
	size_t len;

	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
		page = xstrdup("not found\n");
		len = strlen(page);
		status = MHD_HTTP_NOT_FOUND;
	} else {
		page = xmalloc(METRICS_PAGE_MAX);
		len = metrics_render(page, METRICS_PAGE_MAX);
	}
	response = MHD_create_response_from_buffer(len, page, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(response, "Content-Type", "text/plain; version=0.0.4");
	rc = MHD_queue_response(conn, status, response);
	MHD_destroy_response(response);
	return rc;
}

struct metrics_server *
metrics_listen(const struct config_socket *sock, char *err, size_t errsize)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const struct sockaddr *addr = (const struct sockaddr *)&sin;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct metrics_server *server;

	if (sock->kind != CONFIG_SOCKET_INET) {
		snprintf(err, errsize, "metrics_listen: inet:HOST:PORT expected");
		return NULL;
	}
	sin.sin_port = sin6.sin6_port = htons((uint16_t)sock->port);
	if (inet_pton(AF_INET6, sock->host, &sin6.sin6_addr) == 1) {
		addr = (const struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else if (*sock->host != '\0' && inet_pton(AF_INET, sock->host, &sin.sin_addr) != 1) {
		snprintf(err, errsize, "metrics_listen %s: an IP address is expected", sock->spec);
		return NULL;
	}
	server = xcalloc(1, sizeof(*server));
	server->daemon =
	    MHD_start_daemon(flags, (uint16_t)sock->port, NULL, NULL, metrics_answer, NULL,
	                     MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (server->daemon == NULL) {
		snprintf(err, errsize, "metrics_listen %s: cannot listen", sock->spec);
		free(server);
		return NULL;
	}
	return server;
}

void
metrics_stop(struct metrics_server *server)
{
	if (server == NULL)
		return;
	MHD_stop_daemon(server->daemon);
	free(server);
}
