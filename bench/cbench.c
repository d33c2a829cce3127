/* SPDX-License-Identifier: MIT */
/*
 * The C side of the binding benchmarks (bench/python_bench.py and
 * bindings/rust/libvm/examples/bench.rs), built as build/bench/libcbench.so
 * and loaded by them at run time, so that the C baseline runs in the same
 * process and run as the binding it is compared with:
 *
 *   cbench_pio_handler  a libvm trap handler doing what the bindings'
 *                       handlers do: count the guest's OUT writes and sum
 *                       their bytes into opaque (struct cbench_sink).
 *   cbench_call_loop    n libvm_call's of fn(a, b) in a C loop, each
 *                       result checked against want.
 *
 * Not a bench program (the Makefile keeps it out of BENCHES).
 */
#include <libvm/libvm.h>

#include <stdint.h>

struct cbench_sink {
	uint64_t calls, sum;
};

int cbench_pio_handler(libvm_vcpu *vcpu, uint64_t port, void *data,
		       uint32_t size, uint32_t direction, void *opaque);
int cbench_call_loop(libvm_vcpu *vcpu, uint64_t fn, uint64_t a, uint64_t b,
		     uint64_t want, uint64_t n, uint64_t timeout_ns);

int cbench_pio_handler(libvm_vcpu *vcpu, uint64_t port, void *data,
		       uint32_t size, uint32_t direction, void *opaque)
{
	struct cbench_sink *s = opaque;

	(void)vcpu, (void)port, (void)size;
	if (direction == LIBVM_WRITE) {
		s->calls++;
		s->sum += *(uint8_t *)data;
	}
	return LIBVM_TRAP_CONTINUE;
}

/*
 * 0 when all n calls returned want; a libvm error code (< 0) when a call
 * failed; 1 when one returned something else.
 */
int cbench_call_loop(libvm_vcpu *vcpu, uint64_t fn, uint64_t a, uint64_t b,
		     uint64_t want, uint64_t n, uint64_t timeout_ns)
{
	uint64_t args[2] = { a, b }, ret, i;
	libvm_exit ex;
	int r;

	for (i = 0; i < n; i++) {
		r = libvm_call(&ret, &ex, vcpu, fn, args, 2, timeout_ns);
		if (r < 0)
			return r;
		if (ret != want)
			return 1;
	}
	return 0;
}
