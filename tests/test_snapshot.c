/* SPDX-License-Identifier: MIT */
/*
 * Snapshots: restore brings back guest memory bit for bit and every piece
 * of vCPU, irqchip, PIT and device state; incremental restore catches guest,
 * libvm_mem_write and libvm_mem_ptr writes; two snapshots of one VM in
 * either order; volatile regions; copy-on-write forks and forks of forks;
 * the needs-restore mark; error paths; libvm_fuzz_exec outcomes; and many
 * resets without growth.  The guest is tests/guests/snapguest.c.
 */
#include "callenv.h"
#include "tmpdir.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SN_RAM		(32ull << 20)
#define SN_SYS		0x100000ull
#define SN_MAP		(64ull << 20)	/* identity map, beyond RAM */
#define SN_STACK	SN_RAM
#define SN_BUF		(8ull << 20)	/* guest-dirtied pages, 4 MiB */
#define SN_HBUF		(12ull << 20)	/* libvm_mem_write pages, 2 MiB */
#define SN_PBUF		(14ull << 20)	/* libvm_mem_ptr pages, 2 MiB */
#define SN_SCRATCH	(16ull << 20)
#define SN_INPUT	(20ull << 20)	/* fuzz input, SN_INPUT_CAP bytes */
#define SN_INPUT_CAP	4096ull
#define SN_VOL		(48ull << 20)	/* volatile region, 1 MiB */
#define PG		4096ull

/* ASan's quarantine holds freed memory: RSS is no measure of leaks there. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SLACK_KB	(256l << 10)
#else
#define RSS_SLACK_KB	1024l
#endif

static libvm_image *s_img;

static void sn_teardown(void);

/*
 * The suite's VM with ram bytes of RAM, identity-mapped.  Criterion runs a
 * test's own .init after the suite's: the fixture it makes replaces the
 * suite's.
 */
static void sn_setup_ram(uint32_t vm_flags, uint32_t lm_flags, uint64_t ram)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;

	if (g_vm)
		sn_teardown();
	s_img = NULL;
	g_vcpu = NULL;
	cfg.flags = vm_flags;
	g_vm = h_vm_create(&cfg);
	h_map_ram(g_vm, 0, ram);
	OK(libvm_image_load_file(&s_img, g_vm,
				 LIBVM_GUEST_DIR "/snapguest.elf", 0));
	lm.flags = lm_flags;
	lm.sys_gpa = SN_SYS;
	lm.map_size = ram > SN_MAP ? ram : SN_MAP;
	OK(libvm_long_mode_setup(g_vm, &lm));
	OK(libvm_scratch_set(g_vm, SN_SCRATCH, 1ull << 20));
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	OK(libvm_vcpu_set_long_mode(g_vcpu, libvm_image_entry(s_img),
				    SN_STACK));
}

static void sn_setup(uint32_t vm_flags, uint32_t lm_flags)
{
	sn_setup_ram(vm_flags, lm_flags, SN_RAM);
}

static void sn_user(void)
{
	sn_setup(0, 0);
}

static void sn_teardown(void)
{
	libvm_image_destroy(s_img);
	s_img = NULL;
	h_fixture_teardown();
}

TestSuite(snapshot, .init = sn_user, .fini = sn_teardown,
	  .timeout = VCPU_TIMEOUT);

static uint64_t sym(const char *name)
{
	uint64_t a = 0;

	OK(libvm_image_symbol(&a, s_img, name));
	return a;
}

/* libvm_call of fn on vcpu; *ex zeroed first.  Returns the code. */
static int vcall_r(uint64_t *ret, libvm_exit *ex, libvm_vcpu *v,
		   const char *fn, const uint64_t *args, uint32_t nargs,
		   uint64_t timeout_ns)
{
	libvm_exit dummy;

	if (!ex)
		ex = &dummy;
	memset(ex, 0, sizeof(*ex));
	return libvm_call(ret, ex, v, sym(fn), args, nargs, timeout_ns);
}

/* The same, asserting success; returns the function's value. */
static uint64_t vcall(libvm_vcpu *v, const char *fn, const uint64_t *args,
		      uint32_t nargs)
{
	uint64_t ret = 0xdeadbeefdeadbeefull;
	libvm_exit ex;
	int r = vcall_r(&ret, &ex, v, fn, args, nargs, CALL_TIMEOUT_NS);

	cr_assert_eq(r, 0, "%s: %d (%s): %s (exit %s, vector %u, rip %#llx)",
		     fn, r, libvm_strerror(r), libvm_last_error(),
		     libvm_exit_reason_name(ex.reason), ex.u.exception.vector,
		     (unsigned long long)ex.u.exception.rip);
	return ret;
}

#define CALL(fn, ...) vcall(g_vcpu, fn, CE_ARGS(__VA_ARGS__))
#define CALL0(fn) vcall(g_vcpu, fn, NULL, 0)

static libvm_snapshot *snap(libvm_vm *vm)
{
	libvm_snapshot *s = NULL;

	OK(libvm_snapshot_take(&s, vm));
	cr_assert_not_null(s);
	return s;
}

/* ---- memory helpers ------------------------------------------------------ */

/* A copy of all of vm's RAM [0, SN_RAM) (libvm_mem_read marks nothing). */
static uint8_t *ram_copy(libvm_vm *vm)
{
	uint8_t *p = malloc(SN_RAM);

	cr_assert_not_null(p);
	OK(libvm_mem_read(vm, 0, p, SN_RAM));
	return p;
}

/* Assert vm's RAM equals want, naming the first page that differs. */
static void ram_expect(libvm_vm *vm, const uint8_t *want, const char *what)
{
	uint8_t *now = ram_copy(vm);
	uint64_t bad = 0, first = ~0ull;

	for (uint64_t a = 0; a < SN_RAM; a += PG)
		if (memcmp(now + a, want + a, PG)) {
			if (first == ~0ull)
				first = a;
			bad++;
		}
	free(now);
	cr_assert_eq(bad, 0, "%s: %llu pages differ, the first at gpa %#llx",
		     what, (unsigned long long)bad, (unsigned long long)first);
}

static int ram_differs(libvm_vm *vm, const uint8_t *want)
{
	uint8_t *now = ram_copy(vm);
	int d = memcmp(now, want, SN_RAM) != 0;

	free(now);
	return d;
}

/* n pages of a host pattern at gpa, written with libvm_mem_write. */
static void host_fill(libvm_vm *vm, uint64_t gpa, uint64_t n, uint64_t seed)
{
	uint64_t page[PG / 8];

	for (uint64_t i = 0; i < n; i++) {
		for (uint64_t j = 0; j < PG / 8; j++)
			page[j] = seed * 0x100000001b3ull + i * 4096 + j + 1;
		OK(libvm_mem_write(vm, gpa + i * PG, page, PG));
	}
}

static uint64_t rd64(libvm_vm *vm, uint64_t gpa)
{
	uint64_t v = 0;

	OK(libvm_mem_read(vm, gpa, &v, 8));
	return v;
}

static void wr64(libvm_vm *vm, uint64_t gpa, uint64_t v)
{
	OK(libvm_mem_write(vm, gpa, &v, 8));
}

/* Change guest RAM every way there is: guest code, mem_write, mem_ptr. */
static void dirty_everything(uint64_t seed)
{
	uint8_t *p = NULL;

	cr_assert_eq(CALL("dirty_pages", SN_BUF, 300, seed), 300);
	/* one qword in every third page of the next 700 */
	CALL("touch_pages", SN_BUF + 300 * PG, 700, 3, seed << 32);
	host_fill(g_vm, SN_HBUF, 200, seed);
	/* scattered host bytes across the whole of RAM, page 0 included */
	for (uint64_t a = 0; a < SN_RAM; a += 97 * PG + 8)
		if (a < SN_SYS || a >= SN_SYS + LIBVM_SYS_SIZE)
			wr64(g_vm, a, seed ^ a);
	OK(libvm_mem_ptr((void **)&p, g_vm, SN_PBUF, 50 * PG));
	for (uint64_t i = 0; i < 50 * PG; i++)
		p[i] = (uint8_t)(seed + i * 7);
	CALL0("bump");
	CALL0("bump");
}

/* ---- restore: memory ------------------------------------------------------- */

Test(snapshot, memory_bit_identical)
{
	libvm_snapshot *s;
	uint8_t *before;
	uint64_t c0;

	host_fill(g_vm, SN_BUF, 64, 99);
	c0 = CALL0("bump");
	before = ram_copy(g_vm);
	s = snap(g_vm);
	ram_expect(g_vm, before, "right after the snapshot");
	for (uint64_t round = 1; round <= 3; round++) {
		dirty_everything(round);
		cr_assert(ram_differs(g_vm, before), "nothing changed");
		OK(libvm_snapshot_restore(g_vm, s));
		ram_expect(g_vm, before, "after restore");
		cr_assert_eq(CALL0("get_counter"), c0);
		/* What the check's own call wrote goes back too. */
		OK(libvm_snapshot_restore(g_vm, s));
		ram_expect(g_vm, before, "after a second restore");
	}
	free(before);
	libvm_snapshot_destroy(s);
}

/* snapguest.c's pattern: page i, qword j of seed s. */
static uint64_t guest_pat(uint64_t s, uint64_t i, uint64_t j)
{
	return (s * 0x9e3779b97f4a7c15ull) ^ (i << 20) ^ j;
}

/* Assert [gpa, gpa + len) of vm equals the same range of want. */
static void range_expect(libvm_vm *vm, const uint8_t *want, uint64_t gpa,
			 uint64_t len, const char *what, uint64_t round)
{
	uint8_t *now = malloc(len);

	cr_assert_not_null(now);
	OK(libvm_mem_read(vm, gpa, now, len));
	for (uint64_t a = 0; a < len; a += PG)
		if (memcmp(now + a, want + gpa + a, PG)) {
			free(now);
			cr_assert_fail("%s, round %llu: page at gpa %#llx "
				       "differs", what,
				       (unsigned long long)round,
				       (unsigned long long)(gpa + a));
		}
	free(now);
}

/*
 * The hot set: pages the guest writes stay writable in KVM across
 * restores, with no new dirty record when the guest writes them again, so
 * every restore must find them by comparing.  The rounds write the same
 * few pages again and again (one with the snapshot's own bytes), one page
 * among 60 hot ones (unchanged compares pile up until the pages are
 * protected again), 400 pages at once (protected again by the restore
 * after), and pages through the host; after each, a restore must bring
 * back the snapshot's bytes.
 */
static void hot_set_rounds(const char *mode)
{
	const uint64_t window = 420 * PG;
	libvm_snapshot *s;
	uint8_t *before;

	host_fill(g_vm, SN_BUF, 64, 7);
	before = ram_copy(g_vm);
	s = snap(g_vm);
	for (uint64_t round = 0; round < 240; round++) {
		uint64_t n = round == 0 || round == 130 ? 60
			   : round % 50 == 25 ? 400 : 1 + round % 4;
		uint64_t seed = round + 1;

		cr_assert_eq(CALL("dirty_pages", SN_BUF, n, seed), n);
		cr_assert_eq(rd64(g_vm, SN_BUF + (n - 1) * PG + 8),
			     guest_pat(seed, n - 1, 1),
			     "%s, round %llu: the guest's write is not there",
			     mode, (unsigned long long)round);
		if (round % 11 == 5) {
			/* The snapshot's own bytes: nothing to copy back. */
			uint64_t old;

			memcpy(&old, before + SN_BUF + 3 * PG, 8);
			CALL("store", SN_BUF + 3 * PG, old);
		}
		if (round % 7 == 3)
			wr64(g_vm, SN_BUF + 2 * PG + 16, round);
		OK(libvm_snapshot_restore(g_vm, s));
		range_expect(g_vm, before, SN_BUF, window, mode, round);
		if (round % 40 == 39)
			ram_expect(g_vm, before, mode);
	}
	ram_expect(g_vm, before, mode);
	free(before);
	libvm_snapshot_destroy(s);
}

/*
 * More pages in one run than a dirty ring holds (4096 entries): KVM stops
 * the run to have the ring emptied, which write-protects the hot pages
 * again in the middle of it.  Restores must still bring back every page.
 */
