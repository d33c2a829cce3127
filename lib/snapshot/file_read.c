/* SPDX-License-Identifier: MIT */
/*
 * Reading snapshot files: the two accessors every byte of a file goes
 * through (lvm_sf_get for file bytes, bounded by the file's size;
 * lvm_sf_cur_get for bytes of a payload already CRC-checked) and section
 * headers.
 */
#define _GNU_SOURCE
#include "format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The accessor for file bytes: n bytes at the current offset, or a
 * "truncated" error naming what was being read and where.
 */
/* Why fread gave nothing: an error, or a file that shrank. */
static int read_failed(const struct rd *r, const char *what)
{
	if (ferror(r->f))
		return lvm_err_errno(LIBVM_EIO, errno, "snapshot file: read at "
				     "offset %llu", (unsigned long long)r->off);
	return lvm_err(LIBVM_EIMAGE, "snapshot file truncated: %s at offset "
		       "%llu (the file shrank)", what,
		       (unsigned long long)r->off);
}

int lvm_sf_get(struct rd *r, void *dst, uint64_t n, const char *what)
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
				return read_failed(r, what);
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
bool lvm_sf_cur_get(struct cur *c, void *dst, uint64_t n)
{
	if (n > c->len - c->pos)
		return false;
	memcpy(dst, c->p + c->pos, n);
	c->pos += n;
	return true;
}

uint32_t lvm_sf_cur_u32(struct cur *c)
{
	uint8_t b[4] = { 0 };

	lvm_sf_cur_get(c, b, 4);
	return get32(b);
}

uint64_t lvm_sf_cur_u64(struct cur *c)
{
	uint8_t b[8] = { 0 };

	lvm_sf_cur_get(c, b, 8);
	return get64(b);
}

/* An EIMAGE naming the section and its offset. */
int lvm_sf_bad(const struct sec *s, const char *fmt, ...)
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
int lvm_sf_sec(struct rd *r, struct sec *s, uint32_t want)
{
	uint8_t h[SF_SEC_SIZE];
	int ret;

	memset(s, 0, sizeof(*s));
	s->at = r->off;
	s->type = want;
	ret = lvm_sf_get(r, h, sizeof(h), "section header");
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
		return lvm_sf_bad(s, "payload of %llu bytes runs past the end "
				  "of the file (%llu bytes)",
				  (unsigned long long)s->disk_len,
				  (unsigned long long)r->size);
	if (s->flags != (want == SEC_MEMORY ? SEC_F_ZLIB : 0))
		return lvm_sf_bad(s, "unknown flags %#x", s->flags);
	if (want != SEC_MEMORY && s->raw_len != s->disk_len)
		return lvm_sf_bad(s, "raw length %llu differs from length %llu",
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
		return lvm_sf_bad(s, "payload of %llu bytes, want %llu to %llu",
			   (unsigned long long)s->disk_len,
			   (unsigned long long)min, (unsigned long long)max);
	b = malloc(s->disk_len + 1);
	if (!b)
		return lvm_err(LIBVM_ENOMEM, "snapshot file: %llu bytes for "
			       "the %s section at offset %llu",
			       (unsigned long long)s->disk_len,
			       sec_name(s->type), (unsigned long long)s->at);
	ret = lvm_sf_get(r, b, s->disk_len, "section payload");
	if (ret < 0) {
		free(b);
		return ret;
	}
	c = crc(crc32(0, NULL, 0), b, s->disk_len);
	if (c != s->crc) {
		free(b);
		return lvm_sf_bad(s,
				  "CRC mismatch (stored %08x, computed %08x)",
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
int lvm_sf_section(struct rd *r, struct sec *s, uint32_t want,
		      uint64_t min, uint64_t max, uint8_t **b, struct cur *c)
{
	int ret = lvm_sf_sec(r, s, want);

	if (!ret)
		ret = rd_payload(r, s, min, max, b);
	if (ret < 0)
		return ret;
	*c = (struct cur){ *b, s->disk_len, 0 };
	return 0;
}
