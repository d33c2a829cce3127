/* SPDX-License-Identifier: MIT */
/*
 * CPU modes running compiled code: real mode (gcc -m16), 32-bit protected
 * mode (gcc -m32, ELF32), and long mode at CPL3 and CPL0 (calls.elf), plus
 * the exceptions the long-mode runtime reports.
 */
#include "callenv.h"

#include <cpuid.h>
#include <string.h>

TestSuite(modes);

/* ---- real and protected mode -------------------------------------- */

static uint32_t rm_expect(uint32_t n)
{
	uint32_t a = 0, b = 1, primes = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = a + b;

		a = b;
		b = t;
	}
	for (uint32_t p = 2; p < 500; p++) {
		uint32_t d = 2;

		while (d * d <= p && p % d)
			d++;
		primes += d * d > p;
	}
	return a * 1000 + primes;
}

static uint64_t img_sym(libvm_image *img, const char *name)
{
	uint64_t a = 0;

	OK(libvm_image_symbol(&a, img, name));
	return a;
}

Test(modes, real_mode_runs_gcc_m16_code, .init = h_fixture_vm_only,
     .fini = h_fixture_teardown, .timeout = VCPU_TIMEOUT)
{
	libvm_image *img = NULL;
	libvm_sregs s;
	libvm_regs r;
	libvm_exit ex;
	uint32_t input = 24, result = 0;

	h_map_ram(g_vm, 0, 0x10000);
	OK(libvm_image_load_file(&img, g_vm, LIBVM_GUEST_DIR "/rm16.elf16",
				 0));
	cr_assert_eq(libvm_image_class(img), 32);
	OK(libvm_mem_write(g_vm, img_sym(img, "rm_input"), &input, 4));
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	OK(libvm_vcpu_set_real_mode(g_vcpu, 0, (uint16_t)libvm_image_entry(img),
				    0xf000));
	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	cr_assert_eq(s.cr0 & 1, 0, "PE set in real mode");
	cr_assert_eq(s.cs.base, 0);
	cr_assert_eq(s.cs.selector, 0);
	cr_assert_eq(s.ss.limit, 0xffff);

	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq((uint32_t)r.rax, rm_expect(input), "eax %u, want %u",
		     (uint32_t)r.rax, rm_expect(input));
	cr_assert_eq(r.rsp & 0xffff, 0xf000, "stack not balanced: sp %#llx",
		     (unsigned long long)r.rsp);
	OK(libvm_mem_read(g_vm, img_sym(img, "rm_result"), &result, 4));
	cr_assert_eq(result, rm_expect(input));
	libvm_image_destroy(img);
}

Test(modes, real_mode_segment_base, .init = h_fixture_vm_only,
     .fini = h_fixture_teardown, .timeout = VCPU_TIMEOUT)
{
	libvm_sregs s;
	libvm_regs r;
	libvm_exit ex;
	/* mov %cs:0x10, %ax ; hlt  -- reads base + 0x10 */
	const uint8_t code[] = { 0x2e, 0xa1, 0x10, 0x00, 0xf4 };
	const uint16_t word = 0xbeef;

	h_map_ram(g_vm, 0, 0x10000);
	OK(libvm_mem_write(g_vm, 0x5000, code, sizeof(code)));
	OK(libvm_mem_write(g_vm, 0x5010, &word, 2));
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	OK(libvm_vcpu_set_real_mode(g_vcpu, 0x500, 0, 0x800));
	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	cr_assert_eq(s.cs.base, 0x5000);
	cr_assert_eq(s.ds.base, 0x5000);
	cr_assert_eq(s.ss.selector, 0x500);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rax & 0xffff, 0xbeef);
	cr_assert_eq(r.rip, 5);
	cr_assert_eq(r.rsp, 0x800);
}

static uint32_t pm_expect(uint32_t n, uint64_t *hash)
{
	volatile double s = 0;	/* one rounding per step, as the guest */
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t i = 1; i <= n; i++) {
		h = (h ^ i) * 0x100000001b3ull;
		s = s + 1.0 / ((double)i * (double)i);
	}
	*hash = h;
	return (uint32_t)(s * 1e9);
}

