/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files: save and load speed, and file size.
 *
 *   snapshot_save       MB/s of guest RAM (256 MiB, 16 MiB of it non-zero
 *                       text-like data on every 16th page) written by
 *                       libvm_snapshot_save, fsync and rename included
 *   snapshot_load       MB/s of guest RAM read back by libvm_snapshot_load
 *                       (every check, inflate into fresh memfds)
 *   snapshot_file_size  MiB of the file
 *
 * With KVM the snapshot is taken from a real VM with one vCPU; without it,
 * the same memory is put into a snapshot built by hand (tests/snapbuild.h),
 * since the file code needs no KVM.  Medians over LIBVM_BENCH_ROUNDS; sizes
 * scale with LIBVM_BENCH_SCALE.  The file goes to $TMPDIR (default /tmp).
 */
#define _GNU_SOURCE
#include <libvm/libvm.h>

#define BENCH_PROG "bench/snapshot_file"
#include "bench.h"
#include "../tests/snapbuild.h"

#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096ull

/* A page of lower-case words and spaces from a small vocabulary. */
static void text_page(uint8_t *p, uint64_t *seed)
{
	static const char *const words[] = {
		"the", "guest", "memory", "snapshot", "page", "kernel",
		"virtual", "machine", "register", "interrupt", "zlib",
		"stream", "of", "and", "a", "compressed", "file", "host",
	};
	size_t i = 0;

	while (i < PAGE) {
		const char *w;

		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		w = words[(*seed >> 33) % (sizeof(words) / sizeof(words[0]))];
		for (; *w && i < PAGE; w++)
			p[i++] = (uint8_t)*w;
		if (i < PAGE)
			p[i++] = (*seed >> 20) % 11 ? ' ' : '\n';
	}
}

struct ctx {
	libvm_snapshot *snap;
	char path[256];
	uint64_t ram;
};

static double save_round(void *opaque)
{
	struct ctx *c = opaque;
	uint64_t t = bench_now_ns();
	int r = libvm_snapshot_save(c->snap, c->path);

	if (r < 0)
		bench_die_libvm("libvm_snapshot_save", r);
	return (double)c->ram / 1e6 / ((double)(bench_now_ns() - t) / 1e9);
}

static double load_round(void *opaque)
{
	struct ctx *c = opaque;
	libvm_snapshot *s = NULL;
	uint64_t t = bench_now_ns();
	double v;
	int r = libvm_snapshot_load(&s, c->path);

	if (r < 0)
		bench_die_libvm("libvm_snapshot_load", r);
	v = (double)c->ram / 1e6 / ((double)(bench_now_ns() - t) / 1e9);
	libvm_snapshot_destroy(s);
	return v;
}

static double median_of(bench_round_fn fn, void *ctx, int rounds)
{
	double v[BENCH_MAX_ROUNDS];

	for (int i = 0; i < rounds; i++)
		v[i] = fn(ctx);
	return bench_median(v, rounds);
}

int main(void)
{
	struct ctx c = { 0 };
	const char *tmpdir = getenv("TMPDIR");
	libvm_vm *vm = NULL;
	libvm_vcpu *vcpu;
	uint8_t *mem = NULL, page[PAGE];
	uint64_t seed = 1, p, pages;
	int rounds = bench_rounds(), r;
	struct stat st;
	bool real;

	c.ram = bench_scaled(256ul << 20, 16ul << 20) & ~(PAGE - 1);
	pages = c.ram / PAGE;
	snprintf(c.path, sizeof(c.path), "%s/libvm-bench-%d.snap",
		 tmpdir && *tmpdir ? tmpdir : "/tmp", (int)getpid());

	r = libvm_vm_create(&vm, NULL);
	real = r == 0;
	if (r < 0 && r != LIBVM_ENOKVM)
		bench_die_libvm("libvm_vm_create", r);
	if (real) {
		if ((r = libvm_mem_map_anon(vm, 0, c.ram, 0)) < 0 ||
		    (r = libvm_vcpu_create(&vcpu, vm, 0)) < 0)
			bench_die_libvm("VM setup", r);
	} else {
		c.snap = sb_new();
		if (!c.snap || !(mem = sb_add_region(c.snap, 0, c.ram, 0)))
			bench_die_libvm("snapshot by hand", LIBVM_ENOMEM);
	}
	for (p = 0; p < pages; p += 16) {
		text_page(page, &seed);
		if (real && (r = libvm_mem_write(vm, p * PAGE, page, PAGE)) < 0)
			bench_die_libvm("libvm_mem_write", r);
		if (!real)
			memcpy(mem + p * PAGE, page, PAGE);
	}
	if (real && (r = libvm_snapshot_take(&c.snap, vm)) < 0)
		bench_die_libvm("libvm_snapshot_take", r);
	if (!real)
		sb_seal(c.snap);

	bench_header("snapshot file of %llu MiB of guest RAM, %llu MiB "
		     "non-zero text, %s; %d rounds",
		     (unsigned long long)(c.ram >> 20),
		     (unsigned long long)(c.ram >> 24),
		     real ? "taken from a KVM VM" : "built by hand (no KVM)",
		     rounds);
	bench_report("snapshot_save", median_of(save_round, &c, rounds),
		     "MB/s");
	bench_report("snapshot_load", median_of(load_round, &c, rounds),
		     "MB/s");
	if (stat(c.path, &st) < 0)
		bench_die_libvm("stat", LIBVM_EIO);
	bench_report("snapshot_file_size", (double)st.st_size / 1048576.0,
		     "MiB");
	unlink(c.path);
	libvm_snapshot_destroy(c.snap);
	if (vm)
		libvm_vm_destroy(vm);
	return 0;
}
