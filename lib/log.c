/*
 * log.c - one line per event, to syslog or stderr, never a secret
 *
 * See log.h. The secret list is guarded by a mutex so the milter's threads may log
 * while SIGUSR1 reloads the configuration; each line is built in a stack buffer and
 * written with one call, so lines from threads never interleave.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#define LOG_SECRETS_MAX 16
#define LOG_SECRET_MIN  3
#define LOG_REDACTED    "*****"
#define LOG_PREFIX_MAX  64 /* "progname: level: " */

static const char *log_progname = "edg";
static int log_to_stderr = 1;
static int log_level = LOG_INFO;

/* Lines waiting for log_flush() while batching (one thread only: see log.h). */
static char log_batch_buf[16384];
static size_t log_batch_len;
static int log_batching;

static pthread_mutex_t log_secret_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_secrets[LOG_SECRETS_MAX];

static const struct {
	const char *name;
	int value;
} log_facilities[] =
    {
        {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
        {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
        {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
        {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
},
  log_levels[] = {
      {"debug", LOG_DEBUG},     {"info", LOG_INFO}, {"notice", LOG_NOTICE},
      {"warning", LOG_WARNING}, {"error", LOG_ERR},
};

void
log_init(const char *progname, int to_stderr, int facility)
{
	log_progname = progname;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(progname, LOG_PID | LOG_NDELAY, facility);
}

int
log_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (strcasecmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].value;
	return -1;
}

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++)
		if (strcasecmp(name, log_levels[i].name) == 0)
			return log_levels[i].value;
	return -1;
}

void
log_set_level(int priority)
{
	log_level = priority;
}

void
log_secret_add(const char *secret)
{
	if (secret == NULL || strlen(secret) < LOG_SECRET_MIN)
		return;
	pthread_mutex_lock(&log_secret_lock);
	for (int i = 0; i < LOG_SECRETS_MAX; i++) {
		if (log_secrets[i] != NULL && strcmp(log_secrets[i], secret) == 0)
			break;
		if (log_secrets[i] == NULL) {
			/* strdup, not xstrdup: xalloc logs, and we hold the lock. */
			log_secrets[i] = strdup(secret);
			break;
		}
	}
	pthread_mutex_unlock(&log_secret_lock);
}

void
log_secret_clear(void)
{
	pthread_mutex_lock(&log_secret_lock);
	for (int i = 0; i < LOG_SECRETS_MAX; i++) {
		if (log_secrets[i] != NULL) {
			explicit_bzero(log_secrets[i], strlen(log_secrets[i]));
			free(log_secrets[i]);
			log_secrets[i] = NULL;
		}
	}
	pthread_mutex_unlock(&log_secret_lock);
}

/* Replace every occurrence of needle in line (NUL-terminated, in a buffer of size). */
static void
log_mask(char *line, size_t size, const char *needle)
{
	size_t nlen = strlen(needle), mlen = strlen(LOG_REDACTED);
	char *p = line;

	while ((p = strstr(p, needle)) != NULL) {
		size_t tail = strlen(p + nlen);

		if ((size_t)(p - line) + mlen + tail + 1 > size)
			tail = size - 1 - (size_t)(p - line) - mlen;
		memmove(p + mlen, p + nlen, tail);
		p[mlen + tail] = '\0';
		memcpy(p, LOG_REDACTED, mlen);
		p += mlen;
	}
}

/* Mask the password of "scheme://user:password@host" wherever it appears. */
static void
log_mask_userinfo(char *line, size_t size)
{
	char *p = line;

	while ((p = strstr(p, "://")) != NULL) {
		char *start = p + 3, *end = start + strcspn(start, "@/ \t\"'");
		char *colon = memchr(start, ':', (size_t)(end - start));

		p = start;
		if (*end != '@' || colon == NULL || colon + 1 == end)
			continue;
		char secret[LOG_LINE_MAX];
		size_t len = (size_t)(end - colon - 1);

		memcpy(secret, colon + 1, len);
		secret[len] = '\0';
		if (strcmp(secret, LOG_REDACTED) != 0)
			log_mask(colon, size - (size_t)(colon - line), secret);
	}
}

void
log_sanitize(char *line, size_t size)
{
	for (unsigned char *p = (unsigned char *)line; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	log_mask_userinfo(line, size);
	pthread_mutex_lock(&log_secret_lock);
	for (int i = 0; i < LOG_SECRETS_MAX && log_secrets[i] != NULL; i++)
		log_mask(line, size, log_secrets[i]);
	pthread_mutex_unlock(&log_secret_lock);
}

static const char *
log_level_name(int priority)
{
	switch (priority) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_NOTICE:
		return "notice";
	case LOG_WARNING:
		return "warning";
	default:
		return "error";
	}
}

/* Append at most max bytes of s at *p (within end); returns the new position. */
static char *
log_put(char *p, const char *end, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n > (size_t)(end - p))
		n = (size_t)(end - p);
	memcpy(p, s, n);
	return p + n;
}

