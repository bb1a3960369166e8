/*
 * noop_policy.c - a Postfix policy server that decides nothing: the floor of a policy hop
 *
 * SYNOPSIS
 *	noop_policy SOCKET_PATH
 *
 * DESCRIPTION
 *	The baseline of bench/run.sh's configuration "g": listens on the unix socket
 *	SOCKET_PATH (mode 0666), keeps any number of persistent connections (one thread,
 *	epoll, like edg-policyd) and answers every request (attribute lines up to an
 *	empty line) with "action=DUNNO\n\n", without parsing it. What it leaves out is
 *	exactly edg-policyd's own work: parsing, canonical addresses, state lookups,
 *	decisions, log lines and counters. Runs until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct noop_conn {
	int fd;
	int newlines; /* consecutive '\n' at the end of what was read */
};

/* Read what is there and answer every complete request; 0 when the connection ends. */
static int
noop_read(struct noop_conn *c)
{
	static const char reply[] = "action=DUNNO\n\n";
	char buf[16384];
	ssize_t n;

	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n <= 0)
			return 0;
		for (ssize_t i = 0; i < n; i++) {
			c->newlines = buf[i] == '\n' ? c->newlines + 1 : 0;
			if (c->newlines == 2 &&
			    write(c->fd, reply, sizeof(reply) - 1) != (ssize_t)sizeof(reply) - 1)
				return 0;
		}
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct epoll_event ev[256], e = {.events = EPOLLIN, .data.ptr = NULL};
	int lfd, ep;

	if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: noop_policy SOCKET_PATH\n");
		return 2;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    chmod(argv[1], 0666) != 0 || listen(lfd, 512) != 0) {
		perror(argv[1]);
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		int n = epoll_wait(ep, ev, 256, -1);

		for (int i = 0; i < n; i++) {
			struct noop_conn *c = ev[i].data.ptr;

			if (c == NULL) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event ce = {.events = EPOLLIN};

					if ((c = calloc(1, sizeof(*c))) == NULL) {
						close(fd);
						continue;
					}
					c->fd = fd;
					ce.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
				}
			} else if (!noop_read(c)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				free(c);
			}
		}
	}
}
