/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.x, 5.2) on a raw image file: one request queue;
 * read, write, flush (fdatasync before the status goes back), get-id.
 * Data moves with preadv/pwritev straight between the file and guest RAM
 * (libvm_virtq_map), no bounce buffer.  Read-only opens the file
 * O_RDONLY, offers VIRTIO_BLK_F_RO and answers writes with IOERR, so the
 * file cannot change.  Built on the public device API only.
 */
#include "vio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define VIRTIO_BLK_F_SEG_MAX	(1ull << 2)
#define VIRTIO_BLK_F_RO		(1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE	(1ull << 6)
#define VIRTIO_BLK_F_FLUSH	(1ull << 9)

#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8

#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define SECTOR		512u
#define ID_BYTES	20u
#define BATCH		64u	/* segments per preadv/pwritev */
/* Config space up to blk_size: capacity, size_max, seg_max, geometry. */
#define CFG_SIZE	24u

struct vblk {
	int fd;
	bool ro;
	uint64_t sectors;
	char serial[ID_BYTES];
};

struct blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* All of iov at off, or false (an error or the end of the file). */
static bool rw_all(int fd, struct iovec *iov, int n, uint64_t off,
		   bool write)
{
	while (n > 0) {
		ssize_t k = write ? pwritev(fd, iov, n, (off_t)off)
				  : preadv(fd, iov, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		off += (uint64_t)k;
		while (n > 0 && (size_t)k >= iov->iov_len) {
			k -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + k;
			iov->iov_len -= (size_t)k;
		}
	}
	return true;
}

/* Move len bytes of part between the chain and the file at off. */
static bool transfer(struct vblk *b, libvm_virtq_chain *c, uint32_t part,
		     uint64_t len, uint64_t off)
{
	libvm_virtq_seg segs[BATCH];
	struct iovec iov[BATCH];
	bool ok = true;

	while (len) {
		int n = libvm_virtq_map(c, part, len, segs, BATCH), i;
		uint64_t got = 0;

		if (n <= 0)
			return false;
		for (i = 0; i < n; i++) {
			iov[i].iov_base = segs[i].addr;
			iov[i].iov_len = segs[i].len;
			got += segs[i].len;
		}
		/* A part the guest writes is the file's data coming in. */
		if (ok)
			ok = rw_all(b->fd, iov, n, off,
				    part == LIBVM_VIRTQ_READABLE);
		off += got;
		len -= got;
	}
	return ok;
}

static bool in_range(const struct vblk *b, uint64_t sector, uint64_t len)
{
	return len % SECTOR == 0 && sector <= b->sectors &&
	       len / SECTOR <= b->sectors - sector;
}

static uint8_t do_io(struct vblk *b, libvm_virtq_chain *c,
		     const struct blk_req *h, uint64_t wlen)
{
	uint64_t len;

	switch (h->type) {
	case VIRTIO_BLK_T_IN:
		len = wlen - 1;
		if (!in_range(b, h->sector, len))
			return VIRTIO_BLK_S_IOERR;
		return transfer(b, c, LIBVM_VIRTQ_WRITABLE, len,
				h->sector * SECTOR) ? VIRTIO_BLK_S_OK
						    : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_OUT:
		len = libvm_virtq_len(c, LIBVM_VIRTQ_READABLE) -
		      sizeof(*h);
		if (b->ro || !in_range(b, h->sector, len))
			return VIRTIO_BLK_S_IOERR;
		return transfer(b, c, LIBVM_VIRTQ_READABLE, len,
				h->sector * SECTOR) ? VIRTIO_BLK_S_OK
						    : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_FLUSH:
		return b->ro || !fdatasync(b->fd) ? VIRTIO_BLK_S_OK
						  : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_GET_ID:
		len = wlen - 1 < ID_BYTES ? wlen - 1 : ID_BYTES;
		libvm_virtq_write(c, b->serial, len);
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static void do_req(struct vblk *b, libvm_virtio_dev *dev,
		   libvm_virtq_chain *c)
{
	uint64_t wlen = libvm_virtq_len(c, LIBVM_VIRTQ_WRITABLE);
	struct blk_req h;
	uint8_t status = VIRTIO_BLK_S_IOERR;

	/* Without a header or a status byte there is nothing to answer. */
	if (wlen && libvm_virtq_read(c, &h, sizeof(h)) == sizeof(h))
		status = do_io(b, c, &h, wlen);
	if (wlen) {	/* the status byte: the writable part's last */
		libvm_virtq_seek(c, LIBVM_VIRTQ_WRITABLE, wlen - 1);
		libvm_virtq_write(c, &status, 1);
	}
	libvm_virtio_push(dev, c);
}

static void blk_event(libvm_virtio_dev *dev, uint32_t event, uint32_t arg,
		      void *opaque)
{
	libvm_virtq_chain *c;

	if (event != LIBVM_VIRTIO_EV_QUEUE || arg != 0)
		return;
	while (libvm_virtio_pop(&c, dev, 0) == 1)
		do_req(opaque, dev, c);
}

static void blk_free(void *opaque)
{
	struct vblk *b = opaque;

	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		*p++ = (uint8_t)v;
		v >>= 8;
	}
}

static int blk_open(struct vblk *b, const libvm_virtio_blk_config *cfg)
{
	const char *name = cfg->serial;
	off_t end;

	b->ro = cfg->flags & LIBVM_VIRTIO_BLK_READONLY;
	b->fd = open(cfg->path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "virtio-blk: open %s",
				     cfg->path);
	end = lseek(b->fd, 0, SEEK_END);
	if (end < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "virtio-blk: size of %s",
				     cfg->path);
	b->sectors = (uint64_t)end / SECTOR;
	if (!name) {
		name = strrchr(cfg->path, '/');
		name = name ? name + 1 : cfg->path;
	}
	/* NUL-padded; all 20 bytes when the name is that long */
	memcpy(b->serial, name, strnlen(name, ID_BYTES));
	return 0;
}

LVM_VERSIONED(blk_config_type, libvm_virtio_blk_config,
	      LIBVM_VIRTIO_BLK_CONFIG_VERSION, LIBVM_VIRTIO_BLK_CONFIG_INIT);

static int check_blk(const libvm_virtio_blk_config *cfg)
{
	if (!cfg->path || (cfg->flags & ~LIBVM_VIRTIO_BLK_READONLY) ||
	    (cfg->serial && strlen(cfg->serial) > ID_BYTES) ||
	    cfg->queue_size == 1 || cfg->queue_size == 2)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_blk_config: path "
			       "%s, flags %#x, serial of more than %u bytes "
			       "or a queue of %u", cfg->path ? "set" : "NULL",
			       cfg->flags, ID_BYTES, cfg->queue_size);
	return 0;
}

LIBVM_API int libvm_virtio_blk_create(libvm_virtio_dev **out, libvm_vm *vm,
				      const libvm_virtio_blk_config *cfg)
{
	libvm_virtio_config vc = LIBVM_VIRTIO_CONFIG_INIT;
	uint8_t space[CFG_SIZE] = { 0 };
	libvm_virtio_blk_config c;
	struct vblk *b;
	int r = lvm_versioned_in(&blk_config_type, &c, cfg);

	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_blk_create: NULL "
			       "config");
	if (r == 0)
		r = check_blk(&c);
	if (r < 0)
		return r;
	cfg = &c;
	b = calloc(1, sizeof(*b));
	if (!b)
		return lvm_err(LIBVM_ENOMEM, "virtio-blk");
	r = blk_open(b, cfg);
	if (r < 0) {
		blk_free(b);
		return r;
	}
	vc.device_id = LIBVM_VIRTIO_ID_BLOCK;
	vc.queue_size = cfg->queue_size ? cfg->queue_size : 256;
	vc.features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE |
		      VIRTIO_BLK_F_FLUSH | (b->ro ? VIRTIO_BLK_F_RO : 0);
	put_le(space, b->sectors, 8);
	put_le(space + 12, vc.queue_size - 2, 4);	/* seg_max */
	put_le(space + 20, SECTOR, 4);			/* blk_size */
	vc.config = space;
	vc.config_size = CFG_SIZE;
	vc.mmio_base = cfg->mmio_base;
	vc.gsi = cfg->gsi;
	vc.event = blk_event;
	vc.opaque = b;
	return vio_create(out, vm, &vc, blk_free);
}

LIBVM_API int libvm_virtio_blk_config_init(libvm_virtio_blk_config *cfg,
					   uint32_t version)
{
	return lvm_versioned_init(&blk_config_type, cfg, version);
}
