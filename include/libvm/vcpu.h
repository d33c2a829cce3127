/* SPDX-License-Identifier: MIT */
/*
 * libvm: virtual CPUs, their x86 state and the run loop.
 *
 * A vCPU is used by one thread at a time (it may move between threads);
 * libvm_vcpu_cancel() is the one call that may come from any thread while
 * it runs.  See ABI.md for the full threading rules.
 */
#ifndef LIBVM_VCPU_H
#define LIBVM_VCPU_H

#include <libvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- register sets (layouts match KVM's x86 structs) ---------------- */

typedef struct libvm_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
} libvm_regs;

typedef struct libvm_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type, present, dpl, db, s, l, g, avl, unusable, padding;
} libvm_segment;

typedef struct libvm_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
} libvm_dtable;

typedef struct libvm_sregs {
	libvm_segment cs, ds, es, fs, gs, ss, tr, ldt;
	libvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base;
	uint64_t interrupt_bitmap[4];
} libvm_sregs;

typedef struct libvm_fpu {
	uint8_t fpr[8][16];
	uint16_t fcw, fsw;
	uint8_t ftwx, pad1;
	uint16_t last_opcode;
	uint64_t last_ip, last_dp;
	uint8_t xmm[16][16];
	uint32_t mxcsr, pad2;
} libvm_fpu;

typedef struct libvm_cpuid_entry {
	uint32_t function, index, flags; /* flags: KVM_CPUID_FLAG_* */
	uint32_t eax, ebx, ecx, edx;
	uint32_t padding[3];
} libvm_cpuid_entry;

/* ---- exits ------------------------------------------------------------ */

enum libvm_exit_reason {
	LIBVM_EXIT_NONE = 0,
	LIBVM_EXIT_HLT = 1,		/* guest executed HLT */
	LIBVM_EXIT_IO = 2,		/* port I/O no trap handles: u.io */
	LIBVM_EXIT_MMIO = 3,		/* MMIO no trap handles: u.mmio */
	LIBVM_EXIT_SHUTDOWN = 4,	/* triple fault or shutdown */
	LIBVM_EXIT_FAIL_ENTRY = 5,	/* KVM could not enter: u.fail_entry */
	LIBVM_EXIT_INTERNAL_ERROR = 6,	/* KVM gave up: u.internal */
	LIBVM_EXIT_DEBUG = 7,		/* breakpoint or single step: u.debug */
	LIBVM_EXIT_CANCELLED = 8,	/* libvm_vcpu_cancel() */
	LIBVM_EXIT_TIMEOUT = 9,		/* the run's timeout expired */
	LIBVM_EXIT_STOPPED = 10,	/* a trap handler asked to stop: u.stop */
	LIBVM_EXIT_SYSTEM_EVENT = 11,	/* reset/shutdown request: u.system */
	LIBVM_EXIT_IRQ_WINDOW = 12,	/* interrupt window open */
	LIBVM_EXIT_OTHER = 13,		/* any other KVM exit: kvm_reason */
	LIBVM_EXIT_EXCEPTION = 14,	/* long-mode guest fault: u.exception */
	LIBVM_EXIT_GUEST_EXIT = 15,	/* guest called exit: u.guest_exit */
	LIBVM_EXIT_RETURN = 16,		/* a libvm_call returned: u.ret */
};

/* Direction of an access (traps and exits). */
#define LIBVM_READ	0	/* guest reads: IN, MMIO load */
#define LIBVM_WRITE	1	/* guest writes: OUT, MMIO store */

typedef struct libvm_exit {
	uint32_t reason;	/* enum libvm_exit_reason */
	uint32_t kvm_reason;	/* raw KVM_EXIT_* (0 for libvm's own) */
	union {
		/*
		 * data points into the vCPU's shared page and holds
		 * size * count bytes: for a read (IN) the caller stores
		 * what the guest receives before the next run.
		 */
		struct {
			uint16_t port;
			uint8_t size;	/* 1, 2 or 4 */
			uint8_t direction; /* LIBVM_READ / LIBVM_WRITE */
			uint32_t count;	/* > 1 for REP INS/OUTS */
			uint8_t *data;
		} io;
		/* data holds size bytes; store into it for a read. */
		struct {
			uint64_t gpa;
			uint32_t size;	/* 1 to 8 */
			uint8_t direction;
			uint8_t pad[3];
			uint8_t *data;
		} mmio;
		struct {
			uint64_t hardware_reason;
			uint32_t cpu;
		} fail_entry;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal;
		struct {
			uint32_t exception;
			uint32_t pad;
			uint64_t pc, dr6, dr7;
		} debug;
		/*
		 * space LIBVM_TRAP_PIO, _MMIO or _HYPERCALL; addr the port,
		 * address or hypercall number; code what the handler
		 * returned.  For a hypercall, value is the guest's first
		 * argument (RDI), whole: for LIBVM_HC_BUG the 64-bit code
		 * of libvm_guest_report_bug, whose low 32 bits are also in
		 * code.  0 for ports and MMIO.
		 */
		struct {
			uint32_t space;
			int32_t code;
			uint64_t addr;
			uint64_t value;
		} stop;
		struct {
			uint32_t type;	/* KVM_SYSTEM_EVENT_* */
			uint32_t ndata;
			uint64_t data[16];
		} system;
		struct {
			uint32_t vector;	/* 0-31 */
			uint32_t has_error_code;
			uint64_t error_code;
			uint64_t rip, cs, rflags, rsp;
			uint64_t cr2;		/* page fault address */
		} exception;
		struct {
			int64_t code;
		} guest_exit;
		struct {
			uint64_t value;		/* RAX */
		} ret;
		uint8_t reserved[256];
	} u;
} libvm_exit;

/* Short name of an exit reason ("hlt", "io", ...); never NULL. */
LIBVM_API const char *libvm_exit_reason_name(uint32_t reason);

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
/* XSAVE area in the processor's XSAVE layout; size >= xsave_size. */
LIBVM_API int libvm_vcpu_get_xsave(void *out, uint32_t size,
				   libvm_vcpu *vcpu);
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
 * CPUID.  get: *count is in/out (capacity in, entries out; LIBVM_ELIMIT and
 * the needed count when too small).  set replaces the whole table.
 */
LIBVM_API int libvm_vcpu_get_cpuid(libvm_cpuid_entry *out, uint32_t *count,
				   libvm_vcpu *vcpu);
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
