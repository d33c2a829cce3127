/* SPDX-License-Identifier: MIT */
/* vCPU lifetime and x86 state. */
#include "guests.h"

#include <stdlib.h>
#include <string.h>

TestSuite(vcpu, .init = h_fixture_setup, .fini = h_fixture_teardown);

Test(vcpu, create_several)
{
	libvm_vcpu *v[4] = { g_vcpu, NULL, NULL, NULL };
	uint32_t i;

	for (i = 1; i < 4; i++) {
		OK(libvm_vcpu_create(&v[i], g_vm, i));
		cr_assert_not_null(v[i]);
	}
	for (i = 0; i < 4; i++) {
		cr_assert_eq(libvm_vcpu_id(v[i]), i);
		cr_assert_eq(libvm_vcpu_vm(v[i]), g_vm);
	}
	libvm_vcpu_destroy(v[2]);
	/* KVM keeps vCPU 2: the id cannot come back, and says why. */
	FAILS(libvm_vcpu_create(&v[2], g_vm, 2), LIBVM_EBUSY);
	cr_assert_null(v[2]);
	cr_assert_not_null(strstr(libvm_last_error(), "twice"), "detail: %s",
			   libvm_last_error());
	FAILS(libvm_vcpu_create(&v[2], g_vm, 2), LIBVM_EBUSY);
	libvm_vcpu_destroy(NULL);
	cr_assert_null(libvm_vcpu_vm(NULL));
	/* The VM destroys the rest. */
}

Test(vcpu, duplicate_id)
{
	libvm_vcpu *v = (libvm_vcpu *)g_vm;

	FAILS(libvm_vcpu_create(&v, g_vm, 0), LIBVM_EBUSY);
	cr_assert_null(v);
	OK(libvm_vcpu_create(&v, g_vm, 5));
	FAILS(libvm_vcpu_create(&v, g_vm, 5), LIBVM_EBUSY);
	cr_assert_not_null(strstr(libvm_last_error(), "5"), "detail: %s",
			   libvm_last_error());
}

Test(vcpu, id_out_of_range)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;
	libvm_vcpu *v = NULL;

	FAILS(libvm_vcpu_create(&v, g_vm, 0xffffffffu), LIBVM_EINVAL);
	FAILS(libvm_vcpu_create(&v, NULL, 1), LIBVM_EINVAL);
	FAILS(libvm_vcpu_create(NULL, g_vm, 1), LIBVM_EINVAL);
	cfg.max_vcpus = 4;
	vm = h_vm_create(&cfg);
	OK(libvm_vcpu_create(&v, vm, 3));
	FAILS(libvm_vcpu_create(&v, vm, 4), LIBVM_EINVAL);
	cr_assert_null(v);
	cr_assert_not_null(strstr(libvm_last_error(), "0-3"), "detail: %s",
			   libvm_last_error());
	libvm_vm_destroy(vm);
}

Test(vcpu, regs_round_trip)
{
	libvm_regs in, out;
	uint64_t *p = (uint64_t *)&in;
	size_t i;

	for (i = 0; i < sizeof(in) / 8; i++)
		p[i] = 0x0101010101010101ull * (i + 1);
	in.rip = 0x1000;
	in.rflags = 0x2 | 0x4 | 0x40;	/* fixed bit, PF, ZF */
	OK(libvm_vcpu_set_regs(g_vcpu, &in));
	memset(&out, 0, sizeof(out));
	OK(libvm_vcpu_get_regs(&out, g_vcpu));
	cr_assert_arr_eq(&out, &in, sizeof(in));
	/* Still there after another state call flushes them to KVM. */
	{
		libvm_sregs s;

		OK(libvm_vcpu_get_sregs(&s, g_vcpu));
		OK(libvm_vcpu_set_sregs(g_vcpu, &s));
	}
	OK(libvm_vcpu_get_regs(&out, g_vcpu));
	cr_assert_arr_eq(&out, &in, sizeof(in));
	FAILS(libvm_vcpu_get_regs(NULL, g_vcpu), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_regs(g_vcpu, NULL), LIBVM_EINVAL);
	FAILS(libvm_vcpu_get_regs(&out, NULL), LIBVM_EINVAL);
}

