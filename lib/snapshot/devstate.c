/* SPDX-License-Identifier: MIT */
/* Device state that travels with snapshots (<libvm/device.h>). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#define PAGE LIBVM_PAGE_SIZE

LIBVM_API int libvm_device_state_register(libvm_vm *vm, const char *name,
					  void *state, uint32_t len,
					  libvm_restored_fn restored,
					  void *opaque)
{
	struct lvm_devstate *d;
	uint32_t i;

	if (!vm || !name || (!state && len))
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_register: NULL "
			       "argument");
	if (!*name || strlen(name) >= sizeof(d->name))
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_register: name "
			       "must be 1-31 bytes");
	for (i = 0; i < vm->ndevs; i++)
		if (!strcmp(vm->devs[i].name, name))
			return lvm_err(LIBVM_EOVERLAP, "device state '%s' is "
				       "already registered", name);
	d = realloc(vm->devs, (vm->ndevs + 1) * sizeof(*d));
	if (!d)
		return lvm_err(LIBVM_ENOMEM, "libvm_device_state_register");
	vm->devs = d;
	d += vm->ndevs++;
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	d->state = state;
	d->len = len;
	d->restored = restored;
	d->opaque = opaque;
	return 0;
}

LIBVM_API int libvm_device_state_unregister(libvm_vm *vm, const char *name)
{
	uint32_t i;

	if (!vm || !name)
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_unregister: "
			       "NULL argument");
	for (i = 0; i < vm->ndevs; i++)
		if (!strcmp(vm->devs[i].name, name)) {
			memmove(&vm->devs[i], &vm->devs[i + 1],
				(vm->ndevs - i - 1) * sizeof(vm->devs[0]));
			vm->ndevs--;
			return 0;
		}
	return lvm_err(LIBVM_ENOENT, "no device state '%s'", name);
}
