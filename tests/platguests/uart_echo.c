/* SPDX-License-Identifier: MIT */
/*
 * COM1 input, polled: says "echo>", reads a line (LSR data ready, RBR)
 * and sends it back in upper case; returns its length.
 */
#include "pg.h"

int main(void)
{
	uint32_t n = 0;
	uint8_t c;

	pg_puts("echo>");
	for (;;) {
		while (!(inb(COM1 + 5) & 1))
			;
		c = inb(COM1);
		if (c == '\n' || c == '\r')
			break;
		pg_putc(c >= 'a' && c <= 'z' ? (char)(c - 32) : (char)c);
		n++;
	}
	pg_putc('\n');
	return (int)n;
}
