/* SPDX-License-Identifier: MIT */
/*
 * libvm's virtio layer, inside.  Design notes:
 *
 * - Transport: virtio-mmio (version 2, modern), not virtio-pci.  A device
 *   is one MMIO range in the trap registry that every user has, and one
 *   ACPI device (_HID "LNRO0005", _CRS memory + interrupt) tells Linux
 *   where it is; that is how QEMU's microvm announces its devices, and
 *   Debian's stock kernel binds them with no options (virtio_mmio has an
 *   ACPI match table; the kernel lacks the command-line way).  virtio-pci
 *   would need a PCI host bridge, config space, BARs and MSI-X routing
 *   for the same three devices, and PCI probing costs boot time.  The
 *   repo's own guest driver finds a device by reading the magic value at
 *   an address the host tells it, as the transport defines.
 *
 * - Layers: the split virtqueue (virtq.c) and the register file
 *   (mmio.c) see guest memory only through struct vio_mem and tell the
 *   outside world only through struct vio_hooks, so the fuzz target runs
 *   them on a plain buffer with no KVM and no threads.  device.c binds
 *   them to a VM: the trap, the ioeventfds and irqfd of the core, the
 *   worker thread.  blk.c, console.c and rng.c use only the public API.
 *
 * - Threads: one worker per device (device.c).  It sleeps in epoll on the
 *   queues' ioeventfds, a wake eventfd and the fds the device watches,
 *   and runs every callback of the device.  vCPU threads only run the
 *   register handler, which never blocks on the worker: a reset bumps
 *   the queues' generations under the device lock and queues the event.
 *
 * - Guest-proof: every guest address goes through vio_mem.map, which
 *   returns host memory only inside one RAM region (and marks it dirty
 *   for snapshots when written).  A chain is read once, checked whole
 *   (addresses, overflow, length, loops, order, indirect tables) and
 *   copied into a struct libvm_virtq_chain before the device sees any
 *   of it, so later guest writes to the descriptors change nothing.
 */
#ifndef LIBVM_VIRTIO_VIO_H
#define LIBVM_VIRTIO_VIO_H

#include "../internal.h"

#include <libvm/virtio.h>

/* Guest memory as the transport sees it. */
struct vio_mem {
	/*
	 * Host address of guest-physical gpa, with *len cut to the bytes
	 * that follow it in the same RAM region; NULL if gpa is not RAM (or
	 * not host-writable RAM when write).  A written range is marked
	 * dirty.
	 */
	void *(*map)(void *ctx, uint64_t gpa, uint64_t *len, bool write);
	void *ctx;
};

/* Contiguous guest memory or NULL: the whole [gpa, gpa+len) or nothing. */
void *vio_map_all(const struct vio_mem *m, uint64_t gpa, uint64_t len,
		  bool write);

/* ---- split virtqueue (virtq.c) ---- */

struct vseg {
	uint8_t *p;
	uint64_t len;
};

struct vq {
	uint32_t num;		/* size the driver chose */
	uint32_t num_max;
	bool ready;
	bool event_idx, indirect;	/* negotiated */
	uint64_t desc, avail, used;	/* guest-physical */
	uint16_t last_avail;	/* next avail entry to take */
	uint16_t used_idx;	/* next used entry to fill */
	uint16_t signalled;	/* used_idx at the last interrupt */
	bool signalled_valid;
	bool pushed;		/* used entries since the last interrupt */
	uint32_t inflight;	/* chains taken, not given back */
	uint64_t gen;		/* chains of another generation are stale */
	struct vseg *scratch;	/* 2 * num_max pieces of the chain in hand */
};

struct libvm_virtq_chain {
	struct libvm_virtq_chain *prev, *next;	/* the device's live list */
	uint64_t gen;
	uint32_t queue;
	uint16_t head;
	uint32_t nread, nseg;	/* seg[0..nread) readable, the rest writable */
	uint64_t len[2];	/* bytes readable, writable */
	uint64_t pos[2];	/* cursors: bytes consumed of each part */
	uint32_t cur[2];	/* segment the cursor is in */
	uint64_t off[2];	/* offset in that segment */
	struct vseg seg[];
};

