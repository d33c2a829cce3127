/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk throughput, driven by the repo's guest driver
 * (tests/guests/virtio.c, user mode, polling): sequential writes and reads
 * of a 256 MiB raw image in 64 KiB requests, 32 in flight, against the
 * same file written and read directly by the host in 64 KiB pwrite/pread
 * calls from as many buffers as the guest has in flight (the same
 * memory footprint), interleaved in rounds.
 *
 *   virtio_blk_write_64k     MB/s, baseline host_pwrite_64k
 *   virtio_blk_read_64k      MB/s, baseline host_pread_64k
 *   virtio_blk_exits_per_mib exits to userspace per MiB moved (the
 *                            device's register exits plus the call's own
 *                            return), over every round
 *   virtio_blk_kicks_per_mib queue notifications the worker woke for per
 *                            MiB (they exit to KVM, not to userspace)
 *
 * Both go through the page cache.  Sizes scale with LIBVM_BENCH_SCALE,
 * rounds are LIBVM_BENCH_ROUNDS; the image goes to $TMPDIR (default /tmp).
 */
#define _GNU_SOURCE
#include <libvm/libvm.h>

#define BENCH_PROG "bench/virtio_blk"
#include "bench.h"
#include "../tests/guests/virtio_drv.h"

#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "build/guests"
#endif

#define RAM		(64ull << 20)
#define SYS		0x100000ull
#define STACK		(48ull << 20)
#define BUFS		(16ull << 20)
#define MMIO		(128ull << 20)
#define MAP		(256ull << 20)
#define REQ		(64u << 10)
#define DEPTH		32u
#define QSIZE		256u
#define T_IN		0
#define T_OUT		1
#define CALL_NS		(600ull * 1000000000ull)

static const char *const names[] = {
	"virtio_blk_write_64k", "virtio_blk_read_64k",
	"virtio_blk_exits_per_mib", "virtio_blk_kicks_per_mib", NULL,
};

struct ctx {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_image *img;
	libvm_virtio_dev *dev;
	uint64_t stream, total;
	int fd;
	uint8_t *buf;
	uint64_t exits, kicks, moved;	/* over the libvm rounds */
};

static uint64_t sym(struct ctx *c, const char *name)
{
	uint64_t a = 0;
	int r = libvm_image_symbol(&a, c->img, name);

	if (r < 0)
		bench_die_libvm(name, r);
	return a;
}

static int64_t call(struct ctx *c, const char *fn, const uint64_t *args,
		    uint32_t n)
{
	uint64_t ret = 0;
	libvm_exit ex;
	int r = libvm_call(&ret, &ex, c->vcpu, sym(c, fn), args, n, CALL_NS);

	if (r < 0)
		bench_die("%s: %s: %s (exit %s)", fn, libvm_strerror(r),
			  libvm_last_error(), libvm_exit_reason_name(ex.reason));
	return (int64_t)ret;
}

static double mbps(uint64_t bytes, uint64_t ns)
{
	return (double)bytes / 1e6 / ((double)ns / 1e9);
}

static double guest_round(struct ctx *c, uint32_t type)
{
	libvm_virtio_stats s0 = LIBVM_VIRTIO_STATS_INIT;
	libvm_virtio_stats s1 = LIBVM_VIRTIO_STATS_INIT;
	uint64_t args[6] = { 0, type, c->total, REQ, BUFS, DEPTH }, t;
	int64_t r;

	libvm_virtio_stats_get(c->dev, &s0);
	t = bench_now_ns();
	r = call(c, "blk_stream", args, 6);
	t = bench_now_ns() - t;
	if (r)
		bench_die("blk_stream(%s): %lld", type ? "write" : "read",
			  (long long)r);
	libvm_virtio_stats_get(c->dev, &s1);
	c->exits += s1.mmio_exits - s0.mmio_exits + 1;
	c->kicks += s1.kicks - s0.kicks;
	c->moved += c->total;
	return mbps(c->total, t);
}

static double host_round(struct ctx *c, bool write)
{
	uint64_t off, t = bench_now_ns();

	for (off = 0; off < c->total; off += REQ) {
		uint8_t *b = c->buf + (off / REQ % DEPTH) * REQ;
		ssize_t n = write ? pwrite(c->fd, b, REQ, (off_t)off)
				  : pread(c->fd, b, REQ, (off_t)off);

		if (n != (ssize_t)REQ)
			bench_die_errno(write ? "pwrite" : "pread");
	}
	return mbps(c->total, bench_now_ns() - t);
}

