/* SPDX-License-Identifier: MIT */
/* CPU modes: real, 32-bit flat protected, and the long-mode environment. */
#include "../internal.h"

#include <cpuid.h>
#include <string.h>

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static libvm_segment seg(uint16_t sel, uint8_t type, uint8_t dpl, bool code64)
{
	return (libvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = dpl, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

LIBVM_API int libvm_vcpu_set_real_mode(libvm_vcpu *v, uint16_t cs,
				       uint16_t ip, uint16_t sp)
{
	libvm_regs regs = { .rip = ip, .rsp = sp, .rflags = 0x2 };
	libvm_sregs s;
	libvm_segment *segs[6];
	int r, i;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_real_mode: vcpu is "
			       "NULL");
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	segs[0] = &s.cs, segs[1] = &s.ds, segs[2] = &s.es;
	segs[3] = &s.ss, segs[4] = &s.fs, segs[5] = &s.gs;
	for (i = 0; i < 6; i++) {
		*segs[i] = (libvm_segment){
			.base = (uint64_t)cs << 4, .limit = 0xffff,
			.selector = cs, .type = i ? 3 : 11, .present = 1,
			.s = 1,
		};
	}
	s.cr0 = CR0_ET | CR0_NE;
	s.cr3 = s.cr4 = s.efer = 0;
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	v->rt_at_dispatch = false;
	return libvm_vcpu_set_regs(v, &regs);
}

LIBVM_API int libvm_vcpu_set_protected_mode(libvm_vcpu *v, uint32_t eip,
					    uint32_t esp)
{
	libvm_regs regs = { .rip = eip, .rsp = esp, .rflags = 0x2 };
	libvm_sregs s;
	int r;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_protected_mode: "
			       "vcpu is NULL");
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	s.cs = seg(0x08, 11, 0, false);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(0x10, 3, 0, false);
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	s.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.cr3 = s.efer = 0;
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	v->rt_at_dispatch = false;
	return libvm_vcpu_set_regs(v, &regs);
}

/* ---- long mode ------------------------------------------------------------ */

static uint64_t gdt_tss_lo(uint64_t base, uint32_t limit)
{
	return (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       (((base >> 24) & 0xff) << 56);
}

/*
 * An interrupt gate on IST1.  INT3 and INTO gates get DPL 3 (as in Linux)
 * so that user-mode code reports #BP/#OF instead of #GP on the gate.
 */
static void idt_gate(uint8_t *p, uint64_t off, unsigned vector)
{
	uint64_t type = vector == 3 || vector == 4 ? 0xee : 0x8e;
	uint64_t lo = (off & 0xffff) | ((uint64_t)LVM_SEL_KCODE << 16) |
		      (1ull << 32) /* IST1 */ | (type << 40) |
		      (((off >> 16) & 0xffff) << 48);
	uint64_t hi = off >> 32;

	memcpy(p, &lo, 8);
	memcpy(p + 8, &hi, 8);
}

/* XCR0 for guests: what KVM supports of x87, SSE, AVX, AVX-512, PKRU. */
static uint64_t guest_xcr0(int kvm_fd)
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
	x &= 0x2e7;
	if ((x & 0xe0) != 0xe0)
		x &= ~0xe0ull;
	return (x & 3) == 3 ? x : 0;
}

static uint64_t ram_end(libvm_vm *vm)
{
	return vm->nregions ? vm->regions[vm->nregions - 1].gpa +
				      vm->regions[vm->nregions - 1].size
			    : 0;
}

