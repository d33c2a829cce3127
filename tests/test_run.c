/* SPDX-License-Identifier: MIT */
/* The run loop: exits, cancel, timeouts. */
#include "guests.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TestSuite(run, .init = h_fixture_setup, .fini = h_fixture_teardown);

Test(run, hlt, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;

	h_load(g_vm, g_hlt2);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_neq(ex.kvm_reason, 0, "kvm_reason not filled");
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rip, GUEST_LOAD + 1);
	/* Resuming continues after the HLT. */
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rip, GUEST_LOAD + 2);
}

Test(run, bad_args)
{
	libvm_exit ex;

	FAILS(libvm_vcpu_run(NULL, g_vcpu, 0), LIBVM_EINVAL);
	FAILS(libvm_vcpu_run(&ex, NULL, 0), LIBVM_EINVAL);
	FAILS(libvm_vcpu_cancel(NULL), LIBVM_EINVAL);
}

Test(run, io_out_unhandled, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;

	h_load(g_vm, g_pio_out3);
	h_get_regs(&r, g_vcpu);
	r.rax = 0x11223344;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x60, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x44);
	h_run_expect_io(&ex, g_vcpu, 0x60, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 2), 0x3344);
	h_run_expect_io(&ex, g_vcpu, 0x60, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0x11223344);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

Test(run, io_in_unhandled, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;

	h_load(g_vm, g_in_out);
	h_run_expect_io(&ex, g_vcpu, 0x20, 1, LIBVM_READ);
	ex.u.io.data[0] = 0xa5;
	h_run_expect_io(&ex, g_vcpu, 0x21, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0xa5);
	h_run_expect_io(&ex, g_vcpu, 0x22, 2, LIBVM_READ);
	h_put_le(ex.u.io.data, 0xbeef, 2);
	h_run_expect_io(&ex, g_vcpu, 0x23, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 2), 0xbeef);
	h_run_expect_io(&ex, g_vcpu, 0x24, 4, LIBVM_READ);
	h_put_le(ex.u.io.data, 0x8badf00d, 4);
	h_run_expect_io(&ex, g_vcpu, 0x25, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0x8badf00d);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

static void expect_mmio(libvm_exit *ex, uint64_t gpa, uint32_t size,
			uint8_t dir)
{
	h_run_expect(ex, g_vcpu, LIBVM_EXIT_MMIO);
	cr_assert_eq(ex->u.mmio.gpa, gpa, "gpa %#llx, want %#llx",
		     (unsigned long long)ex->u.mmio.gpa,
		     (unsigned long long)gpa);
	cr_assert_eq(ex->u.mmio.size, size, "size %u, want %u",
		     ex->u.mmio.size, size);
	cr_assert_eq(ex->u.mmio.direction, dir);
	cr_assert_not_null(ex->u.mmio.data);
}

Test(run, mmio_unhandled, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;

	h_load(g_vm, g_mmio);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x10;		/* 0xffff:0x10 = gpa 0x100000, no RAM */
	h_set_regs(g_vcpu, &r);
	expect_mmio(&ex, 0x100000, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.mmio.data[0], 0x5a);
	expect_mmio(&ex, 0x100002, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.mmio.data, 2), 0x1234);
	expect_mmio(&ex, 0x100004, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.mmio.data, 4), 0xdeadbeef);
	expect_mmio(&ex, 0x100008, 1, LIBVM_READ);
	ex.u.mmio.data[0] = 0x3c;
	h_run_expect_io(&ex, g_vcpu, 0x30, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x3c);
	expect_mmio(&ex, 0x10000a, 2, LIBVM_READ);
	h_put_le(ex.u.mmio.data, 0xc0de, 2);
	h_run_expect_io(&ex, g_vcpu, 0x31, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 2), 0xc0de);
	expect_mmio(&ex, 0x10000c, 4, LIBVM_READ);
	h_put_le(ex.u.mmio.data, 0xfeedface, 4);
	h_run_expect_io(&ex, g_vcpu, 0x32, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0xfeedface);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

/*
 * An empty IVT turns a software interrupt or #UD into #GP, then #DF, then
 * a triple fault: KVM reports a shutdown, and the process lives on.
 */
#define PVM_NO_REAL_MODE_TRIPLE "PVM's real-mode emulation ignores the IDT " \
	"limit (no triple fault)"
