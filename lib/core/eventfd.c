/* SPDX-License-Identifier: MIT */
/*
 * ioeventfd and irqfd: guest writes that signal an eventfd inside KVM, and
 * eventfds whose signal KVM turns into an interrupt.  Devices use them so
 * that a queue kick or an interrupt never stops a vCPU in userspace.
 */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>

_Static_assert(sizeof(struct kvm_ioeventfd) == _IOC_SIZE(KVM_IOEVENTFD),
	       "kvm_ioeventfd size");
_Static_assert(sizeof(struct kvm_irqfd) == _IOC_SIZE(KVM_IRQFD),
	       "kvm_irqfd size");

/* GSIs of KVM's default routing with an in-kernel irqchip. */
#define LVM_NR_GSI 24

static int check_ioeventfd(libvm_vm *vm, int fd, uint32_t space,
			   uint64_t addr, uint32_t len, uint64_t datamatch,
			   uint32_t flags)
{
	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: vm is NULL");
	if (fd < 0)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: fd %d", fd);
	if (flags & ~(LIBVM_IOEVENTFD_DATAMATCH | LIBVM_IOEVENTFD_REMOVE))
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: flags %#x",
			       flags);
	if (space != LIBVM_TRAP_PIO && space != LIBVM_TRAP_MMIO)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: space %u",
			       space);
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: length %u "
			       "(1, 2, 4 or 8)", len);
	if (addr + len < addr ||
	    (space == LIBVM_TRAP_PIO && addr + len > 0x10000))
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: %s %#llx+%u",
			       space == LIBVM_TRAP_PIO ? "port" : "address",
			       (unsigned long long)addr, len);
	if ((flags & LIBVM_IOEVENTFD_DATAMATCH) && len < 8 &&
	    datamatch >> (8 * len))
		return lvm_err(LIBVM_EINVAL, "libvm_vm_ioeventfd: datamatch "
			       "%#llx is wider than %u bytes",
			       (unsigned long long)datamatch, len);
	if (!(vm->caps & LIBVM_HOST_IOEVENTFD))
		return lvm_err(LIBVM_ENOTSUP, "libvm_vm_ioeventfd: this KVM "
			       "lacks KVM_CAP_IOEVENTFD");
	return 0;
}

LIBVM_API int libvm_vm_ioeventfd(libvm_vm *vm, int fd, uint32_t space,
				 uint64_t addr, uint32_t len,
				 uint64_t datamatch, uint32_t flags)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
	};
	int r = check_ioeventfd(vm, fd, space, addr, len, datamatch, flags);

	if (r < 0)
		return r;
	if (flags & LIBVM_IOEVENTFD_DATAMATCH)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (flags & LIBVM_IOEVENTFD_REMOVE)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (space == LIBVM_TRAP_PIO)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	r = lvm_ioctl_raw(vm->vm_fd, KVM_IOEVENTFD, (unsigned long)&io);
	if (r == -EEXIST)
		return lvm_err(LIBVM_EOVERLAP, "libvm_vm_ioeventfd: %#llx+%u "
			       "already has an eventfd for that value",
			       (unsigned long long)addr, len);
	if (r == -ENOENT)
		return lvm_err(LIBVM_ENOENT, "libvm_vm_ioeventfd: no such "
			       "registration at %#llx+%u",
			       (unsigned long long)addr, len);
	if (r < 0)
		return lvm_err_errno(LIBVM_EKVM, -r, "KVM_IOEVENTFD (fd %d, "
				     "%#llx+%u, flags %#x)", fd,
				     (unsigned long long)addr, len, io.flags);
	return 0;
}

LIBVM_API int libvm_vm_irqfd(libvm_vm *vm, int fd, uint32_t gsi,
			     uint32_t flags)
{
	struct kvm_irqfd irq = { .fd = (uint32_t)fd, .gsi = gsi };
	int r;

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_irqfd: vm is NULL");
	if (fd < 0 || gsi >= LVM_NR_GSI || (flags & ~LIBVM_IRQFD_REMOVE))
		return lvm_err(LIBVM_EINVAL, "libvm_vm_irqfd: fd %d, GSI %u "
			       "(0-%u), flags %#x", fd, gsi, LVM_NR_GSI - 1,
			       flags);
	if (!(vm->flags & LIBVM_VM_IRQCHIP))
		return lvm_err(LIBVM_ESTATE, "libvm_vm_irqfd: the VM was "
			       "created without LIBVM_VM_IRQCHIP");
	if (!(vm->caps & LIBVM_HOST_IRQFD))
		return lvm_err(LIBVM_ENOTSUP, "libvm_vm_irqfd: this KVM lacks "
			       "KVM_CAP_IRQFD");
	if (flags & LIBVM_IRQFD_REMOVE)
		irq.flags |= KVM_IRQFD_FLAG_DEASSIGN;
	r = lvm_ioctl_raw(vm->vm_fd, KVM_IRQFD, (unsigned long)&irq);
	if (r == -EBUSY)
		return lvm_err(LIBVM_EOVERLAP, "libvm_vm_irqfd: eventfd %d "
			       "already raises an interrupt", fd);
	if (r < 0)
		return lvm_err_errno(LIBVM_EKVM, -r, "KVM_IRQFD (fd %d, GSI %u, "
				     "flags %#x)", fd, gsi, irq.flags);
	return 0;
}