static void more_than_a_ring(const char *mode)
{
	libvm_snapshot *s;
	uint8_t *before;

	before = ram_copy(g_vm);
	s = snap(g_vm);
	for (uint64_t round = 0; round < 4; round++) {
		uint64_t n = round % 2 ? 3 : 5000;

		cr_assert_eq(CALL("dirty_pages", SN_BUF, n, round + 1), n);
		cr_assert_eq(rd64(g_vm, SN_BUF + (n - 1) * PG + 8),
			     guest_pat(round + 1, n - 1, 1));
		OK(libvm_snapshot_restore(g_vm, s));
		ram_expect(g_vm, before, mode);
	}
	free(before);
	libvm_snapshot_destroy(s);
}

Test(snapshot, more_pages_than_the_ring)
{
	more_than_a_ring("dirty ring (where KVM has it)");
}

Test(snapshot, hot_set_restored)
{
	hot_set_rounds("dirty ring (where KVM has it)");
}

static void sn_user_dirty_log(void)
{
	setenv("LIBVM_DIRTY_RING", "0", 1);
	sn_user();
}

Test(snapshot, hot_set_restored_dirty_log, .init = sn_user_dirty_log)
{
	hot_set_rounds("dirty log");
}

Test(snapshot, more_pages_than_the_ring_dirty_log, .init = sn_user_dirty_log)
{
	more_than_a_ring("dirty log");
}

Test(snapshot, host_pointer_writes_restored)
{
	libvm_snapshot *s = snap(g_vm);
	uint8_t *before = ram_copy(g_vm);
	uint64_t *p = NULL;

	/* A pointer taken after the snapshot counts as written. */
	OK(libvm_mem_ptr((void **)&p, g_vm, SN_PBUF + 5 * PG, 3 * PG));
	p[0] = 1;
	p[3 * PG / 8 - 1] = 2;
	OK(libvm_snapshot_restore(g_vm, s));
	ram_expect(g_vm, before, "after mem_ptr writes");
	/* ... and is valid until the region goes, so get it again. */
	OK(libvm_mem_ptr((void **)&p, g_vm, SN_PBUF + 5 * PG, 3 * PG));
	p[PG / 8] = 3;
	/* The guest sees host pointer writes. */
	cr_assert_eq(CALL("load", SN_PBUF + 6 * PG), 3);
	OK(libvm_snapshot_restore(g_vm, s));
	ram_expect(g_vm, before, "after the second mem_ptr write");
	cr_assert_eq(CALL("load", SN_PBUF + 6 * PG), 0);
	free(before);
	libvm_snapshot_destroy(s);
}

Test(snapshot, two_snapshots_both_directions)
{
	libvm_snapshot *a, *b;
	uint8_t *ma, *mb;

	CALL("dirty_pages", SN_BUF, 64, 1);
	CALL0("bump");
	a = snap(g_vm);
	ma = ram_copy(g_vm);
	CALL("dirty_pages", SN_BUF, 32, 2);
	CALL("dirty_pages", SN_BUF + 64 * PG, 64, 3);
	host_fill(g_vm, SN_HBUF, 16, 4);
	CALL0("bump");
	b = snap(g_vm);
	mb = ram_copy(g_vm);
	cr_assert_eq(CALL0("get_counter"), 2);
	dirty_everything(5);

	OK(libvm_snapshot_restore(g_vm, a));
	ram_expect(g_vm, ma, "A after B");
	OK(libvm_snapshot_restore(g_vm, b));
	ram_expect(g_vm, mb, "B after A");
	OK(libvm_snapshot_restore(g_vm, a));
	ram_expect(g_vm, ma, "A again");
	cr_assert_eq(CALL0("get_counter"), 1);

	/* Incremental restores to whichever the VM was last at. */
	dirty_everything(6);
	OK(libvm_snapshot_restore(g_vm, a));
	ram_expect(g_vm, ma, "A after dirtying");
	OK(libvm_snapshot_restore(g_vm, b));
	cr_assert_eq(CALL0("bump"), 3);
	dirty_everything(7);
	OK(libvm_snapshot_restore(g_vm, b));
	ram_expect(g_vm, mb, "B after dirtying");
	cr_assert_eq(CALL0("get_counter"), 2);

	/* Either snapshot survives the other's destruction. */
	libvm_snapshot_destroy(b);
	OK(libvm_snapshot_restore(g_vm, a));
	ram_expect(g_vm, ma, "A after destroying B");
	free(ma);
	free(mb);
	libvm_snapshot_destroy(a);
}

Test(snapshot, restore_into_twin_vm)
{
	libvm_vm *twin;
	libvm_vcpu *tv = NULL;
	libvm_image *img = NULL;
	libvm_snapshot *s;
	uint8_t *before;

	CALL("dirty_pages", SN_BUF, 16, 42);
	CALL0("bump");
	s = snap(g_vm);
	before = ram_copy(g_vm);

	/* Built the same way, but never run: restore copies everything. */
	twin = h_vm_create(NULL);
	h_map_ram(twin, 0, SN_RAM);
	OK(libvm_image_load_file(&img, twin, LIBVM_GUEST_DIR "/snapguest.elf",
				 0));
	OK(libvm_vcpu_create(&tv, twin, 0));
	OK(libvm_snapshot_restore(twin, s));
	ram_expect(twin, before, "the twin");
	cr_assert_eq(vcall(tv, "bump", NULL, 0), 2);
	cr_assert_eq(vcall(tv, "load", CE_ARGS(SN_BUF)),
		     rd64(g_vm, SN_BUF));
	libvm_image_destroy(img);
	libvm_vm_destroy(twin);
	free(before);
	libvm_snapshot_destroy(s);
}

/* ---- restore: vCPU state --------------------------------------------------- */

Test(snapshot, general_registers_restored)
{
	libvm_regs r0, r1, mod;
	libvm_snapshot *s;

	CALL("dirty_pages", SN_BUF, 1, 1);
	s = snap(g_vm);
	h_get_regs(&r0, g_vcpu);
	memset(&mod, 0, sizeof(mod));
	for (int i = 0; i < 16; i++)
		((uint64_t *)&mod)[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
	mod.rip = r0.rip + 0x10;
	mod.rflags = 0x2 | 0x1 | 0x40 | 0x800;	/* CF, ZF, OF */
	h_set_regs(g_vcpu, &mod);
	h_get_regs(&r1, g_vcpu);
	cr_assert_arr_eq(&r1, &mod, sizeof(mod));
	OK(libvm_snapshot_restore(g_vm, s));
	h_get_regs(&r1, g_vcpu);
	cr_assert_arr_eq(&r1, &r0, sizeof(r0), "rip %#llx want %#llx, rax "
			 "%#llx want %#llx", (unsigned long long)r1.rip,
			 (unsigned long long)r0.rip, (unsigned long long)r1.rax,
			 (unsigned long long)r0.rax);
	/* A call on the restored state returns where it should. */
	cr_assert_eq(CALL0("bump"), 1);
	libvm_snapshot_destroy(s);
}

static void sregs_expect(const libvm_sregs *got, const libvm_sregs *want)
{
	const libvm_segment *g = &got->cs, *w = &want->cs;

	for (int i = 0; i < 8; i++)
		cr_assert(g[i].base == w[i].base && g[i].limit == w[i].limit &&
				  g[i].selector == w[i].selector &&
				  g[i].type == w[i].type &&
				  g[i].present == w[i].present &&
				  g[i].dpl == w[i].dpl && g[i].db == w[i].db &&
				  g[i].s == w[i].s && g[i].l == w[i].l &&
				  g[i].g == w[i].g,
			  "segment %d (cs ds es fs gs ss tr ldt): base %#llx "
			  "sel %#x type %u, want base %#llx sel %#x type %u",
			  i, (unsigned long long)g[i].base, g[i].selector,
			  g[i].type, (unsigned long long)w[i].base,
			  w[i].selector, w[i].type);
	cr_assert_eq(got->gdt.base, want->gdt.base);
	cr_assert_eq(got->gdt.limit, want->gdt.limit);
	cr_assert_eq(got->idt.base, want->idt.base);
	cr_assert_eq(got->idt.limit, want->idt.limit);
	cr_assert_eq(got->cr0, want->cr0, "cr0 %#llx want %#llx",
		     (unsigned long long)got->cr0,
		     (unsigned long long)want->cr0);
	cr_assert_eq(got->cr2, want->cr2, "cr2 %#llx want %#llx",
		     (unsigned long long)got->cr2,
		     (unsigned long long)want->cr2);
	cr_assert_eq(got->cr3, want->cr3);
	cr_assert_eq(got->cr4, want->cr4, "cr4 %#llx want %#llx",
		     (unsigned long long)got->cr4,
		     (unsigned long long)want->cr4);
	cr_assert_eq(got->cr8, want->cr8, "cr8 %llu want %llu",
		     (unsigned long long)got->cr8,
		     (unsigned long long)want->cr8);
	cr_assert_eq(got->efer, want->efer);
	cr_assert_eq(got->apic_base, want->apic_base);
	cr_assert_arr_eq(got->interrupt_bitmap, want->interrupt_bitmap,
			 sizeof(want->interrupt_bitmap));
}

Test(snapshot, segment_and_control_registers_restored)
{
	libvm_sregs s0, s1;
	libvm_snapshot *s;

	CALL0("bump");
	s = snap(g_vm);
	OK(libvm_vcpu_get_sregs(&s0, g_vcpu));
	s1 = s0;
	s1.fs.base = 0x7f0000001000ull;
	s1.gs.base = 0xffff800000002000ull;
	s1.cr2 = 0xdead000;
	s1.cr8 = 9;
	OK(libvm_vcpu_set_sregs(g_vcpu, &s1));
	OK(libvm_vcpu_get_sregs(&s1, g_vcpu));
	cr_assert_eq(s1.fs.base, 0x7f0000001000ull);
	cr_assert_eq(s1.cr8, 9);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_sregs(&s1, g_vcpu));
	sregs_expect(&s1, &s0);
	cr_assert_eq(CALL0("bump"), 2);
	libvm_snapshot_destroy(s);
}

/* Bytes of the XSAVE area compared: legacy region up to XMM15, AVX. */
#define XS_LEGACY	416u
#define XS_AVX_OFF	576u
#define XS_AVX_LEN	256u

static uint8_t *xsave_get(libvm_vcpu *v, uint32_t *size)
{
	uint8_t *p;

	*size = libvm_vcpu_xsave_size(v);
	p = calloc(1, *size ? *size : 1);
	cr_assert_not_null(p);
	if (*size)
		OK(libvm_vcpu_get_xsave(v, p, *size));
	return p;
}

static void xsave_expect(const uint8_t *got, const uint8_t *want,
			 uint32_t size, int avx)
{
	for (uint32_t i = 0; i < XS_LEGACY; i++)
		cr_assert_eq(got[i], want[i], "XSAVE byte %u: %#x, want %#x",
			     i, got[i], want[i]);
	if (avx && size >= XS_AVX_OFF + XS_AVX_LEN)
		for (uint32_t i = XS_AVX_OFF; i < XS_AVX_OFF + XS_AVX_LEN; i++)
			cr_assert_eq(got[i], want[i], "XSAVE AVX byte %u: "
				     "%#x, want %#x", i, got[i], want[i]);
}

static void fpu_expect(const libvm_fpu *got, const libvm_fpu *want)
{
	cr_assert_arr_eq(got->fpr, want->fpr, sizeof(want->fpr));
	cr_assert_arr_eq(got->xmm, want->xmm, sizeof(want->xmm));
	cr_assert_eq(got->fcw, want->fcw, "fcw %#x want %#x", got->fcw,
		     want->fcw);
	cr_assert_eq(got->fsw, want->fsw, "fsw %#x want %#x", got->fsw,
		     want->fsw);
	cr_assert_eq(got->ftwx, want->ftwx);
	cr_assert_eq(got->mxcsr, want->mxcsr, "mxcsr %#x want %#x",
		     got->mxcsr, want->mxcsr);
}

