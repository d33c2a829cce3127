/* SPDX-License-Identifier: MIT */
/* Internals of the long-mode runtime (lib/runtime). Never installed. */
#ifndef LIBVM_RUNTIME_INTERNAL_H
#define LIBVM_RUNTIME_INTERNAL_H

#include "../x86/x86.h"

extern const uint8_t lvm_rt_code[], lvm_rt_dispatch[], lvm_rt_syscall[],
	lvm_rt_sysport[], lvm_rt_code_end[];

/* Guest address of a label of lib/runtime/rt_code.S in the system area. */
#define LVM_RT_ADDR(sys, label) \
	((sys) + LVM_SYS_CODE + (uint64_t)((label) - lvm_rt_code))

/* Where SYSCALL leads in the runtime rt describes. */
#define LVM_RT_SYSCALL_ENTRY(rt) \
	LVM_RT_ADDR((rt)->sys_gpa, ((rt)->flags & LIBVM_LONG_SYSCALL) ? \
				   lvm_rt_sysport : lvm_rt_syscall)

/* lib/runtime/ports.c: the runtime's traps on its ports. */
extern const char lvm_rt_owner[];
/* Claim the ports a runtime with these LIBVM_LONG_* flags uses. */
int lvm_rt_ports_on(libvm_vm *vm, uint32_t flags);

/* lib/runtime/syscall.c: a SYSCALL that came to LIBVM_PORT_SYSCALL. */
enum lvm_dispatch lvm_rt_serve_syscall(libvm_vcpu *vcpu, libvm_regs *regs,
				       libvm_exit *ex);

/* lib/runtime/longmode.c */
/*
 * Keyed sum of the system area but its exception stacks: snapshots use it
 * to prove that only libvm's code runs at CPL0.
 */
uint64_t lvm_rt_sys_sum(const uint8_t *sys, uint64_t key);
/*
 * Give vm the runtime state rt (a restore or a fork): its ports are
 * claimed if rt is active.  The host's callbacks (console, system-call
 * handler) stay vm's own.
 */
int lvm_rt_adopt(libvm_vm *vm, const struct lvm_rt *rt);
/* Copy the host's callbacks of src's runtime to dst's (a fork's). */
void lvm_rt_callbacks(struct lvm_rt *dst, const struct lvm_rt *src);

#endif
