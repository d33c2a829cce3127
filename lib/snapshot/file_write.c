/* SPDX-License-Identifier: MIT */
/*
 * Writing snapshot files: a buffered writer with a sticky error (the
 * first failure is kept and every later write does nothing, as libgit2's
 * git_str does), one function per section, checked once at the end.
 */
#define _GNU_SOURCE
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct wr {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t len;		/* bytes in buf */
	uint64_t off;		/* file offset of buf[0] */
	int err;		/* the first failure; then nothing is written */
	/* the open section */
	uint64_t sec_at;	/* offset of its header */
	uint32_t sec_type, sec_flags, sec_crc;
	uint64_t sec_len;
};

static uint64_t wr_pos(const struct wr *w)
{
	return w->off + w->len;
}

/* Keep the first failure (its detail message is the one left). */
static void wr_fail(struct wr *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void wr_flush(struct wr *w)
{
	size_t done = 0;

	while (!w->err && done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			wr_fail(w, lvm_err_errno(LIBVM_EIO,
						 n < 0 ? errno : ENOSPC,
						 "snapshot file %s: write at "
						 "offset %llu", w->name,
						 (unsigned long long)(w->off +
								      done)));
		else
			done += (size_t)n;
	}
	w->off += w->len;
	w->len = 0;
}

static void wr_raw(struct wr *w, const void *p, uint64_t n)
{
	const uint8_t *b = p;

	while (n && !w->err) {
		size_t k = WR_BUF - w->len;

		if (k > n)
			k = (size_t)n;
		memcpy(w->buf + w->len, b, k);
		w->len += k;
		b += k;
		n -= k;
		if (w->len == WR_BUF)
			wr_flush(w);
	}
}

/* Bytes of the open section's payload. */
static void wr_put(struct wr *w, const void *p, uint64_t n)
{
	if (w->err)
		return;
	w->sec_crc = crc(w->sec_crc, p, n);
	w->sec_len += n;
	wr_raw(w, p, n);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	wr_put(w, b, 4);
}

static void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];

	put64(b, v);
	wr_put(w, b, 8);
}

static void sec_begin(struct wr *w, uint32_t type, uint32_t flags)
{
	static const uint8_t zero[SF_SEC_SIZE];

	w->sec_at = wr_pos(w);
	w->sec_type = type;
	w->sec_flags = flags;
	w->sec_crc = (uint32_t)crc32(0, NULL, 0);
	w->sec_len = 0;
	wr_raw(w, zero, sizeof(zero));	/* filled in by sec_end */
}

/* Close the open section; raw_len is its uncompressed payload length. */
static void sec_end(struct wr *w, uint64_t raw_len)
{
	uint8_t h[SF_SEC_SIZE];
	ssize_t n;

	if (w->err)
		return;
	put32(h, w->sec_type);
	put32(h + 4, w->sec_flags);
	put64(h + 8, w->sec_len);
	put64(h + 16, raw_len);
	put32(h + 24, w->sec_crc);
	put32(h + 28, crc(crc32(0, NULL, 0), h, 28));
	if (w->sec_at >= w->off) {	/* still in the buffer */
		memcpy(w->buf + (w->sec_at - w->off), h, sizeof(h));
		return;
	}
	wr_flush(w);
	if (w->err)
		return;
	do
		n = pwrite(w->fd, h, sizeof(h), (off_t)w->sec_at);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		wr_fail(w, lvm_err_errno(LIBVM_EIO, n < 0 ? errno : ENOSPC,
					 "snapshot file %s: write at offset "
					 "%llu", w->name,
					 (unsigned long long)w->sec_at));
}

static void save_header(struct wr *w)
{
	uint8_t h[SF_HDR_SIZE] = { 0 };

	memcpy(h, SF_MAGIC, 8);
	put32(h + 8, SF_VERSION);
	put32(h + 12, SF_ARCH_X86_64);
	memcpy(h + 16, libvm_version(), strnlen(libvm_version(), 15));
	put32(h + 32, libvm_version_num());
	put32(h + 36, 0);	/* flags */
	put32(h + 40, 0);	/* reserved */
	put32(h + 44, crc(crc32(0, NULL, 0), h, 44));
	wr_raw(w, h, sizeof(h));
}

static void save_vm(struct wr *w, const libvm_snapshot *s)
{
	const struct lvm_rt *rt = &s->rt;

	sec_begin(w, SEC_VM, 0);
	wr_u32(w, s->vm_flags);
	wr_u32(w, (uint32_t)s->kick_signal);
	wr_u32(w, s->nregions);
	wr_u32(w, s->nvcpus);
	wr_u32(w, s->ndevs);
	wr_u32(w, (s->has_irqchip ? VM_HAS_IRQCHIP : 0) |
		  (s->has_pit ? VM_HAS_PIT : 0));
	wr_u32(w, rt->active);
	wr_u32(w, rt->flags);
	wr_u64(w, rt->sys_gpa);
	wr_u64(w, rt->xcr0);
	wr_u64(w, rt->scratch_gpa);
	wr_u64(w, rt->scratch_size);
	wr_u64(w, rt->scratch_used);
	sec_end(w, w->sec_len);
}

