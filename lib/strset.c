/*
 * strset.c - a set of strings (see strset.h)
 *
 * Power-of-two table kept at most half full; a slot holds the string and its hash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "siphash.h"
#include "strset.h"
#include "xalloc.h"

struct strset_slot {
	char *s;
	uint64_t hash;
};

struct strset {
	struct strset_slot *slot;
	size_t mask;
	size_t count;
	uint8_t key[16];
};

struct strset *
strset_new(void)
{
	struct strset *set = xcalloc(1, sizeof(*set));

	set->mask = 15;
	set->slot = xcalloc(set->mask + 1, sizeof(*set->slot));
	if (getrandom(set->key, sizeof(set->key), 0) != sizeof(set->key))
		memset(set->key, 0x5a, sizeof(set->key)); /* keyed or not, still correct */
	return set;
}

void
strset_free(struct strset *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i <= set->mask; i++)
		free(set->slot[i].s);
	free(set->slot);
	free(set);
}

static size_t
strset_find(const struct strset *set, const char *s, uint64_t hash)
{
	size_t i = hash & set->mask;

	while (set->slot[i].s != NULL) {
		if (set->slot[i].hash == hash && strcmp(set->slot[i].s, s) == 0)
			return i;
		i = (i + 1) & set->mask;
	}
	return i; /* the empty slot where s would go */
}

static void
strset_grow(struct strset *set)
{
	struct strset_slot *old = set->slot;
	size_t old_size = set->mask + 1;

	set->mask = old_size * 2 - 1;
	set->slot = xcalloc(set->mask + 1, sizeof(*set->slot));
	for (size_t i = 0; i < old_size; i++) {
		if (old[i].s != NULL) {
			size_t j = old[i].hash & set->mask;

			while (set->slot[j].s != NULL)
				j = (j + 1) & set->mask;
			set->slot[j] = old[i];
		}
	}
	free(old);
}

int
strset_add(struct strset *set, const char *s)
{
	uint64_t hash = siphash24(set->key, s, strlen(s));
	size_t i = strset_find(set, s, hash);

	if (set->slot[i].s != NULL)
		return 0;
	set->slot[i].s = xstrdup(s);
	set->slot[i].hash = hash;
	if (++set->count * 2 > set->mask + 1)
		strset_grow(set);
	return 1;
}

int
strset_del(struct strset *set, const char *s)
{
	uint64_t hash = siphash24(set->key, s, strlen(s));
	size_t i = strset_find(set, s, hash), j = i;

	if (set->slot[i].s == NULL)
		return 0;
	free(set->slot[i].s);
	set->slot[i].s = NULL;
	set->count--;
	/* Backward shift: move later members of the run into the hole when allowed. */
	for (;;) {
		j = (j + 1) & set->mask;
		if (set->slot[j].s == NULL)
			return 1;
		size_t home = set->slot[j].hash & set->mask;
		if (((j - home) & set->mask) >= ((j - i) & set->mask)) {
			set->slot[i] = set->slot[j];
			set->slot[j].s = NULL;
			i = j;
		}
	}
}

int
strset_has(const struct strset *set, const char *s)
{
	uint64_t hash = siphash24(set->key, s, strlen(s));

	return set->slot[strset_find(set, s, hash)].s != NULL;
}

size_t
strset_count(const struct strset *set)
{
	return set->count;
}

const char *
strset_next(const struct strset *set, size_t *iter)
{
	while (*iter <= set->mask) {
		const char *s = set->slot[(*iter)++].s;

		if (s != NULL)
			return s;
	}
	return NULL;
}
