/* SPDX-License-Identifier: MIT */
/* vCPU lifetime, register state and the run loop. */
#include "../internal.h"
#include "one_msr.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(libvm_regs) == sizeof(struct kvm_regs), "regs");
_Static_assert(sizeof(libvm_sregs) == sizeof(struct kvm_sregs), "sregs");
_Static_assert(sizeof(libvm_segment) == sizeof(struct kvm_segment), "seg");
_Static_assert(sizeof(libvm_fpu) == sizeof(struct kvm_fpu), "fpu");
_Static_assert(offsetof(libvm_sregs, efer) == offsetof(struct kvm_sregs, efer),
	       "sregs layout");
_Static_assert(offsetof(libvm_fpu, mxcsr) == offsetof(struct kvm_fpu, mxcsr),
	       "fpu layout");

#define CHECK_VCPU(v, fn)                                                     \
	do {                                                                  \
		if (!(v))                                                     \
			return lvm_err(LIBVM_EINVAL, fn ": vcpu is NULL");    \
	} while (0)

LIBVM_API int libvm_vcpu_create(libvm_vcpu **out, libvm_vm *vm, uint32_t id)
{
	libvm_vcpu *v;
	void *run;
	int r;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_create: NULL argument");
	*out = NULL;
	if (id >= vm->max_vcpus)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_create: id %u, this VM "
			       "allows 0-%u", id, vm->max_vcpus - 1);
	v = calloc(1, sizeof(*v));
	if (!v)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_create");
	v->vm = vm;
	v->id = id;
	if (pthread_mutex_init(&v->run_lock, NULL)) {
		r = lvm_err(LIBVM_ENOMEM, "vcpu lock");
		goto err_free;
	}
	pthread_mutex_lock(&vm->vcpu_lock);
	if (id < vm->nvcpus_alloc && vm->vcpus[id]) {
		pthread_mutex_unlock(&vm->vcpu_lock);
		r = lvm_err(LIBVM_EBUSY, "libvm_vcpu_create: vCPU %u exists",
			    id);
		goto err_lock;
	}
	if (id >= vm->nvcpus_alloc) {
		uint32_t n = id + 1;
		libvm_vcpu **a = realloc(vm->vcpus, n * sizeof(*a));

		if (!a) {
			pthread_mutex_unlock(&vm->vcpu_lock);
			r = lvm_err(LIBVM_ENOMEM, "libvm_vcpu_create");
			goto err_lock;
		}
		memset(a + vm->nvcpus_alloc, 0,
		       (n - vm->nvcpus_alloc) * sizeof(*a));
		vm->vcpus = a;
		vm->nvcpus_alloc = n;
	}
	vm->vcpus[id] = v;	/* reserve the id */
	pthread_mutex_unlock(&vm->vcpu_lock);

	v->fd = lvm_ioctl_raw(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		if (errno == EEXIST)	/* KVM keeps a vCPU until the VM goes */
			r = lvm_err(LIBVM_EBUSY, "libvm_vcpu_create: vCPU %u was "
				    "created in this VM before; KVM cannot "
				    "create an id twice", id);
		else
			r = lvm_err_errno(LIBVM_EKVM, errno, "KVM_CREATE_VCPU");
		goto err_slot;
	}
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		r = lvm_err_errno(LIBVM_ENOMEM, errno, "mmap vCPU %u run area",
				  id);
		goto err_fd;
	}
	v->run = run;
	if (vm->caps & LIBVM_HOST_SYNC_REGS) {
		v->sync_regs = true;
		/* General registers only: sregs would cost every exit. */
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	}
	r = lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	v->xsave_size = r > (int)sizeof(struct kvm_xsave) ? (uint32_t)r
						 : sizeof(struct kvm_xsave);
	r = lvm_ring_map(v);
	if (r < 0)
		goto err_map;
	r = lvm_x86_vcpu_setup(v);
	if (r < 0)
		goto err_ring;
	*out = v;
	return 0;

err_ring:
	lvm_ring_unmap(v);
err_map:
	munmap(v->run, (size_t)vm->run_size);
err_fd:
	close(v->fd);
err_slot:
	pthread_mutex_lock(&vm->vcpu_lock);
	vm->vcpus[id] = NULL;
	pthread_mutex_unlock(&vm->vcpu_lock);
err_lock:
	pthread_mutex_destroy(&v->run_lock);
err_free:
	free(v);
	return r;
}

