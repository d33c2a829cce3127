/* SPDX-License-Identifier: MIT */
/*
 * libvm_image_load_*: read the image, check all of it (elf.c) against the
 * VM's RAM, and only then write the segments.  mem_lock is held as reader
 * from the check to the last byte written, so no region can go away or
 * appear in between.
 */
#include "../internal.h"
#include "elfimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define X(v) ((unsigned long long)(v))

/*
 * Write len bytes of src (or zeros when src is NULL) at gpa, across
 * adjacent regions.  lvm_elf_parse has checked the range against ram.
 */
static int put(libvm_vm *vm, const struct lvm_ram_range *ram, uint32_t nram,
	       uint64_t gpa, const uint8_t *src, uint64_t len)
{
	uint32_t i = 0;

	while (len) {
		uint64_t n;
		void *p;

		while (i < nram && gpa - ram[i].gpa >= ram[i].size)
			i++;
		if (i == nram)
			return lvm_err(LIBVM_ERANGE, "ELF loader: %#llx is not "
				       "RAM", X(gpa));
		n = ram[i].size - (gpa - ram[i].gpa);
		if (n > len)
			n = len;
		p = lvm_gpa_ptr(vm, gpa, n, true);
		if (!p)
			return lvm_err(LIBVM_ERANGE, "ELF loader: %#llx+%#llx "
				       "is not writable RAM", X(gpa), X(n));
		if (src) {
			memcpy(p, src, n);
			src += n;
		} else {
			memset(p, 0, n);
		}
		gpa += n;
		len -= n;
	}
	return 0;
}

static int load(libvm_image **out, libvm_vm *vm, const void *buf,
		size_t len, uint32_t flags)
{
	struct lvm_ram_range *ram;
	libvm_image *img = NULL;
	uint32_t n = 0, i;
	int r;

	ram = calloc(LIBVM_MAX_REGIONS, sizeof(*ram));
	if (!ram)
		return lvm_err(LIBVM_ENOMEM, "ELF loader: RAM table");
	pthread_rwlock_rdlock(&vm->mem_lock);
	/* Only RAM the host may write: not read-only file mappings. */
	for (i = 0; i < vm->nregions && n < LIBVM_MAX_REGIONS; i++)
		if (vm->regions[i].host_writable)
			ram[n++] = (struct lvm_ram_range){
				.gpa = vm->regions[i].gpa,
				.size = vm->regions[i].size,
			};
	r = lvm_elf_parse(&img, buf, len, flags, ram, n);
	for (i = 0; r == 0 && i < img->nsegs; i++) {
		const struct lvm_elf_seg *s = &img->segs[i];

		r = put(vm, ram, n, s->addr, (const uint8_t *)buf + s->offset,
			s->filesz);
		if (r == 0)
			r = put(vm, ram, n, s->addr + s->filesz, NULL,
				s->memsz - s->filesz);
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	free(ram);
	if (r < 0) {
		libvm_image_destroy(img);
		return r;
	}
	*out = img;
	return 0;
}

LIBVM_API int libvm_image_load_mem(libvm_image **out, libvm_vm *vm,
				   const void *buf, size_t len,
				   uint32_t flags)
{
	if (!out || !vm || (!buf && len))
		return lvm_err(LIBVM_EINVAL, "libvm_image_load_mem: NULL "
			       "argument");
	*out = NULL;
	return load(out, vm, buf, len, flags);
}

/* The whole file into a malloc'd buffer, at most LVM_ELF_MAX_FILE bytes. */
static int read_file(uint8_t **out, size_t *len, const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, r;

	fd = lvm_open_regular(path, "ELF image", &st);
	if (fd < 0)
		return fd;
	if ((uint64_t)st.st_size > LVM_ELF_MAX_FILE) {
		r = lvm_err(LIBVM_ELIMIT, "%s: %lld bytes, more than the ELF "
			    "loader's limit of %llu", path,
			    (long long)st.st_size, X(LVM_ELF_MAX_FILE));
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		r = lvm_err(LIBVM_ENOMEM, "%s: %lld bytes", path,
			    (long long)st.st_size);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = lvm_err_errno(LIBVM_EIO, errno, "read %s at "
					  "offset %#zx", path, got);
			goto out_free;
		}
		if (n == 0) {
			r = lvm_err(LIBVM_EIO, "read %s: the file shrank to "
				    "%#zx bytes while being read", path, got);
			goto out_free;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	close(fd);
	return 0;
out_free:
	free(buf);
out:
	close(fd);
	return r;
}

LIBVM_API int libvm_image_load_file(libvm_image **out, libvm_vm *vm,
				    const char *path, uint32_t flags)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (!out || !vm || !path)
		return lvm_err(LIBVM_EINVAL, "libvm_image_load_file: NULL "
			       "argument");
	*out = NULL;
	r = read_file(&buf, &len, path);
	if (r < 0)
		return r;
	r = load(out, vm, buf, len, flags);
	free(buf);
	return r;
}
