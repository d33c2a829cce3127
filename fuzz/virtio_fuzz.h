/* SPDX-License-Identifier: MIT */
/*
 * The input format of fuzz_virtio, shared with its seed generator
 * (fuzz/virtio-seeds.c).  An input is:
 *
 *   byte 0     device: FZ_BLK, FZ_BLK_RO, FZ_RNG, FZ_CONSOLE (mod 4)
 *   byte 1     log2 of the blk queue size - 1 (mod 8: 2 .. 256 entries)
 *   bytes 2-3  L, little-endian: guest memory bytes that follow
 *   L bytes    guest memory from FZ_MEM_BASE on (the rest is zero)
 *   ops        until the input ends, each an opcode byte (mod FZ_NOPS)
 *              and its arguments (missing bytes read as 0)
 *
 * Guest memory is three regions, each its own heap block so ASan sees any
 * access outside them: two adjacent writable ones and a host-read-only
 * one above; below FZ_MEM_BASE and above FZ_MEM_END is no RAM.
 */
#ifndef LIBVM_FUZZ_VIRTIO_H
#define LIBVM_FUZZ_VIRTIO_H

enum { FZ_BLK, FZ_BLK_RO, FZ_RNG, FZ_CONSOLE };

#define FZ_MEM_BASE	0x1000u
#define FZ_REGION	0x4000u		/* two of these, then ... */
#define FZ_RO_SIZE	0x1000u		/* ... a read-only one */
#define FZ_MEM_END	(FZ_MEM_BASE + 2 * FZ_REGION + FZ_RO_SIZE)
#define FZ_DISK		0x10000u	/* blk image bytes */

/* Where FZ_OP_INIT puts queue q: desc, avail, used. */
#define FZ_Q_DESC(q)	(FZ_MEM_BASE + 0x800u * (q))
#define FZ_Q_AVAIL(q)	(FZ_Q_DESC(q) + 0x400u)
#define FZ_Q_USED(q)	(FZ_Q_DESC(q) + 0x600u)

enum {
	FZ_OP_WRITE,	/* u16 offset, u8 log2 size, u64 value: register */
	FZ_OP_READ,	/* u16 offset, u8 log2 size */
	FZ_OP_RUN,	/* the worker's round: pending events and kicks */
	FZ_OP_POKE,	/* u16 offset from FZ_MEM_BASE, u8 n, n bytes */
	FZ_OP_INPUT,	/* console: u8 n, n bytes arrive on in_fd */
	FZ_OP_INIT,	/* u8 features (1 event idx, 2 indirect), u8 log2 num */
	FZ_NOPS
};

#endif
