/* SPDX-License-Identifier: MIT */
/*
 * The program's file descriptors: fds 0-2 on host fds the caller chose,
 * files and directories under the root directory.  Offsets live in the
 * state (file I/O is pread/pwrite at them), so a snapshot holds them and a
 * restore or fork reopens each file by its guest path at its offset.
 */
#define _GNU_SOURCE
#include "lp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define LP_AT_EMPTY_PATH	0x1000
#define LP_AT_SYMLINK_NOFOLLOW	0x100
#define LP_IOV_MAX		1024
#define LP_IO_MAX		0x7ffff000ull	/* Linux's MAX_RW_COUNT */

static struct lp_file *fd_file(libvm_linux *lp, uint64_t fd, int *idx)
{
	int f = fd < LP_MAX_FDS ? lp->st->fd[fd] : -1;

	if (f < 0 || f >= LP_MAX_FILES || lp->st->files[f].kind == LP_F_NONE)
		return NULL;
	if (idx)
		*idx = f;
	return &lp->st->files[f];
}

/* The host fd behind a guest file, -1 if none. */
static int host_fd(libvm_linux *lp, const struct lp_file *f, int idx)
{
	if (f->kind != LP_F_STDIO)
		return lp->host[idx];
	if (f->stdio == 0)
		return lp->cfg.stdin_fd;
	return f->stdio == 1 ? lp->cfg.stdout_fd : lp->cfg.stderr_fd;
}

static int new_fd(libvm_linux *lp, uint64_t min)
{
	uint64_t i;

	for (i = min; i < LP_MAX_FDS; i++)
		if (lp->st->fd[i] < 0)
			return (int)i;
	return -EMFILE;
}

static void file_put(libvm_linux *lp, int idx)
{
	struct lp_file *f = &lp->st->files[idx];

	if (f->refs > 1) {
		f->refs--;
		return;
	}
	if (lp->host[idx] >= 0)
		close(lp->host[idx]);
	lp->host[idx] = -1;
	memset(f, 0, sizeof(*f));
}

void lp_fs_init(libvm_linux *lp)
{
	struct lp_state *st = lp->st;
	int i;

	for (i = 0; i < LP_MAX_FILES; i++)
		lp->host[i] = -1;
	for (i = 0; i < LP_MAX_FDS; i++)
		st->fd[i] = -1;
	for (i = 0; i < 3; i++) {
		st->files[i].kind = LP_F_STDIO;
		st->files[i].refs = 1;
		st->files[i].stdio = (uint32_t)i;
		st->files[i].oflags = i ? O_WRONLY : O_RDONLY;
		st->fd[i] = (int16_t)i;
	}
	strcpy(st->cwd, "/");
}

void lp_fs_close_all(libvm_linux *lp)
{
	int i;

	for (i = 0; i < LP_MAX_FILES; i++) {
		if (lp->host[i] >= 0)
			close(lp->host[i]);
		lp->host[i] = -1;
	}
}

void lp_fs_reopen(libvm_linux *lp)
{
	int i, fd, fl;

	lp_fs_close_all(lp);
	for (i = 0; i < LP_MAX_FILES; i++) {
		struct lp_file *f = &lp->st->files[i];

		f->path[LP_PATH_MAX - 1] = '\0';
		if (f->kind != LP_F_FILE && f->kind != LP_F_DIR)
			continue;
		fl = f->oflags & ~(O_CREAT | O_EXCL | O_TRUNC);
		fd = lp_open_in_root(lp, f->path, fl | O_NONBLOCK, 0);
		if (fd < 0)
			continue;	/* gone: its I/O fails with EBADF */
		if (f->kind == LP_F_DIR)
			lseek(fd, (off_t)f->off, SEEK_SET);
		lp->host[i] = fd;
	}
}

/* ---- open, close, dup ---- */

