/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk inside Linux, vmrun against QEMU with KVM, same run: Debian's
 * stock kernel with an initramfs of Debian's virtio modules whose init
 * writes and then reads the first 256 MiB of /dev/vda with dd, 64 KiB
 * blocks, O_DIRECT (so the guest's page cache is not what is measured),
 * timed from /proc/uptime, then leaves through the debug-exit port.  The
 * disk is the same raw image file for every VMM: vmrun --disk (libvm's
 * virtio-blk on virtio-mmio), QEMU -M microvm with virtio-blk-device
 * (virtio-mmio) and -M q35 with virtio-blk-pci, both cache=writeback
 * (the host's page cache, as libvm).  Medians of LIBVM_BENCH_ROUNDS
 * (default 3) rounds, the VMMs' order rotating; the faster QEMU machine
 * is the baseline.
 *
 *   vblk_linux_dd_write_64k   MB/s, baseline qemu_<machine>_write
 *   vblk_linux_dd_read_64k    MB/s, baseline qemu_<machine>_read
 *
 * Needs supervisor code at hardware speed: on a PVM host it runs in the
 * nested VM (make bench).  Sizes scale with LIBVM_BENCH_SCALE.
 */
#define _GNU_SOURCE
#define BENCH_PROG "bench/vblk_linux"
#include <libvm/libvm.h>

#include "bench.h"
#include "initramfs.h"
#include "vmproc.h"

#include <stdbool.h>

#define RUN_LIMIT_NS	(900ull * 1000000000ull)
#define QEMU		"qemu-system-x86_64"
#define BLOCK		65536u

static const char *const names[] = {
	"vblk_linux_dd_write_64k", "vblk_linux_dd_read_64k", NULL,
};

static const char *const modules[] = {
	"virtio_mmio", "virtio_pci", "virtio_blk", NULL,
};

static const char init_script[] =
	INITRAMFS_PROLOGUE
	"[ -e /dev/port ] || mknod /dev/port c 1 4\n"
	INITRAMFS_INSMOD
	"up() { cut -d' ' -f1 /proc/uptime; }\n"
	"t0=$(up)\n"
	"dd if=/dev/zero of=/dev/vda bs=65536 count=$lv_count oflag=direct"
	" 2>/dev/null\n"
	"t1=$(up)\n"
	"dd if=/dev/vda of=/dev/null bs=65536 count=$lv_count iflag=direct"
	" 2>/dev/null\n"
	"t2=$(up)\n"
	"echo \"LV-DD $t0 $t1 $t2\"\n"
	"printf '\\0' | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null\n"
	"poweroff -f\n";

enum { VMRUN, MICROVM, Q35, NPROGS };

static const char *const prog_names[NPROGS] = { "vmrun", "qemu_microvm",
						 "qemu_q35" };

static void make_argv(char **argv, int p, const char *kernel,
		      const char *initrd, const char *img, const char *cmdline)
{
	static char buf[NPROGS][40][1100];
	int n = 0;

#define A(...) (snprintf(buf[p][n], sizeof(buf[p][n]), __VA_ARGS__), \
		argv[n] = buf[p][n], n++)
	if (p == VMRUN) {
		A("%s", LIBVM_VMRUN); A("--timeout"); A("800");
		A("--mem"); A("256"); A("--disk"); A("%s", img);
		A("--initrd"); A("%s", initrd);
		A("--cmdline"); A("%s", cmdline); A("%s", kernel);
	} else {
		A(QEMU); A("-enable-kvm"); A("-cpu"); A("host");
		A("-M"); A(p == MICROVM ? "microvm" : "q35");
		A("-m"); A("256"); A("-smp"); A("1");
		A("-nodefaults"); A("-no-user-config"); A("-display");
		A("none"); A("-serial"); A("stdio"); A("-no-reboot");
		A("-device"); A("isa-debug-exit,iobase=0xf4,iosize=1");
		A("-drive");
		A("file=%s,format=raw,if=none,id=d0,cache=writeback", img);
		A("-device");
		A(p == MICROVM ? "virtio-blk-device,drive=d0"
			       : "virtio-blk-pci,drive=d0");
		A("-kernel"); A("%s", kernel); A("-initrd"); A("%s", initrd);
		A("-append"); A("%s", cmdline);
	}
#undef A
	argv[n] = NULL;
}

struct series {
	double w[BENCH_MAX_ROUNDS], r[BENCH_MAX_ROUNDS];
	int n;
};

/* One boot: the dd figures in MB/s, or false. */
static bool run_one(char *const argv[], uint64_t bytes, double *w, double *r)
{
	static struct bench_proc p;
	double t0, t1, t2;
	const char *s;

	bench_spawn(&p, argv, RUN_LIMIT_NS, NULL, NULL);
	s = strstr(p.out, "LV-DD ");
	if (!s || sscanf(s + 6, "%lf %lf %lf", &t0, &t1, &t2) != 3 ||
	    !(t1 > t0) || !(t2 > t1)) {
		fprintf(stderr, BENCH_PROG ": %s gave no dd figures; it "
			"said:\n%s\n", argv[0], p.out);
		return false;
	}
	*w = bytes / 1e6 / (t1 - t0);
	*r = bytes / 1e6 / (t2 - t1);
	return true;
}

static void report(const char *name, const char *what, struct series *s,
		   int rounds, int write)
{
	double med[NPROGS];
	char line[128];
	int p, base = -1;

	for (p = 0; p < NPROGS; p++) {
		med[p] = s[p].n == rounds ?
			 bench_median(write ? s[p].w : s[p].r, s[p].n) : NAN;
		if (p != VMRUN && !isnan(med[p]) &&
		    (base < 0 || med[p] > med[base]))
			base = p;
	}
	for (p = MICROVM; p < NPROGS; p++) {
		snprintf(line, sizeof(line), "%s_%s", prog_names[p], what);
		if (isnan(med[p]))
			bench_skip(line, "QEMU did not finish every round");
		else
			bench_report(line, med[p], "MB/s");
	}
	if (isnan(med[VMRUN]))
		bench_skip(name, "vmrun did not finish every round");
	else if (base < 0)
		bench_report(name, med[VMRUN], "MB/s");
	else {
		snprintf(line, sizeof(line), "%s_%s", prog_names[base], what);
		bench_report_vs(name, med[VMRUN], "MB/s", line, med[base]);
	}
}

int main(void)
{
	libvm_host_info hi = LIBVM_HOST_INFO_INIT;
	int rounds = (int)bench_env_double("LIBVM_BENCH_ROUNDS", 3), i, k, p;
	uint64_t bytes = (uint64_t)bench_scaled(256ul << 20, 16ul << 20) &
			 ~(uint64_t)(BLOCK - 1);
	char kernel[1024], initrd[512], img[512], cmdline[256], why[256];
	char *argv[NPROGS][48];
	const char *tmp = getenv("TMPDIR");
	struct series s[NPROGS] = { 0 };
	int fd;

	if (libvm_host_query(&hi, NULL) < 0)
		bench_skip_all(names, "no usable /dev/kvm");
	if (hi.supervisor == LIBVM_SUPERVISOR_EMULATED)
		bench_skip_all(names, "this PVM host emulates supervisor code: "
			       "Linux runs in the nested VM");
	if (system(QEMU " --version >/dev/null 2>&1") != 0)
		bench_skip_all(names, "no " QEMU " (apt-get install "
			       "qemu-system-x86)");
	if (!bench_stock_kernel(kernel, sizeof(kernel)))
		bench_skip_all(names, "no kernel in " LIBVM_KERNEL_CACHE
			       " (make debian-kernel)");
	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	if (initramfs_build_mods(initrd, sizeof(initrd), why, sizeof(why),
				 kernel, modules, NULL, 0, init_script) < 0)
		bench_die("initramfs: %s", why);
	snprintf(img, sizeof(img), "%s/libvm-vblk-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
		bench_die_errno(img);
	close(fd);
	snprintf(cmdline, sizeof(cmdline), "console=ttyS0 panic=-1 quiet "
		 "lv_count=%llu", (unsigned long long)(bytes / BLOCK));
	for (p = 0; p < NPROGS; p++)
		make_argv(argv[p], p, kernel, initrd, img, cmdline);
	bench_header("dd in Linux, %llu MiB in 64 KiB O_DIRECT blocks to and "
		     "from a virtio-blk disk: vmrun vs QEMU+KVM (microvm, "
		     "q35), medians of %d rounds",
		     (unsigned long long)(bytes >> 20), rounds);
	for (i = 0; i < rounds; i++)
		for (k = 0; k < NPROGS; k++) {
			p = (i + k) % NPROGS;
			if (run_one(argv[p], bytes, &s[p].w[s[p].n],
				    &s[p].r[s[p].n]))
				s[p].n++;
		}
	unlink(initrd);
	unlink(img);
	report("vblk_linux_dd_write_64k", "write", s, rounds, 1);
	report("vblk_linux_dd_read_64k", "read", s, rounds, 0);
	return 0;
}
