/*
 * cmd_postfix_config.c - edgctl postfix-config: the Postfix settings that put edg in front
 * of OCI Email Delivery, for one region
 *
 * SYNOPSIS
 *	edgctl postfix-config --region REGION [--port 587|465|25] [--main | --master]
 *	    [--policyd SOCKET] [--milter SOCKET] [--per-minute N]
 *
 * DESCRIPTION
 *	Prints the main.cf and master.cf snippets (both, or only the one asked for) that
 *	relay everything to [smtp.email.REGION.oci.oraclecloud.com]:PORT over verified TLS
 *	with SASL AUTH PLAIN, ask edg-policyd at RCPT time and edg-milter for every message,
 *	keep messages under OCI's size limit and pace deliveries through a dedicated "oci"
 *	transport. Each setting is commented; docs/postfix.md explains them.
 *
 *	This file holds the only copy of the text: conf/postfix/main.cf and master.cf are
 *	its output for us-ashburn-1, port 587 (tests/integration/e2e_config.sh fails when
 *	they differ), and the end-to-end tests load the printed main.cf into their Postfix.
 *
 *	Port 465 gives the implicit-TLS variant (smtp_tls_wrappermode = yes). --policyd and
 *	--milter name the Postfix side of the daemons' sockets (defaults: the daemons'
 *	default listeners). --per-minute N paces deliveries for an account allowed N
 *	messages a minute (a trial account: 10); without it deliveries are not paced and
 *	OCI's 455 replies make Postfix defer and retry.
 *
 * DIAGNOSTICS
 *	Exit 0 with the text on standard output, 2 on a usage error (one line on stderr).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgctl.h"

/*
 * The template. A line starting with "465|" is printed only for port 465, one with
 * "starttls|" only for 587 and 25; "paced|" and "unpaced|" depend on --per-minute.
 * {region}, {port}, {policyd}, {milter}, {delay} are replaced.
 */
static const char postfix_main_cf[] =
    "# edg: Postfix main.cf settings for relaying through OCI Email Delivery\n"
    "# Region {region}, port {port}. Printed by \"edgctl postfix-config --region {region}"
    " --port {port}\";\n"
    "# docs/postfix.md explains every line. Merge into /etc/postfix/main.cf, then\n"
    "# \"postfix check && postfix reload\".\n"
    "\n"
    "# --- Relay: everything not local goes to OCI, through the \"oci\" transport (master.cf)\n"
    "relayhost = [smtp.email.{region}.oci.oraclecloud.com]:{port}\n"
    "default_transport = oci\n"
    "\n"
    "# --- TLS to OCI: always encrypted and the certificate verified against the public CAs;\n"
    "# the name must match the relay host (nexthop). OCI requires TLS 1.2 or later.\n"
    "smtp_tls_security_level = secure\n"
    "smtp_tls_secure_cert_match = nexthop\n"
    "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"
    "smtp_tls_mandatory_protocols = >=TLSv1.2\n"
    "smtp_tls_protocols = >=TLSv1.2\n"
    "smtp_tls_loglevel = 1\n"
    "465|# Port 465: TLS from the first byte (implicit TLS) instead of STARTTLS.\n"
    "465|smtp_tls_wrappermode = yes\n"
    "\n"
    "# --- SASL: OCI offers only AUTH PLAIN, and only after TLS. sasl_passwd (mode 0600,\n"
    "# owner root) holds one line: [smtp.email.{region}.oci.oraclecloud.com]:{port}"
    " USERNAME:PASSWORD\n"
    "# with the SMTP credentials generated for an OCI user. texthash: needs no postmap;\n"
    "# \"postfix reload\" after a change.\n"
    "smtp_sasl_auth_enable = yes\n"
    "smtp_sasl_password_maps = texthash:/etc/postfix/sasl_passwd\n"
    "smtp_sasl_mechanism_filter = plain\n"
    "smtp_sasl_security_options = noanonymous\n"
    "smtp_sasl_tls_security_options = noanonymous\n"
    "\n"
    "# --- Size: OCI refuses over 2 MB counting headers and base64 (552 Exceeds byte\n"
    "# limit); refuse at the gateway, with room for the headers Postfix and edg add.\n"
    "message_size_limit = 2000000\n"
    "\n"
    "# --- SMTP smuggling: accept bare LF from applications but never as end of DATA.\n"
    "smtpd_forbid_bare_newline = normalize\n"
    "smtpd_forbid_bare_newline_exclusions =\n"
    "\n"
    "# --- Who may relay: this list runs first, for every RCPT. A permit here ends only\n"
    "# this list; reject_unauth_destination stops everyone else relaying.\n"
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,"
    " reject_unauth_destination\n"
    "\n"
    "# --- edg-policyd at RCPT time, after the relay check above (so it judges only mail\n"
    "# Postfix would relay): refuses unapproved senders (550 5.7.1) and suppressed\n"
    "# recipients (550 5.1.1) before any data. No permit_mynetworks or\n"
    "# permit_sasl_authenticated before it in this list: a permit would end the list, and\n"
    "# the applications relaying through this host are exactly the clients to check.\n"
    "smtpd_recipient_restrictions = check_policy_service {policyd}\n"
    "smtpd_policy_service_timeout = 10s\n"
    "smtpd_policy_service_try_limit = 2\n"
    "smtpd_policy_service_default_action = 451 4.3.5 Policy service unavailable, try again"
    " later\n"
    "\n"
    "# --- edg-milter: rewrites From: and the envelope sender to approved senders, checks\n"
    "# local submissions (sendmail(1)) too. Down or silent: 4xx, the client keeps the mail.\n"
    "smtpd_milters = {milter}\n"
    "non_smtpd_milters = {milter}\n"
    "milter_default_action = tempfail\n"
    "milter_protocol = 6\n"
    "milter_connect_macros = j {daemon_name} {daemon_addr} {client_addr} v _\n"
    "milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host}"
    " {mail_mailer}\n"
    "milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}\n"
    "milter_end_of_data_macros = i\n"
    "\n"
    "# --- Pace of the oci transport. OCI counts each recipient as one email and answers\n"
    "# 455 past its per-minute limit; Postfix then defers and retries (nothing is lost).\n"
    "unpaced|oci_destination_concurrency_limit = 10\n"
    "unpaced|oci_destination_rate_delay = 0s\n"
    "paced|# --per-minute: one delivery every {delay}, one at a time.\n"
    "paced|oci_destination_concurrency_limit = 1\n"
    "paced|oci_destination_rate_delay = {delay}\n"
    "oci_destination_recipient_limit = 50\n"
    "oci_destination_concurrency_failed_cohort_limit = 10\n";

