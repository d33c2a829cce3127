/* SPDX-License-Identifier: MIT */
/*
 * Whole-VM boot times, vmrun against QEMU with KVM, same run: from process
 * start to the guest's boot marker and to its exit through port 0xf4,
 * medians of LIBVM_BENCH_ROUNDS (default 5) rounds after one warm-up run
 * each, the programs interleaved (the order rotates every round).
 *
 *   - Debian's stock kernel (scripts/debian-kernel's cache) with the test
 *     initramfs (tests/initramfs.c, mode "exit"), booted by vmrun as it
 *     does by default (the bzImage's vmlinux unpacked on the host, kept in
 *     a cache directory of the bench's, through PVH), by vmrun
 *     --no-unpack (the guest decompresses it), and by QEMU (-kernel, the
 *     bzImage's own 16-bit setup or 64-bit path): the marker is the moment
 *     the init's "LIBVM-INIT" line reaches the serial console -- the init
 *     writes the boot-marker port just before it, which QEMU ignores --
 *     and the exit is the process's end.  QEMU runs with -M microvm and
 *     with -M q35; the faster median is the baseline.
 *   - The repo's protocol test kernels (bzImage, PVH, multiboot): to exit.
 *   - vmrun's own resident memory beyond the guest's RAM while a Linux
 *     guest runs (vmrun --stats at power-off; target: Firecracker's 5 MiB).
 */
#define BENCH_PROG "bench/vmboot"
#include <libvm/libvm.h>

#include "bench.h"
#include "initramfs.h"
#include "vmproc.h"

#include <stdbool.h>

#define LINUX_LIMIT_NS	(400ull * 1000000000ull)
#define KERNEL_LIMIT_NS	(60ull * 1000000000ull)
#define MARKER		"LIBVM-INIT"
#define LINUX_MEM_MIB	"256"
#define QEMU		"qemu-system-x86_64"

struct run {
	double marker_s, exit_s;	/* NAN when not seen */
	int status;
	long vmm_kib;			/* vmrun --stats, else -1 */
};

static void see_marker(struct bench_proc *p, void *ctx)
{
	struct run *r = ctx;

	if (isnan(r->marker_s) && strstr(p->out, MARKER))
		r->marker_s = (bench_now_ns() - p->t0) / 1e9;
}

/* Run argv, timing the marker and the end; killed after limit_ns. */
static void run_one(struct run *r, char *const argv[], uint64_t limit_ns)
{
	static struct bench_proc p;
	char *s;

	r->marker_s = r->exit_s = NAN;
	r->vmm_kib = -1;
	bench_spawn(&p, argv, limit_ns, see_marker, r);
	r->exit_s = p.exit_s;
	r->status = p.status < 0 ? 0 : p.status;
	s = strstr(p.out, "vmm_kib=");
	if (s)
		r->vmm_kib = strtol(s + 8, NULL, 10);
	/* A debug exit gives an odd status; a kill or a plain exit does not. */
	if (!(r->status & 1))
		r->exit_s = NAN;
}

enum { VMRUN, VMRUN_AS_IS, MICROVM, Q35, NPROGS };

static const char *const prog_names[NPROGS] = {
	"vmrun", "vmrun_no_unpack", "qemu_microvm_kvm", "qemu_q35_kvm" };

/* argv for program p booting kernel (initrd may be NULL). */
static void make_argv(char **argv, int p, const char *kernel,
		      const char *initrd, const char *cmdline)
{
	static char buf[NPROGS][32][512];
	int n = 0;

#define A(s) (snprintf(buf[p][n], sizeof(buf[p][n]), "%s", (s)), \
	      argv[n] = buf[p][n], n++)
	if (p == VMRUN || p == VMRUN_AS_IS) {
		A(LIBVM_VMRUN); A("--stats"); A("--timeout"); A("300");
		if (p == VMRUN_AS_IS)
			A("--no-unpack");
		A("--mem"); A(LINUX_MEM_MIB);
		if (initrd) {
			A("--initrd"); A(initrd);
		}
		A("--cmdline"); A(cmdline); A(kernel);
	} else {
		A(QEMU); A("-enable-kvm"); A("-cpu"); A("host");
		A("-M"); A(p == MICROVM ? "microvm" : "q35");
		A("-m"); A(LINUX_MEM_MIB); A("-smp"); A("1");
		A("-nodefaults"); A("-no-user-config"); A("-display");
		A("none"); A("-serial"); A("stdio"); A("-no-reboot");
		A("-device"); A("isa-debug-exit,iobase=0xf4,iosize=1");
		A("-kernel"); A(kernel);
		if (initrd) {
			A("-initrd"); A(initrd);
		}
		A("-append"); A(cmdline);
	}
#undef A
	argv[n] = NULL;
}

struct series {
	double marker[BENCH_MAX_ROUNDS], exit[BENCH_MAX_ROUNDS];
	int nm, ne;
	long kib[BENCH_MAX_ROUNDS];
	int nk;
	bool given_up;		/* it did not exit once: not run again */
};

/*
 * rounds of every program, the order rotating each round.  A program that
 * does not end through the debug exit is not run again (QEMU's microvm,
 * for one, boots no multiboot kernel).
 */