Test(snapshot, fpu_sse_avx_restored)
{
	uint8_t vec[256], *x0, *x1;
	uint32_t size, size1;
	uint64_t xcr0 = CALL0("get_xcr0");
	int avx = (xcr0 & 6) == 6;
	libvm_fpu f0, f1;
	libvm_snapshot *s;
	uint64_t gva;

	/* Some non-initial state to begin with. */
	for (int i = 0; i < 256; i++)
		vec[i] = (uint8_t)(i * 3 + 1);
	OK(libvm_scratch_push(&gva, g_vm, vec, sizeof(vec)));
	CALL("load_xmm", gva);
	s = snap(g_vm);
	OK(libvm_vcpu_get_fpu(&f0, g_vcpu));
	x0 = xsave_get(g_vcpu, &size);
	cr_assert_eq(f0.xmm[1][0], 49, "xmm1 %#x", f0.xmm[1][0]);

	/* The guest leaves other vector and x87 state behind. */
	for (int i = 0; i < 256; i++)
		vec[i] = (uint8_t)(0xff - i);
	libvm_scratch_reset(g_vm);
	OK(libvm_scratch_push(&gva, g_vm, vec, sizeof(vec)));
	CALL("load_xmm", gva);
	if (avx)
		CALL("load_ymm", gva);
	CALL0("x87_push");
	OK(libvm_vcpu_get_fpu(&f1, g_vcpu));
	cr_assert_eq(f1.xmm[0][0], 0xff);
	cr_assert_eq(f1.fcw, 0x0f7f);
	cr_assert_neq(f1.fsw & 0x3800, f0.fsw & 0x3800, "x87 TOP unchanged");
	x1 = xsave_get(g_vcpu, &size1);
	cr_assert(memcmp(x0, x1, XS_LEGACY), "XSAVE area unchanged");
	if (avx && size >= XS_AVX_OFF + XS_AVX_LEN)
		cr_assert(memcmp(x0 + XS_AVX_OFF, x1 + XS_AVX_OFF, XS_AVX_LEN),
			  "YMM upper halves unchanged");
	free(x1);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_fpu(&f1, g_vcpu));
	fpu_expect(&f1, &f0);
	x1 = xsave_get(g_vcpu, &size1);
	xsave_expect(x1, x0, size, avx);
	free(x1);

	/* The host changes it (libvm_vcpu_set_fpu). */
	f1 = f0;
	memset(f1.xmm, 0x5c, sizeof(f1.xmm));
	f1.fcw = 0x027f;
	f1.mxcsr = 0x1f80 | 0x4000;
	OK(libvm_vcpu_set_fpu(g_vcpu, &f1));
	OK(libvm_vcpu_get_fpu(&f1, g_vcpu));
	cr_assert_eq(f1.xmm[7][3], 0x5c);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_fpu(&f1, g_vcpu));
	fpu_expect(&f1, &f0);
	x1 = xsave_get(g_vcpu, &size1);
	xsave_expect(x1, x0, size, avx);
	free(x1);
	free(x0);
	libvm_snapshot_destroy(s);
}

Test(snapshot, xcr0_restored)
{
	uint64_t x0 = 0, x1 = 0;
	libvm_snapshot *s;

	if (libvm_vcpu_get_xcr(&x0, g_vcpu, 0) == LIBVM_ENOTSUP)
		h_skip("no XCRs on this host: %s", libvm_last_error());
	OK(libvm_vcpu_get_xcr(&x0, g_vcpu, 0));
	cr_assert_eq(CALL0("get_xcr0"), x0);
	if (x0 == 1)
		h_skip("XCR0 is already x87 only");
	s = snap(g_vm);
	OK(libvm_vcpu_set_xcr(g_vcpu, 0, (x0 & 2) && x0 != 3 ? 3 : 1));
	OK(libvm_vcpu_get_xcr(&x1, g_vcpu, 0));
	cr_assert_neq(x1, x0);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_xcr(&x1, g_vcpu, 0));
	cr_assert_eq(x1, x0, "XCR0 %#llx, want %#llx", (unsigned long long)x1,
		     (unsigned long long)x0);
	cr_assert_eq(CALL0("get_xcr0"), x0);
	libvm_snapshot_destroy(s);
}

static const struct {
	uint32_t index;
	uint64_t value;
} k_msrs[] = {
	{ 0x174, 0x10 },			/* IA32_SYSENTER_CS */
	{ 0x175, 0x12345000 },		/* IA32_SYSENTER_ESP (32 bits on AMD) */
	{ 0x176, 0x54321000 },		/* IA32_SYSENTER_EIP */
	{ 0xc0000081, 0x0023001000000000ull },	/* STAR */
	{ 0xc0000082, 0xffff800000400000ull },	/* LSTAR */
	{ 0xc0000083, 0xffff800000500000ull },	/* CSTAR */
	{ 0xc0000084, 0x47700 },		/* SFMASK */
	{ 0xc0000102, 0x00007fff12340000ull },	/* KERNEL_GS_BASE */
};
#define N_MSRS (sizeof(k_msrs) / sizeof(k_msrs[0]))

Test(snapshot, msrs_restored)
{
	uint64_t v0[N_MSRS], v;
	libvm_snapshot *s;

	CALL0("bump");
	for (size_t i = 0; i < N_MSRS; i++)
		OK(libvm_vcpu_get_msr(&v0[i], g_vcpu, k_msrs[i].index));
	s = snap(g_vm);
	for (size_t i = 0; i < N_MSRS; i++) {
		cr_assert_neq(v0[i], k_msrs[i].value, "MSR %#x",
			      k_msrs[i].index);
		OK(libvm_vcpu_set_msr(g_vcpu, k_msrs[i].index,
				      k_msrs[i].value));
		OK(libvm_vcpu_get_msr(&v, g_vcpu, k_msrs[i].index));
		cr_assert_eq(v, k_msrs[i].value, "MSR %#x: %#llx",
			     k_msrs[i].index, (unsigned long long)v);
	}
	OK(libvm_snapshot_restore(g_vm, s));
	for (size_t i = 0; i < N_MSRS; i++) {
		OK(libvm_vcpu_get_msr(&v, g_vcpu, k_msrs[i].index));
		cr_assert_eq(v, v0[i], "MSR %#x: %#llx after restore, want "
			     "%#llx", k_msrs[i].index, (unsigned long long)v,
			     (unsigned long long)v0[i]);
	}
	cr_assert_eq(CALL0("bump"), 2);
	libvm_snapshot_destroy(s);
}

/* ---- restore: device state ------------------------------------------------- */

struct fake_dev {
	uint32_t regs[8];
	char label[24];
};

static void count_restored(void *opaque)
{
	(*(int *)opaque)++;
}

Test(snapshot, device_state_restored)
{
	struct fake_dev d = { { 1, 2, 3, 4, 5, 6, 7, 8 }, "before" }, d0 = d;
	uint64_t quiet = 0x1234, quiet0 = quiet;
	int restored = 0;
	libvm_snapshot *s;

	OK(libvm_device_state_register(g_vm, "fake-dev", &d, sizeof(d),
				       count_restored, &restored));
	OK(libvm_device_state_register(g_vm, "quiet", &quiet, sizeof(quiet),
				       NULL, NULL));
	OK(libvm_device_state_register(g_vm, "empty", NULL, 0, NULL, NULL));
	s = snap(g_vm);
	cr_assert_eq(restored, 0);
	for (int round = 1; round <= 2; round++) {
		d.regs[3] = 0xabcd;
		strcpy(d.label, "after");
		quiet = 0xffff;
		OK(libvm_snapshot_restore(g_vm, s));
		cr_assert_arr_eq(&d, &d0, sizeof(d));
		cr_assert_eq(quiet, quiet0);
		cr_assert_eq(restored, round);
	}
	/* Unregistered: no longer written back, no callback. */
	OK(libvm_device_state_unregister(g_vm, "fake-dev"));
	d.regs[0] = 77;
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(d.regs[0], 77);
	cr_assert_eq(restored, 2);
	libvm_snapshot_destroy(s);
}

