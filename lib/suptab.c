/*
 * suptab.c - compact in-process set of suppressed addresses (see suptab.h)
 *
 * Layout: two parallel arrays, hashes (0 = empty) and metadata, of "cap" slots. An
 * entry's home slot is fastrange(hash, cap), so cap need not be a power of two and
 * the table grows by 20 % at a time, which keeps it between 75 % and 90 % full.
 * Robin Hood insertion bounds probe lengths at that load; lookups stop as soon as
 * they meet an entry nearer its home than the probe is to the key's.
 *
 * Both arrays live in one allocation. A large one (SUPTAB_HUGE and more: about
 * 175,000 slots) is mapped directly and marked for transparent huge pages: a lookup
 * in a table of millions lands on a random page, and with 4 KB pages each one costs
 * a TLB miss besides its cache misses.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "suptab.h"
#include "xalloc.h"

#define SUPTAB_MIN_CAP  64
#define SUPTAB_MAX_LOAD 0.90
#define SUPTAB_FILL     0.80 /* load after sizing for a known count */
#define SUPTAB_GROWTH   1.20
#define SUPTAB_HUGE     (2u << 20) /* bytes from which the arrays are mapped */

struct suptab {
	uint64_t *hash;
	uint32_t *meta; /* in the same allocation, after hash[cap] */
	size_t cap;
	size_t count;
	int mapped; /* the allocation is an mmap (else malloc's) */
};

static size_t
suptab_home(const struct suptab *tab, uint64_t hash)
{
	return (size_t)(((unsigned __int128)hash * tab->cap) >> 64);
}

static size_t
suptab_distance(const struct suptab *tab, size_t slot, uint64_t hash)
{
	size_t home = suptab_home(tab, hash);

	return slot >= home ? slot - home : slot + tab->cap - home;
}

static size_t
suptab_array_bytes(size_t cap)
{
	return cap * (sizeof(uint64_t) + sizeof(uint32_t));
}

/* Zeroed arrays of cap slots. */
static void
suptab_alloc(struct suptab *tab, size_t cap)
{
	size_t bytes;
	void *p = MAP_FAILED;

	tab->cap = cap < SUPTAB_MIN_CAP ? SUPTAB_MIN_CAP : cap;
	bytes = suptab_array_bytes(tab->cap);
	if (bytes >= SUPTAB_HUGE) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			(void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: 4 KB pages work too */
	}
	tab->mapped = p != MAP_FAILED;
	if (!tab->mapped)
		p = xcalloc(1, bytes);
	tab->hash = p;
	tab->meta = (uint32_t *)(tab->hash + tab->cap);
	tab->count = 0;
}

static void
suptab_release(uint64_t *hash, size_t cap, int mapped)
{
	if (mapped)
		munmap(hash, suptab_array_bytes(cap));
	else
		free(hash);
}

struct suptab *
suptab_new(size_t expected)
{
	struct suptab *tab = xmalloc(sizeof(*tab));

	suptab_alloc(tab, (size_t)((double)expected / SUPTAB_FILL) + 1);
	return tab;
}

void
suptab_free(struct suptab *tab)
{
	if (tab == NULL)
		return;
	suptab_release(tab->hash, tab->cap, tab->mapped);
	free(tab);
}

/* Place (hash, meta) knowing the hash is not in the table yet. */
static void
suptab_insert_new(struct suptab *tab, uint64_t hash, uint32_t meta)
{
	size_t slot = suptab_home(tab, hash), dist = 0;

	for (;;) {
		if (tab->hash[slot] == 0) {
			tab->hash[slot] = hash;
			tab->meta[slot] = meta;
			tab->count++;
			return;
		}
		size_t theirs = suptab_distance(tab, slot, tab->hash[slot]);
		if (theirs < dist) {
			uint64_t h = tab->hash[slot];
			uint32_t m = tab->meta[slot];

			tab->hash[slot] = hash;
			tab->meta[slot] = meta;
			hash = h;
			meta = m;
			dist = theirs;
		}
		slot = slot + 1 == tab->cap ? 0 : slot + 1;
		dist++;
	}
}

static void
suptab_grow(struct suptab *tab)
{
	struct suptab old = *tab;

	suptab_alloc(tab, (size_t)((double)old.cap * SUPTAB_GROWTH) + 1);
	for (size_t i = 0; i < old.cap; i++)
		if (old.hash[i] != 0)
			suptab_insert_new(tab, old.hash[i], old.meta[i]);
	suptab_release(old.hash, old.cap, old.mapped);
}

/* The slot holding hash, or cap when absent. */
static size_t
suptab_find(const struct suptab *tab, uint64_t hash)
{
	size_t slot = suptab_home(tab, hash);

	for (size_t dist = 0; tab->hash[slot] != 0; dist++) {
		if (tab->hash[slot] == hash)
			return slot;
		if (suptab_distance(tab, slot, tab->hash[slot]) < dist)
			break;
		slot = slot + 1 == tab->cap ? 0 : slot + 1;
	}
	return tab->cap;
}

void
suptab_put(struct suptab *tab, uint64_t hash, uint32_t meta)
{
	size_t slot;

	if (hash == 0)
		hash = 1;
	if ((slot = suptab_find(tab, hash)) != tab->cap) {
		tab->meta[slot] = meta;
		return;
	}
	if ((double)(tab->count + 1) > (double)tab->cap * SUPTAB_MAX_LOAD)
		suptab_grow(tab);
	suptab_insert_new(tab, hash, meta);
}

int
suptab_del(struct suptab *tab, uint64_t hash)
{
	size_t slot, next;

	if (hash == 0)
		hash = 1;
	if ((slot = suptab_find(tab, hash)) == tab->cap)
		return 0;
	for (;;) {
		next = slot + 1 == tab->cap ? 0 : slot + 1;
		if (tab->hash[next] == 0 || suptab_distance(tab, next, tab->hash[next]) == 0)
			break;
		tab->hash[slot] = tab->hash[next];
		tab->meta[slot] = tab->meta[next];
		slot = next;
	}
	tab->hash[slot] = 0;
	tab->meta[slot] = 0;
	tab->count--;
	return 1;
}

int
suptab_get(const struct suptab *tab, uint64_t hash, uint32_t *meta)
{
	size_t slot;

	if (hash == 0)
		hash = 1;
	if ((slot = suptab_find(tab, hash)) == tab->cap)
		return 0;
	if (meta != NULL)
		*meta = tab->meta[slot];
	return 1;
}

size_t
suptab_count(const struct suptab *tab)
{
	return tab->count;
}

size_t
suptab_bytes(const struct suptab *tab)
{
	return sizeof(*tab) + tab->cap * (sizeof(*tab->hash) + sizeof(*tab->meta));
}
