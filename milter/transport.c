/*
 * transport.c - edg-milter's socketmap for Postfix transport_maps: a suppressed
 *	recipient is bounced alone, whatever path the message came by
 *
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	void milter_transport_open(const struct edg_config *cfg, const char *owner,
 *	    const char *group);
 *	void milter_transport_start(void);
 *
 * DESCRIPTION
 *	With [milter] transport_listen set, Postfix is configured with
 *
 *		transport_maps = socketmap:unix:/run/edg/transport.sock:transport
 *
 *	and asks, for every recipient it resolves (smtpd, sendmail(1), pickup, forwarded
 *	and re-queued mail alike), "transport ADDRESS". A suppressed recipient gets
 *	"OK error:5.1.1 <r> is suppressed by OCI Email Delivery (REASON since DATE); ...",
 *	so Postfix's error(8) agent bounces that recipient with that text and delivers
 *	the others; a recipient not suppressed, and any key that is not an address (Postfix
 *	also asks for the domain and its parents), gets "NOTFOUND ", so the other
 *	transport_maps and the relayhost apply; state unavailable beyond max_stale gives
 *	"TEMP" (Postfix defers the recipient) or, with on_state_error = accept, NOTFOUND.
 *	In monitor mode nothing is bounced and "would bounce" is logged. The decision is
 *	decide_recipient(), as at RCPT time.
 *
 *	milter_transport_open() binds the socket (before privileges are dropped; a unix
 *	socket gets owner, group and [milter] socket_mode, like the milter socket).
 *	milter_transport_start() serves it from one thread: poll() over the listener and
 *	at most MILTER_TRANSPORT_CONNS persistent connections, each with a buffer of one
 *	request at most (lib/milter_socketmap.c parses); a malformed request, one that
 *	does not fit, or MILTER_TRANSPORT_IDLE_S seconds of silence close the connection.
 *	Replies are written with a 5 s send timeout.
 *
 * DIAGNOSTICS
 *	A socket that cannot be bound is fatal at start. Protocol errors and refused
 *	connections are logged; every bounce (and would-be bounce) is logged with the
 *	recipient and reason, a TEMP answer at notice.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "milter_socketmap.h"
#include "xalloc.h"

#define MILTER_TRANSPORT_CONNS  64
#define MILTER_TRANSPORT_IDLE_S 600

struct milter_transport_conn {
	int fd; /* -1: free slot */
	time_t last;
	size_t len;
	char buf[MILTER_SOCKETMAP_WIRE_MAX];
};

static int milter_transport_fd = -1;

void
milter_transport_open(const struct edg_config *cfg, const char *owner, const char *group)
{
	const struct config_socket *sock = &cfg->milter.transport_listen;
	char err[256];

	if (sock->kind == CONFIG_SOCKET_NONE)
		return;
	milter_transport_fd =
	    daemon_listen(sock, owner, group, cfg->milter.daemon.socket_mode, err, sizeof(err));
	if (milter_transport_fd < 0)
		fatalx("transport_listen %s: %s", sock->spec, err);
}

/* The answer to one lookup: status word, text in text. */
static const char *
milter_transport_lookup(const struct milter_socketmap_request *req, char *text, size_t size)
{
	char canon[ADDR_MAX];
	struct milter_settings *settings;
	struct verdict v;
	const char *status = "NOTFOUND";

	*text = '\0';
	if (strcmp(req->name, "transport") != 0) {
		snprintf(text, size, "edg answers only the map name transport");
		return "PERM";
	}
	if (strchr(req->key, '@') == NULL || *req->key == '@' ||
	    addr_canon(req->key, strlen(req->key), canon, sizeof(canon), NULL) != ADDR_OK)
		return status;
	settings = milter_settings_hold();
	decide_recipient(&settings->policy, milter_state, canon, &v);
	if (v.action == VERDICT_REJECT) {
		snprintf(text, size, "error:%s %s", v.dsn, v.text);
		status = "OK";
	} else if (v.action == VERDICT_TEMPFAIL) {
		snprintf(text, size, "%s", v.text);
		status = "TEMP";
	}
	milter_count_transport(&v);
	if (v.action != VERDICT_PASS || v.would_refuse)
		log_qid(v.action == VERDICT_TEMPFAIL ? LOG_NOTICE : LOG_INFO, NULL,
		        "transport: %s rcpt=<%s> reason=%s: %s %s %s",
		        v.would_refuse                 ? "would bounce (monitor)"
		        : v.action == VERDICT_TEMPFAIL ? "defer"
		                                       : "bounce",
		        canon, decide_reason_name(v.reason), v.code ? v.code : "",
		        v.dsn ? v.dsn : "", v.text);
	milter_settings_release(settings);
	return status;
}

