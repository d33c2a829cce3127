/* SPDX-License-Identifier: MIT */
/*
 * System calls of a Linux program: the hook first, then files (fs.c),
 * memory (mem.c) and the rest here.  Numbers and errno values are Linux
 * x86-64's; results go back in RAX as Linux returns them.
 */
#define _GNU_SOURCE
#include "lp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define LP_ARCH_SET_GS	0x1001
#define LP_ARCH_SET_FS	0x1002
#define LP_ARCH_GET_FS	0x1003
#define LP_ARCH_GET_GS	0x1004
#define LP_RLIMIT_STACK	3
#define LP_RLIMIT_NOFILE 7
#define LP_RLIM_INFINITY (~0ull)
#define LP_SS_DISABLE	2
#define LP_FUTEX_WAIT	0
#define LP_FUTEX_WAKE	1
#define LP_FUTEX_CMD	0x7f	/* without FUTEX_PRIVATE_FLAG and CLOCK */

/* Exit status of a program that sent itself signal sig. */
#define LP_SIGNALLED(sig) (128 + (int)(sig))

static int64_t put(libvm_linux *lp, uint64_t gva, const void *src, size_t n)
{
	void *p = lp_uptr(lp, gva, n, true);

	if (!p)
		return -EFAULT;
	memcpy(p, src, n);
	return 0;
}

static int64_t sys_arch_prctl(libvm_linux *lp, uint64_t code, uint64_t addr)
{
	libvm_sregs s;
	uint64_t base;

	if (libvm_vcpu_get_sregs(&s, lp->vcpu) < 0)
		return -EIO;
	switch (code) {
	case LP_ARCH_SET_FS:
	case LP_ARCH_SET_GS:
		if (addr >= (1ull << 47))
			return -EPERM;
		if (code == LP_ARCH_SET_FS)
			s.fs.base = addr;
		else
			s.gs.base = addr;
		if (libvm_vcpu_set_sregs(lp->vcpu, &s) < 0)
			return -EIO;
		if (code == LP_ARCH_SET_FS)
			lp->st->fs_base = addr;
		return 0;
	case LP_ARCH_GET_FS:
	case LP_ARCH_GET_GS:
		base = code == LP_ARCH_GET_FS ? s.fs.base : s.gs.base;
		return put(lp, addr, &base, sizeof(base));
	}
	return -EINVAL;
}

static int64_t sys_clock(libvm_linux *lp, uint64_t clk, uint64_t ts, bool res)
{
	struct timespec t;

	if ((res ? clock_getres((clockid_t)clk, &t)
		 : clock_gettime((clockid_t)clk, &t)) < 0)
		return -errno;
	return ts ? put(lp, ts, &t, sizeof(t)) : 0;
}

static int64_t sys_gettimeofday(libvm_linux *lp, uint64_t tv)
{
	struct timespec t;
	int64_t v[2];

	clock_gettime(CLOCK_REALTIME, &t);
	v[0] = t.tv_sec;
	v[1] = t.tv_nsec / 1000;
	return tv ? put(lp, tv, v, sizeof(v)) : 0;
}

static int64_t sys_time(libvm_linux *lp, uint64_t tloc)
{
	int64_t now = (int64_t)time(NULL);

	if (tloc && put(lp, tloc, &now, sizeof(now)) < 0)
		return -EFAULT;
	return now;
}

static int64_t sys_nanosleep(libvm_linux *lp, uint64_t clk, uint64_t flags,
			     uint64_t req)
{
	const struct timespec *t = lp_uptr(lp, req, sizeof(*t), false);
	struct timespec ts;
	int r;

	if (!t)
		return -EFAULT;
	ts = *t;
	r = clock_nanosleep((clockid_t)clk, (int)flags, &ts, NULL);
	return -r;	/* EINTR when a timeout or cancel kicks the vCPU */
}

