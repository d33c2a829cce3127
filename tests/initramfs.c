/* SPDX-License-Identifier: MIT */
/* The Linux tests' initramfs: see initramfs.h. */
#include "initramfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define S_DIR	0040755
#define S_EXE	0100755
#define S_CHR	0020600

static const char init_script[] =
	INITRAMFS_PROLOGUE
	"[ -e /dev/port ] || mknod /dev/port c 1 4\n"
	"port() { printf \"\\\\$(printf %o $2)\" |"
	" dd of=/dev/port bs=1 seek=$1 count=1 2>/dev/null; }\n"
	"port 246 1\n"
	"echo LIBVM-INIT\n"
	"echo \"uname: $(uname -r)\"\n"
	"echo \"cpus: $(grep -c ^processor /proc/cpuinfo)\"\n"
	"echo \"date: $(date -u +%s)\"\n"
	"case \"$libvm_test\" in\n"
	"exit) port 244 0 ;;\n"
	"shell) echo LIBVM-SHELL; setsid cttyhack sh -i ;;\n"
	"esac\n"
	"poweroff -f\n";

/* A growing buffer with a sticky error. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const void *src, size_t n)
{
	if (b->err || !n)	/* memcpy wants real pointers, even for 0 */
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1 << 20;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void pad4(struct buf *b)
{
	static const uint8_t zero[3];

	put(b, zero, (4 - b->len % 4) % 4);
}

/* One cpio newc entry: 110-byte ASCII header, name, data, 4-aligned. */
static void entry(struct buf *b, const char *name, uint32_t mode,
		  const void *data, size_t len, uint32_t rmaj, uint32_t rmin)
{
	static uint32_t ino = 1;
	char hdr[111];

	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X"
		 "%08X%08X%08X%08X%08X%08X", ino++, mode, 0, 0,
		 (mode & 0170000) == 0040000 ? 2 : 1, 0, (uint32_t)len, 0, 0,
		 rmaj, rmin, (uint32_t)strlen(name) + 1, 0);
	put(b, hdr, 110);
	put(b, name, strlen(name) + 1);
	pad4(b);
	put(b, data, len);
	pad4(b);
}

static int read_all(const char *path, struct buf *out)
{
	uint8_t chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		put(out, chunk, (size_t)n);
	close(fd);
	return n < 0 || out->err ? -1 : 0;
}

static int gzip_to(int fd, const uint8_t *p, size_t len)
{
	uint8_t out[65536];
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (uint8_t *)(uintptr_t)p;
	z.avail_in = (uInt)len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = deflate(&z, Z_FINISH);
		if (r == Z_STREAM_ERROR ||
		    write(fd, out, sizeof(out) - z.avail_out) !=
			    (ssize_t)(sizeof(out) - z.avail_out)) {
			deflateEnd(&z);
			return -1;
		}
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
	return 0;
}

int initramfs_build(char *path, size_t cap, char *why, size_t whycap)
{
	return initramfs_build_ex(path, cap, why, whycap, NULL, 0, NULL);
}

int initramfs_build_ex(char *path, size_t cap, char *why, size_t whycap,
		       const struct initramfs_file *files, size_t nfiles,
		       const char *init)
{
	static const char *const dirs[] = { "bin", "dev", "proc", "sys",
					    "tmp" };
	struct buf bb = { 0 }, cpio = { 0 };
	const char *tmp = getenv("TMPDIR");
	unsigned i;
	int fd, r = -1;

	if (read_all(INITRAMFS_BUSYBOX, &bb) < 0) {
		snprintf(why, whycap, "cannot read %s (install busybox-static)",
			 INITRAMFS_BUSYBOX);
		goto out;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		entry(&cpio, dirs[i], S_DIR, NULL, 0, 0, 0);
	entry(&cpio, "dev/console", S_CHR, NULL, 0, 5, 1);
	entry(&cpio, "bin/busybox", S_EXE, bb.p, bb.len, 0, 0);
	if (!init)
		init = init_script;
	entry(&cpio, "init", S_EXE, init, strlen(init), 0, 0);
	for (i = 0; i < nfiles; i++)
		entry(&cpio, files[i].name, files[i].mode, files[i].data,
		      files[i].len, 0, 0);
	entry(&cpio, "TRAILER!!!", 0, NULL, 0, 0, 0);
	if (cpio.err) {
		snprintf(why, whycap, "out of memory");
		goto out;
	}
	snprintf(path, cap, "%s/libvm-initramfs-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(why, whycap, "mkstemp %s: %s", path, strerror(errno));
		goto out;
	}
	r = gzip_to(fd, cpio.p, cpio.len);
	if (close(fd) < 0 || r < 0) {
		snprintf(why, whycap, "writing %s failed", path);
		unlink(path);
		r = -1;
	}
out:
	free(bb.p);
	free(cpio.p);
	return r;
}