Test(run, triple_fault_int3, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;

	h_skip_on_pvm(PVM_NO_REAL_MODE_TRIPLE);
	h_load(g_vm, g_triple);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_SHUTDOWN);
}

Test(run, triple_fault_ud2, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;

	h_skip_on_pvm(PVM_NO_REAL_MODE_TRIPLE);
	h_load(g_vm, g_triple_ud2);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_SHUTDOWN);
	/* The VM is still good for a new vCPU. */
	{
		libvm_vcpu *v = h_vcpu(g_vm, 1);

		h_load(g_vm, g_hlt);
		h_run_expect(&ex, v, LIBVM_EXIT_HLT);
	}
}

/* ---- cancel ---- */

struct runner {
	libvm_vcpu *vcpu;
	atomic_int started;
	int rc;
	libvm_exit ex;
	uint64_t timeout_ns;
	uint64_t done_ns;	/* h_now_ns() when the run returned */
};

static void *run_thread(void *arg)
{
	struct runner *t = arg;

	atomic_store(&t->started, 1);
	t->rc = libvm_vcpu_run(&t->ex, t->vcpu, t->timeout_ns);
	t->done_ns = h_now_ns();
	return NULL;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* fn(t) on a thread of its own, for vcpu with timeout_ns; waits for it. */
static void run_on_thread(struct runner *t, libvm_vcpu *vcpu,
			  uint64_t timeout_ns, void *(*fn)(void *))
{
	pthread_t th;

	memset(t, 0, sizeof(*t));
	t->vcpu = vcpu;
	t->timeout_ns = timeout_ns;
	cr_assert_eq(pthread_create(&th, NULL, fn, t), 0);
	pthread_join(th, NULL);
}

Test(run, cancel_endless_loop, .timeout = VCPU_TIMEOUT)
{
	struct runner t;
	pthread_t th;
	libvm_exit ex;
	libvm_regs r;

	memset(&t, 0, sizeof(t));
	t.vcpu = g_vcpu;
	t.timeout_ns = RUN_TIMEOUT_NS;
	h_load(g_vm, g_loop);
	cr_assert_eq(pthread_create(&th, NULL, run_thread, &t), 0);
	while (!atomic_load(&t.started))
		sleep_ms(1);
	sleep_ms(200);		/* well inside the loop by now */
	OK(libvm_vcpu_cancel(g_vcpu));
	pthread_join(th, NULL);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_CANCELLED, "exit %s",
		     libvm_exit_reason_name(t.ex.reason));
	cr_assert_eq(t.ex.kvm_reason, 0);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rip, GUEST_LOAD, "rip %#llx", (unsigned long long)r.rip);
	/* The same vCPU runs a new program, on this thread. */
	h_load_at(g_vm, 0x2000, g_hlt_start, g_hlt_end);
	r.rip = 0x2000;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_get_regs(&r, g_vcpu);
	cr_assert_eq(r.rip, 0x2001);
}

Test(run, cancel_before_run, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	uint64_t t0;

	h_load(g_vm, g_hlt2);
	OK(libvm_vcpu_cancel(g_vcpu));
	OK(libvm_vcpu_cancel(g_vcpu));	/* not counted: one cancel pending */
	t0 = h_now_ns();
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_CANCELLED);
	cr_assert_lt(h_now_ns() - t0, 1000000000ull);
	/* It did not run the guest. */
	{
		libvm_regs r;

		h_get_regs(&r, g_vcpu);
		cr_assert_eq(r.rip, GUEST_LOAD);
	}
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

Test(run, cancel_from_other_thread_twice, .timeout = VCPU_TIMEOUT)
{
	struct runner t;
	pthread_t th;
	int i;

	h_load(g_vm, g_loop);
	for (i = 0; i < 2; i++) {
		memset(&t, 0, sizeof(t));
		t.vcpu = g_vcpu;
		t.timeout_ns = RUN_TIMEOUT_NS;
		cr_assert_eq(pthread_create(&th, NULL, run_thread, &t), 0);
		while (!atomic_load(&t.started))
			sleep_ms(1);
		sleep_ms(100);
		OK(libvm_vcpu_cancel(g_vcpu));
		pthread_join(th, NULL);
		OK(t.rc);
		cr_assert_eq(t.ex.reason, LIBVM_EXIT_CANCELLED,
			     "round %d: exit %s", i,
			     libvm_exit_reason_name(t.ex.reason));
	}
}

