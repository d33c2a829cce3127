/* SPDX-License-Identifier: MIT */
/* What the host's KVM offers. */
#include "../internal.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	long cap;
	uint64_t bit;
} cap_map[] = {
	{ KVM_CAP_SYNC_REGS, LIBVM_HOST_SYNC_REGS },
	{ KVM_CAP_IRQCHIP, LIBVM_HOST_IRQCHIP },
	{ KVM_CAP_PIT2, LIBVM_HOST_PIT },
	{ KVM_CAP_READONLY_MEM, LIBVM_HOST_READONLY_MEM },
	{ KVM_CAP_IMMEDIATE_EXIT, LIBVM_HOST_IMMEDIATE_EXIT },
	{ KVM_CAP_XSAVE, LIBVM_HOST_XSAVE },
	{ KVM_CAP_XCRS, LIBVM_HOST_XCRS },
	{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, LIBVM_HOST_DIRTY_LOG_PROTECT },
	{ KVM_CAP_DIRTY_LOG_RING, LIBVM_HOST_DIRTY_RING },
	{ KVM_CAP_IOEVENTFD, LIBVM_HOST_IOEVENTFD },
	{ KVM_CAP_IRQFD, LIBVM_HOST_IRQFD },
	{ KVM_CAP_SET_GUEST_DEBUG, LIBVM_HOST_GUEST_DEBUG },
	{ KVM_CAP_X86_USER_SPACE_MSR, LIBVM_HOST_USER_MSR_EXIT },
};

uint64_t lvm_probe_caps(int fd)
{
	uint64_t caps = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cap_map); i++)
		if (lvm_ioctl_raw(fd, KVM_CHECK_EXTENSION, cap_map[i].cap) > 0)
			caps |= cap_map[i].bit;
	return caps;
}

uint32_t lvm_host_phys_bits(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
	    __get_cpuid(0x80000008, &a, &b, &c, &d))
		return a & 0xff;
	return 36;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool hugepages_free(void)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");
	long n = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n > 0;
}

static void host_backend(libvm_host_info *out)
{
	const char *b = "unknown";

	out->supervisor = LIBVM_SUPERVISOR_UNKNOWN;
	if (exists("/sys/module/kvm_intel")) {
		b = "vmx";
		out->supervisor = LIBVM_SUPERVISOR_NATIVE;
	} else if (exists("/sys/module/kvm_amd")) {
		b = "svm";
		out->supervisor = LIBVM_SUPERVISOR_NATIVE;
	} else if (exists("/sys/module/kvm_pvm")) {
		b = "pvm";
		out->supervisor = LIBVM_SUPERVISOR_EMULATED;
	}
	snprintf(out->backend, sizeof(out->backend), "%s", b);
}

LVM_VERSIONED(info_type, libvm_host_info, LIBVM_HOST_INFO_VERSION,
	      LIBVM_HOST_INFO_INIT);

LIBVM_API int libvm_host_info_init(libvm_host_info *out, uint32_t version)
{
	return lvm_versioned_init(&info_type, out, version);
}

static int host_facts(libvm_host_info *out, const char *kvm_path);

LIBVM_API int libvm_host_query(libvm_host_info *out, const char *kvm_path)
{
	int r;

	libvm_host_info info = LIBVM_HOST_INFO_INIT;

	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_host_query: out is NULL");
	r = lvm_versioned_out(&info_type, out, &info);	/* zeroes it */
	if (r < 0)
		return r;
	r = host_facts(&info, kvm_path);
	lvm_versioned_out(&info_type, out, &info);
	return r;
}

static int host_facts(libvm_host_info *out, const char *kvm_path)
{
	int fd, r;

	host_backend(out);
	out->phys_bits = lvm_host_phys_bits();
	fd = lvm_kvm_get(kvm_path);
	if (fd < 0)
		return fd;
	out->kvm_api_version = KVM_API_VERSION;
	out->caps = lvm_probe_caps(fd);
	if (hugepages_free())
		out->caps |= LIBVM_HOST_HUGEPAGES;
	r = lvm_ioctl_raw(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	out->max_vcpus = r > 0 ? (uint32_t)r : 1;
	r = lvm_ioctl_raw(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	out->max_memslots = r > 0 ? (uint32_t)r : 32;
	r = lvm_ioctl_raw(fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (r > 0)
		out->xsave_size = (uint32_t)r;
	else if (out->caps & LIBVM_HOST_XSAVE)
		out->xsave_size = 4096;
	lvm_kvm_put(fd);
	return 0;
}
