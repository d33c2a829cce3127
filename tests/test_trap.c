/* SPDX-License-Identifier: MIT */
/* The trap registry: port-I/O and MMIO handlers. */
#include "guests.h"

#include <stdlib.h>
#include <string.h>

TestSuite(trap, .init = h_fixture_setup, .fini = h_fixture_teardown);

#define MAXLOG 32

struct call {
	libvm_vcpu *vcpu;
	uint64_t addr;
	uint64_t data;
	uint32_t size, dir;
	void *opaque;
};

struct log {
	int n;
	struct call c[MAXLOG];
	uint64_t read_value;	/* what reads return */
	int ret;		/* what the handler returns */
};

static int log_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct log *l = opaque;
	struct call *c;

	if (l->n < MAXLOG) {
		c = &l->c[l->n];
		c->vcpu = vcpu;
		c->addr = addr;
		c->size = size;
		c->dir = direction;
		c->opaque = opaque;
		c->data = h_le(data, size);
	}
	l->n++;
	if (direction == LIBVM_READ)
		h_put_le(data, l->read_value, size);
	return l->ret;
}

static void check_call(const struct log *l, int i, uint64_t addr,
		       uint64_t data, uint32_t size, uint32_t dir)
{
	const struct call *c = &l->c[i];

	cr_assert_gt(l->n, i, "only %d calls", l->n);
	cr_assert_eq(c->vcpu, g_vcpu, "call %d: vcpu", i);
	cr_assert_eq(c->opaque, l, "call %d: opaque", i);
	cr_assert_eq(c->addr, addr, "call %d: addr %#llx, want %#llx", i,
		     (unsigned long long)c->addr, (unsigned long long)addr);
	cr_assert_eq(c->size, size, "call %d: size %u, want %u", i, c->size,
		     size);
	cr_assert_eq(c->dir, dir, "call %d: direction %u", i, c->dir);
	cr_assert_eq(c->data, data, "call %d: data %#llx, want %#llx", i,
		     (unsigned long long)c->data, (unsigned long long)data);
}

static int nop_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	(void)vcpu, (void)addr, (void)data, (void)size, (void)direction;
	(void)opaque;
	return LIBVM_TRAP_CONTINUE;
}

Test(trap, pio_out_handler_args, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;
	libvm_regs r;

	memset(&l, 0, sizeof(l));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x60, 1, log_trap, &l));
	h_load(g_vm, g_pio_out3);
	h_get_regs(&r, g_vcpu);
	r.rax = 0x11223344;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.n, 3);
	check_call(&l, 0, 0x60, 0x44, 1, LIBVM_WRITE);
	check_call(&l, 1, 0x60, 0x3344, 2, LIBVM_WRITE);
	check_call(&l, 2, 0x60, 0x11223344, 4, LIBVM_WRITE);
}

Test(trap, pio_in_value_reaches_guest, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;

	memset(&l, 0, sizeof(l));
	l.read_value = 0xa1b2c3d4;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x61, 1, log_trap, &l));
	h_load(g_vm, g_pio_in_echo);
	h_run_expect_io(&ex, g_vcpu, 0x62, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0xd4);
	h_run_expect_io(&ex, g_vcpu, 0x63, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 2), 0xc3d4);
	h_run_expect_io(&ex, g_vcpu, 0x64, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0xa1b2c3d4);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.n, 3);
	/* Reads arrive with the buffer zeroed. */
	check_call(&l, 0, 0x61, 0, 1, LIBVM_READ);
	check_call(&l, 1, 0x61, 0, 2, LIBVM_READ);
	check_call(&l, 2, 0x61, 0, 4, LIBVM_READ);
}

Test(trap, mmio_handler_args, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;
	libvm_regs r;

	memset(&l, 0, sizeof(l));
	l.read_value = 0x0badcafe;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x100000, 0x10,
			       log_trap, &l));
	h_load(g_vm, g_mmio);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x10;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x30, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0xfe);
	h_run_expect_io(&ex, g_vcpu, 0x31, 2, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 2), 0xcafe);
	h_run_expect_io(&ex, g_vcpu, 0x32, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0x0badcafe);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.n, 6);
	check_call(&l, 0, 0x100000, 0x5a, 1, LIBVM_WRITE);
	check_call(&l, 1, 0x100002, 0x1234, 2, LIBVM_WRITE);
	check_call(&l, 2, 0x100004, 0xdeadbeef, 4, LIBVM_WRITE);
	check_call(&l, 3, 0x100008, 0, 1, LIBVM_READ);
	check_call(&l, 4, 0x10000a, 0, 2, LIBVM_READ);
	check_call(&l, 5, 0x10000c, 0, 4, LIBVM_READ);
}

