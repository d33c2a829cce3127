/* SPDX-License-Identifier: MIT */
/*
 * Snapshot files: libvm_snapshot_save and libvm_snapshot_load.
 *
 * The format is described in ABI.md ("Snapshot file format"); keep the two
 * in sync.  In short: a 48-byte header, then sections, each a 32-byte
 * header {type, flags, disk length, raw length, CRC-32 of the payload,
 * CRC-32 of the header} and its payload: VM, VCPU per vCPU, IRQCHIP, PIT,
 * DEVICE per device, REGION + MEMORY per region, END.  Integers are
 * little-endian; the KVM structs are written as their raw x86-64 bytes
 * with their sizes recorded.  Memory is a bitmap of non-zero pages (in
 * REGION) and a zlib stream of those pages (MEMORY).
 *
 * Both directions stream: memory goes through deflate/inflate in fixed
 * chunks, never the whole of it in one buffer.  The loader reads through
 * rd_get (file bytes, bounded by the file size) and cur_get (bytes of a
 * section payload already CRC-checked); nothing else touches file data.
 */
#define _GNU_SOURCE
#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PAGE LIBVM_PAGE_SIZE

#define SF_MAGIC "LIBVMSNP"
#define SF_VERSION 1
#define SF_ARCH_X86_64 1
#define SF_HDR_SIZE 48
#define SF_SEC_SIZE 32

enum {
	SEC_VM = 1,
	SEC_VCPU = 2,
	SEC_IRQCHIP = 3,
	SEC_PIT = 4,
	SEC_DEVICE = 5,
	SEC_REGION = 6,
	SEC_MEMORY = 7,
	SEC_END = 8,
};

#define SEC_F_ZLIB 1u		/* payload is a zlib stream */

/* VCPU flags */
#define VF_XCRS		(1u << 0)
#define VF_LAPIC	(1u << 1)
#define VF_RT_LONG	(1u << 2)
#define VF_RT_DISPATCH	(1u << 3)
/* VM "has" bits */
#define VM_HAS_IRQCHIP	(1u << 0)
#define VM_HAS_PIT	(1u << 1)

/* Limits a loaded file must respect. */
#define MAX_REGION_SIZE (1ull << 40)
#define MAX_VCPUS 1024u
/*
 * x86 KVM's KVM_MAX_VCPUS: no KVM_CAP_MAX_VCPUS is larger, and
 * libvm_vcpu_create takes ids below it.
 */
#define MAX_VCPU_ID 1024u
#define MAX_DEVS 1024u
#define MAX_DEV_LEN (64u << 20)
#define MAX_XSAVE (64u << 10)
#define MAX_MSRS 4096u

#define VM_PAYLOAD 72
#define VCPU_FIXED 64
#define REGION_FIXED 32
#define DEVICE_FIXED 40

#define WR_BUF (256u << 10)	/* writer buffer and deflate output */
#define RD_BUF (64u << 10)	/* reader buffer */
#define Z_IN_CHUNK (256u << 10)	/* compressed bytes fed to inflate at once */
#define Z_OUT_MAX (1u << 30)	/* most bytes given to zlib in one call */

static const char *sec_name(uint32_t type)
{
	static const char *const names[] = {
		[SEC_VM] = "VM", [SEC_VCPU] = "VCPU",
		[SEC_IRQCHIP] = "IRQCHIP", [SEC_PIT] = "PIT",
		[SEC_DEVICE] = "DEVICE", [SEC_REGION] = "REGION",
		[SEC_MEMORY] = "MEMORY", [SEC_END] = "END",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type]
						       : "unknown";
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t crc(uint32_t c, const void *p, uint64_t n)
{
	const uint8_t *b = p;

	while (n) {
		uInt k = n > Z_OUT_MAX ? Z_OUT_MAX : (uInt)n;

		c = (uint32_t)crc32(c, b, k);
		b += k;
		n -= k;
	}
	return c;
}

static uint64_t bitmap_words(uint64_t size)
{
	return (size / PAGE + 63) / 64;
}

/* ---- writing --------------------------------------------------------- */

struct wr {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t len;		/* bytes in buf */
	uint64_t off;		/* file offset of buf[0] */
	/* the open section */
	uint64_t sec_at;	/* offset of its header */
	uint32_t sec_type, sec_flags, sec_crc;
	uint64_t sec_len;
};

static uint64_t wr_pos(const struct wr *w)
{
	return w->off + w->len;
}

static int wr_flush(struct wr *w)
{
	size_t done = 0;

	while (done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return lvm_err_errno(LIBVM_EIO, n < 0 ? errno : ENOSPC,
					     "snapshot file %s: write at offset "
					     "%llu", w->name,
					     (unsigned long long)(w->off + done));
		done += (size_t)n;
	}
	w->off += w->len;
	w->len = 0;
	return 0;
}

static int wr_raw(struct wr *w, const void *p, uint64_t n)
{
	const uint8_t *b = p;
	int r;

	while (n) {
		size_t k = WR_BUF - w->len;

		if (k > n)
			k = (size_t)n;
		memcpy(w->buf + w->len, b, k);
		w->len += k;
		b += k;
		n -= k;
		if (w->len == WR_BUF) {
			r = wr_flush(w);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Bytes of the open section's payload. */
static int wr_put(struct wr *w, const void *p, uint64_t n)
{
	w->sec_crc = crc(w->sec_crc, p, n);
	w->sec_len += n;
	return wr_raw(w, p, n);
}

static int wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	return wr_put(w, b, 4);
}

static int wr_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];

	put64(b, v);
	return wr_put(w, b, 8);
}

static int sec_begin(struct wr *w, uint32_t type, uint32_t flags)
{
	static const uint8_t zero[SF_SEC_SIZE];

	w->sec_at = wr_pos(w);
	w->sec_type = type;
	w->sec_flags = flags;
	w->sec_crc = (uint32_t)crc32(0, NULL, 0);
	w->sec_len = 0;
	return wr_raw(w, zero, sizeof(zero));	/* filled in by sec_end */
}

/* Close the open section; raw_len is its uncompressed payload length. */
static int sec_end(struct wr *w, uint64_t raw_len)
{
	uint8_t h[SF_SEC_SIZE];
	ssize_t n;
	int r;

	put32(h, w->sec_type);
	put32(h + 4, w->sec_flags);
	put64(h + 8, w->sec_len);
	put64(h + 16, raw_len);
	put32(h + 24, w->sec_crc);
	put32(h + 28, crc(crc32(0, NULL, 0), h, 28));
	if (w->sec_at >= w->off) {	/* still in the buffer */
		memcpy(w->buf + (w->sec_at - w->off), h, sizeof(h));
		return 0;
	}
	r = wr_flush(w);
	if (r < 0)
		return r;
	do
		n = pwrite(w->fd, h, sizeof(h), (off_t)w->sec_at);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		return lvm_err_errno(LIBVM_EIO, n < 0 ? errno : ENOSPC,
				     "snapshot file %s: write at offset %llu",
				     w->name, (unsigned long long)w->sec_at);
	return 0;
}

static int save_header(struct wr *w)
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
	return wr_raw(w, h, sizeof(h));
}

