/* SPDX-License-Identifier: MIT */
/*
 * libvm_image_load_*: read the image, check all of it (elf.c) against the
 * VM's RAM, and only then write the segments.  mem_lock is held as reader
 * from the check to the last byte written, so no region can go away or
 * appear in between.  From a file, only the headers and then the accepted
 * segments' bytes are read (fetch.c).
 */
#include "../internal.h"
#include "elfimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define X(v) ((unsigned long long)(v))

/* Where libvm_image_load_file's bytes come from (NULL: all in buf). */
struct file_src {
	int fd;
	const char *path;
	uint8_t *buf;		/* the image's buffer, filled part by part */
};

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

static int file_pread(void *ctx, void *dst, uint64_t off, uint64_t n)
{
	const struct file_src *fs = ctx;
	uint8_t *d = dst;

	while (n) {
		ssize_t k = pread(fs->fd, d, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return lvm_err_errno(LIBVM_EIO, errno, "ELF image %s: "
					     "read at offset %#llx", fs->path,
					     X(off));
		if (k == 0)
			return lvm_err(LIBVM_EIO, "ELF image %s: the file "
				       "shrank below offset %#llx while being "
				       "read", fs->path, X(off));
		d += k;
		off += (uint64_t)k;
		n -= (uint64_t)k;
	}
	return 0;
}

static int load(libvm_image **out, libvm_vm *vm, const void *buf,
		size_t len, uint32_t flags, struct file_src *fs)
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
	if (r == 0 && fs)
		r = lvm_elf_fetch_segments(fs->buf, len, img, file_pread, fs);
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
	return load(out, vm, buf, len, flags, NULL);
}

LIBVM_API int libvm_image_load_file(libvm_image **out, libvm_vm *vm,
				    const char *path, uint32_t flags)
{
	struct file_src fs = { -1, path, NULL };
	struct stat st;
	size_t len;
	int r;

	if (!out || !vm || !path)
		return lvm_err(LIBVM_EINVAL, "libvm_image_load_file: NULL "
			       "argument");
	*out = NULL;
	fs.fd = lvm_open_regular(path, "ELF image", &st);
	if (fs.fd < 0)
		return fs.fd;
	if ((uint64_t)st.st_size > LVM_ELF_MAX_FILE) {
		r = lvm_err(LIBVM_ELIMIT, "ELF image %s: %lld bytes, more than "
			    "the loader's limit of %llu", path,
			    (long long)st.st_size, X(LVM_ELF_MAX_FILE));
		goto out;
	}
	/*
	 * A buffer of the file's size that costs only the pages fetched
	 * into it (fetch.c): the rest of the file is never read.
	 */
	len = (size_t)st.st_size;
	fs.buf = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fs.buf == MAP_FAILED) {
		fs.buf = NULL;
		r = lvm_err_errno(LIBVM_ENOMEM, errno, "ELF image %s: %zu "
				  "bytes of address space", path, len);
		goto out;
	}
	r = lvm_elf_fetch_headers(fs.buf, len, file_pread, &fs);
	if (r == 0)
		r = load(out, vm, fs.buf, len, flags, &fs);
	munmap(fs.buf, len ? len : 1);
out:
	close(fs.fd);
	return r;
}
