/* SPDX-License-Identifier: MIT */
/*
 * The Linux tests' initramfs, built by the test itself: a cpio archive
 * (newc) of busybox-static and an init script, compressed with zlib
 * (gzip framing, which Linux's initramfs unpacker reads).  The init
 * mounts /proc, /sys and /dev, writes the boot marker (port 0xf6 through
 * /dev/port), prints "LIBVM-INIT", uname -r, the online CPU count and
 * the date, then does what the kernel parameter libvm_test says:
 *   poweroff (default)  poweroff -f
 *   exit                a debug exit through port 0xf4 with value 0
 *   shell               "LIBVM-SHELL" and an interactive shell on the
 *                       serial port (the test types; poweroff ends it)
 */
#ifndef LIBVM_TESTS_INITRAMFS_H
#define LIBVM_TESTS_INITRAMFS_H

#include <stddef.h>

/* The busybox it packs (Debian's busybox-static). */
#define INITRAMFS_BUSYBOX "/bin/busybox"

/*
 * Write the compressed archive to a new file under $TMPDIR (or /tmp) and
 * return its path in path (cap bytes); 0, or -1 with errno-style reason
 * in why.  The caller unlinks it.
 */
int initramfs_build(char *path, size_t cap, char *why, size_t whycap);

/*
 * How an init script starts: busybox's applets, /proc, /sys and /dev;
 * INITRAMFS_INSMOD loads the modules initramfs_build_mods packed.
 */
#define INITRAMFS_PROLOGUE \
	"#!/bin/busybox sh\n" \
	"/bin/busybox --install -s /bin\n" \
	"export PATH=/bin\n" \
	"mount -t proc proc /proc\n" \
	"mount -t sysfs sysfs /sys\n" \
	"mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
#define INITRAMFS_INSMOD \
	"for m in /m/*.ko; do insmod $m || echo \"INSMOD-FAIL $m\"; done\n"

/* A file or directory (data NULL) added to the archive. */
struct initramfs_file {
	const char *name;	/* path inside, no leading '/' */
	const void *data;
	size_t len;
	unsigned mode;		/* 0100644, 0100755, 040755, ... */
};

/*
 * The same archive with extra files, and init_script as /init instead
 * of the default one (NULL keeps it).
 */
int initramfs_build_ex(char *path, size_t cap, char *why, size_t whycap,
		       const struct initramfs_file *files, size_t nfiles,
		       const char *init_script);

/*
 * initramfs_build_ex with the modules named in modules (NULL-terminated)
 * and those they depend on, from the modules/ tree next to kernel (the
 * vmlinuz in scripts/debian-kernel's cache), as /m/NN.ko in load order
 * (tests/kmods.c).
 */
int initramfs_build_mods(char *path, size_t cap, char *why, size_t whycap,
			 const char *kernel, const char *const *modules,
			 const struct initramfs_file *files, size_t nfiles,
			 const char *init_script);

/* The kernel command line for a test: console, and libvm_test=mode. */
#define LINUX_CMDLINE(mode) \
	"console=ttyS0 panic=-1 libvm_test=" mode

#endif
