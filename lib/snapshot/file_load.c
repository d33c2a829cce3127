/* SPDX-License-Identifier: MIT */
/*
 * Loading a snapshot file: the file header, then the walk over its
 * sections (file_sections.c, file_memory.c), checked whole before a
 * snapshot is returned.
 */
#define _GNU_SOURCE
#include "format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int load_header(struct rd *r)
{
	uint8_t h[SF_HDR_SIZE];
	uint32_t v;
	int ret;

	ret = lvm_sf_get(r, h, sizeof(h), "file header");
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
		return lvm_err(LIBVM_EIMAGE, "snapshot file: architecture %u "
			       "at offset 12, this libvm runs x86-64 (%u)", v,
			       SF_ARCH_X86_64);
	if (get32(h + 36))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: unknown header "
			       "flags %#x at offset 36", get32(h + 36));
	if (get32(h + 40))
		return lvm_err(LIBVM_EIMAGE, "snapshot file: header reserved "
			       "field %#x at offset 40 (want 0)", get32(h + 40));
	return 0;
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
		ret = lvm_sf_load_vm(&r, s, &vi);
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
		ret = lvm_sf_load_vcpu(&r, s);
	if (!ret)
		ret = lvm_sf_load_chips(&r, s, vi.has);
	for (i = 0; i < vi.ndevs && !ret; i++)
		ret = lvm_sf_load_dev(&r, s);
	for (i = 0; i < vi.nregions && !ret; i++)
		ret = lvm_sf_load_region(&r, s);
	if (!ret)
		ret = lvm_sf_sec(&r, &sec, SEC_END);
	if (ret < 0)
		goto fail;
	if (sec.disk_len || sec.crc != (uint32_t)crc32(0, NULL, 0)) {
		ret = lvm_sf_bad(&sec, "not empty");
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