/* stderr is unbuffered: one write per line, so lines never interleave. */
static void
log_write_stderr(const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/*
 * The line is formatted once, straight into the buffer it is written from:
 * "progname: level: " (stderr only), then "QUEUEID: " and the message, cut at
 * LOG_LINE_MAX, then sanitised.
 */
static void
log_vemit(int priority, const char *queue_id, int errnum, const char *fmt, va_list ap)
{
	char out[LOG_PREFIX_MAX + LOG_LINE_MAX + 1];
	char *line = out, *p, *end;
	size_t len;
	int n;

	if (priority > log_level)
		return;
	if (log_to_stderr) {
		p = log_put(out, out + LOG_PREFIX_MAX - 2, log_progname, 32);
		p = log_put(p, out + LOG_PREFIX_MAX - 2, ": ", 2);
		p = log_put(p, out + LOG_PREFIX_MAX - 2, log_level_name(priority), 16);
		p = log_put(p, out + LOG_PREFIX_MAX, ": ", 2);
		line = p;
	}
	end = line + LOG_LINE_MAX - 1; /* room for the NUL */
	p = line;
	if (queue_id != NULL && *queue_id != '\0') {
		p = log_put(p, end, queue_id, 40);
		p = log_put(p, end, ": ", 2);
	}
	n = vsnprintf(p, (size_t)(end - p) + 1, fmt, ap);
	if (n < 0) {
		p = line;
		n = snprintf(line, LOG_LINE_MAX, "(unformattable log line: %s)", fmt);
	}
	len = (size_t)(p - line) + (size_t)n;
	if (len < LOG_LINE_MAX - 1 && errnum != 0)
		len += (size_t)snprintf(line + len, LOG_LINE_MAX - len, ": %s", strerror(errnum));
	if (len >= LOG_LINE_MAX - 1) {
		len = LOG_LINE_MAX - 1;
		memcpy(line + len - 3, "...", 4);
	}
	log_sanitize(line, LOG_LINE_MAX);
	if (log_to_stderr) {
		len = strlen(line); /* masking may have changed it */
		line[len] = '\n';
		len += (size_t)(line - out) + 1;
		if (!log_batching) {
			log_write_stderr(out, len);
			return;
		}
		if (log_batch_len + len > sizeof(log_batch_buf))
			log_flush();
		memcpy(log_batch_buf + log_batch_len, out, len); /* len < the buffer's size */
		log_batch_len += len;
	} else {
		syslog(priority, "%s", line);
	}
}

void
log_batch(int on)
{
	if (!on)
		log_flush();
	log_batching = on && log_to_stderr;
}

void
log_flush(void)
{
	log_write_stderr(log_batch_buf, log_batch_len);
	log_batch_len = 0;
}

#define LOG_FN(name, priority, with_errno)                                                         \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vemit(priority, NULL, with_errno ? saved : 0, fmt, ap);                        \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOG_FN(log_debug, LOG_DEBUG, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)

void
log_qid(int priority, const char *queue_id, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(priority, queue_id, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, NULL, saved, fmt, ap);
	va_end(ap);
	log_batch(0);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_CRIT, NULL, 0, fmt, ap);
	va_end(ap);
	log_batch(0);
	exit(1);
}
