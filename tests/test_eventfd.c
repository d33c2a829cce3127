/* SPDX-License-Identifier: MIT */
/* ioeventfd and irqfd: guest writes and interrupts that stay in KVM. */
#include "guests.h"

#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

TestSuite(eventfd, .init = h_fixture_setup, .fini = h_fixture_teardown);

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	cr_assert_geq(fd, 0, "eventfd");
	return fd;
}

/* The eventfd's count (0 if never signalled); resets it. */
static uint64_t drain(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

struct mlog {
	int n;
	uint64_t addr[16];
};

static int mmio_log(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct mlog *l = opaque;

	(void)vcpu, (void)data, (void)size;
	if (direction == LIBVM_WRITE && l->n < 16)
		l->addr[l->n++] = addr;
	return LIBVM_TRAP_CONTINUE;
}

/*
 * g_mmio writes 1, 2 and 4 bytes at 0x100000, 0x100002 and 0x100004 (then
 * reads): the 4-byte write of 0xdeadbeef goes to the eventfd, the others
 * to the trap handler.
 */
/* g_mmio aimed at 0x100000, whose page logs its writes into *l. */
static void mmio_guest(struct mlog *l)
{
	libvm_regs r;

	h_load(g_vm, g_mmio);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x10;
	h_set_regs(g_vcpu, &r);
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x100000, 0x100,
			       mmio_log, l));
}

Test(eventfd, ioeventfd_mmio_datamatch, .timeout = VCPU_TIMEOUT)
{
	struct mlog l = { 0 };
	libvm_exit ex;
	int fd = new_eventfd();

	mmio_guest(&l);
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x100004, 4,
			      0xdeadbeef, LIBVM_IOEVENTFD_DATAMATCH));
	h_run_expect_io(&ex, g_vcpu, 0x30, 1, LIBVM_WRITE);
	cr_assert_eq(drain(fd), 1);
	cr_assert_eq(l.n, 2, "handler saw %d writes", l.n);
	cr_assert_eq(l.addr[0], 0x100000);
	cr_assert_eq(l.addr[1], 0x100002);
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x100004, 4,
			      0xdeadbeef, LIBVM_IOEVENTFD_DATAMATCH |
			      LIBVM_IOEVENTFD_REMOVE));
	close(fd);
}

/* Another value is no match: the write reaches the handler. */
Test(eventfd, ioeventfd_other_value_traps, .timeout = VCPU_TIMEOUT)
{
	struct mlog l = { 0 };
	libvm_exit ex;
	int fd = new_eventfd();

	mmio_guest(&l);
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x100004, 4, 7,
			      LIBVM_IOEVENTFD_DATAMATCH));
	h_run_expect_io(&ex, g_vcpu, 0x30, 1, LIBVM_WRITE);
	cr_assert_eq(drain(fd), 0);
	cr_assert_eq(l.n, 3);
	cr_assert_eq(l.addr[2], 0x100004);
	close(fd);
}

/* Any value without DATAMATCH; port I/O: g_out_ebx writes 4 bytes. */
Test(eventfd, ioeventfd_pio_any_value, .timeout = VCPU_TIMEOUT)
{
	libvm_regs r;
	libvm_exit ex;
	int fd = new_eventfd();

	h_load(g_vm, g_out_ebx);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x12345678;
	h_set_regs(g_vcpu, &r);
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_PIO, 0x10, 4, 0, 0));
	h_run_expect(&ex, g_vcpu, LIBVM_EXIT_HLT);
	cr_assert_eq(drain(fd), 1);
	/* Removed, the same write exits again. */
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_PIO, 0x10, 4, 0,
			      LIBVM_IOEVENTFD_REMOVE));
	h_real_mode(g_vcpu, GUEST_LOAD);
	h_get_regs(&r, g_vcpu);
	r.rbx = 0x12345678;
	h_set_regs(g_vcpu, &r);
	h_run_expect_io(&ex, g_vcpu, 0x10, 4, LIBVM_WRITE);
	cr_assert_eq(h_le(ex.u.io.data, 4), 0x12345678);
	cr_assert_eq(drain(fd), 0);
	close(fd);
}