#define LP_OPEN_OK (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | \
		    O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | \
		    O_CLOEXEC | O_LARGEFILE | O_PATH | O_NOATIME)

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static int64_t sys_openat(libvm_linux *lp, int dirfd, uint64_t upath,
			  int flags, unsigned int mode)
{
	char gp[LP_PATH_MAX];
	struct stat sb;
	const char *path;
	int64_t err;
	int fd, f, gfd, r;

	path = lp_ustr(lp, upath, LP_PATH_MAX, &err);
	if (!path)
		return err;
	if (flags & ~LP_OPEN_OK)
		return -EINVAL;
	if (writes(flags) && !(lp->cfg.flags & LIBVM_LINUX_ROOT_WRITABLE))
		return -EROFS;
	if (!*path)
		return -ENOENT;
	r = lp_guest_path(lp, dirfd, path, gp);
	if (r < 0)
		return r;
	gfd = new_fd(lp, 0);
	for (f = 0; f < LP_MAX_FILES && lp->st->files[f].kind; f++)
		;
	if (gfd < 0 || f == LP_MAX_FILES)
		return -EMFILE;
	/* O_NONBLOCK: a FIFO in the root must not block the open. */
	fd = lp_open_in_root(lp, gp, (flags & ~O_CLOEXEC) | O_NONBLOCK, mode);
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0 ||
	    (!(flags & O_PATH) && !S_ISREG(sb.st_mode) &&
	     !S_ISDIR(sb.st_mode))) {
		close(fd);
		return -EACCES;	/* devices, FIFOs, sockets stay out */
	}
	lp->host[f] = fd;
	lp->st->files[f] = (struct lp_file){
		.kind = S_ISDIR(sb.st_mode) ? LP_F_DIR : LP_F_FILE,
		.refs = 1, .oflags = flags,
	};
	memcpy(lp->st->files[f].path, gp, sizeof(gp));
	lp->st->fd[gfd] = (int16_t)f;
	lp->st->cloexec[gfd] = !!(flags & O_CLOEXEC);
	return gfd;
}

static int64_t sys_close(libvm_linux *lp, uint64_t fd)
{
	int idx;

	if (!fd_file(lp, fd, &idx))
		return -EBADF;
	lp->st->fd[fd] = -1;
	file_put(lp, idx);
	return 0;
}

/* dup, dup2, dup3, F_DUPFD: newfd < 0 means the lowest free >= min. */
static int64_t dup_to(libvm_linux *lp, uint64_t fd, int64_t newfd,
		      uint64_t min, bool cloexec)
{
	int idx;

	if (!fd_file(lp, fd, &idx))
		return -EBADF;
	if (newfd < 0) {
		newfd = new_fd(lp, min);
		if (newfd < 0)
			return newfd;
	} else if (newfd >= LP_MAX_FDS) {
		return -EBADF;
	} else if ((uint64_t)newfd == fd) {
		return newfd;
	} else if (lp->st->fd[newfd] >= 0) {
		sys_close(lp, (uint64_t)newfd);
	}
	lp->st->files[idx].refs++;
	lp->st->fd[newfd] = (int16_t)idx;
	lp->st->cloexec[newfd] = cloexec;
	return newfd;
}

#define LP_F_DUPFD		0
#define LP_F_GETFD		1
#define LP_F_SETFD		2
#define LP_F_GETFL		3
#define LP_F_SETFL		4
#define LP_F_DUPFD_CLOEXEC	1030

static int64_t sys_fcntl(libvm_linux *lp, uint64_t fd, uint64_t cmd,
			 uint64_t arg)
{
	struct lp_file *f = fd_file(lp, fd, NULL);

	if (!f)
		return -EBADF;
	switch (cmd) {
	case LP_F_DUPFD:
	case LP_F_DUPFD_CLOEXEC:
		if (arg >= LP_MAX_FDS)
			return -EINVAL;
		return dup_to(lp, fd, -1, arg, cmd == LP_F_DUPFD_CLOEXEC);
	case LP_F_GETFD:
		return lp->st->cloexec[fd];
	case LP_F_SETFD:
		lp->st->cloexec[fd] = arg & 1;
		return 0;
	case LP_F_GETFL:
		return f->oflags & ~O_CLOEXEC;
	case LP_F_SETFL:
		f->oflags = (f->oflags & ~(O_APPEND | O_NONBLOCK)) |
			    (int32_t)(arg & (O_APPEND | O_NONBLOCK));
		return 0;
	}
	return -EINVAL;
}

