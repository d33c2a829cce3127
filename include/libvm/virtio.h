/* SPDX-License-Identifier: MIT */
/*
 * libvm: virtio devices.  virtio 1.x (modern only), split virtqueues,
 * the virtio-mmio transport (version 2).  A device is a block of
 * LIBVM_VIRTIO_MMIO_SIZE bytes of registers at a guest-physical address
 * and, optionally, an interrupt line; a driver finds it by the magic value
 * at that address (a Linux guest through an ACPI device with _HID
 * "LNRO0005" that announces both).
 *
 * libvm does the transport: registers, feature negotiation, device status,
 * reset, queue setup, descriptor chains (checked against guest RAM before
 * any access), used-ring updates, notifications (ioeventfd) and
 * interrupts (irqfd).  A device gives its id, features, config space and
 * an event callback; the callback takes descriptor chains off a queue with
 * libvm_virtio_pop(), reads and writes their buffers through the
 * libvm_virtq_* calls and gives them back with libvm_virtio_push().
 *
 * Threads: each device has one worker thread, started by its create call
 * and joined by libvm_virtio_destroy() (or libvm_vm_destroy()).  Every
 * event callback of a device runs on that thread, one at a time, so a
 * device needs no locking of its own.  Queue kicks reach the worker
 * through an ioeventfd without the vCPU leaving KVM_RUN; register accesses
 * run on the vCPU's thread in the trap registry.
 *
 * A guest cannot make libvm touch host memory outside guest RAM: a
 * malformed queue (a descriptor outside RAM or overflowing, a loop, a
 * chain longer than the queue, a bad indirect table, an index out of
 * range) sets LIBVM_VIRTIO_S_NEEDS_RESET, stops the device and tells the
 * driver with a configuration interrupt; the driver's reset (status 0)
 * brings it back.
 */
#ifndef LIBVM_VIRTIO_H
#define LIBVM_VIRTIO_H

#include <libvm/platform.h>
#include <libvm/vm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_virtio_dev libvm_virtio_dev;
/* A descriptor chain taken off a queue (libvm_virtio_pop). */
typedef struct libvm_virtq_chain libvm_virtq_chain;

/* Device ids (virtio 1.x, "Device Types"). */
#define LIBVM_VIRTIO_ID_NET		1
#define LIBVM_VIRTIO_ID_BLOCK		2
#define LIBVM_VIRTIO_ID_CONSOLE		3
#define LIBVM_VIRTIO_ID_RNG		4

/* Transport feature bits; libvm offers these itself. */
#define LIBVM_VIRTIO_F_INDIRECT_DESC	(1ull << 28)
#define LIBVM_VIRTIO_F_EVENT_IDX	(1ull << 29)
#define LIBVM_VIRTIO_F_VERSION_1	(1ull << 32)

/* Device status bits. */
#define LIBVM_VIRTIO_S_ACKNOWLEDGE	0x01
#define LIBVM_VIRTIO_S_DRIVER		0x02
#define LIBVM_VIRTIO_S_DRIVER_OK	0x04
#define LIBVM_VIRTIO_S_FEATURES_OK	0x08
#define LIBVM_VIRTIO_S_NEEDS_RESET	0x40
#define LIBVM_VIRTIO_S_FAILED		0x80

/* virtio-mmio: the register block and how ACPI names it. */
#define LIBVM_VIRTIO_MMIO_SIZE		0x200ull
#define LIBVM_VIRTIO_MMIO_MAGIC		0x74726976u	/* "virt" */
#define LIBVM_VIRTIO_MMIO_VERSION	2u
/* Config space: registers 0x100 to 0x200. */
#define LIBVM_VIRTIO_CONFIG_MAX		0x100u
#define LIBVM_VIRTIO_MAX_QUEUES		16u
#define LIBVM_VIRTIO_QUEUE_MAX		32768u	/* split virtqueue limit */
#define LIBVM_VIRTIO_NO_GSI		0xffffffffu

/* What the event callback is told (event, arg). */
#define LIBVM_VIRTIO_EV_QUEUE	0 /* queue arg has new buffers */
#define LIBVM_VIRTIO_EV_FD	1 /* fd arg, watched, is readable */
#define LIBVM_VIRTIO_EV_RESET	2 /* reset: arg 0 by the driver, 1 needs-reset */
#define LIBVM_VIRTIO_EV_READY	3 /* the driver set DRIVER_OK */
#define LIBVM_VIRTIO_EV_CONFIG	4 /* the driver wrote config space */

