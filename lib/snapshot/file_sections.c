/* SPDX-License-Identifier: MIT */
/* Reading the VM, VCPU, IRQCHIP, PIT and DEVICE sections. */
#define _GNU_SOURCE
#include "format.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The VM section's fields against the format and each other, so that a
 * file that loads also forks and restores: each check names its field.
 */
static int check_vm(const struct sec *sec, const libvm_snapshot *s,
		    uint32_t has, uint32_t active)
{
	const uint32_t chip = LIBVM_VM_IRQCHIP, pit = LIBVM_VM_PIT;
	const char *why;

	if (s->vm_flags & ~(chip | pit))
		return lvm_sf_bad(sec, "VM flags %#x: unknown bits %#x",
				  s->vm_flags, s->vm_flags & ~(chip | pit));
	if ((s->vm_flags & pit) && !(s->vm_flags & chip))
		return lvm_sf_bad(sec, "VM flags %#x: LIBVM_VM_PIT without "
				  "LIBVM_VM_IRQCHIP", s->vm_flags);
	if (!(s->vm_flags & chip) != !(has & VM_HAS_IRQCHIP))
		return lvm_sf_bad(sec, "VM flags %#x and state bits %#x "
				  "disagree: LIBVM_VM_IRQCHIP needs an IRQCHIP "
				  "section and the section needs the flag",
				  s->vm_flags, has);
	if (!(s->vm_flags & pit) != !(has & VM_HAS_PIT))
		return lvm_sf_bad(sec, "VM flags %#x and state bits %#x "
				  "disagree: LIBVM_VM_PIT needs a PIT section "
				  "and the section needs the flag", s->vm_flags,
				  has);
	if (!lvm_kick_signal_ok(s->kick_signal))
		return lvm_sf_bad(sec, "kick signal %d: want SIGUSR1 (%d), "
				  "SIGUSR2 (%d) or SIGRTMIN..SIGRTMAX (%d..%d)",
				  s->kick_signal, SIGUSR1, SIGUSR2, SIGRTMIN,
				  SIGRTMAX);
	if (active > 1)
		return lvm_sf_bad(sec, "runtime active %u (want 0 or 1)",
				  active);
	if (s->rt.flags & ~LVM_SF_RT_FLAGS)
		return lvm_sf_bad(sec, "runtime flags %#x: unknown bits",
				  s->rt.flags);
	why = s->rt.xcr0 ? lvm_x86_xcr0_check(s->rt.xcr0) : NULL;
	if (why)
		return lvm_sf_bad(sec, "runtime XCR0 %#llx: %s",
				  (unsigned long long)s->rt.xcr0, why);
	return 0;
}

