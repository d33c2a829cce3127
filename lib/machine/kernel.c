/* SPDX-License-Identifier: MIT */
/*
 * Loading the machine's kernel: read it, tell its kind from its contents,
 * and hand it to the boot protocol that knows it, or for a bare ELF guest
 * to libvm's ELF loader and a CPU mode.
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
#define ELF_CLASS64	2
#define TWO_MB		(2ull << 20)

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

static int elf_class(const uint8_t *p, uint64_t len)
{
	if (len < 16 || memcmp(p, "\177ELF", 4))
		return 0;
	return p[4];
}

/* ELF64: libvm's long-mode environment, user mode, on vCPU 0. */
static int enter_elf64(libvm_machine *m, libvm_image *img)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	uint64_t lo = 0, hi = 0, sys = LVM_MACH_1M;
	libvm_vcpu *v = m->vcpus[0];
	int r;

	r = libvm_image_extent(&lo, &hi, img);
	if (r < 0)
		return r;
	/* libvm's tables at 1 MiB, or after the image if it is there. */
	if (lo < sys + LIBVM_SYS_SIZE && hi > sys)
		sys = (hi + TWO_MB - 1) & ~(TWO_MB - 1);
	if (sys + LIBVM_SYS_SIZE > m->low_ram)
		return lvm_err(LIBVM_ERANGE, "ELF64 guest up to %#llx leaves no "
			       "room for libvm's tables below %#llx",
			       (unsigned long long)hi,
			       (unsigned long long)m->low_ram);
	lm.sys_gpa = sys;
	r = libvm_long_mode_setup(m->vm, &lm);
	if (r == 0)
		r = libvm_console_attach(m->vm, lvm_mach_console, m);
	if (r == 0)
		r = libvm_vcpu_set_long_mode(v, libvm_image_entry(img),
					     m->low_ram);
	return r;
}

static int load_elf(libvm_machine *m, const uint8_t *data, uint64_t len,
		    int cls)
{
	libvm_image *img = NULL;
	int r;

	r = libvm_image_load_mem(&img, m->vm, data, len, 0);
	if (r < 0)
		return r;
	if (cls == ELF_CLASS64)
		r = enter_elf64(m, img);
	else
		r = libvm_vcpu_set_protected_mode(m->vcpus[0],
						  (uint32_t)libvm_image_entry(img),
						  LVM_MACH_ELF32_STACK);
	libvm_image_destroy(img);
	return r;
}

int lvm_mach_load(libvm_machine *m)
{
	const libvm_machine_config *c = &m->cfg;
	uint8_t *file = NULL;
	const uint8_t *data = c->kernel_data;
	uint64_t len = c->kernel_len;
	int r, cls;

	if (c->kernel_path) {
		r = read_file(c->kernel_path, &file, &len);
		if (r < 0)
			return r;
		data = file;
	}
	cls = elf_class(data, len);
	if (cls == ELF_CLASS32 || cls == ELF_CLASS64)
		r = load_elf(m, data, len, cls);
	else
		r = lvm_err(LIBVM_EIMAGE, "kernel %s: not a kind this libvm "
			    "boots", c->kernel_path ? c->kernel_path
						    : "(buffer)");
	free(file);
	return r;
}

void lvm_mach_unload(libvm_machine *m)
{
	(void)m;
}
