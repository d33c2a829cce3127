/* SPDX-License-Identifier: MIT */
/*
 * Server partitioning: one process splits its host into several virtual
 * machines, each booting its own kernel with its own memory, vCPU threads
 * and console, none able to disturb another.
 *
 *   build/examples/partition KERNEL [INITRD] [COUNT] [CMDLINE]
 *
 * boots COUNT (default 3) machines of KERNEL side by side, 128 MiB and
 * 1-2 vCPUs each, prints each console line prefixed with the machine's
 * name, and at the end how each machine ended.  With Debian's kernel and
 * the test initramfs (tests/initramfs.c) every machine prints its own
 * boot and powers off.
 */
#include <libvm/libvm.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VMS 16

struct partition {
	char name[16];	/* "vm" and a number */
	libvm_machine *m;
	libvm_machine_result res;
	int r;
	char line[256];		/* console output, a line at a time */
	size_t len;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* Console output: whole lines, prefixed, so machines do not interleave. */
static void console(const char *buf, size_t len, void *opaque)
{
	struct partition *p = opaque;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c != '\n' && c != '\r' && p->len < sizeof(p->line) - 1)
			p->line[p->len++] = c;
		if (c == '\n' || p->len == sizeof(p->line) - 1) {
			pthread_mutex_lock(&out_lock);
			printf("[%s] %.*s\n", p->name, (int)p->len, p->line);
			fflush(stdout);
			pthread_mutex_unlock(&out_lock);
			p->len = 0;
		}
	}
}

int main(int argc, char **argv)
{
	static struct partition vms[MAX_VMS];
	const char *initrd[1];
	int n = 3, i, failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s KERNEL [INITRD] [COUNT] [CMDLINE]\n",
			argv[0]);
		return 2;
	}
	if (argc > 3)
		n = atoi(argv[3]);
	if (n < 1 || n > MAX_VMS) {
		fprintf(stderr, "COUNT: 1 to %d\n", MAX_VMS);
		return 2;
	}
	initrd[0] = argc > 2 ? argv[2] : NULL;
	for (i = 0; i < n; i++) {
		libvm_machine_config cfg = LIBVM_MACHINE_CONFIG_INIT;
		struct partition *p = &vms[i];

		snprintf(p->name, sizeof(p->name), "vm%d", i);
		cfg.kernel_path = argv[1];
		cfg.initrd_paths = initrd;
		cfg.ninitrds = initrd[0] ? 1 : 0;
		cfg.cmdline = argc > 4 ? argv[4]
				       : "console=ttyS0 quiet panic=-1";
		cfg.mem_size = 128ull << 20;
		cfg.ncpus = 1 + i % 2;
		cfg.console_out = console;
		cfg.console_opaque = p;
		cfg.timeout_ns = 600ull * 1000000000ull;
		p->r = libvm_machine_create(&p->m, &cfg);
		if (p->r == 0)
			p->r = libvm_machine_start(p->m);
		if (p->r < 0)
			fprintf(stderr, "%s: %s\n", p->name,
				libvm_last_error());
	}
	/* Each machine runs on its own vCPU threads; wait for them all. */
	for (i = 0; i < n; i++)
		if (vms[i].r == 0)
			vms[i].r = libvm_machine_wait(vms[i].m, &vms[i].res);
	for (i = 0; i < n; i++) {
		struct partition *p = &vms[i];

		if (p->r < 0) {
			printf("%s: failed (%s)\n", p->name,
			       libvm_strerror(p->r));
			failed = 1;
		} else {
			printf("%s: %s after %.2f s (boot marker %.2f s)\n",
			       p->name, libvm_machine_end_name(p->res.end),
			       p->res.run_ns / 1e9,
			       p->res.boot_marker_ns / 1e9);
		}
		libvm_machine_destroy(p->m);
	}
	return failed;
}
