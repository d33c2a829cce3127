/* SPDX-License-Identifier: MIT */
/*
 * Static Linux programs as guests (lib/linuxprog): Debian's busybox-static
 * and the programs of tests/linuxprog/, run in user mode with their system
 * calls served by libvm, under a root directory made per test in $TMPDIR.
 */
#define _GNU_SOURCE
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"
#define PROG(name) LIBVM_LINUXPROG_DIR "/" name
#define LP_TIMEOUT_NS (60ull * 1000000000ull)

static char root[256];

static void put_file(const char *rel, const void *data, size_t len)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put_link(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	cr_assert_eq(symlink(target, p), 0, "%s: %s", p, strerror(errno));
}

/* A root with files, a directory and the symlinks escape.c tries. */
static void make_root(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char p[512];

	snprintf(root, sizeof(root), "%s/libvm-lp-XXXXXX", tmp);
	cr_assert_not_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/sub", root);
	cr_assert_eq(mkdir(p, 0755), 0);
	put_file("sub/hello.txt", "hi\n", 3);
	put_link("/etc/shadow", "evil");
	put_link("../../../..", "sub/up");
	put_link("/etc", "sub/abs");
	put_link("loop", "loop");
}

static void rm_root(void)
{
	static const char *const names[] = {
		"sub/hello.txt", "sub/up", "sub/abs", "evil", "loop",
		"data.bin", "sub", "",
	};
	char p[512];
	size_t i;

	if (!root[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, names[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	root[0] = '\0';
}

static void setup(void)
{
	if (!h_kvm_openable())
		cr_skip_test("KVM not available (/dev/kvm does not open)");
	make_root();
}

TestSuite(linuxprog, .init = setup, .fini = rm_root);

/* A program's run: its output (stdout and stderr) and how it ended. */
struct run {
	char out[8192];
	libvm_exit exit;
	uint64_t logged[4];
	int nlogged;
};

static void log_fn(libvm_linux *lp, uint64_t nr, void *opaque)
{
	struct run *r = opaque;

	(void)lp;
	if (r->nlogged < 4)
		r->logged[r->nlogged] = nr;
	r->nlogged++;
}

static void read_back(int fd, char *out, size_t cap)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
}

static libvm_linux *create(const char *prog, const char *const *argv,
			   libvm_linux_config *cfg, int outfd)
{
	libvm_linux *lp = NULL;
	int argc = 0;

	while (argv[argc])
		argc++;
	cfg->root = root;
	cfg->stdin_fd = -1;
	cfg->stdout_fd = cfg->stderr_fd = outfd;
	OK(libvm_linux_create(&lp, prog, argc, argv, cfg));
	return lp;
}

static void run_prog(struct run *r, const char *prog,
		     const char *const *argv, libvm_linux_config *cfg,
		     uint64_t timeout)
{
	libvm_linux_config def;
	libvm_linux *lp;
	int fd = memfd_create("out", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	memset(r, 0, sizeof(*r));
	if (!cfg) {
		OK(libvm_linux_config_init(&def, LIBVM_LINUX_CONFIG_VERSION));
		cfg = &def;
	}
	cfg->log = log_fn;
	cfg->log_opaque = r;
	lp = create(prog, argv, cfg, fd);
	OK(libvm_linux_run(&r->exit, lp, timeout));
	libvm_linux_destroy(lp);
	read_back(fd, r->out, sizeof(r->out));
	close(fd);
}

static void expect_exit(const struct run *r, int code)
{
	cr_assert_eq(r->exit.reason, LIBVM_EXIT_GUEST_EXIT,
		     "ended with %s (vector %u at %#llx); output:\n%s",
		     libvm_exit_reason_name(r->exit.reason),
		     r->exit.u.exception.vector,
		     (unsigned long long)r->exit.u.exception.rip, r->out);
	cr_assert_eq(r->exit.u.guest_exit.code, code, "status %lld; output:\n%s",
		     (long long)r->exit.u.guest_exit.code, r->out);
}

Test(linuxprog, busybox_echo, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "echo", "hello", "from", "a",
					    "VM", NULL };
	struct run r;

	run_prog(&r, BUSYBOX, argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	cr_assert_str_eq(r.out, "hello from a VM\n");
}

Test(linuxprog, busybox_sha256sum_matches_host, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "sha256sum", "/data.bin", NULL };
	char cmd[600], host[128] = "";
	static uint8_t data[3 << 20];
	struct run r;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 12));
	put_file("data.bin", data, sizeof(data));
	run_prog(&r, BUSYBOX, argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	snprintf(cmd, sizeof(cmd), "sha256sum %s/data.bin", root);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(host, sizeof(host), f));
	pclose(f);
	cr_assert_eq(strncmp(r.out, host, 64), 0, "guest %s host %s", r.out,
		     host);
	cr_assert_not_null(strstr(r.out, "  /data.bin\n"));
}

