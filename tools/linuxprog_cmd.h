/* SPDX-License-Identifier: MIT */
/*
 * Running a static Linux x86-64 program in a VM, its system calls served
 * by libvm (files under --root only): the command line shared by
 * linuxrun and vmrun --linux-program.  Included by each; not a library.
 */
#ifndef LIBVM_TOOLS_LINUXPROG_CMD_H
#define LIBVM_TOOLS_LINUXPROG_CMD_H

#include <libvm/libvm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENV 64

/* Exit codes: the program's own, or one of these. */
struct lp_codes {
	int host;	/* libvm or the command failed */
	int timeout;
	int fault;	/* the program faulted */
	int usage;
};

struct lp_cmd {
	const char *name;	/* "linuxrun" or "vmrun" in messages */
	int quiet;
};

static void log_nosys(libvm_linux *lp, uint64_t nr, void *opaque)
{
	const struct lp_cmd *c = opaque;

	(void)lp;
	if (!c->quiet)
		fprintf(stderr, "%s: system call %llu is not served "
			"(ENOSYS)\n", c->name, (unsigned long long)nr);
}

/* --trace: each system call as the program makes it, on stderr. */
static int trace(libvm_linux *lp, uint64_t nr, const uint64_t a[6],
		 int64_t *ret, void *opaque)
{
	(void)lp;
	(void)ret;
	(void)opaque;
	fprintf(stderr, "syscall %llu (%#llx, %#llx, %#llx, %#llx)\n",
		(unsigned long long)nr, (unsigned long long)a[0],
		(unsigned long long)a[1], (unsigned long long)a[2],
		(unsigned long long)a[3]);
	return LIBVM_LINUX_SERVE;
}

static int lp_usage(const struct lp_cmd *c, const struct lp_codes *codes,
		    const char *prefix)
{
	fprintf(stderr, "usage: %s%s [--root DIR] [--timeout SEC] "
		"[--mem MIB] [--env NAME=VALUE]... [--quiet] [--trace] [--] "
		"PROG [ARGS...]\n", c->name, prefix);
	return codes->usage;
}

static int lp_report(const struct lp_cmd *c, const struct lp_codes *codes,
		     const libvm_exit *ex)
{
	switch (ex->reason) {
	case LIBVM_EXIT_GUEST_EXIT:
		return (int)ex->u.guest_exit.code;
	case LIBVM_EXIT_TIMEOUT:
		fprintf(stderr, "%s: timed out\n", c->name);
		return codes->timeout;
	case LIBVM_EXIT_EXCEPTION:
		fprintf(stderr, "%s: the program faulted: exception %u "
			"at %#llx (address %#llx)\n", c->name,
			ex->u.exception.vector,
			(unsigned long long)ex->u.exception.rip,
			(unsigned long long)ex->u.exception.cr2);
		return codes->fault;
	}
	fprintf(stderr, "%s: the program stopped: %s\n", c->name,
		libvm_exit_reason_name(ex->reason));
	return codes->host;
}

/*
 * Parse [options] [--] PROG [ARGS...] from argv[first] on (prefix names
 * the words before them in the usage line) and run PROG.
 */
static int lp_cmd_main(const char *name, const char *prefix,
		       const struct lp_codes *codes, int argc, char **argv,
		       int first)
{
	struct lp_cmd cmd = { .name = name };
	libvm_linux_config cfg;
	const char *env[MAX_ENV + 1] = { "PATH=/bin:/usr/bin" };
	double timeout = 0;
	int nenv = 1, i, r;
	libvm_linux *lp;
	libvm_exit ex;

	libvm_linux_config_init(&cfg, LIBVM_LINUX_CONFIG_VERSION);
	for (i = first; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--quiet")) {
			cmd.quiet = 1;
			continue;
		}
		if (!strcmp(argv[i], "--trace")) {
			cfg.hook = trace;
			continue;
		}
		if (i + 1 >= argc)
			return lp_usage(&cmd, codes, prefix);
		if (!strcmp(argv[i], "--root"))
			cfg.root = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atof(argv[++i]);
		else if (!strcmp(argv[i], "--mem"))
			cfg.mem_size = strtoull(argv[++i], NULL, 0) << 20;
		else if (!strcmp(argv[i], "--env") && nenv < MAX_ENV)
			env[nenv++] = argv[++i];
		else
			return lp_usage(&cmd, codes, prefix);
	}
	if (i >= argc)
		return lp_usage(&cmd, codes, prefix);
	cfg.envp = env;
	cfg.log = log_nosys;
	cfg.log_opaque = &cmd;
	r = libvm_linux_create(&lp, argv[i], argc - i,
			       (const char *const *)argv + i, &cfg);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", name, argv[i],
			libvm_last_error());
		return codes->host;
	}
	r = libvm_linux_run(&ex, lp, (uint64_t)(timeout * 1e9));
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", name, libvm_last_error());
		libvm_linux_destroy(lp);
		return codes->host;
	}
	r = lp_report(&cmd, codes, &ex);
	libvm_linux_destroy(lp);
	return r;
}

#endif