static void measure(struct series *s, int rounds, const char *kernel,
		    const char *initrd, const char *cmdline, uint64_t limit)
{
	char *argv[NPROGS][40];
	struct run r;
	int i, k, p;

	for (p = 0; p < NPROGS; p++)
		make_argv(argv[p], p, kernel, initrd, cmdline);
	/* A warm-up run each, not counted (caches, vmrun's unpacked kernel). */
	for (p = 0; p < NPROGS; p++) {
		run_one(&r, argv[p], limit);
		if (isnan(r.exit_s))
			s[p].given_up = true;
	}
	for (i = 0; i < rounds; i++) {
		for (k = 0; k < NPROGS; k++) {
			p = (i + k) % NPROGS;
			if (s[p].given_up)
				continue;
			run_one(&r, argv[p], limit);
			if (getenv("LIBVM_BENCH_VERBOSE"))
				bench_header("round %d %s: marker %.3f s, "
					     "exit %.3f s, status %d", i,
					     prog_names[p], r.marker_s,
					     r.exit_s, r.status);
			if (isnan(r.exit_s))
				s[p].given_up = true;
			if (!isnan(r.marker_s))
				s[p].marker[s[p].nm++] = r.marker_s;
			if (!isnan(r.exit_s))
				s[p].exit[s[p].ne++] = r.exit_s;
			if (r.vmm_kib >= 0)
				s[p].kib[s[p].nk++] = r.vmm_kib;
		}
	}
}

/* vmrun's figure against the faster QEMU machine's. */
static void report(const char *name, double *v[NPROGS], int n[NPROGS],
		   int rounds)
{
	double med[NPROGS];
	char line[128];
	int p, base = -1;

	for (p = 0; p < NPROGS; p++) {
		med[p] = n[p] == rounds ? bench_median(v[p], n[p]) : NAN;
		if (p >= MICROVM && !isnan(med[p]) &&
		    (base < 0 || med[p] < med[base]))
			base = p;
	}
	for (p = 0; p < NPROGS; p++) {
		snprintf(line, sizeof(line), "%s_%s", name, prog_names[p]);
		if (isnan(med[p]))
			bench_skip(line, "did not get there every round");
		else if (p >= MICROVM || base < 0)
			bench_report(line, med[p], "s");
		else
			bench_report_vs(line, med[p], "s", prog_names[base],
					med[base]);
	}
}

static void report_series(const char *name, struct series *s, int rounds,
			  int with_marker)
{
	double *v[NPROGS];
	int n[NPROGS], p;
	char line[128];

	if (with_marker) {
		for (p = 0; p < NPROGS; p++) {
			v[p] = s[p].marker;
			n[p] = s[p].nm;
		}
		snprintf(line, sizeof(line), "%s_marker", name);
		report(line, v, n, rounds);
	}
	for (p = 0; p < NPROGS; p++) {
		v[p] = s[p].exit;
		n[p] = s[p].ne;
	}
	snprintf(line, sizeof(line), "%s_exit", name);
	report(line, v, n, rounds);
}

int main(void)
{
	static const char *const names[] = {
		"linux_marker_vmrun", "linux_exit_vmrun",
		"linux_marker_vmrun_no_unpack", "linux_exit_vmrun_no_unpack",
		"linux_vmm_rss",
		"kernel_bzimage_exit_vmrun", "kernel_pvh64_exit_vmrun",
		"kernel_multiboot_exit_vmrun", NULL };
	static const char *const kernels[] = { "bzimage.bin", "pvh64.elf",
					       "multiboot.elf" };
	static const char *const knames[] = { "kernel_bzimage",
					      "kernel_pvh64",
					      "kernel_multiboot" };
	int rounds = (int)bench_env_double("LIBVM_BENCH_ROUNDS", 5);
	char kernel[1024], initrd[512], why[256], path[1024], cache[600];
	struct series s[NPROGS];
	double kib[BENCH_MAX_ROUNDS];
	unsigned i;
	int p;

	libvm_host_info hi = LIBVM_HOST_INFO_INIT;

	if (libvm_host_query(&hi, NULL) < 0)
		bench_skip_all(names, "no usable /dev/kvm");
	if (hi.supervisor == LIBVM_SUPERVISOR_EMULATED)
		bench_skip_all(names, "this PVM host emulates supervisor code: "
			       "kernels boot in the nested VM");
	if (system(QEMU " --version >/dev/null 2>&1") != 0)
		bench_skip_all(names, "no " QEMU " (apt-get install "
			       "qemu-system-x86)");
	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	bench_header("process start to boot marker / debug exit, vmrun vs "
		     "QEMU+KVM (microvm, q35), medians of %d rounds", rounds);
	for (i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", LIBVM_TEST_KERNEL_DIR,
			 kernels[i]);
		memset(s, 0, sizeof(s));
		measure(s, rounds, path, NULL, "console=ttyS0",
			KERNEL_LIMIT_NS);
		report_series(knames[i], s, rounds, 0);
	}
	if (!bench_stock_kernel(kernel, sizeof(kernel))) {
		bench_skip("linux_marker_vmrun", "no kernel in "
			   LIBVM_KERNEL_CACHE " (make debian-kernel)");
		return 0;
	}
	if (initramfs_build(initrd, sizeof(initrd), why, sizeof(why)) < 0)
		bench_die("initramfs: %s", why);
	snprintf(cache, sizeof(cache), "%s.cache", initrd);
	setenv("LIBVM_CACHE_DIR", cache, 1);
	memset(s, 0, sizeof(s));
	measure(s, rounds, kernel, initrd, LINUX_CMDLINE("exit") " quiet",
		LINUX_LIMIT_NS);
	unlink(initrd);
	snprintf(path, sizeof(path), "rm -rf '%s'", cache);
	if (system(path) != 0)
		bench_die("%s failed", path);
	report_series("linux", s, rounds, 1);
	for (p = 0; p < s[VMRUN].nk; p++)
		kib[p] = (double)s[VMRUN].kib[p];
	if (s[VMRUN].nk)
		printf("BENCH name=linux_vmm_rss value=%.0f unit=KiB "
		       "target=5120\n", bench_median(kib, s[VMRUN].nk));
	else
		bench_skip("linux_vmm_rss", "vmrun --stats gave no figure");
	return 0;
}
