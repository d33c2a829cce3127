/* SPDX-License-Identifier: MIT */
/*
 * Putting virtio-mmio devices on a platform (<libvm/platform.h>): a
 * register window and an interrupt line from the platform's allocators,
 * and a DSDT device with _HID "LNRO0005" (Memory32Fixed + Interrupt) so a
 * stock Linux finds the device with no kernel options, as on QEMU's
 * microvm.  The interrupt is an edge, active high: what an irqfd gives.
 * Public API only.
 */
#include "vio.h"

#define VIRTIO_MMIO_HID "LNRO0005"

LIBVM_API int libvm_virtio_alloc(libvm_platform *plat, uint64_t *mmio_base,
				 uint32_t *gsi)
{
	uint64_t base;
	uint32_t line;
	int r;

	if (!plat || !mmio_base || !gsi)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_alloc: NULL "
			       "argument");
	r = libvm_platform_alloc_mmio(plat, LIBVM_VIRTIO_MMIO_SIZE, &base);
	if (r < 0)
		return r;
	r = libvm_platform_alloc_gsi(plat, &line);
	if (r < 0)
		return r;
	*mmio_base = base;
	*gsi = line;
	return 0;
}

LIBVM_API int libvm_virtio_announce(libvm_virtio_dev *dev,
				    libvm_platform *plat)
{
	if (!dev || !plat)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_announce: NULL "
			       "argument");
	return libvm_platform_acpi_device(plat, VIRTIO_MMIO_HID,
					  dev->cfg.mmio_base,
					  LIBVM_VIRTIO_MMIO_SIZE,
					  dev->cfg.gsi == LIBVM_VIRTIO_NO_GSI ?
					  UINT32_MAX : dev->cfg.gsi, 0);
}
