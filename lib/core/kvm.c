/* SPDX-License-Identifier: MIT */
/* The one place lib/ issues KVM ioctls from, and opening /dev/kvm. */
#include "../internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int lvm_ioctl_raw(int fd, unsigned long req, unsigned long arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

int lvm_ioctl_checked(int fd, unsigned long req, unsigned long arg,
		      const char *name)
{
	int r = lvm_ioctl_raw(fd, req, arg);

	if (r < 0)
		return lvm_err_errno(LIBVM_EKVM, -r, "%s (fd %d, arg %#lx)",
				     name, fd, arg);
	return r;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Open KVM, or say precisely why not and what to do about it. */
int lvm_open_kvm(const char *path)
{
	int fd, e, ver;

	if (!path)
		path = "/dev/kvm";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if ((e == ENOENT || e == ENODEV) &&
		    exists("/sys/module/kvm_pvm") &&
		    !exists("/sys/module/kvm_intel") &&
		    !exists("/sys/module/kvm_amd"))
			return lvm_err_errno(LIBVM_ENOKVM, e,
				"open %s: kvm_pvm is loaded but registered no "
				"device (this host kernel is itself a PVM "
				"guest); run on a host whose KVM binds "
				"(VT-x, AMD-V or a PVM host kernel)", path);
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return lvm_err_errno(LIBVM_ENOKVM, e,
				"open %s: load kvm_intel or kvm_amd (enable "
				"VT-x/AMD-V in the firmware) or kvm_pvm", path);
		if (e == EACCES || e == EPERM)
			return lvm_err_errno(LIBVM_ENOKVM, e,
				"open %s: add this user to the group that owns "
				"it (usually 'kvm') or run as root", path);
		return lvm_err_errno(LIBVM_ENOKVM, e, "open %s", path);
	}
	ver = lvm_ioctl_raw(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		close(fd);
		return lvm_err(LIBVM_ENOKVM,
			       "%s: KVM API version %d, libvm needs %d", path,
			       ver, KVM_API_VERSION);
	}
	return fd;
}
