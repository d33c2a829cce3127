/* SPDX-License-Identifier: MIT */
/*
 * Host-to-guest calls and guest-to-host hypercalls on the long-mode
 * runtime: arguments, return values, scratch buffers, hypercall handlers,
 * the console, timeouts, cancel, program exit, and many calls on one VM.
 */
#include "callenv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

TestSuite(call, .init = ce_fixture_user, .fini = ce_teardown,
	  .timeout = VCPU_TIMEOUT);

/* ---- arguments and return values ------------------------------------- */

static const uint64_t A[6] = {
	0x1111111111111111ull, 0x2222222222222222ull, 0x3333333333333333ull,
	0x4444444444444444ull, 0x5555555555555555ull, 0xfedcba9876543210ull,
};

/* What argsN computes: sum of a_i * (2i + 3), plus N. */
static uint64_t args_expect(uint32_t n)
{
	uint64_t s = n;

	for (uint32_t i = 0; i < n; i++)
		s += A[i] * (2 * i + 3);
	return s;
}

Test(call, zero_to_six_arguments)
{
	static const char *const fn[7] = { "args0", "args1", "args2", "args3",
					   "args4", "args5", "args6" };

	cr_assert_eq(ce_call("args0", NULL, 0), 0x0123456789abcdefull);
	for (uint32_t n = 1; n <= 6; n++) {
		uint64_t got = ce_call(fn[n], A, n);

		cr_assert_eq(got, args_expect(n), "%s: %#llx, want %#llx",
			     fn[n], (unsigned long long)got,
			     (unsigned long long)args_expect(n));
	}
	cr_assert_eq(ce_call("last_minus_first", A, 6), A[5] - A[0]);
	/* Arguments not passed read as zero. */
	cr_assert_eq(ce_call("args6", A, 2), args_expect(2) + 4);
	/* Full 64-bit and negative values survive both ways. */
	cr_assert_eq((int64_t)ce_call("add", CE_ARGS((uint64_t)-5, 3)), -2);
	cr_assert_eq(ce_call("add", CE_ARGS(0x7fffffffffffffffull, 1)),
		     0x8000000000000000ull);
	/* ret may be NULL. */
	OK(libvm_call(NULL, NULL, g_vcpu, ce_sym("add"), CE_ARGS(1, 1),
		      CALL_TIMEOUT_NS));
}

Test(call, bad_arguments)
{
	uint64_t ret = 7;
	uint64_t seven[7] = { 1, 2, 3, 4, 5, 6, 7 };

	FAILS(libvm_call(&ret, NULL, g_vcpu, ce_sym("args6"), seven, 7,
			 CALL_TIMEOUT_NS), LIBVM_EINVAL);
	FAILS(libvm_call(&ret, NULL, g_vcpu, ce_sym("args6"), NULL, 2,
			 CALL_TIMEOUT_NS), LIBVM_EINVAL);
	FAILS(libvm_call(&ret, NULL, NULL, ce_sym("args0"), NULL, 0,
			 CALL_TIMEOUT_NS), LIBVM_EINVAL);
	cr_assert_eq(ret, 7);
	/* Refusals leave the vCPU ready for the next call. */
	cr_assert_eq(ce_call("args6", seven, 6), 1 * 3 + 2 * 5 + 3 * 7 + 4 * 9 +
						    5 * 11 + 6 * 13 + 6);
}

Test(call, needs_long_mode)
{
	libvm_vcpu *v1 = NULL;
	uint64_t ret;

	OK(libvm_vcpu_create(&v1, g_vm, 1));
	FAILS(libvm_call(&ret, NULL, v1, ce_sym("args0"), NULL, 0,
			 CALL_TIMEOUT_NS), LIBVM_ESTATE);
	/* A second vCPU in long mode calls on its own stack. */
	OK(libvm_vcpu_set_long_mode(v1, libvm_image_entry(g_img),
				    CE_STACK - (1ull << 20)));
	OK(libvm_call(&ret, NULL, v1, ce_sym("add"), CE_ARGS(5, 6),
		      CALL_TIMEOUT_NS));
	cr_assert_eq(ret, 11);
	cr_assert_eq(ce_call("add", CE_ARGS(6, 7)), 13);
}

