/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.x, 5.4): one queue; each chain's writable buffers
 * get bytes from the host's getrandom(), at most RNG_CHUNK a chain (the
 * used length says how many), so no request can keep the worker busy.
 * Built on the public device API only.
 */
#include "vio.h"

#include <errno.h>
#include <sys/random.h>

#define RNG_CHUNK 4096u

static uint64_t fill(uint8_t *buf, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return done;
}

static void rng_event(libvm_virtio_dev *dev, uint32_t event, uint32_t arg,
		      void *opaque)
{
	uint8_t buf[RNG_CHUNK];
	libvm_virtq_chain *c;

	(void)opaque;
	if (event != LIBVM_VIRTIO_EV_QUEUE || arg != 0)
		return;
	while (libvm_virtio_pop(&c, dev, 0) == 1) {
		uint64_t n = libvm_virtq_len(c, LIBVM_VIRTQ_WRITABLE);

		n = fill(buf, n < sizeof(buf) ? n : sizeof(buf));
		libvm_virtq_write(c, buf, n);
		libvm_virtio_push(dev, c);
	}
}

LVM_VERSIONED(rng_config_type, libvm_virtio_rng_config,
	      LIBVM_VIRTIO_RNG_CONFIG_VERSION, LIBVM_VIRTIO_RNG_CONFIG_INIT);

LIBVM_API int libvm_virtio_rng_config_init(libvm_virtio_rng_config *cfg,
					   uint32_t version)
{
	return lvm_versioned_init(&rng_config_type, cfg, version);
}

LIBVM_API int libvm_virtio_rng_create(libvm_virtio_dev **out, libvm_vm *vm,
				      const libvm_virtio_rng_config *cfg)
{
	libvm_virtio_config vc = LIBVM_VIRTIO_CONFIG_INIT;
	libvm_virtio_rng_config rc;
	int r = lvm_versioned_in(&rng_config_type, &rc, cfg);

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_rng_create: NULL "
			       "config");
	if (r < 0)
		return r;
	cfg = &rc;
	if (cfg->flags || cfg->reserved)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_rng_config: flags "
			       "%#x", cfg->flags);
	vc.device_id = LIBVM_VIRTIO_ID_RNG;
	vc.num_queues = 1;
	vc.mmio_base = cfg->mmio_base;
	vc.gsi = cfg->gsi;
	vc.event = rng_event;
	return libvm_virtio_create(out, vm, &vc);
}
