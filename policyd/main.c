/*
 * edg-policyd - Postfix policy server: refuse unapproved senders and suppressed
 *	recipients at RCPT time
 *
 * SYNOPSIS
 *	edg-policyd [-f] [-c FILE] [-h]
 *
 * DESCRIPTION
 *	Answers Postfix's check_policy_service (SMTPD_POLICY_README) from the state
 *	edg-syncd publishes in Redis, through the decisions shared with edg-milter
 *	(lib/decide.c). See docs/edg-policyd.md.
 *
 *	Start-up: read the configuration (-c, default /etc/edg/edg.conf), bind
 *	[policyd] listen, drop root to [policyd] user, then start following Redis.
 *	SIGHUP reloads the configuration: parse, validate, swap; a bad file keeps the
 *	old one (and says why). Decisions, modes, rules, bindings, max_stale and the log
 *	level change at once; the listener and the Redis connection are kept (change
 *	those with a restart). SIGTERM and SIGINT stop.
 *
 *	-f stays in the foreground and logs to stderr; otherwise logs go to syslog. The
 *	daemon does not fork: systemd (or a supervisor) runs it.
 *
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM, 1 when it cannot start (the reason on stderr or syslog).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "policyd.h"
#include "state_metrics.h"
#include "xalloc.h"

static void
policyd_usage(FILE *out)
{
	fprintf(out, "usage: edg-policyd [-f] [-c FILE] [-h]\n"
	             "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	             "  -f       stay in the foreground, log to stderr\n"
	             "  -h       this help\n");
}

static struct policyd_settings *
policyd_settings_new(struct edg_config *cfg)
{
	struct policyd_settings *s = xcalloc(1, sizeof(*s));

	s->cfg = cfg;
	decide_policy_from_config(&s->policy, cfg, &cfg->policyd.daemon);
	return s;
}

static void
policyd_settings_free(struct policyd_settings *s)
{
	if (s == NULL)
		return;
	config_free(s->cfg);
	free(s);
}

void
policyd_reload(struct policyd *pd)
{
	struct edg_config *cfg = config_load(pd->config_path, stderr);

	if (cfg == NULL) {
		log_warnx("reload: %s has errors; keeping the running configuration",
		          pd->config_path);
		return;
	}
	policyd_guard_reconfigure(pd->guard, cfg);
	policyd_settings_free(pd->settings);
	pd->settings = policyd_settings_new(cfg);
	log_set_level(cfg->log.level);
	state_set_max_stale(pd->state, (long)cfg->policyd.daemon.max_stale_ms);
	log_info("reload: configuration %s in force", pd->config_path);
	policyd_guard_announce(cfg);
}

static int
policyd_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void
policyd_start(struct policyd *pd, struct edg_config *cfg)
{
	const struct config_daemon *d = &cfg->policyd.daemon;
	char err[256], owner[256], group[256];
	long limit;

	pd->settings = policyd_settings_new(cfg);
	if ((pd->signal_fd = policyd_signals()) < 0)
		fatal("signalfd");
	daemon_socket_account(d, owner, group, sizeof(owner));
	pd->listen_fd = daemon_listen(&d->listen, owner, group, d->socket_mode, err, sizeof(err));
	if (pd->listen_fd < 0)
		fatalx("listen: %s", err);
	limit = daemon_raise_nofile(cfg->policyd.max_connections + 64);
	if (limit < cfg->policyd.max_connections + 16)
		log_warnx("open files limited to %ld: fewer than max_connections = %ld", limit,
		          cfg->policyd.max_connections);
	if (daemon_drop_privileges(d->user, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if ((pd->state = state_open_config(cfg, (long)d->max_stale_ms, err, sizeof(err))) == NULL)
		fatalx("redis: %s", err);
	pd->guard = policyd_guard_new(cfg);
	policyd_metrics_register();
	state_metrics_register(pd->state);
	if (d->metrics_listen.kind != CONFIG_SOCKET_NONE &&
	    (pd->metrics = metrics_listen(&d->metrics_listen, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	log_info("listening on %s, state from %s (prefix %s)%s", d->listen.spec,
	         cfg->redis.url.text, cfg->redis.prefix,
	         d->mode == CONFIG_MODE_MONITOR ? ", monitor mode: nothing is refused" : "");
	policyd_guard_announce(cfg);
}

int
main(int argc, char **argv)
{
	struct policyd pd = {.config_path = CONFIG_DEFAULT_PATH};
	struct edg_config *cfg;
	int foreground = 0, ch;

	while ((ch = getopt(argc, argv, "c:fh")) != -1) {
		switch (ch) {
		case 'c':
			pd.config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			policyd_usage(stdout);
			return 0;
		default:
			policyd_usage(stderr);
			return 1;
		}
	}
	log_init("edg-policyd", 1, LOG_MAIL);
	if ((cfg = config_load(pd.config_path, stderr)) == NULL)
		fatalx("%s: cannot start with this configuration", pd.config_path);
	log_init("edg-policyd", foreground, cfg->log.facility);
	log_set_level(cfg->log.level);
	policyd_start(&pd, cfg);
	policyd_serve(&pd);
	log_info("stopping: %lld requests, %lld refused, %lld would refuse (monitor), %lld "
	         "tempfail, %lld protocol errors",
	         policyd_counted(PM_REQUESTS), policyd_counted(PM_REJECT), policyd_counted(PM_WARN),
	         policyd_counted(PM_TEMPFAIL), policyd_counted(PM_PROTOCOL_ERRORS));
	metrics_stop(pd.metrics);
	state_close(pd.state);
	policyd_guard_free(pd.guard);
	policyd_settings_free(pd.settings);
	close(pd.listen_fd);
	close(pd.signal_fd);
	return 0;
}