int lvm_sf_load_vm(struct rd *r, libvm_snapshot *s, struct vm_info *vi)
{
	uint64_t left, need;
	uint32_t active;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = lvm_sf_section(r, &sec, SEC_VM, VM_PAYLOAD, VM_PAYLOAD, &b, &c);
	if (ret < 0)
		return ret;
	s->vm_flags = lvm_sf_cur_u32(&c);
	s->kick_signal = (int32_t)lvm_sf_cur_u32(&c);
	vi->nregions = lvm_sf_cur_u32(&c);
	vi->nvcpus = lvm_sf_cur_u32(&c);
	vi->ndevs = lvm_sf_cur_u32(&c);
	vi->has = lvm_sf_cur_u32(&c);
	active = lvm_sf_cur_u32(&c);
	s->rt.active = active != 0;
	s->rt.flags = lvm_sf_cur_u32(&c);
	s->rt.sys_gpa = lvm_sf_cur_u64(&c);
	s->rt.xcr0 = lvm_sf_cur_u64(&c);
	s->rt.scratch_gpa = lvm_sf_cur_u64(&c);
	s->rt.scratch_size = lvm_sf_cur_u64(&c);
	s->rt.scratch_used = lvm_sf_cur_u64(&c);
	free(b);
	s->rt.console = NULL;
	s->rt.console_opaque = NULL;
	if (vi->nregions > LIBVM_MAX_REGIONS || vi->nvcpus > MAX_VCPUS ||
	    vi->ndevs > MAX_DEVS)
		return lvm_sf_bad(&sec, "%u regions, %u vCPUs, %u devices: "
				  "limits are %u, %u, %u", vi->nregions,
				  vi->nvcpus, vi->ndevs, LIBVM_MAX_REGIONS,
				  MAX_VCPUS, MAX_DEVS);
	if (vi->has & ~(VM_HAS_IRQCHIP | VM_HAS_PIT))
		return lvm_sf_bad(&sec, "unknown state bits %#x", vi->has);
	ret = check_vm(&sec, s, vi->has, active);
	if (ret < 0)
		return ret;
	/* The smallest file these counts need, before allocating for them. */
	need = (uint64_t)vi->nvcpus * (SF_SEC_SIZE + VCPU_FIXED) +
	       (uint64_t)vi->ndevs * (SF_SEC_SIZE + DEVICE_FIXED) +
	       (uint64_t)vi->nregions * (2 * SF_SEC_SIZE + REGION_FIXED + 8) +
	       SF_SEC_SIZE;
	left = r->size - r->off;
	if (need > left)
		return lvm_sf_bad(&sec, "%u vCPUs, %u devices and %u regions "
				  "need at least %llu more bytes, the file has "
				  "%llu", vi->nvcpus, vi->ndevs, vi->nregions,
				  (unsigned long long)need,
				  (unsigned long long)left);
	return 0;
}

/* A vCPU's flags, XCRs and XSAVE size against the format and the VM. */
static int check_vcpu(const struct sec *sec, const libvm_snapshot *s,
		      const struct lvm_vcpu_state *v, uint32_t flags,
		      uint32_t xs)
{
	uint64_t xcr0 = s->rt.xcr0;
	const char *why;
	uint32_t i;

	if ((flags & VF_RT_LONG) && v->id >= LIBVM_LONG_MAX_VCPUS)
		return lvm_sf_bad(sec, "vCPU %u in the long-mode runtime, which "
				  "takes ids 0..%u", v->id,
				  LIBVM_LONG_MAX_VCPUS - 1);
	if ((flags & VF_RT_DISPATCH) && !(flags & VF_RT_LONG))
		return lvm_sf_bad(sec, "vCPU %u: parked at the dispatch point "
				  "but not in the long-mode runtime", v->id);
	if (flags & VF_XCRS) {
		if (v->xcrs.nr_xcrs > ARRAY_SIZE(v->xcrs.xcrs) ||
		    v->xcrs.flags)
			return lvm_sf_bad(sec, "vCPU %u: %u XCRs, flags %#x (at "
					  "most %zu, flags 0)", v->id,
					  v->xcrs.nr_xcrs, v->xcrs.flags,
					  ARRAY_SIZE(v->xcrs.xcrs));
		for (i = 0; i < v->xcrs.nr_xcrs; i++) {
			const struct kvm_xcr *x = &v->xcrs.xcrs[i];

			why = x->xcr ? "only XCR0 exists"
				     : lvm_x86_xcr0_check(x->value);
			if (why)
				return lvm_sf_bad(sec, "vCPU %u: XCR%u %#llx: %s",
						  v->id, x->xcr,
						  (unsigned long long)x->value,
						  why);
			xcr0 |= x->value;
		}
	}
	/* Without an XSAVE area only x87 and SSE state is kept (kvm_fpu). */
	if ((xcr0 & ~3ull) && (!xs || xs < lvm_x86_xsave_need(xcr0)))
		return lvm_sf_bad(sec, "vCPU %u: an XSAVE area of %u bytes "
				  "cannot hold the state of XCR0 %#llx (needs "
				  "%u)", v->id, xs, (unsigned long long)xcr0,
				  lvm_x86_xsave_need(xcr0));
	return 0;
}