Test(linuxprog, busybox_ls_root, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "ls", "-1a", "/", NULL };
	struct run r;

	run_prog(&r, BUSYBOX, argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	cr_assert_str_eq(r.out, ".\n..\nevil\nloop\nsub\n");
}

Test(linuxprog, busybox_sh_script, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = {
		"sh", "-c",
		"x=3; for i in 1 2 $x; do echo \"n=$i\"; done; "
		"if test -f /sub/hello.txt; then echo file; fi; "
		"cd /sub; pwd; read line < hello.txt; echo \"got $line\"; "
		"echo $((x * 7)); exit 5", NULL,
	};
	struct run r;

	run_prog(&r, BUSYBOX, argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 5);
	cr_assert_str_eq(r.out, "n=1\nn=2\nn=3\nfile\n/sub\ngot hi\n21\n");
}

static void escape_checks(uint32_t flags)
{
	static const char *const argv[] = { "escape", NULL };
	libvm_linux_config cfg;
	struct run r;

	OK(libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION));
	cfg.flags = flags;
	run_prog(&r, PROG("escape"), argv, &cfg, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	cr_assert_null(strstr(r.out, "OPENED"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "/loop: refused (Too many levels"),
			   "%s", r.out);
}

Test(linuxprog, paths_stay_in_root_openat2, .timeout = VCPU_TIMEOUT)
{
	escape_checks(0);
}

Test(linuxprog, paths_stay_in_root_walk, .timeout = VCPU_TIMEOUT)
{
	escape_checks(LIBVM_LINUX_NO_OPENAT2);
}

Test(linuxprog, glibc_program_sees_linux, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "hello", "one", "two", NULL };
	static const char *const env[] = { "GREETING=hi there", NULL };
	libvm_linux_config cfg;
	struct run r;

	OK(libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION));
	cfg.envp = env;
	run_prog(&r, PROG("hello"), argv, &cfg, LP_TIMEOUT_NS);
	expect_exit(&r, 7);
	cr_assert_str_eq(r.out, "argc=3 [hello] [one] [two]\nenv=hi there\n"
			 "pagesz=4096 random=yes\nfile=hi\ncwd=/ pid=1\n");
	cr_assert_eq(r.nlogged, 0, "unserved call %llu",
		     (unsigned long long)r.logged[0]);
}

Test(linuxprog, unsupported_call_is_enosys_logged_once,
     .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "nosys", NULL };
	struct run r;

	run_prog(&r, PROG("nosys"), argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	cr_assert_eq(r.nlogged, 2, "%d logged", r.nlogged);
	cr_assert_eq(r.logged[0], 999);
	cr_assert_eq(r.logged[1], 57);	/* fork */
}

Test(linuxprog, endless_loop_times_out_and_resumes, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "loop", NULL };
	libvm_linux_config cfg;
	libvm_linux *lp;
	libvm_exit ex;

	OK(libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION));
	lp = create(PROG("loop"), argv, &cfg, -1);
	OK(libvm_linux_run(&ex, lp, 200000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT, "%s",
		     libvm_exit_reason_name(ex.reason));
	OK(libvm_linux_run(&ex, lp, 100000000ull));
	cr_assert_eq(ex.reason, LIBVM_EXIT_TIMEOUT);
	libvm_linux_destroy(lp);
}

Test(linuxprog, fault_is_a_clean_exception, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "fault", NULL };
	struct run r;

	run_prog(&r, PROG("fault"), argv, NULL, LP_TIMEOUT_NS);
	cr_assert_str_eq(r.out, "about to fault\n");
	cr_assert_eq(r.exit.reason, LIBVM_EXIT_EXCEPTION, "%s",
		     libvm_exit_reason_name(r.exit.reason));
	cr_assert_eq(r.exit.u.exception.vector, 14);	/* #PF */
	cr_assert_eq(r.exit.u.exception.cr2, 0);
}

Test(linuxprog, static_pie, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "pie", NULL };
	struct run r;

	run_prog(&r, PROG("pie"), argv, NULL, LP_TIMEOUT_NS);
	expect_exit(&r, 0);
	cr_assert_not_null(strstr(r.out, "static pie: main at 0x4"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "answer 42"));
}

static int deny_open(libvm_linux *lp, uint64_t nr, const uint64_t args[6],
		     int64_t *ret, void *opaque)
{
	(void)lp;
	(void)args;
	(*(int *)opaque)++;
	if (nr != 257)	/* openat */
		return LIBVM_LINUX_SERVE;
	*ret = -EPERM;
	return LIBVM_LINUX_RETURN;
}

Test(linuxprog, hook_refuses_a_call, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "cat", "/sub/hello.txt", NULL };
	libvm_linux_config cfg;
	struct run r;
	int calls = 0;

	OK(libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION));
	cfg.hook = deny_open;
	cfg.hook_opaque = &calls;
	run_prog(&r, BUSYBOX, argv, &cfg, LP_TIMEOUT_NS);
	expect_exit(&r, 1);
	cr_assert_not_null(strstr(r.out, "Operation not permitted"), "%s",
			   r.out);
	cr_assert_gt(calls, 3);
}