LIBVM_API int libvm_long_mode_setup(libvm_vm *vm, const libvm_long_mode *cfg)
{
	uint64_t page, map, ngb, i, j, sys;
	unsigned a, b, c, d;
	uint8_t *p;
	uint32_t id;
	int r = 0;

	if (!vm || !cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode_setup: NULL "
			       "argument");
	if (cfg->version != LIBVM_LONG_MODE_VERSION)
		return lvm_err(LIBVM_EVERSION, "libvm_long_mode.version %u: "
			       "this libvm knows 1", cfg->version);
	if (cfg->flags & ~(LIBVM_LONG_SUPERVISOR | LIBVM_LONG_1G_PAGES))
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode.flags %#x",
			       cfg->flags);
	sys = cfg->sys_gpa;
	if (sys & (LIBVM_PAGE_SIZE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode.sys_gpa %#llx is "
			       "not page aligned", (unsigned long long)sys);
	if ((cfg->flags & LIBVM_LONG_1G_PAGES) &&
	    !(__get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 26))))
		return lvm_err(LIBVM_ENOTSUP, "LIBVM_LONG_1G_PAGES: the CPU "
			       "has no 1 GiB pages");
	page = (cfg->flags & LIBVM_LONG_1G_PAGES) ? 1ull << 30 : 2ull << 20;
	pthread_rwlock_rdlock(&vm->mem_lock);
	map = cfg->map_size ? cfg->map_size : ram_end(vm);
	p = lvm_gpa_ptr(vm, sys, LIBVM_SYS_SIZE, true);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (!p)
		return lvm_err(LIBVM_ERANGE, "libvm_long_mode.sys_gpa: %#llx+"
			       "%#llx is not inside one writable RAM region",
			       (unsigned long long)sys, LIBVM_SYS_SIZE);
	ngb = (map + (1ull << 30) - 1) >> 30;
	if (!map || ngb > ((cfg->flags & LIBVM_LONG_1G_PAGES) ? 512 : 64))
		return lvm_err(LIBVM_ERANGE, "libvm_long_mode.map_size %#llx: "
			       "1 byte to %s", (unsigned long long)map,
			       page == (2ull << 20) ? "64 GiB" : "512 GiB");
	map = (map + page - 1) & ~(page - 1);

	memset(p, 0, LIBVM_SYS_SIZE);
	/*
	 * GDT: null, kernel code/data, user data/code, one TSS per vCPU.
	 * Accessed bits (here) and page-table A/D bits (below) come preset,
	 * so the CPU never writes these tables: snapshots then take any write
	 * to them as the guest's (lib/snapshot/snapshot.c).
	 */
	{
		uint64_t gdt[5] = { 0, 0x00af9b000000ffffull,
				    0x00cf93000000ffffull,
				    0x00cff3000000ffffull,
				    0x00affb000000ffffull };

		memcpy(p + LVM_SYS_GDT, gdt, sizeof(gdt));
	}
	for (id = 0; id < LIBVM_LONG_MAX_VCPUS; id++) {
		uint64_t tss = sys + LVM_TSS_OFF(id);
		uint64_t stack = sys + LVM_SYS_STACKS + 4096ull * (id + 1);
		uint64_t lo = gdt_tss_lo(tss, LVM_TSS_LIMIT(id)), hi = tss >> 32;
		uint8_t *t = p + LVM_TSS_OFF(id);
		uint16_t iopb = LVM_TSS_IOPB(id);

		memcpy(p + LVM_SYS_GDT + LVM_SEL_TSS(id), &lo, 8);
		memcpy(p + LVM_SYS_GDT + LVM_SEL_TSS(id) + 8, &hi, 8);
		memcpy(t + 4, &stack, 8);	/* RSP0 */
		memcpy(t + 0x24, &stack, 8);	/* IST1 */
		memcpy(t + 0x66, &iopb, 2);	/* the shared I/O bitmap */
	}
	p[LVM_SYS_IOBITMAP + LVM_IOBITMAP_SIZE - 1] = 0xff;
	for (i = 0; i < 32; i++)
		idt_gate(p + LVM_SYS_IDT + 16 * i,
			 sys + LVM_SYS_CODE + 16 * i, (unsigned)i);
	memcpy(p + LVM_SYS_CODE, lvm_rt_code,
	       (size_t)(lvm_rt_code_end - lvm_rt_code));
	/* Identity map, user accessible, writable, executable. */
	{
		uint64_t e = (sys + LVM_SYS_PDPT) | 0x27;

		memcpy(p + LVM_SYS_PML4, &e, 8);
	}
	for (i = 0; i < ngb; i++) {
		uint64_t e;

		if (page == (1ull << 30)) {
			e = (i << 30) | 0xe7;
			memcpy(p + LVM_SYS_PDPT + 8 * i, &e, 8);
			continue;
		}
		e = (sys + LVM_SYS_PD + 4096 * i) | 0x27;
		memcpy(p + LVM_SYS_PDPT + 8 * i, &e, 8);
		for (j = 0; j < 512 && (i << 30) + (j << 21) < map; j++) {
			e = (i << 30) + (j << 21) + 0xe7;
			memcpy(p + LVM_SYS_PD + 4096 * i + 8 * j, &e, 8);
		}
	}
	/*
	 * The system area's own 4 KiB pages: supervisor-only, but for the
	 * code page, which user mode runs (the call dispatch) and may not
	 * write.  User-mode code cannot touch libvm's tables then, and
	 * reaches CPL0 only through them, into libvm's exception stubs.
	 */
	if (page == (2ull << 20)) {
		uint64_t k, first = sys >> 21;
		uint64_t last = (sys + LIBVM_SYS_SIZE - 1) >> 21;

		for (k = first; k <= last && k < 64 * 512; k++) {
			uint8_t *pde = p + LVM_SYS_PD + 8 * k;
			uint64_t pt = sys + LVM_SYS_PT + 4096 * (k - first), e;

			memcpy(&e, pde, 8);
			if (!e)
				continue;	/* not mapped at all */
			for (j = 0; j < 512; j++) {
				uint64_t pa = (k << 21) + (j << 12);
				uint64_t f = 0x67;	/* P RW U A D */

				if (pa == sys + LVM_SYS_CODE)
					f = 0x25;	/* P U A */
				else if (pa >= sys && pa < sys + LIBVM_SYS_SIZE)
					f = 0x63;	/* P RW A D */
				e = pa | f;
				memcpy(p + LVM_SYS_PT + 4096 * (k - first) + 8 * j,
				       &e, 8);
			}
			e = pt | 0x27;
			memcpy(pde, &e, 8);
		}
	}
	pthread_rwlock_wrlock(&vm->trap_lock);
	if (vm->traps[LIBVM_TRAP_PIO].n) {
		uint32_t k;

		for (k = 0; k < vm->traps[LIBVM_TRAP_PIO].n; k++) {
			const struct lvm_trap *t = &vm->traps[0].v[k];

			if (t->base <= LIBVM_PORT_EXCEPTION &&
			    t->end > LIBVM_PORT_HYPERCALL)
				r = lvm_err(LIBVM_EOVERLAP, "long mode: ports "
					    "%#x-%#x are taken by a trap",
					    LIBVM_PORT_HYPERCALL,
					    LIBVM_PORT_EXCEPTION);
		}
	}
	if (!r) {
		vm->rt.flags = cfg->flags;
		vm->rt.sys_gpa = sys;
		vm->rt.xcr0 = guest_xcr0(vm->kvm_fd);
		vm->rt.active = true;
		vm->rt.sys_guarded = page == (2ull << 20);
		vm->rt.sys_key = lvm_rt_sys_key();
		vm->rt.sys_sum = lvm_rt_sys_sum(p, vm->rt.sys_key);
	}
	pthread_rwlock_unlock(&vm->trap_lock);
	return r;
}

