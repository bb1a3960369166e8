/*
 * xalloc.h - allocation wrappers that cannot return NULL
 *
 * SYNOPSIS
 *	void *xmalloc(size_t size);
 *	void *xcalloc(size_t count, size_t size);
 *	void *xrealloc(void *ptr, size_t size);
 *	char *xstrdup(const char *s);
 *	char *xstrndup(const char *s, size_t n);
 *	char *xasprintf(const char *fmt, ...);
 *
 * DESCRIPTION
 *	Out of memory is not something a mail daemon can answer sensibly: these log and
 *	exit. Use them for everything except allocations whose size comes from a peer,
 *	which are bounded first (and may then use these too).
 *	The caller owns and frees what they return.
 */
#ifndef EDG_XALLOC_H
#define EDG_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