Test(snapshot, device_state_names)
{
	char name[40];
	uint32_t x = 0;

	memset(name, 'n', sizeof(name));
	name[31] = 0;	/* 31 bytes: the longest */
	OK(libvm_device_state_register(g_vm, name, &x, sizeof(x), NULL,
				       NULL));
	FAILS(libvm_device_state_register(g_vm, name, &x, sizeof(x), NULL,
					  NULL), LIBVM_EOVERLAP);
	name[31] = 'n';
	name[32] = 0;	/* 32 bytes */
	FAILS(libvm_device_state_register(g_vm, name, &x, sizeof(x), NULL,
					  NULL), LIBVM_EINVAL);
	FAILS(libvm_device_state_register(g_vm, "", &x, sizeof(x), NULL, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_device_state_register(g_vm, NULL, &x, sizeof(x), NULL,
					  NULL), LIBVM_EINVAL);
	FAILS(libvm_device_state_register(NULL, "x", &x, sizeof(x), NULL,
					  NULL), LIBVM_EINVAL);
	FAILS(libvm_device_state_register(g_vm, "x", NULL, 4, NULL, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_device_state_unregister(g_vm, "unknown"), LIBVM_ENOENT);
	FAILS(libvm_device_state_unregister(g_vm, NULL), LIBVM_EINVAL);
	FAILS(libvm_device_state_unregister(NULL, "x"), LIBVM_EINVAL);
	name[31] = 0;
	OK(libvm_device_state_unregister(g_vm, name));
	FAILS(libvm_device_state_unregister(g_vm, name), LIBVM_ENOENT);
	OK(libvm_device_state_register(g_vm, name, &x, sizeof(x), NULL,
				       NULL));
}

/* ---- restore: in-kernel irqchip, PIT and LAPIC ------------------------------ */

static void sn_irqchip(void)
{
	sn_setup(LIBVM_VM_IRQCHIP | LIBVM_VM_PIT, 0);
}

/* PIT read-back: status byte of channel 0 (mode, access, BCD bits). */
static uint64_t pit_status(void)
{
	CALL("outb", 0x43, 0xe2);
	return CALL("inb", 0x40) & 0x3f;
}

static uint64_t pic_irr(void)
{
	CALL("outb", 0x20, 0x0a);	/* OCW3: read IRR */
	return CALL("inb", 0x20);
}

Test(snapshot, irqchip_pit_lapic_restored, .init = sn_irqchip)
{
	uint64_t imr0, st0, irr0, ctl;
	libvm_sregs sr;
	libvm_snapshot *s;

	imr0 = CALL("inb", 0x21);
	st0 = pit_status();
	irr0 = pic_irr();
	OK(libvm_vcpu_get_sregs(&sr, g_vcpu));
	cr_assert_eq(sr.cr8, 0);
	s = snap(g_vm);

	/* PIC mask register */
	CALL("outb", 0x21, imr0 ^ 0x5a);
	cr_assert_eq(CALL("inb", 0x21), imr0 ^ 0x5a);
	/* PIT channel 0: another mode, a count */
	ctl = st0 == 0x34 ? 0x36 : 0x34;
	CALL("outb", 0x43, ctl);
	CALL("outb", 0x40, 0x00);
	CALL("outb", 0x40, 0x80);
	cr_assert_eq(pit_status(), ctl, "PIT status %#llx after %#llx",
		     (unsigned long long)pit_status(), (unsigned long long)ctl);
	/* LAPIC task priority, through CR8 */
	sr.cr8 = 11;
	OK(libvm_vcpu_set_sregs(g_vcpu, &sr));
	OK(libvm_vcpu_get_sregs(&sr, g_vcpu));
	cr_assert_eq(sr.cr8, 11);
	/* an ISA interrupt line: its edge is latched in the PIC's IRR */
	OK(libvm_vm_irq_line(g_vm, 4, 1));
	cr_assert(pic_irr() & 0x10, "IRR %#llx after raising IRQ 4",
		  (unsigned long long)pic_irr());

	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(CALL("inb", 0x21), imr0);
	cr_assert_eq(pit_status(), st0);
	OK(libvm_vcpu_get_sregs(&sr, g_vcpu));
	cr_assert_eq(sr.cr8, 0);
	cr_assert_eq(pic_irr() & 0x10, irr0 & 0x10, "IRR %#llx after restore",
		     (unsigned long long)pic_irr());
	OK(libvm_vm_irq_line(g_vm, 4, 0));
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);

	/* Forks get their own irqchip and PIT, starting from the snapshot. */
	{
		libvm_vm *f = NULL;
		libvm_vcpu *fv;

		CALL("outb", 0x21, 0xa5);
		OK(libvm_vm_fork(&f, s));
		fv = libvm_vm_vcpu(f, 0);
		cr_assert_not_null(fv);
		cr_assert_eq(vcall(fv, "inb", CE_ARGS(0x21)), imr0);
		vcall(fv, "outb", CE_ARGS(0x21, 0x3c));
		cr_assert_eq(CALL("inb", 0x21), 0xa5);
		cr_assert_eq(vcall(fv, "inb", CE_ARGS(0x21)), 0x3c);
		libvm_vm_destroy(f);
	}
	libvm_snapshot_destroy(s);
}

/* ---- volatile regions ------------------------------------------------------- */

Test(snapshot, volatile_region_left_alone)
{
	libvm_snapshot *s;
	libvm_vm *f = NULL;
	libvm_vcpu *fv;
	libvm_exit ex;
	uint64_t v, ret;
	int r;

	OK(libvm_mem_map_anon(g_vm, SN_VOL, 1ull << 20, LIBVM_MEM_VOLATILE));
	wr64(g_vm, SN_VOL, 0x1111);
	CALL("store", SN_VOL + PG, 0x2222);
	s = snap(g_vm);
	wr64(g_vm, SN_VOL, 0x3333);
	CALL("store", SN_VOL + PG, 0x4444);
	CALL("store", SN_BUF, 0x5555);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(rd64(g_vm, SN_VOL), 0x3333);
	cr_assert_eq(rd64(g_vm, SN_VOL + PG), 0x4444);
	cr_assert_eq(rd64(g_vm, SN_BUF), 0);

	/* A fork has no copy of it, so no region there at all. */
	OK(libvm_vm_fork(&f, s));
	fv = libvm_vm_vcpu(f, 0);
	FAILS(libvm_mem_read(f, SN_VOL, &v, 8), LIBVM_ERANGE);
	OK(libvm_mem_read(f, SN_BUF, &v, 8));
	r = vcall_r(&ret, &ex, fv, "load", CE_ARGS(SN_VOL), CALL_TIMEOUT_NS);
	cr_assert_eq(r, LIBVM_EGUEST, "%d (%s)", r, libvm_strerror(r));
	cr_assert_eq(ex.reason, LIBVM_EXIT_MMIO, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	/* The fork maps its own, and restores still match the layout. */
	OK(libvm_mem_map_anon(f, SN_VOL, 1ull << 20, LIBVM_MEM_VOLATILE));
	OK(libvm_snapshot_restore(f, s));
	vcall(fv, "store", CE_ARGS(SN_VOL, 0x6666));
	cr_assert_eq(rd64(f, SN_VOL), 0x6666);
	cr_assert_eq(rd64(g_vm, SN_VOL), 0x3333);
	OK(libvm_snapshot_restore(f, s));
	cr_assert_eq(rd64(f, SN_VOL), 0x6666);
	libvm_vm_destroy(f);
	libvm_snapshot_destroy(s);
}

/* ---- file-backed regions ---------------------------------------------------- */

#define SN_FILE		(40ull << 20)	/* file-backed region, SN_FILE_PAGES */
#define SN_FILE_PAGES	16ull

/*
 * A file of SN_FILE_PAGES non-zero pages on a disk file system (the build
 * tree), written, synced and dropped from the page cache where the file
 * system allows, so its pages are not resident when libvm maps it.
 */
static int cold_file(char *path, size_t cap)
{
	uint64_t page[PG / 8];
	int fd;

	snprintf(path, cap, "%s/../snapshot-test-XXXXXX", LIBVM_GUEST_DIR);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp %s", path);
	for (uint64_t i = 0; i < SN_FILE_PAGES; i++) {
		for (uint64_t j = 0; j < PG / 8; j++)
			page[j] = 0xf11e000000000000ull | i << 16 | j;
		cr_assert_eq(pwrite(fd, page, PG, (off_t)(i * PG)),
			     (ssize_t)PG);
	}
	fsync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return fd;
}

static uint64_t file_word(uint64_t page, uint64_t j)
{
	return 0xf11e000000000000ull | page << 16 | j;
}

Test(snapshot, file_backed_region_contents)
{
	char path[512];
	int fd = cold_file(path, sizeof(path));
	libvm_vm *f = NULL;
	libvm_snapshot *s;

	OK(libvm_mem_map_fd(g_vm, SN_FILE, fd, 0, SN_FILE_PAGES * PG, 0));
	close(fd);
	s = snap(g_vm);
	/* A fork sees the file's contents, not holes. */
	OK(libvm_vm_fork(&f, s));
	for (uint64_t i = 0; i < SN_FILE_PAGES; i++)
		cr_assert_eq(rd64(f, SN_FILE + i * PG + 8), file_word(i, 1),
			     "fork, page %llu: %#llx", (unsigned long long)i,
			     (unsigned long long)rd64(f, SN_FILE + i * PG + 8));
	cr_assert_eq(vcall(libvm_vm_vcpu(f, 0), "load",
			   CE_ARGS(SN_FILE + 3 * PG)), file_word(3, 0));
	libvm_vm_destroy(f);
	/* Restore puts back what was there. */
	wr64(g_vm, SN_FILE + 5 * PG, 1);
	CALL("store", SN_FILE + 6 * PG, 2);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(rd64(g_vm, SN_FILE + 5 * PG), file_word(5, 0));
	cr_assert_eq(rd64(g_vm, SN_FILE + 6 * PG), file_word(6, 0));
	unlink(path);
	libvm_snapshot_destroy(s);
}

Test(snapshot, read_only_file_region)
{
	char path[512];
	int fd = cold_file(path, sizeof(path));
	libvm_snapshot *a, *b;

	OK(libvm_mem_map_fd(g_vm, SN_FILE, fd, 0, SN_FILE_PAGES * PG,
			    LIBVM_MEM_READONLY));
	close(fd);
	a = snap(g_vm);
	CALL("store", SN_BUF, 7);
	b = snap(g_vm);
	/* Restores to another snapshot copy all memory but this. */
	OK(libvm_snapshot_restore(g_vm, a));
	cr_assert_eq(rd64(g_vm, SN_BUF), 0);
	OK(libvm_snapshot_restore(g_vm, b));
	cr_assert_eq(rd64(g_vm, SN_BUF), 7);
	cr_assert_eq(rd64(g_vm, SN_FILE + 2 * PG), file_word(2, 0));
	cr_assert_eq(CALL("load", SN_FILE + 2 * PG), file_word(2, 0));
	unlink(path);
	libvm_snapshot_destroy(a);
	libvm_snapshot_destroy(b);
}

/* ---- forks ------------------------------------------------------------------ */

/*
 * A region unmapped and mapped again at the same place and size after a
 * snapshot: nothing of the new one was ever logged, so the restore must
 * rewrite it whole.
 */
Test(snapshot, region_replaced_in_place)
{
	const uint64_t gpa = 40ull << 20, size = 1ull << 20;
	libvm_snapshot *s;
	uint8_t *want, *got;

	OK(libvm_mem_map_anon(g_vm, gpa, size, 0));
	host_fill(g_vm, gpa, size / PG, 5);
	want = malloc(size);
	got = malloc(size);
	cr_assert(want && got);
	OK(libvm_mem_read(g_vm, gpa, want, size));
	s = snap(g_vm);
	OK(libvm_mem_unmap(g_vm, gpa));
	OK(libvm_mem_map_anon(g_vm, gpa, size, 0));
	wr64(g_vm, gpa + 3 * PG, 42);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_mem_read(g_vm, gpa, got, size));
	cr_assert(!memcmp(got, want, size), "the new region was not restored");
	free(want);
	free(got);
	libvm_snapshot_destroy(s);
}

/*
 * A vCPU destroyed after it dirtied pages: KVM keeps its dirty ring, and
 * the restore must still bring those pages back.
 */
Test(snapshot, destroyed_vcpu_writes_restored)
{
	libvm_vcpu *v1 = NULL;
	libvm_snapshot *s;
	uint8_t *before;

	before = ram_copy(g_vm);
	s = snap(g_vm);
	OK(libvm_vcpu_create(&v1, g_vm, 1));
	OK(libvm_vcpu_set_long_mode(v1, libvm_image_entry(s_img),
				    SN_STACK - (1ull << 20)));
	cr_assert_eq(vcall(v1, "dirty_pages", CE_ARGS(SN_BUF, 8, 77)), 8);
	libvm_vcpu_destroy(v1);
	OK(libvm_snapshot_restore(g_vm, s));
	ram_expect(g_vm, before, "after the vCPU that wrote went");
	cr_assert_eq(CALL("dirty_pages", SN_BUF, 2, 78), 2);
	OK(libvm_snapshot_restore(g_vm, s));
	ram_expect(g_vm, before, "after a second restore");
	free(before);
	libvm_snapshot_destroy(s);
}

Test(snapshot, fork_isolation)
{
	const uint64_t P = SN_BUF, Q = SN_BUF + 9 * PG;
	libvm_vm *f1 = NULL, *f2 = NULL, *ff = NULL;
	libvm_vcpu *v1, *v2, *vf;
	libvm_snapshot *s, *s1;
	int fds0 = h_count_fds();

	wr64(g_vm, P, 0xa0);
	wr64(g_vm, Q, 0xa1);
	CALL0("bump");
	s = snap(g_vm);
	OK(libvm_vm_fork(&f1, s));
	OK(libvm_vm_fork(&f2, s));
	v1 = libvm_vm_vcpu(f1, 0);
	v2 = libvm_vm_vcpu(f2, 0);
	cr_assert_not_null(v1);
	cr_assert_not_null(v2);
	cr_assert_null(libvm_vm_vcpu(f1, 1));
	cr_assert_eq(libvm_vm_needs_restore(f1), 0);

	/* Same page, three writers, three ways. */
	wr64(g_vm, P, 0xb0);
	vcall(v1, "store", CE_ARGS(P, 0xb1));
	wr64(f2, P, 0xb2);
	cr_assert_eq(rd64(g_vm, P), 0xb0);
	cr_assert_eq(rd64(f1, P), 0xb1);
	cr_assert_eq(rd64(f2, P), 0xb2);
	cr_assert_eq(vcall(v2, "load", CE_ARGS(P)), 0xb2);
	cr_assert_eq(CALL("load", P), 0xb0);
	/* The page nobody wrote is the snapshot's everywhere. */
	cr_assert_eq(rd64(f1, Q), 0xa1);
	cr_assert_eq(vcall(v2, "load", CE_ARGS(Q)), 0xa1);
	/* Program data too: each has its own counter. */
	cr_assert_eq(vcall(v1, "bump", NULL, 0), 2);
	cr_assert_eq(vcall(v1, "bump", NULL, 0), 3);
	cr_assert_eq(vcall(v2, "bump", NULL, 0), 2);
	cr_assert_eq(CALL0("bump"), 2);

	/* Restoring a fork undoes only its own writes. */
	OK(libvm_snapshot_restore(f2, s));
	cr_assert_eq(rd64(f2, P), 0xa0);
	cr_assert_eq(rd64(f1, P), 0xb1);
	cr_assert_eq(rd64(g_vm, P), 0xb0);

	/* Forks outlive the snapshot. */
	libvm_snapshot_destroy(s);
	cr_assert_eq(vcall(v1, "bump", NULL, 0), 4);
	cr_assert_eq(vcall(v2, "load", CE_ARGS(Q)), 0xa1);
	cr_assert_eq(rd64(f1, P), 0xb1);

	/* A fork of a fork starts from the first fork's state. */
	s1 = snap(f1);
	OK(libvm_vm_fork(&ff, s1));
	vf = libvm_vm_vcpu(ff, 0);
	cr_assert_eq(rd64(ff, P), 0xb1);
	cr_assert_eq(vcall(vf, "load", CE_ARGS(Q)), 0xa1);
	vcall(vf, "store", CE_ARGS(P, 0xc0));
	cr_assert_eq(vcall(vf, "bump", NULL, 0), 5);
	cr_assert_eq(rd64(f1, P), 0xb1);
	cr_assert_eq(vcall(v1, "bump", NULL, 0), 5);
	vcall(v1, "store", CE_ARGS(Q, 0xc1));
	cr_assert_eq(rd64(ff, Q), 0xa1);
	cr_assert_eq(rd64(ff, P), 0xc0);
	OK(libvm_snapshot_restore(f1, s1));
	cr_assert_eq(rd64(f1, Q), 0xa1);
	cr_assert_eq(vcall(v1, "get_counter", NULL, 0), 4);
	OK(libvm_snapshot_restore(ff, s1));
	cr_assert_eq(rd64(ff, P), 0xb1);
	cr_assert_eq(vcall(vf, "get_counter", NULL, 0), 4);
	libvm_vm_destroy(f1);
	cr_assert_eq(vcall(vf, "bump", NULL, 0), 5);
	libvm_snapshot_destroy(s1);
	cr_assert_eq(vcall(vf, "bump", NULL, 0), 6);
	libvm_vm_destroy(ff);
	libvm_vm_destroy(f2);
	cr_assert_eq(h_count_fds(), fds0, "fds %d -> %d", fds0, h_count_fds());
}

static int hc_double(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
		uint64_t *ret, void *opaque)
{
	(void)vcpu;
	(void)nr;
	(*(int *)opaque)++;
	*ret = args[0] * 2;
	return LIBVM_TRAP_CONTINUE;
}

Test(snapshot, fork_copies_registrations)
{
	libvm_vm *f = NULL;
	int calls = 0, restored = 0;
	uint32_t dev = 5;
	libvm_snapshot *s;
	libvm_exit ex;
	uint64_t ret = 0;
	int r;

	OK(libvm_hypercall_register(g_vm, LIBVM_HC_USER, hc_double, &calls));
	OK(libvm_device_state_register(g_vm, "dev", &dev, sizeof(dev),
				       count_restored, &restored));
	s = snap(g_vm);
	dev = 6;
	OK(libvm_vm_fork(&f, s));
	/* The fork restored its (shared) device state and said so. */
	cr_assert_eq(dev, 5);
	cr_assert_eq(restored, 1);
	/* Its guest reaches the same hypercall handler. */
	cr_assert_eq(vcall(libvm_vm_vcpu(f, 0), "hc1",
			   CE_ARGS(LIBVM_HC_USER, 21)), 42);
	cr_assert_eq(calls, 1);
	memset(&ex, 0, sizeof(ex));
	r = libvm_call(&ret, &ex, libvm_vm_vcpu(f, 0), sym("report_bug"),
		       CE_ARGS(1), CALL_TIMEOUT_NS);
	cr_assert_eq(r, LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED);
	cr_assert_eq(libvm_vm_needs_restore(f), 0,
		     "a BUG report stops; it does not poison");
	libvm_vm_destroy(f);
	libvm_snapshot_destroy(s);
}

static int stop_hc(libvm_vcpu *v, uint64_t nr, const uint64_t args[6],
		   uint64_t *ret, void *opaque)
{
	(void)v;
	(void)nr;
	(void)args;
	(void)opaque;
	*ret = 0;
	return LIBVM_TRAP_STOP;
}

/* libvm_guest_report_bug's code arrives whole, all 64 bits. */
Test(snapshot, report_bug_code_is_64_bit)
{
	const uint64_t code = 0x8123456789abcdefull;
	libvm_exit ex;
	uint64_t ret;

	FAILS(vcall_r(&ret, &ex, g_vcpu, "report_bug", CE_ARGS(code),
		      CALL_TIMEOUT_NS), LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_HYPERCALL);
	cr_assert_eq(ex.u.stop.addr, LIBVM_HC_BUG);
	cr_assert_eq(ex.u.stop.value, code, "value %#llx",
		     (unsigned long long)ex.u.stop.value);
	cr_assert_eq(ex.u.stop.code, (int32_t)0x89abcdef);
	/* A registered handler's stop carries the first argument too. */
	OK(libvm_hypercall_register(g_vm, LIBVM_HC_USER, stop_hc, NULL));
	FAILS(vcall_r(&ret, &ex, g_vcpu, "hc1", CE_ARGS(LIBVM_HC_USER, code),
		      CALL_TIMEOUT_NS), LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.addr, LIBVM_HC_USER);
	cr_assert_eq(ex.u.stop.code, LIBVM_TRAP_STOP);
	cr_assert_eq(ex.u.stop.value, code);
}

/* ---- needs_restore ------------------------------------------------------- */

struct canceller {
	libvm_vcpu *vcpu;
	useconds_t delay_us;
	int r;
};

static void *cancel_later(void *p)
{
	struct canceller *c = p;

	usleep(c->delay_us);
	c->r = libvm_vcpu_cancel(c->vcpu);
	return NULL;
}

Test(snapshot, needs_restore_mark)
{
	libvm_snapshot *s;
	libvm_exit ex;
	uint64_t ret;
	int r;

	s = snap(g_vm);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	CALL0("bump");
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0, "after a normal call");

	r = vcall_r(&ret, &ex, g_vcpu, "crash", NULL, 0, CALL_TIMEOUT_NS);
	cr_assert_eq(r, LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(ex.u.exception.vector, 6);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1, "after #UD");
	/* Calls still work; only a restore clears the mark. */
	CALL0("bump");
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	cr_assert_eq(CALL0("bump"), 1);

	r = vcall_r(&ret, &ex, g_vcpu, "spin", NULL, 0, 100000000ull);
	cr_assert_eq(r, LIBVM_ETIMEOUT);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1, "after a timeout");
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);

	{
		struct canceller c = { g_vcpu, 100000, 1 };
		pthread_t t;

		cr_assert_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
		r = vcall_r(&ret, &ex, g_vcpu, "spin", NULL, 0,
			    CALL_TIMEOUT_NS);
		pthread_join(t, NULL);
		cr_assert_eq(c.r, 0);
		cr_assert_eq(r, LIBVM_EGUEST);
		cr_assert_eq(ex.reason, LIBVM_EXIT_CANCELLED);
	}
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1, "after a cancel");
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	cr_assert_eq(CALL0("bump"), 1);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	cr_assert_eq(libvm_vm_needs_restore(NULL), 0);
	libvm_snapshot_destroy(s);
}

