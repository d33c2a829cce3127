/* SPDX-License-Identifier: MIT */
/*
 * Guest paths to host fds inside the root directory.  Every path is made
 * absolute in the guest's terms (cwd or the directory fd's path first),
 * then resolved from the root: openat2(RESOLVE_IN_ROOT), where ".." and
 * absolute symlinks stop at the root, or on kernels without openat2 a walk
 * one component at a time that does the same: "..", never above the root,
 * each symlink read and resolved from the root when absolute (at most 40),
 * and the last component opened with O_NOFOLLOW after it was checked.
 */
#define _GNU_SOURCE
#include "lp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LP_MAX_LINKS	40
#define LP_MAX_DEPTH	128

int lp_guest_path(libvm_linux *lp, int dirfd, const char *path,
		  char out[LP_PATH_MAX])
{
	const struct lp_state *st = lp->st;
	const char *base = "";
	size_t n, m;

	if (path[0] != '/') {
		if (dirfd == LP_AT_FDCWD) {
			base = st->cwd;
		} else {
			int f = dirfd >= 0 && dirfd < LP_MAX_FDS ? st->fd[dirfd]
								 : -1;

			if (f < 0)
				return -EBADF;
			if (st->files[f].kind != LP_F_DIR)
				return -ENOTDIR;
			base = st->files[f].path;
		}
	}
	n = strlen(base);
	m = strlen(path);
	if (n + 1 + m >= LP_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, base, n);
	out[n] = '/';
	memcpy(out + n + 1, path, m + 1);
	if (path[0] == '/')
		memmove(out, out + n + 1, m + 1);
	return 0;
}

/* One step of the walk: the next component of *rest, or NULL at the end. */
static const char *next_comp(char **rest, size_t *len)
{
	char *p = *rest;

	while (*p == '/')
		p++;
	if (!*p)
		return NULL;
	*len = strcspn(p, "/");
	*rest = p + *len;
	return p;
}

static bool only_slashes(const char *p)
{
	return p[strspn(p, "/")] == '\0';
}

struct walk {
	int fds[LP_MAX_DEPTH];	/* fds[0] is the root (not ours) */
	int depth;
	char rest[2 * LP_PATH_MAX];
	int links;
};

static void walk_pop_all(struct walk *w)
{
	while (w->depth > 0)
		close(w->fds[w->depth--]);
}

/* Put a symlink's target in front of what is left to walk. */
static int walk_follow(struct walk *w, int linkfd, const char *left)
{
	char target[LP_PATH_MAX];
	ssize_t n = readlinkat(linkfd, "", target, sizeof(target) - 1);
	size_t l = strlen(left);

	if (n < 0)
		return -errno;
	if (++w->links > LP_MAX_LINKS)
		return -ELOOP;
	if ((size_t)n + 1 + l >= sizeof(w->rest))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (target[0] == '/')
		walk_pop_all(w);
	memmove(w->rest + n + 1, left, l + 1);
	memcpy(w->rest, target, (size_t)n);
	w->rest[n] = '/';
	return 0;
}

static int walk(libvm_linux *lp, const char *rel, int flags, mode_t mode)
{
	struct walk w = { .fds = { lp->root_fd } };
	char name[LP_PATH_MAX];
	struct stat sb;
	const char *c;
	char *cur;
	size_t len;
	int fd, r = -ENOENT;

	if (strlen(rel) >= sizeof(w.rest))
		return -ENAMETOOLONG;
	strcpy(w.rest, rel);
	cur = w.rest;
	for (;;) {
		bool last;

		c = next_comp(&cur, &len);
		if (!c) {	/* the path named a directory on the stack */
			r = openat(w.fds[w.depth], ".", flags, mode);
			r = r < 0 ? -errno : r;
			break;
		}
		memcpy(name, c, len);
		name[len] = '\0';
		last = only_slashes(cur);
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			if (name[1] && w.depth > 0)
				close(w.fds[w.depth--]);
			if (!last)
				continue;
			r = openat(w.fds[w.depth], ".", flags, mode);
			r = r < 0 ? -errno : r;
			break;
		}
		fd = openat(w.fds[w.depth], name,
			    O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			if (r == -ENOENT && last && (flags & O_CREAT)) {
				r = openat(w.fds[w.depth], name,
					   flags | O_NOFOLLOW, mode);
				r = r < 0 ? -errno : r;
			}
			break;
		}
		if (fstat(fd, &sb) < 0) {
			r = -errno;
			close(fd);
			break;
		}
		if (S_ISLNK(sb.st_mode) &&
		    !(last && (flags & O_NOFOLLOW))) {
			/* cur points into w.rest: move it out of the way */
			char left[2 * LP_PATH_MAX];

			strcpy(left, cur);
			r = walk_follow(&w, fd, left);
			close(fd);
			if (r < 0)
				break;
			cur = w.rest;
			continue;
		}
		if (last) {
			if ((flags & O_PATH) && (flags & O_NOFOLLOW)) {
				r = fd;
				break;
			}
			close(fd);
			r = openat(w.fds[w.depth], name, flags | O_NOFOLLOW,
				   mode);
			r = r < 0 ? -errno : r;
			break;
		}
		if (!S_ISDIR(sb.st_mode) || w.depth + 1 >= LP_MAX_DEPTH) {
			close(fd);
			r = S_ISDIR(sb.st_mode) ? -ENAMETOOLONG : -ENOTDIR;
			break;
		}
		w.fds[++w.depth] = fd;
	}
	walk_pop_all(&w);
	return r;
}

int lp_open_in_root(libvm_linux *lp, const char *gpath, int flags,
		    unsigned int mode)
{
	const char *rel = gpath + strspn(gpath, "/");
	/* O_PATH takes no other flags but these (openat2 checks) */
	int extra = (flags & O_PATH) ? 0 : O_NOCTTY;
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC | (uint64_t)extra,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (lp->root_fd < 0)
		return -ENOENT;
	if (!*rel)
		rel = ".";
	if (!lp->no_openat2 && !(lp->cfg.flags & LIBVM_LINUX_NO_OPENAT2)) {
		fd = syscall(SYS_openat2, lp->root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return -errno;
		lp->no_openat2 = true;
	}
	return walk(lp, rel, flags | O_CLOEXEC | extra, mode);
}