Test(run, timeout, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;
	uint64_t t0, dt;

	h_load(g_vm, g_loop);
	t0 = h_now_ns();
	OK(libvm_vcpu_run(&ex, g_vcpu, 100000000ull));	/* 100 ms */
	dt = h_now_ns() - t0;
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_geq(dt, 100000000ull, "returned after %llu ns",
		      (unsigned long long)dt);
	/* Once more: the watchdog kicks again. */
	OK(libvm_vcpu_run(&ex, g_vcpu, 50000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT);
	/* The VM is still usable. */
	h_load_at(g_vm, 0x2000, g_hlt_start, g_hlt_end);
	h_get_regs(&r, g_vcpu);
	r.rip = 0x2000;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	/* A long timeout does not fire on a short run. */
	r.rip = 0x2000;
	h_set_regs(g_vcpu, &r);
	OK(libvm_vcpu_run(&ex, g_vcpu, 60000000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_HLT);
}

Test(run, timeout_from_other_thread, .timeout = VCPU_TIMEOUT)
{
	struct runner t;

	/* The kick must reach the thread that runs, not the creator. */
	h_load(g_vm, g_loop);
	run_on_thread(&t, g_vcpu, 100000000ull, run_thread);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_TIMEOUT);
	run_on_thread(&t, g_vcpu, 100000000ull, run_thread);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_TIMEOUT);
}

/*
 * Timeouts come from the VM's watchdog thread, which signals only a thread
 * inside a run: a sleep after a run with a timeout, well past that
 * timeout, is not cut short.
 */
Test(run, timeout_never_kicks_between_runs, .timeout = VCPU_TIMEOUT)
{
	struct timespec ts = { 0, 800000000L }, rem = { 0, 0 };
	libvm_exit ex;
	int r;

	h_load(g_vm, g_hlt);
	/*
	 * 200 ms: a HLT takes far less, but in the nested VM (one vCPU, TCG,
	 * two test workers) a first run once took longer than 20 ms.
	 */
	OK(libvm_vcpu_run(&ex, g_vcpu, 200000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_HLT, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	r = nanosleep(&ts, &rem);
	cr_assert_eq(r, 0, "the sleep was interrupted (errno %d, %ld ns left)",
		     errno, (long)rem.tv_nsec);
}

/* A deadline before the one the watchdog sleeps for wakes it. */
Test(run, timeout_shorter_than_the_last, .timeout = VCPU_TIMEOUT)
{
	libvm_exit ex;
	libvm_regs r;
	uint64_t t0, dt;

	h_load(g_vm, g_hlt);
	OK(libvm_vcpu_run(&ex, g_vcpu, 600000000000ull));	/* 10 min */
	cr_assert_eq(ex.reason, LIBVM_EXIT_HLT);
	h_load(g_vm, g_loop);
	h_get_regs(&r, g_vcpu);
	r.rip = GUEST_LOAD;
	h_set_regs(g_vcpu, &r);
	t0 = h_now_ns();
	OK(libvm_vcpu_run(&ex, g_vcpu, 100000000ull));	/* 100 ms */
	dt = h_now_ns() - t0;
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_geq(dt, 100000000ull);
	cr_assert_lt(dt, 60000000000ull, "timed out after %llu ns",
		     (unsigned long long)dt);
}

/* Two vCPUs running at once, each timed out at its own deadline. */
Test(run, timeouts_of_two_vcpus, .timeout = VCPU_TIMEOUT)
{
	struct runner t[2];
	uint64_t t0, dt[2];
	pthread_t th[2];
	int i;

	h_load(g_vm, g_loop);
	memset(t, 0, sizeof(t));
	t[0].vcpu = g_vcpu;
	t[0].timeout_ns = 600000000ull;
	t[1].vcpu = h_vcpu(g_vm, 1);
	t[1].timeout_ns = 150000000ull;
	t0 = h_now_ns();
	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, run_thread, &t[i]),
			     0);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		dt[i] = t[i].done_ns - t0;
		OK(t[i].rc);
		cr_assert_eq(t[i].ex.reason, LIBVM_EXIT_TIMEOUT,
			     "vCPU %d: exit %s", i,
			     libvm_exit_reason_name(t[i].ex.reason));
		cr_assert_geq(dt[i], t[i].timeout_ns);
	}
	cr_assert_lt(dt[1], dt[0], "the 150 ms run ended after the 600 ms one");
}