int lvm_sf_load_vcpu(struct rd *r, libvm_snapshot *s)
{
	struct lvm_vcpu_state *v = &s->vcpus[s->nvcpus];
	void *raw[9] = {
		&v->regs, &v->sregs, &v->fpu, &v->xcrs, &v->lapic,
		&v->events, &v->mp, &v->debug, &v->rt_sregs,
	};
	uint32_t i, flags, xs, n;
	uint64_t fixed = VCPU_FIXED + vcpu_raw_size();
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = lvm_sf_section(r, &sec, SEC_VCPU, fixed,
			 fixed + MAX_XSAVE + 16ull * MAX_MSRS, &b, &c);
	if (ret < 0)
		return ret;
	memset(v, 0, sizeof(*v));
	s->nvcpus++;		/* so that lvm_snap_free frees what follows */
	v->id = lvm_sf_cur_u32(&c);
	xs = lvm_sf_cur_u32(&c);
	n = lvm_sf_cur_u32(&c);
	flags = lvm_sf_cur_u32(&c);
	v->rt_stack = lvm_sf_cur_u64(&c);
	for (i = 0; i < ARRAY_SIZE(vcpu_sizes); i++) {
		uint32_t sz = lvm_sf_cur_u32(&c);

		if (sz != vcpu_sizes[i]) {
			ret = lvm_sf_bad(&sec, "state struct %u is %u bytes, "
					 "this libvm's is %u", i, sz,
					 vcpu_sizes[i]);
			goto out;
		}
	}
	if (lvm_sf_cur_u32(&c) || (flags & ~(VF_XCRS | VF_LAPIC | VF_RT_LONG |
				     VF_RT_DISPATCH))) {
		ret = lvm_sf_bad(&sec, "unknown flags %#x", flags);
		goto out;
	}
	if (v->id >= MAX_VCPU_ID) {
		ret = lvm_sf_bad(&sec, "vCPU id %u: KVM takes ids below %u",
				 v->id, MAX_VCPU_ID);
		goto out;
	}
	if (xs && (xs < sizeof(struct kvm_xsave) || xs > MAX_XSAVE)) {
		ret = lvm_sf_bad(&sec, "vCPU %u: XSAVE size %u out of range "
				 "(%zu to %u)", v->id, xs,
				 sizeof(struct kvm_xsave), MAX_XSAVE);
		goto out;
	}
	if (n > MAX_MSRS) {
		ret = lvm_sf_bad(&sec, "vCPU %u: %u MSRs, out of range (at most "
				 "%u)", v->id, n, MAX_MSRS);
		goto out;
	}
	if (sec.disk_len != fixed + xs + 16ull * n) {
		ret = lvm_sf_bad(&sec, "payload of %llu bytes, want %llu",
			  (unsigned long long)sec.disk_len,
			  (unsigned long long)(fixed + xs + 16ull * n));
		goto out;
	}
	for (i = 0; i < s->nvcpus - 1; i++)
		if (s->vcpus[i].id == v->id) {
			ret = lvm_sf_bad(&sec, "vCPU %u appears twice", v->id);
			goto out;
		}
	for (i = 0; i < ARRAY_SIZE(raw); i++)
		lvm_sf_cur_get(&c, raw[i], vcpu_sizes[i]);
	ret = check_vcpu(&sec, s, v, flags, xs);
	if (ret < 0)
		goto out;
	v->has_xcrs = flags & VF_XCRS;
	v->has_lapic = flags & VF_LAPIC;
	v->rt_long = flags & VF_RT_LONG;
	v->rt_at_dispatch = flags & VF_RT_DISPATCH;
	v->xsave = xs ? malloc(xs) : NULL;
	v->msrs = calloc(n + 1, sizeof(*v->msrs));
	if ((xs && !v->xsave) || !v->msrs) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: vCPU %u state",
			      v->id);
		goto out;
	}
	v->xsave_size = xs;
	if (xs)
		lvm_sf_cur_get(&c, v->xsave, xs);
	for (i = 0; i < n; i++) {
		v->msrs[i].index = lvm_sf_cur_u32(&c);
		if (lvm_sf_cur_u32(&c)) {
			ret = lvm_sf_bad(&sec, "MSR entry %u: reserved field "
					 "not zero", i);
			goto out;
		}
		v->msrs[i].data = lvm_sf_cur_u64(&c);
	}
	v->nmsrs = n;
