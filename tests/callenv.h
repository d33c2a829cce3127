/* SPDX-License-Identifier: MIT */
/*
 * The long-mode environment of the call and mode suites: a VM with
 * CE_RAM of RAM, the guest program calls.elf (tests/guests/calls.c) loaded,
 * libvm_long_mode_setup done with an identity map smaller than RAM, vCPU 0
 * in long mode at the program's entry, and a scratch area.
 */
#ifndef LIBVM_TESTS_CALLENV_H
#define LIBVM_TESTS_CALLENV_H

#include "helpers.h"

#define CE_RAM		(64ull << 20)
#define CE_SYS		0x100000ull	/* LIBVM_SYS_SIZE of tables */
#define CE_MAP		(32ull << 20)	/* identity map [0, CE_MAP) */
#define CE_STACK	CE_MAP		/* stack top */
#define CE_SCRATCH	(16ull << 20)
#define CE_SCRATCH_SIZE	(1ull << 20)
/* Guest RAM outside the identity map: accesses fault (#PF). */
#define CE_UNMAPPED	(48ull << 20)

/* Longest one call may take before the test calls it a hang. */
#define CALL_TIMEOUT_NS (30ull * 1000000000ull)

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "build/guests"
#endif

extern libvm_image *g_img;

/* Set up the environment with libvm_long_mode.flags = flags. */
void ce_setup(uint32_t flags);
/* .init of the suites: user mode (CPL3) / LIBVM_LONG_SUPERVISOR. */
void ce_fixture_user(void);
void ce_fixture_super(void);
void ce_teardown(void);

/* Address of symbol name in calls.elf (asserts it exists). */
uint64_t ce_sym(const char *name);
/*
 * libvm_call of the function named fn; *ex is zeroed first (ex may be
 * NULL).  Returns libvm_call's code.
 */
int ce_call_r(uint64_t *ret, libvm_exit *ex, const char *fn,
	      const uint64_t *args, uint32_t nargs);
/* The same, asserting success; returns the function's value. */
uint64_t ce_call(const char *fn, const uint64_t *args, uint32_t nargs);

/*
 * Resident kB of the process outside the mapping(s) that hold guest RAM
 * [0, CE_RAM): guest pages fault in and khugepaged may turn them into
 * 2 MiB pages at any time, which is not the host growing.
 */
long ce_host_rss_kb(void);

#define CE_ARGS(...) ((const uint64_t[]){ __VA_ARGS__ }), \
	(uint32_t)(sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

#endif
