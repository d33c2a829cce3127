/* SPDX-License-Identifier: MIT */
/*
 * libvm: how a run ends.  libvm_vcpu_run() and libvm_call() describe it in
 * a libvm_exit; ABI.md ("How runs end") compares the ways side by side.
 */
#ifndef LIBVM_EXIT_H
#define LIBVM_EXIT_H

#include <libvm/common.h>

#ifdef __cplusplus
extern "C" {
#endif

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
	uint32_t kvm_reason;	/* LIBVM_KVM_EXIT_* (0 for libvm's own) */
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
		 * space LIBVM_TRAP_*; addr the port, address, hypercall or
		 * system call number; code what the handler returned.  For
		 * a hypercall or system call, value is the guest's first
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
			uint32_t type;	/* LIBVM_SYSTEM_EVENT_* */
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

/*
 * libvm_exit.kvm_reason: the KVM exit that ended the run, with the values
 * of <linux/kvm.h>'s KVM_EXIT_* (the x86 ones; others pass through as
 * their numbers).
 */
enum libvm_kvm_exit {
	LIBVM_KVM_EXIT_UNKNOWN = 0,
	LIBVM_KVM_EXIT_EXCEPTION = 1,
	LIBVM_KVM_EXIT_IO = 2,
	LIBVM_KVM_EXIT_HYPERCALL = 3,
	LIBVM_KVM_EXIT_DEBUG = 4,
	LIBVM_KVM_EXIT_HLT = 5,
	LIBVM_KVM_EXIT_MMIO = 6,
	LIBVM_KVM_EXIT_IRQ_WINDOW_OPEN = 7,
	LIBVM_KVM_EXIT_SHUTDOWN = 8,
	LIBVM_KVM_EXIT_FAIL_ENTRY = 9,
	LIBVM_KVM_EXIT_INTR = 10,
	LIBVM_KVM_EXIT_SET_TPR = 11,
	LIBVM_KVM_EXIT_TPR_ACCESS = 12,
	LIBVM_KVM_EXIT_NMI = 16,
	LIBVM_KVM_EXIT_INTERNAL_ERROR = 17,
	LIBVM_KVM_EXIT_SYSTEM_EVENT = 24,
	LIBVM_KVM_EXIT_IOAPIC_EOI = 26,
	LIBVM_KVM_EXIT_HYPERV = 27,
	LIBVM_KVM_EXIT_X86_RDMSR = 29,
	LIBVM_KVM_EXIT_X86_WRMSR = 30,
	LIBVM_KVM_EXIT_DIRTY_RING_FULL = 31,
	LIBVM_KVM_EXIT_AP_RESET_HOLD = 32,
	LIBVM_KVM_EXIT_X86_BUS_LOCK = 33,
	LIBVM_KVM_EXIT_XEN = 34,
	LIBVM_KVM_EXIT_NOTIFY = 37,
};

/* libvm_exit.u.system.type (the values of KVM's KVM_SYSTEM_EVENT_*) */
#define LIBVM_SYSTEM_EVENT_SHUTDOWN	1
#define LIBVM_SYSTEM_EVENT_RESET	2
#define LIBVM_SYSTEM_EVENT_CRASH	3
#define LIBVM_SYSTEM_EVENT_WAKEUP	4
#define LIBVM_SYSTEM_EVENT_SUSPEND	5
#define LIBVM_SYSTEM_EVENT_SEV_TERM	6

#ifdef __cplusplus
}
#endif
#endif