static void save_vcpu(struct wr *w, const struct lvm_vcpu_state *v)
{
	const void *raw[9] = {
		&v->regs, &v->sregs, &v->fpu, &v->xcrs, &v->lapic,
		&v->events, &v->mp, &v->debug, &v->rt_sregs,
	};
	uint32_t i;

	sec_begin(w, SEC_VCPU, 0);
	wr_u32(w, v->id);
	wr_u32(w, v->xsave ? v->xsave_size : 0);
	wr_u32(w, v->nmsrs);
	wr_u32(w, (v->has_xcrs ? VF_XCRS : 0) | (v->has_lapic ? VF_LAPIC : 0) |
		  (v->rt_long ? VF_RT_LONG : 0) |
		  (v->rt_at_dispatch ? VF_RT_DISPATCH : 0));
	wr_u64(w, v->rt_stack);
	for (i = 0; i < ARRAY_SIZE(vcpu_sizes); i++)
		wr_u32(w, vcpu_sizes[i]);
	wr_u32(w, 0);
	for (i = 0; i < ARRAY_SIZE(raw); i++)
		wr_put(w, raw[i], vcpu_sizes[i]);
	if (v->xsave)
		wr_put(w, v->xsave, v->xsave_size);
	for (i = 0; i < v->nmsrs; i++) {
		wr_u32(w, v->msrs[i].index);
		wr_u32(w, 0);
		wr_u64(w, v->msrs[i].data);
	}
	sec_end(w, w->sec_len);
}

static void save_chips(struct wr *w, const libvm_snapshot *s)
{
	if (s->has_irqchip) {
		sec_begin(w, SEC_IRQCHIP, 0);
		wr_u32(w, 3);
		wr_u32(w, sizeof(s->chips[0]));
		wr_put(w, s->chips, sizeof(s->chips));
		sec_end(w, w->sec_len);
	}
	if (s->has_pit) {
		sec_begin(w, SEC_PIT, 0);
		wr_u32(w, sizeof(s->pit));
		wr_u32(w, 0);
		wr_put(w, &s->pit, sizeof(s->pit));
		sec_end(w, w->sec_len);
	}
}

static void save_dev(struct wr *w, const struct lvm_snap_dev *d)
{
	char name[32] = { 0 };

	memcpy(name, d->name, strnlen(d->name, sizeof(name) - 1));
	sec_begin(w, SEC_DEVICE, 0);
	wr_put(w, name, sizeof(name));
	wr_u32(w, d->len);
	wr_u32(w, 0);
	if (d->len)
		wr_put(w, d->data, d->len);
	sec_end(w, w->sec_len);
}

/*
 * Bitmap of the region's non-zero pages.  Holes of the memfd are zero, so
 * only its data extents (SEEK_DATA/SEEK_HOLE) are read.  Not mincore: a
 * swapped-out page is not resident but is not zero either.
 */
static int region_bitmap(uint64_t **out, uint64_t *nz,
			 const struct lvm_snap_region *sr)
{
	uint64_t p, *bm, pos = 0, d, h;
	int k = 1;

	*out = NULL;
	*nz = 0;
	bm = calloc(bitmap_words(sr->size) + 1, 8);
	if (!bm)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: bitmap of region "
			       "%#llx+%#llx", (unsigned long long)sr->gpa,
			       (unsigned long long)sr->size);
	while (k > 0) {
		k = lvm_next_extent(sr->memfd, pos, sr->size, &d, &h);
		if (!k)
			break;		/* no data after pos */
		if (k < 0) {		/* no extents: read the rest */
			d = pos;
			h = sr->size;
		}
		for (p = d / PAGE; p < h / PAGE; p++)
			if (!lvm_page_zero(sr->copy + p * PAGE)) {
				bm[p / 64] |= 1ull << (p % 64);
				++*nz;
			}
		pos = h;
	}
	*out = bm;
	return 0;
}

static void zlib_fail(struct wr *w, int zr, const z_stream *z)
{
	wr_fail(w, lvm_err(zr == Z_MEM_ERROR ? LIBVM_ENOMEM : LIBVM_EIO,
			   "snapshot file %s: deflate at offset %llu: %s (%d)",
			   w->name, (unsigned long long)wr_pos(w),
			   z->msg ? z->msg : "zlib error", zr));
}

