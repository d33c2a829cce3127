/* SPDX-License-Identifier: MIT */
/*
 * Guest program of bench/reset.c: a function that dirties n pages of a
 * static buffer (one byte each), the work a fuzz input does before the
 * next reset.  main() is never run.
 */
#include <libvm/guest.h>

#define MAX_PAGES 64

static uint8_t pages[MAX_PAGES][4096] __attribute__((aligned(4096)));

LIBVM_EXPORT uint64_t dirty_pages(uint64_t n, uint64_t v)
{
	uint64_t i;

	if (n > MAX_PAGES)
		n = MAX_PAGES;
	for (i = 0; i < n; i++)
		((volatile uint8_t *)pages[i])[i * 8] = (uint8_t)(v + i);
	return n;
}

int main(void)
{
	return 0;
}
