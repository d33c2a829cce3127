/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.x, 5.3), one port, no multiport: queue 0
 * (receiveq) carries host input to the guest, queue 1 (transmitq) guest
 * output to the host.  Input: while the guest has receive buffers, the
 * worker watches in_fd and reads straight into one held buffer; with
 * none, it stops watching until the guest adds some.  Built on the
 * public device API only.
 */
#include "vio.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#define RX	0
#define TX	1
#define BATCH	16
/* cols, rows, max_nr_ports, emerg_wr */
#define CFG_SIZE 12u

struct vcons {
	int in_fd, out_fd;
	bool watching, eof;
	libvm_virtq_chain *held;	/* receive buffer waiting for input */
};

static void watch(libvm_virtio_dev *dev, struct vcons *c, bool on)
{
	if (c->in_fd < 0 || c->eof || c->watching == on)
		return;
	if (libvm_virtio_watch_fd(dev, c->in_fd, on) == 0)
		c->watching = on;
}

static void write_all(int fd, const uint8_t *p, uint64_t len)
{
	while (fd >= 0 && len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* output lost, as on a dead terminal */
		p += n;
		len -= (uint64_t)n;
	}
}

static void transmit(libvm_virtio_dev *dev, struct vcons *c)
{
	libvm_virtq_chain *ch;
	libvm_virtq_seg segs[BATCH];
	int n, i;

	while (libvm_virtio_pop(&ch, dev, TX) == 1) {
		while ((n = libvm_virtq_map(ch, LIBVM_VIRTQ_READABLE,
					    UINT64_MAX, segs, BATCH)) > 0)
			for (i = 0; i < n; i++)
				write_all(c->out_fd, segs[i].addr, segs[i].len);
		libvm_virtio_push(dev, ch);
	}
}

/* in_fd is readable: fill the held receive buffer from it. */
static void receive(libvm_virtio_dev *dev, struct vcons *c)
{
	libvm_virtq_seg segs[BATCH];
	struct iovec iov[BATCH];
	ssize_t got;
	int n, i;

	if (!c->held && libvm_virtio_pop(&c->held, dev, RX) != 1) {
		c->held = NULL;
		watch(dev, c, false);	/* until the guest adds buffers */
		return;
	}
	n = libvm_virtq_map(c->held, LIBVM_VIRTQ_WRITABLE, UINT64_MAX, segs,
			    BATCH);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = segs[i].addr;
		iov[i].iov_len = segs[i].len;
	}
	do
		got = n > 0 ? readv(c->in_fd, iov, n) : 0;
	while (got < 0 && errno == EINTR);
	if (got < 0 && errno == EAGAIN)
		return;
	if (got <= 0) {
		watch(dev, c, false);
		c->eof = true;
		return;
	}
	/* The used length is what arrived, not what was mapped. */
	libvm_virtq_seek(c->held, LIBVM_VIRTQ_WRITABLE, (uint64_t)got);
	libvm_virtio_push(dev, c->held);
	c->held = NULL;
	libvm_virtio_notify(dev, RX);
}

static void console_event(libvm_virtio_dev *dev, uint32_t event, uint32_t arg,
			  void *opaque)
{
	struct vcons *c = opaque;

	switch (event) {
	case LIBVM_VIRTIO_EV_QUEUE:
		if (arg == TX)
			transmit(dev, c);
		else
			watch(dev, c, true);	/* buffers for input */
		break;
	case LIBVM_VIRTIO_EV_FD:
		if ((int)arg == c->in_fd)
			receive(dev, c);
		break;
	case LIBVM_VIRTIO_EV_RESET:
		/* A held buffer is stale now: pushing it only frees it. */
		if (c->held)
			libvm_virtio_push(dev, c->held);
		c->held = NULL;
		watch(dev, c, false);
		break;
	default:
		break;
	}
}

static void console_free(void *opaque)
{
	free(opaque);	/* a held chain goes with the device */
}

LVM_VERSIONED(console_config_type, libvm_virtio_console_config,
	      LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION,
	      LIBVM_VIRTIO_CONSOLE_CONFIG_INIT);

LIBVM_API int libvm_virtio_console_config_init(
	libvm_virtio_console_config *cfg, uint32_t version)
{
	return lvm_versioned_init(&console_config_type, cfg, version);
}

LIBVM_API int libvm_virtio_console_create(
	libvm_virtio_dev **out, libvm_vm *vm,
	const libvm_virtio_console_config *cfg)
{
	libvm_virtio_config vc = LIBVM_VIRTIO_CONFIG_INIT;
	uint8_t space[CFG_SIZE] = { 0 };
	libvm_virtio_console_config cc;
	struct vcons *c;
	int r = lvm_versioned_in(&console_config_type, &cc, cfg);

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_console_create: "
			       "NULL config");
	if (r < 0)
		return r;
	cfg = &cc;
	if (cfg->flags || cfg->reserved || cfg->in_fd < -1 || cfg->out_fd < -1)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_console_config: "
			       "flags %#x, in_fd %d, out_fd %d", cfg->flags,
			       cfg->in_fd, cfg->out_fd);
	c = calloc(1, sizeof(*c));
	if (!c)
		return lvm_err(LIBVM_ENOMEM, "virtio-console");
	c->in_fd = cfg->in_fd;
	c->out_fd = cfg->out_fd;
	space[4] = 1;	/* max_nr_ports, read only with MULTIPORT anyway */
	vc.device_id = LIBVM_VIRTIO_ID_CONSOLE;
	vc.num_queues = 2;
	vc.config = space;
	vc.config_size = CFG_SIZE;
	vc.mmio_base = cfg->mmio_base;
	vc.gsi = cfg->gsi;
	vc.event = console_event;
	vc.opaque = c;
	return vio_create(out, vm, &vc, console_free);
}
