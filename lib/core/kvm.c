/* SPDX-License-Identifier: MIT */
/*
 * The one place lib/ issues KVM ioctls from, and opening /dev/kvm: one
 * descriptor per process and path, shared by every VM (and host query)
 * that uses that path and closed when the last of them lets it go.
 */
#include "../internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
		/* A path of the caller's: the host's modules say nothing. */
		if (strcmp(path, "/dev/kvm"))
			return lvm_err_errno(LIBVM_ENOKVM, e, "open %s", path);
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

struct kvm_dev {
	char *path;
	int fd;
	uint32_t users;
};

static pthread_mutex_t kvm_devs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kvm_dev *kvm_devs;
static uint32_t nkvm_devs, kvm_devs_cap;

int lvm_kvm_get(const char *path)
{
	struct kvm_dev *d;
	uint32_t i;
	int fd;

	if (!path)
		path = "/dev/kvm";
	pthread_mutex_lock(&kvm_devs_lock);
	for (i = 0; i < nkvm_devs; i++)
		if (!strcmp(kvm_devs[i].path, path)) {
			kvm_devs[i].users++;
			fd = kvm_devs[i].fd;
			goto out;
		}
	if (nkvm_devs == kvm_devs_cap) {
		uint32_t cap = kvm_devs_cap ? 2 * kvm_devs_cap : 4;

		d = realloc(kvm_devs, cap * sizeof(*d));
		if (!d) {
			fd = lvm_err(LIBVM_ENOMEM, "KVM device table");
			goto out;
		}
		kvm_devs = d;
		kvm_devs_cap = cap;
	}
	d = &kvm_devs[nkvm_devs];
	d->path = strdup(path);
	if (!d->path) {
		fd = lvm_err(LIBVM_ENOMEM, "KVM device table");
		goto out;
	}
	fd = lvm_open_kvm(path);
	if (fd < 0) {
		free(d->path);
		goto out;
	}
	d->fd = fd;
	d->users = 1;
	nkvm_devs++;
out:
	pthread_mutex_unlock(&kvm_devs_lock);
	return fd;
}

void lvm_kvm_put(int fd)
{
	uint32_t i;

	pthread_mutex_lock(&kvm_devs_lock);
	for (i = 0; i < nkvm_devs; i++) {
		if (kvm_devs[i].fd != fd || --kvm_devs[i].users)
			continue;
		close(fd);
		free(kvm_devs[i].path);
		kvm_devs[i] = kvm_devs[--nkvm_devs];
		if (!nkvm_devs) {	/* nothing held while no VM lives */
			free(kvm_devs);
			kvm_devs = NULL;
			kvm_devs_cap = 0;
		}
		break;
	}
	pthread_mutex_unlock(&kvm_devs_lock);
}
