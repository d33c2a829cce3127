/* SPDX-License-Identifier: MIT */
/*
 * virtio devices driven by a guest driver of our own (tests/guests/
 * virtio.c, user mode): discovery, feature negotiation, queues, blk,
 * rng, console, a device written against the public API, and the
 * lifetime of devices (threads, fds).
 */
#define _GNU_SOURCE
#include "vioenv.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct vioenv env;
static char *img;

static void setup(void)
{
	ve_setup(&env, 0);
	img = NULL;
}

static void teardown(void)
{
	ve_teardown(&env);
	ve_image_remove(img);
	img = NULL;
}

TestSuite(virtio, .init = setup, .fini = teardown,
	  .timeout = VCPU_TIMEOUT);

static libvm_virtio_dev *add_blk(uint64_t base, const char *path,
				 uint32_t flags, const char *serial)
{
	libvm_virtio_blk_config c = LIBVM_VIRTIO_BLK_CONFIG_INIT;
	libvm_virtio_dev *d = NULL;

	c.path = path;
	c.flags = flags;
	c.serial = serial;
	c.mmio_base = base;
	OK(libvm_virtio_blk_create(&d, env.vm, &c));
	return d;
}

static libvm_virtio_dev *add_rng(uint64_t base)
{
	libvm_virtio_rng_config c = LIBVM_VIRTIO_RNG_CONFIG_INIT;
	libvm_virtio_dev *d = NULL;

	c.mmio_base = base;
	OK(libvm_virtio_rng_create(&d, env.vm, &c));
	return d;
}

static int64_t blk(int di, uint32_t type, uint64_t sector, uint64_t buf,
		   uint64_t len, uint32_t mode)
{
	return VE_CALL(&env, "blk_rw", (uint64_t)di, type, sector, buf, len,
		       mode);
}

#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8

Test(virtio, discovered_by_magic)
{
	add_rng(VE_DEV(0));
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_RNG);
	cr_assert_eq(VE_CALL(&env, "vd_status", 0),
		     LIBVM_VIRTIO_S_ACKNOWLEDGE | LIBVM_VIRTIO_S_DRIVER |
		     LIBVM_VIRTIO_S_FEATURES_OK | LIBVM_VIRTIO_S_DRIVER_OK);
}

Test(virtio, features_negotiated)
{
	libvm_virtio_dev *d = add_rng(VE_DEV(0));

	cr_assert_eq(libvm_virtio_features(d), 0);
	ve_init(&env, 0, VE_DEV(0), VE_F_PLAIN, 1, 64, LIBVM_VIRTIO_ID_RNG);
	cr_assert_eq(libvm_virtio_features(d), LIBVM_VIRTIO_F_VERSION_1);
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_RNG);
	cr_assert_eq(libvm_virtio_features(d), LIBVM_VIRTIO_F_VERSION_1 |
		     LIBVM_VIRTIO_F_INDIRECT_DESC | LIBVM_VIRTIO_F_EVENT_IDX);
}

/* Without VERSION_1 (a legacy driver) FEATURES_OK does not stick. */
Test(virtio, version_1_required)
{
	add_rng(VE_DEV(0));
	cr_assert_eq(VE_CALL(&env, "vd_init", 0, VE_DEV(0), 0xffffffffull, 1,
			     64), -VD_EFEATURES);
}

Test(virtio, rng_bytes)
{
	uint8_t a[64], b[64], zero[64] = { 0 };

	add_rng(VE_DEV(0));
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_RNG);
	cr_assert_eq(VE_CALL(&env, "rng_read", 0, VE_BUF, 64), 64);
	cr_assert_eq(VE_CALL(&env, "rng_read", 0, VE_BUF + 64, 64), 64);
	OK(libvm_mem_read(env.vm, VE_BUF, a, 64));
	OK(libvm_mem_read(env.vm, VE_BUF + 64, b, 64));
	cr_assert_neq(memcmp(a, zero, 64), 0);
	cr_assert_neq(memcmp(a, b, 64), 0);
	/* A big request gets a bounded answer: the used length says. */
	cr_assert_eq(VE_CALL(&env, "rng_read", 0, VE_BUF, 1 << 20), 4096);
}

/*
 * A pattern written in four segments, flushed, lands in the image file;
 * read back through an indirect table it is the same.
 */
