/* SPDX-License-Identifier: MIT */
/*
 * The machine (lib/machine/): a VM, its RAM, the platform, vCPU threads
 * and a kernel.  Built on the public API like the platform below it.
 */
#ifndef LIBVM_MACH_H
#define LIBVM_MACH_H

#include "../internal.h"
#include <libvm/machine.h>

/* Legacy PC hole below 1 MiB: EBDA, VGA, option ROMs, BIOS. */
#define LVM_MACH_EBDA		0x9fc00ull
#define LVM_MACH_1M		0x100000ull
/* ESP of an ELF32 guest. */
#define LVM_MACH_ELF32_STACK	0x90000u

struct libvm_machine {
	libvm_machine_config cfg;
	libvm_vm *vm;
	libvm_platform *plat;
	libvm_vcpu **vcpus;
	pthread_t *threads;
	uint32_t nthreads;	/* started */
	uint64_t t0;		/* CLOCK_MONOTONIC at create */
	uint64_t low_ram, high_ram;
	uint64_t rsdp;		/* ACPI RSDP's address, 0: none */

	pthread_mutex_t lock;
	pthread_cond_t ended_cond;
	bool started, ended, joined;
	uint64_t deadline;	/* of the run, CLOCK_MONOTONIC; 0: none */
	int error;		/* first libvm failure on a machine thread */
	char errmsg[256];	/* and its detail */
	libvm_machine_result res;
	libvm_boot *boot;	/* what lib/boot loaded, NULL: none */
};

/* lib/machine/unpack.c: a bzImage's vmlinux, when it has a PVH entry. */
struct lvm_unpacked {
	uint8_t *data;
	uint64_t len;
	bool mapped;		/* from the cache (munmap), else malloc'd */
};
/* 0 and *u filled, or -1: boot the bzImage as it is. */
int lvm_mach_unpack(struct lvm_unpacked *u, const uint8_t *bz, uint64_t len,
		    const char *cache_dir);
void lvm_mach_unpacked_free(struct lvm_unpacked *u);

/* lib/machine/kernel.c: load cfg's kernel, set vCPU 0 up to enter it. */
int lvm_mach_load(libvm_machine *m);
void lvm_mach_unload(libvm_machine *m);

#endif
