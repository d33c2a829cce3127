/* SPDX-License-Identifier: MIT */
/*
 * Debian's stock kernel (scripts/debian-kernel, fetched by the Makefile
 * into build/kernel) on the machine, with an initramfs the test builds
 * (tests/initramfs.c): to init with 1 and 2 vCPUs, an interactive shell
 * over the serial port, two machines at once, and through vmrun.
 *
 * A stock kernel runs in supervisor mode, which a PVM host emulates far
 * too slowly (and in part not at all): there these tests say so in one
 * line and do not run; `make check` runs them in the nested VM.
 */
#include "initramfs.h"
#include "mhelpers.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Slow hosts (the nested VM) take 20-40 s a boot. */
#define LINUX_TIMEOUT		600
#define LINUX_RUN_NS		(300ull * 1000000000ull)
#define LINUX_MEM		(256ull << 20)
#define CMDLINE(mode)		LINUX_CMDLINE(mode) " quiet"

extern char **environ;

static char kernel[1024], uname_r[256], initrd[512];

static void find_kernel(void)
{
	m_find_kernel(kernel, sizeof(kernel), uname_r, sizeof(uname_r));
}

static void linux_setup(void)
{
	char why[256];

	if (h_on_pvm())
		cr_skip_test("not run: this PVM host emulates the stock "
			     "kernel's supervisor code (make check runs it "
			     "in the nested VM)");
	h_need_kvm();	/* before looking for the kernel */
	find_kernel();
	cr_assert_eq(initramfs_build(initrd, sizeof(initrd), why,
				     sizeof(why)), 0, "initramfs: %s", why);
}

static void linux_teardown(void)
{
	if (initrd[0])
		unlink(initrd);
	initrd[0] = 0;
}

TestSuite(linux_vm, .init = linux_setup, .fini = linux_teardown,
	  .timeout = LINUX_TIMEOUT);

static const char *initrds[1];

static void linux_config(libvm_machine_config *cfg, struct m_console *c,
			 uint32_t ncpus, const char *cmdline)
{
	OK(libvm_machine_config_init(cfg, LIBVM_MACHINE_CONFIG_VERSION));
	initrds[0] = initrd;
	cfg->kernel_path = kernel;
	cfg->initrd_paths = initrds;
	cfg->ninitrds = 1;
	cfg->cmdline = cmdline;
	cfg->ncpus = ncpus;
	cfg->mem_size = LINUX_MEM;
	cfg->timeout_ns = LINUX_RUN_NS;
	cfg->console_out = m_console_out;
	cfg->console_opaque = c;
}

/* What the init printed: marker, uname -r, CPUs, a date near now. */
static void check_init(const char *raw, uint32_t ncpus)
{
	static char out[1 << 16];
	char want[300];
	const char *p;
	long when, now = (long)time(NULL);
	size_t i, n = 0;

	/* The guest's tty writes "\r\n": compare lines without the CR. */
	for (i = 0; raw[i] && n + 1 < sizeof(out); i++)
		if (raw[i] != '\r')
			out[n++] = raw[i];
	out[n] = 0;

	cr_assert_not_null(strstr(out, "LIBVM-INIT\n"), "no init marker; "
			   "console:\n%s", out);
	snprintf(want, sizeof(want), "uname: %s\n", uname_r);
	cr_assert_not_null(strstr(out, want), "want '%s'; console:\n%s",
			   want, out);
	snprintf(want, sizeof(want), "cpus: %u\n", ncpus);
	cr_assert_not_null(strstr(out, want), "want '%s'; console:\n%s",
			   want, out);
	p = strstr(out, "date: ");
	cr_assert_not_null(p, "no date; console:\n%s", out);
	when = strtol(p + 6, NULL, 10);
	cr_assert(when > now - 900 && when <= now + 5, "guest date %ld, host "
		  "%ld", when, now);
}

static void boot_and_check(uint32_t ncpus, uint32_t flags)
{
	struct m_console con;
	libvm_machine_config cfg;
	libvm_machine_result res;

	m_console_init(&con);
	linux_config(&cfg, &con, ncpus, CMDLINE("poweroff"));
	cfg.flags = flags;
	m_run(&res, &cfg);
	cr_assert_eq(res.end, LIBVM_MACHINE_POWEROFF, "ended %s (%s) after "
		     "%.1f s; console:\n%s", libvm_machine_end_name(res.end),
		     libvm_exit_reason_name(res.exit.reason), res.run_ns / 1e9,
		     m_console_text(&con));
	check_init(m_console_text(&con), ncpus);
	cr_assert_gt(res.boot_marker_ns, 0, "the init wrote the boot marker");
	cr_assert_lt(res.boot_marker_ns, res.run_ns);
	m_console_fini(&con);
}

/* The bzImage as it is: its own decompressor in the guest. */
Test(linux_vm, boots_to_init_1_vcpu)
{
	boot_and_check(1, LIBVM_MACHINE_BZIMAGE_AS_IS);
}

/* The guest finds the second vCPU in the MADT and starts it itself. */
Test(linux_vm, boots_to_init_2_vcpus)
{
	boot_and_check(2, 0);	/* its vmlinux unpacked, through PVH */
}