static int save_vm(struct wr *w, const libvm_snapshot *s)
{
	const struct lvm_rt *rt = &s->rt;
	int r;

	r = sec_begin(w, SEC_VM, 0);
	if (!r)
		r = wr_u32(w, s->vm_flags);
	if (!r)
		r = wr_u32(w, (uint32_t)s->kick_signal);
	if (!r)
		r = wr_u32(w, s->nregions);
	if (!r)
		r = wr_u32(w, s->nvcpus);
	if (!r)
		r = wr_u32(w, s->ndevs);
	if (!r)
		r = wr_u32(w, (s->has_irqchip ? VM_HAS_IRQCHIP : 0) |
			      (s->has_pit ? VM_HAS_PIT : 0));
	if (!r)
		r = wr_u32(w, rt->active);
	if (!r)
		r = wr_u32(w, rt->flags);
	if (!r)
		r = wr_u64(w, rt->sys_gpa);
	if (!r)
		r = wr_u64(w, rt->xcr0);
	if (!r)
		r = wr_u64(w, rt->scratch_gpa);
	if (!r)
		r = wr_u64(w, rt->scratch_size);
	if (!r)
		r = wr_u64(w, rt->scratch_used);
	return r ? r : sec_end(w, w->sec_len);
}

/* Sizes of the raw structs of a VCPU section, in the order written. */
static const uint32_t vcpu_sizes[9] = {
	sizeof(struct kvm_regs), sizeof(struct kvm_sregs),
	sizeof(struct kvm_fpu), sizeof(struct kvm_xcrs),
	sizeof(struct kvm_lapic_state), sizeof(struct kvm_vcpu_events),
	sizeof(struct kvm_mp_state), sizeof(struct kvm_debugregs),
	sizeof(libvm_sregs),
};

static uint64_t vcpu_raw_size(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(vcpu_sizes); i++)
		n += vcpu_sizes[i];
	return n;
}

static int save_vcpu(struct wr *w, const struct lvm_vcpu_state *v)
{
	const void *raw[9] = {
		&v->regs, &v->sregs, &v->fpu, &v->xcrs, &v->lapic,
		&v->events, &v->mp, &v->debug, &v->rt_sregs,
	};
	uint32_t i;
	int r;

	r = sec_begin(w, SEC_VCPU, 0);
	if (!r)
		r = wr_u32(w, v->id);
	if (!r)
		r = wr_u32(w, v->xsave ? v->xsave_size : 0);
	if (!r)
		r = wr_u32(w, v->nmsrs);
	if (!r)
		r = wr_u32(w, (v->has_xcrs ? VF_XCRS : 0) |
			      (v->has_lapic ? VF_LAPIC : 0) |
			      (v->rt_long ? VF_RT_LONG : 0) |
			      (v->rt_at_dispatch ? VF_RT_DISPATCH : 0));
	if (!r)
		r = wr_u64(w, v->rt_stack);
	for (i = 0; i < ARRAY_SIZE(vcpu_sizes) && !r; i++)
		r = wr_u32(w, vcpu_sizes[i]);
	if (!r)
		r = wr_u32(w, 0);
	for (i = 0; i < ARRAY_SIZE(raw) && !r; i++)
		r = wr_put(w, raw[i], vcpu_sizes[i]);
	if (!r && v->xsave)
		r = wr_put(w, v->xsave, v->xsave_size);
	for (i = 0; i < v->nmsrs && !r; i++) {
		r = wr_u32(w, v->msrs[i].index);
		if (!r)
			r = wr_u32(w, 0);
		if (!r)
			r = wr_u64(w, v->msrs[i].data);
	}
	return r ? r : sec_end(w, w->sec_len);
}

static int save_chips(struct wr *w, const libvm_snapshot *s)
{
	int r;

	if (s->has_irqchip) {
		r = sec_begin(w, SEC_IRQCHIP, 0);
		if (!r)
			r = wr_u32(w, 3);
		if (!r)
			r = wr_u32(w, sizeof(s->chips[0]));
		if (!r)
			r = wr_put(w, s->chips, sizeof(s->chips));
		if (!r)
			r = sec_end(w, w->sec_len);
		if (r < 0)
			return r;
	}
	if (s->has_pit) {
		r = sec_begin(w, SEC_PIT, 0);
		if (!r)
			r = wr_u32(w, sizeof(s->pit));
		if (!r)
			r = wr_u32(w, 0);
		if (!r)
			r = wr_put(w, &s->pit, sizeof(s->pit));
		if (!r)
			r = sec_end(w, w->sec_len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int save_dev(struct wr *w, const struct lvm_snap_dev *d)
{
	char name[32] = { 0 };
	int r;

	memcpy(name, d->name, strnlen(d->name, sizeof(name) - 1));
	r = sec_begin(w, SEC_DEVICE, 0);
	if (!r)
		r = wr_put(w, name, sizeof(name));
	if (!r)
		r = wr_u32(w, d->len);
	if (!r)
		r = wr_u32(w, 0);
	if (!r && d->len)
		r = wr_put(w, d->data, d->len);
	return r ? r : sec_end(w, w->sec_len);
}

static bool page_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)(const void *)p;

	for (size_t i = 0; i < PAGE / 8; i++)
		if (q[i])
			return false;
	return true;
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
			if (!page_zero(sr->copy + p * PAGE)) {
				bm[p / 64] |= 1ull << (p % 64);
				++*nz;
			}
		pos = h;
	}
	*out = bm;
	return 0;
}

