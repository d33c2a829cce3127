/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio register file (virtio 1.x, 4.2.2, version 2) and the
 * device calls that work on transport state: status, features, queues,
 * config space, interrupts, and the worker's dispatch of events.  No KVM
 * and no threads here (device.c binds a device to a VM), so the fuzz
 * target drives this file directly.
 */
#include "vio.h"

#include <stdlib.h>
#include <string.h>

/* Register offsets. */
#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_VENDOR_ID	0x00c
#define R_DEV_FEATURES	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEATURES	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX	0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_INT_STATUS	0x060
#define R_INT_ACK	0x064
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4
#define R_SHM_LEN_LO	0x0b0
#define R_SHM_BASE_HI	0x0bc
#define R_CONFIG_GEN	0x0fc
#define R_CONFIG	0x100

#define VIO_VENDOR	0x4d564c	/* "LVM" */
#define ISR_USED	1u
#define ISR_CONFIG	2u
#define VIO_QUEUE_DEFAULT 256u
/* Feature bits that are the device's own (virtio 1.x, 6). */
#define VIO_DEVICE_BITS	(0xffffffull | (0x3fffull << 50))
#define VIO_OFFERED	(LIBVM_VIRTIO_F_VERSION_1 | \
			 LIBVM_VIRTIO_F_INDIRECT_DESC | \
			 LIBVM_VIRTIO_F_EVENT_IDX)

/* What a register access leaves to do once the lock is dropped. */
struct after {
	bool irq, post;
	int kick;	/* queue, or -1 */
};

int vio_check_config(const libvm_virtio_config *cfg)
{
	uint32_t qs;

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "virtio device: config is NULL");
	qs = cfg->queue_size ? cfg->queue_size : VIO_QUEUE_DEFAULT;
	if ((cfg->flags & ~LIBVM_VIRTIO_TRAP_NOTIFY) || !cfg->device_id ||
	    !cfg->num_queues || cfg->num_queues > LIBVM_VIRTIO_MAX_QUEUES ||
	    qs > LIBVM_VIRTIO_QUEUE_MAX || (qs & (qs - 1)) ||
	    cfg->config_size > LIBVM_VIRTIO_CONFIG_MAX || !cfg->event ||
	    (cfg->mmio_base & 3) || cfg->reserved ||
	    cfg->mmio_base + LIBVM_VIRTIO_MMIO_SIZE < cfg->mmio_base ||
	    (cfg->features & ~VIO_DEVICE_BITS) ||
	    (cfg->gsi != LIBVM_VIRTIO_NO_GSI && cfg->gsi >= 24))
		return lvm_err(LIBVM_EINVAL, "virtio device: flags %#x, id %u, "
			       "%u queues of %u (1-%u, a power of 2 <= %u), "
			       "config %u bytes (<= %u), features %#llx, "
			       "base %#llx, GSI %u, event %s", cfg->flags,
			       cfg->device_id, cfg->num_queues, qs,
			       LIBVM_VIRTIO_MAX_QUEUES, LIBVM_VIRTIO_QUEUE_MAX,
			       cfg->config_size, LIBVM_VIRTIO_CONFIG_MAX,
			       (unsigned long long)cfg->features,
			       (unsigned long long)cfg->mmio_base, cfg->gsi,
			       cfg->event ? "set" : "NULL");
	return 0;
}

