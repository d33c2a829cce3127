/* SPDX-License-Identifier: MIT */
/*
 * What the virtio test guest (virtio.c) and its host side (the virtio
 * suite, bench/virtio_blk.c) agree on: the hostile cases and the request
 * modes.  Plain constants, included from both.
 */
#ifndef LIBVM_TESTS_VIRTIO_DRV_H
#define LIBVM_TESTS_VIRTIO_DRV_H

/* vd_init() errors (negative returns). */
#define VD_ENODEV	1	/* no magic at the address */
#define VD_EVERSION	2	/* not virtio-mmio version 2 */
#define VD_EFEATURES	3	/* the device refused FEATURES_OK */
#define VD_EQUEUE	4	/* a queue is missing or in use */
#define VD_ETIMEOUT	5	/* no answer in time */
#define VD_ERESET	6	/* the device needs a reset */

/* blk_rw() mode: data segments in bits 0-7 (0: one), flags above. */
#define VD_MODE_INDIRECT	(1u << 8)	/* one indirect table */

/* Hostile requests (vd_hostile); each must end in NEEDS_RESET. */
enum vd_case {
	VD_DESC_OUTSIDE_RAM,	/* buffer beyond the end of RAM */
	VD_DESC_IN_MMIO,	/* buffer on the device's own registers */
	VD_DESC_OVERFLOW,	/* addr + len wraps around */
	VD_DESC_HUGE_LEN,	/* 4 GiB - 1 from inside RAM */
	VD_DESC_LOOP,		/* two descriptors pointing at each other */
	VD_DESC_SELF_LOOP,	/* one descriptor pointing at itself */
	VD_NEXT_RANGE,		/* next index >= queue size */
	VD_HEAD_RANGE,		/* avail ring entry >= queue size */
	VD_AVAIL_JUMP,		/* avail idx moved by more than the size */
	VD_ORDER,		/* readable descriptor after a writable one */
	VD_IND_OUTSIDE_RAM,	/* indirect table beyond RAM */
	VD_IND_BAD_LEN,		/* table length not a multiple of 16 */
	VD_IND_NESTED,		/* indirect inside an indirect table */
	VD_IND_WITH_NEXT,	/* indirect descriptor with NEXT */
	VD_IND_TOO_LONG,	/* table longer than the queue */
	VD_IND_LOOP,		/* loop inside the table */
	VD_IND_NEXT_RANGE,	/* next beyond the table */
	VD_IND_NOT_HEAD,	/* indirect descriptor after a direct one */
	VD_RING_OUTSIDE_RAM,	/* queue ring address beyond RAM */
	VD_QUEUE_NOT_POW2,	/* queue size 7 */
	VD_QUEUE_TOO_BIG,	/* queue size above the maximum */
	VD_QUEUE_SEL_RANGE,	/* QueueReady on a queue that does not exist */
	VD_NCASES
};

#endif
