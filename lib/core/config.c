/* SPDX-License-Identifier: MIT */
/*
 * Versioned structs the caller fills in (configs): the version check and
 * the `libvm_<x>_init(ptr, version)` every such struct has, in one place.
 */
#include "../internal.h"

#include <string.h>

int lvm_version_check(uint32_t version, uint32_t current, const char *what)
{
	if (version < 1 || version > current)
		return lvm_err(LIBVM_EVERSION, "%s.version %u: this libvm "
			       "knows 1-%u", what, version, current);
	return 0;
}

int lvm_config_init(void *cfg, const void *defaults, size_t size,
		    uint32_t version, uint32_t current, const char *what)
{
	uint32_t *first = cfg;
	int r;

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "%s_init: cfg is NULL", what);
	r = lvm_version_check(version, current, what);
	if (r < 0)
		return r;
	memcpy(cfg, defaults, size);
	*first = version;	/* every versioned struct starts with it */
	return 0;
}