static int zlib_err(struct wr *w, int zr, const z_stream *z)
{
	return lvm_err(zr == Z_MEM_ERROR ? LIBVM_ENOMEM : LIBVM_EIO,
		       "snapshot file %s: deflate at offset %llu: %s (%d)",
		       w->name, (unsigned long long)wr_pos(w),
		       z->msg ? z->msg : "zlib error", zr);
}

/* Deflate from z into the open section until z is drained (or finished). */
static int deflate_some(struct wr *w, z_stream *z, uint8_t *out, int flush)
{
	int zr, r;

	do {
		z->next_out = out;
		z->avail_out = WR_BUF;
		zr = deflate(z, flush);
		if (zr == Z_STREAM_ERROR)
			return zlib_err(w, zr, z);
		r = wr_put(w, out, WR_BUF - z->avail_out);
		if (r < 0)
			return r;
	} while (z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

static int save_memory(struct wr *w, const struct lvm_snap_region *sr,
		       const uint64_t *bm, uint64_t nz)
{
	uint64_t pages = sr->size / PAGE, p = 0;
	z_stream z = { 0 };
	uint8_t *out;
	int r, zr;

	out = malloc(WR_BUF);
	if (!out)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: deflate buffer");
	zr = deflateInit(&z, Z_BEST_SPEED);
	if (zr != Z_OK) {
		free(out);
		return zlib_err(w, zr, &z);
	}
	r = sec_begin(w, SEC_MEMORY, SEC_F_ZLIB);
	while (!r && p < pages) {
		uint64_t run = 0;

		if (!(bm[p / 64] >> (p % 64) & 1)) {
			p++;
			continue;
		}
		while (p + run < pages && (bm[(p + run) / 64] >> ((p + run) % 64) & 1) &&
		       (run + 1) * PAGE <= Z_OUT_MAX)
			run++;
		z.next_in = (Bytef *)(uintptr_t)(sr->copy + p * PAGE);
		z.avail_in = (uInt)(run * PAGE);
		r = deflate_some(w, &z, out, Z_NO_FLUSH);
		p += run;
	}
	if (!r)
		r = deflate_some(w, &z, out, Z_FINISH);
	if (!r)
		r = sec_end(w, nz * PAGE);
	deflateEnd(&z);
	free(out);
	return r;
}

static int save_region(struct wr *w, const struct lvm_snap_region *sr)
{
	uint64_t *bm, nz, i, words = bitmap_words(sr->size);
	int r;

	r = region_bitmap(&bm, &nz, sr);
	if (r < 0)
		return r;
	r = sec_begin(w, SEC_REGION, 0);
	if (!r)
		r = wr_u64(w, sr->gpa);
	if (!r)
		r = wr_u64(w, sr->size);
	if (!r)
		r = wr_u32(w, sr->flags);
	if (!r)
		r = wr_u32(w, 0);
	if (!r)
		r = wr_u64(w, nz);
	for (i = 0; i < words && !r; i++)
		r = wr_u64(w, bm[i]);
	if (!r)
		r = sec_end(w, w->sec_len);
	if (!r)
		r = save_memory(w, sr, bm, nz);
	free(bm);
	return r;
}

int lvm_snapshot_write(const libvm_snapshot *s, int fd, const char *name)
{
	struct wr w = { .fd = fd, .name = name };
	uint32_t i;
	int r;

	w.buf = malloc(WR_BUF);
	if (!w.buf)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: write buffer");
	r = save_header(&w);
	if (!r)
		r = save_vm(&w, s);
	for (i = 0; i < s->nvcpus && !r; i++)
		r = save_vcpu(&w, &s->vcpus[i]);
	if (!r)
		r = save_chips(&w, s);
	for (i = 0; i < s->ndevs && !r; i++)
		r = save_dev(&w, &s->devs[i]);
	for (i = 0; i < s->nregions && !r; i++)
		r = save_region(&w, &s->regions[i]);
	if (!r)
		r = sec_begin(&w, SEC_END, 0);
	if (!r)
		r = sec_end(&w, 0);
	if (!r)
		r = wr_flush(&w);
	free(w.buf);
	return r;
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

/* ---- reading ---------------------------------------------------------- */

struct rd {
	FILE *f;
	uint64_t size;		/* of the file */
	uint64_t off;		/* offset of the next byte to hand out */
	uint8_t *buf;
	size_t pos, len;	/* buf[pos..len) is unread */
};

/*
 * The accessor for file bytes: n bytes at the current offset, or a
 * "truncated" error naming what was being read and where.
 */
static int rd_get(struct rd *r, void *dst, uint64_t n, const char *what)
{
	uint8_t *d = dst;

	if (n > r->size - r->off)
		return lvm_err(LIBVM_EIMAGE, "snapshot file truncated: %s at "
			       "offset %llu needs %llu bytes, the file has "
			       "%llu", what, (unsigned long long)r->off,
			       (unsigned long long)n,
			       (unsigned long long)r->size);
	while (n) {
		size_t k;

		if (r->pos == r->len) {
			r->pos = 0;
			r->len = fread(r->buf, 1, RD_BUF, r->f);
			if (!r->len)
				return ferror(r->f)
					? lvm_err_errno(LIBVM_EIO, errno,
							"snapshot file: read at "
							"offset %llu",
							(unsigned long long)r->off)
					: lvm_err(LIBVM_EIMAGE, "snapshot file "
						  "truncated: %s at offset %llu "
						  "(the file shrank)", what,
						  (unsigned long long)r->off);
		}
		k = r->len - r->pos;
		if (k > n)
			k = (size_t)n;
		memcpy(d, r->buf + r->pos, k);
		r->pos += k;
		r->off += k;
		d += k;
		n -= k;
	}
	return 0;
}

/*
 * The accessor for payload bytes (already read and CRC-checked): n bytes
 * at the cursor, or false.  Lengths are checked against the expected
 * layout before parsing, so false means a broken promise of the caller.
 */
struct cur {
	const uint8_t *p;
	uint64_t len, pos;
};

static bool cur_get(struct cur *c, void *dst, uint64_t n)
{
	if (n > c->len - c->pos)
		return false;
	memcpy(dst, c->p + c->pos, n);
	c->pos += n;
	return true;
}

static uint32_t cur_u32(struct cur *c)
{
	uint8_t b[4] = { 0 };

	cur_get(c, b, 4);
	return get32(b);
}

static uint64_t cur_u64(struct cur *c)
{
	uint8_t b[8] = { 0 };

	cur_get(c, b, 8);
	return get64(b);
}

struct sec {
	uint64_t at;		/* file offset of the section header */
	uint32_t type, flags, crc;
	uint64_t disk_len, raw_len;
};

static int bad(const struct sec *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));

/* An EIMAGE naming the section and its offset. */
static int bad(const struct sec *s, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return lvm_err(LIBVM_EIMAGE, "snapshot file: %s section at offset "
		       "%llu: %s", sec_name(s->type),
		       (unsigned long long)s->at, why);
}

/* Read the next section header, which must be of type want. */
static int rd_sec(struct rd *r, struct sec *s, uint32_t want)
{
	uint8_t h[SF_SEC_SIZE];
	int ret;

	memset(s, 0, sizeof(*s));
	s->at = r->off;
	s->type = want;
	ret = rd_get(r, h, sizeof(h), "section header");
	if (ret < 0)
		return ret;
	if (get32(h + 28) != crc(crc32(0, NULL, 0), h, 28))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: section header at "
			       "offset %llu: CRC mismatch",
			       (unsigned long long)s->at);
	s->type = get32(h);
	s->flags = get32(h + 4);
	s->disk_len = get64(h + 8);
	s->raw_len = get64(h + 16);
	s->crc = get32(h + 24);
	if (s->type != want)
		return lvm_err(LIBVM_EIMAGE, "snapshot file: section at offset "
			       "%llu: type %u (%s), expected %s",
			       (unsigned long long)s->at, s->type,
			       sec_name(s->type), sec_name(want));
	if (s->disk_len > r->size - r->off)
		return bad(s, "payload of %llu bytes runs past the end of the "
			   "file (%llu bytes)", (unsigned long long)s->disk_len,
			   (unsigned long long)r->size);
	if (s->flags != (want == SEC_MEMORY ? SEC_F_ZLIB : 0))
		return bad(s, "unknown flags %#x", s->flags);
	if (want != SEC_MEMORY && s->raw_len != s->disk_len)
		return bad(s, "raw length %llu differs from length %llu",
			   (unsigned long long)s->raw_len,
			   (unsigned long long)s->disk_len);
	return 0;
}

/*
 * Read a whole (small) section payload of at least min and at most max
 * bytes into a new buffer and check its CRC.
 */
static int rd_payload(struct rd *r, const struct sec *s, uint64_t min,
		      uint64_t max, uint8_t **out)
{
	uint8_t *b;
	uint32_t c;
	int ret;

	*out = NULL;
	if (s->disk_len < min || s->disk_len > max)
		return bad(s, "payload of %llu bytes, want %llu to %llu",
			   (unsigned long long)s->disk_len,
			   (unsigned long long)min, (unsigned long long)max);
	b = malloc(s->disk_len + 1);
	if (!b)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: %llu bytes for "
			       "the %s section at offset %llu",
			       (unsigned long long)s->disk_len,
			       sec_name(s->type), (unsigned long long)s->at);
	ret = rd_get(r, b, s->disk_len, "section payload");
	if (ret < 0) {
		free(b);
		return ret;
	}
	c = crc(crc32(0, NULL, 0), b, s->disk_len);
	if (c != s->crc) {
		free(b);
		return bad(s, "CRC mismatch (stored %08x, computed %08x)",
			   s->crc, c);
	}
	*out = b;
	return 0;
}