Test(trap, mmio_range_edges, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;
	libvm_regs r;

	/* [0x100002, 0x100008): the 1-byte write at 0x100000 misses it. */
	memset(&l, 0, sizeof(l));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x100002, 6, log_trap,
			       &l));
	h_load(g_vm, g_mmio);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x10;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_MMIO);
	cr_assert_eq(ex.u.mmio.gpa, 0x100000);
	cr_assert_eq(l.n, 0);
	/* Its two writes hit; the read at 0x100008 is just past it. */
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_MMIO);
	cr_assert_eq(ex.u.mmio.gpa, 0x100008);
	cr_assert_eq(ex.u.mmio.direction, LIBVM_READ);
	cr_assert_eq(l.n, 2);
	check_call(&l, 0, 0x100002, 0x1234, 2, LIBVM_WRITE);
	check_call(&l, 1, 0x100004, 0xdeadbeef, 4, LIBVM_WRITE);
}

Test(trap, stop_pio, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;
	libvm_regs r;

	memset(&l, 0, sizeof(l));
	l.ret = LIBVM_TRAP_STOP;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x70, 1, log_trap, &l));
	h_load(g_vm, g_stop);
	h_get_regs(&r, g_vcpu);
	r.rax = 0x42;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_PIO);
	cr_assert_eq(ex.u.stop.code, LIBVM_TRAP_STOP);
	cr_assert_eq(ex.u.stop.addr, 0x70);
	cr_assert_eq(l.n, 1);
	check_call(&l, 0, 0x70, 0x42, 1, LIBVM_WRITE);
	/* The OUT is done: the next run goes on after it. */
	h_run_expect_io(&ex, g_vcpu, 0x71, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x99);
	cr_assert_eq(l.n, 1, "the stopping OUT was repeated");
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

Test(trap, stop_pio_negative_code, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;

	memset(&l, 0, sizeof(l));
	l.ret = LIBVM_EIO;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x70, 1, log_trap, &l));
	h_load(g_vm, g_stop);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_PIO);
	cr_assert_eq(ex.u.stop.code, LIBVM_EIO);
	cr_assert_eq(ex.u.stop.addr, 0x70);
	h_run_expect_io(&ex, g_vcpu, 0x71, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x99);
}

Test(trap, stop_mmio, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;

	memset(&l, 0, sizeof(l));
	l.ret = LIBVM_TRAP_STOP;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x100000, 0x1000,
			       log_trap, &l));
	h_load(g_vm, g_mmio_stop);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_MMIO);
	cr_assert_eq(ex.u.stop.code, LIBVM_TRAP_STOP);
	cr_assert_eq(ex.u.stop.addr, 0x100000);
	check_call(&l, 0, 0x100000, 0x11, 1, LIBVM_WRITE);
	h_run_expect_io(&ex, g_vcpu, 0x71, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x99);
	cr_assert_eq(l.n, 1);
	/* And a negative code from an MMIO handler. */
	l.ret = LIBVM_ENOENT;
	l.n = 0;
	h_real_mode(g_vcpu, GUEST_LOAD);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_MMIO);
	cr_assert_eq(ex.u.stop.code, LIBVM_ENOENT);
}

static void overlap_cases(uint32_t space, uint64_t b)
{
	OK(libvm_trap_register(g_vm, space, b, 0x10, nop_trap, NULL));
	/* exact, partial below, partial above, contained, containing */
	FAILS(libvm_trap_register(g_vm, space, b, 0x10, nop_trap, NULL),
	      LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, space, b - 8, 0x10, nop_trap, NULL),
	      LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, space, b + 8, 0x10, nop_trap, NULL),
	      LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, space, b + 4, 2, nop_trap, NULL),
	      LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, space, b + 0xf, 1, nop_trap, NULL),
	      LIBVM_EOVERLAP);
	FAILS(libvm_trap_register(g_vm, space, b - 0x10, 0x30, nop_trap,
				  NULL), LIBVM_EOVERLAP);
	/* Adjacent on both sides is fine. */
	OK(libvm_trap_register(g_vm, space, b - 0x10, 0x10, nop_trap, NULL));
	OK(libvm_trap_register(g_vm, space, b + 0x10, 0x10, nop_trap, NULL));
	/* Now a range spanning a hole between two ranges. */
	OK(libvm_trap_register(g_vm, space, b + 0x40, 0x10, nop_trap, NULL));
	FAILS(libvm_trap_register(g_vm, space, b + 0x28, 0x20, nop_trap,
				  NULL), LIBVM_EOVERLAP);
	OK(libvm_trap_register(g_vm, space, b + 0x20, 0x20, nop_trap, NULL));
}

