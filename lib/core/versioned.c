/* SPDX-License-Identifier: MIT */
/*
 * Versioned structs: each starts with its uint32_t version, each version
 * appends fields, and the library accepts every version from 1 to its own,
 * reading (or writing) only as many bytes as that version has.
 */
#include "../internal.h"

#include <string.h>

static int check_version(const struct lvm_versioned *t, uint32_t version)
{
	if (version < 1 || version > t->current)
		return lvm_err(LIBVM_EVERSION, "%s.version %u: this libvm "
			       "knows 1 to %u", t->name, version, t->current);
	return 0;
}

int lvm_versioned_in(const struct lvm_versioned *t, void *dst,
		     const void *src)
{
	uint32_t version;
	int r;

	memcpy(dst, t->defaults, t->sizes[t->current - 1]);
	if (!src)
		return 0;
	memcpy(&version, src, sizeof(version));
	r = check_version(t, version);
	if (r < 0)
		return r;
	memcpy(dst, src, t->sizes[version - 1]);
	return 0;
}

int lvm_versioned_init(const struct lvm_versioned *t, void *dst,
		       uint32_t version)
{
	int r;

	if (!dst)
		return lvm_err(LIBVM_EINVAL, "%s_init: NULL argument", t->name);
	r = check_version(t, version);
	if (r < 0)
		return r;
	memcpy(dst, t->defaults, t->sizes[version - 1]);
	memcpy(dst, &version, sizeof(version));
	return 0;
}

int lvm_versioned_out(const struct lvm_versioned *t, void *dst,
		      const void *src)
{
	uint32_t version;
	int r;

	memcpy(&version, dst, sizeof(version));
	r = check_version(t, version);
	if (r < 0)
		return r;
	memcpy((char *)dst + sizeof(version),
	       (const char *)src + sizeof(version),
	       t->sizes[version - 1] - sizeof(version));
	return 0;
}