Test(modes, protected_mode_runs_gcc_m32_elf32, .init = h_fixture_vm_only,
     .fini = h_fixture_teardown, .timeout = VCPU_TIMEOUT)
{
	libvm_image *img = NULL;
	uint64_t hash = 0, want_hash;
	uint32_t input = 777, want;
	libvm_sregs s;
	libvm_regs r;
	libvm_exit ex;

	h_skip_on_pvm("PVM cannot emulate SSE instructions at CPL0, which "
		      "gcc -m32 code uses");
	h_map_ram(g_vm, 0, 4ull << 20);
	OK(libvm_image_load_file(&img, g_vm, LIBVM_GUEST_DIR "/pm32.elf32",
				 0));
	cr_assert_eq(libvm_image_class(img), 32);
	OK(libvm_mem_write(g_vm, img_sym(img, "pm_input"), &input, 4));
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	OK(libvm_vcpu_set_protected_mode(g_vcpu,
					 (uint32_t)libvm_image_entry(img),
					 0x300000));
	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	cr_assert_eq(s.cr0 & 0x80000001u, 1, "want PE without PG: cr0 %#llx",
		     (unsigned long long)s.cr0);
	cr_assert_eq(s.cs.db, 1);
	cr_assert_eq(s.cs.l, 0);
	cr_assert_eq(s.cs.dpl, 0);
	cr_assert_eq(s.efer & (1u << 10), 0, "LMA set");
	cr_assert_neq(s.cr4 & (1u << 9), 0, "OSFXSR clear");

	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	want = pm_expect(input, &want_hash);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq((uint32_t)r.rax, want, "eax %u, want %u", (uint32_t)r.rax,
		     want);
	cr_assert_eq(r.rsp, 0x300000, "esp %#llx after call, ret, hlt",
		     (unsigned long long)r.rsp);
	OK(libvm_mem_read(g_vm, img_sym(img, "pm_result"), &hash, 8));
	cr_assert_eq(hash, want_hash, "hash %#llx, want %#llx",
		     (unsigned long long)hash, (unsigned long long)want_hash);
	libvm_image_destroy(img);
}

/* ---- long mode -------------------------------------------------------- */

static uint64_t host_xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

/* The vCPU's CPUID leaf/subleaf register (0 eax .. 3 edx), 0 if absent. */
static uint32_t vcpu_cpuid(uint32_t leaf, uint32_t sub, int reg)
{
	static libvm_cpuid_entry e[256];
	uint32_t n = 256, i;

	OK(libvm_vcpu_get_cpuid(g_vcpu, e, &n));
	for (i = 0; i < n; i++)
		if (e[i].function == leaf && e[i].index == sub)
			return reg == 0 ? e[i].eax : reg == 1 ? e[i].ebx
				: reg == 2 ? e[i].ecx : e[i].edx;
	return 0;
}

/* AVX usable on this host and offered to the vCPU. */
static int avx_everywhere(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
	    !(c & bit_AVX) || (host_xgetbv0() & 6) != 6)
		return 0;
	return (vcpu_cpuid(1, 0, 2) & bit_AVX) != 0;
}

static int avx2_everywhere(void)
{
	unsigned a, b, c, d;

	if (!avx_everywhere() || !__get_cpuid_count(7, 0, &a, &b, &c, &d) ||
	    !(b & bit_AVX2))
		return 0;
	return (vcpu_cpuid(7, 0, 1) & bit_AVX2) != 0;
}

static uint64_t basel_bits(uint64_t n)
{
	union { double d; uint64_t u; } v = { .d = 0 };
	volatile double s = 0;

	for (uint64_t i = 1; i <= n; i++)
		s = s + 1.0 / ((double)i * (double)i);
	v.d = s;
	return v.u;
}

