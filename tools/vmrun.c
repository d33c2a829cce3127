/* SPDX-License-Identifier: MIT */
/*
 * vmrun: boot a kernel in a libvm machine, its serial port on the
 * terminal.  See usage() (vmrun --help) for the options and exit codes.
 */
#define _GNU_SOURCE	/* strverscmp */
#include <libvm/libvm.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "linuxprog_cmd.h"

/* Exit codes of vmrun itself: even, so no debug-exit status matches. */
#define EX_USAGE	2
#define EX_QUIT		120	/* Ctrl-A x */
#define EX_CRASH	122	/* triple fault, guest fault, failed entry */
#define EX_TIMEOUT	124
#define EX_HOST		126	/* vmrun or libvm failed */

#define CTRL_A		0x01
#define MAX_INITRDS	64
#define DEFAULT_CMDLINE	"console=ttyS0"
#define VIRTIO_CMDLINE	"console=hvc0"
#define MAX_DISKS	16

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vmrun [options] [KERNEL]\n"
"       vmrun --linux-program [--root DIR] [--timeout SEC] [--mem MIB]\n"
"             [--env NAME=VALUE]... [--quiet] [--trace] [--] PROG [ARGS...]\n"
"\n"
"Boots KERNEL in a virtual machine made with libvm (KVM) and connects its\n"
"serial port (COM1, a 16550A) to this terminal.  KERNEL may be a Linux\n"
"bzImage, an ELF vmlinux with a PVH note, a multiboot kernel, or a bare\n"
"ELF guest (ELF64: libvm's long-mode environment; ELF32: 32-bit protected\n"
"mode), told apart by their contents.\n"
"\n"
"Options:\n"
"  --mem MIB       RAM in MiB (default 256; above 3072 the rest lies above\n"
"                  4 GiB)\n"
"  --cpus N        vCPUs (default 1, at most %u); the guest finds them in\n"
"                  the ACPI tables and starts them itself\n"
"  --initrd FILE   an initial ramdisk (Linux) or a module (multiboot;\n"
"                  repeat for more, each module gets its file name)\n"
"  --cmdline STR   the kernel command line (default for Linux: \"%s\")\n"
"  --timeout SEC   stop the guest after SEC seconds (decimals allowed)\n"
"  --disk FILE[,ro] a virtio-blk disk on the raw image FILE, read-only\n"
"                  with ,ro (repeat for more: vda, vdb, ...)\n"
"  --console serial|virtio\n"
"                  where the terminal goes: the serial port (default) or a\n"
"                  virtio console (hvc0; the default command line becomes\n"
"                  \"%s\")\n"
"  --rng           a virtio-rng device (/dev/hwrng), fed by getrandom\n"
"  --stats         at the end, print timings and vmrun's own memory\n"
"                  (RSS beyond the guest's RAM) on stderr\n"
"  --no-unpack     boot a bzImage through its own decompressor; by default\n"
"                  its vmlinux is unpacked here and booted through PVH,\n"
"                  and kept in $LIBVM_CACHE_DIR (default\n"
"                  $XDG_CACHE_HOME/libvm or ~/.cache/libvm; empty: none)\n"
"  -h, --help      this text\n"
"\n"
"Virtio devices are virtio-mmio, announced in the ACPI tables: Linux\n"
"finds them with its virtio_mmio driver and no kernel options.\n"
"\n"
"Without KERNEL, vmrun boots a stock distribution kernel: $LIBVM_KERNEL,\n"
"else the Debian kernel scripts/debian-kernel keeps in the build tree\n"
"(build/kernel/*/vmlinuz next to build/bin), else /boot/vmlinuz or the\n"
"newest /boot/vmlinuz-* (with its /boot/initrd.img-* unless --initrd).\n"
"\n"
"--linux-program runs PROG, a static Linux x86-64 program (ELF, static\n"
"PIE too), in a VM without a kernel: its system calls are served here,\n"
"files only under --root DIR (default: none), the standard streams are\n"
"vmrun's, the environment is PATH plus each --env, and RAM is --mem\n"
"(default 256 MiB).  --trace prints each system call, --quiet hides\n"
"the note about a call that is not served (it gets ENOSYS).  The exit\n"
"status is the program's, or one of vmrun's codes below (a fault\n"
"counts as a crash).\n"
"\n"
"The terminal is put in raw mode when stdin is one, and restored however\n"
"vmrun ends.  Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
"\n"
"Exit status:\n"
"  the guest's debug-exit status   a write of v to port 0xf4: (v << 1) | 1\n"
"                                  (its low 8 bits)\n"
"  0                               the guest powered off or rebooted\n"
"  the guest's exit code           a bare ELF64 guest called exit\n"
"  %d                             Ctrl-A x\n"
"  %d                             guest crash (triple fault, a fault in\n"
"                                  an ELF guest, failed entry)\n"
"  %d                             --timeout ran out\n"
"  %d                             host-side error (vmrun or libvm)\n"
"  %d                               bad usage\n"
"One line on stderr says how the guest ended.\n",
		LIBVM_PLAT_MAX_CPUS, DEFAULT_CMDLINE, VIRTIO_CMDLINE, EX_QUIT,
		EX_CRASH,
		EX_TIMEOUT, EX_HOST, EX_USAGE);
}

