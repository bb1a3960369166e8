/*
 * audit.h - the audit trail of state changes (edg-syncd, edgctl)
 *
 * SYNOPSIS
 *	#include "audit.h"
 *
 *	struct audit *audit_open(const char *target, char *err, size_t errsize);
 *	int  audit_reopen(struct audit *audit, char *err, size_t errsize);
 *	int  audit_give(struct audit *audit, const char *user, char *err,
 *	    size_t errsize);
 *	void audit_close(struct audit *audit);
 *	void audit_spool(struct audit *audit, const char *kind, const char *op,
 *	    const char *address, const char *reason, const char *oci_id);
 *	size_t audit_publish(struct audit *audit);
 *	size_t audit_pending(const struct audit *audit);
 *	void audit_discard(struct audit *audit);
 *
 * DESCRIPTION
 *	One JSON line per change: {"time", "kind" (sender, domain, suppression), "op"
 *	(added, changed, removed), "address", "reason", "id"}; reason and id are null
 *	when NULL is passed. target is an absolute path (opened for append, mode 0640)
 *	or "syslog". audit_spool() keeps a line aside; audit_publish() writes every
 *	spooled line once the change it describes is in Redis and returns how many could
 *	not be written; audit_discard() drops them (the change was not published).
 *	audit_reopen() opens the file again (logrotate, on SIGHUP). audit_give() makes
 *	user (and its group) the owner of the file when running as root (nothing to do
 *	otherwise, or for syslog), so that user can reopen it after dropping root.
 *
 * OWNERSHIP
 *	The caller closes what audit_open() returned (NULL is fine); strings are copied.
 *
 * DIAGNOSTICS
 *	audit_open() returns NULL, audit_reopen() and audit_give() -1, with a reason in err. Write
 *	errors are logged (log_warn) once per stretch of failures.
 */
#ifndef EDG_AUDIT_H
#define EDG_AUDIT_H

#include <stddef.h>

struct audit;

struct audit *audit_open(const char *target, char *err, size_t errsize);
int audit_reopen(struct audit *audit, char *err, size_t errsize);
int audit_give(struct audit *audit, const char *user, char *err, size_t errsize);
void audit_close(struct audit *audit);
void audit_spool(struct audit *audit, const char *kind, const char *op, const char *address,
                 const char *reason, const char *oci_id);
size_t audit_publish(struct audit *audit);
/* Lines spooled and not yet published or discarded. */
size_t audit_pending(const struct audit *audit);
void audit_discard(struct audit *audit);

#endif
