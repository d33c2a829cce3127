/* SPDX-License-Identifier: MIT */
/*
 * Debian's stock kernel (scripts/debian-kernel; the Makefile fetches it
 * into LIBVM_KERNEL_CACHE), as its bzImage and as the ELF vmlinux inside
 * it through its PVH note (scripts/vmlinux-from-bzimage), each through
 * libvm_boot_load with an initrd and earlyprintk on the serial port, run
 * until the kernel's setup_arch says where it found the initrd: its
 * "Linux version" banner, our command line, every memory map entry the
 * loader gave it (as "BIOS-e820" lines), and "RAMDISK: [mem ...]" at the
 * place the loader put the initrd.  The serial port is a trap that
 * only captures bytes (the platform's UART is another branch's).  On a
 * PVM host supervisor-mode code is emulated too slowly for a stock
 * kernel: the tests say so and do not run there (the nested VM runs
 * them).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define RAM (256ull << 20)
#define INITRD_LEN (1ull << 20)
#define CMDLINE "earlyprintk=serial,ttyS0 console=ttyS0 panic=-1"

struct uart {
	char out[1 << 16];
	size_t n;
	uint8_t lcr;
};

static int uart(libvm_vcpu *vcpu, uint64_t port, void *data, uint32_t size,
		uint32_t direction, void *opaque)
{
	struct uart *u = opaque;
	uint8_t *b = data;

	(void)vcpu, (void)size;
	if (direction == LIBVM_READ) {
		b[0] = port == 0x3fd ? 0x60 : 0;	/* LSR: THR empty */
		return LIBVM_TRAP_CONTINUE;
	}
	if (port == 0x3fb)
		u->lcr = b[0];
	if (port != 0x3f8 || (u->lcr & 0x80) || u->n >= sizeof(u->out) - 1)
		return LIBVM_TRAP_CONTINUE;	/* DLAB: the divisor */
	u->out[u->n++] = (char)b[0];
	u->out[u->n] = 0;
	return b[0] == '\n' && strstr(u->out, "RAMDISK: [mem ")
		? LIBVM_TRAP_STOP : LIBVM_TRAP_CONTINUE;
}

/* No PCI devices: configuration reads return all ones. */
static int pci(libvm_vcpu *vcpu, uint64_t port, void *data, uint32_t size,
	       uint32_t direction, void *opaque)
{
	(void)vcpu, (void)port, (void)opaque;
	if (direction == LIBVM_READ)
		memset(data, 0xff, size);
	return LIBVM_TRAP_CONTINUE;
}

/* file (vmlinuz or vmlinux) of the newest cached kernel. */
static const char *stock_kernel(const char *file)
{
	static char path[1024];
	const char *env = getenv("LIBVM_DEBIAN_KERNEL");
	glob_t g;

	if (env)	/* a directory like the cache's */
		snprintf(path, sizeof(path), "%s/%s", env, file);
	else if (glob(LIBVM_KERNEL_CACHE "/linux-image-*/vmlinuz", 0, NULL,
		      &g) == 0) {
		snprintf(path, sizeof(path), "%s", g.gl_pathv[g.gl_pathc - 1]);
		strcpy(strrchr(path, '/') + 1, file);
		globfree(&g);
	} else {
		cr_assert_fail("no Debian kernel in " LIBVM_KERNEL_CACHE
			       ": make debian-kernel (make check does)");
	}
	cr_assert_eq(access(path, R_OK), 0, "%s: make debian-kernel", path);
	return path;
}

static const char *e820_name(uint32_t type)
{
	switch (type) {
	case LIBVM_E820_RAM:
		return "usable";
	case LIBVM_E820_ACPI:
		return "ACPI data";
	case LIBVM_E820_NVS:
		return "ACPI NVS";
	default:
		return "reserved";
	}
}

