/* SPDX-License-Identifier: MIT */
/*
 * Loading the machine's kernel: read it, tell its kind from its contents,
 * and hand it to the boot protocol that knows it (lib/boot: bzImage, PVH,
 * multiboot, bare ELF64), or a bare ELF32 guest to libvm's ELF loader and
 * 32-bit protected mode.
 */
#include "mach.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KERNEL_MAX	(1ull << 30)
#define ELF_CLASS32	1

/* The whole file in a malloc'd buffer. */
static int read_file(const char *path, uint8_t **out, uint64_t *len)
{
	struct stat st;
	uint8_t *buf;
	uint64_t got = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "kernel %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > KERNEL_MAX) {
		close(fd);
		return lvm_err(LIBVM_EIMAGE, "kernel %s: not a regular file of "
			       "1 byte to 1 GiB", path);
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		return lvm_err(LIBVM_ENOMEM, "kernel %s: %lld bytes", path,
			       (long long)st.st_size);
	}
	while (got < (uint64_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = lvm_err_errno(LIBVM_EIO, n < 0 ? errno : EIO,
					  "kernel %s: read", path);
			break;
		}
		got += (uint64_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = got;
	return 0;
}

static bool is_elf32(const uint8_t *p, uint64_t len)
{
	return len >= 16 && !memcmp(p, "\177ELF", 4) && p[4] == ELF_CLASS32;
}

/*
 * A bare ELF32 guest (no boot protocol's header): at its physical
 * addresses, 32-bit flat protected mode at CPL0, on vCPU 0.
 */
static int load_elf32(libvm_machine *m, const uint8_t *data, uint64_t len)
{
	libvm_image *img = NULL;
	int r;

	r = libvm_image_load_mem(&img, m->vm, data, len, 0);
	if (r < 0)
		return r;
	r = libvm_vcpu_set_protected_mode(m->vcpus[0],
					  (uint32_t)libvm_image_entry(img),
					  LVM_MACH_ELF32_STACK);
	libvm_image_destroy(img);
	return r;
}

/* A bare ELF64 guest's console hypercalls: the machine's console. */
static void console(const char *buf, size_t len, void *opaque)
{
	libvm_machine *m = opaque;
	const char *p = buf;
	size_t left = len;
	ssize_t n;

	while (m->cfg.console_out_fd >= 0 && left) {
		n = write(m->cfg.console_out_fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	if (m->cfg.console_out)
		m->cfg.console_out(buf, len, m->cfg.console_opaque);
}

/* A kernel lib/boot knows: modules, memory map, RSDP, entry state. */
static int boot_kernel(libvm_machine *m, const uint8_t *data, uint64_t len,
		       uint32_t kind)
{
	const libvm_machine_config *c = &m->cfg;
	libvm_boot_config bc = LIBVM_BOOT_CONFIG_INIT;
	libvm_boot_module *mods = NULL;
	libvm_mem_range tables = {
		.base = LIBVM_PLAT_TABLES_GPA, .len = LIBVM_PLAT_TABLES_SIZE,
		.type = LIBVM_E820_RESERVED,
	};
	libvm_boot *b = NULL;
	uint32_t i;
	int r;

	if (c->ninitrds) {
		mods = calloc(c->ninitrds, sizeof(*mods));
		if (!mods)
			return lvm_err(LIBVM_ENOMEM, "machine: modules");
		for (i = 0; i < c->ninitrds; i++) {
			mods[i].path = c->initrd_paths[i];
			mods[i].string = c->initrd_paths[i];
		}
	}
	bc.kernel_data = data;
	bc.kernel_len = len;
	bc.kind = kind;
	bc.cmdline = c->cmdline;
	bc.modules = mods;
	bc.nmodules = c->ninitrds;
	bc.reserved = &tables;
	bc.nreserved = 1;
	bc.acpi_rsdp = m->rsdp;
	r = libvm_boot_load(&b, m->vm, &bc);
	free(mods);
	if (r == 0)
		r = libvm_boot_enter(b, m->vcpus[0]);
	/* A bare ELF64 guest's console is the machine's console. */
	if (r == 0 && kind == LIBVM_KERNEL_ELF)
		r = libvm_console_attach(m->vm, console, m);
	if (r < 0) {
		libvm_boot_destroy(b);
		return r;
	}
	m->boot = b;
	return 0;
}

/* A bzImage's unpacked vmlinux through PVH, where it has one. */
static int boot_probed(libvm_machine *m, const uint8_t *data, uint64_t len,
		       uint32_t kind)
{
	struct lvm_unpacked u;
	int r;

	if (kind != LIBVM_KERNEL_BZIMAGE ||
	    (m->cfg.flags & LIBVM_MACHINE_BZIMAGE_AS_IS) ||
	    lvm_mach_unpack(&u, data, len, m->cfg.cache_dir) < 0)
		return boot_kernel(m, data, len, kind);
	r = boot_kernel(m, u.data, u.len, LIBVM_KERNEL_PVH);
	lvm_mach_unpacked_free(&u);
	return r;
}

int lvm_mach_load(libvm_machine *m)
{
	const libvm_machine_config *c = &m->cfg;
	uint8_t *file = NULL;
	const uint8_t *data = c->kernel_data;
	uint64_t len = c->kernel_len;
	uint32_t kind = 0;
	int r;

	if (c->kernel_path) {
		r = read_file(c->kernel_path, &file, &len);
		if (r < 0)
			return r;
		data = file;
	}
	if (libvm_kernel_probe(data, len, &kind) == 0)
		r = boot_probed(m, data, len, kind);
	else if (is_elf32(data, len))
		r = load_elf32(m, data, len);
	else
		r = lvm_err(LIBVM_EIMAGE, "kernel %s: not a bzImage, PVH, "
			    "multiboot or ELF kernel", c->kernel_path ?
			    c->kernel_path : "(buffer)");
	free(file);
	return r;
}

void lvm_mach_unload(libvm_machine *m)
{
	libvm_boot_destroy(m->boot);
	m->boot = NULL;
}