static struct termios saved_tio;
static int tio_saved;

static void restore_terminal(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
		tio_saved = 0;
	}
}

static void on_fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void raw_terminal(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	t = saved_tio;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
		return;
	tio_saved = 1;
	atexit(restore_terminal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGQUIT, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);
}

static int newest_match(char *out, size_t cap, const char *dir,
			const char *prefix, const char *leaf)
{
	char best[NAME_MAX + 1] = "";
	struct dirent *d;
	struct stat st;
	char path[PATH_MAX];
	DIR *dp = opendir(dir);

	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)) ||
		    d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", dir, d->d_name, leaf);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    strverscmp(d->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", d->d_name);
	}
	closedir(dp);
	if (!best[0])
		return -1;
	snprintf(out, cap, "%s/%s%s", dir, best, leaf);
	return 0;
}

/* The stock kernel (and initrd) to boot without KERNEL; see usage(). */
static int default_kernel(char *kernel, size_t cap, char *initrd,
			  size_t icap)
{
	char exe[PATH_MAX], dir[PATH_MAX + 16], *slash;
	const char *env = getenv("LIBVM_KERNEL");
	ssize_t n;

	initrd[0] = 0;
	if (env && *env) {
		snprintf(kernel, cap, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
		snprintf(dir, sizeof(dir), "%s/../kernel", exe);
		if (newest_match(kernel, cap, dir, "linux-image-",
				 "/vmlinuz") == 0)
			return 0;
	}
	if (access("/boot/vmlinuz", R_OK) == 0) {
		snprintf(kernel, cap, "/boot/vmlinuz");
		if (access("/boot/initrd.img", R_OK) == 0)
			snprintf(initrd, icap, "/boot/initrd.img");
		return 0;
	}
	if (newest_match(kernel, cap, "/boot", "vmlinuz-", "") == 0) {
		if (snprintf(initrd, icap, "/boot/initrd.img-%s",
			     kernel + strlen("/boot/vmlinuz-")) >= (int)icap ||
		    access(initrd, R_OK) != 0)
			initrd[0] = 0;
		return 0;
	}
	return -1;
}

/*
 * Where unpacked kernels are kept: $LIBVM_CACHE_DIR (empty: nowhere),
 * else $XDG_CACHE_HOME/libvm, else ~/.cache/libvm.
 */
static const char *cache_dir(char *buf, size_t cap)
{
	const char *env = getenv("LIBVM_CACHE_DIR"), *base;
	char parent[PATH_MAX];

	if (env)
		return *env ? env : NULL;
	base = getenv("XDG_CACHE_HOME");
	if (base && *base) {
		snprintf(parent, sizeof(parent), "%s", base);
	} else {
		base = getenv("HOME");
		if (!base || !*base)
			return NULL;
		snprintf(parent, sizeof(parent), "%s/.cache", base);
	}
	mkdir(parent, 0755);	/* the machine makes the last level */
	if (snprintf(buf, cap, "%s/libvm", parent) >= (int)cap)
		return NULL;
	return buf;
}

/* libvm_machine_wait on a thread of its own; done_fd says it returned. */
struct waiter {
	libvm_machine *m;
	libvm_machine_result res;
	int r;
	int done_fd;
	char err[512];		/* libvm_last_error is per thread */
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	char c = 1;

	w->r = libvm_machine_wait(w->m, &w->res);
	if (w->r < 0)
		snprintf(w->err, sizeof(w->err), "%s", libvm_last_error());
	if (write(w->done_fd, &c, 1) < 0) {
		/* the main thread polls the pipe; nothing else to do */
	}
	return NULL;
}

/*
 * Where typed bytes go: the UART, or the pipe a virtio console reads
 * (pipe_fd >= 0, non-blocking).
 */
struct input {
	libvm_platform *plat;
	int pipe_fd;
};

/* Hand the console what it takes of pend[0, *n); keep the rest. */
static void feed(const struct input *in, uint8_t *pend, size_t *n)
{
	int64_t took;

	if (in->pipe_fd < 0)
		took = libvm_platform_uart_input(in->plat, pend, *n);
	else
		took = write(in->pipe_fd, pend, *n);
	if (took > 0) {
		memmove(pend, pend + took, *n - (size_t)took);
		*n -= (size_t)took;
	}
}

/*
 * Copy the terminal to the guest's console until the machine ends;
 * Ctrl-A x cancels it.  Returns true if the user quit.
 */
static bool console_loop(libvm_machine *m, int done_fd, int pipe_fd)
{
	const struct input in = { libvm_machine_platform(m), pipe_fd };
	uint8_t buf[256], pend[512];
	size_t npend = 0, i;
	bool ctrl_a = false, in_open = true, quit = false;
	struct pollfd pf[2];
	ssize_t n;

	for (;;) {
		pf[0] = (struct pollfd){ .fd = done_fd, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = STDIN_FILENO,
					 .events = POLLIN };
		/* While input waits for room in the UART, poll briefly. */
		if (poll(pf, in_open && !npend ? 2 : 1, npend ? 10 : -1) < 0 &&
		    errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		if (npend) {
			feed(&in, pend, &npend);
			continue;
		}
		if (!in_open || !(pf[1].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			in_open = false;	/* end of input: keep running */
			continue;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (ctrl_a) {
				ctrl_a = false;
				if (buf[i] == 'x' || buf[i] == 'X') {
					quit = true;
					libvm_machine_cancel(m);
					break;
				}
				if (buf[i] != CTRL_A)
					continue;	/* unknown: dropped */
			} else if (buf[i] == CTRL_A && tio_saved) {
				ctrl_a = true;
				continue;
			}
			if (npend < sizeof(pend))
				pend[npend++] = buf[i];
		}
		if (npend)
			feed(&in, pend, &npend);
	}
	return quit;
}

static long rss_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* KiB of guest RAM [gpa, gpa+len) resident in this process. */
static long guest_kib(libvm_vm *vm, uint64_t gpa, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE), kib = 0;
	unsigned char vec[4096];
	uint64_t off, chunk, i;
	void *p;

	for (off = 0; off < len; off += chunk) {
		chunk = (uint64_t)page * sizeof(vec);
		if (chunk > len - off)
			chunk = len - off;
		if (libvm_mem_ptr(&p, vm, gpa + off, chunk) < 0 ||
		    mincore(p, chunk, vec) < 0)
			return -1;
		for (i = 0; i < chunk / (uint64_t)page; i++)
			kib += (vec[i] & 1) ? page / 1024 : 0;
	}
	return kib;
}

static void print_stats(libvm_machine *m, const libvm_machine_result *res,
			uint64_t mem, double start_s)
{
	uint64_t low = mem < LIBVM_MACHINE_LOW_RAM ? mem
						    : LIBVM_MACHINE_LOW_RAM;
	long rss = rss_kib(), g = guest_kib(libvm_machine_vm(m), 0, low);

	if (g >= 0 && mem > low) {
		long hi = guest_kib(libvm_machine_vm(m), 1ull << 32, mem - low);

		g = hi < 0 ? -1 : g + hi;
	}
	fprintf(stderr, "vmrun-stats: create_s=%.6f marker_s=%.6f run_s=%.6f "
		"rss_kib=%ld guest_kib=%ld vmm_kib=%ld\n", start_s,
		res->boot_marker_ns / 1e9, res->run_ns / 1e9, rss, g,
		rss >= 0 && g >= 0 ? rss - g : -1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int report(const libvm_machine_result *res, const char *err,
		  bool quit, double timeout)
{
	char marker[64] = "";

	if (res->boot_marker_ns)
		snprintf(marker, sizeof(marker), " (boot marker at %.3f s)",
			 res->boot_marker_ns / 1e9);
	if (quit) {
		fprintf(stderr, "vmrun: quit (Ctrl-A x)%s\n", marker);
		return EX_QUIT;
	}
	if (err) {
		fprintf(stderr, "vmrun: error: %s\n", err);
		return EX_HOST;
	}
	switch (res->end) {
	case LIBVM_MACHINE_DEBUG_EXIT:
		fprintf(stderr, "vmrun: debug exit, status %d%s\n",
			res->status, marker);
		return res->status & 0xff;
	case LIBVM_MACHINE_POWEROFF:
	case LIBVM_MACHINE_RESET:
		fprintf(stderr, "vmrun: guest %s%s\n",
			res->end == LIBVM_MACHINE_POWEROFF ? "powered off"
							   : "rebooted",
			marker);
		return 0;
	case LIBVM_MACHINE_GUEST_EXIT:
		fprintf(stderr, "vmrun: guest exit %d%s\n", res->status,
			marker);
		return res->status & 0xff;
	case LIBVM_MACHINE_TIMEOUT:
		fprintf(stderr, "vmrun: timeout after %g s%s\n", timeout,
			marker);
		return EX_TIMEOUT;
	case LIBVM_MACHINE_TRIPLE_FAULT:
	case LIBVM_MACHINE_CRASH:
		fprintf(stderr, "vmrun: guest crash: %s on vCPU %u (%s)%s\n",
			libvm_machine_end_name(res->end), res->vcpu,
			libvm_exit_reason_name(res->exit.reason), marker);
		return EX_CRASH;
	default:
		fprintf(stderr, "vmrun: ended: %s\n",
			libvm_machine_end_name(res->end));
		return EX_HOST;
	}
}

struct virtio_opts {
	const char *disks[MAX_DISKS];
	uint32_t ndisks;
	bool console, rng;
	int cons_pipe[2];	/* vmrun writes [1], the console reads [0] */
};

/* A device's window and line from the platform, created, announced. */
static int place(libvm_platform *plat, uint64_t *base, uint32_t *gsi)
{
	int r = libvm_virtio_alloc(plat, base, gsi);

	if (r < 0)
		fprintf(stderr, "vmrun: virtio: %s\n", libvm_last_error());
	return r;
}

static int announce(libvm_virtio_dev *dev, libvm_platform *plat, int r,
		    const char *what)
{
	if (r == 0)
		r = libvm_virtio_announce(dev, plat);
	if (r < 0)
		fprintf(stderr, "vmrun: %s: %s\n", what, libvm_last_error());
	return r;
}

/* The --disk, --console virtio and --rng devices (before start). */
static int add_virtio(libvm_machine *m, struct virtio_opts *o)
{
	libvm_platform *plat = libvm_machine_platform(m);
	libvm_vm *vm = libvm_machine_vm(m);
	libvm_virtio_dev *dev = NULL;
	char path[PATH_MAX], *comma;
	uint32_t i;
	int r;

	for (i = 0; i < o->ndisks; i++) {
		libvm_virtio_blk_config c = LIBVM_VIRTIO_BLK_CONFIG_INIT;

		snprintf(path, sizeof(path), "%s", o->disks[i]);
		comma = strrchr(path, ',');
		if (comma && !strcmp(comma, ",ro")) {
			*comma = 0;
			c.flags = LIBVM_VIRTIO_BLK_READONLY;
		}
		c.path = path;
		if ((r = place(plat, &c.mmio_base, &c.gsi)) < 0)
			return r;
		r = libvm_virtio_blk_create(&dev, vm, &c);
		if (announce(dev, plat, r, path) < 0)
			return -1;
	}
	if (o->console) {
		libvm_virtio_console_config c = LIBVM_VIRTIO_CONSOLE_CONFIG_INIT;

		if (pipe2(o->cons_pipe, O_CLOEXEC) < 0 ||
		    fcntl(o->cons_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
			perror("vmrun: pipe");
			return -1;
		}
		c.in_fd = o->cons_pipe[0];
		c.out_fd = STDOUT_FILENO;
		if ((r = place(plat, &c.mmio_base, &c.gsi)) < 0)
			return r;
		r = libvm_virtio_console_create(&dev, vm, &c);
		if (announce(dev, plat, r, "virtio console") < 0)
			return -1;
	}
	if (o->rng) {
		libvm_virtio_rng_config c = LIBVM_VIRTIO_RNG_CONFIG_INIT;

		if ((r = place(plat, &c.mmio_base, &c.gsi)) < 0)
			return r;
		r = libvm_virtio_rng_create(&dev, vm, &c);
		if (announce(dev, plat, r, "virtio rng") < 0)
			return -1;
	}
	return 0;
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "stats", no_argument, NULL, 's' },
		{ "disk", required_argument, NULL, 'd' },
		{ "console", required_argument, NULL, 'C' },
		{ "rng", no_argument, NULL, 'r' },
		{ "no-unpack", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	libvm_machine_config cfg = LIBVM_MACHINE_CONFIG_INIT;
	static char kernel[PATH_MAX], def_initrd[PATH_MAX], cache[PATH_MAX];
	const char *initrds[MAX_INITRDS];
	double t_start = now_s(), timeout = 0, create_s;
	struct waiter w = { 0 };
	struct virtio_opts vio = { .cons_pipe = { -1, -1 } };
	libvm_machine *m = NULL;
	uint32_t mib = 256, ninit = 0, kind = 0;
	bool quit = false, stats = false;
	pthread_t wt;
	int pipefd[2], c, r;
	char *end;

	if (argc > 1 && !strcmp(argv[1], "--linux-program")) {
		static const struct lp_codes codes = {
			.host = EX_HOST, .timeout = EX_TIMEOUT,
			.fault = EX_CRASH, .usage = EX_USAGE,
		};

		return lp_cmd_main("vmrun", " --linux-program", &codes, argc,
				   argv, 2);
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_u32(optarg, 16, 1u << 20, &mib) < 0)
				goto bad;
			break;
		case 'c':
			if (parse_u32(optarg, 1, LIBVM_PLAT_MAX_CPUS,
				      &cfg.ncpus) < 0)
				goto bad;
			break;
		case 'i':
			if (ninit == MAX_INITRDS)
				goto bad;
			initrds[ninit++] = optarg;
			break;
		case 'l':
			cfg.cmdline = optarg;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(timeout > 0))
				goto bad;
			break;
		case 's':
			stats = true;
			break;
		case 'd':
			if (vio.ndisks == MAX_DISKS)
				goto bad;
			vio.disks[vio.ndisks++] = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "serial") && strcmp(optarg, "virtio"))
				goto bad;
			vio.console = !strcmp(optarg, "virtio");
			break;
		case 'r':
			vio.rng = true;
			break;
		case 'u':
			cfg.flags |= LIBVM_MACHINE_BZIMAGE_AS_IS;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (argc - optind > 1)
		goto bad;
	if (optind < argc) {
		snprintf(kernel, sizeof(kernel), "%s", argv[optind]);
	} else if (default_kernel(kernel, sizeof(kernel), def_initrd,
				  sizeof(def_initrd)) < 0) {
		fprintf(stderr, "vmrun: no KERNEL given and no stock kernel "
			"found (see --help)\n");
		return EX_USAGE;
	} else if (def_initrd[0] && !ninit) {
		initrds[ninit++] = def_initrd;
	}
	cfg.mem_size = (uint64_t)mib << 20;
	cfg.kernel_path = kernel;
	/*
	 * Linux gets a console by default (serial, or hvc0 with --console
	 * virtio); other kinds nothing.
	 */
	if (!cfg.cmdline && libvm_kernel_probe_file(kernel, &kind) == 0 &&
	    (kind == LIBVM_KERNEL_BZIMAGE || kind == LIBVM_KERNEL_PVH))
		cfg.cmdline = vio.console ? VIRTIO_CMDLINE : DEFAULT_CMDLINE;
	cfg.initrd_paths = initrds;
	cfg.ninitrds = ninit;
	cfg.console_out_fd = STDOUT_FILENO;
	cfg.cache_dir = cache_dir(cache, sizeof(cache));
	cfg.timeout_ns = (uint64_t)(timeout * 1e9);

	r = libvm_machine_create(&m, &cfg);
	create_s = now_s() - t_start;
	if (r == 0 && add_virtio(m, &vio) < 0) {
		libvm_machine_destroy(m);
		return EX_HOST;
	}
	if (r == 0)
		r = libvm_machine_start(m);
	if (r < 0) {
		fprintf(stderr, "vmrun: %s: %s\n", kernel, libvm_last_error());
		libvm_machine_destroy(m);
		return EX_HOST;
	}
	if (pipe(pipefd) < 0) {
		perror("vmrun: pipe");
		libvm_machine_destroy(m);
		return EX_HOST;
	}
	raw_terminal();
	w.m = m;
	w.done_fd = pipefd[1];
	if (pthread_create(&wt, NULL, wait_thread, &w)) {
		libvm_machine_cancel(m);
		wait_thread(&w);
	} else {
		quit = console_loop(m, pipefd[0], vio.cons_pipe[1]);
		pthread_join(wt, NULL);
	}
	restore_terminal();
	close(pipefd[0]);
	close(pipefd[1]);
	if (stats)
		print_stats(m, &w.res, cfg.mem_size, create_s);
	r = report(&w.res, w.r < 0 ? w.err : NULL, quit, timeout);
	libvm_machine_destroy(m);	/* its virtio devices too */
	if (vio.cons_pipe[0] >= 0) {
		close(vio.cons_pipe[0]);
		close(vio.cons_pipe[1]);
	}
	return r;
bad:
	fprintf(stderr, "vmrun: bad usage (see vmrun --help)\n");
	return EX_USAGE;
}
