/* SPDX-License-Identifier: MIT */
/* Kernel modules and their dependencies: see kmods.h. */
#define _GNU_SOURCE
#include "kmods.h"
#include "initramfs.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* nftw gives no context pointer: one search at a time. */
static char found[1024];
static const char *looking_for;

static int same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
				  (*b == '-' || *b == '_')))
			return 0;
	return !*a && !*b;
}

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *f)
{
	const char *base = path + f->base;
	size_t n = strlen(base);
	char name[256];

	(void)st;
	if (type != FTW_F || n < 4 || strcmp(base + n - 3, ".ko") ||
	    n - 3 >= sizeof(name))
		return 0;
	memcpy(name, base, n - 3);
	name[n - 3] = 0;
	if (!same_name(name, looking_for))
		return 0;
	snprintf(found, sizeof(found), "%s", path);
	return 1;
}

/* The "depends=" value of a .ko (its .modinfo strings), or NULL. */
static char *depends(const char *path)
{
	static const char key[] = "depends=";
	char *buf = NULL, *p, *end, *r = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		len = (size_t)ftell(f);
		rewind(f);
		buf = malloc(len + 1);
	}
	if (buf && fread(buf, 1, len, f) == len) {
		buf[len] = 0;
		end = buf + len;
		for (p = buf; p + sizeof(key) < end; p++)
			if (!memcmp(p, key, sizeof(key) - 1) &&
			    (p == buf || p[-1] == 0)) {
				r = strdup(p + sizeof(key) - 1);
				break;
			}
	}
	free(buf);
	fclose(f);
	return r;
}

static int add(struct kmods *out, const char *dir, const char *name,
	       int depth, char *why, size_t whycap)
{
	char *deps, *save = NULL, *d, path[1024];
	size_t i;
	int r = 0;

	if (depth > 16) {
		snprintf(why, whycap, "module dependencies too deep at %s",
			 name);
		return -1;
	}
	looking_for = name;
	found[0] = 0;
	if (nftw(dir, visit, 16, FTW_PHYS) != 1) {
		snprintf(why, whycap, "no %s.ko under %s", name, dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s", found);
	for (i = 0; i < out->n; i++)
		if (!strcmp(out->path[i], path))
			return 0;
	deps = depends(path);
	for (d = deps ? strtok_r(deps, ",", &save) : NULL; d && !r;
	     d = strtok_r(NULL, ",", &save))
		r = add(out, dir, d, depth + 1, why, whycap);
	free(deps);
	if (r)
		return r;
	for (i = 0; i < out->n; i++)	/* a dependency may have added it */
		if (!strcmp(out->path[i], path))
			return 0;
	if (out->n == KMODS_MAX) {
		snprintf(why, whycap, "more than %d modules", KMODS_MAX);
		return -1;
	}
	snprintf(out->path[out->n++], sizeof(out->path[0]), "%s", path);
	return 0;
}

int kmods_resolve(struct kmods *out, const char *dir, const char *const *want,
		  char *why, size_t whycap)
{
	out->n = 0;
	for (; *want; want++)
		if (add(out, dir, *want, 0, why, whycap) < 0)
			return -1;
	return 0;
}

static int read_file(const char *path, struct initramfs_file *f)
{
	FILE *fp = fopen(path, "rb");
	void *p = NULL;
	long n = -1;

	if (fp && fseek(fp, 0, SEEK_END) == 0)
		n = ftell(fp);
	if (n >= 0) {
		rewind(fp);
		p = malloc((size_t)n + 1);
	}
	if (p && fread(p, 1, (size_t)n, fp) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (fp)
		fclose(fp);
	f->data = p;
	f->len = p ? (size_t)n : 0;
	return p ? 0 : -1;
}

int initramfs_build_mods(char *path, size_t cap, char *why, size_t whycap,
			 const char *kernel, const char *const *modules,
			 const struct initramfs_file *files, size_t nfiles,
			 const char *init)
{
	static struct kmods km;
	static char names[KMODS_MAX][32];
	struct initramfs_file f[KMODS_MAX + 1 + 16];
	const char *slash = strrchr(kernel, '/');
	char dir[1100];
	size_t i, n = 0;
	int r = -1;

	snprintf(dir, sizeof(dir), "%.*smodules",
		 slash ? (int)(slash + 1 - kernel) : 0, kernel);
	if (nfiles > 16) {
		snprintf(why, whycap, "more than 16 extra files");
		return -1;
	}
	if (kmods_resolve(&km, dir, modules, why, whycap) < 0)
		return -1;
	f[n++] = (struct initramfs_file){ "m", NULL, 0, 040755 };
	for (i = 0; i < km.n; i++, n++) {
		snprintf(names[i], sizeof(names[i]), "m/%02zu.ko", i);
		f[n] = (struct initramfs_file){ names[i], NULL, 0, 0100644 };
		if (read_file(km.path[i], &f[n]) < 0) {
			snprintf(why, whycap, "cannot read %s", km.path[i]);
			goto out;
		}
	}
	for (i = 0; i < nfiles; i++)
		f[n++] = files[i];
	r = initramfs_build_ex(path, cap, why, whycap, f, n, init);
out:
	for (i = 1; i <= km.n && i < n; i++)
		free((void *)(uintptr_t)f[i].data);
	return r;
}