/* ---- reading and writing ---- */

static int64_t do_io(libvm_linux *lp, uint64_t fd, uint64_t buf,
		     uint64_t len, bool write, int64_t at)
{
	struct lp_file *f;
	ssize_t n;
	void *p;
	int idx, h;

	f = fd_file(lp, fd, &idx);
	if (!f)
		return -EBADF;
	if (f->kind == LP_F_DIR)
		return write ? -EBADF : -EISDIR;
	if ((f->oflags & O_ACCMODE) == (write ? O_RDONLY : O_WRONLY) ||
	    (f->oflags & O_PATH))
		return -EBADF;
	h = host_fd(lp, f, idx);
	if (h < 0)
		return -EBADF;
	if (len > LP_IO_MAX)
		len = LP_IO_MAX;
	p = lp_uptr(lp, buf, len, !write);
	if (!p)
		return -EFAULT;
	if (f->kind == LP_F_STDIO && at < 0)
		n = write ? (ssize_t)writev(h, &(struct iovec){ p, len }, 1)
			  : read(h, p, len);
	else if (write && (f->oflags & O_APPEND))
		n = pwrite(h, p, len, 0);	/* appends: Linux's O_APPEND */
	else
		n = write ? pwrite(h, p, len, at < 0 ? (off_t)f->off : at)
			  : pread(h, p, len, at < 0 ? (off_t)f->off : at);
	if (n < 0)
		return -errno;
	if (f->kind == LP_F_FILE && at < 0) {
		if (write && (f->oflags & O_APPEND))
			f->off = (uint64_t)lseek(h, 0, SEEK_END);
		else
			f->off += (uint64_t)n;
	}
	return n;
}

static int64_t do_iov(libvm_linux *lp, uint64_t fd, uint64_t uiov,
		      uint64_t cnt, bool write)
{
	const struct iovec *iov;
	int64_t total = 0, n;
	uint64_t i;

	if (cnt > LP_IOV_MAX)
		return -EINVAL;
	iov = lp_uptr(lp, uiov, cnt * sizeof(*iov), false);
	if (!iov && cnt)
		return -EFAULT;
	for (i = 0; i < cnt; i++) {
		struct iovec v = iov[i];

		if (!v.iov_len)
			continue;
		n = do_io(lp, fd, (uint64_t)(uintptr_t)v.iov_base, v.iov_len,
			  write, -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < v.iov_len)
			break;
	}
	return total;
}

#define LP_SEEK_SET 0
#define LP_SEEK_CUR 1
#define LP_SEEK_END 2

static int64_t sys_lseek(libvm_linux *lp, uint64_t fd, int64_t off, int how)
{
	struct lp_file *f;
	struct stat sb;
	int64_t base;
	int idx;

	f = fd_file(lp, fd, &idx);
	if (!f)
		return -EBADF;
	if (f->kind == LP_F_STDIO)
		return -ESPIPE;
	if (f->kind == LP_F_DIR) {
		if (how != LP_SEEK_SET || off < 0 || lp->host[idx] < 0 ||
		    lseek(lp->host[idx], off, SEEK_SET) < 0)
			return -EINVAL;
		f->off = (uint64_t)off;
		return off;
	}
	if (how == LP_SEEK_SET) {
		base = 0;
	} else if (how == LP_SEEK_CUR) {
		base = (int64_t)f->off;
	} else if (how == LP_SEEK_END) {
		if (lp->host[idx] < 0 || fstat(lp->host[idx], &sb) < 0)
			return -EBADF;
		base = sb.st_size;
	} else {
		return -EINVAL;
	}
	if (off < -base || (off > 0 && base > INT64_MAX - off))
		return -EINVAL;
	f->off = (uint64_t)(base + off);
	return (int64_t)f->off;
}

