/* SPDX-License-Identifier: MIT */
/* A vCPU's whole state in a snapshot: saving it, and restoring it fast. */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#define PAGE LIBVM_PAGE_SIZE

int lvm_snap_save_vcpu(struct lvm_vcpu_state *st, libvm_vcpu *v, uint64_t id)
{
	libvm_vm *vm = v->vm;
	int r;

	st->id = v->id;
	r = lvm_vcpu_flush_io(v);
	if (!r)
		r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	v->state_snap = id;
	v->state_dirty = false;
	if (libvm_vcpu_get_regs((libvm_regs *)&st->regs, v) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_SREGS, &st->sregs) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_FPU, &st->fpu) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_VCPU_EVENTS, &st->events) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_MP_STATE, &st->mp) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_DEBUGREGS, &st->debug) < 0)
		return LIBVM_EKVM;
	if (vm->caps & LIBVM_HOST_XSAVE) {
		st->xsave_size = v->xsave_size;
		st->xsave = calloc(1, v->xsave_size);
		if (!st->xsave)
			return lvm_err(LIBVM_ENOMEM, "XSAVE snapshot");
		r = libvm_vcpu_get_xsave(v, st->xsave, st->xsave_size);
		if (r < 0)
			return r;
	}
	if (vm->caps & LIBVM_HOST_XCRS) {
		if (KVM_IOCTL(v->fd, KVM_GET_XCRS, &st->xcrs) < 0)
			return LIBVM_EKVM;
		st->has_xcrs = true;
	}
	if (vm->flags & LIBVM_VM_IRQCHIP) {
		if (KVM_IOCTL(v->fd, KVM_GET_LAPIC, &st->lapic) < 0)
			return LIBVM_EKVM;
		st->has_lapic = true;
	}
	st->rt_long = v->rt_long;
	st->rt_at_dispatch = v->rt_at_dispatch;
	st->rt_stack = v->rt_stack;
	st->rt_sregs = v->rt_sregs;
	return lvm_snap_save_msrs(st, v);
}

/* FPU and SSE state: the whole XSAVE area where KVM has it. */
static int restore_fpu(libvm_vcpu *v, const struct lvm_vcpu_state *st)
{
	if (st->xsave_size)
		return libvm_vcpu_set_xsave(v, st->xsave, st->xsave_size);
	return KVM_IOCTL(v->fd, KVM_SET_FPU, &st->fpu) < 0 ? LIBVM_EKVM : 0;
}

/*
 * The fast restore: FPU/XSAVE by ioctl, registers, segment and control
 * registers and events through the run area, applied by the next KVM_RUN
 * (registers, then sregs, then events).
 */
static int restore_vcpu_fast(libvm_vcpu *v, const struct lvm_vcpu_state *st)
{
	struct kvm_run *run = v->run;
	int r;

	r = restore_fpu(v, st);
	if (r < 0)
		return r;
	memcpy(&run->s.regs.regs, &st->regs, sizeof(st->regs));
	memcpy(&run->s.regs.sregs, &st->sregs, sizeof(st->sregs));
	memcpy(&run->s.regs.events, &st->events, sizeof(st->events));
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
			       KVM_SYNC_X86_EVENTS;
	v->regs_cached = true;
	return 0;
}

int lvm_snap_restore_vcpu(libvm_vcpu *v, const struct lvm_vcpu_state *st,
			uint64_t id, bool fast)
{
	int r = lvm_vcpu_flush_io(v);

	if (r < 0)
		return r;
	/* Whatever waits in the run area is overwritten below. */
	v->run->kvm_dirty_regs = 0;
	v->regs_cached = false;
	fast = fast && st->user_only && v->state_snap == id &&
	       !v->state_dirty && lvm_vcpu_sync_all(v);
	if (fast) {
		r = restore_vcpu_fast(v, st);
		if (r < 0)
			return r;
		goto done;
	}
	/* MP state and events first: they may reset other state. */
	if (KVM_IOCTL(v->fd, KVM_SET_MP_STATE, &st->mp) < 0 ||
	    KVM_IOCTL(v->fd, KVM_SET_SREGS, &st->sregs) < 0)
		return LIBVM_EKVM;
	if (st->has_lapic && KVM_IOCTL(v->fd, KVM_SET_LAPIC, &st->lapic) < 0)
		return LIBVM_EKVM;
	r = restore_fpu(v, st);
	if (r < 0)
		return r;
	if (st->has_xcrs && KVM_IOCTL(v->fd, KVM_SET_XCRS, &st->xcrs) < 0)
		return LIBVM_EKVM;
	if (KVM_IOCTL(v->fd, KVM_SET_DEBUGREGS, &st->debug) < 0)
		return LIBVM_EKVM;
	r = lvm_snap_restore_msrs(st, v);
	if (r < 0)
		return r;
	if (KVM_IOCTL(v->fd, KVM_SET_VCPU_EVENTS, &st->events) < 0)
		return LIBVM_EKVM;
	r = libvm_vcpu_set_regs(v, (const libvm_regs *)&st->regs);
	if (r < 0)
		return r;
done:
	v->state_snap = id;
	v->state_dirty = false;
	atomic_store(&v->cancel, 0);
	v->rt_long = st->rt_long;
	v->rt_at_dispatch = st->rt_at_dispatch;
	v->rt_stack = st->rt_stack;
	v->rt_sregs = st->rt_sregs;
	return 0;
}