/* ---- error paths ------------------------------------------------------------ */

static libvm_vm *other_vm(uint32_t flags, uint64_t ram, int vcpu)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vcpu *v = NULL;
	libvm_vm *vm;

	cfg.flags = flags;
	vm = h_vm_create(&cfg);
	h_map_ram(vm, 0, ram);
	if (vcpu)
		OK(libvm_vcpu_create(&v, vm, 0));
	return vm;
}

Test(snapshot, restore_refuses_other_vms)
{
	libvm_snapshot *s = snap(g_vm);
	libvm_vm *o;

	o = other_vm(0, SN_RAM / 2, 1);
	FAILS(libvm_snapshot_restore(o, s), LIBVM_ESTATE);
	libvm_vm_destroy(o);

	o = other_vm(0, SN_RAM, 1);
	h_map_ram(o, SN_RAM + PG, PG);
	FAILS(libvm_snapshot_restore(o, s), LIBVM_ESTATE);
	libvm_vm_destroy(o);

	o = other_vm(0, SN_RAM, 0);
	FAILS(libvm_snapshot_restore(o, s), LIBVM_ESTATE);
	libvm_vm_destroy(o);

	o = other_vm(LIBVM_VM_IRQCHIP, SN_RAM, 1);
	FAILS(libvm_snapshot_restore(o, s), LIBVM_ESTATE);
	libvm_vm_destroy(o);

	/* A VM with a volatile region beside the same RAM is fine. */
	o = other_vm(0, SN_RAM, 1);
	OK(libvm_mem_map_anon(o, SN_VOL, PG, LIBVM_MEM_VOLATILE));
	OK(libvm_snapshot_restore(o, s));
	libvm_vm_destroy(o);

	/* The refusals left the source VM alone. */
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(CALL0("bump"), 1);
	libvm_snapshot_destroy(s);
}

/* "Must have the snapshot's memory layout": read-only flags included. */
Test(snapshot, restore_refuses_readonly_mismatch)
{
	libvm_vm *ro = other_vm(0, SN_RAM, 1), *rw = other_vm(0, SN_RAM, 1);
	libvm_snapshot *s_ro, *s_rw;

	OK(libvm_mem_map_anon(ro, SN_VOL, PG, LIBVM_MEM_READONLY));
	OK(libvm_mem_map_anon(rw, SN_VOL, PG, 0));
	s_ro = snap(ro);
	s_rw = snap(rw);
	FAILS(libvm_snapshot_restore(rw, s_ro), LIBVM_ESTATE);
	cr_assert(strstr(libvm_last_error(), "writable in the VM, read-only "
			 "in the snapshot"), "%s", libvm_last_error());
	FAILS(libvm_snapshot_restore(ro, s_rw), LIBVM_ESTATE);
	cr_assert(strstr(libvm_last_error(), "read-only in the VM, writable "
			 "in the snapshot"), "%s", libvm_last_error());
	OK(libvm_snapshot_restore(ro, s_ro));
	OK(libvm_snapshot_restore(rw, s_rw));
	libvm_snapshot_destroy(s_ro);
	libvm_snapshot_destroy(s_rw);
	libvm_vm_destroy(ro);
	libvm_vm_destroy(rw);
}

Test(snapshot, null_arguments)
{
	libvm_snapshot *s = NULL;
	libvm_fuzz_result res;
	libvm_vm *f = NULL;

	FAILS(libvm_snapshot_take(NULL, g_vm), LIBVM_EINVAL);
	FAILS(libvm_snapshot_take(&s, NULL), LIBVM_EINVAL);
	cr_assert_null(s);
	s = snap(g_vm);
	FAILS(libvm_snapshot_restore(NULL, s), LIBVM_EINVAL);
	FAILS(libvm_snapshot_restore(g_vm, NULL), LIBVM_EINVAL);
	FAILS(libvm_vm_fork(NULL, s), LIBVM_EINVAL);
	FAILS(libvm_vm_fork(&f, NULL), LIBVM_EINVAL);
	FAILS(libvm_fuzz_exec(NULL, g_vm, s, sym("fuzz"), SN_INPUT,
			      SN_INPUT_CAP, "x", 1, CALL_TIMEOUT_NS),
	      LIBVM_EINVAL);
	FAILS(libvm_fuzz_exec(&res, NULL, s, sym("fuzz"), SN_INPUT,
			      SN_INPUT_CAP, "x", 1, CALL_TIMEOUT_NS),
	      LIBVM_EINVAL);
	FAILS(libvm_fuzz_exec(&res, g_vm, NULL, sym("fuzz"), SN_INPUT,
			      SN_INPUT_CAP, "x", 1, CALL_TIMEOUT_NS),
	      LIBVM_EINVAL);
	FAILS(libvm_fuzz_exec(&res, g_vm, s, sym("fuzz"), SN_INPUT,
			      SN_INPUT_CAP, NULL, 1, CALL_TIMEOUT_NS),
	      LIBVM_EINVAL);
	cr_assert_null(libvm_vm_vcpu(NULL, 0));
	cr_assert_null(libvm_vm_vcpu(g_vm, 1));
	cr_assert_null(libvm_vm_vcpu(g_vm, 100000));
	cr_assert_eq(libvm_vm_vcpu(g_vm, 0), g_vcpu);
	libvm_snapshot_destroy(NULL);
	libvm_snapshot_destroy(s);
}

struct spinner {
	libvm_vcpu *vcpu;
	uint64_t fn;
	int r;
	libvm_exit ex;
};

