/* SPDX-License-Identifier: MIT */
/*
 * The CMOS clock: prints the time it reads in BCD and then in binary mode
 * ("bcd 2026-12-06 13:05:09\nbin ...\n"), whether it saw the update-in-
 * progress bit within five seconds of polling ("uip 1"), and sets the minutes
 * to 42 and reads them back ("set 42").
 */
#include "pg.h"

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_set(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static uint32_t val(uint8_t v, int bcd)
{
	return bcd ? (uint32_t)((v >> 4) * 10 + (v & 15)) : v;
}

static void two(uint32_t v)
{
	pg_putc((char)('0' + v / 10 % 10));
	pg_putc((char)('0' + v % 10));
}

static void show(const char *tag, int bcd)
{
	uint8_t s, m, h, d, mo, y, c;

	while (cmos(0x0a) & 0x80)	/* update in progress */
		;
	do {
		s = cmos(0);
		m = cmos(2);
		h = cmos(4);
		d = cmos(7);
		mo = cmos(8);
		y = cmos(9);
		c = cmos(0x32);
	} while (s != cmos(0));
	pg_puts(tag);
	two(val(c, 1));
	two(val(y, bcd));
	pg_putc('-');
	two(val(mo, bcd));
	pg_putc('-');
	two(val(d, bcd));
	pg_putc(' ');
	two(val(h, bcd));
	pg_putc(':');
	two(val(m, bcd));
	pg_putc(':');
	two(val(s, bcd));
	pg_putc('\n');
}

int main(void)
{
	uint8_t b = cmos(0x0b), s0;
	uint32_t changes = 0, seen = 0;

	if (!(b & 0x02) || (b & 0x04) || !(cmos(0x0d) & 0x80))
		return 1;	/* not 24-hour BCD, or time not valid */
	show("bcd ", 1);
	cmos_set(0x0b, b | 0x04);		/* binary */
	show("bin ", 0);
	/* Poll across up to five second boundaries for UIP. */
	s0 = cmos(0);
	while (changes < 5 && !seen) {
		uint8_t s = cmos(0);

		if (cmos(0x0a) & 0x80)
			seen = 1;
		if (s != s0) {
			changes++;
			s0 = s;
		}
	}
	pg_puts("uip ");
	pg_dec(seen);
	pg_putc('\n');
	cmos_set(0x02, 42);			/* binary mode: 42 minutes */
	pg_puts("set ");
	pg_dec(cmos(0x02));
	pg_putc('\n');
	cmos_set(0x0b, b);
	return 0;
}
