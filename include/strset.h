/*
 * strset.h - a set of strings (approved senders, a few thousand at most)
 *
 * SYNOPSIS
 *	struct strset *strset_new(void);
 *	void strset_free(struct strset *set);
 *	int  strset_add(struct strset *set, const char *s);     1: added, 0: was there
 *	int  strset_del(struct strset *set, const char *s);     1: removed, 0: absent
 *	int  strset_has(const struct strset *set, const char *s);
 *	size_t strset_count(const struct strset *set);
 *	const char *strset_next(const struct strset *set, size_t *iter);
 *
 * DESCRIPTION
 *	Open addressing with linear probing and tombstone-free backward-shift deletion,
 *	keyed SipHash. The set copies what it is given and frees it. strset_next()
 *	walks the members (start with *iter = 0; NULL at the end; no changes meanwhile).
 *	Not thread-safe.
 */
#ifndef EDG_STRSET_H
#define EDG_STRSET_H

#include <stddef.h>

struct strset;

struct strset *strset_new(void);
void strset_free(struct strset *set);
int strset_add(struct strset *set, const char *s);
int strset_del(struct strset *set, const char *s);
int strset_has(const struct strset *set, const char *s);
size_t strset_count(const struct strset *set);
const char *strset_next(const struct strset *set, size_t *iter);

#endif