/* Type into the shell on the serial port and read its answers. */
Test(linux_vm, interactive_shell)
{
	struct m_console con;
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;
	libvm_platform *p;
	static const char cmd1[] = "echo \"sum=$((6 * 7))\"\n";
	static const char cmd2[] = "cat /sys/devices/system/cpu/online\n";
	static const char bye[] = "poweroff -f\n";

	m_console_init(&con);
	linux_config(&cfg, &con, 2, CMDLINE("shell"));
	m = m_create(&cfg);
	p = libvm_machine_platform(m);
	OK(libvm_machine_start(m));
	cr_assert(m_console_wait(&con, "LIBVM-SHELL", LINUX_RUN_NS),
		  "no shell; console:\n%s", m_console_text(&con));
	cr_assert(m_console_wait(&con, "# ", LINUX_RUN_NS), "no prompt");
	cr_assert_eq(libvm_platform_uart_input(p, cmd1, strlen(cmd1)),
		     (int64_t)strlen(cmd1));
	cr_assert(m_console_wait(&con, "sum=42", LINUX_RUN_NS),
		  "no answer; console:\n%s", m_console_text(&con));
	cr_assert_eq(libvm_platform_uart_input(p, cmd2, strlen(cmd2)),
		     (int64_t)strlen(cmd2));
	cr_assert(m_console_wait(&con, "0-1", LINUX_RUN_NS),
		  "no CPU list; console:\n%s", m_console_text(&con));
	cr_assert_eq(libvm_platform_uart_input(p, bye, strlen(bye)),
		     (int64_t)strlen(bye));
	OK(libvm_machine_wait(m, &res));
	libvm_machine_destroy(m);
	cr_assert_eq(res.end, LIBVM_MACHINE_POWEROFF, "ended %s; console:\n%s",
		     libvm_machine_end_name(res.end), m_console_text(&con));
	m_console_fini(&con);
}

struct twin {
	struct m_console con;
	libvm_machine_config cfg;
	libvm_machine_result res;
	libvm_machine *m;
	int r;
};

static void *twin_run(void *arg)
{
	struct twin *t = arg;

	t->r = libvm_machine_run(t->m, &t->res);
	return NULL;
}

/* Two Linux machines at once in this process: neither disturbs the other. */
Test(linux_vm, two_at_once)
{
	struct twin t[2];
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++) {
		m_console_init(&t[i].con);
		linux_config(&t[i].cfg, &t[i].con, (uint32_t)(1 + i),
			     CMDLINE("poweroff"));
		t[i].m = m_create(&t[i].cfg);
	}
	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, twin_run, &t[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		cr_assert_eq(t[i].r, 0, "machine %d: %s", i,
			     libvm_strerror(t[i].r));
		cr_assert_eq(t[i].res.end, LIBVM_MACHINE_POWEROFF, "machine "
			     "%d ended %s; console:\n%s", i,
			     libvm_machine_end_name(t[i].res.end),
			     m_console_text(&t[i].con));
		check_init(m_console_text(&t[i].con), (uint32_t)(1 + i));
		libvm_machine_destroy(t[i].m);
		m_console_fini(&t[i].con);
	}
}

/* vmrun KERNEL with the test's initramfs: its output and exit status. */
static int vmrun(const char *mode, unsigned cpus, char *out, size_t cap)
{
	static char prog[] = LIBVM_VMRUN, opt_cpus[] = "--cpus",
		    opt_initrd[] = "--initrd", opt_cmdline[] = "--cmdline",
		    opt_timeout[] = "--timeout", secs[] = "300";
	char cmdline[128], outpath[512], ncpus[8], *argv[12];
	const char *tmp = getenv("TMPDIR");
	posix_spawn_file_actions_t fa;
	FILE *f;
	pid_t pid;
	size_t n;
	int st = -1, fd;

	snprintf(cmdline, sizeof(cmdline), "%s%s quiet", LINUX_CMDLINE(""),
		 mode);
	snprintf(outpath, sizeof(outpath), "%s/libvm-vmrun-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(outpath);
	cr_assert_geq(fd, 0);
	snprintf(ncpus, sizeof(ncpus), "%u", cpus);
	argv[0] = prog;
	argv[1] = opt_cpus;
	argv[2] = ncpus;
	argv[3] = opt_initrd;
	argv[4] = initrd;
	argv[5] = opt_cmdline;
	argv[6] = cmdline;
	argv[7] = opt_timeout;
	argv[8] = secs;
	argv[9] = kernel;
	argv[10] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	cr_assert_eq(posix_spawn(&pid, prog, &fa, NULL, argv, environ),
		     0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	waitpid(pid, &st, 0);
	f = fopen(outpath, "r");
	n = f ? fread(out, 1, cap - 1, f) : 0;
	out[n] = 0;
	if (f)
		fclose(f);
	unlink(outpath);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(linux_vm, through_vmrun)
{
	static char out[1 << 16];
	int st;

	st = vmrun("exit", 2, out, sizeof(out));
	cr_assert_eq(st, 1, "vmrun exit status %d, want 1 (debug exit of 0); "
		     "output:\n%s", st, out);
	check_init(out, 2);
	cr_assert_not_null(strstr(out, "vmrun: debug exit, status 1 (boot "
				  "marker at "), "%s", out);
	st = vmrun("poweroff", 1, out, sizeof(out));
	cr_assert_eq(st, 0, "vmrun exit status %d, want 0; output:\n%s", st,
		     out);
	cr_assert_not_null(strstr(out, "vmrun: guest powered off"), "%s", out);
}
