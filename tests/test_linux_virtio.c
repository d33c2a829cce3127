/* SPDX-License-Identifier: MIT */
/*
 * Debian's stock kernel and libvm's virtio devices: the machine gets two
 * virtio-blk disks (one read-write raw image, one read-only ext4 image
 * made by mkfs.ext4), a virtio console and a virtio-rng, announced in the
 * ACPI tables only; the kernel command line has no virtio option.  The
 * test initramfs loads Debian's own modules (virtio_mmio, virtio_blk,
 * virtio_console, virtio-rng, ext4 and what they need) and its init
 * finds the disks by their serial (GET_ID), writes a pattern to one and
 * syncs, mounts the other and prints a file, reads /dev/hwrng, and talks
 * over /dev/hvc0 both ways.  The host checks the image's bytes and every
 * answer.  Through vmrun --console virtio --disk --rng, the same kernel
 * gives an interactive shell on hvc0 that the test types into.
 *
 * On a PVM host the stock kernel's supervisor code cannot run usefully:
 * there the test says so in one line; make check runs it in the nested
 * VM.
 */
#define _GNU_SOURCE
#include "initramfs.h"
#include "mhelpers.h"
#include "vioenv.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define LV_TIMEOUT	900
#define LV_RUN_NS	(600ull * 1000000000ull)
#define LV_MEM		(256ull << 20)
#define LV_PATTERN	(64u << 10)
#define LV_DISK		(1u << 20)
#define LV_HELLO	"hello from an ext4 image made by the test\n"
#define LV_PING		"ping-from-host"

static const char *const modules[] = {
	"virtio_mmio", "virtio_blk", "virtio_console", "virtio_rng", "ext4",
	"crc32c_generic", NULL,
};

/*
 * The disks by serial; each answer on its own line for the host.
 * Kernel messages are quiet: the console is the script's.
 */
static const char init_script[] =
	INITRAMFS_PROLOGUE
	INITRAMFS_INSMOD
	"if [ \"$lv_mode\" = shell ]; then\n"	/* console=hvc0 */
	"  exec </dev/hvc0 >/dev/hvc0 2>&1\n"
	"  echo LV-SHELL\n"
	"  setsid cttyhack sh -i\n"
	"  poweroff -f\n"
	"fi\n"
	"echo LV-INIT\n"
	"echo \"LV-VIRTIO: $(ls /sys/bus/virtio/devices | wc -l)\"\n"
	"for d in /sys/block/vd*; do\n"
	"  case $(cat $d/serial) in\n"
	"  libvm-pattern) P=/dev/${d##*/} ;;\n"
	"  libvm-ext4) E=/dev/${d##*/}; echo \"LV-RO: $(cat $d/ro)\" ;;\n"
	"  esac\n"
	"done\n"
	"dd if=/pattern of=$P bs=65536 seek=1 conv=fsync 2>/dev/null && sync"
	" && echo LV-PATTERN-WRITTEN\n"
	"mkdir -p /mnt\n"
	"mount -t ext4 -o ro $E /mnt && echo \"LV-FILE: $(cat /mnt/hello.txt)\"\n"
	"echo \"LV-RNG: $(cat /sys/class/misc/hw_random/rng_current)\"\n"
	"echo \"LV-HWRNG: $(dd if=/dev/hwrng bs=16 count=1 2>/dev/null |"
	" od -An -tx1 | tr -d ' \\n')\"\n"
	"exec 3<>/dev/hvc0\n"
	"echo LV-HVC-HELLO >&3\n"
	"echo LV-HVC-READY\n"
	"read -t 300 line <&3\n"
	"echo \"LV-GOT: $line\"\n"
	"poweroff -f\n";

static char kernel[1024], uname_r[256], initrd[512];
static char *disk, *ext4;
static uint8_t pattern[LV_PATTERN];

/* Busybox, the modules (tests/kmods.c) and the pattern. */
static void build_initrd(void)
{
	struct initramfs_file pat = { "pattern", pattern, sizeof(pattern),
				      0100644 };
	char why[256];

	ve_pattern(pattern, sizeof(pattern), 14);
	cr_assert_eq(initramfs_build_mods(initrd, sizeof(initrd), why,
					  sizeof(why), kernel, modules, &pat,
					  1, init_script), 0,
		     "initramfs: %s", why);
}

