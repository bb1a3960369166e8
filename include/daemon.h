/*
 * daemon.h - what every edg daemon does at start: listen, drop root, raise limits
 *
 * SYNOPSIS
 *	int daemon_listen(const struct config_socket *sock, const char *owner,
 *	    const char *group, unsigned mode, char *err, size_t errsize);
 *	int daemon_socket_owner(const char *path, const char *owner,
 *	    const char *group, unsigned mode, char *err, size_t errsize);
 *	void daemon_socket_account(const struct config_daemon *d, char *owner,
 *	    char *group, size_t size);
 *	int daemon_drop_privileges(const char *user, char *err, size_t errsize);
 *	long daemon_raise_nofile(long wanted);
 *
 * DESCRIPTION
 *	daemon_listen() opens a listening, non-blocking, close-on-exec socket for an
 *	"inet:HOST:PORT" (IPv4 or IPv6; SO_REUSEADDR) or "unix:PATH" spec. A unix socket
 *	replaces a stale socket file (never another kind of file), then gets owner,
 *	group (names; "" keeps them) and mode, so a chrooted Postfix smtpd can be given
 *	access to exactly it. Returns the descriptor, or -1 with a reason in err.
 *
 *	daemon_socket_owner() gives an existing unix socket file that owner, group
 *	("" keeps them) and mode; for sockets a library created (edg-milter's
 *	smfi_opensocket()). 0, or -1 with a reason in err. The mode is set before the
 *	owner, so root needs CAP_CHOWN but not CAP_FOWNER.
 *
 *	daemon_socket_account() fills owner and group for the two functions above from
 *	a daemon's socket_owner and socket_group, an empty one meaning the user the
 *	daemon runs as (d->user) and its primary group, when running as root ("" when
 *	not root, or when that user does not exist: daemon_drop_privileges() reports it).
 *
 *	daemon_drop_privileges() switches to user (its primary group, no supplementary
 *	groups) when running as root, and checks that root cannot be regained. Not root:
 *	nothing to do, 0. Unknown user or a failed switch: -1, and the caller exits:
 *	running as root by mistake is worse than not running.
 *
 *	daemon_raise_nofile() raises the soft RLIMIT_NOFILE towards wanted (at most the
 *	hard limit) and returns the limit in force.
 */
#ifndef EDG_DAEMON_H
#define EDG_DAEMON_H

#include <stddef.h>

#include "config.h"

int daemon_listen(const struct config_socket *sock, const char *owner, const char *group,
                  unsigned mode, char *err, size_t errsize);
int daemon_socket_owner(const char *path, const char *owner, const char *group, unsigned mode,
                        char *err, size_t errsize);
void daemon_socket_account(const struct config_daemon *d, char *owner, char *group, size_t size);
int daemon_drop_privileges(const char *user, char *err, size_t errsize);
long daemon_raise_nofile(long wanted);

#endif