/*
 * The next section, which must be want, with its whole payload of min to
 * max bytes read and checked into *b (the caller frees it), and *c a
 * cursor over it.
 */
static int rd_section(struct rd *r, struct sec *s, uint32_t want,
		      uint64_t min, uint64_t max, uint8_t **b, struct cur *c)
{
	int ret = rd_sec(r, s, want);

	if (!ret)
		ret = rd_payload(r, s, min, max, b);
	if (ret < 0)
		return ret;
	*c = (struct cur){ *b, s->disk_len, 0 };
	return 0;
}

static int load_header(struct rd *r)
{
	uint8_t h[SF_HDR_SIZE];
	uint32_t v;
	int ret;

	ret = rd_get(r, h, sizeof(h), "file header");
	if (ret < 0)
		return ret;
	if (memcmp(h, SF_MAGIC, 8))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: bad magic at "
			       "offset 0 (not a libvm snapshot)");
	v = get32(h + 8);
	if (v != SF_VERSION)
		return lvm_err(LIBVM_EVERSION, "snapshot file: format version "
			       "%u at offset 8, this libvm reads version %u",
			       v, SF_VERSION);
	if (get32(h + 44) != crc(crc32(0, NULL, 0), h, 44))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: header CRC "
			       "mismatch at offset 44");
	v = get32(h + 12);
	if (v != SF_ARCH_X86_64)
		return lvm_err(LIBVM_EIMAGE, "snapshot file: architecture %u at "
			       "offset 12, this libvm runs x86-64 (%u)", v,
			       SF_ARCH_X86_64);
	if (get32(h + 36))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: unknown header "
			       "flags %#x at offset 36", get32(h + 36));
	if (get32(h + 40))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: header reserved "
			       "field %#x at offset 40 (want 0)", get32(h + 40));
	return 0;
}

struct vm_info {
	uint32_t nregions, nvcpus, ndevs, has;
};

/*
 * The VM section's fields against the format and each other, so that a
 * file that loads also forks and restores: each check names its field.
 */