out:
	free(b);
	return ret;
}

int lvm_sf_load_chips(struct rd *r, libvm_snapshot *s, uint32_t has)
{
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	if (has & VM_HAS_IRQCHIP) {
		uint64_t len = 8 + sizeof(s->chips);

		ret = lvm_sf_section(r, &sec, SEC_IRQCHIP, len, len, &b, &c);
		if (ret < 0)
			return ret;
		if (lvm_sf_cur_u32(&c) != 3 ||
		    lvm_sf_cur_u32(&c) != sizeof(s->chips[0])) {
			free(b);
			return lvm_sf_bad(&sec, "want 3 chips of %zu bytes",
				   sizeof(s->chips[0]));
		}
		lvm_sf_cur_get(&c, s->chips, sizeof(s->chips));
		free(b);
		s->has_irqchip = true;
	}
	if (has & VM_HAS_PIT) {
		uint64_t len = 8 + sizeof(s->pit);

		ret = lvm_sf_section(r, &sec, SEC_PIT, len, len, &b, &c);
		if (ret < 0)
			return ret;
		if (lvm_sf_cur_u32(&c) != sizeof(s->pit) ||
		    lvm_sf_cur_u32(&c)) {
			free(b);
			return lvm_sf_bad(&sec, "want a PIT state of %zu bytes",
				   sizeof(s->pit));
		}
		lvm_sf_cur_get(&c, &s->pit, sizeof(s->pit));
		free(b);
		s->has_pit = true;
	}
	return 0;
}

int lvm_sf_load_dev(struct rd *r, libvm_snapshot *s)
{
	struct lvm_snap_dev *d = &s->devs[s->ndevs];
	char name[32];
	uint32_t len, i;
	size_t nl;
	struct cur c;
	struct sec sec;
	uint8_t *b;
	int ret;

	ret = lvm_sf_section(r, &sec, SEC_DEVICE, DEVICE_FIXED,
			 DEVICE_FIXED + (uint64_t)MAX_DEV_LEN, &b, &c);
	if (ret < 0)
		return ret;
	lvm_sf_cur_get(&c, name, sizeof(name));
	len = lvm_sf_cur_u32(&c);
	nl = strnlen(name, sizeof(name));
	if (nl == 0 || nl == sizeof(name) || lvm_sf_cur_u32(&c)) {
		ret = lvm_sf_bad(&sec, "device name not 1-31 bytes and "
				 "NUL-padded");
		goto out;
	}
	for (i = (uint32_t)nl; i < sizeof(name); i++)
		if (name[i]) {
			ret = lvm_sf_bad(&sec, "device name not NUL-padded");
			goto out;
		}
	if (len > MAX_DEV_LEN || sec.disk_len != DEVICE_FIXED + (uint64_t)len) {
		ret = lvm_sf_bad(&sec, "device '%s': length %u, payload %llu "
				 "bytes", name, len,
				 (unsigned long long)sec.disk_len);
		goto out;
	}
	for (i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i].name, name)) {
			ret = lvm_sf_bad(&sec, "device '%s' appears twice",
					 name);
			goto out;
		}
	d->data = malloc((size_t)len + 1);
	if (!d->data) {
		ret = lvm_err(LIBVM_ENOMEM, "snapshot file: device '%s'", name);
		goto out;
	}
	memcpy(d->name, name, sizeof(name));
	d->len = len;
	lvm_sf_cur_get(&c, d->data, len);
	s->ndevs++;
out:
	free(b);
	return ret;
}