static void
milter_transport_close(struct milter_transport_conn *conn)
{
	close(conn->fd);
	conn->fd = -1;
	conn->len = 0;
}

static int
milter_transport_answer(struct milter_transport_conn *conn,
                        const struct milter_socketmap_request *req)
{
	char text[DECIDE_TEXT_MAX + 32], reply[DECIDE_TEXT_MAX + 64];
	const char *status = milter_transport_lookup(req, text, sizeof(text));
	int len = milter_socketmap_reply(reply, sizeof(reply), status, text);

	if (len < 0)
		len = milter_socketmap_reply(reply, sizeof(reply), "TEMP", "reply too long");
	for (int off = 0; off < len;) {
		ssize_t n = write(conn->fd, reply + off, (size_t)(len - off));

		if (n <= 0)
			return -1;
		off += (int)n;
	}
	return 0;
}

/* Read what is there and answer every complete request; -1: close the connection. */
static int
milter_transport_read(struct milter_transport_conn *conn)
{
	struct milter_socketmap_request req;
	const char *why = NULL;
	size_t used;
	ssize_t n = read(conn->fd, conn->buf + conn->len, sizeof(conn->buf) - conn->len);

	if (n <= 0)
		return -1;
	conn->len += (size_t)n;
	conn->last = time(NULL);
	for (;;) {
		switch (milter_socketmap_parse(conn->buf, conn->len, &req, &used, &why)) {
		case MILTER_SOCKETMAP_MORE:
			if (conn->len < sizeof(conn->buf))
				return 0;
			why = "request too long";
			/* FALLTHROUGH */
		case MILTER_SOCKETMAP_ERROR:
			log_warnx("transport: closing a connection: %s", why);
			return -1;
		case MILTER_SOCKETMAP_REQUEST:
			if (milter_transport_answer(conn, &req) != 0)
				return -1;
			memmove(conn->buf, conn->buf + used, conn->len - used);
			conn->len -= used;
		}
	}
}

static void
milter_transport_accept(struct milter_transport_conn *conns)
{
	struct timeval send_timeout = {.tv_sec = 5};
	int fd = accept4(milter_transport_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < MILTER_TRANSPORT_CONNS; i++) {
		if (conns[i].fd != -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
		conns[i].fd = fd;
		conns[i].len = 0;
		conns[i].last = time(NULL);
		return;
	}
	log_warnx("transport: %d connections already, refusing another", MILTER_TRANSPORT_CONNS);
	close(fd);
}

/* One poll() round over the listener and the connections. */
static void
milter_transport_poll(struct milter_transport_conn *conns)
{
	struct pollfd fds[1 + MILTER_TRANSPORT_CONNS];
	size_t slot[1 + MILTER_TRANSPORT_CONNS], n = 1;
	time_t now = time(NULL);

	fds[0] = (struct pollfd){.fd = milter_transport_fd, .events = POLLIN};
	for (size_t i = 0; i < MILTER_TRANSPORT_CONNS; i++) {
		if (conns[i].fd == -1)
			continue;
		if (now - conns[i].last > MILTER_TRANSPORT_IDLE_S) {
			milter_transport_close(&conns[i]);
			continue;
		}
		fds[n] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
		slot[n++] = i;
	}
	if (poll(fds, n, 10000) <= 0)
		return;
	for (size_t j = 1; j < n; j++)
		if (fds[j].revents != 0 && milter_transport_read(&conns[slot[j]]) != 0)
			milter_transport_close(&conns[slot[j]]);
	if (fds[0].revents & POLLIN)
		milter_transport_accept(conns);
}

static void *
milter_transport_thread(void *arg)
{
	struct milter_transport_conn *conns = arg;

	for (;;)
		milter_transport_poll(conns);
	return NULL;
}

void
milter_transport_start(void)
{
	struct milter_transport_conn *conns;
	pthread_t thread;

	if (milter_transport_fd < 0)
		return;
	conns = xcalloc(MILTER_TRANSPORT_CONNS, sizeof(*conns));
	for (size_t i = 0; i < MILTER_TRANSPORT_CONNS; i++)
		conns[i].fd = -1;
	if (pthread_create(&thread, NULL, milter_transport_thread, conns) != 0)
		fatalx("cannot start the transport_maps thread");
	pthread_detach(thread);
}
