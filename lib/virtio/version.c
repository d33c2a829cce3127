/* SPDX-License-Identifier: MIT */
/* The versioned config structs of lib/virtio: checks and defaults. */
#include "vio.h"

#include <string.h>

int vio_check_version(uint32_t version, uint32_t current, const char *name)
{
	if (version < 1 || version > current)
		return lvm_err(LIBVM_EVERSION, "%s.version %u: this libvm knows "
			       "1 to %u", name, version, current);
	return 0;
}

int vio_struct_init(void *cfg, const void *def, size_t size, uint32_t version,
		    uint32_t current, const char *name)
{
	int r;

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "%s_init: NULL", name);
	r = vio_check_version(version, current, name);
	if (r < 0)
		return r;
	memcpy(cfg, def, size);
	memcpy(cfg, &version, sizeof(version));	/* the first field */
	return 0;
}
