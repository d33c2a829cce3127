/* SPDX-License-Identifier: MIT */
/*
 * Temporary directories of the tests: under $TMPDIR (default /tmp), named
 * libvm-NAME-XXXXXX, and removed with everything in them, without a shell.
 * Header-only: the KVM suites and the unit tests both include it.
 */
#ifndef LIBVM_TESTS_TMPDIR_H
#define LIBVM_TESTS_TMPDIR_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Make $TMPDIR/libvm-NAME-XXXXXX into buf (at least 4096 bytes). */
static inline void h_tmpdir(char *buf, size_t size, const char *name)
{
	const char *t = getenv("TMPDIR");

	cr_assert_lt((size_t)snprintf(buf, size, "%s/libvm-%s-XXXXXX",
				      t && *t ? t : "/tmp", name), size);
	cr_assert_not_null(mkdtemp(buf), "mkdtemp %s: %s", buf,
			   strerror(errno));
}

/* Remove path and, for a directory, what it holds; 0 or an errno. */
static inline int h_rm_path(const char *path)
{
	struct stat st;
	struct dirent *e;
	char sub[4096];
	DIR *d;
	int r = 0;

	if (lstat(path, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? errno : 0;
	d = opendir(path);
	if (!d)
		return errno;
	while (!r && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
				     e->d_name) >= sizeof(sub))
			r = ENAMETOOLONG;
		else
			r = h_rm_path(sub);
	}
	closedir(d);
	return r ? r : rmdir(path) < 0 ? errno : 0;
}

/* Remove dir and what it holds; "" is a no-op.  Clears dir. */
static inline void h_rmtree(char *dir)
{
	int e;

	if (!dir[0])
		return;
	e = h_rm_path(dir);
	cr_expect_eq(e, 0, "removing %s: %s", dir, strerror(e));
	dir[0] = 0;
}

#endif
