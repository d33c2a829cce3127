/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the virtio transport and devices: the register
 * file (lib/virtio/mmio.c), split virtqueues (virtq.c), chains (chain.c)
 * and the blk, rng and console devices, on guest memory the input fills
 * and changes between register writes and device rounds.  No KVM and no
 * threads: this file stands in for lib/virtio/device.c (vio_create and
 * the calls devices make of it) and runs the worker's rounds itself.
 * Input format: fuzz/virtio_fuzz.h.
 */
#define _GNU_SOURCE
#include "virtio/vio.h"
#include "virtio_fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const uint64_t rbase[3] = {
	FZ_MEM_BASE, FZ_MEM_BASE + FZ_REGION, FZ_MEM_BASE + 2 * FZ_REGION,
};
static const uint64_t rsize[3] = { FZ_REGION, FZ_REGION, FZ_RO_SIZE };
static uint8_t *region[3];

static libvm_virtio_dev *dev;
static uint32_t kicked;
static int watching, disk_fd = -1, in_pipe[2] = { -1, -1 }, null_fd = -1;

static void *fz_map(void *ctx, uint64_t gpa, uint64_t *len, bool write)
{
	int i;

	(void)ctx;
	for (i = 0; i < 3; i++) {
		if (gpa < rbase[i] || gpa - rbase[i] >= rsize[i])
			continue;
		if (write && i == 2)
			return NULL;
		if (*len > rsize[i] - (gpa - rbase[i]))
			*len = rsize[i] - (gpa - rbase[i]);
		return region[i] + (gpa - rbase[i]);
	}
	return NULL;
}

static void fz_irq(libvm_virtio_dev *d)
{
	d->st.interrupts++;
}

static void fz_kick(libvm_virtio_dev *d, uint32_t q)
{
	(void)d;
	kicked |= 1u << q;
}

static void fz_post(libvm_virtio_dev *d)
{
	(void)d;	/* dev->pending is read by FZ_OP_RUN */
}

static const struct vio_hooks hooks = { fz_irq, fz_kick, fz_post };
static const struct vio_mem mem = { fz_map, NULL };

/* ---- what lib/virtio/device.c gives the devices ---------------------- */

int vio_create(libvm_virtio_dev **out, libvm_vm *vm,
	       const libvm_virtio_config *cfg, void (*cleanup)(void *))
{
	int r = vio_check_config(cfg);

	(void)vm;
	*out = NULL;
	if (r < 0 || !(dev = calloc(1, sizeof(*dev)))) {
		if (cleanup)
			cleanup(cfg->opaque);
		return r < 0 ? r : LIBVM_ENOMEM;
	}
	r = vio_dev_init(dev, cfg, &mem, &hooks);
	if (r < 0) {
		free(dev);
		dev = NULL;
		if (cleanup)
			cleanup(cfg->opaque);
		return r;
	}
	dev->cleanup = cleanup;
	*out = dev;
	return 0;
}

LIBVM_API int libvm_virtio_create(libvm_virtio_dev **out, libvm_vm *vm,
				  const libvm_virtio_config *cfg)
{
	return vio_create(out, vm, cfg, NULL);
}

LIBVM_API int libvm_virtio_watch_fd(libvm_virtio_dev *d, int fd, int on)
{
	(void)d, (void)fd;
	watching = on;
	return 0;
}

static void destroy(void)
{
	if (!dev)
		return;
	if (dev->cleanup)
		dev->cleanup(dev->cfg.opaque);
	vio_dev_fini(dev);
	free(dev);
	dev = NULL;
}

/* ---- the input ----------------------------------------------------------- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes; i++) {
		if (in->n) {
			v |= (uint64_t)*in->p << (8 * i);
			in->p++;
			in->n--;
		}
	}
	return v;
}

static void reg_write(uint64_t off, uint32_t size, uint64_t v)
{
	vio_mmio_access(dev, off, &v, size, true);
}

static uint32_t reg_read(uint64_t off)
{
	uint32_t v = 0;

	vio_mmio_access(dev, off, &v, 4, false);
	return v;
}

/* A well-behaved driver's start, so inputs reach the queues easily. */
static void driver_init(uint32_t feat, uint32_t lognum)
{
	uint64_t f = LIBVM_VIRTIO_F_VERSION_1;
	uint32_t q, num = 1u << (lognum % 6);

	if (feat & 1)
		f |= LIBVM_VIRTIO_F_EVENT_IDX;
	if (feat & 2)
		f |= LIBVM_VIRTIO_F_INDIRECT_DESC;
	reg_write(0x70, 4, 0);
	reg_write(0x70, 4, 3);
	reg_write(0x24, 4, 0);
	reg_write(0x20, 4, (uint32_t)f);
	reg_write(0x24, 4, 1);
	reg_write(0x20, 4, (uint32_t)(f >> 32));
	reg_write(0x70, 4, 11);
	for (q = 0; q < dev->cfg.num_queues; q++) {
		reg_write(0x30, 4, q);
		reg_write(0x38, 4, num);
		reg_write(0x80, 4, FZ_Q_DESC(q));
		reg_write(0x90, 4, FZ_Q_AVAIL(q));
		reg_write(0xa0, 4, FZ_Q_USED(q));
		reg_write(0x44, 4, 1);
	}
	reg_write(0x70, 4, 15);
}

