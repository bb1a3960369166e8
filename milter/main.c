/*
 * edg-milter - libmilter filter: approved senders in From: and the envelope, no mail to
 *	suppressed recipients
 *
 * SYNOPSIS
 *	edg-milter [-f] [-c FILE] [-h]
 *
 * DESCRIPTION
 *	A Sendmail 8 milter for Postfix (smtpd_milters, non_smtpd_milters) and Sendmail.
 *	It refuses an unapproved envelope sender at MAIL FROM and a suppressed
 *	recipient at RCPT TO, and at end of message makes the header From: and the
 *	envelope sender an approved sender of OCI Email Delivery (rewriting them by the
 *	[rewrite] rules, or refusing the message). The decisions are lib/decide.c's,
 *	shared with edg-policyd; the callbacks are in callbacks.c, the From: work in
 *	from.c. See docs/edg-milter.md.
 *
 *	Start-up: read the configuration (-c, default /etc/edg/edg.conf); make sure
 *	descriptors 0, 1 and 2 are open, so that the milter socket never becomes one of
 *	them; open [milter] listen with smfi_opensocket() (a stale unix socket is
 *	removed) and give a unix socket socket_owner, socket_group and socket_mode (and
 *	bind [milter] transport_listen, transport.c, when set); drop root to [milter]
 *	user; then open the state (its Redis follower thread runs as the unprivileged
 *	user) and hand over to smfi_main().
 *
 *	Signals: libmilter stops on SIGTERM, SIGINT and SIGHUP (it treats SIGHUP as
 *	stop), so SIGUSR1 reloads: parse, validate, swap. A bad file keeps the running
 *	configuration (and the log says why). Rules, bindings, modes, default_sender,
 *	the added headers, max_stale and the log level change at once, for messages
 *	that start after the reload; the socket, the user, the timeout and the Redis
 *	connection need a restart.
 *
 *	-f stays in the foreground and logs to stderr; otherwise logs go to syslog.
 *	edg-milter does not fork: systemd (or a supervisor) runs it.
 *
 * DIAGNOSTICS
 *	Exit 0 after a stop signal, 1 when it cannot start (the reason on stderr or in
 *	syslog).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "milter.h"
#include "xalloc.h"

struct state *milter_state;

static pthread_mutex_t milter_settings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct milter_settings *milter_settings_current;
static const char *milter_config_path = CONFIG_DEFAULT_PATH;

static void
milter_usage(FILE *out)
{
	fprintf(out, "usage: edg-milter [-f] [-c FILE] [-h]\n"
	             "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	             "  -f       stay in the foreground, log to stderr\n"
	             "  -h       this help\n"
	             "SIGUSR1 reloads the configuration; SIGTERM, SIGINT and SIGHUP stop.\n");
}

struct milter_settings *
milter_settings_hold(void)
{
	struct milter_settings *settings;

	pthread_mutex_lock(&milter_settings_lock);
	settings = milter_settings_current;
	settings->refs++;
	pthread_mutex_unlock(&milter_settings_lock);
	return settings;
}

void
milter_settings_release(struct milter_settings *settings)
{
	int last;

	if (settings == NULL)
		return;
	pthread_mutex_lock(&milter_settings_lock);
	last = --settings->refs == 0;
	pthread_mutex_unlock(&milter_settings_lock);
	if (last) {
		config_free(settings->cfg);
		free(settings);
	}
}

/* cfg becomes the current configuration; the old one goes with its last message. */
void
milter_settings_install(struct edg_config *cfg)
{
	struct milter_settings *settings = xcalloc(1, sizeof(*settings)), *old;

	settings->refs = 1;
	settings->cfg = cfg;
	decide_policy_from_config(&settings->policy, cfg, &cfg->milter.daemon);
	pthread_mutex_lock(&milter_settings_lock);
	old = milter_settings_current;
	milter_settings_current = settings;
	pthread_mutex_unlock(&milter_settings_lock);
	milter_settings_release(old);
}

void
milter_settings_shutdown(void)
{
	struct milter_settings *old;

	pthread_mutex_lock(&milter_settings_lock);
	old = milter_settings_current;
	milter_settings_current = NULL;
	pthread_mutex_unlock(&milter_settings_lock);
	milter_settings_release(old);
}

static void
milter_reload(void)
{
	struct edg_config *cfg = config_load(milter_config_path, stderr);

	if (cfg == NULL) {
		log_warnx("reload: %s has errors; keeping the running configuration",
		          milter_config_path);
		return;
	}
	log_set_level(cfg->log.level);
	state_set_max_stale(milter_state, (long)cfg->milter.daemon.max_stale_ms);
	milter_settings_install(cfg);
	log_info("reload: configuration %s in force%s", milter_config_path,
	         cfg->milter.daemon.mode == CONFIG_MODE_MONITOR ? " (monitor mode)" : "");
}

