/*
 * server.c - edg-policyd's event loop: connections, requests, replies
 *
 * DESCRIPTION
 *	One thread, epoll. Each connection carries any number of requests, answered in
 *	order. A connection costs a small struct while idle; the parser (a few KB) is
 *	allocated when a request starts and freed when it is answered, so thousands of
 *	persistent Postfix connections cost little.
 *
 *	Limits, all of them closing the connection (and logged): a request larger than
 *	max_request_size or otherwise malformed (policy_proto.h); no byte for
 *	idle_timeout; a request not complete within POLICYD_REQUEST_TIMEOUT_MS (a
 *	slow-loris client); more than POLICYD_OUTPUT_MAX bytes of replies the peer does
 *	not read; beyond max_connections, new connections are closed at once.
 *	Nothing a peer sends can stop the loop or make it answer another connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "policy_answer.h"
#include "policy_proto.h"
#include "policyd.h"
#include "timefmt.h"
#include "xalloc.h"

#define POLICYD_REQUEST_TIMEOUT_MS 10000
#define POLICYD_OUTPUT_MAX         65536
#define POLICYD_READ_SIZE          4096
#define POLICYD_EVENTS             256

struct conn {
	int fd;
	struct conn *prev, *next;
	struct policy_parser *parser; /* while a request is in progress */
	long long last_active_ms;
	long long request_start_ms;
	char *out; /* replies not yet written */
	size_t out_len;
	int want_out; /* EPOLLOUT is in the connection's epoll interest */
	int queued;   /* in the list of replies to send at the end of this turn */
};

static struct conn *conns;
static long nconns;

/*
 * Replies are sent at the end of a turn of the loop, after the turn's log lines are
 * written (as Redis writes its replies before it sleeps): one write(2) for the log
 * lines of a turn, and a client holding its answer can already read the line.
 */
static struct conn *reply_queue[POLICYD_EVENTS];
static size_t reply_queued;

