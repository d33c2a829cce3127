/* SPDX-License-Identifier: MIT */
/*
 * libvm guest side: include this in guest programs built with
 *   gcc -O2 $(pkg-config --cflags libvm-guest) prog.c \
 *       $(pkg-config --libs libvm-guest) -o prog.elf
 * (see README.md, "Writing guest programs").  The runtime libvm-guest.a
 * gives _start and memcpy, memmove, memset, memcmp, strlen, which
 * compilers emit calls to even in freestanding code.  A guest program
 * defines int main(void): _start aligns the stack, calls it and passes its
 * return value to libvm_guest_exit (LIBVM_EXIT_GUEST_EXIT on the host).
 */
#ifndef LIBVM_GUEST_H
#define LIBVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <libvm/cmplog.h>
#include <libvm/errors.h>
#include <libvm/ports.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keep a function in the image for the host to call by name. */
#define LIBVM_EXPORT __attribute__((used, noinline, visibility("default")))

/* Call host hypercall nr with up to six arguments; returns its result. */
static inline int64_t libvm_hypercall(uint32_t nr, uint64_t a0, uint64_t a1,
				      uint64_t a2, uint64_t a3, uint64_t a4,
				      uint64_t a5)
{
	register uint64_t r8 __asm__("r8") = a3;
	register uint64_t r9 __asm__("r9") = a4;
	register uint64_t r10 __asm__("r10") = a5;
	uint64_t rax = nr;

	__asm__ volatile("outl %%eax, %%dx"
			 : "+a"(rax)
			 : "d"((uint16_t)LIBVM_PORT_HYPERCALL), "D"(a0),
			   "S"(a1), "c"(a2), "r"(r8), "r"(r9), "r"(r10)
			 : "memory");
	return (int64_t)rax;
}

#define libvm_hypercall0(nr) libvm_hypercall(nr, 0, 0, 0, 0, 0, 0)
#define libvm_hypercall1(nr, a) libvm_hypercall(nr, a, 0, 0, 0, 0, 0)
#define libvm_hypercall2(nr, a, b) libvm_hypercall(nr, a, b, 0, 0, 0, 0)
#define libvm_hypercall3(nr, a, b, c) libvm_hypercall(nr, a, b, c, 0, 0, 0)

/* End the guest program: the host's run returns LIBVM_EXIT_GUEST_EXIT. */
__attribute__((noreturn)) void libvm_guest_exit(int64_t code);
/* Write to the host console (libvm_console_attach); bytes or < 0. */
int64_t libvm_guest_write(const void *buf, size_t len);
/* Write a NUL-terminated string. */
int64_t libvm_guest_puts(const char *s);

/*
 * Report a bug found by the guest's own checks (an assertion, a canary):
 * the host's run stops with LIBVM_EXIT_STOPPED, u.stop.space =
 * LIBVM_TRAP_HYPERCALL, u.stop.addr = LIBVM_HC_BUG, u.stop.value = code
 * (all 64 bits; u.stop.code has the low 32 as an int32_t), and
 * libvm_fuzz_exec() classifies it as LIBVM_FUZZ_BUG.
 */
static inline void libvm_guest_report_bug(uint64_t code)
{
	libvm_hypercall1(LIBVM_HC_BUG, code);
}

/*
 * Edge coverage for fuzzing.  Guest code compiled with
 * gcc -fsanitize-coverage=trace-pc calls __sanitizer_cov_trace_pc() at
 * every basic block; the runtime (itself not instrumented) records
 * AFL-style edges, map[(cur ^ prev) & (size - 1)]++ with cur a hash of
 * the caller's address, into libvm_cov_map.  The host sets libvm_cov_map
 * (a guest address where it mapped the fuzzer's map, usually with
 * LIBVM_MEM_VOLATILE) and libvm_cov_size (a power of two) by symbol
 * lookup before it takes the snapshot; while libvm_cov_map is NULL the
 * hook does nothing.  See README.md, "Fuzzing a guest".
 */
extern uint8_t *volatile libvm_cov_map;
extern volatile uint64_t libvm_cov_size;
void __sanitizer_cov_trace_pc(void);

/*
 * Comparison feedback.  Guest code compiled with
 * gcc -fsanitize-coverage=trace-cmp calls the runtime's trace-cmp hooks
 * at every integer compare and switch.  They mark a slot in libvm_cov_map
 * per compare and per number of operand bits that agree (progress towards
 * a magic value shows as new coverage), and, while the host has set
 * libvm_cmp_log, log the operands there (<libvm/cmplog.h>).
 */
extern struct libvm_cmp_log *volatile libvm_cmp_log;
/*
 * 1 (the default): the slots per compare and agreeing bits; the host
 * writes 0 to keep them out of the map, e.g. for AFL++, whose queue they
 * would fill with inputs that differ only in how close a byte came.
 */
extern volatile uint64_t libvm_cov_cmp_slots;

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#ifdef __cplusplus
}
#endif
#endif