static int check_vm(const struct sec *sec, const libvm_snapshot *s,
		    uint32_t has, uint32_t active)
{
	const uint32_t chip = LIBVM_VM_IRQCHIP, pit = LIBVM_VM_PIT;
	const char *why;

	if (s->vm_flags & ~(chip | pit))
		return bad(sec, "VM flags %#x: unknown bits %#x", s->vm_flags,
			   s->vm_flags & ~(chip | pit));
	if ((s->vm_flags & pit) && !(s->vm_flags & chip))
		return bad(sec, "VM flags %#x: LIBVM_VM_PIT without "
			   "LIBVM_VM_IRQCHIP", s->vm_flags);
	if (!(s->vm_flags & chip) != !(has & VM_HAS_IRQCHIP))
		return bad(sec, "VM flags %#x and state bits %#x disagree: "
			   "LIBVM_VM_IRQCHIP needs an IRQCHIP section and "
			   "the section needs the flag", s->vm_flags, has);
	if (!(s->vm_flags & pit) != !(has & VM_HAS_PIT))
		return bad(sec, "VM flags %#x and state bits %#x disagree: "
			   "LIBVM_VM_PIT needs a PIT section and the section "
			   "needs the flag", s->vm_flags, has);
	if (!lvm_kick_signal_ok(s->kick_signal))
		return bad(sec, "kick signal %d: want SIGUSR1 (%d), SIGUSR2 "
			   "(%d) or SIGRTMIN..SIGRTMAX (%d..%d)",
			   s->kick_signal, SIGUSR1, SIGUSR2, SIGRTMIN,
			   SIGRTMAX);
	if (active > 1)
		return bad(sec, "runtime active %u (want 0 or 1)", active);
	if (s->rt.flags & ~(LIBVM_LONG_SUPERVISOR | LIBVM_LONG_1G_PAGES))
		return bad(sec, "runtime flags %#x: unknown bits",
			   s->rt.flags);
	why = s->rt.xcr0 ? lvm_x86_xcr0_check(s->rt.xcr0) : NULL;
	if (why)
		return bad(sec, "runtime XCR0 %#llx: %s",
			   (unsigned long long)s->rt.xcr0, why);
	return 0;
}

static int load_vm(struct rd *r, libvm_snapshot *s, struct vm_info *vi)
{
	uint64_t left, need;
	uint32_t active;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = rd_section(r, &sec, SEC_VM, VM_PAYLOAD, VM_PAYLOAD, &b, &c);
	if (ret < 0)
		return ret;
	s->vm_flags = cur_u32(&c);
	s->kick_signal = (int32_t)cur_u32(&c);
	vi->nregions = cur_u32(&c);
	vi->nvcpus = cur_u32(&c);
	vi->ndevs = cur_u32(&c);
	vi->has = cur_u32(&c);
	active = cur_u32(&c);
	s->rt.active = active != 0;
	s->rt.flags = cur_u32(&c);
	s->rt.sys_gpa = cur_u64(&c);
	s->rt.xcr0 = cur_u64(&c);
	s->rt.scratch_gpa = cur_u64(&c);
	s->rt.scratch_size = cur_u64(&c);
	s->rt.scratch_used = cur_u64(&c);
	free(b);
	s->rt.console = NULL;
	s->rt.console_opaque = NULL;
	if (vi->nregions > LIBVM_MAX_REGIONS || vi->nvcpus > MAX_VCPUS ||
	    vi->ndevs > MAX_DEVS)
		return bad(&sec, "%u regions, %u vCPUs, %u devices: limits "
			   "are %u, %u, %u", vi->nregions, vi->nvcpus,
			   vi->ndevs, LIBVM_MAX_REGIONS, MAX_VCPUS, MAX_DEVS);
	if (vi->has & ~(VM_HAS_IRQCHIP | VM_HAS_PIT))
		return bad(&sec, "unknown state bits %#x", vi->has);
	ret = check_vm(&sec, s, vi->has, active);
	if (ret < 0)
		return ret;
	/* The smallest file these counts need, before allocating for them. */
	need = (uint64_t)vi->nvcpus * (SF_SEC_SIZE + VCPU_FIXED) +
	       (uint64_t)vi->ndevs * (SF_SEC_SIZE + DEVICE_FIXED) +
	       (uint64_t)vi->nregions * (2 * SF_SEC_SIZE + REGION_FIXED + 8) +
	       SF_SEC_SIZE;
	left = r->size - r->off;
	if (need > left)
		return bad(&sec, "%u vCPUs, %u devices and %u regions need at "
			   "least %llu more bytes, the file has %llu",
			   vi->nvcpus, vi->ndevs, vi->nregions,
			   (unsigned long long)need, (unsigned long long)left);
	return 0;
}

/* A vCPU's flags, XCRs and XSAVE size against the format and the VM. */
static int check_vcpu(const struct sec *sec, const libvm_snapshot *s,
		      const struct lvm_vcpu_state *v, uint32_t flags,
		      uint32_t xs)
{
	uint64_t xcr0 = s->rt.xcr0;
	const char *why;
	uint32_t i;

	if ((flags & VF_RT_LONG) && v->id >= LIBVM_LONG_MAX_VCPUS)
		return bad(sec, "vCPU %u in the long-mode runtime, which takes "
			   "ids 0..%u", v->id, LIBVM_LONG_MAX_VCPUS - 1);
	if ((flags & VF_RT_DISPATCH) && !(flags & VF_RT_LONG))
		return bad(sec, "vCPU %u: parked at the dispatch point but not "
			   "in the long-mode runtime", v->id);
	if (flags & VF_XCRS) {
		if (v->xcrs.nr_xcrs > ARRAY_SIZE(v->xcrs.xcrs) ||
		    v->xcrs.flags)
			return bad(sec, "vCPU %u: %u XCRs, flags %#x (at most "
				   "%zu, flags 0)", v->id, v->xcrs.nr_xcrs,
				   v->xcrs.flags, ARRAY_SIZE(v->xcrs.xcrs));
		for (i = 0; i < v->xcrs.nr_xcrs; i++) {
			const struct kvm_xcr *x = &v->xcrs.xcrs[i];

			why = x->xcr ? "only XCR0 exists"
				     : lvm_x86_xcr0_check(x->value);
			if (why)
				return bad(sec, "vCPU %u: XCR%u %#llx: %s",
					   v->id, x->xcr,
					   (unsigned long long)x->value, why);
			xcr0 |= x->value;
		}
	}
	/* Without an XSAVE area only x87 and SSE state is kept (kvm_fpu). */
	if ((xcr0 & ~3ull) && (!xs || xs < lvm_x86_xsave_need(xcr0)))
		return bad(sec, "vCPU %u: an XSAVE area of %u bytes cannot hold "
			   "the state of XCR0 %#llx (needs %u)", v->id, xs,
			   (unsigned long long)xcr0, lvm_x86_xsave_need(xcr0));
	return 0;
}