static int64_t sys_getdents64(libvm_linux *lp, uint64_t fd, uint64_t buf,
			      uint64_t len)
{
	struct lp_file *f;
	long n;
	void *p;
	int idx;

	f = fd_file(lp, fd, &idx);
	if (!f)
		return -EBADF;
	if (f->kind != LP_F_DIR || lp->host[idx] < 0)
		return -ENOTDIR;
	if (len > (1u << 20))
		len = 1u << 20;
	p = lp_uptr(lp, buf, len, true);
	if (!p)
		return -EFAULT;
	n = syscall(SYS_getdents64, lp->host[idx], p, (size_t)len);
	if (n < 0)
		return -errno;
	f->off = (uint64_t)lseek(lp->host[idx], 0, SEEK_CUR);
	return n;
}

/* ---- metadata ---- */

static int64_t put_stat(libvm_linux *lp, uint64_t ubuf, int fd)
{
	struct stat sb, *out;

	if (fstat(fd, &sb) < 0)
		return -errno;
	out = lp_uptr(lp, ubuf, sizeof(*out), true);
	if (!out)
		return -EFAULT;
	*out = sb;	/* glibc's x86-64 struct stat is the kernel's */
	return 0;
}

/* Open a guest path for its metadata only (O_PATH). */
static int open_meta(libvm_linux *lp, int dirfd, uint64_t upath, bool follow,
		     int64_t *err)
{
	char gp[LP_PATH_MAX];
	const char *path = lp_ustr(lp, upath, LP_PATH_MAX, err);
	int r;

	if (!path)
		return -1;
	r = *path ? lp_guest_path(lp, dirfd, path, gp) : -ENOENT;
	if (r >= 0)
		r = lp_open_in_root(lp, gp, O_PATH | (follow ? 0 : O_NOFOLLOW),
				    0);
	*err = r;
	return r;
}

static int64_t sys_fstat(libvm_linux *lp, uint64_t fd, uint64_t ubuf)
{
	const struct lp_file *f;
	int idx;

	f = fd_file(lp, fd, &idx);
	if (!f || host_fd(lp, f, idx) < 0)
		return -EBADF;
	return put_stat(lp, ubuf, host_fd(lp, f, idx));
}

static int64_t sys_fstatat(libvm_linux *lp, int64_t dirfd, uint64_t upath,
			   uint64_t ubuf, uint64_t flags)
{
	const char *path;
	int64_t err;
	int fd;

	if (flags & LP_AT_EMPTY_PATH) {
		path = lp_ustr(lp, upath, LP_PATH_MAX, &err);
		if (!path)
			return err;
		if (!*path && dirfd != LP_AT_FDCWD)
			return sys_fstat(lp, (uint64_t)dirfd, ubuf);
		if (!*path) {
			char cwd[LP_PATH_MAX];

			memcpy(cwd, lp->st->cwd, sizeof(cwd));
			fd = lp_open_in_root(lp, cwd, O_PATH, 0);
			if (fd < 0)
				return fd;
			err = put_stat(lp, ubuf, fd);
			close(fd);
			return err;
		}
	}
	fd = open_meta(lp, (int)dirfd, upath,
		       !(flags & LP_AT_SYMLINK_NOFOLLOW), &err);
	if (fd < 0)
		return err;
	err = put_stat(lp, ubuf, fd);
	close(fd);
	return err;
}

