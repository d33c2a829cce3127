/* SPDX-License-Identifier: MIT */
/* Error codes, their texts and the per-thread detail message. */
#include "../internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static __thread char detail[512];

LIBVM_API const char *libvm_version(void)
{
	return LIBVM_VERSION_STRING;
}

LIBVM_API uint32_t libvm_version_num(void)
{
	return LIBVM_VERSION_NUM;
}

static const char *const texts[] = {
	[0] = "success",
	[1] = "invalid argument",
	[2] = "KVM is not available",
	[3] = "out of memory",
	[4] = "KVM ioctl failed",
	[5] = "unknown struct version",
	[6] = "range overlaps an existing one",
	[7] = "address outside guest memory",
	[8] = "not found",
	[9] = "busy",
	[10] = "not supported by this host",
	[11] = "I/O error",
	[12] = "guest virtual address not mapped",
	[13] = "limit reached",
	[14] = "wrong state for this call",
	[15] = "malformed guest image",
	[16] = "guest fault",
	[17] = "timed out",
};

LIBVM_API const char *libvm_strerror(int code)
{
	unsigned idx = code <= 0 ? 0u - (unsigned)code : ~0u;

	if (idx < ARRAY_SIZE(texts) && texts[idx])
		return texts[idx];
	return "unknown error";
}

LIBVM_API const char *libvm_last_error(void)
{
	return detail;
}

static void vset(const char *fmt, va_list ap)
{
	vsnprintf(detail, sizeof(detail), fmt, ap);
}

int lvm_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	return code;
}

int lvm_err_errno(int code, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vset(fmt, ap);
	va_end(ap);
	n = strlen(detail);
	if (n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - n, ": %s (errno %d)",
			 strerror(errnum), errnum);
	return code;
}
