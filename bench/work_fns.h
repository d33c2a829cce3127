/* SPDX-License-Identifier: MIT */
/*
 * The compute workloads of bench/call.c, compiled twice from this one
 * source: into the guest program bench/guests/work.c (WORK_FN exports
 * them for libvm_call) and into the host benchmark (WORK_FN keeps them
 * out of line and opaque to the optimizer, as a call into the guest is).
 * Arguments and results are 64-bit so both sides use the same signature.
 */
#ifndef LIBVM_BENCH_WORK_FNS_H
#define LIBVM_BENCH_WORK_FNS_H

#include <stddef.h>
#include <stdint.h>

#ifndef WORK_FN
#define WORK_FN static __attribute__((noipa, unused))
#endif

/* FNV-1a, 64-bit, byte by byte. */
WORK_FN uint64_t work_fnv1a(const uint8_t *buf, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

/* Shell sort of n int32s in place, Knuth's gaps (1, 4, 13, 40, ...). */
WORK_FN uint64_t work_shell_sort(int32_t *a, uint64_t n)
{
	uint64_t gap = 1, i, j;

	while (gap < n / 3)
		gap = 3 * gap + 1;
	for (; gap > 0; gap /= 3) {
		for (i = gap; i < n; i++) {
			int32_t v = a[i];

			for (j = i; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
	}
	return n;
}

/* n rounds of a multiply-add recurrence, all in registers. */
WORK_FN uint64_t work_madd(uint64_t n, uint64_t x)
{
	uint64_t y = x ^ 0x9e3779b97f4a7c15ull;

	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		y = y * 0xd1342543de82ef95ull + x;
	}
	return x ^ y;
}

#endif