static int load_vcpu(struct rd *r, libvm_snapshot *s)
{
	struct lvm_vcpu_state *v = &s->vcpus[s->nvcpus];
	void *raw[9] = {
		&v->regs, &v->sregs, &v->fpu, &v->xcrs, &v->lapic,
		&v->events, &v->mp, &v->debug, &v->rt_sregs,
	};
	uint32_t i, flags, xs, n;
	uint64_t fixed = VCPU_FIXED + vcpu_raw_size();
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = rd_section(r, &sec, SEC_VCPU, fixed,
			 fixed + MAX_XSAVE + 16ull * MAX_MSRS, &b, &c);
	if (ret < 0)
		return ret;
	memset(v, 0, sizeof(*v));
	s->nvcpus++;		/* so that lvm_snap_free frees what follows */
	v->id = cur_u32(&c);
	xs = cur_u32(&c);
	n = cur_u32(&c);
	flags = cur_u32(&c);
	v->rt_stack = cur_u64(&c);
	for (i = 0; i < ARRAY_SIZE(vcpu_sizes); i++) {
		uint32_t sz = cur_u32(&c);

		if (sz != vcpu_sizes[i]) {
			ret = bad(&sec, "state struct %u is %u bytes, this "
				  "libvm's is %u", i, sz, vcpu_sizes[i]);
			goto out;
		}
	}
	if (cur_u32(&c) || (flags & ~(VF_XCRS | VF_LAPIC | VF_RT_LONG |
				     VF_RT_DISPATCH))) {
		ret = bad(&sec, "unknown flags %#x", flags);
		goto out;
	}
	if (v->id >= MAX_VCPU_ID) {
		ret = bad(&sec, "vCPU id %u: KVM takes ids below %u", v->id,
			  MAX_VCPU_ID);
		goto out;
	}
	if (xs && (xs < sizeof(struct kvm_xsave) || xs > MAX_XSAVE)) {
		ret = bad(&sec, "vCPU %u: XSAVE size %u out of range (%zu to "
			  "%u)", v->id, xs, sizeof(struct kvm_xsave),
			  MAX_XSAVE);
		goto out;
	}
	if (n > MAX_MSRS) {
		ret = bad(&sec, "vCPU %u: %u MSRs, out of range (at most %u)",
			  v->id, n, MAX_MSRS);
		goto out;
	}
	if (sec.disk_len != fixed + xs + 16ull * n) {
		ret = bad(&sec, "payload of %llu bytes, want %llu",
			  (unsigned long long)sec.disk_len,
			  (unsigned long long)(fixed + xs + 16ull * n));
		goto out;
	}
	for (i = 0; i < s->nvcpus - 1; i++)
		if (s->vcpus[i].id == v->id) {
			ret = bad(&sec, "vCPU %u appears twice", v->id);
			goto out;
		}
	for (i = 0; i < ARRAY_SIZE(raw); i++)
		cur_get(&c, raw[i], vcpu_sizes[i]);
	ret = check_vcpu(&sec, s, v, flags, xs);
	if (ret < 0)
		goto out;
	v->has_xcrs = flags & VF_XCRS;
	v->has_lapic = flags & VF_LAPIC;
	v->rt_long = flags & VF_RT_LONG;
	v->rt_at_dispatch = flags & VF_RT_DISPATCH;
	v->xsave = xs ? malloc(xs) : NULL;
	v->msrs = calloc(n + 1, sizeof(*v->msrs));
	if ((xs && !v->xsave) || !v->msrs) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: vCPU %u state",
			      v->id);
		goto out;
	}
	v->xsave_size = xs;
	if (xs)
		cur_get(&c, v->xsave, xs);
	for (i = 0; i < n; i++) {
		v->msrs[i].index = cur_u32(&c);
		if (cur_u32(&c)) {
			ret = bad(&sec, "MSR entry %u: reserved field not "
				  "zero", i);
			goto out;
		}
		v->msrs[i].data = cur_u64(&c);
	}
	v->nmsrs = n;
out:
	free(b);
	return ret;
}

static int load_chips(struct rd *r, libvm_snapshot *s, uint32_t has)
{
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	if (has & VM_HAS_IRQCHIP) {
		uint64_t len = 8 + sizeof(s->chips);

		ret = rd_section(r, &sec, SEC_IRQCHIP, len, len, &b, &c);
		if (ret < 0)
			return ret;
		if (cur_u32(&c) != 3 || cur_u32(&c) != sizeof(s->chips[0])) {
			free(b);
			return bad(&sec, "want 3 chips of %zu bytes",
				   sizeof(s->chips[0]));
		}
		cur_get(&c, s->chips, sizeof(s->chips));
		free(b);
		s->has_irqchip = true;
	}
	if (has & VM_HAS_PIT) {
		uint64_t len = 8 + sizeof(s->pit);

		ret = rd_section(r, &sec, SEC_PIT, len, len, &b, &c);
		if (ret < 0)
			return ret;
		if (cur_u32(&c) != sizeof(s->pit) || cur_u32(&c)) {
			free(b);
			return bad(&sec, "want a PIT state of %zu bytes",
				   sizeof(s->pit));
		}
		cur_get(&c, &s->pit, sizeof(s->pit));
		free(b);
		s->has_pit = true;
	}
	return 0;
}

static int load_dev(struct rd *r, libvm_snapshot *s)
{
	struct lvm_snap_dev *d = &s->devs[s->ndevs];
	char name[32];
	uint32_t len, i;
	size_t nl;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = rd_section(r, &sec, SEC_DEVICE, DEVICE_FIXED,
			 DEVICE_FIXED + (uint64_t)MAX_DEV_LEN, &b, &c);
	if (ret < 0)
		return ret;
	cur_get(&c, name, sizeof(name));
	len = cur_u32(&c);
	nl = strnlen(name, sizeof(name));
	if (nl == 0 || nl == sizeof(name) || cur_u32(&c)) {
		ret = bad(&sec, "device name not 1-31 bytes and NUL-padded");
		goto out;
	}
	for (i = (uint32_t)nl; i < sizeof(name); i++)
		if (name[i]) {
			ret = bad(&sec, "device name not NUL-padded");
			goto out;
		}
	if (len > MAX_DEV_LEN || sec.disk_len != DEVICE_FIXED + (uint64_t)len) {
		ret = bad(&sec, "device '%s': length %u, payload %llu bytes",
			  name, len, (unsigned long long)sec.disk_len);
		goto out;
	}
	for (i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i].name, name)) {
			ret = bad(&sec, "device '%s' appears twice", name);
			goto out;
		}
	d->data = malloc((size_t)len + 1);
	if (!d->data) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: device '%s'", name);
		goto out;
	}
	memcpy(d->name, name, sizeof(name));
	d->len = len;
	cur_get(&c, d->data, len);
	s->ndevs++;
