/*
 * log.h - one line per event, to syslog or stderr, never a secret
 *
 * SYNOPSIS
 *	void log_init(const char *progname, int to_stderr, int facility);
 *	int  log_facility_parse(const char *name);      -1: unknown
 *	int  log_level_parse(const char *name);         -1: unknown
 *	void log_set_level(int priority);
 *	void log_secret_add(const char *secret);
 *	void log_secret_clear(void);
 *	void log_batch(int on);
 *	void log_flush(void);
 *
 *	void log_debug(const char *fmt, ...);
 *	void log_info(const char *fmt, ...);
 *	void log_notice(const char *fmt, ...);
 *	void log_warn(const char *fmt, ...);            appends ": strerror(errno)"
 *	void log_warnx(const char *fmt, ...);
 *	void log_qid(int priority, const char *queue_id, const char *fmt, ...);
 *	void fatal(const char *fmt, ...);               log_warn, then exit(1)
 *	void fatalx(const char *fmt, ...);              log_warnx, then exit(1)
 *
 * DESCRIPTION
 *	Before log_init() lines go to stderr. log_init() with to_stderr set (daemons
 *	under -f, edgctl) writes "progname: level: text" to stderr; otherwise syslog
 *	with the given facility (LOG_MAIL by default, like Postfix).
 *
 *	log_qid() prefixes the Postfix queue id ("4Fx1yZ2abc: ...") when it is known
 *	(NULL or "" means unknown), so a decision can be found next to Postfix's lines.
 *
 *	Every line is made safe before it leaves: control characters (CR, LF, NUL from a
 *	peer) become '?', the password in any "scheme://user:password@" becomes "*****",
 *	and each string registered with log_secret_add() (passphrases, Redis passwords,
 *	SMTP credentials) is replaced by "*****" wherever it appears. Secrets shorter than
 *	3 bytes cannot be masked usefully and are refused by the configuration.
 *	Lines longer than LOG_LINE_MAX are cut and end in "...".
 *
 *	log_batch(1) (stderr only; one thread only: edg-policyd's event loop) keeps
 *	lines in a buffer until log_flush(), which the loop calls before it waits again,
 *	so that the refusals of one loop turn cost one write(2), not one each; a full
 *	buffer is flushed first. log_batch(0), fatal() and fatalx() flush.
 *
 *	fatal() and fatalx() are for start-up and impossible states only: nothing a peer
 *	sends may reach them.
 *
 *	All functions but log_batch() and log_flush() are safe to call from several
 *	threads (the milter's).
 */
#ifndef EDG_LOG_H
#define EDG_LOG_H

#include <syslog.h>

#define LOG_LINE_MAX 2048

void log_init(const char *progname, int to_stderr, int facility);
int log_facility_parse(const char *name);
int log_level_parse(const char *name);
void log_set_level(int priority);
void log_secret_add(const char *secret);
void log_secret_clear(void);
void log_batch(int on);
void log_flush(void);

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_notice(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_qid(int priority, const char *queue_id, const char *fmt, ...) LOG_PRINTF(3, 4);
void fatal(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/* Make one line safe for a log (exposed for the tests): see DESCRIPTION. */
void log_sanitize(char *line, size_t size);

#endif
