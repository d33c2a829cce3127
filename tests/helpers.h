/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the Criterion suites: VM setup that skips only when KVM
 * cannot be opened, real-mode vCPUs, guest loading and process accounting.
 */
#ifndef LIBVM_TESTS_HELPERS_H
#define LIBVM_TESTS_HELPERS_H

#include <criterion/criterion.h>
#include <libvm/libvm.h>
#include <stdint.h>

/* Where the guests of guests.S are loaded; must match guests.S. */
#define GUEST_LOAD 0x1000u
/* Real-mode stack pointer the helpers give a vCPU. */
#define GUEST_STACK 0xf000u
/* RAM the default fixture maps at gpa 0. */
#define FIXTURE_RAM 0x10000u

/* Longest a single run may take before h_run calls it a hang. */
#define RUN_TIMEOUT_NS (30ull * 1000000000ull)
/* Criterion .timeout (seconds) for tests that run a vCPU. */
#define VCPU_TIMEOUT 120

#define DECLARE_GUEST(name) \
	extern const unsigned char name##_start[], name##_end[]
#define GUEST_LEN(name) ((uint64_t)(name##_end - name##_start))

/* Assert that a libvm call succeeds, showing the code and the detail. */
#define OK(expr)                                                            \
	do {                                                                \
		int ok_r_ = (expr);                                         \
		cr_assert_eq(ok_r_, 0, "%s -> %d (%s): %s", #expr, ok_r_,   \
			     libvm_strerror(ok_r_), libvm_last_error());    \
	} while (0)

/* Assert that a libvm call fails with exactly code. */
#define FAILS(expr, code)                                                   \
	do {                                                                \
		int f_r_ = (expr);                                          \
		cr_assert_eq(f_r_, (code), "%s -> %d (%s), want %d (%s): %s", \
			     #expr, f_r_, libvm_strerror(f_r_), (code),     \
			     libvm_strerror(code), libvm_last_error());     \
	} while (0)

/*
 * Skip the test from its body.  Criterion runs no .fini for a skipped test
 * (it does for a failed one), so h_skip runs the test's and the suite's
 * .fini first: a skip leaves no VM, file or leak behind.  A skip in an
 * .init (h_vm_create) runs nothing: skip there before acquiring anything.
 */
void h_skip_cleanup(void);
#define h_skip(...)                                                         \
	do {                                                                \
		h_skip_cleanup();                                           \
		cr_skip_test(__VA_ARGS__);                                  \
	} while (0)

/*
 * Create a VM.  Skips the test when libvm_vm_create says LIBVM_ENOKVM (no
 * usable /dev/kvm), with libvm_last_error() as the reason; any other
 * failure fails the test.
 */
libvm_vm *h_vm_create(const libvm_vm_config *cfg);
/*
 * What every create helper does with the result r of a create call named
 * what: skip the test on LIBVM_ENOKVM, fail it on any other error.
 */
void h_created(int r, const char *what);
void h_map_ram(libvm_vm *vm, uint64_t gpa, uint64_t size);
void h_load_at(libvm_vm *vm, uint64_t gpa, const unsigned char *start,
	       const unsigned char *end);
#define h_load(vm, name) h_load_at((vm), GUEST_LOAD, name##_start, name##_end)

/*
 * Whether the host emulates supervisor-mode code (PVM,
 * libvm_host_info.supervisor).  h_skip_on_pvm skips the test there with
 * reason, one line that names what PVM cannot do (from a test's body: it
 * runs the .fini first, as h_skip does); hosts with VT-x or AMD-V run the
 * test.
 */
int h_on_pvm(void);
void h_skip_on_pvm(const char *reason);
void h_need_kvm(void);

/* Real mode, CS base 0, rip at rip, sp at GUEST_STACK, flags 0x2. */
void h_real_mode(libvm_vcpu *vcpu, uint64_t rip);
/* Create vCPU id in real mode at GUEST_LOAD. */
libvm_vcpu *h_vcpu(libvm_vm *vm, uint32_t id);

void h_get_regs(libvm_regs *out, libvm_vcpu *vcpu);
void h_set_regs(libvm_vcpu *vcpu, const libvm_regs *regs);

/* Run (with RUN_TIMEOUT_NS) and assert the call itself succeeded. */
void h_run(libvm_exit *ex, libvm_vcpu *vcpu);
/* Run and assert the exit reason. */
void h_run_expect(libvm_exit *ex, libvm_vcpu *vcpu, uint32_t reason);
/* Run and expect an unhandled port-I/O exit of the given shape. */
void h_run_expect_io(libvm_exit *ex, libvm_vcpu *vcpu, uint16_t port,
		     uint8_t size, uint8_t direction);
/* Little-endian value of n (<= 8) bytes. */
uint64_t h_le(const uint8_t *p, unsigned n);
void h_put_le(uint8_t *p, uint64_t v, unsigned n);

/* Process accounting. */
int h_count_fds(void);		/* entries of /proc/self/fd */
int h_count_maps(void);		/* lines of /proc/self/maps */
long h_rss_kb(void);		/* VmRSS from /proc/self/status */
uint64_t h_io_rchar(void);	/* bytes read(2) so far: /proc/self/io */
/* The whole file, malloc'd (free it); asserts it exists. */
uint8_t *h_read_file(const char *path, size_t *len);
uint64_t h_now_ns(void);	/* CLOCK_MONOTONIC */
int h_kvm_openable(void);	/* 1 if /dev/kvm opens and is KVM */

/*
 * The default fixture: a VM with FIXTURE_RAM bytes of RAM at gpa 0 and
 * vCPU 0 in real mode at GUEST_LOAD.  Use as .init / .fini.
 */
extern libvm_vm *g_vm;
extern libvm_vcpu *g_vcpu;
void h_fixture_setup(void);
void h_fixture_teardown(void);
/* Like h_fixture_setup but with no memory and no vCPU. */
void h_fixture_vm_only(void);

#endif