/* The only thread that sees SIGUSR1: every other thread has it blocked. */
static void *
milter_reload_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;)
		if (sigwait(set, &sig) == 0 && sig == SIGUSR1)
			milter_reload();
	return NULL;
}

static void
milter_reload_start(void)
{
	static sigset_t set;
	pthread_t thread;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (pthread_create(&thread, NULL, milter_reload_thread, &set) != 0)
		fatalx("cannot start the reload thread");
	pthread_detach(thread);
}

/* Before any thread exists, so that every thread inherits the mask: SIGUSR1 goes to
 * the reload thread's sigwait() only; SIGHUP, SIGTERM and SIGINT to libmilter's signal
 * thread (its sigwait()), never to the Redis follower, where they would kill the
 * process; SIGPIPE nowhere. */
static void
milter_signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A closed 0, 1 or 2 would be reused by the milter socket, and a stray printf to it
 * would then speak the milter protocol. Point any closed one at /dev/null. */
static void
milter_stdio_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int null = open("/dev/null", O_RDWR);

		if (null < 0)
			fatal("/dev/null");
		if (null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
}

static void
milter_socket_open(const struct edg_config *cfg)
{
	const struct config_daemon *d = &cfg->milter.daemon;
	long timeout_s = (long)((cfg->milter.timeout_ms + 999) / 1000);
	char err[256], owner[256], group[256];

	daemon_socket_account(d, owner, group, sizeof(owner));
	milter_transport_open(cfg, owner, group);
	if (smfi_register(milter_desc) != MI_SUCCESS)
		fatalx("smfi_register failed");
	if (smfi_setconn(d->listen.spec) != MI_SUCCESS)
		fatalx("listen %s: libmilter refuses the socket", d->listen.spec);
	if (smfi_settimeout((int)timeout_s) != MI_SUCCESS)
		fatalx("smfi_settimeout %ld failed", timeout_s);
	if (smfi_opensocket(1) != MI_SUCCESS)
		fatalx("listen %s: cannot open the socket", d->listen.spec);
	if (d->listen.kind != CONFIG_SOCKET_UNIX)
		return;
	if (daemon_socket_owner(d->listen.path, owner, group, d->socket_mode, err, sizeof(err)) !=
	    0)
		fatalx("listen %s: %s", d->listen.spec, err);
}

static void
milter_state_open(const struct edg_config *cfg)
{
	char err[256];

	milter_state =
	    state_open_config(cfg, (long)cfg->milter.daemon.max_stale_ms, err, sizeof(err));
	if (milter_state == NULL)
		fatalx("redis: %s", err);
}

static void
milter_start(struct edg_config *cfg)
{
	const struct config_daemon *d = &cfg->milter.daemon;
	char err[256];

	milter_stdio_open();
	milter_socket_open(cfg);
	if (daemon_drop_privileges(d->user, err, sizeof(err)) != 0)
		fatalx("%s", err);
	milter_state_open(cfg);
	milter_metrics_start(cfg);
	milter_settings_install(cfg);
	milter_reload_start();
	milter_transport_start();
	log_info("listening on %s%s%s, state from %s (prefix %s)%s", d->listen.spec,
	         *cfg->milter.transport_listen.spec ? " and transport_maps on " : "",
	         cfg->milter.transport_listen.spec, cfg->redis.url.text, cfg->redis.prefix,
	         d->mode == CONFIG_MODE_MONITOR ? ", monitor mode: nothing is refused or changed"
	                                        : "");
}

int
main(int argc, char **argv)
{
	struct edg_config *cfg;
	int foreground = 0, ch, rc;

	while ((ch = getopt(argc, argv, "c:fh")) != -1) {
		switch (ch) {
		case 'c':
			milter_config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			milter_usage(stdout);
			return 0;
		default:
			milter_usage(stderr);
			return 1;
		}
	}
	milter_signals_block();
	log_init("edg-milter", 1, LOG_MAIL);
	if ((cfg = config_load(milter_config_path, stderr)) == NULL)
		fatalx("%s: cannot start with this configuration", milter_config_path);
	log_init("edg-milter", foreground, cfg->log.facility);
	log_set_level(cfg->log.level);
	milter_start(cfg);
	rc = smfi_main();
	log_info("stopping%s", rc == MI_SUCCESS ? "" : " after a libmilter failure");
	milter_metrics_stop();
	state_close(milter_state);
	milter_settings_shutdown();
	return rc == MI_SUCCESS ? 0 : 1;
}
