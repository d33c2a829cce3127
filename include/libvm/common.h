/* SPDX-License-Identifier: MIT */
/*
 * libvm: version, error texts and the export macro shared by every header.
 */
#ifndef LIBVM_COMMON_H
#define LIBVM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <libvm/errors.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LIBVM_BUILDING) && defined(__GNUC__)
#define LIBVM_API __attribute__((visibility("default")))
#else
#define LIBVM_API
#endif

#define LIBVM_VERSION_MAJOR 1
#define LIBVM_VERSION_MINOR 0
#define LIBVM_VERSION_PATCH 0
#define LIBVM_VERSION_STRING "1.0.0"
/* 0xMMmmpp: compare with >= to test for a minimum version. */
#define LIBVM_VERSION_NUM \
	((LIBVM_VERSION_MAJOR << 16) | (LIBVM_VERSION_MINOR << 8) | \
	 LIBVM_VERSION_PATCH)

/* Version of the library actually loaded (may be newer than the header). */
LIBVM_API const char *libvm_version(void);
LIBVM_API uint32_t libvm_version_num(void);

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
