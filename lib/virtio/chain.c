/* SPDX-License-Identifier: MIT */
/*
 * The buffers of a chain a device took: checked host memory (virtq.c made
 * it), walked with one cursor for the readable part and one for the
 * writable part.  A chain belongs to one thread at a time, as the device
 * hands it around; nothing here locks.
 */
#include "vio.h"

#include <string.h>

static bool bad_part(const libvm_virtq_chain *c, uint32_t part)
{
	return !c || part > LIBVM_VIRTQ_WRITABLE;
}

LIBVM_API uint64_t libvm_virtq_len(const libvm_virtq_chain *c, uint32_t part)
{
	return bad_part(c, part) ? 0 : c->len[part];
}

LIBVM_API uint64_t libvm_virtq_written(const libvm_virtq_chain *c)
{
	return c ? c->pos[LIBVM_VIRTQ_WRITABLE] : 0;
}

LIBVM_API uint32_t libvm_virtq_queue(const libvm_virtq_chain *c)
{
	return c ? c->queue : 0;
}

/*
 * The next piece of part from its cursor, at most len bytes, and move the
 * cursor past it.  false at the end of the part.
 */
static bool next_piece(libvm_virtq_chain *c, uint32_t part, uint64_t len,
		       struct vseg *out)
{
	uint32_t end = part ? c->nseg : c->nread;

	while (c->cur[part] < end &&
	       c->off[part] == c->seg[c->cur[part]].len) {
		c->cur[part]++;
		c->off[part] = 0;
	}
	if (c->cur[part] >= end || !len)
		return false;
	out->p = c->seg[c->cur[part]].p + c->off[part];
	out->len = c->seg[c->cur[part]].len - c->off[part];
	if (out->len > len)
		out->len = len;
	c->off[part] += out->len;
	c->pos[part] += out->len;
	return true;
}

static int64_t copy(libvm_virtq_chain *c, uint32_t part, uint8_t *dst,
		    const uint8_t *src, uint64_t len)
{
	uint64_t done = 0;
	struct vseg s;

	if (!c || (!dst && !src && len))
		return lvm_err(LIBVM_EINVAL, "libvm_virtq_%s: NULL argument",
			       part ? "write" : "read");
	while (done < len && next_piece(c, part, len - done, &s)) {
		if (part == LIBVM_VIRTQ_WRITABLE)
			memcpy(s.p, src + done, s.len);
		else
			memcpy(dst + done, s.p, s.len);
		done += s.len;
	}
	return (int64_t)done;
}

LIBVM_API int64_t libvm_virtq_read(libvm_virtq_chain *c, void *dst,
				   uint64_t len)
{
	if (!dst && len)
		return lvm_err(LIBVM_EINVAL, "libvm_virtq_read: NULL dst");
	return copy(c, LIBVM_VIRTQ_READABLE, dst, NULL, len);
}

LIBVM_API int64_t libvm_virtq_write(libvm_virtq_chain *c, const void *src,
				    uint64_t len)
{
	if (!src && len)
		return lvm_err(LIBVM_EINVAL, "libvm_virtq_write: NULL src");
	return copy(c, LIBVM_VIRTQ_WRITABLE, NULL, src, len);
}

LIBVM_API int libvm_virtq_map(libvm_virtq_chain *c, uint32_t part,
			      uint64_t len, libvm_virtq_seg *segs,
			      uint32_t max)
{
	struct vseg s;
	uint32_t n = 0;

	if (bad_part(c, part) || (!segs && max))
		return lvm_err(LIBVM_EINVAL, "libvm_virtq_map: bad argument");
	while (n < max && next_piece(c, part, len, &s)) {
		segs[n++] = (libvm_virtq_seg){ s.p, s.len };
		len -= s.len;
	}
	return (int)n;
}

LIBVM_API int libvm_virtq_seek(libvm_virtq_chain *c, uint32_t part,
			       uint64_t pos)
{
	uint32_t i = part ? c->nread : 0, end;
	uint64_t left = pos;

	if (bad_part(c, part) || pos > c->len[part])
		return lvm_err(LIBVM_EINVAL, "libvm_virtq_seek: position %llu "
			       "of %llu", (unsigned long long)pos,
			       c ? (unsigned long long)c->len[part & 1] : 0ull);
	end = part ? c->nseg : c->nread;
	while (i < end && left >= c->seg[i].len && left) {
		left -= c->seg[i].len;
		i++;
	}
	c->cur[part] = i;
	c->off[part] = left;
	c->pos[part] = pos;
	return 0;
}
