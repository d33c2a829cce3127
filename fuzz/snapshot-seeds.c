/* SPDX-License-Identifier: MIT */
/*
 * Seeds for fuzz_snapshot: snapshots built by hand (tests/snapbuild.h, no
 * KVM) saved with libvm_snapshot_save, and truncated and corrupted copies
 * of the files.  Usage: snapshot-seeds OUTDIR
 */
#include "snapbuild.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void die(const char *what, int r)
{
	fprintf(stderr, "snapshot-seeds: %s: %s: %s\n", what,
		libvm_strerror(r), libvm_last_error());
	exit(1);
}

static void put(const char *dir, const char *name, const uint8_t *b,
		size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "snapshot-seeds: %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		die(path, LIBVM_EIO);
	b = malloc((size_t)len + 1);
	if (!b || fread(b, 1, (size_t)len, f) != (size_t)len)
		die(path, LIBVM_EIO);
	fclose(f);
	*n = (size_t)len;
	return b;
}

/* Save s as dir/name and its damaged variants; s is destroyed. */
static void seeds(const char *dir, const char *name, libvm_snapshot *s)
{
	static const size_t cuts[] = { 0, 8, 47, 48, 64, 80, 152, 200, 500,
				       1000, 4000 };
	char path[4096], var[300];
	uint8_t *b, *c;
	size_t n, i;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = libvm_snapshot_save(s, path);
	if (r < 0)
		die("save", r);
	libvm_snapshot_destroy(s);
	b = slurp(path, &n);
	c = malloc(n + 16);
	if (!c)
		die("malloc", LIBVM_ENOMEM);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		if (cuts[i] < n) {
			snprintf(var, sizeof(var), "%s-trunc%zu", name, cuts[i]);
			put(dir, var, b, cuts[i]);
		}
	snprintf(var, sizeof(var), "%s-trunc-last", name);
	put(dir, var, b, n - 1);
	/* One byte flipped every n/24 bytes, and in the header fields. */
	for (i = 0; i < n; i += (i < 96 ? 4 : n / 24 + 1)) {
		memcpy(c, b, n);
		c[i] ^= 0x41;
		snprintf(var, sizeof(var), "%s-flip%zu", name, i);
		put(dir, var, c, n);
	}
	memcpy(c, b, n);
	memcpy(c + n, "garbage!", 8);
	snprintf(var, sizeof(var), "%s-trailing", name);
	put(dir, var, c, n + 8);
	free(c);
	free(b);
}

int main(int argc, char **argv)
{
	libvm_snapshot *s;
	uint8_t *m;

	if (argc != 2) {
		fprintf(stderr, "usage: snapshot-seeds OUTDIR\n");
		return 2;
	}
	mkdir(argv[1], 0755);

	/* Two small regions: data pages, a zero page between, text. */
	s = sb_new();
	if (!s || !(m = sb_add_region(s, 0, 0x6000, 0)))
		die("build", LIBVM_ENOMEM);
	sb_fill(m, 0x1000, 1);
	memcpy(m + 0x2000, "hello, snapshot", 15);
	sb_fill(m + 0x5000, 0x1000, 2);
	if (!(m = sb_add_region(s, 0x100000, 0x2000, LIBVM_MEM_READONLY)))
		die("build", LIBVM_ENOMEM);
	memset(m + 0x1000, 'x', 0x1000);
	sb_seal(s);
	seeds(argv[1], "two-regions", s);

	/* No regions, no devices, no irqchip. */
	s = sb_new();
	if (!s)
		die("build", LIBVM_ENOMEM);
	s->has_irqchip = s->has_pit = false;
	while (s->ndevs) {
		free(s->devs[--s->ndevs].data);
	}
	seeds(argv[1], "bare", s);

	/* An all-zero region. */
	s = sb_new();
	if (!s || !sb_add_region(s, 0x10000, 0x10000, 0))
		die("build", LIBVM_ENOMEM);
	sb_seal(s);
	seeds(argv[1], "zero-region", s);
	return 0;
}
