/* SPDX-License-Identifier: MIT */
/*
 * libvm: virtual CPUs, their x86 state (<libvm/x86.h>) and runs, which end
 * in a libvm_exit (<libvm/exit.h>).
 *
 * A vCPU is used by one thread at a time (it may move between threads);
 * libvm_vcpu_cancel() is the one call that may come from any thread while
 * it runs.  See ABI.md for the full threading rules.
 */
#ifndef LIBVM_VCPU_H
#define LIBVM_VCPU_H

#include <libvm/exit.h>
#include <libvm/vm.h>
#include <libvm/x86.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- lifetime ------------------------------------------------------------ */

/*
 * Create vCPU number id (0 .. max_vcpus-1).  CPUID is set to what the host
 * supports.  The vCPU starts in real mode at f000:fff0 as on reset.
 */
LIBVM_API int libvm_vcpu_create(libvm_vcpu **out, libvm_vm *vm, uint32_t id);
/*
 * Destroy a vCPU that is not running.  NULL is a no-op.  KVM keeps the
 * vCPU itself until the VM is destroyed, so its id cannot be created
 * again in this VM (LIBVM_EBUSY).
 */
LIBVM_API void libvm_vcpu_destroy(libvm_vcpu *vcpu);
LIBVM_API libvm_vm *libvm_vcpu_vm(libvm_vcpu *vcpu);
LIBVM_API uint32_t libvm_vcpu_id(libvm_vcpu *vcpu);

/* ---- state (not while the vCPU runs) ---------------------------------- */

LIBVM_API int libvm_vcpu_get_regs(libvm_regs *out, libvm_vcpu *vcpu);
LIBVM_API int libvm_vcpu_set_regs(libvm_vcpu *vcpu, const libvm_regs *regs);
LIBVM_API int libvm_vcpu_get_sregs(libvm_sregs *out, libvm_vcpu *vcpu);
LIBVM_API int libvm_vcpu_set_sregs(libvm_vcpu *vcpu, const libvm_sregs *s);
LIBVM_API int libvm_vcpu_get_fpu(libvm_fpu *out, libvm_vcpu *vcpu);
LIBVM_API int libvm_vcpu_set_fpu(libvm_vcpu *vcpu, const libvm_fpu *fpu);

/* Size in bytes of the buffer libvm_vcpu_get_xsave() fills. */
LIBVM_API uint32_t libvm_vcpu_xsave_size(libvm_vcpu *vcpu);
/* XSAVE area in the processor's XSAVE layout into buf; size >= xsave_size. */
LIBVM_API int libvm_vcpu_get_xsave(libvm_vcpu *vcpu, void *buf,
				   uint32_t size);
LIBVM_API int libvm_vcpu_set_xsave(libvm_vcpu *vcpu, const void *buf,
				   uint32_t size);
/* Extended control register (index 0: XCR0). */
LIBVM_API int libvm_vcpu_get_xcr(uint64_t *out, libvm_vcpu *vcpu,
				 uint32_t index);
LIBVM_API int libvm_vcpu_set_xcr(libvm_vcpu *vcpu, uint32_t index,
				 uint64_t value);

LIBVM_API int libvm_vcpu_get_msr(uint64_t *out, libvm_vcpu *vcpu,
				 uint32_t index);
LIBVM_API int libvm_vcpu_set_msr(libvm_vcpu *vcpu, uint32_t index,
				 uint64_t value);

/*
 * CPUID.  get: *count is in/out (capacity of entries in, entries out;
 * LIBVM_ELIMIT and the needed count when too small).  set replaces the
 * whole table.
 */
LIBVM_API int libvm_vcpu_get_cpuid(libvm_vcpu *vcpu,
				   libvm_cpuid_entry *entries,
				   uint32_t *count);
LIBVM_API int libvm_vcpu_set_cpuid(libvm_vcpu *vcpu,
				   const libvm_cpuid_entry *entries,
				   uint32_t count);

/* Inject an external interrupt (no in-kernel irqchip only). */
LIBVM_API int libvm_vcpu_interrupt(libvm_vcpu *vcpu, uint32_t vector);

/* ---- running --------------------------------------------------------- */

/*
 * Run until the caller must act; *exit says why.  Port I/O and MMIO that
 * hit a registered trap are handled inside and never return.  timeout_ns
 * 0 means no timeout; otherwise the run returns LIBVM_EXIT_TIMEOUT once
 * that much wall-clock time has passed.  Returns 0 with *exit filled, or a
 * negative code when libvm itself failed (a KVM ioctl, a bad argument).
 */
LIBVM_API int libvm_vcpu_run(libvm_exit *exit, libvm_vcpu *vcpu,
			     uint64_t timeout_ns);

/*
 * Stop the vCPU: a run in progress returns LIBVM_EXIT_CANCELLED soon; if
 * none is in progress the next run returns it at once.  Safe from any
 * thread (not from a signal handler).  The vCPU stays usable.
 */
LIBVM_API int libvm_vcpu_cancel(libvm_vcpu *vcpu);

#ifdef __cplusplus
}
#endif
#endif