Test(call, no_long_mode_setup)
{
	libvm_vm *vm = h_vm_create(NULL);
	libvm_vcpu *v = NULL;
	uint64_t ret;

	OK(libvm_mem_map_anon(vm, 0, 1ull << 20, 0));
	OK(libvm_vcpu_create(&v, vm, 0));
	FAILS(libvm_call(&ret, NULL, v, 0x1000, NULL, 0, CALL_TIMEOUT_NS),
	      LIBVM_ESTATE);
	FAILS(libvm_vcpu_set_long_mode(v, 0x1000, 0x2000), LIBVM_ESTATE);
	libvm_vm_destroy(vm);
}

/* ---- scratch buffers ------------------------------------------------- */

Test(call, scratch_round_trip)
{
	char text[3000], back[3000];
	uint64_t gva, gva2, lower = 0;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)(i % 3 ? 'a' + i % 26 : '0' + i % 10);
	for (size_t i = 0; i < sizeof(text); i++)
		lower += text[i] >= 'a' && text[i] <= 'z';
	OK(libvm_scratch_push(&gva, g_vm, text, sizeof(text)));
	cr_assert_geq(gva, CE_SCRATCH);
	cr_assert_leq(gva + sizeof(text), CE_SCRATCH + CE_SCRATCH_SIZE);
	cr_assert_eq(ce_call("upcase", CE_ARGS(gva, sizeof(text))), lower);
	OK(libvm_mem_read(g_vm, gva, back, sizeof(back)));
	for (size_t i = 0; i < sizeof(text); i++) {
		char want = text[i] >= 'a' && text[i] <= 'z'
				    ? (char)(text[i] - 'a' + 'A')
				    : text[i];

		cr_assert_eq(back[i], want, "byte %zu: %#x, want %#x", i,
			     back[i], want);
	}
	/* The next push does not overlap and is 16-byte aligned. */
	OK(libvm_scratch_push(&gva2, g_vm, "x", 1));
	cr_assert_geq(gva2, gva + sizeof(text));
	cr_assert_eq(gva2 % 16, 0);
	OK(libvm_mem_read(g_vm, gva, back, sizeof(back)));
	cr_assert_eq(back[1], 'B', "first buffer clobbered");
	/* Reset starts over. */
	libvm_scratch_reset(g_vm);
	OK(libvm_scratch_push(&gva2, g_vm, "abc", 3));
	cr_assert_eq(gva2, gva);
	cr_assert_eq(ce_call("upcase", CE_ARGS(gva2, 3)), 3);
	OK(libvm_mem_read(g_vm, gva2, back, 3));
	cr_assert_eq(memcmp(back, "ABC", 3), 0);
}

Test(call, scratch_limits)
{
	static char big[CE_SCRATCH_SIZE];
	uint64_t gva = 0, gva2 = 0;

	FAILS(libvm_scratch_push(&gva, g_vm, big, CE_SCRATCH_SIZE + 1),
	      LIBVM_ELIMIT);
	OK(libvm_scratch_push(&gva, g_vm, big, CE_SCRATCH_SIZE - 24));
	/* 24 bytes left, but the next push starts 16-aligned: 16 fit. */
	FAILS(libvm_scratch_push(&gva2, g_vm, big, 24), LIBVM_ELIMIT);
	cr_assert_not_null(strstr(libvm_last_error(), "fit"), "%s",
			   libvm_last_error());
	OK(libvm_scratch_push(&gva2, g_vm, big, 16));
	cr_assert_eq(gva2 + 16, CE_SCRATCH + CE_SCRATCH_SIZE);
	FAILS(libvm_scratch_push(&gva2, g_vm, big, 1), LIBVM_ELIMIT);
	OK(libvm_scratch_push(&gva2, g_vm, big, 0));
	libvm_scratch_reset(g_vm);
	OK(libvm_scratch_push(&gva, g_vm, big, CE_SCRATCH_SIZE));
	cr_assert_eq(gva, CE_SCRATCH);
	FAILS(libvm_scratch_push(NULL, g_vm, big, 1), LIBVM_EINVAL);
	FAILS(libvm_scratch_push(&gva, NULL, big, 1), LIBVM_EINVAL);
	FAILS(libvm_scratch_set(g_vm, CE_RAM - 0x1000, 0x2000), LIBVM_ERANGE);
	FAILS(libvm_scratch_set(g_vm, CE_SCRATCH, 0), LIBVM_ERANGE);
}

Test(call, scratch_needs_set)
{
	libvm_vm *vm = h_vm_create(NULL);
	uint64_t gva;

	OK(libvm_mem_map_anon(vm, 0, 1ull << 20, 0));
	FAILS(libvm_scratch_push(&gva, vm, "x", 1), LIBVM_ESTATE);
	libvm_scratch_reset(vm);
	OK(libvm_scratch_set(vm, 0x10000, 0x1000));
	OK(libvm_scratch_push(&gva, vm, "x", 1));
	cr_assert_eq(gva, 0x10000);
	libvm_vm_destroy(vm);
}