static int64_t sys_readlinkat(libvm_linux *lp, int64_t dirfd, uint64_t upath,
			      uint64_t ubuf, uint64_t len)
{
	char target[LP_PATH_MAX];
	const char *path;
	int64_t err;
	ssize_t n;
	char *out;
	int fd;

	path = lp_ustr(lp, upath, LP_PATH_MAX, &err);
	if (!path)
		return err;
	if (!strcmp(path, "/proc/self/exe")) {
		n = (ssize_t)strlen(lp->st->execfn);
		memcpy(target, lp->st->execfn, (size_t)n);
	} else {
		fd = open_meta(lp, (int)dirfd, upath, false, &err);
		if (fd < 0)
			return err;
		n = readlinkat(fd, "", target, sizeof(target));
		err = -errno;
		close(fd);
		if (n < 0)
			return err == -ENOENT ? -EINVAL : err;
	}
	if (!len)
		return -EINVAL;
	n = (uint64_t)n < len ? n : (ssize_t)len;
	out = lp_uptr(lp, ubuf, (uint64_t)n, true);
	if (!out)
		return -EFAULT;
	memcpy(out, target, (size_t)n);
	return n;
}

#define LP_W_OK 2

static int64_t sys_faccessat(libvm_linux *lp, int64_t dirfd, uint64_t upath,
			     uint64_t mode)
{
	int64_t err;
	int fd = open_meta(lp, (int)dirfd, upath, true, &err);

	if (fd < 0)
		return err;
	close(fd);
	if ((mode & LP_W_OK) && !(lp->cfg.flags & LIBVM_LINUX_ROOT_WRITABLE))
		return -EROFS;
	return 0;
}

static int64_t sys_getcwd(libvm_linux *lp, uint64_t ubuf, uint64_t len)
{
	size_t n = strlen(lp->st->cwd) + 1;
	char *out;

	if (len < n)
		return -ERANGE;
	out = lp_uptr(lp, ubuf, n, true);
	if (!out)
		return -EFAULT;
	memcpy(out, lp->st->cwd, n);
	return (int64_t)n;
}

/* Lexically clean an absolute path: no ".", "..", or double slashes. */
static void clean_path(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		size_t n;

		while (*in == '/')
			in++;
		n = strcspn(in, "/");
		if (!n)
			break;
		if (n == 1 && in[0] == '.') {
			in += n;
			continue;
		}
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
			in += n;
			continue;
		}
		*out++ = '/';
		memmove(out, in, n);
		out += n, in += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