Test(virtio, blk_write_flush_read)
{
	enum { LEN = 64 << 10, SECTOR = 8 };
	uint8_t *pat = malloc(LEN), *got = malloc(LEN);

	img = ve_image(1 << 20, 0);
	add_blk(VE_DEV(0), img, 0, NULL);
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 256, LIBVM_VIRTIO_ID_BLOCK);
	ve_pattern(pat, LEN, 7);
	OK(libvm_mem_write(env.vm, VE_BUF, pat, LEN));
	cr_assert_eq(blk(0, T_OUT, SECTOR, VE_BUF, LEN, 4), 0);
	cr_assert_eq(blk(0, T_FLUSH, 0, 0, 0, 0), 0);
	ve_file_read(img, SECTOR * 512, got, LEN);
	cr_assert_eq(memcmp(got, pat, LEN), 0, "image file differs");
	cr_assert_eq(blk(0, T_IN, SECTOR, VE_BUF + LEN, LEN,
			 3 | VD_MODE_INDIRECT), 0);
	OK(libvm_mem_read(env.vm, VE_BUF + LEN, got, LEN));
	cr_assert_eq(memcmp(got, pat, LEN), 0, "read back differs");
	free(pat);
	free(got);
}

Test(virtio, blk_capacity_and_bounds)
{
	libvm_virtio_dev *d;
	uint64_t cap = 0;

	img = ve_image(1 << 20, 3);
	d = add_blk(VE_DEV(0), img, 0, NULL);
	OK(libvm_virtio_config_read(d, 0, &cap, 8));
	cr_assert_eq(cap, (1 << 20) / 512);
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 256, LIBVM_VIRTIO_ID_BLOCK);
	cr_assert_eq(VE_CALL(&env, "vd_config", 0, 0), 2048);
	/* The last sector reads; one past it, or a partial sector, fails. */
	cr_assert_eq(blk(0, T_IN, 2047, VE_BUF, 512, 0), 0);
	cr_assert_eq(blk(0, T_IN, 2048, VE_BUF, 512, 0), 1);
	cr_assert_eq(blk(0, T_IN, 2047, VE_BUF, 1024, 0), 1);
	cr_assert_eq(blk(0, T_IN, 0, VE_BUF, 100, 0), 1);
	cr_assert_eq(blk(0, T_OUT, ~0ull / 256, VE_BUF, 512, 0), 1);
	cr_assert_eq(blk(0, 77, 0, VE_BUF, 512, 0), 2);	/* UNSUPP */
	/* Errors of a request are no reason to stop the device. */
	cr_assert_eq(libvm_virtio_status(d) & LIBVM_VIRTIO_S_NEEDS_RESET, 0);
}

Test(virtio, blk_get_id)
{
	char id[21] = { 0 };

	img = ve_image(4096, 0);
	add_blk(VE_DEV(0), img, 0, "libvm-disk-0001");
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_BLOCK);
	cr_assert_eq(blk(0, T_GET_ID, 0, VE_BUF, 20, 0), 0);
	OK(libvm_mem_read(env.vm, VE_BUF, id, 20));
	cr_assert_str_eq(id, "libvm-disk-0001");
}

/* Read-only: writes fail with IOERR and the file is untouched. */
Test(virtio, blk_readonly)
{
	enum { LEN = 8192 };
	uint8_t *before = malloc(1 << 16), *after = malloc(1 << 16);
	uint8_t *buf = malloc(LEN);
	struct stat st0, st1;

	img = ve_image(1 << 16, 9);
	ve_file_read(img, 0, before, 1 << 16);
	cr_assert_eq(stat(img, &st0), 0);
	add_blk(VE_DEV(0), img, LIBVM_VIRTIO_BLK_READONLY, NULL);
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_BLOCK);
	cr_assert_eq(VE_CALL(&env, "vd_config", 0, 0), 128);
	memset(buf, 0x5a, LEN);
	OK(libvm_mem_write(env.vm, VE_BUF, buf, LEN));
	cr_assert_eq(blk(0, T_OUT, 0, VE_BUF, LEN, 0), 1);
	cr_assert_eq(blk(0, T_OUT, 4, VE_BUF, LEN, 2), 1);
	cr_assert_eq(blk(0, T_FLUSH, 0, 0, 0, 0), 0);
	cr_assert_eq(blk(0, T_IN, 0, VE_BUF, LEN, 0), 0);
	OK(libvm_mem_read(env.vm, VE_BUF, buf, LEN));
	cr_assert_eq(memcmp(buf, before, LEN), 0);
	ve_file_read(img, 0, after, 1 << 16);
	cr_assert_eq(memcmp(before, after, 1 << 16), 0, "file changed");
	cr_assert_eq(stat(img, &st1), 0);
	cr_assert_eq(st0.st_mtim.tv_sec, st1.st_mtim.tv_sec);
	cr_assert_eq(st0.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);
	free(before);
	free(after);
	free(buf);
}

