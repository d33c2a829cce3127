/* SPDX-License-Identifier: MIT */
/* FPU, SSE and XSAVE state; extended control registers. */
#include "x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

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
	r = libvm_vcpu_get_xsave(v, x, v->xsave_size);
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
	if (KVM_IOCTL(v->fd, KVM_GET_FPU, out) < 0)
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
	r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	r = fpu_xsave(v, &x);
	if (r < 0)
		return r;
	if (!x)		/* no XSAVE: what KVM_SET_FPU applies, no MXCSR */
		return KVM_IOCTL(v->fd, KVM_SET_FPU, in) < 0 ? LIBVM_EKVM : 0;
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

LIBVM_API int libvm_vcpu_get_xsave(libvm_vcpu *v, void *out, uint32_t size)
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
	return KVM_IOCTL_AS(v->fd, KVM_SET_XSAVE, buf, struct kvm_xsave) < 0 ? LIBVM_EKVM : 0;
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