Test(vcpu, set_regs_before_run, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;

	h_load(g_vm, g_out_ebx);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0xcafe1234;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x10, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0xcafe1234);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	/* Again after an exit: rewind and change the input. */
	h_get_regs(&r, g_vcpu);
	r.rip = GUEST_LOAD;
	r.rbx = 0x600dbeef;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x10, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0x600dbeef);
}

Test(vcpu, get_regs_after_run, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;

	h_load(g_vm, g_set_regs);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rcx & 0xffffffff, 0x1234abcd);
	cr_assert_eq(r.rdi & 0xffff, 0x55aa);
	cr_assert_eq(r.rip, GUEST_LOAD + GUEST_LEN(g_set_regs),
		     "rip %#llx", (unsigned long long)r.rip);
	cr_assert_eq(r.rsp, GUEST_STACK);
}

Test(vcpu, sregs_round_trip)
{
	libvm_sregs s, t;

	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	/* The helper put us in real mode with CS base 0. */
	cr_assert_eq(s.cs.base, 0);
	cr_assert_eq(s.cr0 & 1, 0, "not real mode");
	s.ds.selector = 0x100;
	s.ds.base = 0x1000;
	s.es.selector = 0x200;
	s.es.base = 0x2000;
	s.idt.base = 0x500;
	s.idt.limit = 0x3ff;
	s.gdt.base = 0x800;
	s.gdt.limit = 0x17;
	s.cr2 = 0x12345000;
	OK(libvm_vcpu_set_sregs(g_vcpu, &s));
	OK(libvm_vcpu_get_sregs(&t, g_vcpu));
	cr_assert_eq(t.ds.selector, 0x100);
	cr_assert_eq(t.ds.base, 0x1000);
	cr_assert_eq(t.es.selector, 0x200);
	cr_assert_eq(t.es.base, 0x2000);
	cr_assert_eq(t.idt.base, 0x500);
	cr_assert_eq(t.idt.limit, 0x3ff);
	cr_assert_eq(t.gdt.base, 0x800);
	cr_assert_eq(t.gdt.limit, 0x17);
	cr_assert_eq(t.cr2, 0x12345000);
	cr_assert_eq(t.cr0, s.cr0);
	cr_assert_eq(t.efer, s.efer);
	/* An impossible state is refused. */
	s.cr0 = (s.cr0 & ~1ull) | (1ull << 31);	/* PG without PE */
	FAILS(libvm_vcpu_set_sregs(g_vcpu, &s), LIBVM_EKVM);
	FAILS(libvm_vcpu_get_sregs(NULL, g_vcpu), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_sregs(g_vcpu, NULL), LIBVM_EINVAL);
}

Test(vcpu, sregs_take_effect, .timeout = VCPU_TIMEOUT)
{
	libvm_sregs s;
	libvm_exit ex;
	libvm_regs r;

	/* Run the guest through a CS that is not 0: 0x100:0 is gpa 0x1000. */
	h_load(g_vm, g_peek_poke);
	OK(libvm_mem_write(g_vm, 0x2345, "\x9e", 1));
	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	s.cs.selector = 0x100;	/* code runs at 0x100:0 = 0x1000 */
	s.cs.base = 0x1000;
	OK(libvm_vcpu_set_sregs(g_vcpu, &s));
	h_get_regs(&r, g_vcpu);
	r.rip = 0;
	r.rsi = 0x234;
	r.rbx = 0x5;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x9e);
	h_get_regs(&r, g_vcpu);
	cr_assert_lt(r.rip, GUEST_LEN(g_peek_poke), "rip %#llx not CS-relative",
		     (unsigned long long)r.rip);
}