Test(virtio, console_both_ways)
{
	libvm_virtio_console_config c = LIBVM_VIRTIO_CONSOLE_CONFIG_INIT;
	libvm_virtio_dev *d = NULL;
	int in[2], out[2];
	char got[16] = { 0 };

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	c.in_fd = in[0];
	c.out_fd = out[1];
	c.mmio_base = VE_DEV(1);
	OK(libvm_virtio_console_create(&d, env.vm, &c));
	ve_init(&env, 1, VE_DEV(1), VE_F_ALL, 2, 64,
		LIBVM_VIRTIO_ID_CONSOLE);
	OK(libvm_mem_write(env.vm, VE_BUF, "hello, host", 11));
	cr_assert_eq(VE_CALL(&env, "cons_write", 1, VE_BUF, 11), 0);
	cr_assert_eq(read(out[0], got, sizeof(got)), 11);
	cr_assert_str_eq(got, "hello, host");
	cr_assert_eq(write(in[1], "ping\n", 5), 5);
	cr_assert_eq(VE_CALL(&env, "cons_read", 1, VE_BUF + 64, 64), 5);
	memset(got, 0, sizeof(got));
	OK(libvm_mem_read(env.vm, VE_BUF + 64, got, 5));
	cr_assert_str_eq(got, "ping\n");
	/* Input that arrives while the guest waits. */
	cr_assert_eq(write(in[1], "pong", 4), 4);
	cr_assert_eq(VE_CALL(&env, "cons_read", 1, VE_BUF + 64, 2), 2);
	cr_assert_eq(VE_CALL(&env, "cons_read", 1, VE_BUF + 66, 64), 2);
	OK(libvm_mem_read(env.vm, VE_BUF + 64, got, 4));
	cr_assert_eq(memcmp(got, "pong", 4), 0);
	libvm_virtio_destroy(d);
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
}

/* ---- a device of the user's own: upper-cases what it is given --------- */

#define UPCASE_ID 0x7f00

struct upcase {
	int events[5];
};

static void upcase_event(libvm_virtio_dev *dev, uint32_t event, uint32_t arg,
			 void *opaque)
{
	struct upcase *u = opaque;
	libvm_virtq_chain *c;
	char buf[256];
	int64_t n, i;

	if (event < 5)
		u->events[event]++;
	if (event != LIBVM_VIRTIO_EV_QUEUE)
		return;
	cr_assert_eq(arg, 0);
	while (libvm_virtio_pop(&c, dev, 0) == 1) {
		cr_assert_eq(libvm_virtq_queue(c), 0);
		n = libvm_virtq_read(c, buf, sizeof(buf));
		for (i = 0; i < n; i++)
			if (buf[i] >= 'a' && buf[i] <= 'z')
				buf[i] -= 'a' - 'A';
		libvm_virtq_write(c, buf, (uint64_t)n);
		OK(libvm_virtio_push(dev, c));
	}
}

Test(virtio, user_device)
{
	libvm_virtio_config c = LIBVM_VIRTIO_CONFIG_INIT;
	struct upcase u = { { 0 } };
	libvm_virtio_dev *d = NULL;
	uint32_t cfg = 0x11223344;
	char out[32] = { 0 };

	c.device_id = UPCASE_ID;
	c.num_queues = 1;
	c.queue_size = 16;
	c.config = &cfg;
	c.config_size = sizeof(cfg);
	c.features = 1ull << 3;
	c.mmio_base = VE_DEV(2);
	c.event = upcase_event;
	c.opaque = &u;
	OK(libvm_virtio_create(&d, env.vm, &c));
	ve_init(&env, 0, VE_DEV(2), VE_F_ALL, 1, 16, UPCASE_ID);
	cr_assert_eq(libvm_virtio_features(d) & (1ull << 3), 1ull << 3);
	cr_assert_eq(VE_CALL(&env, "vd_config", 0, 0), 0x11223344);
	cfg = 0x55667788;
	OK(libvm_virtio_config_write(d, 0, &cfg, 4));
	cr_assert_eq(VE_CALL(&env, "vd_config", 0, 0), 0x55667788);
	OK(libvm_mem_write(env.vm, VE_BUF, "virtio, by hand", 15));
	cr_assert_eq(VE_CALL(&env, "vd_xfer", 0, 0, VE_BUF, 15,
			     VE_BUF + 64, 32), 15);
	OK(libvm_mem_read(env.vm, VE_BUF + 64, out, 15));
	cr_assert_str_eq(out, "VIRTIO, BY HAND");
	libvm_virtio_destroy(d);	/* joins the worker: u is settled */
	cr_assert_geq(u.events[LIBVM_VIRTIO_EV_RESET], 1);
	cr_assert_eq(u.events[LIBVM_VIRTIO_EV_READY], 1);
	cr_assert_geq(u.events[LIBVM_VIRTIO_EV_QUEUE], 1);
}