/* SYSCALL leads to the runtime's stub (lib/x86/rt_code.S). */
static int set_syscall_msrs(libvm_vcpu *v)
{
	uint64_t stub = LVM_RT_ADDR(v->vm->rt.sys_gpa, lvm_rt_syscall);
	const struct {
		uint32_t index;
		uint64_t value;
	} m[] = {
		{ LVM_MSR_STAR, LVM_STAR },
		{ LVM_MSR_LSTAR, stub },
		{ LVM_MSR_CSTAR, stub },
		{ LVM_MSR_SFMASK, LVM_SFMASK },
	};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		r = libvm_vcpu_set_msr(v, m[i].index, m[i].value);
		if (r < 0)
			return r;
	}
	return 0;
}

LIBVM_API int libvm_vcpu_set_long_mode(libvm_vcpu *v, uint64_t rip,
				       uint64_t rsp)
{
	libvm_vm *vm;
	libvm_sregs s;
	libvm_regs regs;
	bool user;
	uint8_t dpl;
	int r;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_long_mode: vcpu is "
			       "NULL");
	vm = v->vm;
	if (!vm->rt.active)
		return lvm_err(LIBVM_ESTATE, "libvm_vcpu_set_long_mode: call "
			       "libvm_long_mode_setup first");
	if (v->id >= LIBVM_LONG_MAX_VCPUS)
		return lvm_err(LIBVM_ELIMIT, "libvm_vcpu_set_long_mode: vCPU "
			       "%u, the long-mode runtime serves ids 0-%u",
			       v->id, LIBVM_LONG_MAX_VCPUS - 1);
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	user = !(vm->rt.flags & LIBVM_LONG_SUPERVISOR);
	dpl = user ? 3 : 0;
	s.cs = seg(user ? LVM_SEL_UCODE : LVM_SEL_KCODE, 11, dpl, true);
	s.ds = s.es = s.fs = s.gs = s.ss =
		seg(user ? LVM_SEL_UDATA : LVM_SEL_KDATA, 3, dpl, false);
	s.tr = (libvm_segment){
		.base = vm->rt.sys_gpa + LVM_TSS_OFF(v->id),
		.limit = LVM_TSS_LIMIT(v->id), .selector = LVM_SEL_TSS(v->id), .type = 11,
		.present = 1,
	};
	s.ldt = (libvm_segment){ .type = 2, .present = 1, .unusable = 1 };
	s.gdt = (libvm_dtable){ .base = vm->rt.sys_gpa + LVM_SYS_GDT,
				.limit = LVM_SEL_TSS(LIBVM_LONG_MAX_VCPUS) - 1 };
	s.idt = (libvm_dtable){ .base = vm->rt.sys_gpa + LVM_SYS_IDT,
				.limit = 32 * 16 - 1 };
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = vm->rt.sys_gpa + LVM_SYS_PML4;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT |
		(vm->rt.xcr0 ? CR4_OSXSAVE : 0);
	/*
	 * No SYSCALL in user mode: it raises #UD, reported like any
	 * exception.  Hosts that ignore EFER.SCE (PVM) jump to LSTAR instead,
	 * which leads to the runtime's stub that reports the same #UD.
	 */
	s.efer = (user ? 0 : EFER_SCE) | EFER_LME | EFER_LMA | EFER_NXE;
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	r = set_syscall_msrs(v);
	if (r < 0)
		return r;
	if (vm->rt.xcr0) {
		r = libvm_vcpu_set_xcr(v, 0, vm->rt.xcr0);
		if (r < 0)
			return r;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = user ? 0x3002 : 0x2;	/* IOPL 3 in user mode */
	r = libvm_vcpu_set_regs(v, &regs);
	if (r < 0)
		return r;
	v->rt_sregs = s;
	v->rt_stack = rsp;
	v->rt_long = true;
	v->rt_at_dispatch = false;
	return 0;
}
