/* SPDX-License-Identifier: MIT */
/*
 * The tables of the long-mode environment: GDT and TSSs, IDT, the identity
 * map and the guard over the system area's own pages.  Each writer only
 * writes: lib/runtime/longmode.c checks everything first.
 *
 * Accessed bits (GDT) and page-table A/D bits come preset, so the CPU
 * never writes these tables: snapshots then take any write to them as the
 * guest's (lib/snapshot).
 */
#include "x86.h"

#include <cpuid.h>
#include <string.h>

/* A page-table entry pointing at the next table: present, writable, user. */
#define PTE_TABLE	(PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_ACCESSED)
/* A large identity-mapped page, user accessible, writable, executable. */
#define PTE_BIG_PAGE	(PTE_TABLE | PTE_DIRTY | PTE_LARGE)
/* 4 KiB pages of the guard: user data, the system area, its code page. */
#define PTE_USER_PAGE	(PTE_TABLE | PTE_DIRTY)
#define PTE_SYS_PAGE	(PTE_PRESENT | PTE_WRITABLE | PTE_ACCESSED | PTE_DIRTY)
#define PTE_CODE_PAGE	(PTE_PRESENT | PTE_USER | PTE_ACCESSED)

/* Descriptor type of an available 64-bit TSS, present, DPL 0. */
#define DESC_TSS64	0x89ull
/* Gate types: interrupt gate, present, DPL 0 or 3. */
#define GATE_INTR_DPL0	0x8eull
#define GATE_INTR_DPL3	0xeeull
#define GATE_IST1	1ull