/* An 8 MiB ext4 image with hello.txt, made by mkfs.ext4 -d. */
static char *make_ext4(void)
{
	const char *tmp = getenv("TMPDIR");
	char src[512], file[600], cmd[1600], *img = ve_image(8 << 20, 0);
	FILE *f;

	snprintf(src, sizeof(src), "%s/libvm-ext4src-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(src));
	snprintf(file, sizeof(file), "%s/hello.txt", src);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(LV_HELLO, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "mkfs.ext4 -q -F -d '%s' '%s' >/dev/null",
		 src, img);
	cr_assert_eq(system(cmd), 0, "%s failed (e2fsprogs installed?)", cmd);
	unlink(file);
	rmdir(src);
	return img;
}

static void lv_setup(void)
{
	if (h_on_pvm())
		cr_skip_test("not run: this PVM host emulates the stock "
			     "kernel's supervisor code (make check runs it "
			     "in the nested VM)");
	h_need_kvm();	/* before looking for the kernel */
	m_find_kernel(kernel, sizeof(kernel), uname_r, sizeof(uname_r));
	build_initrd();
	disk = ve_image(LV_DISK, 0);
	ext4 = make_ext4();
}

static void lv_teardown(void)
{
	if (initrd[0])
		unlink(initrd);
	initrd[0] = 0;
	ve_image_remove(disk);
	ve_image_remove(ext4);
	disk = ext4 = NULL;
}

TestSuite(linux_virtio, .init = lv_setup, .fini = lv_teardown,
	  .timeout = LV_TIMEOUT);

static libvm_platform *plat;

static void place(uint64_t *base, uint32_t *gsi)
{
	OK(libvm_virtio_alloc(plat, base, gsi));
}

static void add_disk(libvm_vm *vm, const char *path, const char *serial,
		     uint32_t flags)
{
	libvm_virtio_blk_config c = LIBVM_VIRTIO_BLK_CONFIG_INIT;
	libvm_virtio_dev *d = NULL;

	c.path = path;
	c.serial = serial;
	c.flags = flags;
	place(&c.mmio_base, &c.gsi);
	OK(libvm_virtio_blk_create(&d, vm, &c));
	OK(libvm_virtio_announce(d, plat));
}

/* Console in (we write [1]) and out (we read [0]). */
static void add_console_rng(libvm_vm *vm, int in[2], int out[2])
{
	libvm_virtio_console_config c = LIBVM_VIRTIO_CONSOLE_CONFIG_INIT;
	libvm_virtio_rng_config r = LIBVM_VIRTIO_RNG_CONFIG_INIT;
	libvm_virtio_dev *d = NULL;

	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	c.in_fd = in[0];
	c.out_fd = out[1];
	place(&c.mmio_base, &c.gsi);
	OK(libvm_virtio_console_create(&d, vm, &c));
	OK(libvm_virtio_announce(d, plat));
	place(&r.mmio_base, &r.gsi);
	OK(libvm_virtio_rng_create(&d, vm, &r));
	OK(libvm_virtio_announce(d, plat));
}

/* The line of the console text that starts with key, without it. */
static const char *answer(const char *text, const char *key)
{
	static char line[256];
	const char *p = strstr(text, key);
	size_t n;

	if (!p)
		return "(none)";
	p += strlen(key);
	n = strcspn(p, "\r\n");
	snprintf(line, sizeof(line), "%.*s", (int)n, p);
	return line;
}

static void check_answers(const char *out)
{
	char hw[64];

	snprintf(hw, sizeof(hw), "%s", answer(out, "LV-HWRNG: "));
	cr_assert_null(strstr(out, "INSMOD-FAIL"), "console:\n%s", out);
	cr_assert_not_null(strstr(out, "LV-INIT"), "console:\n%s", out);
	cr_assert_str_eq(answer(out, "LV-VIRTIO: "), "4", "console:\n%s", out);
	cr_assert_str_eq(answer(out, "LV-RO: "), "1", "console:\n%s", out);
	cr_assert_not_null(strstr(out, "LV-PATTERN-WRITTEN"), "console:\n%s",
			   out);
	cr_assert_str_eq(answer(out, "LV-FILE: "),
			 "hello from an ext4 image made by the test");
	cr_assert_str_eq(answer(out, "LV-RNG: "), "virtio_rng.0");
	cr_assert_eq(strlen(hw), 32, "hwrng read: '%s'", hw);
	cr_assert_neq(strcmp(hw, "00000000000000000000000000000000"), 0);
	cr_assert_str_eq(answer(out, "LV-GOT: "), LV_PING, "console:\n%s",
			 out);
}

Test(linux_virtio, devices_found_and_used)
{
	libvm_machine_config cfg;
	libvm_machine_result res;
	static const char *initrds[1];
	static uint8_t got[LV_PATTERN];
	char hvc[256] = { 0 };
	struct m_console con;
	libvm_machine *m;
	int in[2], out[2];
	ssize_t n;

	m_console_init(&con);
	OK(libvm_machine_config_init(&cfg, LIBVM_MACHINE_CONFIG_VERSION));
	initrds[0] = initrd;
	cfg.kernel_path = kernel;
	cfg.initrd_paths = initrds;
	cfg.ninitrds = 1;
	cfg.cmdline = "console=ttyS0 panic=-1 quiet";
	cfg.mem_size = LV_MEM;
	cfg.timeout_ns = LV_RUN_NS;
	cfg.console_out = m_console_out;
	cfg.console_opaque = &con;
	m = m_create(&cfg);
	plat = libvm_machine_platform(m);
	add_disk(libvm_machine_vm(m), disk, "libvm-pattern", 0);
	add_disk(libvm_machine_vm(m), ext4, "libvm-ext4",
		 LIBVM_VIRTIO_BLK_READONLY);
	add_console_rng(libvm_machine_vm(m), in, out);
	OK(libvm_machine_start(m));
	cr_assert(m_console_wait(&con, "LV-HVC-READY", LV_RUN_NS),
		  "console:\n%s", m_console_text(&con));
	cr_assert_eq(write(in[1], LV_PING "\n", strlen(LV_PING) + 1),
		     (ssize_t)strlen(LV_PING) + 1);
	OK(libvm_machine_wait(m, &res));
	libvm_machine_destroy(m);	/* and its devices */
	n = read(out[0], hvc, sizeof(hvc) - 1);
	cr_assert_eq(res.end, LIBVM_MACHINE_POWEROFF, "ended %s after %.1f s;"
		     " console:\n%s", libvm_machine_end_name(res.end),
		     res.run_ns / 1e9, m_console_text(&con));
	check_answers(m_console_text(&con));
	cr_assert_gt(n, 0, "nothing came out of the virtio console");
	cr_assert_not_null(strstr(hvc, "LV-HVC-HELLO"), "hvc0 said '%s'", hvc);
	ve_file_read(disk, 65536, got, sizeof(got));
	cr_assert_eq(memcmp(got, pattern, sizeof(got)), 0,
		     "the pattern is not in the image");
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	m_console_fini(&con);
}

/* Read fd into buf until it holds want, the end, or timeout_ns passes. */
static int expect(int fd, char *buf, size_t cap, size_t *len,
		  const char *want, uint64_t timeout_ns)
{
	uint64_t end = h_now_ns() + timeout_ns;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (!strstr(buf, want) && h_now_ns() < end && *len + 1 < cap) {
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
		buf[*len] = 0;
	}
	return strstr(buf, want) != NULL;
}

static void say(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/*
 * vmrun --console virtio --disk --rng: an interactive shell on hvc0, the
 * terminal's input and output going through vmrun's stdin and stdout.
 */
Test(linux_virtio, vmrun_console_session)
{
	static char out[1 << 16], disk_opt[600], initrd_opt[600];
	char *argv[] = {
		(char *)LIBVM_VMRUN, (char *)"--console", (char *)"virtio",
		(char *)"--disk", disk_opt, (char *)"--rng",
		(char *)"--initrd", initrd_opt, (char *)"--timeout",
		(char *)"500", (char *)"--cmdline",
		(char *)"console=hvc0 panic=-1 quiet lv_mode=shell", kernel,
		NULL,
	};
	posix_spawn_file_actions_t fa;
	int in[2], o[2], st = -1;
	size_t len = 0;
	pid_t pid;

	snprintf(disk_opt, sizeof(disk_opt), "%s", disk);
	snprintf(initrd_opt, sizeof(initrd_opt), "%s", initrd);
	cr_assert_eq(pipe2(in, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, o[1], 2);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(o[1]);
	cr_assert(expect(o[0], out, sizeof(out), &len, "LV-SHELL",
			 LV_RUN_NS), "vmrun said:\n%s", out);
	cr_assert(expect(o[0], out, sizeof(out), &len, "# ", LV_RUN_NS),
		  "no prompt:\n%s", out);
	say(in[1], "echo sum=$((6 * 7))\n");
	cr_assert(expect(o[0], out, sizeof(out), &len, "sum=42", LV_RUN_NS),
		  "no answer:\n%s", out);
	say(in[1], "cat /sys/block/vda/size "
		   "/sys/class/misc/hw_random/rng_current\n");
	cr_assert(expect(o[0], out, sizeof(out), &len, "virtio_rng.0",
			 LV_RUN_NS), "no rng:\n%s", out);
	cr_assert_not_null(strstr(out, "2048"), "disk size:\n%s", out);
	say(in[1], "poweroff -f\n");
	expect(o[0], out, sizeof(out), &len, "vmrun: guest powered off",
	       LV_RUN_NS);
	waitpid(pid, &st, 0);
	close(in[1]);
	close(o[0]);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vmrun status %#x; "
		  "it said:\n%s", st, out);
}
