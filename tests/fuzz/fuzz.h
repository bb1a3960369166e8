/*
 * fuzz.h - what every libFuzzer target here shares
 *
 *	FUZZ_CHECK(cond)   a broken promise of the code under test: trap, so libFuzzer
 *	                   records the input as a crash
 *	LLVMFuzzerTestOneInput() is declared here (the targets define it).
 */
#ifndef EDG_FUZZ_H
#define EDG_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
