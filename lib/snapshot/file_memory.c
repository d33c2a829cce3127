/* SPDX-License-Identifier: MIT */
/* Reading the REGION and MEMORY sections: page bitmaps, zlib streams. */
#define _GNU_SOURCE
#include "format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first page >= p whose bit is set, or pages. */
static uint64_t next_set(const uint64_t *bm, uint64_t p, uint64_t pages)
{
	while (p < pages && !(bm[p / 64] >> (p % 64) & 1))
		p = bm[p / 64] >> (p % 64) ? p + 1 : (p / 64 + 1) * 64;
	return p < pages ? p : pages;
}

/* The next chunk of a MEMORY payload (*n bytes) into in, into the CRC. */
static int read_chunk(struct rd *r, uint8_t *in, uint64_t *left, uint32_t *c,
		      uint64_t *n)
{
	int ret;

	*n = *left < Z_IN_CHUNK ? *left : Z_IN_CHUNK;
	ret = lvm_sf_get(r, in, *n, "MEMORY payload");
	if (ret < 0)
		return ret;
	*c = crc(*c, in, *n);
	*left -= *n;
	return 0;
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
			uint64_t n;

			ret = read_chunk(r, in, &left, &c, &n);
			if (ret < 0)
				goto out;
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
		uint64_t n;

		ret = read_chunk(r, in, &left, &c, &n);
		if (ret < 0)
			goto out;
	}
	if (c != sec->crc)
		ret = lvm_sf_bad(sec, "CRC mismatch (stored %08x, computed "
				 "%08x)", sec->crc, c);
	else if (why)
		ret = lvm_sf_bad(sec, "%s", why);
out:
	inflateEnd(&z);
	free(in);
	return ret;
}

int lvm_sf_load_region(struct rd *r, libvm_snapshot *s)
{
	struct lvm_snap_region *sr = &s->regions[s->nregions];
	uint64_t gpa, size, nz, words, pages, i, count = 0;
	uint64_t *bm = NULL;
	uint32_t flags;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = lvm_sf_section(r, &sec, SEC_REGION, REGION_FIXED + 8,
			 REGION_FIXED + bitmap_words(MAX_REGION_SIZE) * 8, &b,
			 &c);
	if (ret < 0)
		return ret;
	gpa = lvm_sf_cur_u64(&c);
	size = lvm_sf_cur_u64(&c);
	flags = lvm_sf_cur_u32(&c);
	if (lvm_sf_cur_u32(&c)) {
		ret = lvm_sf_bad(&sec, "reserved field not zero");
		goto out;
	}
	nz = lvm_sf_cur_u64(&c);
	if (!size || size > MAX_REGION_SIZE || size % PAGE || gpa % PAGE ||
	    gpa + size < gpa) {
		ret = lvm_sf_bad(&sec, "region %#llx+%#llx: want a "
				 "page-aligned range of at most 1 TiB",
				 (unsigned long long)gpa,
				 (unsigned long long)size);
		goto out;
	}
	if (gpa + size > 1ull << lvm_host_phys_bits()) {
		ret = lvm_sf_bad(&sec, "region %#llx+%#llx: beyond the "
				 "guest-physical address width of this host "
				 "(%u bits)", (unsigned long long)gpa,
				 (unsigned long long)size,
				 lvm_host_phys_bits());
		goto out;
	}
	if (flags & ~(LIBVM_MEM_READONLY | LIBVM_MEM_HUGEPAGES)) {
		ret = lvm_sf_bad(&sec, "region %#llx: unknown flags %#x",
			  (unsigned long long)gpa, flags);
		goto out;
	}
	for (i = 0; i < s->nregions; i++)
		if (gpa < s->regions[i].gpa + s->regions[i].size &&
		    s->regions[i].gpa < gpa + size) {
			ret = lvm_sf_bad(&sec, "region %#llx+%#llx overlaps "
					 "another", (unsigned long long)gpa,
					 (unsigned long long)size);
			goto out;
		}
	pages = size / PAGE;
	words = bitmap_words(size);
	if (sec.disk_len != REGION_FIXED + words * 8) {
		ret = lvm_sf_bad(&sec, "payload of %llu bytes, a region of "
				 "%llu pages needs %llu",
				 (unsigned long long)sec.disk_len,
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
		bm[i] = lvm_sf_cur_u64(&c);
		count += (uint64_t)__builtin_popcountll(bm[i]);
	}
	if (pages % 64 && bm[words - 1] >> (pages % 64)) {
		ret = lvm_sf_bad(&sec, "page bitmap has bits past the region's "
				 "end");
		goto out;
	}
	if (count != nz) {
		ret = lvm_sf_bad(&sec, "%llu non-zero pages declared, the "
				 "bitmap has %llu", (unsigned long long)nz,
				 (unsigned long long)count);
		goto out;
	}
	ret = lvm_sf_sec(r, &sec, SEC_MEMORY);
	if (ret < 0)
		goto out;
	if (sec.raw_len != nz * PAGE) {
		ret = lvm_sf_bad(&sec, "raw length %llu, %llu non-zero pages "
				 "need %llu", (unsigned long long)sec.raw_len,
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
