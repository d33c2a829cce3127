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

/*
 * KVM_GET_SUPPORTED_CPUID is constant for a host, so the first answer is
 * kept for the life of the process (a plain cache, no resources held).
 */
static pthread_mutex_t cpuid_lock = PTHREAD_MUTEX_INITIALIZER;
static libvm_cpuid_entry *cpuid_cache;
static uint32_t cpuid_count;

int lvm_supported_cpuid(const libvm_cpuid_entry **out, uint32_t *n,
			int kvm_fd)
{
	struct kvm_cpuid2 *c = NULL;
	uint32_t nent = 128;
	int r = 0;

	_Static_assert(sizeof(libvm_cpuid_entry) ==
		       sizeof(struct kvm_cpuid_entry2), "cpuid layout");
	pthread_mutex_lock(&cpuid_lock);
	while (!cpuid_cache) {
		free(c);
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c) {
			r = lvm_err(LIBVM_ENOMEM, "cpuid table");
			break;
		}
		c->nent = nent;
		r = lvm_ioctl_raw(kvm_fd, KVM_GET_SUPPORTED_CPUID,
				  (unsigned long)c);
		if (r == -E2BIG && nent < 4096) {
			nent *= 2;
			continue;
		}
		if (r < 0) {
			r = lvm_err_errno(LIBVM_EKVM, -r,
					  "KVM_GET_SUPPORTED_CPUID (nent %u)",
					  nent);
			break;
		}
		cpuid_cache = malloc(c->nent * sizeof(*cpuid_cache) + 1);
		if (!cpuid_cache) {
			r = lvm_err(LIBVM_ENOMEM, "cpuid table");
			break;
		}
		memcpy(cpuid_cache, c->entries,
		       c->nent * sizeof(*cpuid_cache));
		cpuid_count = c->nent;
		r = 0;
	}
	if (cpuid_cache) {
		*out = cpuid_cache;
		*n = cpuid_count;
	}
	pthread_mutex_unlock(&cpuid_lock);
	free(c);
	return r < 0 ? r : 0;
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

LIBVM_API int libvm_host_query(libvm_host_info *out, const char *kvm_path)
{
	int fd, r;

	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_host_query: out is NULL");
	if (out->version != LIBVM_HOST_INFO_VERSION)
		return lvm_err(LIBVM_EVERSION,
			       "libvm_host_info.version %u (this libvm knows 1)",
			       out->version);
	memset((char *)out + sizeof(out->version), 0,
	       sizeof(*out) - sizeof(out->version));
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
