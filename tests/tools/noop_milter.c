/*
 * noop_milter.c - a libmilter milter that decides nothing: the floor of a libmilter design
 *
 * SYNOPSIS
 *	noop_milter SOCKET
 *
 * DESCRIPTION
 *	The baseline of bench/run.sh (configuration "c"): it negotiates exactly what
 *	edg-milter negotiates (milter/callbacks.c) and registers the same callbacks, so
 *	that Postfix runs the same protocol steps against it:
 *
 *	negotiate	actions ADDHDRS|CHGHDRS|CHGFROM|DELRCPT; steps HELO, DATA, end of
 *			headers, body and unknown commands off; no reply for connect and
 *			header; the macros {client_addr} at connect, i and {auth_authen} at
 *			MAIL FROM, i at RCPT and at end of message.
 *	connect		allocates the per-connection data (smfi_setpriv), as edg-milter does.
 *	envfrom		allocates the per-message data and reads the macros i and
 *			{auth_authen}; continue.
 *	envrcpt		reads i; continue.
 *	header		no reply.
 *	eom		reads i, frees the per-message data; continue (no change).
 *	abort, close	free the message; close also the connection.
 *
 *	Its negotiation reply is edg-milter's byte for byte (version 6, actions 0x159,
 *	steps 0x13d2, the same four macro lists; seen with strace against Postfix 3.7).
 *
 *	What it leaves out is exactly edg's own work: address canonicalisation, the
 *	state lookups and decisions, the From: parser and the log lines.
 *
 *	SOCKET is libmilter's syntax (unix:/path, inet:PORT@HOST). Runs in the
 *	foreground until SIGTERM; exits 1 when the socket cannot be opened.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOOP_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGFROM | SMFIF_DELRCPT)
#define NOOP_STEPS_OFF (SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH)
#define NOOP_NO_REPLY (SMFIP_NR_CONN | SMFIP_NR_HDR)

struct noop_msg {
	char queue_id[32];
	char sasl_login[256];
};

struct noop_conn {
	struct noop_msg *msg;
};

/* libmilter takes a macro name as char *: these are the names it is given. */
static char noop_macro_queue_id[] = "i", noop_macro_auth_authen[] = "{auth_authen}";

/* A macro's value copied (bounded) into buf, the way edg-milter copies it. */
static void
noop_macro(SMFICTX *ctx, char *name, char *buf, size_t size)
{
	const char *value = smfi_getsymval(ctx, name);
	size_t len = value != NULL ? strnlen(value, size - 1) : 0;

	if (len > 0)
		memcpy(buf, value, len);
	buf[len] = '\0';
}

static void
noop_msg_free(struct noop_conn *conn)
{
	if (conn == NULL)
		return;
	free(conn->msg);
	conn->msg = NULL;
}

static sfsistat
noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
               unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
               unsigned long *pf3)
{
	(void)f2, (void)f3;
	if ((f0 & NOOP_ACTIONS) != NOOP_ACTIONS || (f1 & NOOP_NO_REPLY) != NOOP_NO_REPLY)
		return SMFIS_REJECT;
	*pf0 = NOOP_ACTIONS | (f0 & SMFIF_SETSYMLIST);
	*pf1 = (NOOP_STEPS_OFF & f1) | NOOP_NO_REPLY;
	*pf2 = *pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		static char connect_macros[] = "{client_addr} _", mail_macros[] = "i {auth_authen}",
		            queue_id_macro[] = "i";

		smfi_setsymlist(ctx, SMFIM_CONNECT, connect_macros);
		smfi_setsymlist(ctx, SMFIM_ENVFROM, mail_macros);
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, queue_id_macro);
		smfi_setsymlist(ctx, SMFIM_EOM, queue_id_macro);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
noop_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	struct noop_conn *conn = calloc(1, sizeof(*conn));

	(void)hostname, (void)hostaddr;
	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	smfi_setpriv(ctx, conn);
	return SMFIS_NOREPLY;
}

static sfsistat
noop_envfrom(SMFICTX *ctx, char **argv)
{
	struct noop_conn *conn = smfi_getpriv(ctx);

	(void)argv;
	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	noop_msg_free(conn);
	if ((conn->msg = calloc(1, sizeof(*conn->msg))) == NULL)
		return SMFIS_TEMPFAIL;
	noop_macro(ctx, noop_macro_queue_id, conn->msg->queue_id, sizeof(conn->msg->queue_id));
	noop_macro(ctx, noop_macro_auth_authen, conn->msg->sasl_login,
	           sizeof(conn->msg->sasl_login));
	return SMFIS_CONTINUE;
}

static sfsistat
noop_envrcpt(SMFICTX *ctx, char **argv)
{
	struct noop_conn *conn = smfi_getpriv(ctx);

	(void)argv;
	if (conn == NULL || conn->msg == NULL)
		return SMFIS_TEMPFAIL;
	noop_macro(ctx, noop_macro_queue_id, conn->msg->queue_id, sizeof(conn->msg->queue_id));
	return SMFIS_CONTINUE;
}

static sfsistat
noop_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx, (void)name, (void)value;
	return SMFIS_NOREPLY;
}

static sfsistat
noop_eom(SMFICTX *ctx)
{
	struct noop_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL || conn->msg == NULL)
		return SMFIS_TEMPFAIL;
	noop_macro(ctx, noop_macro_queue_id, conn->msg->queue_id, sizeof(conn->msg->queue_id));
	noop_msg_free(conn);
	return SMFIS_CONTINUE;
}

static sfsistat
noop_abort(SMFICTX *ctx)
{
	noop_msg_free(smfi_getpriv(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat
noop_close(SMFICTX *ctx)
{
	struct noop_conn *conn = smfi_getpriv(ctx);

	noop_msg_free(conn);
	free(conn);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static char noop_name[] = "noop-milter";

static struct smfiDesc noop_desc = {
    .xxfi_name = noop_name,
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = NOOP_ACTIONS,
    .xxfi_connect = noop_connect,
    .xxfi_envfrom = noop_envfrom,
    .xxfi_envrcpt = noop_envrcpt,
    .xxfi_header = noop_header,
    .xxfi_eom = noop_eom,
    .xxfi_abort = noop_abort,
    .xxfi_close = noop_close,
    .xxfi_negotiate = noop_negotiate,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: noop_milter SOCKET\n");
		return 2;
	}
	if (strncmp(argv[1], "unix:", 5) == 0)
		unlink(argv[1] + 5);
	if (smfi_register(noop_desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "noop_milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