/* TSS fields (64-bit TSS). */
#define TSS_RSP0	0x04
#define TSS_IST1	0x24
#define TSS_IOPB	0x66

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t gdt_tss_lo(uint64_t base, uint32_t limit)
{
	return (limit & 0xffff) | ((base & 0xffffff) << 16) |
	       (DESC_TSS64 << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       (((base >> 24) & 0xff) << 56);
}

/*
 * GDT: null, kernel code/data, user data/code, one TSS per vCPU, each
 * with its exception stack (RSP0, IST1) and the shared, all-zero I/O
 * permission bitmap.
 */
void lvm_lm_write_gdt_tss(uint8_t *p, uint64_t sys)
{
	static const uint64_t gdt[5] = {
		0, 0x00af9b000000ffffull, 0x00cf93000000ffffull,
		0x00cff3000000ffffull, 0x00affb000000ffffull,
	};
	uint32_t id;

	memcpy(p + LVM_SYS_GDT, gdt, sizeof(gdt));
	for (id = 0; id < LIBVM_LONG_MAX_VCPUS; id++) {
		uint64_t tss = sys + LVM_TSS_OFF(id);
		uint64_t stack = LVM_IST_TOP(sys, id);
		uint8_t *t = p + LVM_TSS_OFF(id);
		uint16_t iopb = LVM_TSS_IOPB(id);

		put64(p + LVM_SYS_GDT + LVM_SEL_TSS(id),
		      gdt_tss_lo(tss, LVM_TSS_LIMIT(id)));
		put64(p + LVM_SYS_GDT + LVM_SEL_TSS(id) + 8, tss >> 32);
		put64(t + TSS_RSP0, stack);
		put64(t + TSS_IST1, stack);
		memcpy(t + TSS_IOPB, &iopb, 2);
	}
	p[LVM_SYS_IOBITMAP + LVM_IOBITMAP_SIZE - 1] = 0xff;
}

/*
 * 32 interrupt gates on IST1 to the stubs at guest address stubs, 16 bytes
 * apart.  INT3 and INTO gates get DPL 3 (as in Linux) so that user-mode
 * code reports #BP/#OF instead of #GP on the gate.
 */
void lvm_lm_write_idt(uint8_t *p, uint64_t stubs)
{
	unsigned v;

	for (v = 0; v < 32; v++) {
		uint64_t off = stubs + 16ull * v;
		uint64_t type = v == 3 || v == 4 ? GATE_INTR_DPL3
						 : GATE_INTR_DPL0;
		uint8_t *g = p + LVM_SYS_IDT + 16 * v;

		put64(g, (off & 0xffff) | ((uint64_t)LVM_SEL_KCODE << 16) |
			 (GATE_IST1 << 32) | (type << 40) |
			 (((off >> 16) & 0xffff) << 48));
		put64(g + 8, off >> 32);
	}
}

/* Identity-map [0, map) with pages of page bytes (2 MiB or 1 GiB). */
void lvm_lm_write_identity_map(uint8_t *p, uint64_t sys, uint64_t map,
			       uint64_t page)
{
	uint64_t ngb = (map + (1ull << 30) - 1) >> 30, i, j;

	put64(p + LVM_SYS_PML4, (sys + LVM_SYS_PDPT) | PTE_TABLE);
	for (i = 0; i < ngb; i++) {
		uint8_t *pd = p + LVM_SYS_PD + 4096 * i;

		if (page == (1ull << 30)) {
			put64(p + LVM_SYS_PDPT + 8 * i,
			      (i << 30) | PTE_BIG_PAGE);
			continue;
		}
		put64(p + LVM_SYS_PDPT + 8 * i,
		      (sys + LVM_SYS_PD + 4096 * i) | PTE_TABLE);
		for (j = 0; j < 512 && (i << 30) + (j << 21) < map; j++)
			put64(pd + 8 * j, ((i << 30) + (j << 21)) | PTE_BIG_PAGE);
	}
}

/*
 * The system area's own 4 KiB pages (2 MiB identity map only):
 * supervisor-only, but for the code page at code, which user mode runs
 * (the call dispatch) and may not write.  User-mode code cannot touch
 * libvm's tables then, and reaches CPL0 only through them, into libvm's
 * exception stubs.
 */
void lvm_lm_write_guard(uint8_t *p, uint64_t sys, uint64_t code)
{
	uint64_t k, j, first = sys >> 21;
	uint64_t last = (sys + LIBVM_SYS_SIZE - 1) >> 21;

	for (k = first; k <= last && k < 64 * 512; k++) {
		uint8_t *pde = p + LVM_SYS_PD + 8 * k;
		uint8_t *pt = p + LVM_SYS_PT + 4096 * (k - first);
		uint64_t e;

		memcpy(&e, pde, 8);
		if (!e)
			continue;	/* not mapped at all */
		for (j = 0; j < 512; j++) {
			uint64_t pa = (k << 21) + (j << 12);
			uint64_t f = PTE_USER_PAGE;

			if (pa == code)
				f = PTE_CODE_PAGE;
			else if (pa >= sys && pa < sys + LIBVM_SYS_SIZE)
				f = PTE_SYS_PAGE;
			put64(pt + 8 * j, pa | f);
		}
		put64(pde, (sys + LVM_SYS_PT + 4096 * (k - first)) | PTE_TABLE);
	}
}

void lvm_lm_sregs(libvm_sregs *s, uint64_t sys, uint32_t id, uint32_t how)
{
	bool user = how & LVM_LM_USER;
	uint8_t dpl = user ? 3 : 0;

	s->cs = lvm_flat_seg(user ? LVM_SEL_UCODE : LVM_SEL_KCODE, 11, dpl, true);
	s->ds = s->es = s->fs = s->gs = s->ss =
		lvm_flat_seg(user ? LVM_SEL_UDATA : LVM_SEL_KDATA, 3, dpl, false);
	s->tr = (libvm_segment){
		.base = sys + LVM_TSS_OFF(id), .limit = LVM_TSS_LIMIT(id),
		.selector = LVM_SEL_TSS(id), .type = 11, .present = 1,
	};
	s->ldt = (libvm_segment){ .type = 2, .present = 1, .unusable = 1 };
	s->gdt = (libvm_dtable){ .base = sys + LVM_SYS_GDT,
				 .limit = LVM_SEL_TSS(LIBVM_LONG_MAX_VCPUS) - 1 };
	s->idt = (libvm_dtable){ .base = sys + LVM_SYS_IDT,
				 .limit = 32 * 16 - 1 };
	s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s->cr3 = sys + LVM_SYS_PML4;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT |
		 ((how & LVM_LM_XSAVE) ? CR4_OSXSAVE : 0);
	/*
	 * No SYSCALL in user mode: it raises #UD, reported like any
	 * exception.  Hosts that ignore EFER.SCE (PVM) jump to LSTAR instead,
	 * which leads to the runtime's stub that reports the same #UD.  With
	 * LIBVM_LONG_SYSCALL it leads to the stub that exits to the host.
	 */
	s->efer = (user && !(how & LVM_LM_SYSCALL) ? 0 : EFER_SCE) | EFER_LME |
		  EFER_LMA | EFER_NXE;
}

uint64_t lvm_guest_xcr0(int kvm_fd)
{
	const libvm_cpuid_entry *e;
	unsigned a, b, c, d;
	uint32_t n, i;
	uint64_t x = 0;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_XSAVE))
		return 0;
	if (lvm_supported_cpuid(&e, &n, kvm_fd) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (e[i].function == 0xd && e[i].index == 0)
			x = e[i].eax | ((uint64_t)e[i].edx << 32);
	x &= 0x2e7;	/* x87, SSE, AVX, AVX-512 (3 parts), PKRU */
	if ((x & 0xe0) != 0xe0)
		x &= ~0xe0ull;
	return (x & 3) == 3 ? x : 0;
}

bool lvm_cpu_1g_pages(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 26));
}