/* Why a queue is broken (for the detail message). */
enum vq_err {
	VQ_OK = 0,
	VQ_ERR_RING,		/* a ring is not in guest RAM */
	VQ_ERR_AVAIL_IDX,	/* avail idx moved more than the queue size */
	VQ_ERR_INFLIGHT,	/* more chains in flight than the queue size */
	VQ_ERR_HEAD,		/* head index out of range */
	VQ_ERR_NEXT,		/* next index out of range */
	VQ_ERR_LOOP,		/* chain longer than the queue: a loop */
	VQ_ERR_ADDR,		/* a buffer outside guest RAM or overflowing */
	VQ_ERR_ORDER,		/* readable after writable */
	VQ_ERR_INDIRECT,	/* bad indirect table */
	VQ_ERR_NOMEM,		/* host out of memory */
};

const char *vq_err_name(enum vq_err e);
int vq_enable(struct vq *q, const struct vio_mem *m, uint64_t gen);
void vq_reset(struct vq *q);
/* 1 and *out, 0 if empty, -enum vq_err when the queue is broken. */
int vq_pop(struct vq *q, const struct vio_mem *m, uint32_t index,
	   struct libvm_virtq_chain **out);
int vq_push(struct vq *q, const struct vio_mem *m,
	    const struct libvm_virtq_chain *c);
/* Whether the driver wants an interrupt for what was pushed. */
bool vq_want_irq(struct vq *q, const struct vio_mem *m);

/* ---- the device and its register file (mmio.c) ---- */

/* What the transport asks of its surroundings (device.c or a fuzzer). */
struct vio_hooks {
	void (*irq)(libvm_virtio_dev *dev);	  /* raise the interrupt */
	void (*kick)(libvm_virtio_dev *dev, uint32_t q); /* trapped notify */
	void (*post)(libvm_virtio_dev *dev);	  /* dev->pending grew */
};

/* dev->pending: events for the worker, beside the queues' bits 0-15. */
#define VIO_PEND_RESET		(1u << 16)
#define VIO_PEND_BROKEN		(1u << 17)
#define VIO_PEND_READY		(1u << 18)
#define VIO_PEND_CONFIG		(1u << 19)

struct libvm_virtio_dev {
	pthread_mutex_t lock;	/* everything below but the worker's own */
	libvm_virtio_config cfg;	/* the creator's, config copied below */
	struct vio_mem mem;
	const struct vio_hooks *hooks;

	uint8_t config[LIBVM_VIRTIO_CONFIG_MAX];
	uint32_t config_gen;
	uint64_t dev_features, drv_features;
	uint32_t dfsel, drvsel, qsel, status, isr;
	uint64_t next_gen;
	const char *broken_why;
	struct vq vq[LIBVM_VIRTIO_MAX_QUEUES];
	struct libvm_virtq_chain *live;	/* chains taken, not pushed */
	_Atomic uint32_t pending;	/* VIO_PEND_* and queue bits */
	libvm_virtio_stats st;

	/* device.c: the VM binding */
	libvm_vm *vm;
	int wake_fd, irq_fd, ep_fd;
	int kick_fd[LIBVM_VIRTIO_MAX_QUEUES];
	bool ioeventfd;		/* kicks go through KVM */
	bool trapped, hooked, thread_up;
	pthread_t thread;
	_Atomic bool stop;
	/* a device libvm brings: its state, freed after the worker is gone */
	void (*cleanup)(void *opaque);
};

/* Set up a device's transport state from a checked config. */
int vio_dev_init(libvm_virtio_dev *dev, const libvm_virtio_config *cfg,
		 const struct vio_mem *mem, const struct vio_hooks *hooks);
void vio_dev_fini(libvm_virtio_dev *dev);
int vio_check_config(const libvm_virtio_config *cfg);
/* A register access of the driver (any size; the trap handler's shape). */
void vio_mmio_access(libvm_virtio_dev *dev, uint64_t off, void *data,
		     uint32_t size, bool write);
/*
 * Create a device on vm (device.c); cleanup(cfg->opaque), if not NULL,
 * runs when the device goes, and at once if creation fails.
 */
int vio_create(libvm_virtio_dev **out, libvm_vm *vm,
	       const libvm_virtio_config *cfg, void (*cleanup)(void *));
/* The worker: dispatch one round of pending events and kicked queues. */
void vio_dispatch(libvm_virtio_dev *dev, uint32_t pending);

#endif
