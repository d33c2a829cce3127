/* SPDX-License-Identifier: MIT */
/*
 * The 16550A's registers as a driver probes them (what Linux's 8250
 * autoconfig does): scratch, IER mask, divisor latch, loopback and the
 * modem status it mirrors, FIFO identification, THRE re-assertion, and a
 * byte sent to itself in loopback.  Returns 0 when all hold, else the
 * number of the first check that failed.
 */
#include "pg.h"

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static uint8_t in(int r)
{
	return inb((uint16_t)(COM1 + r));
}

static void out(int r, uint8_t v)
{
	outb((uint16_t)(COM1 + r), v);
}

int main(void)
{
	out(SCR, 0xa5);
	if (in(SCR) != 0xa5)
		return 1;
	out(IER, 0xff);
	if (in(IER) != 0x0f)
		return 2;
	out(IER, 0);
	if (in(IER) != 0)
		return 3;
	out(LCR, 0x80);		/* DLAB: divisor 0x0c03 */
	out(RBR, 0x03);
	out(IER, 0x0c);
	if (in(RBR) != 0x03 || in(IER) != 0x0c)
		return 4;
	out(LCR, 0x03);
	if (in(LCR) != 0x03 || in(IER) != 0)
		return 5;
	out(MCR, 0x10 | 0x08 | 0x02);	/* loop, OUT2, RTS -> DCD, CTS */
	if ((in(MSR) & 0xf0) != 0x90)
		return 6;
	out(MCR, 0x10 | 0x04 | 0x01);	/* loop, OUT1, DTR -> RI, DSR */
	if ((in(MSR) & 0xf0) != 0x60)
		return 7;
	out(FCR, 0x07);			/* FIFO on, both cleared */
	if ((in(IIR) & 0xc0) != 0xc0)
		return 8;
	if ((in(LSR) & 0x61) != 0x60)	/* THRE, TEMT, no data */
		return 9;
	out(RBR, 'Z');			/* loopback: to our own receiver */
	if (!(in(LSR) & 0x01) || in(RBR) != 'Z' || (in(LSR) & 0x01))
		return 10;
	out(MCR, 0x0b);			/* loopback off: DTR, RTS, OUT2 */
	if ((in(MSR) & 0xb0) != 0xb0)	/* a peer: CTS, DSR, DCD */
		return 11;
	out(IER, 0x02);			/* THRE interrupt on: raised ... */
	if ((in(IIR) & 0x0f) != 0x02)
		return 12;
	if ((in(IIR) & 0x0f) != 0x01)	/* ... and taken by reading IIR */
		return 13;
	out(IER, 0);
	out(IER, 0x02);			/* enabling again raises it again */
	if ((in(IIR) & 0x0f) != 0x02)
		return 14;
	out(IER, 0);
	out(FCR, 0);
	if ((in(IIR) & 0xc0) != 0)
		return 15;
	pg_puts("uart registers ok\n");
	return 0;
}