static const char postfix_master_cf[] =
    "# edg: Postfix master.cf entry for relaying through OCI Email Delivery\n"
    "# Printed by \"edgctl postfix-config --region {region} --port {port}\"; docs/postfix.md.\n"
    "# Append to /etc/postfix/master.cf; main.cf sets default_transport = oci.\n"
    "#\n"
    "# service type  private unpriv  chroot  wakeup  maxproc command + args\n"
    "oci       unix  -       -       y       -       20      smtp\n"
    "  -o syslog_name=postfix/oci\n";

struct postfix_vars {
	const char *region, *port, *policyd, *milter;
	char delay[32];
	int implicit_tls, paced;
};

/* The value of {name}, or NULL for a brace that is not a variable (a milter macro). */
static const char *
postfix_var(const struct postfix_vars *vars, const char *name, size_t len)
{
	static const char *const names[] = {"region", "port", "policyd", "milter", "delay"};
	const char *values[] = {vars->region, vars->port, vars->policyd, vars->milter, vars->delay};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return values[i];
	return NULL;
}

/* Whether a line's condition prefix (already stripped into cond) holds. */
static int
postfix_line_wanted(const struct postfix_vars *vars, const char *cond, size_t len)
{
	if (len == 0)
		return 1;
	if (strncmp(cond, "465", len) == 0)
		return vars->implicit_tls;
	if (strncmp(cond, "starttls", len) == 0)
		return !vars->implicit_tls;
	if (strncmp(cond, "paced", len) == 0)
		return vars->paced;
	if (strncmp(cond, "unpaced", len) == 0)
		return !vars->paced;
	return 0;
}

static void
postfix_print_line(const struct postfix_vars *vars, const char *line, size_t len, FILE *out)
{
	for (size_t i = 0; i < len; i++) {
		const char *close, *value;

		if (line[i] == '{' && (close = memchr(line + i, '}', len - i)) != NULL &&
		    (value = postfix_var(vars, line + i + 1, (size_t)(close - line) - i - 1)) !=
		        NULL) {
			fputs(value, out);
			i = (size_t)(close - line);
		} else {
			fputc(line[i], out);
		}
	}
	fputc('\n', out);
}

static void
postfix_print(const struct postfix_vars *vars, const char *template, FILE *out)
{
	for (const char *p = template; *p != '\0';) {
		const char *end = strchr(p, '\n');
		const char *bar = memchr(p, '|', (size_t)(end - p));
		const char *text = p;
		size_t cond_len = 0;

		if (bar != NULL &&
		    strspn(p, "0123456789abcdefghijklmnopqrstuvwxyz") == (size_t)(bar - p)) {
			cond_len = (size_t)(bar - p);
			text = bar + 1;
		}
		if (postfix_line_wanted(vars, p, cond_len))
			postfix_print_line(vars, text, (size_t)(end - text), out);
		p = end + 1;
	}
}

