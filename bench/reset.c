/* SPDX-License-Identifier: MIT */
/*
 * Reset per fuzz input: libvm_snapshot_restore + libvm_call against its
 * baselines, in one process and run.
 *
 *   reset_run_64m       ns for one libvm_snapshot_restore plus one
 *                       libvm_call of a guest function that dirties 4
 *                       pages (bench/guests/reset.c; the call's stack
 *                       page makes 5), in a VM with 64 MiB of RAM, against
 *                       one bare KVM_RUN round trip of an `out` exit from
 *                       a raw CPL3 long-mode guest (raw_reset_exit, built
 *                       as bench/call.c builds its raw_call_exit).
 *                       Target: ratio <= 3.
 *   reset_run_4g        the same in a VM with 4 GiB of RAM (anonymous,
 *                       MAP_NORESERVE), against reset_run_64m: the cost
 *                       must follow the dirty pages, not the RAM size.
 *                       Target: ratio <= 1.2.
 *   recreate_run        us to do the same work with a new VM instead: 
 *                       create, map 64 MiB, load the ELF, long-mode setup,
 *                       vCPU, call, destroy; against reset_run_64m.
 *   reset_vs_recreate   recreate_run / reset_run_64m: the speed-up of
 *                       resetting.  Target: >= 50.
 *   fuzz_execs_per_sec  libvm_fuzz_exec calls per second over the fuzzing
 *                       example's guest (examples/fuzz/target.c with edge
 *                       coverage into a 64 KiB map), random inputs of 1-64
 *                       bytes, half of them starting with the parser's
 *                       unlock record so deeper code runs too: what
 *                       examples/fuzz/libfuzzer_harness does per input,
 *                       minus libFuzzer.
 *   libfuzzer_execs_per_sec  exec/s libFuzzer itself reports after running
 *                       that harness for 10 s (scaled, at least 2 s), when
 *                       it has been built (make fuzz-examples), with
 *                       LIBVM_FUZZ_KEEP_GOING=1 (it finds the example's
 *                       bug within a second); against fuzz_execs_per_sec.
 *
 * Subject and baseline run interleaved in rounds; medians.  Without KVM
 * every figure is a skip line.
 */
#include <libvm/libvm.h>

#define BENCH_PROG "bench/reset"
#include "bench.h"
#include "../examples/fuzz/fuzz_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LIBVM_FUZZ_HARNESS
#define LIBVM_FUZZ_HARNESS ""
#endif

#define SYS_GPA		0x100000ull
#define STACK_TOP	(64ull << 20)
#define MB2		0x200000ull
#define DIRTY_PAGES	4
#define CALL_TIMEOUT_NS	60000000000ull	/* a safety net only */

/* ---- libvm: a VM at its snapshot, reset and called ----------------------- */

struct lv_ctx {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_snapshot *snap;
	uint64_t fn;
	uint64_t ram;
	uint64_t iters;
	const char *path;
};

/* Everything up to the vCPU in long mode; the VM in c->vm. */
static void lv_build(struct lv_ctx *c)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_image *img = NULL;
	int r;

	lm.sys_gpa = SYS_GPA;
	if ((r = libvm_vm_create(&c->vm, NULL)) < 0)
		bench_die_libvm("libvm_vm_create", r);
	if ((r = libvm_mem_map_anon(c->vm, 0, c->ram, 0)) < 0)
		bench_die_libvm("libvm_mem_map_anon", r);
	if ((r = libvm_image_load_file(&img, c->vm, c->path, 0)) < 0)
		bench_die_libvm(c->path, r);
	if ((r = libvm_image_symbol(&c->fn, img, "dirty_pages")) < 0)
		bench_die_libvm("dirty_pages", r);
	libvm_image_destroy(img);
	if ((r = libvm_long_mode_setup(c->vm, &lm)) < 0)
		bench_die_libvm("libvm_long_mode_setup", r);
	if ((r = libvm_vcpu_create(&c->vcpu, c->vm, 0)) < 0)
		bench_die_libvm("libvm_vcpu_create", r);
	if ((r = libvm_vcpu_set_long_mode(c->vcpu, 0, STACK_TOP)) < 0)
		bench_die_libvm("libvm_vcpu_set_long_mode", r);
}