Test(trap, overlap_pio)
{
	overlap_cases(LIBVM_TRAP_PIO, 0x100);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x104, 1, nop_trap,
				  NULL), LIBVM_EOVERLAP);
	cr_assert_not_null(strstr(libvm_last_error(), "0x104"), "detail: %s",
			   libvm_last_error());
	cr_assert_not_null(strstr(libvm_last_error(), "0x100"), "detail: %s",
			   libvm_last_error());
}

Test(trap, overlap_mmio)
{
	overlap_cases(LIBVM_TRAP_MMIO, 0xfee00000);
}

Test(trap, spaces_are_separate)
{
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x3f8, 8, nop_trap, NULL));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x3f8, 8, nop_trap,
			       NULL));
	OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x3f8));
	OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_MMIO, 0x3f8));
}

Test(trap, bad_registrations)
{
	/* Ports stop at 0xffff. */
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0xffff, 1, nop_trap,
			       NULL));
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0xfff0, 0x11,
				  nop_trap, NULL), LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x10000, 1, nop_trap,
				  NULL), LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0, 0x10001, nop_trap,
				  NULL), LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x20, 0xffffffffffffffffull,
				  nop_trap, NULL), LIBVM_EINVAL);
	/* MMIO may not wrap. */
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0xfffffffffffff000ull,
				  0x2000, nop_trap, NULL), LIBVM_EINVAL);
	/* NULL handler, empty range, unknown space, NULL VM. */
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x80, 1, NULL, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x80, 1, NULL, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x80, 0, nop_trap,
				  NULL), LIBVM_EINVAL);
	FAILS(libvm_trap_register(g_vm, 2, 0x80, 1, nop_trap, NULL),
	      LIBVM_EINVAL);
	FAILS(libvm_trap_register(NULL, LIBVM_TRAP_PIO, 0x80, 1, nop_trap,
				  NULL), LIBVM_EINVAL);
	/* None of those took a range. */
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x80, 1, nop_trap, NULL));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0xfff0, 0xf, nop_trap,
			       NULL));
}

Test(trap, unregister_unknown)
{
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x100, 0x10, nop_trap,
			       NULL));
	FAILS(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x200), LIBVM_ENOENT);
	FAILS(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x108), LIBVM_ENOENT);
	FAILS(libvm_trap_unregister(g_vm, LIBVM_TRAP_MMIO, 0x100),
	      LIBVM_ENOENT);
	FAILS(libvm_trap_unregister(g_vm, 2, 0x100), LIBVM_EINVAL);
	FAILS(libvm_trap_unregister(NULL, LIBVM_TRAP_PIO, 0x100), LIBVM_EINVAL);
	OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x100));
	FAILS(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x100), LIBVM_ENOENT);
	/* The range is free again. */
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x108, 0x10, nop_trap,
			       NULL));
}

Test(trap, unregister_while_vm_lives, .timeout = VCPU_TIMEOUT)
{
	struct log l;
	libvm_exit ex;

	memset(&l, 0, sizeof(l));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x50, 1, log_trap, &l));
	h_load(g_vm, g_twice);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.n, 1);
	OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, 0x50));
	h_run_expect_io(&ex, g_vcpu, 0x50, 1, LIBVM_WRITE);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(l.n, 1, "handler called after unregister");
}

#define NRANGES 500
#define RBASE 0x1000u	/* range i is [RBASE + 4i, RBASE + 4i + 2) */

struct hits {
	int count[NRANGES];
	int bad;
};

struct range_ctx {
	struct hits *h;
	int idx;
};

static int range_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		      uint32_t size, uint32_t direction, void *opaque)
{
	struct range_ctx *c = opaque;
	uint64_t base = RBASE + 4u * (unsigned)c->idx;

	(void)vcpu, (void)data;
	if (addr < base || addr >= base + 2 || size != 1 ||
	    direction != LIBVM_WRITE)
		c->h->bad++;
	c->h->count[c->idx]++;
	return LIBVM_TRAP_CONTINUE;
}

static void walk_ports(uint16_t start, uint16_t step, uint16_t n)
{
	libvm_exit ex;
	libvm_regs r;

	h_real_mode(g_vcpu, GUEST_LOAD);
	h_get_regs(&r, g_vcpu);
	r.rdx = start;
	r.rsi = step;
	r.rcx = n;
	h_set_regs(g_vcpu, &r);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
}

