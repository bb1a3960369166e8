/*
 * policy_load.c - drive a Postfix policy server with C persistent connections
 *
 * SYNOPSIS
 *	policy_load -s SOCKET [-c CONNS] [-n REQUESTS] [-w WARMUP] [-r KEYSPACE]
 *		    [-f SENDER]
 *
 * DESCRIPTION
 *	Opens CONNS (default 50) connections to the unix socket SOCKET and keeps one
 *	request outstanding on each, like as many smtpd processes: a request is sent,
 *	its reply ("action=...\n\n") read, the next one sent. Requests are the attribute
 *	set Postfix 3.7 sends at RCPT time (about 600 bytes), sender SENDER (default
 *	app@example.com), recipient "u%012d@suppressed.example" with the number uniform
 *	in [OFFSET, OFFSET + KEYSPACE) (default [0, 1)): with bench/state_fill's N suppressions and
 *	KEYSPACE = 2N, half the recipients are suppressed, as with
 *	"redis-benchmark -r 2N HEXISTS ... u__rand_int__@suppressed.example".
 *
 *	The first WARMUP replies (default 10% of REQUESTS) are not measured; the rate
 *	is REQUESTS over the time from the last warm-up reply to the last reply, and
 *	every measured request is timed (CLOCK_MONOTONIC, send to complete reply).
 *	One thread, epoll: on a 2-core machine the load takes one core and the server
 *	the other, as redis-benchmark does against redis-server.
 *
 *	Prints one line:
 *	"requests N seconds S rate R p50_us A p99_us B p999_us C max_us D dunno X
 *	 reject Y other Z" and exits 0; 1 on a connection error or a malformed reply.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_CONNS 1024
#define LOAD_REPLY_MAX 4096

struct load_conn {
	int fd;
	uint64_t rng;
	double sent_at;
	char reply[LOAD_REPLY_MAX];
	size_t reply_len;
};

static const char *load_sender = "app@example.com";
static long long load_keyspace = 1, load_offset;
static long long load_done, load_warmup, load_total, load_sent;
static long long load_dunno, load_reject, load_other;
static double *load_latency;
static double load_start; /* when the warm-up's last reply came */

static double
load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
load_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static int
load_send(struct load_conn *c)
{
	char req[2048];
	long long rcpt = load_offset + (long long)(load_rand(&c->rng) % (uint64_t)load_keyspace);
	int len = snprintf(
	    req, sizeof(req),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
	    "client_address=127.0.0.1\nclient_name=localhost\nclient_port=%d\n"
	    "reverse_client_name=localhost\nserver_address=127.0.0.1\nserver_port=25\n"
	    "helo_name=app.example.com\nsender=%s\nrecipient=u%012lld@suppressed.example\n"
	    "recipient_count=0\nqueue_id=\ninstance=1a2b.656d4c3e.8f9a0.0\nsize=0\n"
	    "etrn_domain=\nstress=\nsasl_method=\nsasl_username=\nsasl_sender=\n"
	    "ccert_subject=\nccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
	    "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n"
	    "policy_context=\ncompatibility_level=3.6\nmail_version=3.7.11\n\n",
	    40000 + c->fd, load_sender, rcpt);

	c->sent_at = load_now();
	c->reply_len = 0;
	load_sent++;
	/* A request is far below the socket buffer: one write sends it whole. */
	return write(c->fd, req, (size_t)len) == len ? 0 : -1;
}

static int
load_reply_done(struct load_conn *c)
{
	double latency = load_now() - c->sent_at;

	if (strncmp(c->reply, "action=DUNNO", 12) == 0)
		load_dunno++;
	else if (strncmp(c->reply, "action=550", 10) == 0)
		load_reject++;
	else if (strncmp(c->reply, "action=", 7) == 0)
		load_other++;
	else
		return -1;
	if (load_done >= load_warmup)
		load_latency[load_done - load_warmup] = latency;
	load_done++;
	if (load_done == load_warmup)
		load_start = load_now();
	return 0;
}