/*
 * A device's event callback, run on the device's worker thread.  After
 * LIBVM_VIRTIO_EV_QUEUE returns, libvm interrupts the driver if chains
 * were pushed and the driver wants to hear of them.  After
 * LIBVM_VIRTIO_EV_RESET, chains taken earlier are stale: pushing them
 * frees them and changes nothing in the guest.
 */
typedef void (*libvm_virtio_event_fn)(libvm_virtio_dev *dev, uint32_t event,
				      uint32_t arg, void *opaque);

/* libvm_virtio_config.flags */
/*
 * Queue kicks exit to userspace (the MMIO trap wakes the worker) instead
 * of going through an ioeventfd; also what happens where KVM has none.
 */
#define LIBVM_VIRTIO_TRAP_NOTIFY	(1u << 0)

#define LIBVM_VIRTIO_CONFIG_VERSION 1

/* Versioned: initialize with LIBVM_VIRTIO_CONFIG_INIT. */
typedef struct libvm_virtio_config {
	uint32_t version;	/* LIBVM_VIRTIO_CONFIG_VERSION */
	uint32_t flags;		/* LIBVM_VIRTIO_TRAP_NOTIFY */
	uint32_t device_id;	/* LIBVM_VIRTIO_ID_* or any other, not 0 */
	uint32_t num_queues;	/* 1 .. LIBVM_VIRTIO_MAX_QUEUES */
	/* Largest size of each queue: a power of 2 up to 32768; 0: 256. */
	uint32_t queue_size;
	uint32_t config_size;	/* bytes of config space, at most 256 */
	const void *config;	/* its first contents (copied); may be NULL */
	/* Device feature bits offered: the device's own, 0-23 and 50-63. */
	uint64_t features;
	/* LIBVM_VIRTIO_MMIO_SIZE bytes of registers here, 4-byte aligned */
	uint64_t mmio_base;
	/* Interrupt line (needs LIBVM_VM_IRQCHIP) or LIBVM_VIRTIO_NO_GSI. */
	uint32_t gsi;
	uint32_t reserved;	/* 0 */
	libvm_virtio_event_fn event;	/* not NULL */
	void *opaque;			/* handed to event */
} libvm_virtio_config;

#define LIBVM_VIRTIO_CONFIG_INIT \
	{ LIBVM_VIRTIO_CONFIG_VERSION, 0, 0, 1, 0, 0, NULL, 0, 0, \
	  LIBVM_VIRTIO_NO_GSI, 0, NULL, NULL }

/* Fill *cfg with the defaults of version (1 .. current). */
LIBVM_API int libvm_virtio_config_init(libvm_virtio_config *cfg,
				       uint32_t version);

/*
 * Add a virtio-mmio device to vm: traps its registers, sets up its
 * eventfds and starts its worker.  LIBVM_EOVERLAP if the register block
 * overlaps another trap.
 */
LIBVM_API int libvm_virtio_create(libvm_virtio_dev **out, libvm_vm *vm,
				  const libvm_virtio_config *cfg);
/*
 * Remove a device: its registers, eventfds and worker (joined) go, chains
 * still taken are freed.  Not from the device's own callback.  NULL is a
 * no-op.  libvm_vm_destroy destroys the VM's devices first.
 */
LIBVM_API void libvm_virtio_destroy(libvm_virtio_dev *dev);

/*
 * Take the next available chain off queue: returns 1 and *out, 0 if the
 * queue is empty (notifications from the driver are on again), or a
 * negative code: LIBVM_ESTATE if the queue is not in use, LIBVM_EGUEST
 * if the driver broke the queue (the device now needs reset).  May be
 * called from any thread.
 */
LIBVM_API int libvm_virtio_pop(libvm_virtq_chain **out, libvm_virtio_dev *dev,
			       uint32_t queue);
/*
 * Give a chain back to the driver through the used ring, saying how many
 * bytes were written (libvm_virtq_written), and free it.  A chain from
 * before a reset is only freed.  The driver hears of it at the next
 * libvm_virtio_notify (after an EV_QUEUE callback libvm calls it).
 */
LIBVM_API int libvm_virtio_push(libvm_virtio_dev *dev,
				libvm_virtq_chain *chain);