Test(virtio, bad_configs)
{
	libvm_virtio_config c = LIBVM_VIRTIO_CONFIG_INIT;
	libvm_virtio_dev *d = (libvm_virtio_dev *)&c, *ok = NULL;
	int threads = ve_count_threads(), fds = h_count_fds();

	c.device_id = 1;
	c.event = upcase_event;
	c.mmio_base = VE_DEV(0);
	FAILS(libvm_virtio_create(NULL, env.vm, &c), LIBVM_EINVAL);
	FAILS(libvm_virtio_create(&d, NULL, &c), LIBVM_EINVAL);
	cr_assert_null(d);
	c.version = 2;
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EVERSION);
	c.version = 1;
	c.num_queues = LIBVM_VIRTIO_MAX_QUEUES + 1;
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EINVAL);
	c.num_queues = 1;
	c.queue_size = 100;
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EINVAL);
	c.queue_size = 0;
	c.config_size = LIBVM_VIRTIO_CONFIG_MAX + 1;
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EINVAL);
	c.config_size = 0;
	c.features = LIBVM_VIRTIO_F_EVENT_IDX;
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EINVAL);
	c.features = 0;
	c.gsi = 5;	/* no irqchip in this VM */
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_ESTATE);
	c.gsi = LIBVM_VIRTIO_NO_GSI;
	OK(libvm_virtio_create(&ok, env.vm, &c));
	cr_assert_eq(ve_count_threads(), threads + 1);
	/* Fails once its eventfds and thread exist: none are left. */
	FAILS(libvm_virtio_create(&d, env.vm, &c), LIBVM_EOVERLAP);
	cr_assert_null(d);
	cr_assert_eq(ve_threads_settle(threads + 1), threads + 1);
	libvm_virtio_destroy(ok);
	cr_assert_eq(ve_threads_settle(threads), threads);
	cr_assert_eq(h_count_fds(), fds);
	FAILS(libvm_virtio_config_init(&c, 0), LIBVM_EVERSION);
	OK(libvm_virtio_config_init(&c, 1));
	cr_assert_eq(c.gsi, LIBVM_VIRTIO_NO_GSI);
}

/* Devices go with libvm_virtio_destroy, or with their VM. */
Test(virtio, destroy_leaves_nothing)
{
	int threads, fds;
	libvm_virtio_dev *d;

	img = ve_image(1 << 16, 1);
	ve_teardown(&env);
	threads = ve_count_threads();
	fds = h_count_fds();
	ve_setup(&env, 0);
	d = add_blk(VE_DEV(0), img, 0, NULL);
	add_rng(VE_DEV(1));
	cr_assert_eq(ve_count_threads(), threads + 2);
	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_BLOCK);
	cr_assert_eq(blk(0, T_IN, 0, VE_BUF, 512, 0), 0);
	libvm_virtio_destroy(d);
	cr_assert_eq(ve_threads_settle(threads + 1), threads + 1);
	ve_teardown(&env);	/* the rng goes with the VM */
	cr_assert_eq(ve_threads_settle(threads), threads);
	cr_assert_eq(h_count_fds(), fds);
	libvm_virtio_destroy(NULL);
	ve_setup(&env, 0);
}

/*
 * With ioeventfd a request costs no exit to userspace: the kick stays in
 * KVM.  With LIBVM_VIRTIO_TRAP_NOTIFY each kick is one.
 */
