/* SPDX-License-Identifier: MIT */
/*
 * Seeds for fuzz_unpack: small bzImage-shaped files whose payload is a
 * PVH test kernel compressed with xz and with gzip (what a real bzImage
 * carries), and truncated and bit-flipped copies of them.
 * Usage: unpack-seeds DIR PVH_ELF
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SETUP_SECTS 7
#define PM_OFF ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_OFF 0x100

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put(const char *dir, const char *name, const uint8_t *p,
		size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A bzImage around payload (compressed bytes + the 4-byte size). */
static size_t bzimage(uint8_t *out, const uint8_t *z, size_t zlen,
		      uint32_t raw_len)
{
	size_t plen = zlen + 4, n = PM_OFF + PAYLOAD_OFF + plen;

	memset(out, 0, n);
	out[0x1f1] = SETUP_SECTS;
	out[0x1fe] = 0x55;
	out[0x1ff] = 0xaa;
	memcpy(out + 0x202, "HdrS", 4);
	out[0x206] = 0x0f;	/* protocol 2.15 */
	out[0x207] = 0x02;
	le32(out + 0x248, PAYLOAD_OFF);
	le32(out + 0x24c, (uint32_t)plen);
	memcpy(out + PM_OFF + PAYLOAD_OFF, z, zlen);
	le32(out + PM_OFF + PAYLOAD_OFF + zlen, raw_len);
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t elf[1 << 20], z[1 << 20], img[1 << 21];
	size_t n, zlen, ilen;
	uLongf glen = sizeof(z);
	z_stream gz;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR PVH_ELF\n", argv[0]);
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f || !(n = fread(elf, 1, sizeof(elf), f))) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	zlen = 0;
	if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, elf, n, z,
				    &zlen, sizeof(z)) != LZMA_OK)
		return 1;
	ilen = bzimage(img, z, zlen, (uint32_t)n);
	put(argv[1], "xz", img, ilen);
	put(argv[1], "xz-short", img, ilen / 2);
	img[PM_OFF + PAYLOAD_OFF + zlen / 2] ^= 0x10;
	put(argv[1], "xz-flipped", img, ilen);
	memset(&gz, 0, sizeof(gz));
	if (deflateInit2(&gz, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 1;
	gz.next_in = elf;
	gz.avail_in = (uInt)n;
	gz.next_out = z;
	gz.avail_out = (uInt)glen;
	if (deflate(&gz, Z_FINISH) != Z_STREAM_END)
		return 1;
	glen = gz.total_out;
	deflateEnd(&gz);
	ilen = bzimage(img, z, glen, (uint32_t)n);
	put(argv[1], "gzip", img, ilen);
	le32(img + 0x24c, 0xffffff00u);		/* payload past the end */
	put(argv[1], "gzip-bad-length", img, ilen);
	return 0;
}
