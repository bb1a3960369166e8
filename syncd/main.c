/*
 * edg-syncd - copy approved senders, domains and suppressions from OCI into Redis
 *
 * SYNOPSIS
 *	edg-syncd [-f] [-c FILE] [--once] [--dry-run] [-h]
 *
 * DESCRIPTION
 *	The only edg process holding OCI API credentials. It pulls from the OCI Email
 *	Delivery control plane (signed REST calls) and publishes to Redis by the schema
 *	of docs/redis-schema.md, which edg-policyd and edg-milter follow. Schedule
 *	([syncd]): senders and domains every sender_interval, suppressions every
 *	suppression_interval (incremental), a full reconcile every reconcile_interval.
 *	Nothing was ever published: a full sync first.
 *
 *	Several edg-syncd may share one Redis: only the holder of the lease {p}:lock
 *	(lock_ttl, renewed while working) pulls; the others wait and take over within
 *	the lease's lifetime when the holder dies. OCI sees no duplicate traffic.
 *
 *	--once     one full cycle (senders, domains, a suppression reconcile; or the full
 *	           sync), then exit: 0 when it succeeded, 1 when not.
 *	--dry-run  print what would change ("added suppression x@y HARDBOUNCE"), write
 *	           nothing to Redis or the audit log; implies --once.
 *	-f         foreground, log to stderr; on a terminal, long pulls show their progress.
 *
 *	SIGHUP reloads the configuration (parse, validate, swap; a bad file keeps the old
 *	one) and reopens the audit log (logrotate). SIGTERM and SIGINT stop after the
 *	page in flight, never leaving half a publication: a pull either publishes whole
 *	or not at all.
 *
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM (or a successful --once), 1 on a start-up error or a failed
 *	--once. Errors name the HTTP status, OCI's code and message and opc-request-id.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "syncd.h"
#include "timefmt.h"
#include "xalloc.h"

static volatile sig_atomic_t syncd_got_stop, syncd_got_reload;

static void
syncd_on_signal(int signo)
{
	if (signo == SIGHUP)
		syncd_got_reload = 1;
	else
		syncd_got_stop = 1;
}

static void
syncd_usage(FILE *out)
{
	fprintf(out, "usage: edg-syncd [-f] [-c FILE] [--once] [--dry-run] [-h]\n"
	             "  -c FILE    configuration file (default " CONFIG_DEFAULT_PATH ")\n"
	             "  -f         stay in the foreground, log to stderr\n"
	             "  --once     one full cycle, then exit (0: it succeeded)\n"
	             "  --dry-run  print what would change, write nothing (implies --once)\n");
}

static void
syncd_signals(void)
{
	struct sigaction sa = {.sa_handler = syncd_on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* 1: this process holds the lease (renewed when a third of it has passed). */
int
syncd_lease(struct syncd *sd)
{
	long long now = timefmt_monotonic_ms(), ttl = sd->cfg->syncd.lock_ttl_ms;
	char err[256];
	int held;

	sd->stop = syncd_got_stop;
	if (sd->leader && now - sd->lease_renewed_ms < ttl / 3)
		return 1;
	held = state_writer_lock(sd->writer, sd->owner, (long)ttl, err, sizeof(err));
	if (held < 0)
		log_warnx("lease: %s", err);
	if (held == 1 && !sd->leader)
		log_info("lease: %s pulls from OCI now", sd->owner);
	if (held == 0 && sd->leader)
		log_warnx("lease: lost to another edg-syncd");
	sd->leader = held == 1;
	syncd_metrics_leader(sd->leader);
	if (sd->leader)
		sd->lease_renewed_ms = now;
	return held;
}

void
syncd_status(struct syncd *sd, const char *what, const struct syncd_result *res)
{
	char now[TIMEFMT_SIZE], k1[64], k2[64], k3[64], items[32], lost[32], err[256];
	const char *fields[14];
	size_t n = 0;

	syncd_metrics_cycle(what, res, timefmt_monotonic_ms() - sd->cycle_started_ms);
	sd->cycle_started_ms = timefmt_monotonic_ms();
	if (sd->dry_run)
		return;
	timefmt_rfc3339(timefmt_now_ms(), now, sizeof(now));
	snprintf(k1, sizeof(k1), "%s_last_attempt", what);
	snprintf(k2, sizeof(k2), res->ok ? "%s_last_success" : "%s_last_failure", what);
	snprintf(k3, sizeof(k3), "%s_items", what);
	snprintf(items, sizeof(items), "%zu", res->items);
	fields[n++] = k1, fields[n++] = now;
	fields[n++] = k2, fields[n++] = now;
	fields[n++] = "leader", fields[n++] = sd->owner;
	fields[n++] = "region", fields[n++] = sd->cfg->oci.region;
	snprintf(lost, sizeof(lost), "%llu", sd->audit_lost);
	fields[n++] = "audit_lines_lost", fields[n++] = lost;
	if (res->ok)
		fields[n++] = k3, fields[n++] = items;
	else
		fields[n++] = "last_error", fields[n++] = sd->last_error;
	if (state_writer_status(sd->writer, fields, n, err, sizeof(err)) != 0)
		log_warnx("status: %s", err);
	if (res->ok)
		log_info("%s: %zu listed, %zu added, %zu changed, %zu removed%s", what, res->items,
		         res->added, res->changed, res->removed,
		         res->rewrote ? " (new generation)" : "");
}