out:
	free(b);
	return ret;
}

/* The first page >= p whose bit is set, or pages. */
static uint64_t next_set(const uint64_t *bm, uint64_t p, uint64_t pages)
{
	while (p < pages && !(bm[p / 64] >> (p % 64) & 1))
		p = bm[p / 64] >> (p % 64) ? p + 1 : (p / 64 + 1) * 64;
	return p < pages ? p : pages;
}

/*
 * Inflate a MEMORY section into the region's mapping, page runs at a time.
 * The CRC covers the compressed bytes as they stream in; on any failure
 * the rest of the section is still read so that a damaged section is
 * reported as a CRC mismatch rather than as whatever zlib made of it.
 */
static int load_memory(struct rd *r, const struct sec *sec,
		       struct lvm_snap_region *sr, const uint64_t *bm)
{
	uint64_t pages = sr->size / PAGE, p = 0, left = sec->disk_len;
	uint32_t c = (uint32_t)crc32(0, NULL, 0);
	const char *why = NULL;
	z_stream z = { 0 };
	bool sinking = false;
	uint8_t *in, sink;
	int ret = 0, zr;

	in = malloc(Z_IN_CHUNK);
	if (!in)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: inflate buffer");
	zr = inflateInit(&z);
	if (zr != Z_OK) {
		free(in);
		return lvm_err(LIBVM_ENOMEM, "snapshot file: inflateInit: %d",
			       zr);
	}
	for (;;) {
		if (!z.avail_out) {
			uint64_t run = 0;

			p = next_set(bm, p, pages);
			while (p + run < pages &&
			       (bm[(p + run) / 64] >> ((p + run) % 64) & 1) &&
			       (run + 1) * PAGE <= Z_OUT_MAX)
				run++;
			if (run) {
				z.next_out = sr->copy + p * PAGE;
				z.avail_out = (uInt)(run * PAGE);
				p += run;
			} else if (sinking) {
				why = "decompresses to more than its raw length";
				break;
			} else {
				z.next_out = &sink;
				z.avail_out = 1;
				sinking = true;
			}
		}
		if (!z.avail_in && left) {
			uint64_t n = left < Z_IN_CHUNK ? left : Z_IN_CHUNK;

			ret = rd_get(r, in, n, "MEMORY payload");
			if (ret < 0)
				goto out;
			c = crc(c, in, n);
			left -= n;
			z.next_in = in;
			z.avail_in = (uInt)n;
		}
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_MEM_ERROR) {
			ret = lvm_err(LIBVM_ENOMEM, "snapshot file: inflate");
			goto out;
		}
		if (zr == Z_BUF_ERROR && !z.avail_in && !left) {
			why = "compressed stream ends early";
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			why = z.msg ? z.msg : "corrupt compressed stream";
			break;
		}
	}
	if (!why && sinking && !z.avail_out)
		why = "decompresses to more than its raw length";
	if (!why && !sinking && (z.avail_out || next_set(bm, p, pages) < pages))
		why = "decompresses to less than its raw length";
	if (!why && (z.avail_in || left))
		why = "bytes after the end of the compressed stream";
	while (left) {		/* drain for the CRC */
		uint64_t n = left < Z_IN_CHUNK ? left : Z_IN_CHUNK;

		ret = rd_get(r, in, n, "MEMORY payload");
		if (ret < 0)
			goto out;
		c = crc(c, in, n);
		left -= n;
	}
	if (c != sec->crc)
		ret = bad(sec, "CRC mismatch (stored %08x, computed %08x)",
			  sec->crc, c);
	else if (why)
		ret = bad(sec, "%s", why);
out:
	inflateEnd(&z);
	free(in);
	return ret;
}