static void *spin_thread(void *p)
{
	struct spinner *sp = p;
	uint64_t ret;

	sp->r = libvm_call(&ret, &sp->ex, sp->vcpu, sp->fn, NULL, 0,
			   CALL_TIMEOUT_NS);
	return NULL;
}

Test(snapshot, busy_while_running)
{
	struct spinner sp = { g_vcpu, sym("spin"), 1, { 0 } };
	libvm_snapshot *s = snap(g_vm), *t = NULL;
	uint64_t t0 = h_now_ns();
	pthread_t th;
	int r;

	cr_assert_eq(pthread_create(&th, NULL, spin_thread, &sp), 0);
	/* Until the run starts a snapshot may still succeed. */
	while ((r = libvm_snapshot_take(&t, g_vm)) == 0) {
		libvm_snapshot_destroy(t);
		t = NULL;
		if (h_now_ns() - t0 > 10000000000ull)
			break;
		usleep(1000);
	}
	cr_assert_eq(r, LIBVM_EBUSY, "%d (%s): %s", r, libvm_strerror(r),
		     libvm_last_error());
	cr_assert_null(t);
	FAILS(libvm_snapshot_restore(g_vm, s), LIBVM_EBUSY);
	OK(libvm_vcpu_cancel(g_vcpu));
	pthread_join(th, NULL);
	cr_assert_eq(sp.r, LIBVM_EGUEST, "%d", sp.r);
	cr_assert_eq(sp.ex.reason, LIBVM_EXIT_CANCELLED);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(CALL0("bump"), 1);
	libvm_snapshot_destroy(s);
}

/* ---- fuzz_exec ----------------------------------------------------------- */

static uint64_t fuzz_expect(uint64_t counter, const void *data, uint64_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;

	for (uint64_t i = 0; i < len; i++)
		sum += p[i];
	return counter << 48 | len << 16 | (sum & 0xffff);
}

static void fexec(libvm_fuzz_result *res, libvm_snapshot *s, const void *data,
		  uint64_t len, uint64_t timeout_ns)
{
	memset(res, 0x5a, sizeof(*res));
	OK(libvm_fuzz_exec(res, g_vm, s, sym("fuzz"), SN_INPUT, SN_INPUT_CAP,
			   data, len, timeout_ns));
}

Test(snapshot, fuzz_exec_outcomes)
{
	libvm_fuzz_result res;
	libvm_snapshot *s;

	CALL0("bump");	/* the snapshot's counter is 1 */
	s = snap(g_vm);
	for (int i = 0; i < 3; i++) {
		fexec(&res, s, "hello", 5, CALL_TIMEOUT_NS);
		cr_assert_eq(res.outcome, LIBVM_FUZZ_OK, "outcome %u exit %s",
			     res.outcome, libvm_exit_reason_name(res.exit.reason));
		cr_assert_eq(res.ret, fuzz_expect(2, "hello", 5),
			     "exec %d: %#llx", i, (unsigned long long)res.ret);
		cr_assert_eq(res.exit.reason, LIBVM_EXIT_RETURN);
		cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	}

	fexec(&res, s, "CRSH", 4, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_CRASH, "outcome %u exit %s",
		     res.outcome, libvm_exit_reason_name(res.exit.reason));
	cr_assert_eq(res.exit.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(res.exit.u.exception.vector, 6);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1);

	fexec(&res, s, "BUG!", 4, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_BUG, "outcome %u exit %s",
		     res.outcome, libvm_exit_reason_name(res.exit.reason));
	cr_assert_eq(res.exit.reason, LIBVM_EXIT_STOPPED);
	cr_assert_eq(res.exit.u.stop.space, LIBVM_TRAP_HYPERCALL);
	cr_assert_eq(res.exit.u.stop.addr, LIBVM_HC_BUG);
	cr_assert_eq(res.exit.u.stop.code, 0xb0b);
	cr_assert_eq(res.exit.u.stop.value, 0xb0b);

	fexec(&res, s, "LOOP", 4, 100000000ull);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_TIMEOUT, "outcome %u exit %s",
		     res.outcome, libvm_exit_reason_name(res.exit.reason));
	cr_assert_eq(res.exit.reason, LIBVM_EXIT_TIMEOUT);
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 1);

	/* In user mode lidt is privileged: a #GP, not a triple fault. */
	fexec(&res, s, "TRIP", 4, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_CRASH);
	cr_assert_eq(res.exit.u.exception.vector, 13);

	/* After all that, the next exec starts from the snapshot again. */
	fexec(&res, s, "hello", 5, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_OK);
	cr_assert_eq(res.ret, fuzz_expect(2, "hello", 5));
	cr_assert_eq(libvm_vm_needs_restore(g_vm), 0);
	/* Empty input, NULL data */
	fexec(&res, s, NULL, 0, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_OK);
	cr_assert_eq(res.ret, fuzz_expect(2, "", 0));
	libvm_snapshot_destroy(s);
}

Test(snapshot, fuzz_exec_input)
{
	static uint8_t big[3 * SN_INPUT_CAP];
	libvm_fuzz_result res;
	libvm_snapshot *s = snap(g_vm);

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + 5) | 1;
	/* Cut to input_cap, and said so. */
	fexec(&res, s, big, sizeof(big), CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_OK);
	cr_assert_eq(res.ret, fuzz_expect(1, big, SN_INPUT_CAP), "%#llx",
		     (unsigned long long)res.ret);
	cr_assert_eq(res.flags, LIBVM_FUZZ_TRUNCATED);
	fexec(&res, s, big, SN_INPUT_CAP, CALL_TIMEOUT_NS);
	cr_assert_eq(res.flags, 0, "an input of exactly input_cap bytes");
	/* A short input after a long one sees no leftovers. */
	fexec(&res, s, "hi", 2, CALL_TIMEOUT_NS);
	cr_assert_eq(res.flags, 0);
	cr_assert_neq(res.ret, ~0ull, "bytes of the previous input remain");
	cr_assert_eq(res.ret, fuzz_expect(1, "hi", 2));
	cr_assert_eq(rd64(g_vm, SN_INPUT + 8), 0);
	/* input_cap 0 gives the guest nothing. */
	memset(&res, 0, sizeof(res));
	OK(libvm_fuzz_exec(&res, g_vm, s, sym("fuzz"), SN_INPUT, 0, big, 100,
			   CALL_TIMEOUT_NS));
	cr_assert_eq(res.ret, fuzz_expect(1, "", 0));
	cr_assert_eq(res.flags, LIBVM_FUZZ_TRUNCATED);
	/* An input area outside RAM is libvm's failure, not the guest's. */
	FAILS(libvm_fuzz_exec(&res, g_vm, s, sym("fuzz"), SN_RAM - 2, 16, big,
			      16, CALL_TIMEOUT_NS), LIBVM_ERANGE);
	libvm_snapshot_destroy(s);
}

static void sn_super(void)
{
	sn_setup(0, LIBVM_LONG_SUPERVISOR);
}

Test(snapshot, fuzz_exec_triple_fault, .init = sn_super)
{
	libvm_fuzz_result res;
	libvm_snapshot *s = snap(g_vm);

	fexec(&res, s, "hello", 5, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_OK);
	for (int i = 0; i < 2; i++) {
		fexec(&res, s, "TRIP", 4, CALL_TIMEOUT_NS);
		cr_assert_eq(res.outcome, LIBVM_FUZZ_TRIPLE_FAULT,
			     "outcome %u exit %s (kvm %u)", res.outcome,
			     libvm_exit_reason_name(res.exit.reason),
			     res.exit.kvm_reason);
		cr_assert_eq(res.exit.reason, LIBVM_EXIT_SHUTDOWN);
		cr_assert_eq(libvm_vm_needs_restore(g_vm), 1);
		/* The restore brings a shut-down vCPU back. */
		fexec(&res, s, "hello", 5, CALL_TIMEOUT_NS);
		cr_assert_eq(res.outcome, LIBVM_FUZZ_OK, "outcome %u exit %s",
			     res.outcome,
			     libvm_exit_reason_name(res.exit.reason));
		cr_assert_eq(res.ret, fuzz_expect(1, "hello", 5));
	}
	fexec(&res, s, "CRSH", 4, CALL_TIMEOUT_NS);
	cr_assert_eq(res.outcome, LIBVM_FUZZ_CRASH);
	libvm_snapshot_destroy(s);
}

/* ---- many resets ----------------------------------------------------------- */

static long env_resets(void)
{
	const char *e = getenv("LIBVM_TEST_RESETS");
	long n = e ? strtol(e, NULL, 10) : 0;

	return n > 0 ? n : 100000;
}

/*
 * Each iteration is a fuzz_exec (restore, input write, call); every 16th
 * the guest dirties 8 more pages.  ~100 us each on a real host.
 */
Test(snapshot, many_resets_no_growth, .timeout = 3600)
{
	const long warm = 1000, n = env_resets();
	libvm_fuzz_result res;
	libvm_snapshot *s;
	uint8_t in[64], *before;
	uint64_t t0 = 0, dt;
	long rss0 = 0, rss1;
	int fds0 = 0, fds1;

	memset(in, 'z', sizeof(in));
	/*
	 * Transparent huge pages would make RSS jump whenever khugepaged
	 * collapses a partly used 2 MiB range of guest RAM -- or of the heap,
	 * whose place moves with the test binary's size -- which is time,
	 * not growth.
	 */
	{
		void *ram = NULL;

		OK(libvm_mem_ptr(&ram, g_vm, 0, SN_RAM));
		madvise(ram, SN_RAM, MADV_NOHUGEPAGE);
		prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	}
	s = snap(g_vm);
	before = ram_copy(g_vm);
	for (long i = 0; i < warm + n; i++) {
		int r;

		if (i == warm) {
			fds0 = h_count_fds();
			rss0 = h_rss_kb();
			t0 = h_now_ns();
		}
		in[i % 64] = (uint8_t)i;
		r = libvm_fuzz_exec(&res, g_vm, s, sym("fuzz"), SN_INPUT,
				    SN_INPUT_CAP, in, sizeof(in),
				    CALL_TIMEOUT_NS);
		if (r < 0 || res.outcome != LIBVM_FUZZ_OK ||
		    res.ret != fuzz_expect(1, in, sizeof(in)))
			cr_assert_fail("reset %ld: %d (%s): %s, outcome %u, "
				       "ret %#llx", i, r, libvm_strerror(r),
				       libvm_last_error(), res.outcome,
				       (unsigned long long)res.ret);
		if (i % 16 == 0)
			vcall(g_vcpu, "dirty_pages",
			      CE_ARGS(SN_BUF + (uint64_t)(i % 512) * PG, 8,
				      (uint64_t)i));
	}
	dt = h_now_ns() - t0;
	fds1 = h_count_fds();
	rss1 = h_rss_kb();
	OK(libvm_snapshot_restore(g_vm, s));
	ram_expect(g_vm, before, "after the resets");
	free(before);
	libvm_snapshot_destroy(s);
	fprintf(stderr, "snapshot/many_resets_no_growth: %ld resets in %.3f s "
		"(%.1f us each), RSS %ld -> %ld kB, fds %d -> %d\n", n,
		dt / 1e9, dt / 1e3 / (double)n, rss0, rss1, fds0, fds1);
	cr_assert_eq(fds1, fds0, "fds %d -> %d", fds0, fds1);
	cr_assert_leq(rss1 - rss0, RSS_SLACK_KB, "RSS grew %ld -> %ld kB", rss0,
		      rss1);
}

Test(snapshot, many_forks_no_growth, .timeout = 600)
{
	libvm_snapshot *s = snap(g_vm);
	int fds0 = 0;
	long rss0 = 0;

	for (int i = 0; i < 60; i++) {
		libvm_vm *f = NULL;

		if (i == 20) {
			fds0 = h_count_fds();
			rss0 = h_rss_kb();
		}
		OK(libvm_vm_fork(&f, s));
		cr_assert_eq(vcall(libvm_vm_vcpu(f, 0), "bump", NULL, 0), 1);
		libvm_vm_destroy(f);
	}
	cr_assert_eq(h_count_fds(), fds0);
	cr_assert_leq(h_rss_kb() - rss0, 2 * RSS_SLACK_KB, "RSS %ld -> %ld kB",
		      rss0, h_rss_kb());
	libvm_snapshot_destroy(s);
}