/* Deflate from z into the open section until z is drained (or finished). */
static void deflate_some(struct wr *w, z_stream *z, uint8_t *out, int flush)
{
	int zr;

	do {
		z->next_out = out;
		z->avail_out = WR_BUF;
		zr = deflate(z, flush);
		if (zr == Z_STREAM_ERROR) {
			zlib_fail(w, zr, z);
			return;
		}
		wr_put(w, out, WR_BUF - z->avail_out);
	} while (!w->err && (z->avail_out == 0 ||
			     (flush == Z_FINISH && zr != Z_STREAM_END)));
}

static void save_memory(struct wr *w, const struct lvm_snap_region *sr,
			const uint64_t *bm, uint64_t nz)
{
	uint64_t pages = sr->size / PAGE, p = 0;
	z_stream z = { 0 };
	uint8_t *out;
	int zr;

	out = malloc(WR_BUF);
	if (!out) {
		wr_fail(w, lvm_err(LIBVM_ENOMEM, "snapshot file: deflate "
				   "buffer"));
		return;
	}
	zr = deflateInit(&z, Z_BEST_SPEED);
	if (zr != Z_OK) {
		zlib_fail(w, zr, &z);
		free(out);
		return;
	}
	sec_begin(w, SEC_MEMORY, SEC_F_ZLIB);
	while (!w->err && p < pages) {
		uint64_t run = 0;

		if (!(bm[p / 64] >> (p % 64) & 1)) {
			p++;
			continue;
		}
		while (p + run < pages &&
		       (bm[(p + run) / 64] >> ((p + run) % 64) & 1) &&
		       (run + 1) * PAGE <= Z_OUT_MAX)
			run++;
		z.next_in = (Bytef *)(uintptr_t)(sr->copy + p * PAGE);
		z.avail_in = (uInt)(run * PAGE);
		deflate_some(w, &z, out, Z_NO_FLUSH);
		p += run;
	}
	deflate_some(w, &z, out, Z_FINISH);
	sec_end(w, nz * PAGE);
	deflateEnd(&z);
	free(out);
}

static void save_region(struct wr *w, const struct lvm_snap_region *sr)
{
	uint64_t *bm, nz, i, words = bitmap_words(sr->size);
	int r;

	if (w->err)
		return;
	r = region_bitmap(&bm, &nz, sr);
	if (r < 0) {
		wr_fail(w, r);
		return;
	}
	sec_begin(w, SEC_REGION, 0);
	wr_u64(w, sr->gpa);
	wr_u64(w, sr->size);
	wr_u32(w, sr->flags);
	wr_u32(w, 0);
	wr_u64(w, nz);
	for (i = 0; i < words; i++)
		wr_u64(w, bm[i]);
	sec_end(w, w->sec_len);
	save_memory(w, sr, bm, nz);
	free(bm);
}

int lvm_snapshot_write(const libvm_snapshot *s, int fd, const char *name)
{
	struct wr w = { .fd = fd, .name = name };
	uint32_t i;

	w.buf = malloc(WR_BUF);
	if (!w.buf)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: write buffer");
	save_header(&w);
	save_vm(&w, s);
	for (i = 0; i < s->nvcpus; i++)
		save_vcpu(&w, &s->vcpus[i]);
	save_chips(&w, s);
	for (i = 0; i < s->ndevs; i++)
		save_dev(&w, &s->devs[i]);
	for (i = 0; i < s->nregions; i++)
		save_region(&w, &s->regions[i]);
	sec_begin(&w, SEC_END, 0);
	sec_end(&w, 0);
	wr_flush(&w);
	free(w.buf);
	return w.err;	/* the one check */
}

LIBVM_API int libvm_snapshot_save(libvm_snapshot *snap, const char *path)
{
	char *tmp;
	int fd, r;

	if (!snap || !path)
		return lvm_err(LIBVM_EINVAL, "libvm_snapshot_save: NULL "
			       "argument");
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return lvm_err(LIBVM_ENOMEM, "libvm_snapshot_save");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = lvm_err_errno(LIBVM_EIO, errno, "snapshot file: create %s",
				  tmp);
		free(tmp);
		return r;
	}
	r = lvm_snapshot_write(snap, fd, tmp);
	if (!r && fsync(fd) < 0)
		r = lvm_err_errno(LIBVM_EIO, errno, "snapshot file: fsync %s",
				  tmp);
	if (close(fd) < 0 && !r)
		r = lvm_err_errno(LIBVM_EIO, errno, "snapshot file: close %s",
				  tmp);
	if (!r && rename(tmp, path) < 0)
		r = lvm_err_errno(LIBVM_EIO, errno, "snapshot file: rename %s "
				  "to %s", tmp, path);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}
