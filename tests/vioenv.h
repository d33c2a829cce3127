/* SPDX-License-Identifier: MIT */
/*
 * The environment of the virtio suites: a VM with VE_RAM of RAM, the
 * driver guest virtio.elf (tests/guests/virtio.c) in user mode, devices
 * at VE_MMIO + i * VE_STRIDE inside the identity map, data buffers the
 * host fills at VE_BUF, and raw image files under $TMPDIR.
 */
#ifndef LIBVM_TESTS_VIOENV_H
#define LIBVM_TESTS_VIOENV_H

#include "callenv.h"	/* CE_ARGS */
#include "guests/virtio_drv.h"

#define VE_RAM		(64ull << 20)
#define VE_SYS		0x100000ull
#define VE_STACK	(48ull << 20)
#define VE_BUF		(16ull << 20)	/* 8 MiB of buffers */
#define VE_MMIO		(128ull << 20)
#define VE_STRIDE	0x1000ull
#define VE_MAP		(256ull << 20)
#define VE_DEV(i)	(VE_MMIO + (uint64_t)(i) * VE_STRIDE)
#define VE_CALL_NS	(60ull * 1000000000ull)

/* Feature bits the driver asks for. */
#define VE_F_ALL	(~0ull)
#define VE_F_PLAIN	(LIBVM_VIRTIO_F_VERSION_1 | 0xffffffull)

struct vioenv {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_image *img;
};

/* Set up *e; flags for the VM config (LIBVM_VM_IRQCHIP or 0). */
void ve_setup(struct vioenv *e, uint32_t vm_flags);
void ve_teardown(struct vioenv *e);

/* Call guest function fn; asserts it returned; gives its value. */
int64_t ve_call(struct vioenv *e, const char *fn, const uint64_t *args,
		uint32_t nargs);
#define VE_CALL(e, fn, ...) ve_call((e), (fn), CE_ARGS(__VA_ARGS__))

/* A raw image of size bytes under $TMPDIR, byte i = fill(i); its path. */
char *ve_image(uint64_t size, uint8_t seed);
void ve_image_remove(char *path);
/* Read len bytes of the file at off (asserting success). */
void ve_file_read(const char *path, uint64_t off, void *buf, uint64_t len);
/* Deterministic bytes for patterns. */
void ve_pattern(uint8_t *buf, uint64_t len, uint32_t seed);

/* Device worker threads of this process (named libvm-virtio). */
int ve_count_threads(void);
/* The count once it is want, or after 2 s of waiting for that. */
int ve_threads_settle(int want);

/* vd_init of slot di on the device at base, asserting the device id. */
void ve_init(struct vioenv *e, int di, uint64_t base, uint64_t want,
	     uint32_t nq, uint32_t qsize, uint32_t want_id);

#endif
