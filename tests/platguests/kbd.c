/* SPDX-License-Identifier: MIT */
/*
 * The i8042 as a driver probes it: self test, command byte, keyboard port
 * test, keyboard identify; prints what it read ("i8042 55 45 00 fa ab
 * 83\n") and then pulses the reset line, which ends the run (a return
 * would mean it did not).
 */
#include "pg.h"

static uint8_t rd(void)
{
	int n = 100000;

	while (!(inb(0x64) & 1) && --n)
		;
	return inb(0x60);
}

static void cmd(uint8_t c)
{
	while (inb(0x64) & 2)
		;
	outb(0x64, c);
}

int main(void)
{
	pg_puts("i8042");
	cmd(0xaa);
	pg_putc(' ');
	pg_hex(rd(), 2);
	cmd(0x20);
	pg_putc(' ');
	pg_hex(rd(), 2);
	cmd(0xab);
	pg_putc(' ');
	pg_hex(rd(), 2);
	outb(0x60, 0xf2);	/* to the keyboard: identify */
	pg_putc(' ');
	pg_hex(rd(), 2);
	pg_putc(' ');
	pg_hex(rd(), 2);
	pg_putc(' ');
	pg_hex(rd(), 2);
	pg_putc('\n');
	cmd(0xfe);
	return 0x33;
}