/* ---- restore: what may be skipped ------------------------------------------ */

#define MSR_KGS 0xc0000102u	/* KERNEL_GS_BASE: CPL0 only */

/* A few restore + call rounds: from here on restores may skip state. */
static void warm_resets(libvm_snapshot *s)
{
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(CALL0("bump"), 2);
		OK(libvm_snapshot_restore(g_vm, s));
	}
}

static uint64_t msr(uint32_t index)
{
	uint64_t v = 0;

	OK(libvm_vcpu_get_msr(&v, g_vcpu, index));
	return v;
}

Test(snapshot, skip_state_host_setters_restored)
{
	uint64_t k0, x0 = 0, x1 = 0;
	libvm_snapshot *s;
	libvm_sregs sr0, sr;
	int has_xcr;

	CALL0("bump");
	k0 = msr(MSR_KGS);
	has_xcr = libvm_vcpu_get_xcr(&x0, g_vcpu, 0) == 0;
	OK(libvm_vcpu_get_sregs(&sr0, g_vcpu));
	s = snap(g_vm);
	warm_resets(s);

	/* An MSR set through the API after fast restores comes back. */
	OK(libvm_vcpu_set_msr(g_vcpu, MSR_KGS, 0x00007fff55550000ull));
	cr_assert_eq(msr(MSR_KGS), 0x00007fff55550000ull);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(msr(MSR_KGS), k0, "KERNEL_GS_BASE %#llx after restore",
		     (unsigned long long)msr(MSR_KGS));
	cr_assert_eq(CALL0("bump"), 2);
	OK(libvm_snapshot_restore(g_vm, s));

	/* So does XCR0. */
	if (has_xcr) {
		OK(libvm_vcpu_set_xcr(g_vcpu, 0, 1 | 2));
		OK(libvm_vcpu_get_xcr(&x1, g_vcpu, 0));
		cr_assert_eq(x1, 3);
		OK(libvm_snapshot_restore(g_vm, s));
		OK(libvm_vcpu_get_xcr(&x1, g_vcpu, 0));
		cr_assert_eq(x1, x0);
		cr_assert_eq(CALL0("get_xcr0"), x0);
		OK(libvm_snapshot_restore(g_vm, s));
	}

	/* And the segment registers, read back before the next run. */
	sr = sr0;
	sr.cr2 = 0x1234000;
	sr.fs.base = 0x5678000;
	OK(libvm_vcpu_set_sregs(g_vcpu, &sr));
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_sregs(&sr, g_vcpu));
	cr_assert_eq(sr.cr2, sr0.cr2);
	cr_assert_eq(sr.fs.base, sr0.fs.base);
	cr_assert_eq(sr.efer, sr0.efer);
	cr_assert_eq(CALL0("bump"), 2);
	OK(libvm_snapshot_restore(g_vm, s));
	OK(libvm_vcpu_get_sregs(&sr, g_vcpu));
	cr_assert_eq(memcmp(&sr, &sr0, sizeof(sr)), 0,
		     "sregs differ after restore");
	libvm_snapshot_destroy(s);
}

/* Point the #UD gate of libvm's IDT at the guest's r0_wrmsr (from the host). */
static void host_gate_ud(libvm_vm *vm)
{
	uint64_t g[2], off = sym("r0_wrmsr");

	OK(libvm_mem_read(vm, SN_SYS + 0x1000 + 16 * 6, g, 16));
	g[0] = (off & 0xffff) | (g[0] & 0x0000ffffffff0000ull) |
	       (((off >> 16) & 0xffff) << 48);
	g[1] = off >> 32;
	OK(libvm_mem_write(vm, SN_SYS + 0x1000 + 16 * 6, g, 16));
}

/*
 * User mode cannot write libvm's tables; CPL0 code of the guest's own
 * runs only if the host put it there (here: a #UD gate to a handler that
 * writes an MSR and returns), and then the restore restores every MSR.
 */