/* ---- hypercalls -------------------------------------------------------- */

struct hc_seen {
	int calls;
	uint64_t nr;
	uint64_t args[6];
	libvm_vcpu *vcpu;
	int result;	/* what the handler returns */
	uint64_t value;	/* what it stores in *ret */
};

static int hc_record(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
		uint64_t *ret, void *opaque)
{
	struct hc_seen *s = opaque;

	s->calls++;
	s->nr = nr;
	s->vcpu = vcpu;
	memcpy(s->args, args, sizeof(s->args));
	*ret = s->value ? s->value
			: args[0] + 2 * args[1] + 3 * args[2] + 4 * args[3] +
				  5 * args[4] + 6 * args[5];
	return s->result;
}

static uint64_t hc_array(const uint64_t v[7])
{
	uint64_t gva;

	OK(libvm_scratch_push(&gva, g_vm, v, 7 * sizeof(uint64_t)));
	return ce_call("hc_array", CE_ARGS(gva));
}

Test(call, hypercall_six_arguments)
{
	struct hc_seen seen = { 0 };
	const uint64_t v[7] = { 23, A[0], A[1], A[2], A[3], A[4], A[5] };
	uint64_t want = A[0] + 2 * A[1] + 3 * A[2] + 4 * A[3] + 5 * A[4] +
			6 * A[5];

	OK(libvm_hypercall_register(g_vm, 23, hc_record, &seen));
	cr_assert_eq(hc_array(v), want);
	cr_assert_eq(seen.calls, 1);
	cr_assert_eq(seen.nr, 23);
	cr_assert_eq(seen.vcpu, g_vcpu);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(seen.args[i], A[i], "arg %d: %#llx", i,
			     (unsigned long long)seen.args[i]);
	/* A full 64-bit result, negative included. */
	seen.value = 0xfffffffffffffff0ull;
	cr_assert_eq(hc_array(v), 0xfffffffffffffff0ull);
	cr_assert_eq(seen.calls, 2);
}

Test(call, hypercall_unregistered_is_guest_error)
{
	const uint64_t v[7] = { 99, 1, 2, 3, 4, 5, 6 };
	const uint64_t big[7] = { 0xfffffff0u, 1, 2, 3, 4, 5, 6 };

	cr_assert_eq((int64_t)hc_array(v), LIBVM_ENOENT);
	cr_assert_eq((int64_t)hc_array(big), LIBVM_ENOENT);
	cr_assert_eq(ce_call("add", CE_ARGS(2, 2)), 4);
}

static int hc_twice_plus_one(libvm_vcpu *vcpu, uint64_t nr,
		const uint64_t args[6], uint64_t *ret, void *opaque)
{
	(void)vcpu, (void)nr;
	++*(int *)opaque;
	*ret = args[0] * 2 + 1;
	return LIBVM_TRAP_CONTINUE;
}

Test(call, nested_host_guest_host)
{
	int calls = 0;

	OK(libvm_hypercall_register(g_vm, LIBVM_HC_USER, hc_twice_plus_one,
				    &calls));
	/* guest: host(7) * 1000 + 7 = 15 * 1000 + 7 */
	cr_assert_eq(ce_call("nested", CE_ARGS(LIBVM_HC_USER, 7)), 15007);
	cr_assert_eq(ce_call("nested", CE_ARGS(LIBVM_HC_USER, -3)),
		     (uint64_t)(-5 * 1000 - 3));
	cr_assert_eq(calls, 2);
}

static void expect_stop(uint32_t nr, int32_t code)
{
	const uint64_t v[7] = { nr, 1, 2, 3, 4, 5, 6 };
	uint64_t gva, ret = 0x77;
	libvm_exit ex;
	int r;

	OK(libvm_scratch_push(&gva, g_vm, v, sizeof(v)));
	r = ce_call_r(&ret, &ex, "hc_array", CE_ARGS(gva));
	cr_assert_eq(r, LIBVM_EGUEST, "%d (%s): %s", r, libvm_strerror(r),
		     libvm_last_error());
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_HYPERCALL);
	cr_assert_eq(ex.u.stop.addr, nr);
	cr_assert_eq(ex.u.stop.code, code, "code %d, want %d",
		     ex.u.stop.code, code);
	cr_assert_eq(ret, 0x77);
	cr_assert_eq(ce_call("add", CE_ARGS(30, 12)), 42);
}