static int
postfix_region_ok(const char *region)
{
	size_t len = strlen(region);

	return len > 0 && len <= 64 &&
	       strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") == len && region[0] != '-' &&
	       region[len - 1] != '-';
}

/* A Postfix smtpd socket: inet:HOST:PORT or unix:PATH, no blanks (they end the value). */
static int
postfix_socket_ok(const char *socket)
{
	return (strncmp(socket, "inet:", 5) == 0 || strncmp(socket, "unix:", 5) == 0) &&
	       strlen(socket) > 5 && strlen(socket) < 256 && strpbrk(socket, " \t\r\n,") == NULL;
}

static int
postfix_usage(FILE *out, int status)
{
	fputs(
	    "usage: edgctl postfix-config --region REGION [--port 587|465|25] [--main | --master]\n"
	    "           [--policyd SOCKET] [--milter SOCKET] [--per-minute N]\n"
	    "\n"
	    "Print the Postfix main.cf and master.cf settings for relaying through OCI Email\n"
	    "Delivery in REGION with edg-policyd and edg-milter in front (docs/postfix.md).\n"
	    "\n"
	    "  --region REGION   OCI region identifier, e.g. us-ashburn-1\n"
	    "  --port PORT       587 (default) or 25: STARTTLS; 465: implicit TLS\n"
	    "  --main, --master  print only that file's part\n"
	    "  --policyd SOCKET  how Postfix reaches edg-policyd (default inet:127.0.0.1:10040)\n"
	    "  --milter SOCKET   how Postfix reaches edg-milter (default inet:127.0.0.1:10041)\n"
	    "  --per-minute N    pace deliveries for an account allowed N messages a minute\n",
	    out);
	return status;
}

static int
postfix_usage_error(const char *what)
{
	fprintf(stderr, "edgctl postfix-config: %s\n", what);
	return postfix_usage(stderr, EDGCTL_USAGE);
}

int
cmd_postfix_config(int argc, char **argv, const char *config_path)
{
	static const struct option longopts[] = {{"region", required_argument, NULL, 'r'},
	                                         {"port", required_argument, NULL, 'p'},
	                                         {"main", no_argument, NULL, 'M'},
	                                         {"master", no_argument, NULL, 'S'},
	                                         {"policyd", required_argument, NULL, 'P'},
	                                         {"milter", required_argument, NULL, 'm'},
	                                         {"per-minute", required_argument, NULL, 'n'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	struct postfix_vars vars = {
	    NULL, "587", "inet:127.0.0.1:10040", "inet:127.0.0.1:10041", "0s", 0, 0};
	int ch, main_only = 0, master_only = 0;
	long per_minute = 0;
	char *end;

	(void)config_path;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			vars.region = optarg;
			break;
		case 'p':
			vars.port = optarg;
			break;
		case 'M':
			main_only = 1;
			break;
		case 'S':
			master_only = 1;
			break;
		case 'P':
			vars.policyd = optarg;
			break;
		case 'm':
			vars.milter = optarg;
			break;
		case 'n':
			per_minute = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || per_minute < 1 ||
			    per_minute > 1000000)
				return postfix_usage_error(
				    "--per-minute takes a number from 1 to 1000000");
			break;
		case 'h':
			return postfix_usage(stdout, EDGCTL_OK);
		default:
			return postfix_usage(stderr, EDGCTL_USAGE);
		}
	}
	if (optind != argc)
		return postfix_usage_error("unexpected arguments");
	if (vars.region == NULL || !postfix_region_ok(vars.region))
		return postfix_usage_error(
		    "--region needs a region identifier such as us-ashburn-1");
	if (strcmp(vars.port, "587") != 0 && strcmp(vars.port, "465") != 0 &&
	    strcmp(vars.port, "25") != 0)
		return postfix_usage_error("--port is 587, 465 or 25 (the ports OCI listens on)");
	if (main_only && master_only)
		return postfix_usage_error("--main and --master exclude each other");
	if (!postfix_socket_ok(vars.policyd) || !postfix_socket_ok(vars.milter))
		return postfix_usage_error(
		    "--policyd and --milter take inet:HOST:PORT or unix:PATH");
	vars.implicit_tls = strcmp(vars.port, "465") == 0;
	/* Postfix paces in whole seconds here; at 60 or more a minute, pacing is by OCI's 455. */
	if (per_minute > 0 && per_minute < 60) {
		vars.paced = 1;
		snprintf(vars.delay, sizeof(vars.delay), "%lds",
		         (60 + per_minute - 1) / per_minute);
	}
	if (!master_only)
		postfix_print(&vars, postfix_main_cf, stdout);
	if (!main_only && !master_only)
		fputs("\n", stdout);
	if (!main_only)
		postfix_print(&vars, postfix_master_cf, stdout);
	return fflush(stdout) == 0 ? EDGCTL_OK : EDGCTL_FAIL;
}