Test(vcpu, fpu_round_trip)
{
	libvm_fpu f, g;
	int i;

	OK(libvm_vcpu_get_fpu(&f, g_vcpu));
	/* KVM ignores kvm_fpu.mxcsr; libvm carries it through XSAVE. */
	cr_assert_eq(f.mxcsr, 0x1f80, "reset MXCSR %#x", f.mxcsr);
	f.mxcsr = 0x1f80 | 0x6000;	/* round toward zero */
	f.fcw = 0x27f;
	for (i = 0; i < 16; i++)
		memset(f.xmm[i], 0x10 + i, 16);
	memset(f.fpr[3], 0x77, 10);
	OK(libvm_vcpu_set_fpu(g_vcpu, &f));
	OK(libvm_vcpu_get_fpu(&g, g_vcpu));
	cr_assert_eq(g.fcw, 0x27f);
	cr_assert_eq(g.mxcsr, 0x7f80, "MXCSR %#x want 0x7f80", g.mxcsr);
	for (i = 0; i < 16; i++)
		cr_assert_arr_eq(g.xmm[i], f.xmm[i], 16, "xmm%d", i);
	cr_assert_arr_eq(g.fpr[3], f.fpr[3], 10);
	f.mxcsr = 0xffffffff;	/* reserved bits */
	f.fcw = 0x37f;
	FAILS(libvm_vcpu_set_fpu(g_vcpu, &f), LIBVM_EINVAL);
	OK(libvm_vcpu_get_fpu(&g, g_vcpu));
	cr_assert_eq(g.mxcsr, 0x7f80, "a rejected set changed MXCSR");
	cr_assert_eq(g.fcw, 0x27f, "a rejected set changed FCW");
	FAILS(libvm_vcpu_get_fpu(NULL, g_vcpu), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_fpu(g_vcpu, NULL), LIBVM_EINVAL);
}

Test(vcpu, xsave_round_trip)
{
	uint32_t size = libvm_vcpu_xsave_size(g_vcpu);
	uint8_t *a, *b;
	libvm_fpu f;

	cr_assert_geq(size, 4096, "xsave size %u", size);
	cr_assert_eq(libvm_vcpu_xsave_size(NULL), 0);
	a = calloc(1, size);
	b = calloc(1, size);
	cr_assert(a && b);
	OK(libvm_vcpu_get_xsave(g_vcpu, a, size));
	/*
	 * Legacy area: FCW at 0, MXCSR at 24, XMM0 at 160; XSTATE_BV at 512
	 * says x87 and SSE state are present (else they read as init).
	 */
	h_put_le(a, 0x27f, 2);
	h_put_le(a + 24, 0x1f80 | 0x6000, 4);	/* round toward zero */
	memset(a + 160, 0xab, 16);
	a[512] |= 3;
	OK(libvm_vcpu_set_xsave(g_vcpu, a, size));
	OK(libvm_vcpu_get_xsave(g_vcpu, b, size));
	cr_assert_eq(h_le(b, 2), 0x27f, "FCW %#llx",
		     (unsigned long long)h_le(b, 2));
	cr_assert_eq(h_le(b + 24, 4), 0x1f80 | 0x6000);
	cr_assert_arr_eq(b + 160, a + 160, 16);
	/* The same state through the FPU view. */
	OK(libvm_vcpu_get_fpu(&f, g_vcpu));
	cr_assert_eq(f.fcw, 0x27f);
	cr_assert_arr_eq(f.xmm[0], a + 160, 16);
	/* Too small or NULL buffers. */
	FAILS(libvm_vcpu_get_xsave(g_vcpu, b, size - 1), LIBVM_EINVAL);
	FAILS(libvm_vcpu_get_xsave(g_vcpu, NULL, size), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_xsave(g_vcpu, a, 512), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_xsave(g_vcpu, NULL, size), LIBVM_EINVAL);
	free(a);
	free(b);
}

/*
 * x87 and SSE state that XSTATE_BV marks initial reads as initial through
 * the FPU view, whatever bytes the area holds for it (KVM_GET_FPU shows
 * the kernel's stale buffer there).
 */
