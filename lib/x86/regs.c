/* SPDX-License-Identifier: MIT */
/*
 * General and segment registers, and state handed to KVM through the run
 * area (KVM_CAP_SYNC_REGS); injected interrupts.
 */
#include "x86.h"

#include <linux/kvm.h>
#include <string.h>

_Static_assert(sizeof(libvm_regs) == sizeof(struct kvm_regs), "regs");
_Static_assert(sizeof(libvm_sregs) == sizeof(struct kvm_sregs), "sregs");
_Static_assert(sizeof(libvm_segment) == sizeof(struct kvm_segment), "seg");
_Static_assert(sizeof(libvm_fpu) == sizeof(struct kvm_fpu), "fpu");
_Static_assert(offsetof(libvm_sregs, efer) == offsetof(struct kvm_sregs, efer),
	       "sregs layout");
_Static_assert(offsetof(libvm_fpu, mxcsr) == offsetof(struct kvm_fpu, mxcsr),
	       "fpu layout");

LIBVM_API int libvm_vcpu_get_regs(libvm_regs *out, libvm_vcpu *v)
{
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_regs");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_regs: out is NULL");
	if (v->regs_cached) {
		memcpy(out, &v->run->s.regs.regs, sizeof(*out));
		return 0;
	}
	r = KVM_IOCTL(v->fd, KVM_GET_REGS, out);
	if (r < 0)
		return r;
	if (v->sync_regs) {
		memcpy(&v->run->s.regs.regs, out, sizeof(*out));
		v->regs_cached = true;
	}
	return 0;
}

LIBVM_API int libvm_vcpu_set_regs(libvm_vcpu *v, const libvm_regs *regs)
{
	CHECK_VCPU(v, "libvm_vcpu_set_regs");
	if (!regs)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_regs: regs is NULL");
	if (v->sync_regs) {
		/* Handed to KVM on the next KVM_RUN, no ioctl now. */
		memcpy(&v->run->s.regs.regs, regs, sizeof(*regs));
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		v->regs_cached = true;
		return 0;
	}
	return KVM_IOCTL(v->fd, KVM_SET_REGS, regs) < 0 ? LIBVM_EKVM : 0;
}

/*
 * State set through the run area (regs, sregs, events) reaches KVM before
 * other ioctls, in the order KVM_RUN would apply it.
 */
int lvm_vcpu_sync_flush(libvm_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t d = run->kvm_dirty_regs;
	int r = 0;

	if (likely(!d))
		return 0;
	run->kvm_dirty_regs = 0;
	if ((d & KVM_SYNC_X86_REGS) &&
	    KVM_IOCTL(v->fd, KVM_SET_REGS, &run->s.regs.regs) < 0)
		r = LIBVM_EKVM;
	if (!r && (d & KVM_SYNC_X86_SREGS) &&
	    KVM_IOCTL(v->fd, KVM_SET_SREGS, &run->s.regs.sregs) < 0)
		r = LIBVM_EKVM;
	if (!r && (d & KVM_SYNC_X86_EVENTS) &&
	    KVM_IOCTL(v->fd, KVM_SET_VCPU_EVENTS, &run->s.regs.events) < 0)
		r = LIBVM_EKVM;
	return r;
}

static bool sync_sregs_ok(libvm_vcpu *v)
{
	int r;

	if (!v->sync_regs)
		return false;
	if (!v->sync_probed) {
		r = lvm_ioctl_raw(v->vm->vm_fd, KVM_CHECK_EXTENSION,
				  KVM_CAP_SYNC_REGS);
		v->sync_fields = r > 0 ? (uint32_t)r : 0;
		v->sync_probed = true;
	}
	return (v->sync_fields & KVM_SYNC_X86_SREGS) != 0;
}

bool lvm_vcpu_sync_all(libvm_vcpu *v)
{
	const uint32_t all = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
			     KVM_SYNC_X86_EVENTS;

	return sync_sregs_ok(v) && (v->sync_fields & all) == all;
}

int lvm_vcpu_put_sregs(libvm_vcpu *v, const libvm_sregs *s)
{
	int r;

	if (sync_sregs_ok(v)) {
		/* Handed to KVM on the next KVM_RUN, no ioctl now. */
		memcpy(&v->run->s.regs.sregs, s, sizeof(*s));
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
		return 0;
	}
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	return KVM_IOCTL(v->fd, KVM_SET_SREGS, s) < 0 ? LIBVM_EKVM : 0;
}

LIBVM_API int libvm_vcpu_get_sregs(libvm_sregs *out, libvm_vcpu *v)
{
	CHECK_VCPU(v, "libvm_vcpu_get_sregs");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_sregs: out is NULL");
	if (v->run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		memcpy(out, &v->run->s.regs.sregs, sizeof(*out));
		return 0;
	}
	return KVM_IOCTL(v->fd, KVM_GET_SREGS, out) < 0 ? LIBVM_EKVM : 0;
}

LIBVM_API int libvm_vcpu_set_sregs(libvm_vcpu *v, const libvm_sregs *in)
{
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_sregs");
	if (!in)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_sregs: in is NULL");
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	/* Any CPU mode, CPL or paging may follow: restores do it all. */
	v->state_dirty = true;
	return KVM_IOCTL(v->fd, KVM_SET_SREGS, in) < 0 ? LIBVM_EKVM : 0;
}


LIBVM_API int libvm_vcpu_interrupt(libvm_vcpu *v, uint32_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	CHECK_VCPU(v, "libvm_vcpu_interrupt");
	if (vector > 255)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_interrupt: vector %u",
			       vector);
	if (v->vm->flags & LIBVM_VM_IRQCHIP)
		return lvm_err(LIBVM_ESTATE, "libvm_vcpu_interrupt: the VM has "
			       "an in-kernel irqchip; use libvm_vm_irq_line");
	if (lvm_vcpu_sync_flush(v) < 0)
		return LIBVM_EKVM;
	v->state_dirty = true;
	return KVM_IOCTL(v->fd, KVM_INTERRUPT, &irq) < 0 ? LIBVM_EKVM : 0;
}

libvm_regs *lvm_vcpu_regs(libvm_vcpu *v, libvm_regs *buf)
{
	if (v->sync_regs)
		return (libvm_regs *)&v->run->s.regs.regs;
	if (libvm_vcpu_get_regs(buf, v) < 0)
		return NULL;
	return buf;
}
