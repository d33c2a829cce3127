/* SPDX-License-Identifier: MIT */
/*
 * linuxrun: run a static Linux x86-64 program in a VM, its system calls
 * served by libvm (files under --root only).  The exit status is the
 * program's; 125 when libvm failed, 124 on --timeout, 139 on a fault.
 *
 *   linuxrun [--root DIR] [--timeout SEC] [--mem MIB] [--env NAME=VALUE]...
 *            [--quiet] [--trace] [--] PROG [ARGS...]
 */
#include <libvm/libvm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENV 64

static void log_nosys(libvm_linux *lp, uint64_t nr, void *opaque)
{
	(void)lp;
	if (!*(int *)opaque)
		fprintf(stderr, "linuxrun: system call %llu is not served "
			"(ENOSYS)\n", (unsigned long long)nr);
}

/* --trace: each system call as the program makes it, on stderr. */
static int trace(libvm_linux *lp, uint64_t nr, const uint64_t a[6],
		 int64_t *ret, void *opaque)
{
	(void)lp;
	(void)ret;
	(void)opaque;
	fprintf(stderr, "linuxrun: syscall %llu (%#llx, %#llx, %#llx, %#llx)\n",
		(unsigned long long)nr, (unsigned long long)a[0],
		(unsigned long long)a[1], (unsigned long long)a[2],
		(unsigned long long)a[3]);
	return LIBVM_LINUX_SERVE;
}

static int usage(void)
{
	fprintf(stderr, "usage: linuxrun [--root DIR] [--timeout SEC] "
		"[--mem MIB] [--env NAME=VALUE]... [--quiet] [--] PROG "
		"[ARGS...]\n");
	return 125;
}

static int report(const libvm_exit *ex)
{
	switch (ex->reason) {
	case LIBVM_EXIT_GUEST_EXIT:
		return (int)ex->u.guest_exit.code;
	case LIBVM_EXIT_TIMEOUT:
		fprintf(stderr, "linuxrun: timed out\n");
		return 124;
	case LIBVM_EXIT_EXCEPTION:
		fprintf(stderr, "linuxrun: the program faulted: exception %u "
			"at %#llx (address %#llx)\n", ex->u.exception.vector,
			(unsigned long long)ex->u.exception.rip,
			(unsigned long long)ex->u.exception.cr2);
		return 139;
	}
	fprintf(stderr, "linuxrun: the program stopped: %s\n",
		libvm_exit_reason_name(ex->reason));
	return 125;
}

int main(int argc, char **argv)
{
	libvm_linux_config cfg;
	const char *env[MAX_ENV + 1] = { "PATH=/bin:/usr/bin" };
	double timeout = 0;
	int nenv = 1, quiet = 0, i, r;
	libvm_linux *lp;
	libvm_exit ex;

	libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
			continue;
		}
		if (!strcmp(argv[i], "--trace")) {
			cfg.hook = trace;
			continue;
		}
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--root"))
			cfg.root = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--mem"))
			cfg.mem_size = strtoull(argv[++i], NULL, 0) << 20;
		else if (!strcmp(argv[i], "--env") && nenv < MAX_ENV)
			env[nenv++] = argv[++i];
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	cfg.envp = env;
	cfg.log = log_nosys;
	cfg.log_opaque = &quiet;
	r = libvm_linux_create(&lp, argv[i], argc - i,
			       (const char *const *)argv + i, &cfg);
	if (r < 0) {
		fprintf(stderr, "linuxrun: %s\n", libvm_last_error());
		return 125;
	}
	r = libvm_linux_run(&ex, lp, (uint64_t)(timeout * 1e9));
	if (r < 0) {
		fprintf(stderr, "linuxrun: %s\n", libvm_last_error());
		libvm_linux_destroy(lp);
		return 125;
	}
	r = report(&ex);
	libvm_linux_destroy(lp);
	return r;
}