/*
 * A thread that blocks every signal, the kick signal included (as
 * threads of programs that handle signals elsewhere do), can still be
 * cancelled and timed out: KVM_RUN runs with the kick signal unblocked,
 * and the thread's own mask is left as it was.
 */
static void *run_thread_blocked(void *arg)
{
	struct runner *t = arg;
	sigset_t all, after;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	atomic_store(&t->started, 1);
	t->rc = libvm_vcpu_run(&t->ex, t->vcpu, t->timeout_ns);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	if (!sigismember(&after, SIGRTMAX - 3) || !sigismember(&after, SIGINT))
		t->rc = -1000;	/* libvm changed the thread's mask */
	return NULL;
}

Test(run, cancel_and_timeout_with_kick_signal_blocked, .timeout = VCPU_TIMEOUT)
{
	struct runner t;
	pthread_t th;
	libvm_exit ex;

	h_load(g_vm, g_loop);
	memset(&t, 0, sizeof(t));
	t.vcpu = g_vcpu;
	t.timeout_ns = RUN_TIMEOUT_NS;
	cr_assert_eq(pthread_create(&th, NULL, run_thread_blocked, &t), 0);
	while (!atomic_load(&t.started))
		sleep_ms(1);
	sleep_ms(100);
	OK(libvm_vcpu_cancel(g_vcpu));
	pthread_join(th, NULL);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_CANCELLED, "exit %s",
		     libvm_exit_reason_name(t.ex.reason));
	run_on_thread(&t, g_vcpu, 100000000ull, run_thread_blocked);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_TIMEOUT, "exit %s",
		     libvm_exit_reason_name(t.ex.reason));
	/* Back on a thread with the signal unblocked: KVM's mask is dropped. */
	OK(libvm_vcpu_run(&ex, g_vcpu, 50000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT);
	OK(libvm_vcpu_cancel(g_vcpu));
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_CANCELLED);
}

/*
 * On a thread that blocks the kick signal, the kick that timed a run out
 * (or cancelled it) stays pending unless libvm takes it back; if it did
 * not, every later run on that thread would end at once.
 */
static void *two_runs_blocked(void *arg)
{
	struct runner *t = arg;
	libvm_regs r;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	t->rc = libvm_vcpu_run(&t->ex, t->vcpu, 100000000ull);
	if (t->rc < 0 || t->ex.reason != LIBVM_EXIT_TIMEOUT)
		return NULL;
	libvm_vcpu_cancel(t->vcpu);
	t->rc = libvm_vcpu_run(&t->ex, t->vcpu, 0);
	if (t->rc < 0 || t->ex.reason != LIBVM_EXIT_CANCELLED)
		return NULL;
	h_load_at(libvm_vcpu_vm(t->vcpu), 0x2000, g_hlt_start, g_hlt_end);
	h_get_regs(&r, t->vcpu);
	r.rip = 0x2000;
	h_set_regs(t->vcpu, &r);
	t->rc = libvm_vcpu_run(&t->ex, t->vcpu, 30000000000ull);
	return NULL;
}

Test(run, kick_signal_blocked_next_run_unhurt, .timeout = VCPU_TIMEOUT)
{
	struct runner t;

	h_load(g_vm, g_loop);
	run_on_thread(&t, g_vcpu, 0, two_runs_blocked);
	OK(t.rc);
	cr_assert_eq(t.ex.reason, LIBVM_EXIT_HLT, "the last run ended with "
		     "exit %s", libvm_exit_reason_name(t.ex.reason));
}

/* ---- string I/O ---- */

struct rep_log {
	int calls;
	uint8_t bytes[16];
	int bad;
	libvm_vcpu *vcpu;
};

static int rep_trap(libvm_vcpu *vcpu, uint64_t port, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct rep_log *l = opaque;

	if (vcpu != l->vcpu || size != 1 || l->calls >= 16)
		l->bad++;
	else if (direction == LIBVM_WRITE && port == 0x40)
		l->bytes[l->calls] = *(uint8_t *)data;
	else if (direction == LIBVM_READ && port == 0x41)
		*(uint8_t *)data = (uint8_t)('A' + l->calls);
	else
		l->bad++;
	l->calls++;
	return LIBVM_TRAP_CONTINUE;
}