/* Interrupt the driver if it wants to hear of what was pushed on queue. */
LIBVM_API int libvm_virtio_notify(libvm_virtio_dev *dev, uint32_t queue);

/* Read or change the device's config space; a change interrupts. */
LIBVM_API int libvm_virtio_config_read(libvm_virtio_dev *dev, uint32_t offset,
				       void *dst, uint32_t len);
LIBVM_API int libvm_virtio_config_write(libvm_virtio_dev *dev,
					uint32_t offset, const void *src,
					uint32_t len);
/*
 * Have the worker report fd readable (LIBVM_VIRTIO_EV_FD) while on is
 * non-zero; fd must be pollable (pipe, socket, terminal) and stays the
 * caller's.
 */
LIBVM_API int libvm_virtio_watch_fd(libvm_virtio_dev *dev, int fd, int on);
/* Features the driver accepted (0 before FEATURES_OK); returns them. */
LIBVM_API uint64_t libvm_virtio_features(const libvm_virtio_dev *dev);
/* The device status byte (LIBVM_VIRTIO_S_*); returns it. */
LIBVM_API uint32_t libvm_virtio_status(const libvm_virtio_dev *dev);

/* Counters of a device since it was created; out-only, versioned. */
typedef struct libvm_virtio_stats {
	uint32_t version;	/* in: LIBVM_VIRTIO_STATS_VERSION */
	uint32_t reserved;
	uint64_t mmio_exits;	/* register accesses that left KVM_RUN */
	uint64_t kicks;		/* queue notifications the worker took */
	uint64_t chains;	/* chains popped */
	uint64_t interrupts;	/* interrupts sent */
	uint64_t needs_reset;	/* times the driver broke a queue */
} libvm_virtio_stats;

#define LIBVM_VIRTIO_STATS_VERSION 1
#define LIBVM_VIRTIO_STATS_INIT { LIBVM_VIRTIO_STATS_VERSION, 0, 0, 0, 0, 0, 0 }

LIBVM_API int libvm_virtio_stats_get(const libvm_virtio_dev *dev,
				     libvm_virtio_stats *out);

/* ---- on a platform (<libvm/platform.h>, the machine's) -------------- */

/*
 * Take a register window and an interrupt line for a virtio device from
 * the platform's allocators, for libvm_virtio_config.mmio_base and .gsi.
 */
LIBVM_API int libvm_virtio_alloc(libvm_platform *plat, uint64_t *mmio_base,
				 uint32_t *gsi);
/*
 * Announce a created device in the platform's DSDT (_HID "LNRO0005", its
 * registers and its interrupt, edge-triggered, active high) so that Linux
 * binds virtio_mmio to it with no kernel options.  Before the ACPI tables
 * are written (libvm_machine_start).
 */
LIBVM_API int libvm_virtio_announce(libvm_virtio_dev *dev,
				    libvm_platform *plat);

/* ---- descriptor chains ----------------------------------------------- */

/* Which part of a chain: what the device reads, or what it writes. */
#define LIBVM_VIRTQ_READABLE	0
#define LIBVM_VIRTQ_WRITABLE	1

/* A piece of a chain's buffers: host address inside guest RAM. */
typedef struct libvm_virtq_seg {
	void *addr;
	uint64_t len;
} libvm_virtq_seg;

/* Bytes in the readable or writable part of a chain; returns them. */
LIBVM_API uint64_t libvm_virtq_len(const libvm_virtq_chain *chain,
				   uint32_t part);
/*
 * Copy up to len bytes from the readable part at its cursor into dst, or
 * from src into the writable part at its cursor, and move the cursor on.
 * Returns the bytes copied (less than len at the end of the part).
 */
LIBVM_API int64_t libvm_virtq_read(libvm_virtq_chain *chain, void *dst,
				   uint64_t len);
LIBVM_API int64_t libvm_virtq_write(libvm_virtq_chain *chain, const void *src,
				    uint64_t len);
/*
 * Zero-copy: describe up to len bytes of part from its cursor on as at
 * most max segments of host memory and move the cursor past them (the
 * writable cursor counts them as written).  Returns the number of
 * segments; their lengths add up to at most len.
 */
LIBVM_API int libvm_virtq_map(libvm_virtq_chain *chain, uint32_t part,
			      uint64_t len, libvm_virtq_seg *segs,
			      uint32_t max);