/* Every entry of the loader's map in the kernel's "BIOS-e820" lines. */
static void check_e820(const struct uart *u, libvm_boot *b)
{
	libvm_mem_range map[64];
	uint32_t n = 64, i;
	char line[128];

	OK(libvm_boot_memmap(b, map, &n));
	for (i = 0; i < n; i++) {
		/* The kernel's %#018Lx: 0x and 16 digits, zero too. */
		snprintf(line, sizeof(line),
			 "BIOS-e820: [mem 0x%016llx-0x%016llx] %s",
			 (unsigned long long)map[i].base,
			 (unsigned long long)(map[i].base + map[i].len - 1),
			 e820_name(map[i].type));
		cr_assert(strstr(u->out, line), "no \"%s\" in:\n%s", line,
			  u->out);
	}
}

static void boot_stock(const char *file, uint32_t kind)
{
	libvm_host_info h = LIBVM_HOST_INFO_INIT;
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	libvm_boot_module initrd = { .len = INITRD_LEN };
	struct uart *u = calloc(1, sizeof(*u));
	libvm_boot_range rg[16];
	uint32_t n = 16, i;
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_boot *b;
	libvm_exit ex;
	char want[128];
	uint8_t *rd;

	if (libvm_host_query(&h, NULL) == 0 &&
	    h.supervisor == LIBVM_SUPERVISOR_EMULATED)
		cr_skip_test("PVM host: a stock kernel's supervisor-mode code "
			     "is emulated here, too slowly to boot; the "
			     "nested VM runs this test");
	vm = h_vm_create(NULL);
	cr_assert_not_null(u);
	rd = malloc(INITRD_LEN);
	cr_assert_not_null(rd);
	memset(rd, 0x42, INITRD_LEN);
	initrd.data = rd;
	h_map_ram(vm, 0, RAM);
	OK(libvm_trap_register(vm, LIBVM_TRAP_PIO, 0x3f8, 8, uart, u));
	OK(libvm_trap_register(vm, LIBVM_TRAP_PIO, 0xcf8, 8, pci, NULL));
	cfg.kernel_path = stock_kernel(file);
	cfg.cmdline = CMDLINE;
	cfg.modules = &initrd;
	cfg.nmodules = 1;
	OK(libvm_boot_load(&b, vm, &cfg));
	cr_assert_eq(libvm_boot_kind(b), kind);
	OK(libvm_vcpu_create(&vcpu, vm, 0));
	OK(libvm_boot_enter(b, vcpu));
	for (;;) {
		OK(libvm_vcpu_run(&ex, vcpu, 300ull * 1000000000ull));
		if (ex.reason != LIBVM_EXIT_IO)
			break;
		/* Ports nobody serves: reads see nothing there. */
		if (ex.u.io.direction == LIBVM_READ)
			memset(ex.u.io.data, 0xff,
			       (size_t)ex.u.io.size * ex.u.io.count);
	}
	cr_assert_eq(ex.reason, LIBVM_EXIT_STOPPED, "exit %s; the kernel "
		     "said:\n%s", libvm_exit_reason_name(ex.reason), u->out);
	cr_assert(strstr(u->out, "Linux version "), "%s", u->out);
	cr_assert(strstr(u->out, "Command line: " CMDLINE), "%s", u->out);
	check_e820(u, b);
	OK(libvm_boot_ranges(b, rg, &n));
	for (i = 0; i < n && rg[i].what != LIBVM_BOOT_MODULE; i++)
		;
	cr_assert_lt(i, n);
	snprintf(want, sizeof(want), "RAMDISK: [mem 0x%08llx-0x%08llx]",
		 (unsigned long long)rg[i].gpa,
		 (unsigned long long)(rg[i].gpa + INITRD_LEN - 1));
	cr_assert(strstr(u->out, want), "no \"%s\" in:\n%s", want, u->out);
	libvm_boot_destroy(b);
	libvm_vm_destroy(vm);
	free(rd);
	free(u);
}

Test(boot, linux_stock_bzimage_reaches_setup_arch, .timeout = 600)
{
	boot_stock("vmlinuz", LIBVM_KERNEL_BZIMAGE);
}

Test(boot, linux_stock_vmlinux_pvh_reaches_setup_arch, .timeout = 600)
{
	boot_stock("vmlinux", LIBVM_KERNEL_PVH);
}
