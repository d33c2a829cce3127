/* SPDX-License-Identifier: MIT */
/*
 * Static Linux programs in a VM against the same programs run natively on
 * the host (posix_spawn), in the same run, whole runs timed on both sides
 * (create + run + destroy against spawn + wait):
 *   linux_syscall      getppid round trips (tests/linuxprog/sysloop.c),
 *                      ns per call
 *   linux_sha256_64m   SHA-256 of 64 MiB made in memory
 *                      (tests/linuxprog/sha256.c), ms per run
 */
#define BENCH_PROG "bench/linuxprog"
#define _GNU_SOURCE
#include <libvm/libvm.h>

#include "bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYSLOOP LIBVM_LINUXPROG_DIR "/sysloop"
#define SHA256 LIBVM_LINUXPROG_DIR "/sha256"

extern char **environ;

struct job {
	const char *prog;
	char *argv[3];
	int out;		/* where the program's stdout goes */
	double per;		/* figure = ns / per */
};

static double vm_round(void *ctx)
{
	struct job *j = ctx;
	libvm_linux_config cfg;
	libvm_linux *lp;
	libvm_exit ex;
	uint64_t t0 = bench_now_ns();
	int r;

	libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION);
	cfg.stdout_fd = j->out;
	r = libvm_linux_create(&lp, j->prog, 2,
			       (const char *const *)j->argv, &cfg);
	if (r < 0)
		bench_die_libvm("libvm_linux_create", r);
	r = libvm_linux_run(&ex, lp, 0);
	if (r < 0)
		bench_die_libvm("libvm_linux_run", r);
	if (ex.reason != LIBVM_EXIT_GUEST_EXIT || ex.u.guest_exit.code)
		bench_die("%s ended with %s", j->prog,
			  libvm_exit_reason_name(ex.reason));
	libvm_linux_destroy(lp);
	return (double)(bench_now_ns() - t0) / j->per;
}

static double native_round(void *ctx)
{
	struct job *j = ctx;
	posix_spawn_file_actions_t fa;
	uint64_t t0 = bench_now_ns();
	int st;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, j->out, 1);
	if (posix_spawn(&pid, j->prog, &fa, NULL, j->argv,
			environ))
		bench_die_errno("posix_spawn");
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st))
		bench_die("%s failed natively", j->prog);
	return (double)(bench_now_ns() - t0) / j->per;
}

/* Both sides print the same digest (checked once, outside the timing). */
static void same_output(struct job *j)
{
	char a[128] = "", b[128] = "";
	int fd = memfd_create("out", MFD_CLOEXEC), keep = j->out;

	if (fd < 0)
		bench_die_errno("memfd_create");
	j->out = fd;
	vm_round(j);
	if (pread(fd, a, sizeof(a) - 1, 0) < 0 || ftruncate(fd, 0) < 0)
		bench_die_errno("read back");
	lseek(fd, 0, SEEK_SET);
	native_round(j);
	if (pread(fd, b, sizeof(b) - 1, 0) < 0)
		bench_die_errno("read back");
	if (strcmp(a, b) || !a[0])
		bench_die("%s: the VM printed %s, the host %s", j->prog, a, b);
	close(fd);
	j->out = keep;
}

static void measure(const char *name, const char *unit, struct job *j,
		    int rounds)
{
	double vm, native;

	bench_interleave(&vm, &native, rounds, vm_round, j, native_round, j);
	bench_report_vs(name, vm, unit, "native", native);
}

int main(void)
{
	static const char *const names[] = { "linux_syscall",
					     "linux_sha256_64m", NULL };
	unsigned long calls = bench_scaled(5000, 100);
	unsigned long mib = bench_scaled(64, 1);
	char ncalls[32], nmib[32];
	struct job sys = { SYSLOOP, { (char *)"sysloop", ncalls, NULL } };
	struct job sha = { SHA256, { (char *)"sha256", nmib, NULL } };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	libvm_vm *probe = bench_vm_create_or_skip(names);

	libvm_vm_destroy(probe);
	if (devnull < 0)
		bench_die_errno("/dev/null");
	snprintf(ncalls, sizeof(ncalls), "%lu", calls);
	snprintf(nmib, sizeof(nmib), "%lu", mib);
	sys.out = sha.out = devnull;
	sys.per = (double)calls;
	sha.per = 1e6;
	bench_header("static Linux programs: whole runs in a VM vs spawned "
		     "natively; %lu getppid calls, SHA-256 of %lu MiB", calls,
		     mib);
	same_output(&sha);
	measure("linux_syscall", "ns", &sys, (bench_rounds() + 2) / 3);
	measure("linux_sha256_64m", "ms", &sha, bench_rounds());
	close(devnull);
	return 0;
}