/*
 * Move the cursor of part to byte pos (0 .. its length): to read again,
 * or to say how much of what libvm_virtq_map() described was written.
 */
LIBVM_API int libvm_virtq_seek(libvm_virtq_chain *chain, uint32_t part,
			       uint64_t pos);
/* Bytes written so far (the writable cursor); returns them. */
LIBVM_API uint64_t libvm_virtq_written(const libvm_virtq_chain *chain);
/* The queue the chain came from; returns it. */
LIBVM_API uint32_t libvm_virtq_queue(const libvm_virtq_chain *chain);

/* ---- devices libvm brings ------------------------------------------- */

/* libvm_virtio_blk_config.flags */
#define LIBVM_VIRTIO_BLK_READONLY	(1u << 0)

#define LIBVM_VIRTIO_BLK_CONFIG_VERSION 1

/*
 * virtio-blk on a raw image file: read, write, flush (fdatasync before
 * the driver is told), get-id.  Read-only opens the file read-only, offers
 * VIRTIO_BLK_F_RO and fails writes with VIRTIO_BLK_S_IOERR.
 */
typedef struct libvm_virtio_blk_config {
	uint32_t version;	/* LIBVM_VIRTIO_BLK_CONFIG_VERSION */
	uint32_t flags;		/* LIBVM_VIRTIO_BLK_* */
	const char *path;	/* the image; its size / 512 is the capacity */
	const char *serial;	/* GET_ID answer, <= 20 bytes; NULL: file name */
	uint64_t mmio_base;
	uint32_t gsi;		/* or LIBVM_VIRTIO_NO_GSI */
	uint32_t queue_size;	/* 0: 256 */
} libvm_virtio_blk_config;

#define LIBVM_VIRTIO_BLK_CONFIG_INIT \
	{ LIBVM_VIRTIO_BLK_CONFIG_VERSION, 0, NULL, NULL, 0, \
	  LIBVM_VIRTIO_NO_GSI, 0 }

LIBVM_API int libvm_virtio_blk_config_init(libvm_virtio_blk_config *cfg,
					   uint32_t version);
LIBVM_API int libvm_virtio_blk_create(libvm_virtio_dev **out, libvm_vm *vm,
				      const libvm_virtio_blk_config *cfg);

#define LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION 1

/*
 * virtio-console, one port (hvc0 in Linux): what the guest writes goes to
 * out_fd, what can be read from in_fd goes to the guest.
 */
typedef struct libvm_virtio_console_config {
	uint32_t version;	/* LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION */
	uint32_t flags;		/* 0 */
	int32_t in_fd;		/* pollable, or -1: no input; not closed */
	int32_t out_fd;		/* or -1: output dropped; not closed */
	uint64_t mmio_base;
	uint32_t gsi;		/* or LIBVM_VIRTIO_NO_GSI */
	uint32_t reserved;	/* 0 */
} libvm_virtio_console_config;

#define LIBVM_VIRTIO_CONSOLE_CONFIG_INIT \
	{ LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION, 0, -1, -1, 0, \
	  LIBVM_VIRTIO_NO_GSI, 0 }

LIBVM_API int libvm_virtio_console_config_init(
	libvm_virtio_console_config *cfg, uint32_t version);
LIBVM_API int libvm_virtio_console_create(
	libvm_virtio_dev **out, libvm_vm *vm,
	const libvm_virtio_console_config *cfg);

#define LIBVM_VIRTIO_RNG_CONFIG_VERSION 1

/* virtio-rng: bytes from the host's getrandom(). */
typedef struct libvm_virtio_rng_config {
	uint32_t version;	/* LIBVM_VIRTIO_RNG_CONFIG_VERSION */
	uint32_t flags;		/* 0 */
	uint64_t mmio_base;
	uint32_t gsi;		/* or LIBVM_VIRTIO_NO_GSI */
	uint32_t reserved;	/* 0 */
} libvm_virtio_rng_config;

#define LIBVM_VIRTIO_RNG_CONFIG_INIT \
	{ LIBVM_VIRTIO_RNG_CONFIG_VERSION, 0, 0, LIBVM_VIRTIO_NO_GSI, 0 }

LIBVM_API int libvm_virtio_rng_config_init(libvm_virtio_rng_config *cfg,
					   uint32_t version);
LIBVM_API int libvm_virtio_rng_create(libvm_virtio_dev **out, libvm_vm *vm,
				      const libvm_virtio_rng_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