static int64_t sys_chdir(libvm_linux *lp, int dirfd, uint64_t upath)
{
	char gp[LP_PATH_MAX];
	const char *path;
	struct stat sb;
	int64_t err;
	int fd, r;

	path = lp_ustr(lp, upath, LP_PATH_MAX, &err);
	if (!path)
		return err;
	r = *path ? lp_guest_path(lp, dirfd, path, gp) : -ENOENT;
	if (r < 0)
		return r;
	fd = lp_open_in_root(lp, gp, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	r = fstat(fd, &sb) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	clean_path(gp);
	memcpy(lp->st->cwd, gp, sizeof(gp));
	return 0;
}

/*
 * poll: files and directories are always ready; fds on the caller's host
 * fds are polled on the host (at once if a file is ready).
 */
static int64_t sys_poll(libvm_linux *lp, uint64_t ufds, uint64_t n,
			int64_t timeout)
{
	struct pollfd host[LP_MAX_FDS], *g;
	int map[LP_MAX_FDS], nh = 0, ready = 0, r, idx;
	uint64_t i;

	if (n > LP_MAX_FDS)
		return -EINVAL;
	g = lp_uptr(lp, ufds, n * sizeof(*g), true);
	if (!g && n)
		return -EFAULT;
	for (i = 0; i < n; i++) {
		const struct lp_file *f = g[i].fd < 0 ? NULL :
			fd_file(lp, (uint64_t)g[i].fd, &idx);

		g[i].revents = 0;
		if (g[i].fd < 0)
			continue;
		if (!f || host_fd(lp, f, idx) < 0) {
			g[i].revents = POLLNVAL;
		} else if (f->kind != LP_F_STDIO) {
			g[i].revents = g[i].events & (POLLIN | POLLOUT |
						      POLLRDNORM | POLLWRNORM);
		} else {
			host[nh] = (struct pollfd){ host_fd(lp, f, idx),
						    g[i].events, 0 };
			map[nh++] = (int)i;
			continue;
		}
		ready += !!g[i].revents;
	}
	if (nh) {
		r = poll(host, (nfds_t)nh, ready ? 0 : (int)timeout);
		if (r < 0)
			return ready ? ready : -errno;
		for (r = 0; r < nh; r++) {
			g[map[r]].revents = host[r].revents;
			ready += !!host[r].revents;
		}
	}
	return ready;
}

/* ---- dispatch ---- */

int64_t lp_sys_fs(libvm_linux *lp, uint64_t nr, const uint64_t a[6],
		  bool *served)
{
	int fd = (int)a[0];

	*served = true;
	switch (nr) {
	case 0:		return do_io(lp, a[0], a[1], a[2], false, -1);
	case 1:		return do_io(lp, a[0], a[1], a[2], true, -1);
	case 2:		return sys_openat(lp, LP_AT_FDCWD, a[0], (int)a[1],
					  (unsigned int)a[2]);
	case 3:		return sys_close(lp, a[0]);
	case 4:		return sys_fstatat(lp, LP_AT_FDCWD, a[0], a[1], 0);
	case 5:		return sys_fstat(lp, a[0], a[1]);
	case 6:		return sys_fstatat(lp, LP_AT_FDCWD, a[0], a[1],
					   LP_AT_SYMLINK_NOFOLLOW);
	case 7:		return sys_poll(lp, a[0], a[1], (int64_t)(int)a[2]);
	case 8:		return sys_lseek(lp, a[0], (int64_t)a[1], (int)a[2]);
	case 16:	return fd_file(lp, a[0], NULL) ? -ENOTTY : -EBADF;
	case 17:	return (int64_t)a[3] < 0 ? -EINVAL :
			       do_io(lp, a[0], a[1], a[2], false, (int64_t)a[3]);
	case 18:	return (int64_t)a[3] < 0 ? -EINVAL :
			       do_io(lp, a[0], a[1], a[2], true, (int64_t)a[3]);
	case 19:	return do_iov(lp, a[0], a[1], a[2], false);
	case 20:	return do_iov(lp, a[0], a[1], a[2], true);
	case 21:	return sys_faccessat(lp, LP_AT_FDCWD, a[0], a[1]);
	case 32:	return dup_to(lp, a[0], -1, 0, false);
	case 33:	return (int)a[1] < 0 ? -EBADF :
			       dup_to(lp, a[0], (int)a[1], 0, false);
	case 72:	return sys_fcntl(lp, a[0], a[1], a[2]);
	case 79:	return sys_getcwd(lp, a[0], a[1]);
	case 80:	return sys_chdir(lp, LP_AT_FDCWD, a[0]);
	case 89:	return sys_readlinkat(lp, LP_AT_FDCWD, a[0], a[1], a[2]);
	case 217:	return sys_getdents64(lp, a[0], a[1], a[2]);
	case 257:	return sys_openat(lp, fd, a[1], (int)a[2],
					  (unsigned int)a[3]);
	case 262:	return sys_fstatat(lp, fd, a[1], a[2], a[3]);
	case 267:	return sys_readlinkat(lp, fd, a[1], a[2], a[3]);
	case 269:
	case 439:	return sys_faccessat(lp, fd, a[1], a[2]);
	case 292:
		if (a[0] == a[1])
			return -EINVAL;
		if ((int)a[1] < 0)
			return -EBADF;
		return dup_to(lp, a[0], (int)a[1], 0,
			      a[2] & O_CLOEXEC);
	}
	*served = false;
	return -ENOSYS;
}