struct syncd_schedule {
	long long senders, suppressions, reconcile;
};

/* One wake-up: whatever is due. Returns 0, or -1 when something failed. */
static int
syncd_run_due(struct syncd *sd, struct syncd_schedule *next, int everything)
{
	const struct edg_config *cfg = sd->cfg;
	long long now = timefmt_monotonic_ms();
	struct syncd_result res;
	char err[256];
	long long gen = state_writer_generation(sd->writer, err, sizeof(err));
	int rc = 0;

	sd->cycle_started_ms = now;
	if (gen < 0) {
		log_warnx("redis: %s", err);
		return -1;
	}
	if (gen == 0) {
		rc = syncd_full_sync(sd, &res);
		syncd_status(sd, "full_sync", &res);
		next->senders = now + cfg->syncd.sender_interval_ms;
		next->suppressions = now + cfg->syncd.suppression_interval_ms;
		next->reconcile = now + cfg->syncd.reconcile_interval_ms;
		return rc;
	}
	if (everything || now >= next->senders) {
		rc |= syncd_senders_cycle(sd, &res);
		syncd_status(sd, "senders", &res);
		next->senders = now + cfg->syncd.sender_interval_ms;
	}
	if (everything || now >= next->reconcile) {
		rc |= syncd_suppressions_cycle(sd, 1, &res);
		syncd_status(sd, "reconcile", &res);
		next->reconcile = now + cfg->syncd.reconcile_interval_ms;
		next->suppressions = now + cfg->syncd.suppression_interval_ms;
	} else if (now >= next->suppressions) {
		rc |= syncd_suppressions_cycle(sd, 0, &res);
		syncd_status(sd, "suppressions", &res);
		next->suppressions = now + cfg->syncd.suppression_interval_ms;
	}
	return rc;
}

/* 1: a new configuration is in force; 0: the old one runs on (the file has errors). */
static int
syncd_reload(struct syncd *sd)
{
	struct edg_config *cfg = config_load(sd->config_path, stderr);
	char err[256];

	syncd_got_reload = 0;
	if (audit_reopen(sd->audit, err, sizeof(err)) != 0)
		log_warnx("%s", err);
	if (cfg == NULL) {
		log_warnx("reload: %s has errors; keeping the running configuration",
		          sd->config_path);
		return 0;
	}
	/* Schedule, lease and log settings change now; credentials and Redis at restart. */
	config_free(sd->cfg);
	sd->cfg = cfg;
	log_set_level(cfg->log.level);
	log_info("reload: configuration %s in force", sd->config_path);
	return 1;
}

/*
 * After a reload nothing waits longer than its new interval from now: a shortened
 * interval (or a new compartment list, read at the next senders cycle) is in force at
 * once, not after the old, longer wait.
 */
static void
syncd_reschedule(const struct syncd *sd, struct syncd_schedule *next)
{
	const struct edg_config *cfg = sd->cfg;
	long long now = timefmt_monotonic_ms();

	if (next->senders > now + cfg->syncd.sender_interval_ms)
		next->senders = now + cfg->syncd.sender_interval_ms;
	if (next->suppressions > now + cfg->syncd.suppression_interval_ms)
		next->suppressions = now + cfg->syncd.suppression_interval_ms;
	if (next->reconcile > now + cfg->syncd.reconcile_interval_ms)
		next->reconcile = now + cfg->syncd.reconcile_interval_ms;
}

/* edgctl sync --now: a request in {p}:status not yet served (its value in req). */
static int
syncd_sync_requested(struct syncd *sd, char *req, size_t size)
{
	char served[32], err[256];

	if (state_writer_status_get(sd->writer, "sync_requested", req, size, err, sizeof(err)) !=
	        0 ||
	    state_writer_status_get(sd->writer, "sync_served", served, sizeof(served), err,
	                            sizeof(err)) != 0)
		return 0;
	return *req != '\0' && strcmp(req, served) != 0;
}

