/* SPDX-License-Identifier: MIT */
/* libvm_vm_open_elf: one call for a guest program ready to run and call. */
#include "helpers.h"

#include <string.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "build/guests"
#endif
#define CALLS_ELF LIBVM_GUEST_DIR "/calls.elf"

TestSuite(open, .timeout = VCPU_TIMEOUT);

/* Open, or skip where /dev/kvm cannot be opened. */
static int open_or_skip(libvm_vm **vm, libvm_vcpu **vcpu, libvm_image **img,
			const char *path, const libvm_elf_options *o)
{
	int r = libvm_vm_open_elf(vm, vcpu, img, path, o);

	if (r == LIBVM_ENOKVM)
		cr_skip_test("no usable KVM: %s", libvm_last_error());
	return r;
}

static uint64_t call2(libvm_vcpu *vcpu, libvm_image *img, const char *fn,
		      uint64_t a, uint64_t b)
{
	uint64_t addr, ret = 0;

	OK(libvm_image_symbol(&addr, img, fn));
	OK(libvm_call(&ret, NULL, vcpu, addr, (const uint64_t[]){ a, b }, 2,
		      RUN_TIMEOUT_NS));
	return ret;
}

Test(open, defaults_run_and_call)
{
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_image *img;
	uint64_t gva;
	libvm_exit ex;

	OK(open_or_skip(&vm, &vcpu, &img, CALLS_ELF, NULL));
	cr_assert_eq(libvm_vm_vcpu(vm, 0), vcpu);
	OK(libvm_vcpu_run(&ex, vcpu, RUN_TIMEOUT_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(call2(vcpu, img, "add", 40, 2), 42);
	/* The default scratch area: the middle quarter of 64 MiB. */
	OK(libvm_scratch_push(&gva, vm, "abc", 3));
	cr_assert_eq(gva, 32ull << 20);
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
}

Test(open, options)
{
	libvm_elf_options o;
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_regs regs;
	uint64_t gva;

	OK(libvm_elf_options_init(&o, LIBVM_ELF_OPTIONS_VERSION));
	o.ram_size = 16ull << 20;
	o.stack_top = 8ull << 20;
	o.scratch_gpa = 12ull << 20;
	o.scratch_size = 1ull << 20;
	/* No image wanted: it is freed inside. */
	OK(open_or_skip(&vm, &vcpu, NULL, CALLS_ELF, &o));
	h_get_regs(&regs, vcpu);
	cr_assert_eq(regs.rsp, 8ull << 20);
	OK(libvm_scratch_push(&gva, vm, "abc", 3));
	cr_assert_eq(gva, 12ull << 20);
	FAILS(libvm_mem_write(vm, 16ull << 20, "x", 1), LIBVM_ERANGE);
	libvm_vm_destroy(vm);
}

Test(open, failures_leave_nothing)
{
	libvm_elf_options o = LIBVM_ELF_OPTIONS_INIT;
	libvm_vm *vm = (libvm_vm *)&o;
	libvm_vcpu *vcpu = (libvm_vcpu *)&o;
	libvm_image *img = (libvm_image *)&o;
	int fds = h_count_fds();

	if (!h_kvm_openable())
		cr_skip_test("no usable KVM");
	FAILS(libvm_vm_open_elf(NULL, &vcpu, &img, CALLS_ELF, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_open_elf(&vm, &vcpu, &img, NULL, NULL), LIBVM_EINVAL);
	o.version = 99;
	FAILS(libvm_vm_open_elf(&vm, &vcpu, &img, CALLS_ELF, &o),
	      LIBVM_EVERSION);
	cr_assert_null(vm);
	cr_assert_null(vcpu);
	cr_assert_null(img);
	FAILS(libvm_vm_open_elf(&vm, &vcpu, &img, "/nonexistent.elf", NULL),
	      LIBVM_EIO);
	o.version = LIBVM_ELF_OPTIONS_VERSION;
	o.ram_size = 1ull << 20;	/* the tables' 1 MiB is outside */
	cr_assert_lt(libvm_vm_open_elf(&vm, &vcpu, &img, CALLS_ELF, &o), 0);
	cr_assert_null(vm);
	cr_assert_null(vcpu);
	cr_assert_null(img);
	cr_assert_eq(h_count_fds(), fds);
}
