/*
 * test_suptab.c - the compact suppression set against a plain reference model
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "siphash.h"
#include "suptab.h"

static void
test_siphash_paper_vector(void **unused)
{
	uint8_t key[16], msg[15];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* SipHash paper, appendix A: 15-byte message, key 00..0f. */
	assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static uint64_t
rng(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* Random puts and deletes; a sorted-free reference: a flat array of live keys. */
static void
against_model(int N, int rounds)
{
	uint64_t *keys = calloc(N, sizeof(*keys)), seed = 88172645463325252ULL;
	char *live = calloc(N, 1);
	struct suptab *tab = suptab_new(0);
	size_t expected = 0;

	for (int i = 0; i < N; i++)
		keys[i] = rng(&seed) | 1;
	keys[7] = 0; /* the reserved value must work too */
	for (int round = 0; round < rounds; round++) {
		int i = (int)(rng(&seed) % N);

		if (rng(&seed) % 3 != 0) {
			suptab_put(tab, keys[i], (uint32_t)i);
			expected += !live[i];
			live[i] = 1;
		} else {
			assert_int_equal(suptab_del(tab, keys[i]), live[i]);
			expected -= live[i];
			live[i] = 0;
		}
	}
	assert_int_equal(suptab_count(tab), expected);
	for (int i = 0; i < N; i++) {
		uint32_t meta = 0xffffffff;

		assert_int_equal(suptab_get(tab, keys[i], &meta), live[i]);
		if (live[i])
			assert_int_equal(meta, (uint32_t)i);
	}
	suptab_free(tab);
	free(keys);
	free(live);
}

static void
test_against_model(void **unused)
{
	against_model(20000, 200000);
}

/* Grown from empty past 2 MB of arrays: the mapped (huge-page) tables, and the release
 * of a mapped one when it grows again. */
static void
test_against_model_mapped(void **unused)
{
	against_model(300000, 1000000);
}

static void
test_replace_keeps_count(void **unused)
{
	struct suptab *tab = suptab_new(10);
	uint32_t meta;

	suptab_put(tab, 42, 1);
	suptab_put(tab, 42, 2);
	assert_int_equal(suptab_count(tab), 1);
	assert_true(suptab_get(tab, 42, &meta));
	assert_int_equal(meta, 2);
	assert_false(suptab_get(tab, 43, NULL));
	assert_int_equal(suptab_del(tab, 43), 0);
	suptab_free(tab);
}

/* The memory promise: at most 16 bytes per entry once the table is in use. */
static void
test_bytes_per_entry(void **unused)
{
	uint64_t seed = 1234567;
	struct suptab *tab = suptab_new(0);

	for (int i = 0; i < 1000000; i++) {
		suptab_put(tab, rng(&seed), 0);
		if (i > 1000 && i % 9973 == 0)
			assert_true(suptab_bytes(tab) <= 16 * suptab_count(tab) + 4096);
	}
	suptab_free(tab);
	tab = suptab_new(500000);
	for (int i = 0; i < 500000; i++)
		suptab_put(tab, rng(&seed), 0);
	assert_true(suptab_bytes(tab) <= 16 * suptab_count(tab));
	suptab_free(tab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash_paper_vector), cmocka_unit_test(test_against_model),
	    cmocka_unit_test(test_against_model_mapped), cmocka_unit_test(test_replace_keeps_count),
	    cmocka_unit_test(test_bytes_per_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