Test(eventfd, ioeventfd_bad_arguments)
{
	int fd = new_eventfd();

	FAILS(libvm_vm_ioeventfd(NULL, fd, LIBVM_TRAP_PIO, 0x10, 4, 0, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, -1, LIBVM_TRAP_PIO, 0x10, 4, 0, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, 2, 0x10, 4, 0, 0), LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_PIO, 0x10, 3, 0, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_PIO, 0xfffe, 4, 0, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, ~0ull, 2, 0, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x1000, 2,
				 0x10000, LIBVM_IOEVENTFD_DATAMATCH),
	      LIBVM_EINVAL);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x1000, 4, 0,
				 0x80), LIBVM_EINVAL);
	/* Twice the same, and removing what is not there. */
	OK(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x1000, 4, 1,
			      LIBVM_IOEVENTFD_DATAMATCH));
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x1000, 4, 1,
				 LIBVM_IOEVENTFD_DATAMATCH), LIBVM_EOVERLAP);
	FAILS(libvm_vm_ioeventfd(g_vm, fd, LIBVM_TRAP_MMIO, 0x2000, 4, 1,
				 LIBVM_IOEVENTFD_DATAMATCH |
				 LIBVM_IOEVENTFD_REMOVE), LIBVM_ENOENT);
	/* Destroying the VM drops the registration; the fd is ours. */
	libvm_vm_destroy(g_vm);
	g_vm = NULL;
	g_vcpu = NULL;
	cr_assert_eq(close(fd), 0);
}

Test(eventfd, irqfd_bad_arguments)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;
	int fd = new_eventfd();

	/* The fixture's VM has no irqchip. */
	FAILS(libvm_vm_irqfd(g_vm, fd, 4, 0), LIBVM_ESTATE);
	cfg.flags = LIBVM_VM_IRQCHIP;
	vm = h_vm_create(&cfg);
	FAILS(libvm_vm_irqfd(NULL, fd, 4, 0), LIBVM_EINVAL);
	FAILS(libvm_vm_irqfd(vm, -1, 4, 0), LIBVM_EINVAL);
	FAILS(libvm_vm_irqfd(vm, fd, 24, 0), LIBVM_EINVAL);
	FAILS(libvm_vm_irqfd(vm, fd, 4, 2), LIBVM_EINVAL);
	OK(libvm_vm_irqfd(vm, fd, 4, 0));
	FAILS(libvm_vm_irqfd(vm, fd, 5, 0), LIBVM_EOVERLAP);
	OK(libvm_vm_irqfd(vm, fd, 4, LIBVM_IRQFD_REMOVE));
	OK(libvm_vm_irqfd(vm, fd, 5, 0));
	libvm_vm_destroy(vm);
	cr_assert_eq(close(fd), 0);
}

/*
 * Signalling the eventfd from the host raises IRQ 4 of the in-kernel PIC,
 * which takes the halted guest to its handler: no vCPU ioctl involved.
 */
Test(eventfd, irqfd_interrupts_halted_guest, .timeout = VCPU_TIMEOUT)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;
	libvm_vcpu *v;
	libvm_exit ex;
	uint8_t ivt[4];
	uint64_t one = 1;
	int fd = new_eventfd();

	cfg.flags = LIBVM_VM_IRQCHIP;
	vm = h_vm_create(&cfg);
	h_map_ram(vm, 0, FIXTURE_RAM);
	h_load(vm, g_pic_irq);
	h_put_le(ivt, G_PIC_HANDLER_ADDR, 2);
	h_put_le(ivt + 2, 0, 2);
	OK(libvm_mem_write(vm, 0x24 * 4, ivt, 4));
	v = h_vcpu(vm, 0);
	OK(libvm_vm_irqfd(vm, fd, 4, 0));
	h_run_expect_io(&ex, v, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(write(fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	h_run_expect_io(&ex, v, 0x11, 1, LIBVM_WRITE);
	libvm_vm_destroy(vm);
	close(fd);
}