LIBVM_API void libvm_vcpu_destroy(libvm_vcpu *v)
{
	libvm_vm *vm;

	if (!v)
		return;
	vm = v->vm;
	pthread_mutex_lock(&vm->vcpu_lock);
	vm->vcpus[v->id] = NULL;
	pthread_mutex_unlock(&vm->vcpu_lock);
	/*
	 * Its ring outlives it in KVM: take what is there, so the pages are
	 * restored and the next reset protects them again.
	 */
	pthread_rwlock_rdlock(&vm->mem_lock);
	lvm_ring_collect(v);
	pthread_rwlock_unlock(&vm->mem_lock);
	lvm_ring_unmap(v);
	munmap(v->run, (size_t)vm->run_size);
	close(v->fd);
	pthread_mutex_destroy(&v->run_lock);
	free(v);
}

LIBVM_API libvm_vm *libvm_vcpu_vm(libvm_vcpu *v)
{
	return v ? v->vm : NULL;
}

LIBVM_API uint32_t libvm_vcpu_id(libvm_vcpu *v)
{
	return v ? v->id : 0;
}

/* ---- state ---------------------------------------------------------------- */

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

static int flush_regs(libvm_vcpu *v)
{
	return lvm_vcpu_sync_flush(v);
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

#define SIMPLE_STATE(name, type, getreq, setreq)                              \
	LIBVM_API int libvm_vcpu_get_##name(type *out, libvm_vcpu *v)        \
	{                                                                     \
		CHECK_VCPU(v, "libvm_vcpu_get_" #name);                       \
		if (!out)                                                     \
			return lvm_err(LIBVM_EINVAL,                          \
				       "libvm_vcpu_get_" #name ": out is NULL"); \
		return lvm_ioctl_checked(v->fd, getreq, (unsigned long)out,   \
					 #getreq) < 0 ? LIBVM_EKVM : 0;       \
	}                                                                     \
	LIBVM_API int libvm_vcpu_set_##name(libvm_vcpu *v, const type *in)    \
	{                                                                     \
		int r;                                                        \
		CHECK_VCPU(v, "libvm_vcpu_set_" #name);                       \
		if (!in)                                                      \
			return lvm_err(LIBVM_EINVAL,                          \
				       "libvm_vcpu_set_" #name ": in is NULL"); \
		r = flush_regs(v);                                            \
		if (r < 0)                                                    \
			return r;                                             \
		return lvm_ioctl_checked(v->fd, setreq, (unsigned long)in,    \
					 #setreq) < 0 ? LIBVM_EKVM : 0;       \
	}


/*
 * KVM_GET_FPU and KVM_SET_FPU leave struct kvm_fpu's mxcsr alone (the
 * kernel neither fills nor applies it), so libvm carries the FPU view
 * through the XSAVE area's legacy region, where MXCSR sits at byte 24.
 * Hosts without KVM_CAP_XSAVE keep KVM's behaviour: mxcsr reads as 0 and
 * is not applied (ABI.md).
 */
#define XSAVE_MXCSR_OFF	 24
#define XSAVE_XSTATE_BV	 512
#define XFEATURE_FP	 1ull
#define XFEATURE_SSE	 2ull
#define XFEATURE_FP_SSE	 (XFEATURE_FP | XFEATURE_SSE)
#define FCW_INIT	 0x037f

static int fpu_xsave(libvm_vcpu *v, uint8_t **out)
{
	uint8_t *x;
	int r;

	*out = NULL;
	if (!(v->vm->caps & LIBVM_HOST_XSAVE) || v->xsave_size < 576)
		return 0;
	x = calloc(1, v->xsave_size);
	if (!x)
		return lvm_err(LIBVM_ENOMEM, "XSAVE buffer of %u bytes",
			       v->xsave_size);
	r = libvm_vcpu_get_xsave(x, v->xsave_size, v);
	if (r < 0) {
		free(x);
		return r;
	}
	*out = x;
	return 0;
}

/* The FXSAVE layout of the XSAVE area's first 512 bytes. */
struct fxsave_legacy {
	uint16_t fcw, fsw;
	uint8_t ftw, rsvd;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];
	uint8_t xmm[16][16];
};
_Static_assert(offsetof(struct fxsave_legacy, mxcsr) == XSAVE_MXCSR_OFF,
	       "fxsave layout");
_Static_assert(offsetof(struct fxsave_legacy, xmm) == 160, "fxsave layout");

/*
 * The x87 and SSE state as the CPU would load it from the XSAVE area x: a
 * component whose XSTATE_BV bit is clear is in its initial state, whatever
 * its bytes hold.  (KVM_GET_FPU copies the kernel's buffer as it is, so it
 * shows stale x87 registers after a KVM_SET_XSAVE that left x87 in its
 * initial state, and possibly after guest exits saved with an optimised
 * XSAVE.)  MXCSR always comes from the area.
 */
static void fpu_from_xsave(libvm_fpu *out, const uint8_t *x)
{
	struct fxsave_legacy fx;
	uint64_t bv;

	memcpy(&fx, x, sizeof(fx));
	memcpy(&bv, x + XSAVE_XSTATE_BV, 8);
	memset(out, 0, sizeof(*out));
	out->fcw = FCW_INIT;
	if (bv & XFEATURE_FP) {
		out->fcw = fx.fcw;
		out->fsw = fx.fsw;
		out->ftwx = fx.ftw;
		out->last_opcode = fx.fop;
		out->last_ip = fx.fip;
		out->last_dp = fx.fdp;
		memcpy(out->fpr, fx.st, sizeof(out->fpr));
	}
	if (bv & XFEATURE_SSE)
		memcpy(out->xmm, fx.xmm, sizeof(out->xmm));
	out->mxcsr = fx.mxcsr;
}

LIBVM_API int libvm_vcpu_get_fpu(libvm_fpu *out, libvm_vcpu *v)
{
	uint8_t *x;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_fpu");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_fpu: out is NULL");
	r = fpu_xsave(v, &x);
	if (r < 0)
		return r;
	if (x) {
		fpu_from_xsave(out, x);
		free(x);
		return 0;
	}
	/* No XSAVE: what KVM_GET_FPU gives, no MXCSR. */
	if (lvm_ioctl_checked(v->fd, KVM_GET_FPU, (unsigned long)out,
			      "KVM_GET_FPU") < 0)
		return LIBVM_EKVM;
	out->mxcsr = 0;
	out->pad2 = 0;
	return 0;
}

LIBVM_API int libvm_vcpu_set_fpu(libvm_vcpu *v, const libvm_fpu *in)
{
	struct fxsave_legacy fx;
	uint32_t mask;
	uint64_t bv;
	uint8_t *x;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_fpu");
	if (!in)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_fpu: in is NULL");
	r = flush_regs(v);
	if (r < 0)
		return r;
	r = fpu_xsave(v, &x);
	if (r < 0)
		return r;
	if (!x)		/* no XSAVE: what KVM_SET_FPU applies, no MXCSR */
		return lvm_ioctl_checked(v->fd, KVM_SET_FPU, (unsigned long)in,
					 "KVM_SET_FPU") < 0 ? LIBVM_EKVM : 0;
	/* One KVM_SET_XSAVE with the whole legacy region: all or nothing. */
	memcpy(&fx, x, sizeof(fx));
	mask = fx.mxcsr_mask ? fx.mxcsr_mask : 0xffbf;
	if (in->mxcsr & ~mask) {
		free(x);
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_fpu: MXCSR %#x sets "
			       "reserved bits (mask %#x)", in->mxcsr, mask);
	}
	fx.fcw = in->fcw;
	fx.fsw = in->fsw;
	fx.ftw = in->ftwx;
	fx.fop = in->last_opcode;
	fx.fip = in->last_ip;
	fx.fdp = in->last_dp;
	fx.mxcsr = in->mxcsr;
	memcpy(fx.st, in->fpr, sizeof(fx.st));
	memcpy(fx.xmm, in->xmm, sizeof(fx.xmm));
	memcpy(x, &fx, sizeof(fx));
	memcpy(&bv, x + XSAVE_XSTATE_BV, 8);
	bv |= XFEATURE_FP_SSE;
	memcpy(x + XSAVE_XSTATE_BV, &bv, 8);
	r = libvm_vcpu_set_xsave(v, x, v->xsave_size);
	free(x);
	return r;
}

LIBVM_API uint32_t libvm_vcpu_xsave_size(libvm_vcpu *v)
{
	return v ? v->xsave_size : 0;
}

LIBVM_API int libvm_vcpu_get_xsave(void *out, uint32_t size, libvm_vcpu *v)
{
	unsigned long req;

	CHECK_VCPU(v, "libvm_vcpu_get_xsave");
	if (!out || size < v->xsave_size)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_xsave: buffer of %u "
			       "bytes, need %u", out ? size : 0, v->xsave_size);
	if (!(v->vm->caps & LIBVM_HOST_XSAVE))
		return lvm_err(LIBVM_ENOTSUP, "XSAVE: KVM lacks KVM_CAP_XSAVE");
	req = v->xsave_size > sizeof(struct kvm_xsave) ? KVM_GET_XSAVE2
						       : KVM_GET_XSAVE;
	if (lvm_ioctl_raw(v->fd, req, (unsigned long)out) < 0)
		return lvm_err_errno(LIBVM_EKVM, errno, "KVM_GET_XSAVE%s",
				     req == KVM_GET_XSAVE2 ? "2" : "");
	return 0;
}

LIBVM_API int libvm_vcpu_set_xsave(libvm_vcpu *v, const void *buf,
				   uint32_t size)
{
	CHECK_VCPU(v, "libvm_vcpu_set_xsave");
	if (!buf || size < v->xsave_size)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_xsave: buffer of %u "
			       "bytes, need %u", buf ? size : 0, v->xsave_size);
	if (!(v->vm->caps & LIBVM_HOST_XSAVE))
		return lvm_err(LIBVM_ENOTSUP, "XSAVE: KVM lacks KVM_CAP_XSAVE");
	return KVM_IOCTL(v->fd, KVM_SET_XSAVE, buf) < 0 ? LIBVM_EKVM : 0;
}

LIBVM_API int libvm_vcpu_get_xcr(uint64_t *out, libvm_vcpu *v, uint32_t index)
{
	struct kvm_xcrs x;
	uint32_t i;

	CHECK_VCPU(v, "libvm_vcpu_get_xcr");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_xcr: out is NULL");
	if (!(v->vm->caps & LIBVM_HOST_XCRS))
		return lvm_err(LIBVM_ENOTSUP, "XCRs: KVM lacks KVM_CAP_XCRS");
	if (KVM_IOCTL(v->fd, KVM_GET_XCRS, &x) < 0)
		return LIBVM_EKVM;
	for (i = 0; i < x.nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (x.xcrs[i].xcr == index) {
			*out = x.xcrs[i].value;
			return 0;
		}
	return lvm_err(LIBVM_ENOENT, "XCR%u: not reported by KVM", index);
}

LIBVM_API int libvm_vcpu_set_xcr(libvm_vcpu *v, uint32_t index,
				 uint64_t value)
{
	struct kvm_xcrs x;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_xcr");
	if (!(v->vm->caps & LIBVM_HOST_XCRS))
		return lvm_err(LIBVM_ENOTSUP, "XCRs: KVM lacks KVM_CAP_XCRS");
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	v->state_dirty = true;
	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = index;
	x.xcrs[0].value = value;
	return KVM_IOCTL(v->fd, KVM_SET_XCRS, &x) < 0 ? LIBVM_EKVM : 0;
}


LIBVM_API int libvm_vcpu_get_msr(uint64_t *out, libvm_vcpu *v, uint32_t index)
{
	struct lvm_one_msr m;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_msr");
	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_msr: out is NULL");
	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.e.index = index;
	r = KVM_IOCTL(v->fd, KVM_GET_MSRS, &m);
	if (r < 0)
		return r;
	if (r != 1)
		return lvm_err(LIBVM_EINVAL, "KVM_GET_MSRS: MSR %#x is not "
			       "readable", index);
	*out = m.e.data;
	return 0;
}

LIBVM_API int libvm_vcpu_set_msr(libvm_vcpu *v, uint32_t index,
				 uint64_t value)
{
	struct lvm_one_msr m;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_msr");
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	v->state_dirty = true;
	memset(&m, 0, sizeof(m));
	m.nmsrs = 1;
	m.e.index = index;
	m.e.data = value;
	r = KVM_IOCTL(v->fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return r;
	if (r != 1)
		return lvm_err(LIBVM_EINVAL, "KVM_SET_MSRS: MSR %#x refused "
			       "value %#llx", index,
			       (unsigned long long)value);
	return 0;
}

LIBVM_API int libvm_vcpu_get_cpuid(libvm_cpuid_entry *out, uint32_t *count,
				   libvm_vcpu *v)
{
	struct kvm_cpuid2 *c;
	uint32_t cap;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_get_cpuid");
	if (!count || (!out && *count))
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_get_cpuid: NULL "
			       "argument");
	cap = *count < 256 ? 256 : *count;
	c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
	if (!c)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_get_cpuid");
	c->nent = cap;
	r = KVM_IOCTL(v->fd, KVM_GET_CPUID2, c);
	if (r >= 0) {
		if (c->nent > *count) {
			r = lvm_err(LIBVM_ELIMIT, "libvm_vcpu_get_cpuid: %u "
				    "entries, room for %u", c->nent, *count);
		} else {
			memcpy(out, c->entries, c->nent * sizeof(*out));
			r = 0;
		}
		*count = c->nent;
	}
	free(c);
	return r;
}

LIBVM_API int libvm_vcpu_set_cpuid(libvm_vcpu *v,
				   const libvm_cpuid_entry *entries,
				   uint32_t count)
{
	struct kvm_cpuid2 *c;
	int r;

	CHECK_VCPU(v, "libvm_vcpu_set_cpuid");
	if ((!entries && count) || count > 4096)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_cpuid: %u entries",
			       count);
	c = calloc(1, sizeof(*c) + count * sizeof(c->entries[0]) + 1);
	if (!c)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_set_cpuid");
	c->nent = count;
	if (count)
		memcpy(c->entries, entries, count * sizeof(*entries));
	v->state_dirty = true;
	r = KVM_IOCTL(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return r < 0 ? r : 0;
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