static void check_long_mode(int cpl)
{
	uint32_t vals[64];
	uint64_t xcr0 = 0, want = 0, gva, cs;
	libvm_sregs s;

	/* Compiled C: integer, double (SSE2) arithmetic. */
	cr_assert_eq(ce_call("args2", CE_ARGS(40, 2)), 40 * 3 + 2 * 5 + 2);
	cr_assert_eq(ce_call("basel_bits", CE_ARGS(5000)), basel_bits(5000));

	/* The privilege level the code runs at, seen from inside. */
	cs = ce_call("get_cs", NULL, 0);
	cr_assert_eq(cs & 3, (uint64_t)cpl, "guest cs %#llx, want CPL %d",
		     (unsigned long long)cs, cpl);
	/* ... and from the host after the call: parked at CPL cpl too. */
	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	cr_assert_eq(s.cs.selector & 3, cpl, "cs %#x", s.cs.selector);
	cr_assert_eq(s.cs.dpl, cpl);
	cr_assert_eq(s.cs.l, 1, "not a 64-bit code segment");
	cr_assert_neq(s.efer & (1u << 10), 0, "EFER.LMA clear");
	cr_assert_neq(s.cr0 & (1ull << 31), 0, "CR0.PG clear");
	cr_assert_neq(s.cr4 & (1u << 9), 0, "CR4.OSFXSR clear");

	/* XCR0: x87 | SSE always, AVX when the host and the vCPU have it. */
	OK(libvm_vcpu_get_xcr(&xcr0, g_vcpu, 0));
	cr_assert_eq(xcr0 & 3, 3, "XCR0 %#llx lacks x87|SSE",
		     (unsigned long long)xcr0);
	cr_assert_neq(s.cr4 & (1u << 18), 0, "CR4.OSXSAVE clear");
	cr_assert_eq(ce_call("get_xcr0", NULL, 0), xcr0,
		     "xgetbv in the guest differs from KVM_GET_XCRS");
	if (avx_everywhere())
		cr_assert_eq(xcr0 & 4, 4, "host has AVX, XCR0 %#llx lacks it",
			     (unsigned long long)xcr0);
	if (!avx2_everywhere()) {
		cr_log_info("no AVX2 on this host or vCPU: YMM code not run");
		return;
	}
	uint32_t lane[8] = { 0 };

	/* Eight 32-bit lanes that wrap, summed at the end. */
	for (unsigned i = 0; i < 64; i++) {
		vals[i] = i * 0x01010101u + 0x1000;
		lane[i % 8] += vals[i] * 3 + 7;
	}
	for (unsigned k = 0; k < 8; k++)
		want += lane[k];
	OK(libvm_scratch_push(&gva, g_vm, vals, sizeof(vals)));
	cr_assert_eq(ce_call("avx2_sum", CE_ARGS(gva, 8)), want);
}

Test(modes, long_mode_user_runs_c, .init = ce_fixture_user,
     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)
{
	check_long_mode(3);
}

Test(modes, long_mode_supervisor_runs_c, .init = ce_fixture_super,
     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)
{
	h_skip_on_pvm("PVM cannot emulate SSE instructions at CPL0");
	check_long_mode(0);
}

Test(modes, long_mode_setup_errors, .init = h_fixture_vm_only,
     .fini = h_fixture_teardown)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;

	h_map_ram(g_vm, 0, 4ull << 20);
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	FAILS(libvm_vcpu_set_long_mode(g_vcpu, 0x1000, 0x2000), LIBVM_ESTATE);
	FAILS(libvm_long_mode_setup(NULL, &lm), LIBVM_EINVAL);
	FAILS(libvm_long_mode_setup(g_vm, NULL), LIBVM_EINVAL);
	lm.version = 99;
	FAILS(libvm_long_mode_setup(g_vm, &lm), LIBVM_EVERSION);
	lm.version = LIBVM_LONG_MODE_VERSION;
	lm.flags = 1u << 7;
	FAILS(libvm_long_mode_setup(g_vm, &lm), LIBVM_EINVAL);
	lm.flags = 0;
	lm.sys_gpa = 0x100800;
	FAILS(libvm_long_mode_setup(g_vm, &lm), LIBVM_EINVAL);
	lm.sys_gpa = (4ull << 20) - 0x1000;	/* runs past the end of RAM */
	FAILS(libvm_long_mode_setup(g_vm, &lm), LIBVM_ERANGE);
	lm.sys_gpa = 0x100000;
	lm.map_size = 65ull << 30;
	FAILS(libvm_long_mode_setup(g_vm, &lm), LIBVM_ERANGE);
	lm.map_size = 0;
	OK(libvm_long_mode_setup(g_vm, &lm));
	OK(libvm_vcpu_set_long_mode(g_vcpu, 0x1000, 0x2000));
	FAILS(libvm_vcpu_set_long_mode(NULL, 0x1000, 0x2000), LIBVM_EINVAL);
}

/* ---- exceptions --------------------------------------------------------- */