Test(trap, many_ranges, .timeout = VCPU_TIMEOUT)
{
	struct range_ctx *ctx = calloc(NRANGES, sizeof(*ctx));
	struct hits *h = calloc(1, sizeof(*h));
	libvm_exit ex;
	int i;

	cr_assert(ctx && h);
	/* Registered out of order, so inserts land everywhere. */
	for (i = 0; i < NRANGES; i++) {
		int k = (i * 7) % NRANGES;	/* 7 is prime to 500 */

		ctx[k].h = h;
		ctx[k].idx = k;
		OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, RBASE + 4u * k,
				       2, range_trap, &ctx[k]));
	}
	h_load(g_vm, g_walk);
	/* First ports of ranges 0, 7, 14, ... 497. */
	walk_ports(RBASE, 4 * 7, 72);
	/* Second ports of ranges 3, 16, 29, ... 484. */
	walk_ports(RBASE + 4 * 3 + 1, 4 * 13, 38);
	/* The first and the last range. */
	walk_ports(RBASE, 4 * (NRANGES - 1), 2);
	cr_assert_eq(h->bad, 0);
	for (i = 0; i < NRANGES; i++) {
		int want = (i % 7 == 0) + (i % 13 == 3 && i <= 484) +
			   (i == 0) + (i == NRANGES - 1);

		cr_assert_eq(h->count[i], want, "range %d: %d hits, want %d",
			     i, h->count[i], want);
	}
	/* The gaps between ranges are not trapped. */
	h_real_mode(g_vcpu, GUEST_LOAD);
	{
		libvm_regs r;

		h_get_regs(&r, g_vcpu);
		r.rdx = RBASE + 4 * 250 + 2;
		r.rsi = 1;
		r.rcx = 1;
		h_set_regs(g_vcpu, &r);
	}
	h_run_expect_io(&ex, g_vcpu, RBASE + 4 * 250 + 2, 1, LIBVM_WRITE);
	/*
	 * Finish that program: KVM completes the OUT on the next run, and
	 * would skip the first OUT of a new run that starts at the same rip.
	 */
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	/* Unregister every other one; the rest still answer. */
	for (i = 0; i < NRANGES; i += 2)
		OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_PIO, RBASE + 4u * i));
	memset(h, 0, sizeof(*h));
	walk_ports(RBASE + 4, 8 * 31, 8);	/* odd ranges 1, 63, ... */
	for (i = 0; i < NRANGES; i++)
		cr_assert_eq(h->count[i], (i % 62 == 1 && i < 8 * 62),
			     "range %d: %d hits", i, h->count[i]);
	free(ctx);
	free(h);
}

struct reentry {
	int calls;
	int reg_rc, unreg_rc, unreg_self_rc;
	libvm_vm *vm;
};

static int reenter_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
			uint32_t size, uint32_t direction, void *opaque)
{
	struct reentry *e = opaque;

	(void)addr, (void)data, (void)size, (void)direction;
	e->calls++;
	cr_assert_eq(libvm_vcpu_vm(vcpu), e->vm);
	e->reg_rc = libvm_trap_register(e->vm, LIBVM_TRAP_PIO, 0x90, 1,
					nop_trap, NULL);
	e->unreg_rc = libvm_trap_unregister(e->vm, LIBVM_TRAP_MMIO, 0x200000);
	e->unreg_self_rc = libvm_trap_unregister(e->vm, LIBVM_TRAP_PIO, 0x50);
	return LIBVM_TRAP_CONTINUE;
}

Test(trap, registry_locked_inside_handler, .timeout = VCPU_TIMEOUT)
{
	struct reentry e = { 0, 1, 1, 1, NULL };
	libvm_exit ex;

	e.vm = g_vm;
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x50, 1, reenter_trap,
			       &e));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x200000, 0x1000,
			       nop_trap, NULL));
	h_load(g_vm, g_twice);
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(e.calls, 1);
	cr_assert_eq(e.reg_rc, LIBVM_EBUSY, "register -> %d", e.reg_rc);
	cr_assert_eq(e.unreg_rc, LIBVM_EBUSY, "unregister -> %d", e.unreg_rc);
	cr_assert_eq(e.unreg_self_rc, LIBVM_EBUSY);
	/* Nothing changed, and outside a handler it works again. */
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_PIO, 0x90, 1, nop_trap, NULL));
	OK(libvm_trap_unregister(g_vm, LIBVM_TRAP_MMIO, 0x200000));
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(e.calls, 2, "the handler was unregistered");
}
