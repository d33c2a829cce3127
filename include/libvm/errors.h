/* SPDX-License-Identifier: MIT */
/*
 * libvm: error codes.  Plain values, shared by the host API and guest code
 * (<libvm/guest.h>); their texts are libvm_strerror's (<libvm/common.h>).
 */
#ifndef LIBVM_ERRORS_H
#define LIBVM_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every call returns 0 (or a documented non-negative value) on success and
 * one of these negative codes on failure.  Codes are append-only.  Guest
 * code sees them too (an unregistered hypercall returns LIBVM_ENOENT).
 */
enum libvm_error {
	LIBVM_OK = 0,
	LIBVM_EINVAL = -1,	/* bad argument */
	LIBVM_ENOKVM = -2,	/* /dev/kvm missing, unreadable or too old */
	LIBVM_ENOMEM = -3,	/* out of host memory */
	LIBVM_EKVM = -4,	/* a KVM ioctl failed */
	LIBVM_EVERSION = -5,	/* unknown struct version */
	LIBVM_EOVERLAP = -6,	/* range overlaps an existing one */
	LIBVM_ERANGE = -7,	/* address or length outside guest RAM */
	LIBVM_ENOENT = -8,	/* no such region, trap, symbol, ... */
	LIBVM_EBUSY = -9,	/* object in use (running vCPU, handler) */
	LIBVM_ENOTSUP = -10,	/* host or KVM lacks a needed feature */
	LIBVM_EIO = -11,	/* file or system I/O failed */
	LIBVM_EFAULT = -12,	/* guest virtual address not mapped */
	LIBVM_ELIMIT = -13,	/* a fixed limit was reached */
	LIBVM_ESTATE = -14,	/* object in the wrong state for the call */
	LIBVM_EIMAGE = -15,	/* malformed or unusable guest image */
	LIBVM_EGUEST = -16,	/* the guest faulted or stopped in a call */
	LIBVM_ETIMEOUT = -17,	/* a call's time budget ran out */
};

#ifdef __cplusplus
}
#endif
#endif