static void
syncd_sleep_until(struct syncd *sd, const struct syncd_schedule *next)
{
	char req[32];
	unsigned passes = 0;

	long long now = timefmt_monotonic_ms(), wake = next->senders;

	if (next->suppressions < wake)
		wake = next->suppressions;
	if (next->reconcile < wake)
		wake = next->reconcile;
	if (wake > now + sd->cfg->syncd.lock_ttl_ms / 3)
		wake = now + sd->cfg->syncd.lock_ttl_ms / 3;
	/* Redis unreachable: not again before the writer's jittered delay (no busy loop). */
	if (wake < now + state_writer_retry_ms(sd->writer))
		wake = now + state_writer_retry_ms(sd->writer);
	while (!syncd_got_stop && !syncd_got_reload && timefmt_monotonic_ms() < wake) {
		struct timespec pause = {0, 100 * 1000000};

		nanosleep(&pause, NULL);
		if (++passes % 10 == 0 && sd->leader && syncd_sync_requested(sd, req, sizeof(req)))
			break; /* about once a second: an operator asked for a cycle now */
	}
}

/* The lease is ours: what is due, or everything when edgctl sync --now asked. */
static int
syncd_leader_turn(struct syncd *sd, struct syncd_schedule *next, int once)
{
	char req[32], err[256];
	const char *served[] = {"sync_served", req};
	int asked = syncd_sync_requested(sd, req, sizeof(req)), rc;

	rc = syncd_run_due(sd, next, once || asked);
	if (asked && state_writer_status(sd->writer, served, 2, err, sizeof(err)) != 0)
		log_warnx("status: %s", err);
	return rc;
}

static int
syncd_loop(struct syncd *sd, int once)
{
	struct syncd_schedule next = {0, 0, 0};
	int standby_logged = 0, rc = 0;

	while (!syncd_got_stop) {
		if (syncd_got_reload && syncd_reload(sd))
			syncd_reschedule(sd, &next);
		switch (syncd_lease(sd)) {
		case 1:
			standby_logged = 0;
			rc = syncd_leader_turn(sd, &next, once);
			break;
		case 0:
			if (!standby_logged++)
				log_info("lease: another edg-syncd pulls from OCI; standing by");
			rc = once ? -1 : 0;
			break;
		default:
			rc = -1;
			break;
		}
		if (once)
			break;
		syncd_sleep_until(sd, &next);
	}
	/* Hand over at once rather than after the lease expires. */
	if (sd->leader)
		state_writer_unlock(sd->writer, sd->owner);
	return once ? rc : 0;
}

static void
syncd_start(struct syncd *sd)
{
	const struct edg_config *cfg = sd->cfg;
	char err[512], host[64] = "localhost";

	if ((sd->api = oci_api_from_config(cfg, err, sizeof(err))) == NULL)
		fatalx("oci: %s", err);
	sd->writer = state_writer_open(&cfg->redis.url, cfg->redis.prefix,
	                               (long)cfg->redis.connect_timeout_ms,
	                               (long)cfg->redis.command_timeout_ms, err, sizeof(err));
	if (sd->writer == NULL)
		fatalx("redis: %s", err);
	if ((sd->audit = audit_open(sd->dry_run ? "syslog" : cfg->syncd.audit_log, err,
	                            sizeof(err))) == NULL)
		fatalx("%s", err);
	if (audit_give(sd->audit, cfg->syncd.user, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (daemon_drop_privileges(cfg->syncd.user, err, sizeof(err)) != 0)
		fatalx("%s", err);
	syncd_metrics_register();
	if (cfg->syncd.metrics_listen.kind != CONFIG_SOCKET_NONE &&
	    (sd->metrics = metrics_listen(&cfg->syncd.metrics_listen, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	gethostname(host, sizeof(host) - 1);
	snprintf(sd->owner, sizeof(sd->owner), "%s:%ld", host, (long)getpid());
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"once", no_argument, NULL, 'o'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct syncd sd = {.config_path = CONFIG_DEFAULT_PATH};
	int foreground = 0, once = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			sd.config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'o':
			once = 1;
			break;
		case 'n':
			sd.dry_run = once = 1;
			break;
		case 'h':
			syncd_usage(stdout);
			return 0;
		default:
			syncd_usage(stderr);
			return 1;
		}
	}
	log_init("edg-syncd", 1, LOG_MAIL);
	if ((sd.cfg = config_load(sd.config_path, stderr)) == NULL)
		fatalx("%s: cannot start with this configuration", sd.config_path);
	log_init("edg-syncd", foreground || once, sd.cfg->log.facility);
	sd.progress = (foreground || once) && isatty(STDERR_FILENO);
	log_set_level(sd.cfg->log.level);
	syncd_signals();
	syncd_start(&sd);
	rc = syncd_loop(&sd, once);
	metrics_stop(sd.metrics);
	state_writer_close(sd.writer);
	oci_api_free(sd.api);
	audit_close(sd.audit);
	config_free(sd.cfg);
	return rc == 0 ? 0 : 1;
}