static void
conn_close(struct policyd *pd, struct conn *c)
{
	if (c->queued)
		for (size_t i = 0; i < reply_queued; i++)
			if (reply_queue[i] == c)
				reply_queue[i] = NULL;
	epoll_ctl(pd->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	free(c->parser);
	free(c->out);
	free(c);
	nconns--;
	policyd_count(PM_CONNECTIONS_OPEN, -1);
}

/* Write what the socket takes of the replies held; -1: give up on the peer. */
static int
conn_write(struct policyd *pd, struct conn *c)
{
	while (c->out_len > 0) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -1;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	/* Only a change of interest costs a system call: most replies go out at once. */
	if (c->want_out != (c->out_len > 0)) {
		struct epoll_event ev = {.events = EPOLLIN | (c->out_len ? EPOLLOUT : 0),
		                         .data.ptr = c};

		c->want_out = c->out_len > 0;
		epoll_ctl(pd->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
	}
	return 0;
}

/* Add a reply to the connection's output, sent by server_send_replies(). */
static int
conn_queue(struct policyd *pd, struct conn *c, const char *data, size_t len)
{
	if (c->out_len + len > POLICYD_OUTPUT_MAX)
		return -1;
	c->out = xrealloc(c->out, c->out_len + len);
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	if (c->queued || c->want_out) /* already waiting: to be sent, or for EPOLLOUT */
		return 0;
	if (reply_queued == POLICYD_EVENTS) /* cannot happen: one event, one connection */
		return conn_write(pd, c);
	c->queued = 1;
	reply_queue[reply_queued++] = c;
	return 0;
}

/* End of a turn: the log lines, then the replies. */
static void
server_send_replies(struct policyd *pd)
{
	log_flush();
	for (size_t i = 0; i < reply_queued; i++) {
		struct conn *c = reply_queue[i];

		if (c == NULL) /* closed meanwhile */
			continue;
		c->queued = 0;
		if (conn_write(pd, c) != 0) {
			reply_queue[i] = NULL;
			conn_close(pd, c);
		}
	}
	reply_queued = 0;
}

static void
server_log_answer(const struct policy_request *req, const struct policy_answer *a)
{
	const struct verdict *v = &a->verdict;
	const char *what = v->would_refuse                 ? "would reject (monitor)"
	                   : v->action == VERDICT_TEMPFAIL ? "tempfail"
	                   : v->action == VERDICT_REDIRECT ? "redirect"
	                                                   : "reject";

	if (!a->refused && v->action != VERDICT_REDIRECT)
		return;
	log_qid(LOG_INFO, req->value[POLICY_QUEUE_ID],
	        "%s: %s from %.100s[%.64s]: sender=<%s> rcpt=<%s> sasl=%.64s reason=%s: %s %s %s",
	        what, a->stage, req->value[POLICY_CLIENT_NAME], req->value[POLICY_CLIENT_ADDRESS],
	        a->sender, a->recipient,
	        *req->value[POLICY_SASL_USERNAME] ? req->value[POLICY_SASL_USERNAME] : "-",
	        decide_reason_name(v->reason), v->code ? v->code : "-", v->dsn ? v->dsn : "-",
	        v->text);
}

static void
server_count(const struct policy_answer *a)
{
	policyd_count(PM_REQUESTS, 1);
	policyd_count_reason(a->verdict.reason);
	if (a->verdict.reason == REASON_GUARD_NOT_ALLOWED)
		policyd_count(PM_GUARD_NOT_ALLOWED, 1);
	else if (a->verdict.reason == REASON_GUARD_REDIRECT)
		policyd_count(PM_GUARD_REDIRECTED, 1);
	if (a->unexpected)
		policyd_count(PM_UNEXPECTED, 1);
	if (a->verdict.would_refuse)
		policyd_count(PM_WARN, 1);
	else if (a->verdict.action == VERDICT_TEMPFAIL)
		policyd_count(PM_TEMPFAIL, 1);
	else if (a->refused)
		policyd_count(PM_REJECT, 1);
	else
		policyd_count(PM_DUNNO, 1);
}

/*
 * Parsers are held only while a request is in progress (idle connections stay small);
 * answered ones wait in a small pool for the next request instead of going back to
 * malloc each time.
 */
#define POLICYD_PARSER_POOL 64
static struct policy_parser *parser_pool[POLICYD_PARSER_POOL];
static size_t parser_pooled;

static struct policy_parser *
parser_get(void)
{
	return parser_pooled > 0 ? parser_pool[--parser_pooled]
	                         : xmalloc(sizeof(struct policy_parser));
}

static void
parser_put(struct policy_parser *p)
{
	if (parser_pooled < POLICYD_PARSER_POOL)
		parser_pool[parser_pooled++] = p;
	else
		free(p);
}

static int
server_answer(struct policyd *pd, struct conn *c)
{
	const struct policy_request *req = policy_request(c->parser);
	struct policy_answer answer;

	struct policy_guard guard = {.count = policyd_guard_count, .arg = pd->guard};

	policy_answer_guarded(&pd->settings->policy, pd->state, &guard, req, &answer);
	if (answer.unexpected)
		log_qid(LOG_NOTICE, req->value[POLICY_QUEUE_ID],
		        "unexpected request=%.64s protocol_state=%.32s sender=<%.100s>: DUNNO",
		        req->value[POLICY_REQUEST], req->value[POLICY_PROTOCOL_STATE],
		        req->value[POLICY_SENDER]);
	server_log_answer(req, &answer);
	server_count(&answer);
	parser_put(c->parser);
	c->parser = NULL;
	return conn_queue(pd, c, answer.reply, strlen(answer.reply));
}

/* Feed bytes to the parser, answering every request they complete. */
static int
server_feed(struct policyd *pd, struct conn *c, const char *buf, size_t len)
{
	while (len > 0) {
		const char *why;
		size_t used;

		if (c->parser == NULL) {
			c->parser = parser_get();
			policy_parser_init(c->parser, pd->settings->cfg->policyd.max_request_size);
			c->request_start_ms = timefmt_monotonic_ms();
		}
		switch (policy_parse(c->parser, buf, len, &used, &why)) {
		case POLICY_ERROR:
			log_warnx("closing a policy connection: %s", why);
			policyd_count(PM_PROTOCOL_ERRORS, 1);
			return -1;
		case POLICY_DONE:
			if (server_answer(pd, c) != 0)
				return -1;
			break;
		case POLICY_MORE:
			break;
		}
		buf += used;
		len -= used;
	}
	return 0;
}

static void
server_read(struct policyd *pd, struct conn *c)
{
	char buf[POLICYD_READ_SIZE];
	ssize_t n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0 || server_feed(pd, c, buf, (size_t)n) != 0) {
			conn_close(pd, c);
			return;
		}
		c->last_active_ms = timefmt_monotonic_ms();
		/* A short read took what there was; epoll (level-triggered) says when more
		 * comes, which saves the read that would only answer EAGAIN. */
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void
server_accept(struct policyd *pd)
{
	for (;;) {
		int fd = accept4(pd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		if (nconns >= pd->settings->cfg->policyd.max_connections) {
			policyd_count(PM_CONNECTIONS_REFUSED, 1);
			close(fd);
			continue;
		}
		struct conn *c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->last_active_ms = timefmt_monotonic_ms();
		c->next = conns;
		if (conns != NULL)
			conns->prev = c;
		conns = c;
		nconns++;
		policyd_count(PM_CONNECTIONS, 1);
		policyd_count(PM_CONNECTIONS_OPEN, 1);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		epoll_ctl(pd->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Close connections idle too long, and requests that take too long to arrive. */
static void
server_sweep(struct policyd *pd)
{
	long long now = timefmt_monotonic_ms();
	long long idle = pd->settings->cfg->policyd.idle_timeout_ms;

	for (struct conn *c = conns, *next; c != NULL; c = next) {
		next = c->next;
		if (now - c->last_active_ms > idle ||
		    (c->parser != NULL && now - c->request_start_ms > POLICYD_REQUEST_TIMEOUT_MS))
			conn_close(pd, c);
	}
}

static void
server_signal(struct policyd *pd)
{
	struct signalfd_siginfo si;

	while (read(pd->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			policyd_reload(pd);
		else
			pd->stop = 1;
	}
}

static void
server_event(struct policyd *pd, struct epoll_event *ev)
{
	struct conn *c = ev->data.ptr;

	if (c == NULL) {
		server_accept(pd);
	} else if ((void *)c == (void *)&pd->signal_fd) {
		server_signal(pd);
	} else if (ev->events & (EPOLLERR | EPOLLHUP) && !(ev->events & EPOLLIN)) {
		conn_close(pd, c);
	} else if (ev->events & EPOLLOUT && conn_write(pd, c) != 0) {
		conn_close(pd, c);
	} else if (ev->events & EPOLLIN) {
		server_read(pd, c);
	}
}

int
policyd_serve(struct policyd *pd)
{
	struct epoll_event events[POLICYD_EVENTS];
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	long long last_sweep = timefmt_monotonic_ms();

	if ((pd->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		fatal("epoll_create1");
	epoll_ctl(pd->epoll_fd, EPOLL_CTL_ADD, pd->listen_fd, &ev);
	ev.data.ptr = &pd->signal_fd;
	epoll_ctl(pd->epoll_fd, EPOLL_CTL_ADD, pd->signal_fd, &ev);
	log_batch(1); /* the refusals of one turn of the loop: one write */
	while (!pd->stop) {
		int n = epoll_wait(pd->epoll_fd, events, POLICYD_EVENTS, 1000);

		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		for (int i = 0; i < n; i++)
			server_event(pd, &events[i]);
		if (timefmt_monotonic_ms() - last_sweep >= 1000) {
			server_sweep(pd);
			policyd_guard_tick(pd->guard, timefmt_now_ms());
			last_sweep = timefmt_monotonic_ms();
		}
		server_send_replies(pd); /* before the loop waits again */
	}
	log_batch(0);
	while (conns != NULL)
		conn_close(pd, conns);
	while (parser_pooled > 0)
		free(parser_pool[--parser_pooled]);
	close(pd->epoll_fd);
	return 0;
}
