/* SPDX-License-Identifier: MIT */
/*
 * Runtime of the platform test guests: tiny 32-bit kernels (ELF32, CPL0,
 * flat protected mode, paging off; no SSE: PVM cannot emulate it at
 * CPL0) that the machine loads at 1 MiB.  _start sets a stack, calls
 * main and writes its return value to the debug-exit port, so the run
 * ends with status (ret << 1) | 1.  Output goes to COM1, polled.
 */
#ifndef PG_H
#define PG_H

#include <stdint.h>

#define COM1		0x3f8
#define DEBUG_EXIT	0xf4
#define BOOT_MARKER	0xf6

int main(void);

/*
 * The machine enters with flat segments but no GDT in memory: load one
 * (code 0x08, data 0x10) so interrupt gates can name a code segment.
 */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	lgdt pg_gdtr\n"
	"	ljmp $0x08, $1f\n"
	"1:	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	mov %ax, %ss\n"
	"	mov %ax, %fs\n"
	"	mov %ax, %gs\n"
	"	mov $pg_stack_top, %esp\n"
	"	call main\n"
	"	outl %eax, $0xf4\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	".data\n"
	".balign 8\n"
	"pg_gdt: .quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff\n"
	"pg_gdtr: .word 23\n"
	"	.long pg_gdt\n"
	".bss\n"
	".balign 16\n"
	"pg_stack: .skip 16384\n"
	"pg_stack_top:\n"
	".text\n");

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline __attribute__((noreturn)) void pg_exit(uint32_t v)
{
	outl(DEBUG_EXIT, v);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Polled output: wait for THR empty (LSR bit 5), then write. */
static inline void pg_putc(char c)
{
	while (!(inb(COM1 + 5) & 0x20))
		;
	outb(COM1, (uint8_t)c);
}

static inline void pg_puts(const char *s)
{
	while (*s)
		pg_putc(*s++);
}

static inline void pg_hex(uint32_t v, int digits)
{
	while (digits--)
		pg_putc("0123456789abcdef"[(v >> (4 * digits)) & 15]);
}

static inline void pg_dec(uint32_t v)
{
	char b[12];
	int n = 0;

	do {
		b[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		pg_putc(b[--n]);
}

#endif