/* Read what is there; 1 when the reply is complete, 0 when more is to come, -1 on error. */
static int
load_read(struct load_conn *c)
{
	ssize_t n = read(c->fd, c->reply + c->reply_len, sizeof(c->reply) - 1 - c->reply_len);

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	c->reply_len += (size_t)n;
	c->reply[c->reply_len] = '\0';
	if (c->reply_len >= 2 && memcmp(c->reply + c->reply_len - 2, "\n\n", 2) == 0)
		return 1;
	return c->reply_len + 1 >= sizeof(c->reply) ? -1 : 0;
}

static int
load_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror(path);
		return -1;
	}
	return fd;
}

static int
load_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
load_pct(long long n, double p)
{
	long long i = (long long)(p * (double)n);

	return load_latency[i >= n ? n - 1 : i] * 1e6;
}

static int
load_run(struct load_conn *conns, int nconn)
{
	struct epoll_event ev[LOAD_MAX_CONNS];
	long long goal = load_warmup + load_total;
	int ep = epoll_create1(0);

	load_start = load_now();
	for (int i = 0; i < nconn; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.ptr = &conns[i]};

		if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &e) != 0 || load_send(&conns[i]) != 0)
			return -1;
	}
	while (load_done < goal) {
		int n = epoll_wait(ep, ev, nconn, 5000);

		if (n <= 0) {
			fprintf(stderr, "policy_load: no reply for 5 s\n");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct load_conn *c = ev[i].data.ptr;
			int r = load_read(c);

			if (r < 0 || (r == 1 && load_reply_done(c) != 0)) {
				fprintf(stderr, "policy_load: bad reply or connection lost\n");
				return -1;
			}
			if (r == 1 && load_sent < goal && load_send(c) != 0)
				return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL;
	int nconn = 50, opt;
	struct load_conn *conns;

	load_total = 100000;
	load_warmup = -1;
	while ((opt = getopt(argc, argv, "s:c:n:w:r:o:f:")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'c': nconn = atoi(optarg); break;
		case 'n': load_total = atoll(optarg); break;
		case 'w': load_warmup = atoll(optarg); break;
		case 'r': load_keyspace = atoll(optarg); break;
		case 'o': load_offset = atoll(optarg); break;
		case 'f': load_sender = optarg; break;
		default: return 2;
		}
	}
	if (path == NULL || nconn < 1 || nconn > LOAD_MAX_CONNS || load_total < 1 ||
	    load_keyspace < 1) {
		fprintf(stderr, "usage: policy_load -s SOCKET [-c CONNS] [-n REQUESTS] "
		                "[-w WARMUP] [-r KEYSPACE] [-o OFFSET] [-f SENDER]\n");
		return 2;
	}
	if (load_warmup < 0)
		load_warmup = load_total / 10;
	load_latency = calloc((size_t)load_total, sizeof(*load_latency));
	conns = calloc((size_t)nconn, sizeof(*conns));
	if (load_latency == NULL || conns == NULL)
		return 1;
	for (int i = 0; i < nconn; i++) {
		if ((conns[i].fd = load_connect(path)) < 0)
			return 1;
		conns[i].rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
	}
	if (load_run(conns, nconn) != 0)
		return 1;
	{
		double seconds = load_now() - load_start;

		qsort(load_latency, (size_t)load_total, sizeof(*load_latency), load_cmp);
		printf("requests %lld seconds %.3f rate %.0f p50_us %.1f p99_us %.1f p999_us %.1f "
		       "max_us %.1f dunno %lld reject %lld other %lld\n",
		       load_total, seconds, (double)load_total / seconds, load_pct(load_total, 0.50),
		       load_pct(load_total, 0.99), load_pct(load_total, 0.999),
		       load_latency[load_total - 1] * 1e6, load_dunno, load_reject, load_other);
	}
	return 0;
}
