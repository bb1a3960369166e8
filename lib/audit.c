/*
 * audit.c - the audit trail: one JSON line per change, never for a change that was
 *	not published
 *
 * SYNOPSIS
 *	See audit.h.
 *
 * DESCRIPTION
 *	Lines are spooled in an unlinked temporary file while a change is prepared (a
 *	pull of edg-syncd, an "edgctl suppress"), and copied to the audit log (or syslog,
 *	facility of [log]) by audit_publish() once Redis holds the change; audit_discard()
 *	drops them when it failed. So the trail never claims a change readers never saw,
 *	and a million-entry first sync costs disk, not memory. Each line: {"time", "kind",
 *	"op" (added, changed, removed), "address", "reason", "id"}; quotes, backslashes and
 *	control bytes are escaped.
 *
 *	The file is opened for append, mode 0640; audit_reopen() (SIGHUP) closes and
 *	opens it again, for logrotate. A write error is logged once per stretch and the
 *	lines are counted as lost in the return value of audit_publish().
 *
 *	A daemon that opens the file as root and then drops to its user gives the file
 *	to that user first (audit_give()): else the reopen after a rotation would fail
 *	on a file root created. The new file a rotation leaves is logrotate's to create
 *	with that owner ("create 0640 edg edg", conf/logrotate/edg-syncd).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "timefmt.h"
#include "xalloc.h"

struct audit {
	char *path; /* NULL: syslog */
	FILE *file;
	FILE *spool;
	size_t spooled;
	int failing;
};

static FILE *
audit_open_file(const char *path, char *err, size_t errsize)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
		snprintf(err, errsize, "audit log %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

struct audit *
audit_open(const char *target, char *err, size_t errsize)
{
	struct audit *audit = xcalloc(1, sizeof(*audit));

	if (strcmp(target, "syslog") != 0) {
		audit->path = xstrdup(target);
		if ((audit->file = audit_open_file(target, err, errsize)) == NULL) {
			audit_close(audit);
			return NULL;
		}
	}
	return audit;
}

int
audit_reopen(struct audit *audit, char *err, size_t errsize)
{
	FILE *f;

	if (audit->path == NULL)
		return 0;
	if ((f = audit_open_file(audit->path, err, errsize)) == NULL)
		return -1;
	fclose(audit->file);
	audit->file = f;
	return 0;
}

int
audit_give(struct audit *audit, const char *user, char *err, size_t errsize)
{
	struct passwd *pw;

	if (audit->file == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsize, "audit log %s: no user %s to give it to", audit->path, user);
		return -1;
	}
	if (fchown(fileno(audit->file), pw->pw_uid, pw->pw_gid) != 0) {
		snprintf(err, errsize, "audit log %s: chown to %s: %s", audit->path, user,
		         strerror(errno));
		return -1;
	}
	return 0;
}

void
audit_close(struct audit *audit)
{
	if (audit == NULL)
		return;
	if (audit->file != NULL)
		fclose(audit->file);
	if (audit->spool != NULL)
		fclose(audit->spool);
	free(audit->path);
	free(audit);
}

/* A JSON string (or null): quotes, backslashes and control bytes escaped; UTF-8 as is. */
static void
audit_json_string(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",\"%s\":", name);
	if (value == NULL) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			putc(*p, out);
	}
	putc('"', out);
}

void
audit_spool(struct audit *audit, const char *kind, const char *op, const char *address,
            const char *reason, const char *oci_id)
{
	char when[TIMEFMT_SIZE];

	if (audit->spool == NULL && (audit->spool = tmpfile()) == NULL) {
		log_warn("audit: cannot create the spool file");
		return;
	}
	/* Written by hand, not through jansson: a first sync writes a million lines. */
	timefmt_rfc3339(timefmt_now_ms(), when, sizeof(when));
	fprintf(audit->spool, "{\"time\":\"%s\"", when);
	audit_json_string(audit->spool, "kind", kind);
	audit_json_string(audit->spool, "op", op);
	audit_json_string(audit->spool, "address", address);
	audit_json_string(audit->spool, "reason", reason);
	audit_json_string(audit->spool, "id", oci_id);
	fputs("}\n", audit->spool);
	audit->spooled++;
}

static int
audit_emit(struct audit *audit, const char *line)
{
	if (audit->file == NULL) {
		syslog(LOG_INFO, "audit: %s", line);
		return 0;
	}
	return fputs(line, audit->file) < 0 ? -1 : 0;
}

size_t
audit_publish(struct audit *audit)
{
	char line[8192];
	size_t lost = 0;

	if (audit->spool == NULL)
		return 0;
	rewind(audit->spool);
	while (fgets(line, sizeof(line), audit->spool) != NULL)
		lost += audit_emit(audit, line) != 0;
	if (audit->file != NULL && fflush(audit->file) != 0)
		lost = audit->spooled;
	if (lost > 0 && !audit->failing)
		log_warn("audit: %zu of %zu lines could not be written to %s", lost, audit->spooled,
		         audit->path);
	audit->failing = lost > 0;
	audit_discard(audit);
	return lost;
}

size_t
audit_pending(const struct audit *audit)
{
	return audit->spooled;
}

void
audit_discard(struct audit *audit)
{
	if (audit->spool != NULL)
		fclose(audit->spool);
	audit->spool = NULL;
	audit->spooled = 0;
}
