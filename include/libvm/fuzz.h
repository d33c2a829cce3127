/* SPDX-License-Identifier: MIT */
/*
 * libvm: reset-per-input fuzzing of a guest function: restore a snapshot,
 * copy the input in, call the function, classify how the run ended.  The
 * guest side (coverage, compare log, bug reports) is <libvm/guest.h>.
 */
#ifndef LIBVM_FUZZ_H
#define LIBVM_FUZZ_H

#include <libvm/snapshot.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libvm_fuzz_result.outcome */
#define LIBVM_FUZZ_OK		0 /* the function returned */
#define LIBVM_FUZZ_CRASH	1 /* guest exception */
#define LIBVM_FUZZ_TRIPLE_FAULT	2 /* shutdown */
#define LIBVM_FUZZ_TIMEOUT	3 /* time budget ran out */
#define LIBVM_FUZZ_BUG		4 /* guest called libvm_guest_report_bug */
#define LIBVM_FUZZ_STOPPED	5 /* a handler stopped the run, or other */

/* libvm_fuzz_result.flags */
#define LIBVM_FUZZ_TRUNCATED	(1u << 0) /* len > input_cap: cut to it */

typedef struct libvm_fuzz_result {
	uint32_t outcome;	/* LIBVM_FUZZ_* */
	uint32_t flags;		/* LIBVM_FUZZ_TRUNCATED */
	uint64_t ret;		/* the function's return value (OK) */
	libvm_exit exit;	/* how the run ended */
} libvm_fuzz_result;

/*
 * One fuzzing execution: restore snap into vm, copy the input to
 * input_gpa, call fn(input_gpa, len) on vCPU 0 with the time budget, and
 * classify the outcome.  An input longer than input_cap is cut to its
 * first input_cap bytes (the guest gets len = input_cap) and res->flags
 * has LIBVM_FUZZ_TRUNCATED.  Returns 0 whenever the guest ran, whatever
 * it did; < 0 only when libvm failed.  The VM is marked "needs restore"
 * after any outcome but LIBVM_FUZZ_OK; the next call restores it anyway.
 */
LIBVM_API int libvm_fuzz_exec(libvm_fuzz_result *res, libvm_vm *vm,
			      libvm_snapshot *snap, uint64_t fn,
			      uint64_t input_gpa, uint64_t input_cap,
			      const void *data, uint64_t len,
			      uint64_t timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