static int64_t sys_getrandom(libvm_linux *lp, uint64_t buf, uint64_t len,
			     uint64_t flags)
{
	ssize_t n;
	void *p;

	if (len > (32u << 20))
		len = 32u << 20;
	p = lp_uptr(lp, buf, len, true);
	if (!p)
		return -EFAULT;
	n = getrandom(p, len, (unsigned int)flags & GRND_NONBLOCK);
	return n < 0 ? -errno : n;
}

static int64_t sys_uname(libvm_linux *lp, uint64_t buf)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	/* the host's kernel and machine, not its name */
	snprintf(u.nodename, sizeof(u.nodename), "libvm");
	snprintf(u.domainname, sizeof(u.domainname), "(none)");
	return put(lp, buf, &u, sizeof(u));
}

static int64_t sys_prlimit(libvm_linux *lp, uint64_t pid, uint64_t res,
			   uint64_t oldp)
{
	uint64_t lim[2] = { LP_RLIM_INFINITY, LP_RLIM_INFINITY };

	if (pid && pid != LP_PID)
		return -ESRCH;
	if (res == LP_RLIMIT_STACK)
		lim[0] = lim[1] = lp->stack_size;
	else if (res == LP_RLIMIT_NOFILE)
		lim[0] = lim[1] = LP_MAX_FDS;
	return oldp ? put(lp, oldp, lim, sizeof(lim)) : 0;
}

/* Signals are not delivered: actions and masks read back as default. */
static int64_t zeros_out(libvm_linux *lp, uint64_t gva, size_t n)
{
	static const uint8_t z[32];

	return gva ? put(lp, gva, z, n) : 0;
}

static int64_t sys_sigaltstack(libvm_linux *lp, uint64_t old)
{
	uint64_t ss[3] = { 0, LP_SS_DISABLE, 0 };

	return old ? put(lp, old, ss, sizeof(ss)) : 0;
}

static int64_t sys_kill(libvm_linux *lp, int64_t pid, uint64_t sig,
			int *stop)
{
	if (pid != LP_PID && pid != 0 && pid != -1)
		return -ESRCH;
	if (sig > 64)
		return -EINVAL;
	if (sig) {
		lp->st->exited = 1;
		lp->st->status = LP_SIGNALLED(sig);
		*stop = LIBVM_TRAP_STOP;
	}
	return 0;
}

static int64_t sys_futex(libvm_linux *lp, uint64_t uaddr, uint64_t op,
			 uint64_t val)
{
	const uint32_t *w = lp_uptr(lp, uaddr, 4, false);

	if (!w)
		return -EFAULT;
	switch (op & LP_FUTEX_CMD) {
	case LP_FUTEX_WAKE:
		return 0;	/* one thread: nobody waits */
	case LP_FUTEX_WAIT:
		/* nobody could wake it: a wait that would block is a bug */
		return *w != (uint32_t)val ? -EAGAIN : -EDEADLK;
	}
	return -ENOSYS;
}

#define LP_PR_SET_NAME	15
#define LP_PR_GET_NAME	16

/* The thread's name only (busybox sets it); the rest is EINVAL. */
static int64_t sys_prctl(libvm_linux *lp, uint64_t op, uint64_t arg)
{
	static const char name[16] = "linuxprog";

	if (op == LP_PR_SET_NAME)
		return lp_uptr(lp, arg, 1, false) ? 0 : -EFAULT;
	if (op == LP_PR_GET_NAME)
		return put(lp, arg, name, sizeof(name));
	return -EINVAL;
}