/*
 * Call fn, expect exception vector at rip, and check that the same VM
 * then takes the next call.  Returns the exit for further checks.
 */
static libvm_exit fault(const char *fn, const uint64_t *args, uint32_t nargs,
			uint32_t vector, uint64_t rip)
{
	uint64_t ret = 0x5555;
	libvm_exit ex;
	int r = ce_call_r(&ret, &ex, fn, args, nargs);

	cr_assert_eq(r, LIBVM_EGUEST, "%s: %d (%s), want LIBVM_EGUEST: %s", fn,
		     r, libvm_strerror(r), libvm_last_error());
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION, "%s: exit %s", fn,
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.exception.vector, vector, "%s: vector %u, want %u",
		     fn, ex.u.exception.vector, vector);
	cr_assert_eq(ex.u.exception.rip, rip, "%s: rip %#llx, want %#llx", fn,
		     (unsigned long long)ex.u.exception.rip,
		     (unsigned long long)rip);
	cr_assert_eq(ret, 0x5555, "%s: *ret written on a fault", fn);
	cr_assert_not_null(strstr(libvm_last_error(), "exception"),
			   "detail: %s", libvm_last_error());
	/* The VM goes on. */
	cr_assert_eq(ce_call("add", CE_ARGS(20, 22)), 42);
	return ex;
}

/* CPL of the vCPU, parked after set_long_mode or a good call. */
static int cur_cpl(void)
{
	libvm_sregs s;

	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	return s.cs.selector & 3;
}

static void check_divide_error(void)
{
	int cpl = cur_cpl();
	libvm_exit ex = fault("fault_div", CE_ARGS(1, 0), 0,
			      ce_sym("fault_div_at"));

	cr_assert_eq(ex.u.exception.has_error_code, 0);
	cr_assert_eq(ex.u.exception.cs & 3, (uint64_t)cpl);
	/* Only the dispatcher's return address is on the stack. */
	cr_assert_eq(ex.u.exception.rsp, CE_STACK - 8, "rsp %#llx",
		     (unsigned long long)ex.u.exception.rsp);
	cr_assert_eq(ce_call("fault_div", CE_ARGS(85, 5)), 17);
}

static void check_invalid_opcode(void)
{
	libvm_exit ex = fault("fault_ud", NULL, 0, 6, ce_sym("fault_ud_at"));

	cr_assert_eq(ex.u.exception.has_error_code, 0);
}

static void check_gp(void)
{
	libvm_exit ex;

	/* Non-canonical address: #GP(0). */
	ex = fault("fault_load", CE_ARGS(0x8000000000000000ull), 13,
		   ce_sym("fault_load_at"));
	cr_assert_eq(ex.u.exception.has_error_code, 1);
	cr_assert_eq(ex.u.exception.error_code, 0);
	ex = fault("fault_store", CE_ARGS(0x0000800000000010ull, 1), 13,
		   ce_sym("fault_store_at"));
	cr_assert_eq(ex.u.exception.error_code, 0);
}

/* INT to a vector beyond the IDT: #GP, error code = vector << 3 | IDT. */
static void check_int_beyond_idt(void)
{
	libvm_exit ex;

	ex = fault("fault_int80", NULL, 0, 13, ce_sym("fault_int80_at"));
	cr_assert_eq(ex.u.exception.has_error_code, 1);
	/*
	 * Hardware gives 0x80 << 3 | 2; QEMU's TCG (under the nested lab)
	 * scales by the 16-byte gate size, 0x80 << 4 | 2.
	 */
	cr_assert(ex.u.exception.error_code == ((0x80 << 3) | 2) ||
		  ex.u.exception.error_code == ((0x80 << 4) | 2),
		  "error code %#llx",
		  (unsigned long long)ex.u.exception.error_code);
}

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_I 16u

static void check_pf(uint64_t addr, int write, int cpl)
{
	libvm_exit ex;
	uint64_t ec;

	if (write)
		ex = fault("fault_store", CE_ARGS(addr, 7), 14,
			   ce_sym("fault_store_at"));
	else
		ex = fault("fault_load", CE_ARGS(addr), 14,
			   ce_sym("fault_load_at"));
	ec = ex.u.exception.error_code;
	cr_assert_eq(ex.u.exception.has_error_code, 1);
	cr_assert_eq(ex.u.exception.cr2, addr, "cr2 %#llx, want %#llx",
		     (unsigned long long)ex.u.exception.cr2,
		     (unsigned long long)addr);
	cr_assert_eq(ec & PF_P, 0, "error code %#llx: present", ec);
	cr_assert_eq(!!(ec & PF_W), write, "error code %#llx: write bit", ec);
	cr_assert_eq(!!(ec & PF_U), cpl == 3, "error code %#llx: user bit",
		     ec);
	cr_assert_eq(ec & PF_I, 0, "error code %#llx: fetch bit", ec);
}

