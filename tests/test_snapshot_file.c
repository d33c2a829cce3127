/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files with a real VM: a long-mode guest (funcs.elf) snapshotted,
 * saved, loaded back and forked; the fork's memory and registers are the
 * original's and guest calls work in it.  The file-format checks without
 * KVM are in tests/unit/test_snapshot_file.c.
 */
#define _GNU_SOURCE
#include "helpers.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

#define RAM_SIZE (64ull << 20)
#define SYS_GPA 0x100000ull
#define SCRATCH_GPA (32ull << 20)
#define MARK_GPA (48ull << 20)
#define CALL_NS 10000000000ull

static char dir[4096], path[4200];
static libvm_vm *vm;
static libvm_vcpu *vcpu;
static libvm_image *img;
static uint64_t dev_state[4] = { 1, 2, 3, 4 };

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static uint64_t sym(const char *name)
{
	uint64_t a;

	OK(libvm_image_symbol(&a, img, name));
	return a;
}

static void setup(void)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_exit ex;

	/* The VM first: a test skipped here runs no .fini. */
	vm = h_vm_create(NULL);
	h_tmpdir(dir, sizeof(dir), "snapfile");
	snprintf(path, sizeof(path), "%s/vm.snap", dir);
	lm.sys_gpa = SYS_GPA;
	OK(libvm_mem_map_anon(vm, 0, RAM_SIZE, 0));
	OK(libvm_image_load_file(&img, vm, LIBVM_GUEST_DIR "/funcs.elf", 0));
	OK(libvm_long_mode_setup(vm, &lm));
	OK(libvm_scratch_set(vm, SCRATCH_GPA, 16ull << 20));
	OK(libvm_vcpu_create(&vcpu, vm, 0));
	OK(libvm_vcpu_set_long_mode(vcpu, libvm_image_entry(img), RAM_SIZE));
	OK(libvm_vcpu_run(&ex, vcpu, CALL_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT, "%s",
		     libvm_exit_reason_name(ex.reason));
	OK(libvm_device_state_register(vm, "dev", dev_state,
				       sizeof(dev_state), NULL, NULL));
}

static void teardown(void)
{
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	img = NULL;
	vm = NULL;
	h_rmtree(dir);
}

static void expect_same_memory(libvm_vm *a, libvm_vm *b, const char *what)
{
	static uint8_t x[1 << 20], y[1 << 20];

	for (uint64_t g = 0; g < RAM_SIZE; g += sizeof(x)) {
		OK(libvm_mem_read(a, g, x, sizeof(x)));
		OK(libvm_mem_read(b, g, y, sizeof(y)));
		if (memcmp(x, y, sizeof(x))) {
			size_t i = 0;

			while (x[i] == y[i])
				i++;
			cr_assert_fail("%s: memory differs at %#llx: %#x vs "
				       "%#x", what, (unsigned long long)(g + i),
				       x[i], y[i]);
		}
	}
}

TestSuite(snapshot_file, .init = setup, .fini = teardown,
	  .timeout = VCPU_TIMEOUT);