/* Everything but files and the hook; *served false: not served. */
static int64_t sys_other(libvm_linux *lp, uint64_t nr, const uint64_t a[6],
			 bool *served, int *stop)
{
	*served = true;
	switch (nr) {
	case 9:		return lp_mmap(lp, a);
	case 10:	return lp_mprotect(lp, a[0], a[1]);
	case 11:	return lp_munmap(lp, a[0], a[1]);
	case 12:	return lp_brk(lp, a[0]);
	case 13:	return a[3] != 8 ? -EINVAL : zeros_out(lp, a[2], 32);
	case 14:	return a[3] != 8 ? -EINVAL : zeros_out(lp, a[2], 8);
	case 24:	return 0;			/* sched_yield */
	case 28:	return lp_madvise(lp, a[0], a[1], (int)a[2]);
	case 35:	return sys_nanosleep(lp, CLOCK_MONOTONIC, 0, a[0]);
	case 39:	return LP_PID;			/* getpid */
	case 60:
	case 231:					/* exit, exit_group */
		lp->st->exited = 1;
		lp->st->status = (int32_t)(a[0] & 0xff);
		*stop = LIBVM_TRAP_STOP;
		return 0;
	case 61:	return -ECHILD;			/* wait4 */
	case 62:	return sys_kill(lp, (int64_t)(int)a[0], a[1], stop);
	case 63:	return sys_uname(lp, a[0]);
	case 95:	return 022;			/* umask */
	case 96:	return sys_gettimeofday(lp, a[0]);
	case 97:	return sys_prlimit(lp, 0, a[0], a[1]);
	case 102:	return getuid();
	case 104:	return getgid();
	case 107:	return geteuid();
	case 108:	return getegid();
	case 110:	return 0;			/* getppid */
	case 111:	return LP_PID;			/* getpgrp */
	case 121:	return LP_PID;			/* getpgid */
	case 124:	return LP_PID;			/* getsid */
	case 131:	return sys_sigaltstack(lp, a[1]);
	case 157:	return sys_prctl(lp, a[0], a[1]);
	case 158:	return sys_arch_prctl(lp, a[0], a[1]);
	case 186:	return LP_PID;			/* gettid */
	case 200:	return sys_kill(lp, (int64_t)(int)a[0], a[1], stop);
	case 201:	return sys_time(lp, a[0]);
	case 202:	return sys_futex(lp, a[0], a[1], a[2]);
	case 218:	return LP_PID;			/* set_tid_address */
	case 228:	return sys_clock(lp, a[0], a[1], false);
	case 229:	return sys_clock(lp, a[0], a[1], true);
	case 230:	return sys_nanosleep(lp, a[0], a[1], a[2]);
	case 234:	return (int)a[0] != LP_PID ? -ESRCH :
			       sys_kill(lp, LP_PID, a[2], stop);
	case 273:	return 0;			/* set_robust_list */
	case 302:	return sys_prlimit(lp, a[0], a[1], a[3]);
	case 318:	return sys_getrandom(lp, a[0], a[1], a[2]);
	case 334:	return -ENOSYS;		/* rseq: glibc goes without */
	}
	*served = false;
	return -ENOSYS;
}

static void log_unserved(libvm_linux *lp, uint64_t nr)
{
	uint64_t bit = nr < 64 * ARRAY_SIZE(lp->logged) ? nr : 0;

	if (!lp->cfg.log)
		return;
	if (bit == nr) {
		if (lp->logged[bit / 64] >> (bit % 64) & 1)
			return;
		lp->logged[bit / 64] |= 1ull << (bit % 64);
	}
	lp->cfg.log(lp, nr, lp->cfg.log_opaque);
}

int lp_syscall(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
	       uint64_t *ret, void *opaque)
{
	libvm_linux *lp = opaque;
	int stop = LIBVM_TRAP_CONTINUE;
	int64_t r = -ENOSYS;
	bool served;

	(void)vcpu;
	if (lp->cfg.hook) {
		int h = lp->cfg.hook(lp, nr, args, &r, lp->cfg.hook_opaque);

		if (h == LIBVM_LINUX_RETURN || h == LIBVM_LINUX_STOP) {
			*ret = (uint64_t)r;
			return h == LIBVM_LINUX_STOP ? LIBVM_TRAP_STOP
						     : LIBVM_TRAP_CONTINUE;
		}
	}
	r = lp_sys_fs(lp, nr, args, &served);
	if (!served)
		r = sys_other(lp, nr, args, &served, &stop);
	if (!served)
		log_unserved(lp, nr);
	*ret = (uint64_t)r;
	return stop;
}
