/* SPDX-License-Identifier: MIT */
/*
 * Whole-VM benchmarks run a VMM as a child process (vmrun, QEMU): spawn it
 * with stdin from /dev/null and stdout+stderr on a pipe, collect what it
 * prints (the tail, when it is long) and time it, with a limit.  A
 * callback sees the output as it grows, for figures that are moments
 * (a marker line's arrival).  Needs bench.h first.
 */
#ifndef LIBVM_BENCH_VMPROC_H
#define LIBVM_BENCH_VMPROC_H

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct bench_proc {
	char out[1 << 20];	/* NUL-terminated; the tail once it is long */
	size_t len;
	uint64_t t0;		/* spawn time, bench_now_ns() */
	double exit_s;		/* spawn to exit */
	int status;		/* exit status, -1 if killed or signalled */
};

typedef void (*bench_proc_fn)(struct bench_proc *p, void *ctx);

/* Run argv to its end or limit_ns (then SIGKILL); fn (may be NULL). */
static inline void bench_spawn(struct bench_proc *p, char *const argv[],
			       uint64_t limit_ns, bench_proc_fn fn, void *ctx)
{
	posix_spawn_file_actions_t fa;
	int fds[2], st = 0;
	pid_t pid;

	p->len = 0;
	p->out[0] = 0;
	if (pipe(fds) < 0)
		bench_die_errno("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	p->t0 = bench_now_ns();
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))
		bench_die_errno(argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (;;) {
		struct pollfd pf = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (bench_now_ns() - p->t0 > limit_ns) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pf, 1, 1000) <= 0)
			continue;
		n = read(fds[0], p->out + p->len, sizeof(p->out) - 1 - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
		p->out[p->len] = 0;
		if (fn)
			fn(p, ctx);
		if (p->len > sizeof(p->out) / 2) {	/* keep the tail */
			memmove(p->out, p->out + p->len - 4096, 4096);
			p->len = 4096;
			p->out[p->len] = 0;
		}
	}
	close(fds[0]);
	waitpid(pid, &st, 0);
	p->exit_s = (bench_now_ns() - p->t0) / 1e9;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The newest Debian kernel in LIBVM_KERNEL_CACHE (scripts/debian-kernel's
 * cache): its vmlinuz in path; 0 if there is none.
 */
static inline int bench_stock_kernel(char *path, size_t cap)
{
	char best[256] = "";
	struct dirent *d;
	DIR *dp = opendir(LIBVM_KERNEL_CACHE);

	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		if (!strncmp(d->d_name, "linux-image-", 12) &&
		    strcmp(d->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", d->d_name);
	closedir(dp);
	if (!best[0])
		return 0;
	snprintf(path, cap, "%s/%s/vmlinuz", LIBVM_KERNEL_CACHE, best);
	return access(path, R_OK) == 0;
}

#endif