static void check_page_faults(void)
{
	int cpl = cur_cpl();
	uint64_t ret;
	libvm_exit ex;
	int r;

	/* Guest RAM beyond map_size: in RAM, but not in the page tables. */
	check_pf(CE_UNMAPPED + 0x18, 0, cpl);
	check_pf(CE_UNMAPPED + 0x1008, 1, cpl);
	/* Past the first GiB: no page directory at all. */
	check_pf((1ull << 30) + 0x40, 0, cpl);
	check_pf((5ull << 30) + 0x80, 1, cpl);
	/* Mapped memory just below the limit still works. */
	ce_call("store", CE_ARGS(CE_MAP - (1ull << 20), 0x1234abcd));
	cr_assert_eq(ce_call("load", CE_ARGS(CE_MAP - (1ull << 20))),
		     0x1234abcd);

	/* Calling into unmapped memory: an instruction fetch fault. */
	memset(&ex, 0, sizeof(ex));
	r = libvm_call(&ret, &ex, g_vcpu, CE_UNMAPPED, NULL, 0,
		       CALL_TIMEOUT_NS);
	cr_assert_eq(r, LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(ex.u.exception.vector, 14);
	cr_assert_eq(ex.u.exception.rip, CE_UNMAPPED);
	cr_assert_eq(ex.u.exception.cr2, CE_UNMAPPED);
	cr_assert_neq(ex.u.exception.error_code & PF_I, 0,
		      "error code %#llx: no fetch bit",
		      (unsigned long long)ex.u.exception.error_code);
	cr_assert_eq(ce_call("add", CE_ARGS(1, 2)), 3);
}

static void check_breakpoint(void)
{
	libvm_exit ex = fault("fault_int3", NULL, 0, 3,
			      ce_sym("fault_int3_at") + 1);

	cr_assert_eq(ex.u.exception.has_error_code, 0);
}

#define PVM_INT_N_UD "PVM reports INT n from user mode as #UD, hardware as #GP"
#define PVM_NO_INT_N "PVM cannot emulate INT n at CPL0"

#define EXC_TESTS(suite_init, tag)                                            \
	Test(modes, divide_error_##tag, .init = suite_init,                   \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		check_divide_error();                                         \
	}                                                                     \
	Test(modes, invalid_opcode_##tag, .init = suite_init,                 \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		check_invalid_opcode();                                       \
	}                                                                     \
	Test(modes, general_protection_##tag, .init = suite_init,             \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		check_gp();                                                   \
	}                                                                     \
	Test(modes, int_beyond_idt_##tag, .init = suite_init,                 \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		h_skip_on_pvm(cur_cpl() ? PVM_INT_N_UD : PVM_NO_INT_N);       \
		check_int_beyond_idt();                                       \
	}                                                                     \
	Test(modes, page_fault_##tag, .init = suite_init,                     \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		check_page_faults();                                          \
	}                                                                     \
	Test(modes, breakpoint_##tag, .init = suite_init,                     \
	     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)                    \
	{                                                                     \
		if (!cur_cpl())                                               \
			h_skip_on_pvm("PVM cannot emulate INT3 at CPL0");     \
		check_breakpoint();                                           \
	}

EXC_TESTS(ce_fixture_user, user)
EXC_TESTS(ce_fixture_super, supervisor)

/* Every kind in a row on one VM, each followed by a good call. */
Test(modes, exceptions_in_a_row, .init = ce_fixture_user,
     .fini = ce_teardown, .timeout = VCPU_TIMEOUT)
{
	for (int i = 0; i < 3; i++) {
		check_divide_error();
		check_invalid_opcode();
		check_gp();
		if (!h_on_pvm())	/* see int_beyond_idt_user */
			check_int_beyond_idt();
		check_breakpoint();
		check_page_faults();
	}
}