Test(run, rep_outsb_through_trap, .timeout = VCPU_TIMEOUT)
{
	struct rep_log l;
	libvm_exit ex;

	memset(&l, 0, sizeof(l));
	l.vcpu = g_vcpu;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x40, 2, rep_trap, &l));
	h_load(g_vm, g_rep_outsb);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.bad, 0);
	cr_assert_eq(l.calls, 5, "handler called %d times", l.calls);
	cr_assert_arr_eq(l.bytes, "hello", 5);
}

Test(run, rep_insb_through_trap, .timeout = VCPU_TIMEOUT)
{
	struct rep_log l;
	libvm_exit ex;
	uint8_t b[6];

	memset(&l, 0, sizeof(l));
	l.vcpu = g_vcpu;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x40, 2, rep_trap, &l));
	h_load(g_vm, g_rep_insb);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.bad, 0);
	cr_assert_eq(l.calls, 5);
	OK(libvm_mem_read(g_vm, 0x3000, b, 6));
	cr_assert_arr_eq(b, "ABCDE\0", 6);
}

Test(run, rep_outsb_unhandled, .timeout = VCPU_TIMEOUT)
{
	char got[8] = "";
	unsigned n = 0;
	libvm_exit ex;

	h_load(g_vm, g_rep_outsb);
	/* KVM may split the string; together the exits carry "hello". */
	while (n < 5) {
		h_run_expect(&ex, g_vcpu, LIBVM_EXIT_IO);
		cr_assert_eq(ex.u.io.port, 0x40);
		cr_assert_eq(ex.u.io.size, 1);
		cr_assert_eq(ex.u.io.direction, LIBVM_WRITE);
		cr_assert_geq(ex.u.io.count, 1);
		cr_assert_leq(n + ex.u.io.count, 5);
		memcpy(got + n, ex.u.io.data, ex.u.io.count);
		n += ex.u.io.count;
	}
	cr_assert_str_eq(got, "hello");
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

Test(run, rep_insb_unhandled, .timeout = VCPU_TIMEOUT)
{
	unsigned n = 0, i;
	libvm_exit ex;
	uint8_t b[5];

	h_load(g_vm, g_rep_insb);
	while (n < 5) {
		h_run_expect(&ex, g_vcpu, LIBVM_EXIT_IO);
		cr_assert_eq(ex.u.io.port, 0x41);
		cr_assert_eq(ex.u.io.direction, LIBVM_READ);
		cr_assert_geq(ex.u.io.count, 1);
		cr_assert_leq(n + ex.u.io.count, 5);
		for (i = 0; i < ex.u.io.count; i++)
			ex.u.io.data[i] = (uint8_t)('v' + n + i);
		n += ex.u.io.count;
	}
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	OK(libvm_mem_read(g_vm, 0x3000, b, 5));
	cr_assert_arr_eq(b, "vwxyz", 5);
}

/* ---- names ---- */

Test(run, exit_reason_names)
{
	static const char *const want[] = {
		[LIBVM_EXIT_NONE] = "none",
		[LIBVM_EXIT_HLT] = "hlt",
		[LIBVM_EXIT_IO] = "io",
		[LIBVM_EXIT_MMIO] = "mmio",
		[LIBVM_EXIT_SHUTDOWN] = "shutdown",
		[LIBVM_EXIT_FAIL_ENTRY] = "fail-entry",
		[LIBVM_EXIT_INTERNAL_ERROR] = "internal-error",
		[LIBVM_EXIT_DEBUG] = "debug",
		[LIBVM_EXIT_CANCELLED] = "cancelled",
		[LIBVM_EXIT_TIMEOUT] = "timeout",
		[LIBVM_EXIT_STOPPED] = "stopped",
		[LIBVM_EXIT_SYSTEM_EVENT] = "system-event",
		[LIBVM_EXIT_IRQ_WINDOW] = "irq-window",
		[LIBVM_EXIT_OTHER] = "other",
		[LIBVM_EXIT_EXCEPTION] = "exception",
		[LIBVM_EXIT_GUEST_EXIT] = "guest-exit",
		[LIBVM_EXIT_RETURN] = "return",
	};
	uint32_t i, j;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_not_null(libvm_exit_reason_name(i));
		cr_assert_str_eq(libvm_exit_reason_name(i), want[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(want[i], want[j]);
	}
	/* Far past the last reason, so appending reasons keeps this true. */
	cr_assert_str_eq(libvm_exit_reason_name(1000), "unknown");
	cr_assert_str_eq(libvm_exit_reason_name(999), "unknown");
	cr_assert_str_eq(libvm_exit_reason_name(0xffffffffu), "unknown");
}