static void run_round(void)
{
	uint32_t pending = atomic_exchange(&dev->pending, 0) | kicked;

	kicked = 0;
	vio_dispatch(dev, pending);
}

static void console_input(struct in *in)
{
	uint8_t buf[256];
	size_t n = take(in, 1);

	if (n > in->n)
		n = in->n;
	memcpy(buf, in->p, n);
	in->p += n;
	in->n -= n;
	if (n && write(in_pipe[1], buf, n) < 0)
		return;
	if (watching)
		dev->cfg.event(dev, LIBVM_VIRTIO_EV_FD, (uint32_t)in_pipe[0],
			       dev->cfg.opaque);
}

static void op(struct in *in)
{
	uint64_t off, v, n;

	switch (take(in, 1) % FZ_NOPS) {
	case FZ_OP_WRITE:
		off = take(in, 2) % LIBVM_VIRTIO_MMIO_SIZE;
		n = 1u << (take(in, 1) % 4);
		v = take(in, 8);
		reg_write(off, (uint32_t)n, v);
		break;
	case FZ_OP_READ:
		off = take(in, 2) % LIBVM_VIRTIO_MMIO_SIZE;
		n = 1u << (take(in, 1) % 4);
		v = 0;
		vio_mmio_access(dev, off, &v, (uint32_t)n, false);
		break;
	case FZ_OP_RUN:
		run_round();
		break;
	case FZ_OP_POKE:
		off = take(in, 2) % (2 * FZ_REGION);
		n = take(in, 1);
		while (n-- && in->n) {
			uint8_t b = (uint8_t)take(in, 1);
			uint64_t one = 1;
			uint8_t *p = fz_map(NULL, FZ_MEM_BASE + off, &one, true);

			if (p)
				*p = b;
			off = (off + 1) % (2 * FZ_REGION);
		}
		break;
	case FZ_OP_INPUT:
		if (dev->cfg.device_id == LIBVM_VIRTIO_ID_CONSOLE)
			console_input(in);
		break;
	case FZ_OP_INIT:
		v = take(in, 1);
		driver_init((uint32_t)v, (uint32_t)take(in, 1));
		break;
	}
}

static int make_device(uint32_t kind, uint32_t logq)
{
	libvm_virtio_blk_config b = LIBVM_VIRTIO_BLK_CONFIG_INIT;
	libvm_virtio_console_config c = LIBVM_VIRTIO_CONSOLE_CONFIG_INIT;
	libvm_virtio_rng_config r = LIBVM_VIRTIO_RNG_CONFIG_INIT;
	libvm_virtio_dev *d;
	char path[64];

	switch (kind % 4) {
	case FZ_BLK:
	case FZ_BLK_RO:
		/* A fresh all-zero disk for every input. */
		if (ftruncate(disk_fd, 0) || ftruncate(disk_fd, FZ_DISK))
			return -1;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
		b.path = path;
		b.serial = "fuzz";
		b.queue_size = 4u << (logq % 7);
		if (kind % 4 == FZ_BLK_RO)
			b.flags = LIBVM_VIRTIO_BLK_READONLY;
		return libvm_virtio_blk_create(&d, NULL, &b);
	case FZ_RNG:
		return libvm_virtio_rng_create(&d, NULL, &r);
	default:
		if (pipe2(in_pipe, O_CLOEXEC | O_NONBLOCK))
			return -1;
		c.in_fd = in_pipe[0];
		c.out_fd = null_fd;
		return libvm_virtio_console_create(&d, NULL, &c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	uint32_t kind, logq;
	size_t len;
	int i;

	if (disk_fd < 0) {
		disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		for (i = 0; i < 3; i++)
			region[i] = malloc(rsize[i]);
	}
	kind = (uint32_t)take(&in, 1);
	logq = (uint32_t)take(&in, 1);
	len = take(&in, 2);
	for (i = 0; i < 3; i++)
		memset(region[i], 0, rsize[i]);
	for (i = 0; i < 3 && len && in.n; i++) {
		size_t n = len < rsize[i] ? len : rsize[i];

		if (n > in.n)
			n = in.n;
		memcpy(region[i], in.p, n);
		in.p += n;
		in.n -= n;
		len -= n;
	}
	watching = 0;
	kicked = 0;
	if (make_device(kind, logq) == 0) {
		while (in.n)
			op(&in);
		destroy();
	}
	for (i = 0; i < 2; i++)
		if (in_pipe[i] >= 0) {
			close(in_pipe[i]);
			in_pipe[i] = -1;
		}
	return 0;
}