Test(call, hypercall_stop)
{
	struct hc_seen stop = { .result = LIBVM_TRAP_STOP };
	struct hc_seen fail = { .result = LIBVM_EIO };

	OK(libvm_hypercall_register(g_vm, 40, hc_record, &stop));
	OK(libvm_hypercall_register(g_vm, 41, hc_record, &fail));
	expect_stop(40, LIBVM_TRAP_STOP);
	expect_stop(41, LIBVM_EIO);
	expect_stop(40, LIBVM_TRAP_STOP);
	cr_assert_eq(stop.calls, 2);
	cr_assert_eq(fail.calls, 1);
}

Test(call, hypercall_registry)
{
	struct hc_seen a = { .value = 1 }, b = { .value = 2 };
	const uint64_t v[7] = { 50, 0, 0, 0, 0, 0, 0 };

	FAILS(libvm_hypercall_register(g_vm, LIBVM_HC_EXIT, hc_record, &a),
	      LIBVM_EINVAL);
	/* Below LIBVM_HC_USER only the console is anybody's to register. */
	for (uint32_t nr = 0; nr < LIBVM_HC_USER; nr++)
		if (nr != LIBVM_HC_CONSOLE)
			FAILS(libvm_hypercall_register(g_vm, nr, hc_record, &a),
			      LIBVM_EINVAL);
	OK(libvm_hypercall_register(g_vm, LIBVM_HC_CONSOLE, hc_record, &a));
	OK(libvm_hypercall_unregister(g_vm, LIBVM_HC_CONSOLE));
	FAILS(libvm_hypercall_register(g_vm, 50, NULL, &a), LIBVM_EINVAL);
	FAILS(libvm_hypercall_register(NULL, 50, hc_record, &a),
	      LIBVM_EINVAL);
	OK(libvm_hypercall_register(g_vm, 50, hc_record, &a));
	FAILS(libvm_hypercall_register(g_vm, 50, hc_record, &b),
	      LIBVM_EOVERLAP);
	OK(libvm_hypercall_register(g_vm, 51, hc_record, &b));
	OK(libvm_hypercall_register(g_vm, 0xffffffffu, hc_record, &b));
	cr_assert_eq(hc_array(v), 1);
	OK(libvm_hypercall_unregister(g_vm, 50));
	FAILS(libvm_hypercall_unregister(g_vm, 50), LIBVM_ENOENT);
	cr_assert_eq((int64_t)hc_array(v), LIBVM_ENOENT);
	OK(libvm_hypercall_register(g_vm, 50, hc_record, &b));
	cr_assert_eq(hc_array(v), 2);
	cr_assert_eq(a.calls, 1);
	cr_assert_eq(b.calls, 1);
	FAILS(libvm_hypercall_unregister(NULL, 50), LIBVM_EINVAL);
}

static int pio_nop(libvm_vcpu *vcpu, uint64_t addr, void *data, uint32_t size,
		   uint32_t direction, void *opaque)
{
	(void)vcpu, (void)addr, (void)data, (void)size, (void)direction;
	(void)opaque;
	return LIBVM_TRAP_CONTINUE;
}

Test(call, runtime_ports_reserved)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_vm *vm;

	for (uint16_t p = LIBVM_PORT_HYPERCALL; p <= LIBVM_PORT_EXCEPTION; p++)
		FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, p, 1, pio_nop,
					  NULL), LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0xf00, 0x100, pio_nop,
				  NULL), LIBVM_EOVERLAP);
	/* Next to them is free. */
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, LIBVM_PORT_EXCEPTION + 1,
			       1, pio_nop, NULL));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0xf00, 0x10, pio_nop,
			       NULL));
	cr_assert_eq(ce_call("add", CE_ARGS(1, 1)), 2);
	/* The runtime's trap is not the program's to remove. */
	FAILS(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO,
				    LIBVM_PORT_HYPERCALL), LIBVM_EBUSY);
	cr_assert_not_null(strstr(libvm_last_error(), "runtime"), "%s",
			   libvm_last_error());
	cr_assert_eq(ce_call("add", CE_ARGS(2, 2)), 4);

	/* A trap on the ports first: long-mode setup refuses. */
	vm = h_vm_create(NULL);
	OK(libvm_mem_map_anon(vm, 0, 4ull << 20, 0));
	OK(libvm_trap_register(vm, LIBVM_TRAP_PIO, LIBVM_PORT_RETURN, 1,
			       pio_nop, NULL));
	lm.sys_gpa = CE_SYS;
	{
		/* Refused before anything was written to guest RAM. */
		uint8_t mark[64], back[64];

		memset(mark, 0x5a, sizeof(mark));
		OK(libvm_mem_write(vm, CE_SYS, mark, sizeof(mark)));
		FAILS(libvm_long_mode_setup(vm, &lm), LIBVM_EOVERLAP);
		OK(libvm_mem_read(vm, CE_SYS, back, sizeof(back)));
		cr_assert_arr_eq(mark, back, sizeof(mark));
	}
	OK(libvm_trap_unregister(vm, LIBVM_TRAP_PIO, LIBVM_PORT_RETURN));
	OK(libvm_long_mode_setup(vm, &lm));
	libvm_vm_destroy(vm);
}

