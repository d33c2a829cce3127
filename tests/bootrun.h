/* SPDX-License-Identifier: MIT */
/*
 * Booting the protocol test kernels (tests/kernels/) for the boot suite:
 * a VM with the case's RAM, generated modules, the command line that
 * tells the kernel what to expect, a load through <libvm/boot.h>, checks
 * of what the loader says it placed, and a run until the kernel reports
 * through the debug-exit port (0xf4; its console is port 0x3f8).
 * br_boot asserts nothing, so threads may call it; br_boot_ok asserts.
 */
#ifndef LIBVM_TESTS_BOOTRUN_H
#define LIBVM_TESTS_BOOTRUN_H

#include <libvm/libvm.h>
#include <stddef.h>
#include <stdint.h>

#define BR_MAX_RAM	4
#define BR_MAX_MODS	8
#define BR_MAX_RESV	4
#define BR_OUT		32768
#define BR_ERR		(BR_OUT + 1024)
#define BR_NO_KVM	2	/* br_boot's result when KVM cannot be opened */

#define MIB (1ull << 20)
#define GIB (1ull << 30)

struct br_case {
	const char *kernel;	/* a file of LIBVM_TEST_KERNEL_DIR */
	uint64_t ram[BR_MAX_RAM][2];	/* gpa, size */
	unsigned nram;
	uint64_t mods[BR_MAX_MODS];	/* module sizes; bytes are generated */
	unsigned nmods;
	libvm_mem_range resv[BR_MAX_RESV];
	unsigned nresv;
	uint64_t rsdp;
	const char *extra;	/* more command line */
};

struct br_vm {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_boot *boot;
	char out[BR_OUT];	/* what the kernel printed */
	size_t nout;
	uint32_t status;	/* the value written to port 0xf4 */
	int exited;
	char err[BR_ERR];	/* why br_boot failed */
};

/* Load and run c; 0 when the kernel passed, BR_NO_KVM, or -1 with t->err. */
int br_boot(struct br_vm *t, const struct br_case *c);
/* br_boot, asserting success (skipping where KVM cannot be opened). */
void br_boot_ok(struct br_vm *t, const struct br_case *c);
void br_free(struct br_vm *t);

/* Generated module bytes and their FNV-1a checksum (as the kernels do). */
void br_bytes(uint8_t *p, uint64_t len, uint32_t seed);
uint32_t br_fnv(const uint8_t *p, uint64_t len);
/* A whole file of LIBVM_TEST_KERNEL_DIR, malloc'd. */
uint8_t *br_read_kernel(const char *name, size_t *len);

#endif
