/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer driving a guest function through libvm: every input restores
 * the VM from a snapshot, copies the input into guest memory and calls the
 * guest function on it (libvm_fuzz_exec).  Build (make fuzz-examples):
 *
 *   clang -fsanitize=fuzzer -Iinclude examples/fuzz/libfuzzer_harness.c \
 *       -Lbuild/lib -lvm -Wl,-rpath,build/lib
 *
 * Guest coverage: the guest is built with -fsanitize-coverage=trace-pc and
 * its hook writes AFL-style edge counters into guest memory that is this
 * process's `counters` array, mapped into the guest (volatile, so restores
 * leave it alone).  The array lives in section __libfuzzer_extra_counters,
 * which libFuzzer reads after each input and clears before the next, like
 * its own counters: the guest's edges are coverage feedback with no copy.
 *
 * Outcomes: OK is a normal run.  CRASH (guest exception), TRIPLE_FAULT,
 * BUG (libvm_guest_report_bug) and TIMEOUT (the guest ran past
 * LIBVM_FUZZ_TIMEOUT_MS, default 1000: a hang) and STOPPED (anything
 * else that ended the call) print the details and
 * abort() this process -- that is how libFuzzer learns of a finding and
 * saves the input as crash-<sha1>.  Reproduce with
 * `libfuzzer_harness crash-<sha1>`.  A libvm failure (not the guest's
 * doing) ends the process with status 2.
 *
 * Environment: LIBVM_FUZZ_GUEST, LIBVM_FUZZ_FN, LIBVM_FUZZ_TIMEOUT_MS
 * (see fuzz_vm.h).  Without KVM the harness says so and exits 0 at
 * start-up: there is nothing to fuzz.
 */
#include "fuzz_vm.h"

#include <stdint.h>
#include <unistd.h>

#define COV_SIZE 65536

__attribute__((section("__libfuzzer_extra_counters"), aligned(4096)))
uint8_t libvm_guest_counters[COV_SIZE];

static struct fuzz_vm fz;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int r;

	(void)argc;
	(void)argv;
	r = fuzz_vm_setup(&fz, libvm_guest_counters, COV_SIZE);
	if (r == LIBVM_ENOKVM) {
		fprintf(stderr, "libfuzzer_harness: no usable KVM, nothing to "
			"fuzz\n");
		_exit(0);
	}
	if (r < 0)
		_exit(2);
	fprintf(stderr, "libfuzzer_harness: fuzzing %s() of %s\n",
		fz.fn_name, fz.path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libvm_fuzz_result res;

	if (fuzz_vm_exec(&res, &fz, data, size) < 0)
		_exit(2);
	if (res.outcome == LIBVM_FUZZ_OK)
		return 0;
	fuzz_vm_print(&res, size);
	abort();
}
