/*
 * daemon.c - what every edg daemon does at start (see daemon.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

#define DAEMON_BACKLOG 1024

static int
daemon_listen_inet(const struct config_socket *sock, char *err, size_t errsize)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	char port[16];
	int fd, on = 1, rc;

	snprintf(port, sizeof(port), "%u", sock->port);
	if ((rc = getaddrinfo(*sock->host ? sock->host : NULL, port, &hints, &res)) != 0) {
		snprintf(err, errsize, "%s: %s", sock->spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, DAEMON_BACKLOG) != 0) {
		snprintf(err, errsize, "%s: %s", sock->spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
daemon_socket_owner(const char *path, const char *owner, const char *group, unsigned mode,
                    char *err, size_t errsize)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (*owner != '\0') {
		struct passwd *pw = getpwnam(owner);

		if (pw == NULL) {
			snprintf(err, errsize, "socket_owner %s: no such user", owner);
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (*group != '\0') {
		struct group *gr = getgrnam(group);

		if (gr == NULL) {
			snprintf(err, errsize, "socket_group %s: no such group", group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* The mode first: once the file is another user's, changing it needs CAP_FOWNER. */
	if (chmod(path, mode) != 0) {
		snprintf(err, errsize, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
		snprintf(err, errsize, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
daemon_socket_account(const struct config_daemon *d, char *owner, char *group, size_t size)
{
	struct passwd *pw = geteuid() == 0 ? getpwnam(d->user) : NULL;
	struct group *gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;

	snprintf(owner, size, "%s", *d->socket_owner ? d->socket_owner : pw ? d->user : "");
	snprintf(group, size, "%s", *d->socket_group ? d->socket_group : gr ? gr->gr_name : "");
}

static int
daemon_listen_unix(const struct config_socket *sock, const char *owner, const char *group,
                   unsigned mode, char *err, size_t errsize)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	int fd;

	if (strlen(sock->path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize, "%s: path too long", sock->spec);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock->path);
	if (lstat(sock->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsize, "%s exists and is not a socket", sock->path);
			return -1;
		}
		unlink(sock->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, DAEMON_BACKLOG) != 0) {
		snprintf(err, errsize, "%s: %s", sock->spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (daemon_socket_owner(sock->path, owner, group, mode, err, errsize) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
daemon_listen(const struct config_socket *sock, const char *owner, const char *group, unsigned mode,
              char *err, size_t errsize)
{
	switch (sock->kind) {
	case CONFIG_SOCKET_INET:
	case CONFIG_SOCKET_INET6:
		return daemon_listen_inet(sock, err, errsize);
	case CONFIG_SOCKET_UNIX:
		return daemon_listen_unix(sock, owner, group, mode, err, errsize);
	default:
		snprintf(err, errsize, "no listen socket configured");
		return -1;
	}
}

int
daemon_drop_privileges(const char *user, char *err, size_t errsize)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "user %s: no such user (create it, or set user =)", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errsize, "user %s is root: refusing to run as root", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errsize, "cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errsize, "root privileges could be regained after dropping them");
		return -1;
	}
	return 0;
}

long
daemon_raise_nofile(long wanted)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if ((rlim_t)wanted > rl.rlim_cur) {
		rl.rlim_cur = (rlim_t)wanted < rl.rlim_max ? (rlim_t)wanted : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}