int vio_dev_init(libvm_virtio_dev *dev, const libvm_virtio_config *cfg,
		 const struct vio_mem *mem, const struct vio_hooks *hooks)
{
	uint32_t qs = cfg->queue_size ? cfg->queue_size : VIO_QUEUE_DEFAULT;
	uint32_t i;

	if (pthread_mutex_init(&dev->lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "virtio device lock");
	dev->cfg = *cfg;
	dev->cfg.queue_size = qs;
	dev->cfg.config = NULL;
	dev->mem = *mem;
	dev->hooks = hooks;
	dev->dev_features = cfg->features | VIO_OFFERED;
	dev->next_gen = 1;
	dev->st.version = LIBVM_VIRTIO_STATS_VERSION;
	if (cfg->config && cfg->config_size)
		memcpy(dev->config, cfg->config, cfg->config_size);
	for (i = 0; i < cfg->num_queues; i++) {
		dev->vq[i].num_max = qs;
		vq_reset(&dev->vq[i]);
		dev->vq[i].scratch = calloc(2 * (size_t)qs,
					    sizeof(struct vseg));
		if (!dev->vq[i].scratch) {
			vio_dev_fini(dev);
			return lvm_err(LIBVM_ENOMEM, "virtio queue %u", i);
		}
	}
	return 0;
}

void vio_dev_fini(libvm_virtio_dev *dev)
{
	uint32_t i;

	while (dev->live) {
		libvm_virtq_chain *c = dev->live;

		dev->live = c->next;
		free(c);
	}
	for (i = 0; i < LIBVM_VIRTIO_MAX_QUEUES; i++) {
		free(dev->vq[i].scratch);
		dev->vq[i].scratch = NULL;
	}
	pthread_mutex_destroy(&dev->lock);
}

static void count(uint64_t *ctr)
{
	__atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}

static void pend(libvm_virtio_dev *dev, uint32_t bits, struct after *a)
{
	atomic_fetch_or(&dev->pending, bits);
	a->post = true;
}

/*
 * The driver broke the device: stop it until a reset (virtio 1.x, 2.1.2:
 * DEVICE_NEEDS_RESET, and a configuration change notification once the
 * driver is running).
 */
static void broken(libvm_virtio_dev *dev, const char *why, struct after *a)
{
	if (dev->status & LIBVM_VIRTIO_S_NEEDS_RESET)
		return;
	dev->status |= LIBVM_VIRTIO_S_NEEDS_RESET;
	dev->broken_why = why;
	count(&dev->st.needs_reset);
	if (dev->status & LIBVM_VIRTIO_S_DRIVER_OK) {
		dev->isr |= ISR_CONFIG;
		a->irq = true;
	}
	pend(dev, VIO_PEND_BROKEN, a);
}

static void finish(libvm_virtio_dev *dev, const struct after *a)
{
	if (a->irq)
		dev->hooks->irq(dev);
	if (a->kick >= 0)
		dev->hooks->kick(dev, (uint32_t)a->kick);
	if (a->post)
		dev->hooks->post(dev);
}

static bool running(const libvm_virtio_dev *dev)
{
	uint32_t need = LIBVM_VIRTIO_S_DRIVER_OK | LIBVM_VIRTIO_S_FEATURES_OK;

	return (dev->status & need) == need &&
	       !(dev->status & LIBVM_VIRTIO_S_NEEDS_RESET);
}

static struct vq *sel_queue(libvm_virtio_dev *dev)
{
	return dev->qsel < dev->cfg.num_queues ? &dev->vq[dev->qsel] : NULL;
}

static void reset(libvm_virtio_dev *dev, struct after *a)
{
	uint32_t i;

	for (i = 0; i < dev->cfg.num_queues; i++)
		vq_reset(&dev->vq[i]);
	dev->status = dev->isr = 0;
	dev->drv_features = 0;
	dev->dfsel = dev->drvsel = dev->qsel = 0;
	dev->broken_why = NULL;
	atomic_fetch_and(&dev->pending, ~VIO_PEND_BROKEN);
	pend(dev, VIO_PEND_RESET, a);
}

static bool features_ok(const libvm_virtio_dev *dev)
{
	return !(dev->drv_features & ~dev->dev_features) &&
	       (dev->drv_features & LIBVM_VIRTIO_F_VERSION_1);
}

static void write_status(libvm_virtio_dev *dev, uint32_t v, struct after *a)
{
	uint32_t s, i, queues = 0;

	if (!v) {
		reset(dev, a);
		return;
	}
	/* NEEDS_RESET is the device's to set; the driver cannot clear it. */
	s = (v & 0xff & ~LIBVM_VIRTIO_S_NEEDS_RESET) |
	    (dev->status & LIBVM_VIRTIO_S_NEEDS_RESET);
	if ((s & LIBVM_VIRTIO_S_FEATURES_OK) &&
	    !(dev->status & LIBVM_VIRTIO_S_FEATURES_OK) && !features_ok(dev))
		s &= ~LIBVM_VIRTIO_S_FEATURES_OK;
	if ((s & LIBVM_VIRTIO_S_DRIVER_OK) &&
	    !(dev->status & LIBVM_VIRTIO_S_DRIVER_OK)) {
		dev->status = s;
		if (!running(dev))
			return;
		/* Buffers added before DRIVER_OK are looked at now. */
		for (i = 0; i < dev->cfg.num_queues; i++)
			if (dev->vq[i].ready)
				queues |= 1u << i;
		pend(dev, VIO_PEND_READY | queues, a);
		return;
	}
	dev->status = s;
}

static void queue_ready(libvm_virtio_dev *dev, uint32_t v, struct after *a)
{
	struct vq *q = sel_queue(dev);
	int r;

	if (!q) {
		broken(dev, "queue select out of range", a);
		return;
	}
	if (!v) {
		vq_reset(q);
		return;
	}
	if (q->ready)
		return;
	q->event_idx = dev->drv_features & LIBVM_VIRTIO_F_EVENT_IDX;
	q->indirect = dev->drv_features & LIBVM_VIRTIO_F_INDIRECT_DESC;
	r = vq_enable(q, &dev->mem, dev->next_gen++);
	if (r < 0)
		broken(dev, "queue size or ring address out of range", a);
}

/* A queue address register: low or high half of desc, avail or used. */
static void queue_addr(libvm_virtio_dev *dev, uint64_t off, uint32_t v)
{
	struct vq *q = sel_queue(dev);
	uint64_t *p;
	unsigned shift = (off & 4) ? 32 : 0;

	if (!q || q->ready)
		return;
	p = off < R_AVAIL_LO ? &q->desc : off < R_USED_LO ? &q->avail
							: &q->used;
	*p = (*p & ~(0xffffffffull << shift)) | ((uint64_t)v << shift);
}

static void reg_write(libvm_virtio_dev *dev, uint64_t off, uint32_t v,
		      struct after *a)
{
	struct vq *q;
	unsigned shift;

	switch (off) {
	case R_DEV_FEAT_SEL:
		dev->dfsel = v;
		break;
	case R_DRV_FEATURES:
		if ((dev->status & LIBVM_VIRTIO_S_FEATURES_OK) ||
		    dev->drvsel > 1)
			break;
		shift = dev->drvsel ? 32 : 0;
		dev->drv_features = (dev->drv_features &
				     ~(0xffffffffull << shift)) |
				    ((uint64_t)v << shift);
		break;
	case R_DRV_FEAT_SEL:
		dev->drvsel = v;
		break;
	case R_QUEUE_SEL:
		dev->qsel = v;
		break;
	case R_QUEUE_NUM:
		q = sel_queue(dev);
		if (q && !q->ready)
			q->num = v;	/* checked when the queue is enabled */
		break;
	case R_QUEUE_READY:
		queue_ready(dev, v, a);
		break;
	case R_QUEUE_NOTIFY:
		if (v < dev->cfg.num_queues)
			a->kick = (int)v;
		break;
	case R_INT_ACK:
		dev->isr &= ~v;
		break;
	case R_STATUS:
		write_status(dev, v, a);
		break;
	case R_DESC_LO: case R_DESC_HI: case R_AVAIL_LO: case R_AVAIL_HI:
	case R_USED_LO: case R_USED_HI:
		queue_addr(dev, off, v);
		break;
	default:	/* read-only or unknown: ignored */
		break;
	}
}

static uint32_t reg_read(libvm_virtio_dev *dev, uint64_t off)
{
	struct vq *q = sel_queue(dev);

	switch (off) {
	case R_MAGIC:
		return LIBVM_VIRTIO_MMIO_MAGIC;
	case R_VERSION:
		return LIBVM_VIRTIO_MMIO_VERSION;
	case R_DEVICE_ID:
		return dev->cfg.device_id;
	case R_VENDOR_ID:
		return VIO_VENDOR;
	case R_DEV_FEATURES:
		return dev->dfsel > 1 ? 0 :
		       (uint32_t)(dev->dev_features >> (32 * dev->dfsel));
	case R_QUEUE_NUM_MAX:
		return q ? q->num_max : 0;
	case R_QUEUE_READY:
		return q ? q->ready : 0;
	case R_INT_STATUS:
		return dev->isr;
	case R_STATUS:
		return dev->status;
	case R_CONFIG_GEN:
		return dev->config_gen;
	default:	/* no shared memory regions: their length is ~0 */
		return off >= R_SHM_LEN_LO && off <= R_SHM_BASE_HI ?
		       0xffffffffu : 0;
	}
}

static void config_access(libvm_virtio_dev *dev, uint64_t off, void *data,
			  uint32_t size, bool write, struct after *a)
{
	if (off + size > dev->cfg.config_size) {
		if (!write)
			memset(data, 0, size);
		return;
	}
	if (!write) {
		memcpy(data, dev->config + off, size);
		return;
	}
	memcpy(dev->config + off, data, size);
	pend(dev, VIO_PEND_CONFIG, a);
}

void vio_mmio_access(libvm_virtio_dev *dev, uint64_t off, void *data,
		     uint32_t size, bool write)
{
	struct after a = { .kick = -1 };
	uint32_t v;

	count(&dev->st.mmio_exits);
	pthread_mutex_lock(&dev->lock);
	if (off >= LIBVM_VIRTIO_MMIO_SIZE || size > 8) {
		if (!write)
			memset(data, 0, size);
	} else if (off >= R_CONFIG) {
		config_access(dev, off - R_CONFIG, data, size, write, &a);
	} else if (size != 4 || (off & 3)) {
		/* Registers are 32-bit: anything else reads 0, writes nothing */
		if (!write)
			memset(data, 0, size);
	} else if (write) {
		memcpy(&v, data, 4);
		reg_write(dev, off, v, &a);
	} else {
		v = reg_read(dev, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&dev->lock);
	finish(dev, &a);
}

/* ---- the device side ------------------------------------------------- */

static void live_add(libvm_virtio_dev *dev, libvm_virtq_chain *c)
{
	c->prev = NULL;
	c->next = dev->live;
	if (dev->live)
		dev->live->prev = c;
	dev->live = c;
}

static void live_del(libvm_virtio_dev *dev, libvm_virtq_chain *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		dev->live = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

LIBVM_API int libvm_virtio_pop(libvm_virtq_chain **out, libvm_virtio_dev *dev,
			       uint32_t queue)
{
	struct after a = { .kick = -1 };
	libvm_virtq_chain *c = NULL;
	int r;

	if (!out || !dev)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_pop: NULL argument");
	*out = NULL;
	pthread_mutex_lock(&dev->lock);
	if (queue >= dev->cfg.num_queues || !dev->vq[queue].ready ||
	    !running(dev)) {
		r = (dev->status & LIBVM_VIRTIO_S_NEEDS_RESET) ? LIBVM_EGUEST
							      : LIBVM_ESTATE;
		pthread_mutex_unlock(&dev->lock);
		return lvm_err(r, "libvm_virtio_pop: queue %u is not running",
			       queue);
	}
	r = vq_pop(&dev->vq[queue], &dev->mem, queue, &c);
	if (r > 0) {
		live_add(dev, c);
		count(&dev->st.chains);
		*out = c;
	} else if (r < 0) {
		broken(dev, vq_err_name((enum vq_err)-r), &a);
	}
	pthread_mutex_unlock(&dev->lock);
	finish(dev, &a);
	if (r < 0)
		return lvm_err(LIBVM_EGUEST, "virtio device %u queue %u: %s",
			       dev->cfg.device_id, queue,
			       vq_err_name((enum vq_err)-r));
	return r;
}

LIBVM_API int libvm_virtio_push(libvm_virtio_dev *dev, libvm_virtq_chain *c)
{
	struct after a = { .kick = -1 };
	struct vq *q;
	int r = 0;

	if (!dev || !c)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_push: NULL argument");
	pthread_mutex_lock(&dev->lock);
	live_del(dev, c);
	q = &dev->vq[c->queue];
	if (q->ready && q->gen == c->gen && running(dev)) {
		r = vq_push(q, &dev->mem, c);
		if (r < 0)
			broken(dev, vq_err_name((enum vq_err)-r), &a);
	}
	pthread_mutex_unlock(&dev->lock);
	free(c);
	finish(dev, &a);
	return r < 0 ? lvm_err(LIBVM_EGUEST, "libvm_virtio_push: %s",
			       vq_err_name((enum vq_err)-r)) : 0;
}

LIBVM_API int libvm_virtio_notify(libvm_virtio_dev *dev, uint32_t queue)
{
	struct after a = { .kick = -1 };

	if (!dev || queue >= dev->cfg.num_queues)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_notify: queue %u",
			       queue);
	pthread_mutex_lock(&dev->lock);
	if (dev->vq[queue].ready && running(dev) &&
	    vq_want_irq(&dev->vq[queue], &dev->mem)) {
		dev->isr |= ISR_USED;
		a.irq = true;
	}
	pthread_mutex_unlock(&dev->lock);
	finish(dev, &a);
	return 0;
}

static int config_range(const libvm_virtio_dev *dev, uint32_t off,
			const void *buf, uint32_t len, const char *fn)
{
	if (!dev || (!buf && len) || off > dev->cfg.config_size ||
	    len > dev->cfg.config_size - off)
		return lvm_err(LIBVM_EINVAL, "%s: %u bytes at %u (config space "
			       "%u)", fn, len, off,
			       dev ? dev->cfg.config_size : 0);
	return 0;
}

LIBVM_API int libvm_virtio_config_read(libvm_virtio_dev *dev, uint32_t off,
				       void *dst, uint32_t len)
{
	int r = config_range(dev, off, dst, len, "libvm_virtio_config_read");

	if (r < 0)
		return r;
	pthread_mutex_lock(&dev->lock);
	memcpy(dst, dev->config + off, len);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

LIBVM_API int libvm_virtio_config_write(libvm_virtio_dev *dev, uint32_t off,
					const void *src, uint32_t len)
{
	struct after a = { .kick = -1 };
	int r = config_range(dev, off, src, len, "libvm_virtio_config_write");

	if (r < 0)
		return r;
	pthread_mutex_lock(&dev->lock);
	memcpy(dev->config + off, src, len);
	dev->config_gen++;
	if (dev->status & LIBVM_VIRTIO_S_DRIVER_OK) {
		dev->isr |= ISR_CONFIG;
		a.irq = true;
	}
	pthread_mutex_unlock(&dev->lock);
	finish(dev, &a);
	return 0;
}

LIBVM_API uint64_t libvm_virtio_features(const libvm_virtio_dev *dev)
{
	libvm_virtio_dev *d = (libvm_virtio_dev *)(uintptr_t)dev;
	uint64_t f = 0;

	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (d->status & LIBVM_VIRTIO_S_FEATURES_OK)
		f = d->drv_features;
	pthread_mutex_unlock(&d->lock);
	return f;
}

LIBVM_API uint32_t libvm_virtio_status(const libvm_virtio_dev *dev)
{
	return dev ? __atomic_load_n(&dev->status, __ATOMIC_RELAXED) : 0;
}

LIBVM_API int libvm_virtio_stats_get(const libvm_virtio_dev *dev,
				     libvm_virtio_stats *out)
{
	if (!dev || !out)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_stats_get: NULL "
			       "argument");
	if (out->version < 1 || out->version > LIBVM_VIRTIO_STATS_VERSION)
		return lvm_err(LIBVM_EVERSION, "libvm_virtio_stats.version %u: "
			       "this libvm knows 1", out->version);
	out->mmio_exits = __atomic_load_n(&dev->st.mmio_exits,
					  __ATOMIC_RELAXED);
	out->kicks = __atomic_load_n(&dev->st.kicks, __ATOMIC_RELAXED);
	out->chains = __atomic_load_n(&dev->st.chains, __ATOMIC_RELAXED);
	out->interrupts = __atomic_load_n(&dev->st.interrupts,
					  __ATOMIC_RELAXED);
	out->needs_reset = __atomic_load_n(&dev->st.needs_reset,
					   __ATOMIC_RELAXED);
	return 0;
}

/* Whether queue q may be handed to the device now. */
static bool queue_runs(libvm_virtio_dev *dev, uint32_t q)
{
	bool r;

	pthread_mutex_lock(&dev->lock);
	r = dev->vq[q].ready && running(dev);
	pthread_mutex_unlock(&dev->lock);
	return r;
}

void vio_dispatch(libvm_virtio_dev *dev, uint32_t pending)
{
	libvm_virtio_event_fn ev = dev->cfg.event;
	void *op = dev->cfg.opaque;
	uint32_t q;

	if (pending & VIO_PEND_RESET)
		ev(dev, LIBVM_VIRTIO_EV_RESET, 0, op);
	if (pending & VIO_PEND_BROKEN)
		ev(dev, LIBVM_VIRTIO_EV_RESET, 1, op);
	if (pending & VIO_PEND_READY)
		ev(dev, LIBVM_VIRTIO_EV_READY, 0, op);
	if (pending & VIO_PEND_CONFIG)
		ev(dev, LIBVM_VIRTIO_EV_CONFIG, 0, op);
	for (q = 0; q < dev->cfg.num_queues; q++) {
		if (!(pending & (1u << q)) || !queue_runs(dev, q))
			continue;
		ev(dev, LIBVM_VIRTIO_EV_QUEUE, q, op);
		libvm_virtio_notify(dev, q);
	}
}