static void lv_call(struct lv_ctx *c, uint64_t v)
{
	uint64_t ret, args[2] = { DIRTY_PAGES, v };
	libvm_exit ex;
	int r = libvm_call(&ret, &ex, c->vcpu, c->fn, args, 2,
			   CALL_TIMEOUT_NS);

	if (r < 0)
		bench_die_libvm("libvm_call dirty_pages", r);
	if (ret != DIRTY_PAGES)
		bench_die("dirty_pages returned %llu", (unsigned long long)ret);
}

static void lv_setup(struct lv_ctx *c)
{
	int r;

	lv_build(c);
	if ((r = libvm_snapshot_take(&c->snap, c->vm)) < 0)
		bench_die_libvm("libvm_snapshot_take", r);
}

static void lv_teardown(struct lv_ctx *c)
{
	libvm_snapshot_destroy(c->snap);
	libvm_vm_destroy(c->vm);
}

/* ns per restore + call. */
static double lv_reset_run(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), i;
	int r;

	for (i = 0; i < c->iters; i++) {
		if ((r = libvm_snapshot_restore(c->vm, c->snap)) < 0)
			bench_die_libvm("libvm_snapshot_restore", r);
		lv_call(c, i);
	}
	return (double)(bench_now_ns() - t0) / (double)c->iters;
}

/* ns per new VM + call + destroy. */
static double lv_recreate_run(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), i;

	for (i = 0; i < c->iters; i++) {
		struct lv_ctx n = *c;

		lv_build(&n);
		lv_call(&n, i);
		libvm_vm_destroy(n.vm);
	}
	return (double)(bench_now_ns() - t0) / (double)c->iters;
}

/* ---- libvm_fuzz_exec over the fuzzing example ------------------------------ */