static int load_region(struct rd *r, libvm_snapshot *s)
{
	struct lvm_snap_region *sr = &s->regions[s->nregions];
	uint64_t gpa, size, nz, words, pages, i, count = 0;
	uint64_t *bm = NULL;
	uint32_t flags;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = rd_section(r, &sec, SEC_REGION, REGION_FIXED + 8,
			 REGION_FIXED + bitmap_words(MAX_REGION_SIZE) * 8, &b,
			 &c);
	if (ret < 0)
		return ret;
	gpa = cur_u64(&c);
	size = cur_u64(&c);
	flags = cur_u32(&c);
	if (cur_u32(&c)) {
		ret = bad(&sec, "reserved field not zero");
		goto out;
	}
	nz = cur_u64(&c);
	if (!size || size > MAX_REGION_SIZE || size % PAGE || gpa % PAGE ||
	    gpa + size < gpa) {
		ret = bad(&sec, "region %#llx+%#llx: want a page-aligned range "
			  "of at most 1 TiB", (unsigned long long)gpa,
			  (unsigned long long)size);
		goto out;
	}
	if (gpa + size > 1ull << lvm_host_phys_bits()) {
		ret = bad(&sec, "region %#llx+%#llx: beyond the guest-physical "
			  "address width of this host (%u bits)",
			  (unsigned long long)gpa, (unsigned long long)size,
			  lvm_host_phys_bits());
		goto out;
	}
	if (flags & ~(LIBVM_MEM_READONLY | LIBVM_MEM_HUGEPAGES)) {
		ret = bad(&sec, "region %#llx: unknown flags %#x",
			  (unsigned long long)gpa, flags);
		goto out;
	}
	for (i = 0; i < s->nregions; i++)
		if (gpa < s->regions[i].gpa + s->regions[i].size &&
		    s->regions[i].gpa < gpa + size) {
			ret = bad(&sec, "region %#llx+%#llx overlaps another",
				  (unsigned long long)gpa,
				  (unsigned long long)size);
			goto out;
		}
	pages = size / PAGE;
	words = bitmap_words(size);
	if (sec.disk_len != REGION_FIXED + words * 8) {
		ret = bad(&sec, "payload of %llu bytes, a region of %llu pages "
			  "needs %llu", (unsigned long long)sec.disk_len,
			  (unsigned long long)pages,
			  (unsigned long long)(REGION_FIXED + words * 8));
		goto out;
	}
	bm = malloc(words * 8);
	if (!bm) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: page bitmap");
		goto out;
	}
	for (i = 0; i < words; i++) {
		bm[i] = cur_u64(&c);
		count += (uint64_t)__builtin_popcountll(bm[i]);
	}
	if (pages % 64 && bm[words - 1] >> (pages % 64)) {
		ret = bad(&sec, "page bitmap has bits past the region's end");
		goto out;
	}
	if (count != nz) {
		ret = bad(&sec, "%llu non-zero pages declared, the bitmap has "
			  "%llu", (unsigned long long)nz,
			  (unsigned long long)count);
		goto out;
	}
	ret = rd_sec(r, &sec, SEC_MEMORY);
	if (ret < 0)
		goto out;
	if (sec.raw_len != nz * PAGE) {
		ret = bad(&sec, "raw length %llu, %llu non-zero pages need "
			  "%llu", (unsigned long long)sec.raw_len,
			  (unsigned long long)nz,
			  (unsigned long long)(nz * PAGE));
		goto out;
	}

	sr->gpa = gpa;
	sr->size = size;
	sr->flags = flags;
	sr->memfd = memfd_create("libvm-snapshot", MFD_CLOEXEC);
	sr->copy = NULL;
	sr->data = bm;		/* load_memory stores the pages of bm */
	bm = NULL;
	s->nregions++;		/* lvm_snap_free closes what follows */
	if (sr->memfd < 0) {
		ret = lvm_err_errno(LIBVM_EIO, errno, "snapshot file: "
				    "memfd_create");
		goto out;
	}
	if (ftruncate(sr->memfd, (off_t)size) < 0) {
		ret = lvm_err_errno(LIBVM_ENOMEM, errno, "snapshot file: "
				    "region %#llx+%#llx",
				    (unsigned long long)gpa,
				    (unsigned long long)size);
		goto out;
	}
	sr->copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			sr->memfd, 0);
	if (sr->copy == MAP_FAILED) {
		sr->copy = NULL;
		ret = lvm_err_errno(LIBVM_ENOMEM, errno, "snapshot file: mmap "
				    "of region %#llx+%#llx",
				    (unsigned long long)gpa,
				    (unsigned long long)size);
		goto out;
	}
	ret = load_memory(r, &sec, sr, sr->data);
	if (!ret)
		mprotect(sr->copy, size, PROT_READ);
out:
	free(bm);
	free(b);
	return ret;
}

int lvm_snapshot_parse(libvm_snapshot **out, FILE *f)
{
	struct rd r = { .f = f };
	struct vm_info vi = { 0 };
	libvm_snapshot *s = NULL;
	struct sec sec;
	uint32_t i;
	off_t end;
	int ret;

	if (!out || !f)
		return lvm_err(LIBVM_EINVAL, "lvm_snapshot_parse: NULL "
			       "argument");
	*out = NULL;
	if (fseeko(f, 0, SEEK_END) < 0 || (end = ftello(f)) < 0 ||
	    fseeko(f, 0, SEEK_SET) < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "snapshot file: seek");
	r.size = (uint64_t)end;
	r.buf = malloc(RD_BUF);
	s = calloc(1, sizeof(*s));
	if (!r.buf || !s) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: reader");
		goto fail;
	}
	ret = load_header(&r);
	if (!ret)
		ret = load_vm(&r, s, &vi);
	if (ret < 0)
		goto fail;
	s->vcpus = calloc(vi.nvcpus + 1, sizeof(*s->vcpus));
	s->devs = calloc(vi.ndevs + 1, sizeof(*s->devs));
	s->regions = calloc(vi.nregions + 1, sizeof(*s->regions));
	if (!s->vcpus || !s->devs || !s->regions) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: snapshot tables");
		goto fail;
	}
	for (i = 0; i < vi.nvcpus && !ret; i++)
		ret = load_vcpu(&r, s);
	if (!ret)
		ret = load_chips(&r, s, vi.has);
	for (i = 0; i < vi.ndevs && !ret; i++)
		ret = load_dev(&r, s);
	for (i = 0; i < vi.nregions && !ret; i++)
		ret = load_region(&r, s);
	if (!ret)
		ret = rd_sec(&r, &sec, SEC_END);
	if (ret < 0)
		goto fail;
	if (sec.disk_len || sec.crc != (uint32_t)crc32(0, NULL, 0)) {
		ret = bad(&sec, "not empty");
		goto fail;
	}
	if (r.off != r.size) {
		ret = lvm_err(LIBVM_EIMAGE, "snapshot file: %llu bytes of "
			      "trailing garbage at offset %llu",
			      (unsigned long long)(r.size - r.off),
			      (unsigned long long)r.off);
		goto fail;
	}
	s->id = lvm_snap_new_id();
	free(r.buf);
	*out = s;
	return 0;
fail:
	free(r.buf);
	lvm_snap_free(s);
	return ret;
}

LIBVM_API int libvm_snapshot_load(libvm_snapshot **out, const char *path)
{
	struct stat st;
	FILE *f;
	int fd, ret;

	if (!out || !path)
		return lvm_err(LIBVM_EINVAL, "libvm_snapshot_load: NULL "
			       "argument");
	*out = NULL;
	fd = lvm_open_regular(path, "snapshot file", &st);
	if (fd < 0)
		return fd;
	f = fdopen(fd, "rb");
	if (!f) {
		ret = lvm_err_errno(LIBVM_ENOMEM, errno, "snapshot file: "
				    "fdopen %s", path);
		close(fd);
		return ret;
	}
	setvbuf(f, NULL, _IONBF, 0);	/* the reader buffers */
	ret = lvm_snapshot_parse(out, f);
	fclose(f);
	return ret;
}
