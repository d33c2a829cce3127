/* SPDX-License-Identifier: MIT */
/*
 * Boot loader benchmarks: what libvm_boot_load costs beyond copying the
 * bytes it writes, in the same process and run.
 *
 *   boot_load_bzimage    ms to load Debian's stock bzImage (from memory)
 *                        with a 16 MiB initrd into a 256 MiB VM: checks,
 *                        placement, zero page, page tables, writes;
 *                        baseline: libvm_mem_write of the same kernel and
 *                        initrd bytes to the same places.
 *   boot_load_multiboot  us to load the repo's multiboot test kernel with
 *                        four 64 KiB modules; baseline the same bytes
 *                        written with libvm_mem_write.
 *
 * Sizes scale with LIBVM_BENCH_SCALE; the stock kernel comes from
 * LIBVM_KERNEL_CACHE (scripts/debian-kernel), else that figure is skipped.
 */
#include <libvm/libvm.h>

#define BENCH_PROG "bench/boot"
#include "bench.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const figure_names[] = {
	"boot_load_bzimage", "boot_load_multiboot", NULL,
};

struct job {
	libvm_vm *vm;
	libvm_boot_config cfg;
	libvm_boot_module mods[4];
	/* The baseline's writes: what the loader wrote, where. */
	struct { uint64_t gpa; const void *src; uint64_t len; } w[8];
	unsigned nw, iters;
};

/* A kernel file, mapped: the loads take it from memory, not the disk. */
static uint8_t *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		bench_die_errno(path);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		bench_die_errno(path);
	*len = (size_t)st.st_size;
	return p;
}

/* A VM of ram bytes and a config for kernel with nmods of j->mods. */
static void setup(struct job *j, uint64_t ram, const uint8_t *kernel,
		  size_t klen, uint32_t nmods)
{
	j->vm = bench_vm_create_or_skip(figure_names);
	if (libvm_mem_map_anon(j->vm, 0, ram, 0))
		bench_die("libvm_mem_map_anon: %s", libvm_last_error());
	j->cfg = (libvm_boot_config)LIBVM_BOOT_CONFIG_INIT;
	j->cfg.kernel_data = kernel;
	j->cfg.kernel_len = klen;
	j->cfg.cmdline = "console=ttyS0";
	j->cfg.modules = j->mods;
	j->cfg.nmodules = nmods;
}

static double load_round(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = bench_now_ns();
	unsigned i;

	for (i = 0; i < j->iters; i++) {
		libvm_boot *b;
		int r = libvm_boot_load(&b, j->vm, &j->cfg);

		if (r < 0)
			bench_die_libvm("libvm_boot_load", r);
		libvm_boot_destroy(b);
	}
	return (double)(bench_now_ns() - t0) / j->iters;
}

static double copy_round(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = bench_now_ns();
	unsigned i, k;

	for (i = 0; i < j->iters; i++)
		for (k = 0; k < j->nw; k++) {
			int r = libvm_mem_write(j->vm, j->w[k].gpa, j->w[k].src,
						j->w[k].len);

			if (r < 0)
				bench_die_libvm("libvm_mem_write", r);
		}
	return (double)(bench_now_ns() - t0) / j->iters;
}

/* The baseline writes the kernel and module bytes where the loader did. */
static void plan_baseline(struct job *j, const void *kernel, uint64_t klen)
{
	libvm_boot_range rg[32];
	uint32_t n = 32, i;
	libvm_boot *b;
	int r = libvm_boot_load(&b, j->vm, &j->cfg);

	if (r < 0 || (r = libvm_boot_ranges(b, rg, &n)) < 0)
		bench_die_libvm("libvm_boot_load", r);
	for (i = 0; i < n && j->nw < 8; i++) {
		if (rg[i].what == LIBVM_BOOT_MODULE)
			j->w[j->nw++] = (typeof(j->w[0])){
				rg[i].gpa, j->mods[rg[i].index].data,
				rg[i].len };
		else if (rg[i].what == LIBVM_BOOT_KERNEL)
			j->w[j->nw++] = (typeof(j->w[0])){
				rg[i].gpa, kernel,
				klen < rg[i].len ? klen : rg[i].len };
	}
	libvm_boot_destroy(b);
}

static void measure(const char *name, struct job *j, const void *kernel,
		    uint64_t klen, double unit_ns, const char *unit)
{
	double s, b;

	plan_baseline(j, kernel, klen);
	bench_interleave(&s, &b, bench_rounds(), load_round, j, copy_round, j);
	bench_report_vs(name, s / unit_ns, unit, "mem_write_same_bytes",
			b / unit_ns);
}

static void bench_bzimage(void)
{
	struct job j = { .iters = (unsigned)bench_scaled(10, 2) };
	uint64_t rd_len = bench_scaled(16 << 20, 1 << 20);
	size_t klen;
	glob_t g;
	uint8_t *kernel, *rd;

	if (glob(LIBVM_KERNEL_CACHE "/linux-image-*/vmlinuz", 0, NULL, &g)) {
		bench_skip("boot_load_bzimage", "no Debian kernel in "
			   LIBVM_KERNEL_CACHE " (scripts/debian-kernel)");
		return;
	}
	kernel = map_file(g.gl_pathv[g.gl_pathc - 1], &klen);
	globfree(&g);
	rd = malloc(rd_len);
	if (!rd)
		bench_die("the initrd: %llu bytes", (unsigned long long)rd_len);
	memset(rd, 0x5a, rd_len);
	j.mods[0] = (libvm_boot_module){ .data = rd, .len = rd_len };
	setup(&j, 256 << 20, kernel, klen, 1);
	/* The protected-mode kernel starts after the setup sectors. */
	measure("boot_load_bzimage", &j, kernel + (kernel[0x1f1] + 1) * 512,
		klen - (kernel[0x1f1] + 1) * 512, 1e6, "ms");
	libvm_vm_destroy(j.vm);
	munmap(kernel, klen);
	free(rd);
}

static void bench_multiboot(void)
{
	struct job j = { .iters = (unsigned)bench_scaled(200, 10) };
	static uint8_t mod[4][64 << 10];
	size_t klen;
	uint8_t *kernel = map_file(LIBVM_TEST_KERNEL_DIR "/multiboot-aout.bin",
				   &klen);
	unsigned i;

	for (i = 0; i < 4; i++) {
		memset(mod[i], (int)i, sizeof(mod[i]));
		j.mods[i] = (libvm_boot_module){ .data = mod[i],
						 .len = sizeof(mod[i]),
						 .string = "module" };
	}
	setup(&j, 16 << 20, kernel, klen, 4);
	measure("boot_load_multiboot", &j, kernel, klen, 1e3, "us");
	libvm_vm_destroy(j.vm);
	munmap(kernel, klen);
}

int main(void)
{
	bench_header("libvm_boot_load against libvm_mem_write of the same "
		     "bytes, medians of %d rounds", bench_rounds());
	bench_bzimage();
	bench_multiboot();
	return 0;
}