Test(vcpu, fpu_view_of_initial_state)
{
	uint32_t size = libvm_vcpu_xsave_size(g_vcpu);
	uint8_t *a;
	libvm_fpu f;

	a = calloc(1, size);
	cr_assert_not_null(a);
	OK(libvm_vcpu_get_xsave(g_vcpu, a, size));
	h_put_le(a, 0x0f7f, 2);		/* FCW */
	h_put_le(a + 2, 0x2800, 2);	/* FSW: TOP 5 */
	a[4] = 0xe0;			/* three registers in use */
	memset(a + 32, 0x5a, 128);	/* ST0-7 */
	memset(a + 160, 0xab, 256);	/* XMM0-15 */
	a[512] |= 3;
	OK(libvm_vcpu_set_xsave(g_vcpu, a, size));
	a[512] &= (uint8_t)~3;
	OK(libvm_vcpu_set_xsave(g_vcpu, a, size));
	OK(libvm_vcpu_get_fpu(&f, g_vcpu));
	cr_assert_eq(f.fcw, 0x37f, "FCW %#x", f.fcw);
	cr_assert_eq(f.fsw, 0, "FSW %#x", f.fsw);
	cr_assert_eq(f.ftwx, 0, "FTW %#x", f.ftwx);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 16; j++)
			cr_assert_eq(f.fpr[i][j], 0, "ST%d byte %d: %#x", i, j,
				     f.fpr[i][j]);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			cr_assert_eq(f.xmm[i][j], 0, "XMM%d byte %d: %#x", i,
				     j, f.xmm[i][j]);
	free(a);
}

Test(vcpu, xcr0)
{
	uint64_t x = 0;

	OK(libvm_vcpu_get_xcr(&x, g_vcpu, 0));
	cr_assert(x & 1, "XCR0 %#llx lacks x87", (unsigned long long)x);
	OK(libvm_vcpu_set_xcr(g_vcpu, 0, 0x3));	/* x87 | SSE */
	OK(libvm_vcpu_get_xcr(&x, g_vcpu, 0));
	cr_assert_eq(x, 0x3);
	/* x87 must stay on. */
	FAILS(libvm_vcpu_set_xcr(g_vcpu, 0, 0x2), LIBVM_EKVM);
	OK(libvm_vcpu_get_xcr(&x, g_vcpu, 0));
	cr_assert_eq(x, 0x3);
	FAILS(libvm_vcpu_get_xcr(NULL, g_vcpu, 0), LIBVM_EINVAL);
	FAILS(libvm_vcpu_get_xcr(&x, g_vcpu, 7), LIBVM_ENOENT);
}

Test(vcpu, msrs)
{
	uint64_t v = 0;

	OK(libvm_vcpu_set_msr(g_vcpu, 0x174, 0x10));	/* IA32_SYSENTER_CS */
	OK(libvm_vcpu_get_msr(&v, g_vcpu, 0x174));
	cr_assert_eq(v, 0x10);
	OK(libvm_vcpu_set_msr(g_vcpu, 0x174, 0x2b));
	OK(libvm_vcpu_get_msr(&v, g_vcpu, 0x174));
	cr_assert_eq(v, 0x2b);
	/* SYSENTER_ESP: 32 bits only on AMD. */
	OK(libvm_vcpu_set_msr(g_vcpu, 0x175, 0xdeadb000ull));
	OK(libvm_vcpu_get_msr(&v, g_vcpu, 0x175));
	cr_assert_eq(v, 0xdeadb000ull);
	OK(libvm_vcpu_set_msr(g_vcpu, 0xc0000102, 0xffff8000deadb000ull));
	OK(libvm_vcpu_get_msr(&v, g_vcpu, 0xc0000102));	/* KERNEL_GS_BASE */
	cr_assert_eq(v, 0xffff8000deadb000ull);
	/* No such MSR. */
	FAILS(libvm_vcpu_get_msr(&v, g_vcpu, 0xdead0001u), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_msr(g_vcpu, 0xdead0001u, 1), LIBVM_EINVAL);
	FAILS(libvm_vcpu_get_msr(NULL, g_vcpu, 0x174), LIBVM_EINVAL);
}

static libvm_cpuid_entry *get_cpuid(libvm_vcpu *v, uint32_t *n)
{
	libvm_cpuid_entry *e;
	uint32_t count = 0;

	FAILS(libvm_vcpu_get_cpuid(v, NULL, &count), LIBVM_ELIMIT);
	cr_assert_gt(count, 1, "needed count %u", count);
	e = calloc(count, sizeof(*e));
	cr_assert_not_null(e);
	OK(libvm_vcpu_get_cpuid(v, e, &count));
	*n = count;
	return e;
}

static libvm_cpuid_entry *find_leaf(libvm_cpuid_entry *e, uint32_t n,
				    uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == 0)
			return &e[i];
	return NULL;
}

