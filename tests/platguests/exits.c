/* SPDX-License-Identifier: MIT */
/*
 * The ways a guest ends, picked by the command byte at 0x500 the test
 * writes (0 if none): 'm' boot marker then debug exit 7, 'p' ACPI power
 * off (S5), 'r' i8042 reset pulse, 'd' i8042 reset through the output
 * port, 't' triple fault (no IDT: a divide error shuts the CPU down),
 * 'w' a 16-bit debug-exit write of 0x1234.
 */
#include "pg.h"

#define SLEEP_CTL	0x600
#define S5		5

int main(void)
{
	volatile uint32_t zero = 0, one = 1;
	uint8_t cmd;

	__asm__ volatile("movb 0x500, %0" : "=q"(cmd));
	switch (cmd) {
	case 'm':
		outb(BOOT_MARKER, 1);
		outb(BOOT_MARKER, 2);
		return 7;
	case 'p':
		outb(SLEEP_CTL, (S5 << 2) | 0x20);
		break;
	case 'r':
		outb(0x64, 0xfe);
		break;
	case 'd':
		outb(0x64, 0xd1);
		outb(0x60, 0x00);
		break;
	case 't':
		return (int)(one / zero);
	case 'w':
		__asm__ volatile("outw %0, %1" : : "a"((uint16_t)0x1234),
				 "Nd"((uint16_t)DEBUG_EXIT));
		break;
	default:
		break;
	}
	return 0x55;	/* the request did not end the run */
}