Test(linuxprog, bad_programs_are_refused)
{
	static const char *const argv[] = { "x", NULL };
	libvm_linux *lp = NULL;
	int fds = h_count_fds();

	FAILS(libvm_linux_create(&lp, "/bin/sh", 1, argv, NULL), LIBVM_EIMAGE);
	cr_assert_not_null(strstr(libvm_last_error(), "dynamically linked"),
			   "%s", libvm_last_error());
	put_file("junk", "\177ELF junk", 9);
	{
		char p[512];

		snprintf(p, sizeof(p), "%s/junk", root);
		FAILS(libvm_linux_create(&lp, p, 1, argv, NULL), LIBVM_EIMAGE);
		unlink(p);
	}
	cr_assert_null(lp);
	cr_assert_eq(h_count_fds(), fds);
}

/* ---- many programs, snapshots ---- */

struct worker {
	pthread_t t;
	int id, ok;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	char word[32], want[40];
	const char *argv[] = { "echo", word, NULL };
	struct run *r = malloc(sizeof(*r));
	libvm_linux_config cfg;
	int i;

	w->ok = 1;
	for (i = 0; i < 3 && r; i++) {
		snprintf(word, sizeof(word), "vm%d-%d", w->id, i);
		snprintf(want, sizeof(want), "%s\n", word);
		libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION);
		run_prog(r, BUSYBOX, argv, &cfg, LP_TIMEOUT_NS);
		if (r->exit.reason != LIBVM_EXIT_GUEST_EXIT ||
		    strcmp(r->out, want))
			w->ok = 0;
	}
	free(r);
	return NULL;
}

Test(linuxprog, many_programs_on_threads, .timeout = VCPU_TIMEOUT * 2)
{
	struct worker w[6];
	int fds = h_count_fds();
	int i;

	for (i = 0; i < 6; i++) {
		w[i].id = i;
		cr_assert_eq(pthread_create(&w[i].t, NULL, worker, &w[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(w[i].t, NULL);
		cr_assert(w[i].ok, "worker %d", i);
	}
	cr_assert_eq(h_count_fds(), fds);
}

static int stop_at_getppid(libvm_linux *lp, uint64_t nr,
			   const uint64_t args[6], int64_t *ret, void *opaque)
{
	(void)lp;
	(void)args;
	(void)opaque;
	if (nr != 110)
		return LIBVM_LINUX_SERVE;
	*ret = 0;
	return LIBVM_LINUX_STOP;
}

Test(linuxprog, snapshot_fork_continues, .timeout = VCPU_TIMEOUT)
{
	static const char *const argv[] = { "snap", NULL };
	static const char want[] = "first=hi rest=\n heap=heap-before brk=ok\n";
	libvm_linux_config cfg;
	libvm_linux *lp, *child;
	libvm_snapshot *snap;
	libvm_exit ex;
	char out[256];
	int fd = memfd_create("out", MFD_CLOEXEC);

	OK(libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION));
	cfg.hook = stop_at_getppid;
	lp = create(PROG("snap"), argv, &cfg, fd);
	OK(libvm_linux_run(&ex, lp, LP_TIMEOUT_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED);
	cr_assert_eq(ex.u.stop.space, LIBVM_TRAP_SYSCALL);
	cr_assert_eq(ex.u.stop.addr, 110);
	OK(libvm_snapshot_take(&snap, libvm_linux_vm(lp)));

	/* the program goes on and ends */
	OK(libvm_linux_run(&ex, lp, LP_TIMEOUT_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT, "%s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.guest_exit.code, 0, "status %lld",
		     (long long)ex.u.guest_exit.code);
	read_back(fd, out, sizeof(out));
	cr_assert_str_eq(out, want);

	/* a fork goes on from the snapshot: same file offset, same heap */
	cr_assert_eq(ftruncate(fd, 0), 0);
	lseek(fd, 0, SEEK_SET);
	OK(libvm_linux_fork(&child, snap, lp));
	OK(libvm_linux_run(&ex, child, LP_TIMEOUT_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT, "%s",
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.guest_exit.code, 0);
	read_back(fd, out, sizeof(out));
	cr_assert_str_eq(out, want);

	/* and so does the program itself after a restore */
	cr_assert_eq(ftruncate(fd, 0), 0);
	lseek(fd, 0, SEEK_SET);
	OK(libvm_snapshot_restore(libvm_linux_vm(lp), snap));
	OK(libvm_linux_run(&ex, lp, LP_TIMEOUT_NS));
	cr_assert_eq(ex.reason, LIBVM_EXIT_GUEST_EXIT);
	read_back(fd, out, sizeof(out));
	cr_assert_str_eq(out, want);

	libvm_linux_destroy(child);
	libvm_linux_destroy(lp);
	libvm_snapshot_destroy(snap);
	close(fd);
}
