/* SPDX-License-Identifier: MIT */
/*
 * A bzImage's kernel, unpacked on the host.  The protected-mode part of a
 * bzImage carries the kernel as a compressed ELF vmlinux (the setup
 * header's payload_offset and payload_length, boot protocol 2.08 and
 * later, xz or gzip); when that vmlinux has a PVH entry note the machine
 * boots it through PVH and the guest skips its own decompressor -- the
 * longest step of a boot where guest code runs slowly.  With a cache
 * directory the unpacked kernel is kept there, named by the bzImage's
 * size and FNV-1a hash, so later boots only read it.
 *
 * The header fields are checked against the file through one accessor;
 * the decompressors are zlib's and liblzma's, bounded by the size the
 * kernel build appends to the payload; the result is an ELF that
 * lib/boot checks in full before anything reaches guest RAM.
 */
#include "mach.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define HDR_SETUP_SECTS		0x1f1
#define HDR_BOOT_FLAG		0x1fe	/* 0xaa55 */
#define HDR_MAGIC		0x202	/* "HdrS" */
#define HDR_VERSION		0x206
#define HDR_PAYLOAD_OFFSET	0x248
#define HDR_PAYLOAD_LENGTH	0x24c
#define PAYLOAD_MIN_VERSION	0x208
#define UNPACKED_MAX		(1ull << 30)

/* n (<= 4) little-endian bytes at off, if they lie in the file. */
static bool rd(const uint8_t *p, uint64_t len, uint64_t off, unsigned n,
	       uint32_t *v)
{
	unsigned i;

	if (off > len || n > len - off)
		return false;
	for (*v = 0, i = 0; i < n; i++)
		*v |= (uint32_t)p[off + i] << (8 * i);
	return true;
}

/* Where the compressed vmlinux is; false if this is no such bzImage. */
static bool payload(const uint8_t *p, uint64_t len, uint64_t *off,
		    uint64_t *plen)
{
	uint32_t flag, magic, ver, sects, po, pl;
	uint64_t pm;

	if (!rd(p, len, HDR_BOOT_FLAG, 2, &flag) || flag != 0xaa55 ||
	    !rd(p, len, HDR_MAGIC, 4, &magic) || magic != 0x53726448 ||
	    !rd(p, len, HDR_VERSION, 2, &ver) || ver < PAYLOAD_MIN_VERSION ||
	    !rd(p, len, HDR_SETUP_SECTS, 1, &sects) ||
	    !rd(p, len, HDR_PAYLOAD_OFFSET, 4, &po) ||
	    !rd(p, len, HDR_PAYLOAD_LENGTH, 4, &pl))
		return false;
	pm = ((uint64_t)(sects ? sects : 4) + 1) * 512;
	if (pl < 8 || pm > len || po > len - pm || pl > len - pm - po)
		return false;
	*off = pm + po;
	*plen = pl;
	return true;
}

static int gunzip(const uint8_t *in, uint64_t len, uint8_t *out,
		  uint64_t cap)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (len > UINT32_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return r == Z_STREAM_END && z.total_out == cap ? 0 : -1;
}

static int unxz(const uint8_t *in, uint64_t len, uint8_t *out, uint64_t cap)
{
	lzma_stream z = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_stream_decoder(&z, UINT64_MAX, 0) != LZMA_OK)
		return -1;
	z.next_in = in;
	z.avail_in = (size_t)len;
	z.next_out = out;
	z.avail_out = (size_t)cap;
	r = lzma_code(&z, LZMA_FINISH);
	lzma_end(&z);
	return r == LZMA_STREAM_END && z.total_out == cap ? 0 : -1;
}

/* The vmlinux in a fresh buffer, or NULL (not ours to unpack). */
static uint8_t *decompress(const uint8_t *p, uint64_t off, uint64_t plen,
			   uint64_t *out_len)
{
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const uint8_t gz[] = { 0x1f, 0x8b };
	const uint8_t *in = p + off;
	uint32_t size;
	uint8_t *out;
	int r;

	/* The build appends the uncompressed size, 32-bit little endian. */
	rd(in, plen, plen - 4, 4, &size);
	if (size < 64 || size > UNPACKED_MAX)
		return NULL;
	out = malloc(size);
	if (!out)
		return NULL;
	if (plen > sizeof(xz) && !memcmp(in, xz, sizeof(xz)))
		r = unxz(in, plen - 4, out, size);
	else if (!memcmp(in, gz, sizeof(gz)))
		r = gunzip(in, plen - 4, out, size);
	else
		r = -1;
	if (r < 0) {
		free(out);
		return NULL;
	}
	*out_len = size;
	return out;
}

static uint64_t fnv1a(const uint8_t *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* A cached unpacked kernel, mapped; NULL when there is none. */
static uint8_t *cache_read(const char *path, uint64_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < 64 ||
	    (uint64_t)st.st_size > UNPACKED_MAX) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (uint64_t)st.st_size;
	return p;
}

/* Best effort: a failure only means the next boot unpacks again. */
static void cache_write(const char *path, const uint8_t *p, uint64_t len)
{
	char tmp[PATH_MAX + 8];
	uint64_t done = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	if (close(fd) < 0 || done != len || rename(tmp, path) < 0)
		unlink(tmp);
}

int lvm_mach_unpack(struct lvm_unpacked *u, const uint8_t *bz, uint64_t len,
		    const char *cache_dir)
{
	char path[PATH_MAX];
	uint64_t off, plen;
	uint32_t kind = LIBVM_KERNEL_UNKNOWN;
	bool fresh = false;

	memset(u, 0, sizeof(*u));
	if (!payload(bz, len, &off, &plen))
		return -1;
	if (cache_dir && snprintf(path, sizeof(path), "%s/vmlinux-%llx-%016llx",
				  cache_dir, (unsigned long long)len,
				  (unsigned long long)fnv1a(bz, len)) >=
			 (int)sizeof(path))
		cache_dir = NULL;
	if (cache_dir) {
		u->data = cache_read(path, &u->len);
		u->mapped = u->data != NULL;
	}
	if (!u->data) {
		u->data = decompress(bz, off, plen, &u->len);
		fresh = true;
	}
	if (!u->data || libvm_kernel_probe(u->data, u->len, &kind) < 0 ||
	    kind != LIBVM_KERNEL_PVH) {
		lvm_mach_unpacked_free(u);
		return -1;
	}
	if (fresh && cache_dir && (mkdir(cache_dir, 0755) == 0 ||
				   errno == EEXIST))
		cache_write(path, u->data, u->len);
	return 0;
}

void lvm_mach_unpacked_free(struct lvm_unpacked *u)
{
	if (!u->data)
		return;
	if (u->mapped)
		munmap(u->data, (size_t)u->len);
	else
		free(u->data);
	memset(u, 0, sizeof(*u));
}
