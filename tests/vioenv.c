/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "vioenv.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "build/guests"
#endif

void ve_setup(struct vioenv *e, uint32_t vm_flags)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;

	memset(e, 0, sizeof(*e));
	cfg.flags = vm_flags;
	e->vm = h_vm_create(&cfg);
	h_map_ram(e->vm, 0, VE_RAM);
	OK(libvm_image_load_file(&e->img, e->vm,
				 LIBVM_GUEST_DIR "/virtio.elf", 0));
	lm.sys_gpa = VE_SYS;
	lm.map_size = VE_MAP;	/* RAM and the devices' registers */
	OK(libvm_long_mode_setup(e->vm, &lm));
	OK(libvm_vcpu_create(&e->vcpu, e->vm, 0));
	OK(libvm_vcpu_set_long_mode(e->vcpu, libvm_image_entry(e->img),
				    VE_STACK));
}

void ve_teardown(struct vioenv *e)
{
	libvm_image_destroy(e->img);
	libvm_vm_destroy(e->vm);
	memset(e, 0, sizeof(*e));
}

int64_t ve_call(struct vioenv *e, const char *fn, const uint64_t *args,
		uint32_t nargs)
{
	uint64_t addr = 0, ret = 0;
	libvm_exit ex;
	int r;

	OK(libvm_image_symbol(&addr, e->img, fn));
	memset(&ex, 0, sizeof(ex));
	r = libvm_call(&ret, &ex, e->vcpu, addr, args, nargs, VE_CALL_NS);
	cr_assert_eq(r, 0, "%s: %d (%s): %s (exit %s, vector %u, rip %#llx, "
		     "mmio %#llx)", fn, r, libvm_strerror(r),
		     libvm_last_error(), libvm_exit_reason_name(ex.reason),
		     ex.u.exception.vector,
		     (unsigned long long)ex.u.exception.rip,
		     (unsigned long long)ex.u.mmio.gpa);
	return (int64_t)ret;
}

void ve_pattern(uint8_t *buf, uint64_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint64_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

char *ve_image(uint64_t size, uint8_t seed)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	uint8_t *buf = malloc(size);
	int fd;

	cr_assert_not_null(buf);
	cr_assert_gt(asprintf(&path, "%s/libvm-virtio-XXXXXX",
			      dir && *dir ? dir : "/tmp"), 0);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp %s", path);
	if (seed)
		ve_pattern(buf, size, seed);
	else
		memset(buf, 0, size);
	cr_assert_eq(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
	return path;
}

void ve_image_remove(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

void ve_file_read(const char *path, uint64_t off, void *buf, uint64_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "open %s", path);
	cr_assert_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

int ve_count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	char path[300], comm[32];
	int n = 0;
	FILE *f;

	cr_assert_not_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;	/* gone meanwhile */
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "libvm-virtio", 12))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

void ve_init(struct vioenv *e, int di, uint64_t base, uint64_t want,
	     uint32_t nq, uint32_t qsize, uint32_t want_id)
{
	int64_t id = VE_CALL(e, "vd_init", (uint64_t)di, base, want, nq,
			     qsize);

	cr_assert_eq(id, (int64_t)want_id, "vd_init(%d, %#llx): %lld", di,
		     (unsigned long long)base, (long long)id);
}

int ve_threads_settle(int want)
{
	int i, n = ve_count_threads();

	/* A joined thread leaves /proc a moment after pthread_join returns. */
	for (i = 0; i < 2000 && n != want; i++) {
		usleep(1000);
		n = ve_count_threads();
	}
	return n;
}