static void count_exits(uint32_t flags, uint64_t *exits, uint64_t *kicks)
{
	libvm_virtio_config c = LIBVM_VIRTIO_CONFIG_INIT;
	libvm_virtio_stats s0 = LIBVM_VIRTIO_STATS_INIT;
	libvm_virtio_stats s1 = LIBVM_VIRTIO_STATS_INIT;
	struct upcase u = { { 0 } };
	libvm_virtio_dev *d = NULL;
	int i;

	c.device_id = UPCASE_ID;
	c.flags = flags;
	c.mmio_base = VE_DEV(3);
	c.event = upcase_event;
	c.opaque = &u;
	OK(libvm_virtio_create(&d, env.vm, &c));
	ve_init(&env, 0, VE_DEV(3), VE_F_PLAIN, 1, 16, UPCASE_ID);
	OK(libvm_virtio_stats_get(d, &s0));
	for (i = 0; i < 20; i++)
		cr_assert_eq(VE_CALL(&env, "vd_xfer", 0, 0, VE_BUF, 8,
				     VE_BUF + 64, 8), 8);
	OK(libvm_virtio_stats_get(d, &s1));
	*exits = s1.mmio_exits - s0.mmio_exits;
	*kicks = s1.kicks - s0.kicks;
	cr_assert_eq(s1.chains - s0.chains, 20);
	libvm_virtio_destroy(d);
}

Test(virtio, kicks_stay_in_kvm)
{
	libvm_host_info hi = LIBVM_HOST_INFO_INIT;
	uint64_t exits, kicks;

	OK(libvm_host_query(&hi, NULL));
	if (!(hi.caps & LIBVM_HOST_IOEVENTFD))
		cr_skip_test("this KVM has no ioeventfd");
	count_exits(0, &exits, &kicks);
	cr_assert_eq(kicks, 20, "kicks %llu", (unsigned long long)kicks);
	cr_assert_lt(exits, 5, "%llu register exits for 20 requests",
		     (unsigned long long)exits);
	count_exits(LIBVM_VIRTIO_TRAP_NOTIFY, &exits, &kicks);
	cr_assert_geq(exits, 20);
	cr_assert_eq(kicks, 20);
}

/* With a GSI the device interrupts through the irqfd. */
Test(virtio, interrupts_counted)
{
	libvm_virtio_rng_config c = LIBVM_VIRTIO_RNG_CONFIG_INIT;
	libvm_virtio_stats st = LIBVM_VIRTIO_STATS_INIT;
	libvm_virtio_dev *d = NULL;
	int i;

	ve_teardown(&env);
	ve_setup(&env, LIBVM_VM_IRQCHIP);
	c.mmio_base = VE_DEV(0);
	c.gsi = 20;	/* an IOAPIC pin the guest leaves masked */
	OK(libvm_virtio_rng_create(&d, env.vm, &c));
	ve_init(&env, 0, VE_DEV(0), VE_F_PLAIN, 1, 64, LIBVM_VIRTIO_ID_RNG);
	cr_assert_eq(VE_CALL(&env, "rng_read", 0, VE_BUF, 16), 16);
	cr_assert_eq(VE_CALL(&env, "rng_read", 0, VE_BUF, 16), 16);
	/* The worker interrupts just after the guest may see the buffer. */
	for (i = 0; i < 5000; i++) {
		OK(libvm_virtio_stats_get(d, &st));
		if (st.interrupts == 2)
			break;
		usleep(1000);
	}
	cr_assert_eq(st.interrupts, 2);
}

/*
 * A fork has no virtio device: its registers are not among the traps a
 * fork inherits (the device belongs to the parent VM), so the fork's
 * accesses exit as unhandled MMIO -- also after the parent's device is
 * gone.
 */
Test(virtio, fork_has_no_device)
{
	libvm_snapshot *snap = NULL;
	libvm_virtio_dev *d = add_rng(VE_DEV(0));
	libvm_vm *child = NULL;
	uint64_t fn = 0, ret = 0;
	const uint64_t args[5] = { 0, VE_DEV(0), VE_F_ALL, 1, 64 };
	libvm_exit ex;

	ve_init(&env, 0, VE_DEV(0), VE_F_ALL, 1, 64, LIBVM_VIRTIO_ID_RNG);
	OK(libvm_snapshot_take(&snap, env.vm));
	OK(libvm_vm_fork(&child, snap));
	libvm_virtio_destroy(d);
	OK(libvm_image_symbol(&fn, env.img, "vd_init"));
	memset(&ex, 0, sizeof(ex));
	libvm_call(&ret, &ex, libvm_vm_vcpu(child, 0), fn, args, 5,
		   VE_CALL_NS);
	cr_assert_eq(ex.reason, LIBVM_EXIT_MMIO, "exit %s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.mmio.gpa, VE_DEV(0));
	libvm_vm_destroy(child);
	libvm_snapshot_destroy(snap);
}
