/* SPDX-License-Identifier: MIT */
/*
 * libvm: version, error codes and the export macro shared by every header.
 */
#ifndef LIBVM_COMMON_H
#define LIBVM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LIBVM_BUILDING) && defined(__GNUC__)
#define LIBVM_API __attribute__((visibility("default")))
#else
#define LIBVM_API
#endif

#define LIBVM_VERSION_MAJOR 0
#define LIBVM_VERSION_MINOR 1
#define LIBVM_VERSION_PATCH 0
#define LIBVM_VERSION_STRING "0.1.0"
/* 0xMMmmpp: compare with >= to test for a minimum version. */
#define LIBVM_VERSION_NUM \
	((LIBVM_VERSION_MAJOR << 16) | (LIBVM_VERSION_MINOR << 8) | \
	 LIBVM_VERSION_PATCH)

/* Version of the library actually loaded (may be newer than the header). */
LIBVM_API const char *libvm_version(void);
LIBVM_API uint32_t libvm_version_num(void);

/*
 * Every call returns 0 (or a documented non-negative value) on success and
 * one of these negative codes on failure.  Codes are append-only.
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

/* Short text for a LIBVM_E* code; never NULL. */
LIBVM_API const char *libvm_strerror(int code);

/*
 * Detail of the most recent failure on the calling thread: which ioctl,
 * address, file offset or argument failed and why.  Calls that succeed
 * leave it alone; "" before any failure.  Never NULL.
 */
LIBVM_API const char *libvm_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
