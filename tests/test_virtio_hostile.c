/* SPDX-License-Identifier: MIT */
/*
 * Guest-proof virtio: the driver guest in hostile mode hands a virtio-blk
 * device descriptors outside RAM, overflowing, looping, chained past the
 * queue, bad indirect tables, indexes and sizes out of range.  Each time
 * the device must say NEEDS_RESET (and nothing else happens to the host),
 * and after the driver's reset well-formed requests work again.  A VM
 * whose guest does this leaves another VM's devices alone.
 */
#include "vioenv.h"

#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct vioenv env;
static char *img;
static libvm_virtio_dev *dev;

#define QSIZE 64u

static void setup(void)
{
	libvm_virtio_blk_config c = LIBVM_VIRTIO_BLK_CONFIG_INIT;

	ve_setup(&env, 0);
	img = ve_image(1 << 20, 5);
	c.path = img;
	c.mmio_base = VE_DEV(0);
	c.queue_size = QSIZE;
	OK(libvm_virtio_blk_create(&dev, env.vm, &c));
}

static void teardown(void)
{
	ve_teardown(&env);
	ve_image_remove(img);
	img = NULL;
}

TestSuite(virtio_hostile, .init = setup, .fini = teardown,
	  .timeout = VCPU_TIMEOUT);

static const char *const case_names[VD_NCASES] = {
	"descriptor outside RAM", "descriptor on the device's registers",
	"addr + len overflows", "4 GiB length", "two-descriptor loop",
	"self loop", "next out of range", "head out of range",
	"avail index jump", "readable after writable",
	"indirect table outside RAM", "indirect length not 16n",
	"nested indirect", "indirect with NEXT", "indirect table too long",
	"loop in indirect table", "indirect next out of range",
	"indirect not at the head", "ring outside RAM",
	"queue size not a power of 2", "queue size too big",
	"queue select out of range",
};

/* A read of sector 1 that must work and match the image. */
static void good_read(struct vioenv *e, int di)
{
	uint8_t want[512], got[512];

	cr_assert_eq(VE_CALL(e, "blk_rw", (uint64_t)di, 0, 1, VE_BUF, 512, 0),
		     0);
	OK(libvm_mem_read(e->vm, VE_BUF, got, 512));
	ve_file_read(img, 512, want, 512);
	cr_assert_eq(memcmp(want, got, 512), 0);
}

static void hostile_case(uint32_t c, uint64_t want)
{
	libvm_virtio_stats st = LIBVM_VIRTIO_STATS_INIT;
	uint8_t before[4096], after[4096];
	int64_t s;

	ve_file_read(img, 0, before, sizeof(before));
	ve_init(&env, 0, VE_DEV(0), want, 1, QSIZE, LIBVM_VIRTIO_ID_BLOCK);
	good_read(&env, 0);
	s = VE_CALL(&env, "vd_hostile", 0, c, VE_RAM, VE_DEV(0));
	cr_assert_geq(s, 0, "%s: %lld", case_names[c], (long long)s);
	cr_assert(s & LIBVM_VIRTIO_S_NEEDS_RESET, "%s: status %#llx",
		  case_names[c], (unsigned long long)s);
	cr_assert(libvm_virtio_status(dev) & LIBVM_VIRTIO_S_NEEDS_RESET);
	OK(libvm_virtio_stats_get(dev, &st));
	cr_assert_eq(st.needs_reset, 1, "%s", case_names[c]);
	/* Reset by the driver: the device works again. */
	ve_init(&env, 0, VE_DEV(0), want, 1, QSIZE, LIBVM_VIRTIO_ID_BLOCK);
	good_read(&env, 0);
	cr_assert_eq(libvm_virtio_status(dev) & LIBVM_VIRTIO_S_NEEDS_RESET, 0);
	ve_file_read(img, 0, after, sizeof(after));
	cr_assert_eq(memcmp(before, after, sizeof(after)), 0);
}

ParameterizedTestParameters(virtio_hostile, each_case)
{
	static uint32_t cases[VD_NCASES];
	uint32_t i;

	for (i = 0; i < VD_NCASES; i++)
		cases[i] = i;
	return cr_make_param_array(uint32_t, cases, VD_NCASES);
}

ParameterizedTest(uint32_t *c, virtio_hostile, each_case)
{
	hostile_case(*c, VE_F_ALL);
}

/* Without VIRTIO_F_INDIRECT_DESC an indirect descriptor is an error too. */
Test(virtio_hostile, indirect_not_negotiated)
{
	libvm_virtio_stats st = LIBVM_VIRTIO_STATS_INIT;
	int64_t s;

	ve_init(&env, 0, VE_DEV(0), VE_F_PLAIN, 1, QSIZE,
		LIBVM_VIRTIO_ID_BLOCK);
	s = VE_CALL(&env, "blk_rw", 0, 0, 1, VE_BUF, 512,
		    VD_MODE_INDIRECT | 1);
	cr_assert_lt(s, 0, "the device took an indirect table: %lld",
		     (long long)s);
	OK(libvm_virtio_stats_get(dev, &st));
	cr_assert_eq(st.needs_reset, 1);
}

/* Every case in a row in one VM, without resets in between but the last. */
Test(virtio_hostile, all_in_a_row)
{
	uint32_t c;
	int64_t s;

	for (c = 0; c < VD_NCASES; c++) {
		ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, QSIZE,
			LIBVM_VIRTIO_ID_BLOCK);
		s = VE_CALL(&env, "vd_hostile", 0, c, VE_RAM, VE_DEV(0));
		cr_assert(s > 0 && (s & LIBVM_VIRTIO_S_NEEDS_RESET), "%s",
			  case_names[c]);
	}
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, QSIZE, LIBVM_VIRTIO_ID_BLOCK);
	good_read(&env, 0);
}

struct other {
	struct vioenv e;
	volatile int stop;
	int reads;
};

/* Another VM reading its own disk while the first one misbehaves. */
static void *other_vm(void *arg)
{
	struct other *o = arg;

	while (!o->stop) {
		good_read(&o->e, 0);
		o->reads++;
	}
	return NULL;
}

Test(virtio_hostile, other_vm_unaffected)
{
	libvm_virtio_blk_config c = LIBVM_VIRTIO_BLK_CONFIG_INIT;
	libvm_virtio_dev *d2 = NULL;
	struct other o = { .stop = 0 };
	pthread_t t;
	uint32_t k;

	ve_setup(&o.e, 0);
	c.path = img;
	c.mmio_base = VE_DEV(0);
	OK(libvm_virtio_blk_create(&d2, o.e.vm, &c));
	ve_init(&o.e, 0, VE_DEV(0), VE_F_ALL, 1, QSIZE,
		LIBVM_VIRTIO_ID_BLOCK);
	cr_assert_eq(pthread_create(&t, NULL, other_vm, &o), 0);
	for (k = 0; k < VD_NCASES; k++) {
		ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, QSIZE,
			LIBVM_VIRTIO_ID_BLOCK);
		cr_assert(VE_CALL(&env, "vd_hostile", 0, k, VE_RAM, VE_DEV(0)) &
			  LIBVM_VIRTIO_S_NEEDS_RESET);
	}
	o.stop = 1;
	pthread_join(t, NULL);
	cr_assert_gt(o.reads, 0);
	cr_assert_eq(libvm_virtio_status(d2) & LIBVM_VIRTIO_S_NEEDS_RESET, 0);
	good_read(&o.e, 0);
	ve_teardown(&o.e);
}
