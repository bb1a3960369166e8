/*
 * siphash.h - SipHash-2-4, the keyed 64-bit hash of the in-process state view
 *
 * SYNOPSIS
 *	uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
 *
 * DESCRIPTION
 *	Keyed with 16 random bytes per process, so nobody outside can aim addresses at
 *	one bucket. Reference: Aumasson and Bernstein, "SipHash: a fast short-input PRF".
 */
#ifndef EDG_SIPHASH_H
#define EDG_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