Test(vcpu, cpuid_get)
{
	libvm_cpuid_entry small[1], *e, *l0, *l1;
	uint32_t n, count = 1;

	FAILS(libvm_vcpu_get_cpuid(g_vcpu, small, &count), LIBVM_ELIMIT);
	cr_assert_gt(count, 1);
	FAILS(libvm_vcpu_get_cpuid(g_vcpu, NULL, NULL), LIBVM_EINVAL);
	e = get_cpuid(g_vcpu, &n);
	l0 = find_leaf(e, n, 0);
	cr_assert_not_null(l0, "no leaf 0 in %u entries", n);
	cr_assert_geq(l0->eax, 1, "max basic leaf %u", l0->eax);
	l1 = find_leaf(e, n, 1);
	cr_assert_not_null(l1);
	cr_assert_eq(l1->ebx >> 24, 0, "vCPU 0's APIC ID");
	free(e);
	/* Another vCPU gets its own APIC ID. */
	{
		libvm_vcpu *v = NULL;

		OK(libvm_vcpu_create(&v, g_vm, 3));
		e = get_cpuid(v, &n);
		l1 = find_leaf(e, n, 1);
		cr_assert_not_null(l1);
		cr_assert_eq(l1->ebx >> 24, 3);
		free(e);
	}
}

Test(vcpu, cpuid_set, .timeout = VCPU_TIMEOUT)
{
	libvm_cpuid_entry *e, *l0;
	libvm_exit ex;
	libvm_regs r;
	uint32_t n;

	e = get_cpuid(g_vcpu, &n);
	l0 = find_leaf(e, n, 0);
	cr_assert_not_null(l0);
	memcpy(&l0->ebx, "Libv", 4);	/* "LibvmTestCPU" */
	memcpy(&l0->edx, "mTes", 4);
	memcpy(&l0->ecx, "tCPU", 4);
	OK(libvm_vcpu_set_cpuid(g_vcpu, e, n));
	free(e);
	e = get_cpuid(g_vcpu, &n);
	l0 = find_leaf(e, n, 0);
	cr_assert_not_null(l0);
	cr_assert_arr_eq(&l0->ebx, "Libv", 4);
	free(e);
	/* The guest sees it. */
	h_load(g_vm, g_cpuid0);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rbx & 0xffffffff, 0x7662694c);	/* "Libv" */
	cr_assert_eq(r.rdx & 0xffffffff, 0x7365546d);	/* "mTes" */
	cr_assert_eq(r.rcx & 0xffffffff, 0x55504374);	/* "tCPU" */
	FAILS(libvm_vcpu_set_cpuid(g_vcpu, NULL, 3), LIBVM_EINVAL);
	FAILS(libvm_vcpu_set_cpuid(NULL, NULL, 0), LIBVM_EINVAL);
}

Test(vcpu, interrupt_refused_with_irqchip)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;
	libvm_vcpu *v = NULL;

	cfg.flags = LIBVM_VM_IRQCHIP;
	vm = h_vm_create(&cfg);
	OK(libvm_vcpu_create(&v, vm, 0));
	FAILS(libvm_vcpu_interrupt(v, 0x20), LIBVM_ESTATE);
	cr_assert_not_null(strstr(libvm_last_error(), "irq"), "detail: %s",
			   libvm_last_error());
	libvm_vm_destroy(vm);
	FAILS(libvm_vcpu_interrupt(g_vcpu, 256), LIBVM_EINVAL);
	FAILS(libvm_vcpu_interrupt(NULL, 0x20), LIBVM_EINVAL);
}

Test(vcpu, interrupt_delivered, .timeout = VCPU_TIMEOUT)
{
	uint8_t ivt[4];
	libvm_exit ex;

	h_load(g_vm, g_irq);
	h_put_le(ivt, G_IRQ_HANDLER_ADDR, 2);	/* offset, segment 0 */
	h_put_le(ivt + 2, 0, 2);
	OK(libvm_mem_write(g_vm, 0x20 * 4, ivt, 4));
	/* The guest has interrupts on and says so. */
	h_run_expect_io(&ex, g_vcpu, 0x10, 1, LIBVM_WRITE);
	OK(libvm_vcpu_interrupt(g_vcpu, 0x20));
	h_run_expect_io(&ex, g_vcpu, 0x11, 1, LIBVM_WRITE);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}