/* ---- console ---------------------------------------------------------- */

struct console_buf {
	char text[256];
	size_t len;
	int writes;
};

static void console_rec(const char *buf, size_t len, void *opaque)
{
	struct console_buf *c = opaque;
	size_t room = sizeof(c->text) - 1 - c->len;

	if (len > room)
		len = room;
	memcpy(c->text + c->len, buf, len);
	c->len += len;
	c->text[c->len] = 0;
	c->writes++;
}

Test(call, console_output)
{
	struct console_buf con = { .len = 0 };
	const char msg[] = "hello from a guest function\n";
	const uint64_t bad[7] = { LIBVM_HC_CONSOLE, 5ull << 30, 5, 0, 0, 0, 0 };
	const uint64_t empty[7] = { LIBVM_HC_CONSOLE, CE_SCRATCH, 0, 0, 0, 0,
				    0 };
	uint64_t gva;

	OK(libvm_console_attach(g_vm, console_rec, &con));
	OK(libvm_console_attach(g_vm, console_rec, &con));	/* again: ok */
	OK(libvm_scratch_push(&gva, g_vm, msg, sizeof(msg)));
	cr_assert_eq(ce_call("say", CE_ARGS(gva)), strlen(msg));
	cr_assert_str_eq(con.text, msg);
	cr_assert_eq(con.writes, 1);
	/* A buffer outside guest RAM: an error for the guest, no output. */
	cr_assert_eq((int64_t)hc_array(bad), LIBVM_ERANGE);
	cr_assert_eq(hc_array(empty), 0);
	cr_assert_eq(con.writes, 1);
	FAILS(libvm_console_attach(g_vm, NULL, NULL), LIBVM_EINVAL);
	FAILS(libvm_console_attach(NULL, console_rec, NULL), LIBVM_EINVAL);
}

Test(call, console_unattached)
{
	const char msg[] = "nobody listens\n";
	uint64_t gva;

	OK(libvm_scratch_push(&gva, g_vm, msg, sizeof(msg)));
	cr_assert_eq((int64_t)ce_call("say", CE_ARGS(gva)), LIBVM_ENOENT);
}

/* ---- program entry and exit ------------------------------------------ */

static void run_main(int32_t code, struct console_buf *con)
{
	libvm_exit ex;

	OK(libvm_mem_write(g_vm, ce_sym("main_ret"), &code, sizeof(code)));
	OK(libvm_vcpu_set_long_mode(g_vcpu, libvm_image_entry(g_img),
				    CE_STACK));
	con->len = 0;
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_GUEST_EXIT);
	cr_assert_eq(ex.u.guest_exit.code, code, "exit code %lld, want %lld",
		     (long long)ex.u.guest_exit.code, (long long)code);
	cr_assert_str_eq(con->text, "calls: main\n");
}

Test(call, main_return_is_guest_exit)
{
	struct console_buf con = { .len = 0 };

	OK(libvm_console_attach(g_vm, console_rec, &con));
	run_main(42, &con);
	run_main(0, &con);
	run_main(-7, &con);		/* int main: sign-extended */
	run_main(0x7fffffff, &con);
	run_main(INT32_MIN, &con);
	/* After the program ended, calls work. */
	cr_assert_eq(ce_call("add", CE_ARGS(40, 2)), 42);
}

Test(call, exit_inside_call)
{
	uint64_t ret = 0x99;
	libvm_exit ex;
	int r;

	r = ce_call_r(&ret, &ex, "call_exit", CE_ARGS((uint64_t)-5));
	cr_assert_eq(r, LIBVM_EGUEST, "%d: %s", r, libvm_last_error());
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT);
	cr_assert_eq(ex.u.guest_exit.code, -5);
	cr_assert_eq(ret, 0x99);
	cr_assert_eq(ce_call("add", CE_ARGS(1, 41)), 42);
}