Test(snapshot_file, save_load_fork)
{
	libvm_snapshot *snap = NULL, *loaded = NULL;
	libvm_vm *fork = NULL;
	libvm_vcpu *fv;
	libvm_regs r1, r2;
	libvm_sregs s1, s2;
	char text[8192], mark[64];
	uint64_t ret, gva;
	int fds;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)("the quick brown fox "[i % 20]);
	snprintf(mark, sizeof(mark), "snapshot file marker %p", (void *)dir);
	OK(libvm_mem_write(vm, MARK_GPA, mark, sizeof(mark)));
	OK(libvm_call(&ret, NULL, vcpu, sym("add"), (uint64_t[]){ 2, 40 }, 2,
		      CALL_NS));
	cr_assert_eq(ret, 42);

	fds = h_count_fds();
	OK(libvm_snapshot_take(&snap, vm));
	OK(libvm_snapshot_save(snap, path));
	OK(libvm_snapshot_load(&loaded, path));
	OK(libvm_vm_fork(&fork, loaded));
	fv = libvm_vm_vcpu(fork, 0);
	cr_assert_not_null(fv);

	/* Same registers and memory as the VM the snapshot came from. */
	h_get_regs(&r1, vcpu);
	h_get_regs(&r2, fv);
	cr_assert(!memcmp(&r1, &r2, sizeof(r1)), "regs differ");
	OK(libvm_vcpu_get_sregs(&s1, vcpu));
	OK(libvm_vcpu_get_sregs(&s2, fv));
	cr_assert_eq(s1.cr0, s2.cr0);
	cr_assert_eq(s1.cr3, s2.cr3);
	cr_assert_eq(s1.cr4, s2.cr4);
	cr_assert_eq(s1.efer, s2.efer);
	cr_assert_eq(s1.cs.selector, s2.cs.selector);
	cr_assert_eq(s1.gdt.base, s2.gdt.base);
	/* The SYSCALL MSRs of the runtime: STAR, LSTAR, CSTAR, SFMASK. */
	for (uint32_t m = 0xc0000081; m <= 0xc0000084; m++) {
		uint64_t v1 = 0, v2 = 1;

		OK(libvm_vcpu_get_msr(&v1, vcpu, m));
		OK(libvm_vcpu_get_msr(&v2, fv, m));
		cr_assert_eq(v1, v2, "MSR %#x: %#llx in the fork, %#llx", m,
			     (unsigned long long)v2, (unsigned long long)v1);
		cr_assert_neq(v1, 0, "MSR %#x not set", m);
	}
	{
		libvm_vm *f0 = NULL;

		OK(libvm_vm_fork(&f0, snap));
		expect_same_memory(f0, fork, "fork of the snapshot vs fork of the file");
		libvm_vm_destroy(f0);
	}
	expect_same_memory(vm, fork, "VM vs fork of the file");
	{
		char back[64];

		OK(libvm_mem_read(fork, MARK_GPA, back, sizeof(back)));
		cr_assert_str_eq(back, mark);
	}

	/* Guest calls work in the fork, against host-computed results. */
	OK(libvm_call(&ret, NULL, fv, sym("add"), (uint64_t[]){ 20, 22 }, 2,
		      CALL_NS));
	cr_assert_eq(ret, 42);
	OK(libvm_scratch_push(&gva, fork, text, sizeof(text)));
	OK(libvm_call(&ret, NULL, fv, sym("fnv1a"),
		      (uint64_t[]){ gva, sizeof(text) }, 2, CALL_NS));
	cr_assert_eq(ret, fnv1a((const uint8_t *)text, sizeof(text)));
	/* A crash in the fork leaves the original alone. */
	cr_assert_eq(libvm_call(&ret, NULL, fv, sym("divide"),
				(uint64_t[]){ 1, 0 }, 2, CALL_NS),
		     LIBVM_EGUEST);
	OK(libvm_call(&ret, NULL, vcpu, sym("add"), (uint64_t[]){ 1, 2 }, 2,
		      CALL_NS));
	cr_assert_eq(ret, 3);

	/* The loaded snapshot restores into the original VM too. */
	dev_state[0] = 99;
	OK(libvm_mem_write(vm, MARK_GPA, "changed", 8));
	OK(libvm_snapshot_restore(vm, loaded));
	cr_assert_eq(dev_state[0], 1);
	{
		/* fork has run since: compare with a fresh one. */
		libvm_vm *f1 = NULL;

		OK(libvm_vm_fork(&f1, loaded));
		expect_same_memory(vm, f1, "restored VM vs a new fork");
		libvm_vm_destroy(f1);
	}
	OK(libvm_call(&ret, NULL, vcpu, sym("add"), (uint64_t[]){ 5, 6 }, 2,
		      CALL_NS));
	cr_assert_eq(ret, 11);

	libvm_vm_destroy(fork);
	libvm_snapshot_destroy(loaded);
	libvm_snapshot_destroy(snap);
	cr_assert_eq(h_count_fds(), fds);
}

Test(snapshot_file, file_is_small)
{
	libvm_snapshot *snap = NULL;
	FILE *f;
	long n;

	OK(libvm_snapshot_take(&snap, vm));
	OK(libvm_snapshot_save(snap, path));
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	/* 64 MiB of RAM, nearly all zero: the file is a few hundred KiB. */
	cr_assert_lt(n, 4l << 20, "file of %ld bytes", n);
	libvm_snapshot_destroy(snap);
}
