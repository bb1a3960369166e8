/*
 * suptab.h - compact in-process set of suppressed addresses
 *
 * SYNOPSIS
 *	struct suptab *suptab_new(size_t expected);
 *	void   suptab_free(struct suptab *tab);
 *	void   suptab_put(struct suptab *tab, uint64_t hash, uint32_t meta);
 *	int    suptab_del(struct suptab *tab, uint64_t hash);
 *	int    suptab_get(const struct suptab *tab, uint64_t hash, uint32_t *meta);
 *	size_t suptab_count(const struct suptab *tab);
 *	size_t suptab_bytes(const struct suptab *tab);
 *
 * DESCRIPTION
 *	The readers' view of the suppression list must fit "32 MB plus 16 bytes per
 *	suppressed address" (SPEC.md) at ten million entries, so it keeps no strings: each
 *	entry is the 64-bit keyed hash of the canonical address (see siphash.h) and 32 bits
 *	of metadata (reason and day, see state.h), 12 bytes, in an open-addressing table
 *	with Robin Hood probing and backward-shift deletion, kept between 75 % and 90 %
 *	full, so 13 to 16 bytes per entry. A 64-bit hash makes a false match a 1 in 10^12
 *	event at ten million entries; the Redis record confirms a match when Redis answers.
 *
 *	suptab_put() inserts or replaces; suptab_del() returns 1 when it removed an entry;
 *	suptab_get() returns 1 and the metadata when found, 0 otherwise. The hash value 0
 *	is reserved and silently mapped to 1.
 *
 *	Not thread-safe: the state client guards it with a read-write lock.
 */
#ifndef EDG_SUPTAB_H
#define EDG_SUPTAB_H

#include <stddef.h>
#include <stdint.h>

struct suptab;

struct suptab *suptab_new(size_t expected);
void suptab_free(struct suptab *tab);
void suptab_put(struct suptab *tab, uint64_t hash, uint32_t meta);
int suptab_del(struct suptab *tab, uint64_t hash);
int suptab_get(const struct suptab *tab, uint64_t hash, uint32_t *meta);
size_t suptab_count(const struct suptab *tab);
size_t suptab_bytes(const struct suptab *tab);

#endif