Test(snapshot, skip_state_guest_at_cpl0_restored)
{
	const uint64_t val = 0x00007fff12345000ull;
	libvm_snapshot *s;
	libvm_exit ex;
	uint64_t k0, ret;

	CALL0("bump");
	k0 = msr(MSR_KGS);
	cr_assert_neq(k0, val);
	s = snap(g_vm);
	warm_resets(s);

	/* From user mode the IDT is out of reach: #PF. */
	cr_assert_eq(vcall_r(&ret, &ex, g_vcpu, "climb_wrmsr",
			     CE_ARGS(SN_SYS + 0x1000, val), CALL_TIMEOUT_NS),
		     LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(ex.u.exception.vector, 14, "vector %u",
		     ex.u.exception.vector);
	cr_assert_eq(msr(MSR_KGS), k0);
	OK(libvm_snapshot_restore(g_vm, s));
	warm_resets(s);

	/* The host's gate: ud2 runs r0_wrmsr at CPL0, the call returns. */
	host_gate_ud(g_vm);
	wr64(g_vm, sym("r0_val"), val);
	cr_assert_eq(CALL0("crash"), 1);
	cr_assert_eq(msr(MSR_KGS), val, "the guest did not reach CPL0");
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(msr(MSR_KGS), k0, "KERNEL_GS_BASE %#llx after restore",
		     (unsigned long long)msr(MSR_KGS));
	/* And the IDT is back: ud2 reports #UD again. */
	cr_assert_eq(vcall_r(&ret, &ex, g_vcpu, "crash", NULL, 0,
			     CALL_TIMEOUT_NS), LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(ex.u.exception.vector, 6);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(msr(MSR_KGS), k0);
	cr_assert_eq(CALL0("bump"), 2);
	libvm_snapshot_destroy(s);
}

/*
 * A #UD of the runtime's exception path (ud2, or SYSCALL) leaves the
 * guest's RDX, which its stub uses, as it was.
 */
static void expect_ud_at(const char *fn, const char *at, int cpl)
{
	const uint64_t rdx = 0x5eed0000feedf00dull;
	libvm_exit ex;
	libvm_regs r;
	uint64_t ret;

	cr_assert_eq(vcall_r(&ret, &ex, g_vcpu, fn, CE_ARGS(rdx),
			     CALL_TIMEOUT_NS), LIBVM_EGUEST);
	cr_assert_eq(ex.reason, LIBVM_EXIT_EXCEPTION);
	cr_assert_eq(ex.u.exception.vector, 6, "%s: vector %u", fn,
		     ex.u.exception.vector);
	cr_assert_eq(ex.u.exception.has_error_code, 0);
	cr_assert_eq(ex.u.exception.rip, sym(at), "%s: rip %#llx, want %#llx",
		     fn, (unsigned long long)ex.u.exception.rip,
		     (unsigned long long)sym(at));
	cr_assert_eq(ex.u.exception.cs & 3, (uint64_t)cpl, "cs %#llx",
		     (unsigned long long)ex.u.exception.cs);
	/* Only the dispatcher's return address is on the stack. */
	cr_assert_eq(ex.u.exception.rsp, SN_STACK - 8, "rsp %#llx",
		     (unsigned long long)ex.u.exception.rsp);
	cr_assert_eq(ex.u.exception.rflags & 0x100, 0, "rflags %#llx",
		     (unsigned long long)ex.u.exception.rflags);
	OK(libvm_vcpu_get_regs(&r, g_vcpu));
	cr_assert_eq(r.rdx, rdx, "%s: rdx %#llx after the exception", fn,
		     (unsigned long long)r.rdx);
}

/*
 * SYSCALL is off in user mode: #UD at the SYSCALL, where the host
 * honours EFER.SCE and where it does not (PVM: then LSTAR leads to
 * libvm's stub, which reports the same).  Restores stay fast after it.
 */
Test(snapshot, user_syscall_reports_ud)
{
	libvm_snapshot *s;

	CALL0("bump");
	s = snap(g_vm);
	warm_resets(s);
	expect_ud_at("do_syscall", "do_syscall_at", 3);
	OK(libvm_snapshot_restore(g_vm, s));
	cr_assert_eq(CALL0("bump"), 2);
	expect_ud_at("ud_rdx", "ud_rdx_at", 3);
	OK(libvm_snapshot_restore(g_vm, s));
	warm_resets(s);
	expect_ud_at("do_syscall", "do_syscall_at", 3);
	libvm_snapshot_destroy(s);
}

/* In supervisor mode SYSCALL is on, and LSTAR leads to the same report. */
Test(snapshot, supervisor_syscall_reports_ud, .init = sn_super)
{
	expect_ud_at("do_syscall", "do_syscall_at", 0);
	cr_assert_eq(CALL0("bump"), 1);
	expect_ud_at("ud_rdx", "ud_rdx_at", 0);
}

/* ---- full restore of a big sparse VM ----------------------------------------- */

#define BIG_RAM		(1ull << 30)
#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Sum of st_blocks (in bytes) of this process's snapshot memfds, each once
 * (forks hold dups of them).
 */
static long long snap_memfd_bytes(void)
{
	char path[64], link[256];
	ino_t seen[256];
	int nseen = 0, i;
	long long sum = 0;

	for (int fd = 0; fd < 4096; fd++) {
		struct stat st;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (!strstr(link, "libvm-snapshot") || fstat(fd, &st) < 0)
			continue;
		for (i = 0; i < nseen && seen[i] != st.st_ino; i++)
			;
		if (i < nseen)
			continue;
		cr_assert_lt(nseen, (int)ARRAY_LEN(seen));
		seen[nseen++] = st.st_ino;
		sum += (long long)st.st_blocks * 512;
	}
	return sum;
}

/* Hash of all of vm's RAM, read 1 MiB at a time. */
static uint64_t big_hash(libvm_vm *vm)
{
	uint64_t *buf = malloc(1 << 20), h = 0xcbf29ce484222325ull;

	cr_assert_not_null(buf);
	for (uint64_t a = 0; a < BIG_RAM; a += 1 << 20) {
		OK(libvm_mem_read(vm, a, buf, 1 << 20));
		for (uint64_t i = 0; i < (1 << 20) / 8; i++)
			h = (h ^ buf[i]) * 0x100000001b3ull;
	}
	free(buf);
	return h;
}

static const uint64_t big_pages_a[] = {
	0, 1, 511, 4096, 100000, 200000, 262143,
};
static const uint64_t big_pages_b[] = {
	1, 2, 77777, 150000, 262142,
};

static void big_fill(libvm_vm *vm, const uint64_t *pages, size_t n,
		     uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		host_fill(vm, pages[i] * PG, 1, seed + i);
}

Test(snapshot, full_restore_sparse_1g, .timeout = 1200)
{
	libvm_vm *vm = h_vm_create(NULL), *fork = NULL;
	libvm_snapshot *sa, *sb;
	uint64_t ha, hb, zero[PG / 8] = { 0 };
	long rss0, rss1;
	long long fd0, fd1;

	OK(libvm_mem_map_anon(vm, 0, BIG_RAM, 0));
	{
		void *ram = NULL;

		OK(libvm_mem_ptr(&ram, vm, 0, BIG_RAM));
		madvise(ram, BIG_RAM, MADV_NOHUGEPAGE);
	}
	big_fill(vm, big_pages_a, ARRAY_LEN(big_pages_a), 1);
	ha = big_hash(vm);
	OK(libvm_snapshot_take(&sa, vm));
	/* b: other pages, and page 0 of a zero again (a hole in b) */
	big_fill(vm, big_pages_b, ARRAY_LEN(big_pages_b), 50);
	OK(libvm_mem_write(vm, 0, zero, PG));
	hb = big_hash(vm);
	cr_assert_neq(ha, hb);
	OK(libvm_snapshot_take(&sb, vm));
	rss0 = h_rss_kb();
	fd0 = snap_memfd_bytes();
	for (int round = 0; round < 2; round++) {
		OK(libvm_snapshot_restore(vm, sa));
		cr_assert_eq(big_hash(vm), ha, "round %d: a differs", round);
		OK(libvm_snapshot_restore(vm, sb));
		cr_assert_eq(big_hash(vm), hb, "round %d: b differs", round);
	}
	rss1 = h_rss_kb();
	fd1 = snap_memfd_bytes();
	fprintf(stderr, "snapshot/full_restore_sparse_1g: RSS %ld -> %ld kB, "
		"memfds %lld -> %lld bytes\n", rss0, rss1, fd0, fd1);
	cr_assert_leq(rss1 - rss0, 64l << 10, "RSS grew %ld -> %ld kB", rss0,
		      rss1);
	cr_assert_leq(fd1 - fd0, 1 << 20, "memfds grew %lld -> %lld bytes",
		      fd0, fd1);

	/* A fork of a: its memory maps a's memfd's data privately. */
	OK(libvm_vm_fork(&fork, sa));
	cr_assert_eq(big_hash(fork), ha);
	big_fill(fork, big_pages_b + 2, 2, 77);
	for (int round = 0; round < 2; round++) {
		OK(libvm_snapshot_restore(fork, sb));
		cr_assert_eq(big_hash(fork), hb, "fork round %d: b differs",
			     round);
		OK(libvm_snapshot_restore(fork, sa));
		cr_assert_eq(big_hash(fork), ha, "fork round %d: a differs",
			     round);
	}
	rss1 = h_rss_kb();
	fd1 = snap_memfd_bytes();
	fprintf(stderr, "snapshot/full_restore_sparse_1g: fork: RSS %ld kB, "
		"memfds %lld bytes\n", rss1, fd1);
	cr_assert_leq(rss1 - rss0, 64l << 10, "RSS grew %ld -> %ld kB", rss0,
		      rss1);
	cr_assert_leq(fd1 - fd0, 1 << 20, "memfds grew %lld -> %lld bytes",
		      fd0, fd1);
	libvm_vm_destroy(fork);
	libvm_snapshot_destroy(sa);
	libvm_snapshot_destroy(sb);
	libvm_vm_destroy(vm);
}

/* ---- forks reading memory nobody wrote ------------------------------------ */

#define FK_LO		(64ull << 20)	/* the guest reads from here on */
#define FK_N		(64ull << 10)	/* pages: every 4th of 256 MiB */

/* Pages of the 1 GiB VM with data besides the program's. */
static const uint64_t fk_pages[] = {
	FK_LO / PG, FK_LO / PG + 4, (300ull << 20) / PG,
	(300ull << 20) / PG + 1, (700ull << 20) / PG + 40, BIG_RAM / PG - 1,
};
#define FK_SEEN		3	/* of them, pages count_pages reads */

static void sn_big(void)
{
	void *ram = NULL;

	sn_setup_ram(0, 0, BIG_RAM);
	OK(libvm_mem_ptr(&ram, g_vm, 0, BIG_RAM));
	madvise(ram, BIG_RAM, MADV_NOHUGEPAGE);
}

static void fk_report(const char *what, long rss0, long rss1, long long fd0,
		      long long fd1)
{
	fprintf(stderr, "snapshot/fork_reads_holes_for_free: %s: RSS %ld -> "
		"%ld kB, memfds %lld -> %lld bytes\n", what, rss0, rss1, fd0,
		fd1);
	cr_assert_eq(fd1, fd0, "%s: memfds %lld -> %lld bytes", what, fd0, fd1);
	cr_assert_leq(rss1 - rss0, 16l << 10, "%s: RSS grew %ld -> %ld kB",
		      what, rss0, rss1);
}

/*
 * A fork maps the snapshot's memfd only over its data: reading RAM nobody
 * wrote (a hole of the memfd) costs the fork nothing and leaves alone the
 * memfd every fork shares, and so does restoring pages written there.
 * Likewise for forks of forks and of snapshots loaded from a file.  Writes
 * stay in the fork that made them, and full restores of a fork bring back
 * either snapshot.
 */
Test(snapshot, fork_reads_holes_for_free, .init = sn_big, .timeout = 1200)
{
	const uint64_t X = FK_LO + 8 * PG, D = fk_pages[2] * PG;
	libvm_vm *f1 = NULL, *f2 = NULL, *ff = NULL, *fl = NULL;
	libvm_snapshot *s, *s1, *sl;
	libvm_vcpu *v1, *v2;
	uint64_t h0, h1, d0;
	long long fd0;
	long rss0;
	char dir[4096], path[4200];
	int fds0 = h_count_fds();

	cr_assert_eq(CALL0("bump"), 1);
	for (size_t i = 0; i < ARRAY_LEN(fk_pages); i++)
		host_fill(g_vm, fk_pages[i] * PG, 1, 90 + i);
	d0 = rd64(g_vm, D);
	s = snap(g_vm);
	h0 = big_hash(g_vm);
	OK(libvm_vm_fork(&f1, s));
	OK(libvm_vm_fork(&f2, s));
	v1 = libvm_vm_vcpu(f1, 0);
	v2 = libvm_vm_vcpu(f2, 0);

	/* f1's guest reads 16384 pages, f2 is read whole by the host. */
	fd0 = snap_memfd_bytes();
	rss0 = h_rss_kb();
	cr_assert_eq(vcall(v1, "count_pages", CE_ARGS(FK_LO, FK_N, 4)),
		     FK_SEEN);
	cr_assert_eq(big_hash(f2), h0);
	fk_report("reads", rss0, h_rss_kb(), fd0, snap_memfd_bytes());

	/* Writes to a hole and to a data page stay in their fork. */
	vcall(v1, "store", CE_ARGS(X, 0xf1));
	vcall(v1, "store", CE_ARGS(D, 0xf1d));
	wr64(f2, X, 0xf2);
	wr64(f2, D, 0xf2d);
	cr_assert_eq(rd64(g_vm, X), 0);
	cr_assert_eq(rd64(g_vm, D), d0);
	cr_assert_eq(CALL("load", X), 0);
	cr_assert_eq(rd64(f1, X), 0xf1);
	cr_assert_eq(rd64(f1, D), 0xf1d);
	cr_assert_eq(vcall(v2, "load", CE_ARGS(X)), 0xf2);
	cr_assert_eq(vcall(v2, "load", CE_ARGS(D)), 0xf2d);
	cr_assert_eq(vcall(v1, "bump", NULL, 0), 2);

	/* A fork of f1 has f1's writes and reads its holes for free. */
	s1 = snap(f1);
	h1 = big_hash(f1);
	OK(libvm_vm_fork(&ff, s1));
	fd0 = snap_memfd_bytes();
	rss0 = h_rss_kb();
	cr_assert_eq(big_hash(ff), h1);
	cr_assert_eq(rd64(ff, X), 0xf1);
	cr_assert_eq(vcall(libvm_vm_vcpu(ff, 0), "count_pages",
			   CE_ARGS(FK_LO, FK_N, 4)), FK_SEEN);
	fk_report("fork of a fork", rss0, h_rss_kb(), fd0,
		  snap_memfd_bytes());

	/* Full restores of f1: to s (f1 is at s1), to s1, to s again. */
	vcall(v1, "store", CE_ARGS(X + PG, 0xf3));
	rss0 = h_rss_kb();
	OK(libvm_snapshot_restore(f1, s));
	cr_assert_eq(big_hash(f1), h0);
	OK(libvm_snapshot_restore(f1, s1));
	cr_assert_eq(big_hash(f1), h1);
	OK(libvm_snapshot_restore(f1, s));
	cr_assert_eq(big_hash(f1), h0);
	cr_assert_eq(vcall(v1, "get_counter", NULL, 0), 1);
	cr_assert_eq(rd64(f2, X), 0xf2);
	cr_assert_eq(rd64(ff, X), 0xf1);
	cr_assert_eq(rd64(g_vm, X), 0);
	cr_assert_eq(rd64(g_vm, D), d0);
	fk_report("full restores", rss0, h_rss_kb(), fd0, snap_memfd_bytes());

	/* f2's restore copies back the pages it wrote, a hole's as zeros. */
	rss0 = h_rss_kb();
	OK(libvm_snapshot_restore(f2, s));
	cr_assert_eq(big_hash(f2), h0);
	fk_report("restore of written pages", rss0, h_rss_kb(), fd0,
		  snap_memfd_bytes());

	/* A fork of s loaded from a file. */
	h_tmpdir(dir, sizeof(dir), "forkholes");
	snprintf(path, sizeof(path), "%s/s.snap", dir);
	OK(libvm_snapshot_save(s, path));
	OK(libvm_snapshot_load(&sl, path));
	h_rmtree(dir);
	OK(libvm_vm_fork(&fl, sl));
	fd0 = snap_memfd_bytes();
	rss0 = h_rss_kb();
	cr_assert_eq(big_hash(fl), h0);
	cr_assert_eq(vcall(libvm_vm_vcpu(fl, 0), "count_pages",
			   CE_ARGS(FK_LO, FK_N, 4)), FK_SEEN);
	vcall(libvm_vm_vcpu(fl, 0), "store", CE_ARGS(X, 0xf4));
	wr64(fl, X + PG, 0xf5);
	OK(libvm_snapshot_restore(fl, sl));
	cr_assert_eq(rd64(fl, X), 0);
	cr_assert_eq(rd64(fl, X + PG), 0);
	fk_report("fork of a loaded snapshot", rss0, h_rss_kb(), fd0,
		  snap_memfd_bytes());

	libvm_vm_destroy(fl);
	libvm_vm_destroy(ff);
	libvm_vm_destroy(f2);
	libvm_vm_destroy(f1);
	libvm_snapshot_destroy(sl);
	libvm_snapshot_destroy(s1);
	libvm_snapshot_destroy(s);
	cr_assert_eq(h_count_fds(), fds0, "fds %d -> %d", fds0, h_count_fds());
}

/*
 * A fork maps a snapshot's data extents one by one up to a bound
 * (FORK_MAX_EXTENTS, 128), two mappings each; memory more scattered gets
 * the memfd mapped whole.  Either way the fork has the snapshot's
 * contents, keeps its writes to itself and restores.
 */
Test(snapshot, fork_scattered_memory)
{
	static const uint64_t extents[2] = { 100, 600 };
	const uint64_t hole = SN_BUF + PG;
	int maps[2];

	for (int k = 0; k < 2; k++) {
		libvm_vm *f = NULL;
		libvm_snapshot *s;
		uint64_t was;
		long long fd0;
		uint8_t *want;
		int maps0;

		/* extents[k] data extents of a page each */
		for (uint64_t i = 0; i < extents[k]; i++)
			host_fill(g_vm, SN_BUF + 2 * i * PG, 1, 7 + i);
		s = snap(g_vm);
		want = ram_copy(g_vm);
		maps0 = h_count_maps();
		OK(libvm_vm_fork(&f, s));
		maps[k] = h_count_maps() - maps0;
		fd0 = snap_memfd_bytes();
		ram_expect(f, want, "fork");
		wr64(f, hole, 0x5ca7);
		wr64(f, SN_BUF, 0x5ca8);
		cr_assert_eq(rd64(f, hole), 0x5ca7);
		cr_assert_eq(rd64(g_vm, hole), 0);
		memcpy(&was, want + SN_BUF, sizeof(was));
		cr_assert_eq(rd64(g_vm, SN_BUF), was);
		OK(libvm_snapshot_restore(f, s));
		ram_expect(f, want, "restored fork");
		/* Mapped whole (k == 1), the memfd gains the holes read. */
		if (k == 0)
			cr_assert_eq(snap_memfd_bytes(), fd0,
				     "memfds %lld -> %lld bytes", fd0,
				     snap_memfd_bytes());
		libvm_vm_destroy(f);
		libvm_snapshot_destroy(s);
		free(want);
	}
	fprintf(stderr, "snapshot/fork_scattered_memory: a fork of %llu "
		"extents adds %d mappings, of %llu extents %d\n",
		(unsigned long long)extents[0], maps[0],
		(unsigned long long)extents[1], maps[1]);
	cr_assert_geq(maps[0], 2 * (int)extents[0]);
	cr_assert_lt(maps[1], 64);
}
