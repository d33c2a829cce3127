/*
 * The compute benchmark: SHA-256 (FIPS 180-4) of argv[1] MiB (default 64)
 * of a fixed pattern made in memory, printed in hex.  The round constants
 * are computed from their definition (cube and square roots of primes).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t K[64], H[8];

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void constants(void)
{
	int n = 0, p, d;

	for (p = 2; n < 64; p++) {
		for (d = 2; d * d <= p && p % d; d++)
			;
		if (d * d <= p)
			continue;
		long double c = cbrtl((long double)p), s = sqrtl((long double)p);

		K[n] = (uint32_t)((c - floorl(c)) * 4294967296.0L);
		if (n < 8)
			H[n] = (uint32_t)((s - floorl(s)) * 4294967296.0L);
		n++;
	}
}

static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
				    (w[i - 15] >> 3)) +
		       w[i - 7] + (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
				   (w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 64, i, bits;
	uint8_t *buf = malloc(1 << 20), tail[128] = { 0 };
	uint32_t h[8];
	int j;

	if (!buf)
		return 1;
	constants();
	memcpy(h, H, sizeof(h));
	for (i = 0; i < (1 << 20); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 8));
	for (i = 0; i < mib; i++)
		for (j = 0; j < (1 << 20); j += 64)
			block(h, buf + j);
	bits = mib << 23;
	tail[0] = 0x80;
	for (j = 0; j < 8; j++)
		tail[63 - j] = (uint8_t)(bits >> (8 * j));
	block(h, tail);
	for (j = 0; j < 8; j++)
		printf("%08x", h[j]);
	printf("\n");
	return 0;
}
