/* SPDX-License-Identifier: MIT */
/*
 * Opening the files libvm reads (ELF images, snapshot files): regular files
 * only, found out without blocking.  A plain open() of a FIFO waits for a
 * writer, and other special files may block or act on open as well, so
 * the file is opened O_NONBLOCK, its type checked with fstat, and only
 * then made blocking again.
 */
#include "../internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a special file";
}

int lvm_open_regular(const char *path, const char *what, struct stat *st)
{
	int fd, fl;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "%s: open %s", what,
				     path);
	if (fstat(fd, st) < 0) {
		lvm_err_errno(LIBVM_EIO, errno, "%s: fstat %s", what, path);
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		lvm_err(LIBVM_EIO, "%s: %s is not a regular file (it is %s)",
			what, path, file_kind(st->st_mode));
		goto fail;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		lvm_err_errno(LIBVM_EIO, errno, "%s: fcntl %s", what, path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return LIBVM_EIO;
}