struct fz_ctx {
	struct fuzz_vm f;
	uint64_t execs, seed, bugs;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* execs per second. */
static double fz_round(void *arg)
{
	struct fz_ctx *c = arg;
	uint8_t in[64];
	libvm_fuzz_result res;
	uint64_t t0 = bench_now_ns(), i;

	for (i = 0; i < c->execs; i++) {
		size_t len = 1 + xorshift(&c->seed) % sizeof(in), k = 0;

		if (xorshift(&c->seed) & 1 && len > 3) {
			memcpy(in, "KFZ", 3);
			k = 3;
		}
		for (; k < len; k++)
			in[k] = (uint8_t)xorshift(&c->seed);
		if (fuzz_vm_exec(&res, &c->f, in, len) < 0)
			exit(1);
		if (res.outcome == LIBVM_FUZZ_BUG)
			c->bugs++;
		else if (res.outcome != LIBVM_FUZZ_OK) {
			fuzz_vm_print(&res, len);
			bench_die("unexpected outcome");
		}
	}
	return (double)c->execs * 1e9 / (double)(bench_now_ns() - t0);
}

/* exec/s libFuzzer reports for the harness, or < 0 (why in why). */
static double libfuzzer_rate(const char *harness, unsigned secs, char *why,
			     size_t n)
{
	char dir[] = "/tmp/libvm-bench-reset-XXXXXX", cmd[1024], line[1024];
	double rate = -1;
	FILE *p;

	if (!*harness || access(harness, X_OK) < 0) {
		snprintf(why, n, "%s not built (make fuzz-examples)",
			 *harness ? harness : "the libFuzzer harness");
		return -1;
	}
	if (!mkdtemp(dir)) {
		snprintf(why, n, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	/* KEEP_GOING: the example's planted bug would end the run at once */
	snprintf(cmd, sizeof(cmd), "LIBVM_FUZZ_KEEP_GOING=1 '%s' "
		 "-max_total_time=%u -seed=1 "
		 "-artifact_prefix=%s/ %s 2>&1", harness, secs, dir, dir);
	p = popen(cmd, "r");
	if (!p) {
		snprintf(why, n, "popen: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), p)) {
		const char *e = strstr(line, "exec/s: ");

		if (line[0] == '#' && e)
			rate = strtod(e + 8, NULL);
	}
	pclose(p);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench/reset: could not remove %s\n", dir);
	if (rate < 0)
		snprintf(why, n, "no exec/s in libFuzzer's output");
	return rate;
}

#include "raw64.h"

int main(void)
{
	static const char *const names[] = {
		"raw_reset_exit", "reset_run_64m", "reset_run_4g",
		"recreate_run", "reset_vs_recreate", "fuzz_execs_per_sec",
		"libfuzzer_execs_per_sec", NULL,
	};
	struct lv_ctx small = { 0 }, big = { 0 };
	struct raw_ctx raw = { 0 };
	struct fz_ctx fz = { 0 };
	int rounds = bench_rounds();
	double v, b, v4, b64, rec, reset, rate;
	char why[512];
	uint8_t *cov;
	unsigned secs;

	libvm_vm_destroy(bench_vm_create_or_skip(names));

	small.path = big.path = LIBVM_GUEST_DIR "/reset.elf";
	small.ram = 64ull << 20;
	big.ram = 4ull << 30;
	small.iters = big.iters = raw.exits = bench_scaled(1000, 4);
	lv_setup(&small);
	lv_setup(&big);
	raw_setup(&raw);

	bench_header("reset_run: libvm_snapshot_restore + libvm_call of a "
		     "function dirtying %d pages (64-bit CPL3) vs one KVM_RUN "
		     "round trip of an OUT exit from a raw CPL3 guest; %llu per "
		     "round, %d rounds, median ns each", DIRTY_PAGES,
		     (unsigned long long)small.iters, rounds);
	lv_reset_run(&small);
	raw_exits(&raw);
	bench_interleave(&v, &b, rounds, lv_reset_run, &small, raw_exits,
			 &raw);
	bench_report("raw_reset_exit", b, "ns");
	bench_report_vs("reset_run_64m", v, "ns", "raw_reset_exit", b);
	raw_teardown(&raw);

	bench_header("reset_run_4g: the same in a VM with 4 GiB of RAM vs "
		     "64 MiB");
	lv_reset_run(&big);
	bench_interleave(&v4, &b64, rounds, lv_reset_run, &big, lv_reset_run,
			 &small);
	bench_report_vs("reset_run_4g", v4, "ns", "reset_run_64m", b64);
	lv_teardown(&big);

	small.iters = bench_scaled(50, 2);
	bench_header("recreate_run: create VM, map 64 MiB, load ELF, long "
		     "mode, vCPU, call, destroy vs reset_run_64m; %llu per "
		     "round, %d rounds, median us each",
		     (unsigned long long)small.iters, rounds);
	{
		struct lv_ctx rc = small;

		rc.iters = small.iters;
		lv_recreate_run(&rc);
		small.iters = bench_scaled(1000, 4);
		bench_interleave(&rec, &reset, rounds, lv_recreate_run, &rc,
				 lv_reset_run, &small);
	}
	bench_report_vs("recreate_run", rec / 1e3, "us", "reset_run_64m",
			reset / 1e3);
	bench_report("reset_vs_recreate", rec / reset, "x");
	lv_teardown(&small);

	cov = aligned_alloc(4096, 65536);
	if (!cov)
		bench_die("out of memory");
	memset(cov, 0, 65536);
	if (fuzz_vm_setup(&fz.f, cov, 65536) < 0)
		exit(1);
	fz.execs = bench_scaled(2000, 10);
	fz.seed = 0x9e3779b97f4a7c15ull;
	bench_header("fuzz_execs_per_sec: libvm_fuzz_exec over %s() of %s, "
		     "random 1-64 byte inputs; %llu per round, %d rounds, "
		     "median", fz.f.fn_name, fz.f.path,
		     (unsigned long long)fz.execs, rounds);
	{
		double r[BENCH_MAX_ROUNDS];
		int i;

		fz_round(&fz);
		for (i = 0; i < rounds && i < BENCH_MAX_ROUNDS; i++)
			r[i] = fz_round(&fz);
		rate = bench_median(r, i);
	}
	bench_report("fuzz_execs_per_sec", rate, "execs/s");
	fuzz_vm_destroy(&fz.f);
	free(cov);

	secs = (unsigned)(10 * bench_scale() + 0.5);
	if (secs < 2)
		secs = 2;
	v = libfuzzer_rate(LIBVM_FUZZ_HARNESS, secs, why, sizeof(why));
	if (v < 0)
		bench_skip("libfuzzer_execs_per_sec", why);
	else
		bench_report_vs("libfuzzer_execs_per_sec", v, "execs/s",
				"fuzz_execs_per_sec", rate);
	return 0;
}
