/* SPDX-License-Identifier: MIT */
/*
 * The comparison log, shared by a coverage-instrumented guest and the host
 * that fuzzes it (see <libvm/guest.h> and README.md, "Fuzzing a guest").
 *
 * The host places a struct libvm_cmp_log in guest memory it keeps out of
 * snapshots (LIBVM_MEM_VOLATILE), sets cap, and writes its guest address
 * into the guest runtime's libvm_cmp_log before it takes the snapshot.
 * Before each input it sets count to 0.  The runtime's
 * __sanitizer_cov_trace_cmp*, trace_const_cmp* and trace_switch hooks
 * (gcc -fsanitize-coverage=trace-cmp) then append one entry per compare
 * whose operands differ: the first cap of them are stored, count keeps
 * counting.  A fuzzer harness turns the operands into mutations that
 * replace the bytes the guest compared with the value it compared them
 * against (input-to-state: examples/fuzz/i2s.h).
 *
 * Plain fixed-width types only: the same header serves both sides.
 */
#ifndef LIBVM_CMPLOG_H
#define LIBVM_CMPLOG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libvm_cmp_entry.flags: a is a compile-time constant, b the variable. */
#define LIBVM_CMP_CONST 1u

struct libvm_cmp_entry {
	uint64_t a, b;		/* the operands, zero-extended */
	uint32_t pc;		/* low 32 bits of the compare's address */
	uint8_t size;		/* operand size in bytes: 1, 2, 4 or 8 */
	uint8_t flags;		/* LIBVM_CMP_* */
	uint16_t reserved;
};

struct libvm_cmp_log {
	uint32_t count;		/* compares logged since the host reset it */
	uint32_t cap;		/* entries[] room, set by the host */
	uint64_t reserved;
	struct libvm_cmp_entry entries[];
};

#ifdef __cplusplus
}
#endif
#endif
