/* SPDX-License-Identifier: MIT */
/* x86 internals shared by lib/x86 and the layers above it. Never installed. */
#ifndef LIBVM_X86_INTERNAL_H
#define LIBVM_X86_INTERNAL_H

#include "../internal.h"

#define CHECK_VCPU(v, fn)                                                     \
	do {                                                                  \
		if (!(v))                                                     \
			return lvm_err(LIBVM_EINVAL, fn ": vcpu is NULL");    \
	} while (0)

/* Control register and EFER bits. */
#define CR0_PE		(1ull << 0)
#define CR0_MP		(1ull << 1)
#define CR0_ET		(1ull << 4)
#define CR0_NE		(1ull << 5)
#define CR0_WP		(1ull << 16)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define CR4_OSFXSR	(1ull << 9)
#define CR4_OSXMMEXCPT	(1ull << 10)
#define CR4_OSXSAVE	(1ull << 18)
#define EFER_SCE	(1ull << 0)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NXE	(1ull << 11)

/* RFLAGS: bit 1 is always set; IOPL 3 lets user mode do port I/O. */
#define RFLAGS_FIXED	0x2ull
#define RFLAGS_IOPL3	0x3000ull

/* A flat 4 GiB segment (a 64-bit code segment if code64). */
static inline libvm_segment lvm_flat_seg(uint16_t sel, uint8_t type,
					 uint8_t dpl, bool code64)
{
	return (libvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = dpl, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

/* Page-table entry bits (4-level paging). */
#define PTE_PRESENT	(1ull << 0)
#define PTE_WRITABLE	(1ull << 1)
#define PTE_USER	(1ull << 2)
#define PTE_ACCESSED	(1ull << 5)
#define PTE_DIRTY	(1ull << 6)
#define PTE_LARGE	(1ull << 7)	/* 2 MiB (PDE) or 1 GiB (PDPTE) page */
#define PTE_NX		(1ull << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ull

/* ---- the long-mode environment's system area ---------------------------- */

/* Layout of the system area (offsets from sys_gpa). */
#define LVM_SYS_GDT	0x00000
#define LVM_SYS_IDT	0x01000
#define LVM_SYS_TSS	0x02000	/* 128 bytes per vCPU */
#define LVM_SYS_CODE	0x03000
#define LVM_SYS_PML4	0x04000
#define LVM_SYS_PDPT	0x05000
#define LVM_SYS_PD	0x06000	/* 64 pages */
#define LVM_SYS_STACKS	0x46000	/* 4 KiB exception stack per vCPU */
#define LVM_SYS_PT	0x56000	/* 2 page tables: the area's 4 KiB pages */
/*
 * The I/O permission bitmap every vCPU's TSS points at: all zeros (every
 * port allowed) and the 0xff byte the CPU wants after it.  User-mode port
 * I/O (the runtime's ports, devices) needs it on PVM, which ignores
 * RFLAGS.IOPL for guest user mode but honours the bitmap.
 */
#define LVM_SYS_IOBITMAP	0x58000	/* 8 KiB + 1 byte */
#define LVM_IOBITMAP_SIZE	(8192 + 1)
/* TSS of vCPU id: its limit reaches the bitmap's last byte. */
#define LVM_TSS_OFF(id)		(LVM_SYS_TSS + 128u * (id))
#define LVM_TSS_IOPB(id)	(LVM_SYS_IOBITMAP - LVM_TSS_OFF(id))
#define LVM_TSS_LIMIT(id)	(LVM_TSS_IOPB(id) + LVM_IOBITMAP_SIZE - 1)
#define LVM_SEL_KCODE	0x08
#define LVM_SEL_KDATA	0x10
#define LVM_SEL_UDATA	0x1b
#define LVM_SEL_UCODE	0x23
#define LVM_SEL_TSS(id)	(0x28 + 16 * (id))

/* Top of vCPU id's exception stack (IST1, RSP0). */
#define LVM_IST_TOP(sys, id) \
	((sys) + LVM_SYS_STACKS + 4096ull * ((id) + 1))

/*
 * The SYSCALL MSRs the long-mode runtime sets: LSTAR and CSTAR lead to
 * lvm_rt_syscall; STAR gives SYSCALL CS 0x08, SS 0x10 and SYSRET CS 0x23,
 * SS 0x1b; SFMASK clears what Linux's does (TF, IF, DF and AC among them).
 */
#define LVM_MSR_STAR	0xc0000081u
#define LVM_MSR_LSTAR	0xc0000082u
#define LVM_MSR_CSTAR	0xc0000083u
#define LVM_MSR_SFMASK	0xc0000084u
#define LVM_STAR	((uint64_t)LVM_SEL_KDATA << 48 | \
			 (uint64_t)LVM_SEL_KCODE << 32)
#define LVM_SFMASK	0x257fd5ull

/* lib/x86/regs.c */
/*
 * State handed to KVM through the run area (KVM_CAP_SYNC_REGS) takes
 * effect on the next KVM_RUN; other vCPU ioctls first push it with the
 * ordinary ioctls.
 */
int lvm_vcpu_sync_flush(libvm_vcpu *vcpu);
/* Whether regs, sregs and events can all travel through the run area. */
bool lvm_vcpu_sync_all(libvm_vcpu *vcpu);
/* The general registers after an exit, without an ioctl when synced. */
libvm_regs *lvm_vcpu_regs(libvm_vcpu *v, libvm_regs *buf);
/* Set sregs through the run area when KVM allows it; no state_dirty. */
int lvm_vcpu_put_sregs(libvm_vcpu *vcpu, const libvm_sregs *s);

/* lib/x86/cpuid.c */
int lvm_supported_cpuid(const libvm_cpuid_entry **out, uint32_t *n,
			int kvm_fd);
int lvm_cpuid_setup(libvm_vcpu *vcpu);

/* lib/x86/longmode.c: the long-mode tables, written into the system area
 * p (guest address sys) once everything was checked. */
void lvm_lm_write_gdt_tss(uint8_t *p, uint64_t sys);
void lvm_lm_write_idt(uint8_t *p, uint64_t stubs);
void lvm_lm_write_identity_map(uint8_t *p, uint64_t sys, uint64_t map,
			       uint64_t page);
void lvm_lm_write_guard(uint8_t *p, uint64_t sys, uint64_t code);
/* The segment, control and table registers of vCPU id in the area. */
#define LVM_LM_USER	(1u << 0)	/* guest code at CPL3 */
#define LVM_LM_XSAVE	(1u << 1)	/* CR4.OSXSAVE */
#define LVM_LM_SYSCALL	(1u << 2)	/* EFER.SCE in user mode too */
void lvm_lm_sregs(libvm_sregs *s, uint64_t sys, uint32_t id, uint32_t how);
/* XCR0 for guests: what KVM supports of x87, SSE, AVX, AVX-512, PKRU. */
uint64_t lvm_guest_xcr0(int kvm_fd);
/* Whether the CPU has 1 GiB pages. */
bool lvm_cpu_1g_pages(void);

/* lib/x86/xcr0.c */
/*
 * NULL if xcr0 is a value XSETBV takes on some x86 CPU (known user state
 * components, x87 set, their dependencies met); otherwise what is wrong.
 */
const char *lvm_x86_xcr0_check(uint64_t xcr0);
/* Bytes of XSAVE area (standard format) the components of xcr0 need. */
uint32_t lvm_x86_xsave_need(uint64_t xcr0);

#endif