/* ---- timeouts and cancel ---------------------------------------------- */

Test(call, timeout)
{
	const uint64_t budget = 200 * 1000000ull;
	uint64_t ret = 0x33, t0, dt;
	libvm_exit ex;

	for (int i = 0; i < 2; i++) {
		memset(&ex, 0, sizeof(ex));
		t0 = h_now_ns();
		FAILS(libvm_call(&ret, &ex, g_vcpu, ce_sym("spin"), NULL, 0,
				 budget), LIBVM_ETIMEOUT);
		dt = h_now_ns() - t0;
		cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT, "exit %s",
			     libvm_exit_reason_name(ex.reason));
		cr_assert_geq(dt, budget, "returned after %llu ns",
			      (unsigned long long)dt);
		cr_assert_eq(ret, 0x33);
		cr_assert_eq(ce_call("add", CE_ARGS(i, 100)), 100 + (uint64_t)i);
	}
}

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

Test(call, cancel_from_another_thread)
{
	for (int i = 0; i < 2; i++) {
		struct canceller c = { g_vcpu, 100000, 1 };
		uint64_t ret = 0x44;
		libvm_exit ex;
		pthread_t t;
		int r;

		cr_assert_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
		r = ce_call_r(&ret, &ex, "spin", NULL, 0);
		pthread_join(t, NULL);
		cr_assert_eq(c.r, 0);
		cr_assert_eq(r, LIBVM_EGUEST, "%d (%s): %s", r,
			     libvm_strerror(r), libvm_last_error());
		cr_assert_eq(ex.reason, LIBVM_EXIT_CANCELLED, "exit %s",
			     libvm_exit_reason_name(ex.reason));
		cr_assert_eq(ret, 0x44);
		/* The cancel is used up: the next call runs to its end. */
		cr_assert_eq(ce_call("add", CE_ARGS(i, 7)), 7 + (uint64_t)i);
	}
}

/* ---- many calls --------------------------------------------------------- */

static long env_calls(void)
{
	const char *s = getenv("LIBVM_TEST_CALLS");
	long n = s ? strtol(s, NULL, 10) : 0;

	return n > 0 ? n : 100000;
}

/*
 * 100,000 calls (LIBVM_TEST_CALLS overrides): ~1-7 s on a KVM host, 25-80 s
 * in the nested QEMU lab (250-800 us per call there).
 */
Test(call, many_calls_no_growth, .timeout = 900)
{
	const long warm = 1000, n = env_calls();
	uint64_t add = ce_sym("add"), ret, t0, dt;
	long rss0, rss1;
	int fds0, fds1;

	/*
	 * As in snapshot::many_resets_no_growth: without this, khugepaged
	 * collapsing a partly used 2 MiB range of the heap (ASan's allocator
	 * regions are large) makes RSS jump by megabytes during the loop,
	 * which is time, not growth.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	for (long i = 0; i < warm; i++)
		OK(libvm_call(&ret, NULL, g_vcpu, add, CE_ARGS((uint64_t)i, 1),
			      CALL_TIMEOUT_NS));
	fds0 = h_count_fds();
	rss0 = ce_host_rss_kb();
	t0 = h_now_ns();
	for (long i = 0; i < n; i++) {
		int r = libvm_call(&ret, NULL, g_vcpu, add,
				   CE_ARGS((uint64_t)i, 3), CALL_TIMEOUT_NS);

		if (r < 0 || ret != (uint64_t)i + 3)
			cr_assert_fail("call %ld: %d (%s): %s, ret %llu", i, r,
				       libvm_strerror(r), libvm_last_error(),
				       (unsigned long long)ret);
	}
	dt = h_now_ns() - t0;
	fds1 = h_count_fds();
	rss1 = ce_host_rss_kb();
	fprintf(stderr, "call/many_calls_no_growth: %ld calls in %.3f s "
		"(%.1f us each), host RSS %ld -> %ld kB (VmRSS %ld), "
		"fds %d -> %d\n", n,
		dt / 1e9, dt / 1e3 / (double)n, rss0, rss1, h_rss_kb(), fds0,
		fds1);
	cr_assert_eq(fds1, fds0, "fds %d -> %d", fds0, fds1);
	cr_assert_leq(rss1 - rss0, 1024, "host RSS grew %ld -> %ld kB", rss0,
		      rss1);
}