static double guest_write(void *c) { return guest_round(c, T_OUT); }
static double guest_read(void *c) { return guest_round(c, T_IN); }
static double host_write(void *c) { return host_round(c, true); }
static double host_read(void *c) { return host_round(c, false); }

static void setup(struct ctx *c, const char *path)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_virtio_blk_config bc = LIBVM_VIRTIO_BLK_CONFIG_INIT;
	uint64_t init[5] = { 0, MMIO, ~0ull, 1, QSIZE };
	int r;

	c->vm = bench_vm_create_or_skip(names);
	if ((r = libvm_mem_map_anon(c->vm, 0, RAM, 0)) < 0 ||
	    (r = libvm_image_load_file(&c->img, c->vm,
				       LIBVM_GUEST_DIR "/virtio.elf", 0)) < 0)
		bench_die_libvm("guest", r);
	lm.sys_gpa = SYS;
	lm.map_size = MAP;
	if ((r = libvm_long_mode_setup(c->vm, &lm)) < 0 ||
	    (r = libvm_vcpu_create(&c->vcpu, c->vm, 0)) < 0 ||
	    (r = libvm_vcpu_set_long_mode(c->vcpu, libvm_image_entry(c->img),
					  STACK)) < 0)
		bench_die_libvm("long mode", r);
	bc.path = path;
	bc.mmio_base = MMIO;
	bc.queue_size = QSIZE;
	/* The data the guest writes: its buffers hold something. */
	if ((r = libvm_mem_write(c->vm, BUFS, c->buf,
				 (uint64_t)DEPTH * REQ)) < 0)
		bench_die_libvm("buffers", r);
	if ((r = libvm_virtio_blk_create(&c->dev, c->vm, &bc)) < 0)
		bench_die_libvm("libvm_virtio_blk_create", r);
	if (call(c, "vd_init", init, 5) != LIBVM_VIRTIO_ID_BLOCK)
		bench_die("vd_init failed");
}

int main(void)
{
	const char *dir = getenv("TMPDIR");
	struct ctx c = { 0 };
	double s, b, rounds = bench_rounds();
	char path[512];

	c.total = (uint64_t)bench_scaled(256ul << 20, 4ul << 20) & ~(REQ - 1ull);
	snprintf(path, sizeof(path), "%s/libvm-bench-vblk-XXXXXX",
		 dir && *dir ? dir : "/tmp");
	c.fd = mkstemp(path);
	if (c.fd < 0)
		bench_die_errno("mkstemp");
	if (ftruncate(c.fd, (off_t)c.total) < 0)
		bench_die_errno("ftruncate");
	c.buf = aligned_alloc(4096, (size_t)DEPTH * REQ);
	if (!c.buf)
		bench_die("out of memory");
	memset(c.buf, 0xa5, (size_t)DEPTH * REQ);
	setup(&c, path);
	unlink(path);	/* the device and c.fd keep it open */
	bench_header("virtio-blk: %llu MiB sequential, %u KiB requests, %u "
		     "in flight, guest driver polling; %d rounds",
		     (unsigned long long)(c.total >> 20), REQ >> 10, DEPTH,
		     (int)rounds);
	bench_interleave(&s, &b, (int)rounds, guest_write, &c, host_write,
			 &c);
	bench_report_vs("virtio_blk_write_64k", s, "MB/s", "host_pwrite_64k",
			b);
	bench_interleave(&s, &b, (int)rounds, guest_read, &c, host_read, &c);
	bench_report_vs("virtio_blk_read_64k", s, "MB/s", "host_pread_64k", b);
	bench_report("virtio_blk_exits_per_mib",
		     (double)c.exits / ((double)c.moved / (1 << 20)),
		     "exits/MiB");
	bench_report("virtio_blk_kicks_per_mib",
		     (double)c.kicks / ((double)c.moved / (1 << 20)), "kicks/MiB");
	libvm_image_destroy(c.img);
	libvm_vm_destroy(c.vm);
	close(c.fd);
	free(c.buf);
	return 0;
}
