/* SPDX-License-Identifier: MIT */
/* The MSRs a snapshot saves and restores: which, and how. */
#include "snapshot.h"
#include "../x86/one_msr.h"

#include <stdlib.h>
#include <string.h>

#define PAGE LIBVM_PAGE_SIZE

/* The MSRs KVM lists that this VM can read back, found once per VM. */
static int msr_list(libvm_vm *vm, int vcpu_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	struct lvm_one_msr one;
	uint32_t i, n = 0;

	if (vm->msr_list_known)
		return 0;
	lvm_ioctl_raw(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST,
		      (unsigned long)&probe);
	l = calloc(1, sizeof(*l) + (probe.nmsrs + 1) * sizeof(uint32_t));
	vm->msr_list = calloc(probe.nmsrs + 1, sizeof(uint32_t));
	if (!l || !vm->msr_list) {
		free(l);
		return lvm_err(LIBVM_ENOMEM, "MSR list");
	}
	l->nmsrs = probe.nmsrs;
	if (KVM_IOCTL(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		free(l);
		return LIBVM_EKVM;
	}
	for (i = 0; i < l->nmsrs; i++) {
		memset(&one, 0, sizeof(one));
		one.nmsrs = 1;
		one.e.index = l->indices[i];
		if (lvm_ioctl_raw(vcpu_fd, KVM_GET_MSRS,
				  (unsigned long)&one) == 1)
			vm->msr_list[n++] = l->indices[i];
	}
	free(l);
	vm->nmsrs = n;
	vm->msr_list_known = true;
	return 0;
}

int lvm_snap_save_msrs(struct lvm_vcpu_state *st, libvm_vcpu *v)
{
	libvm_vm *vm = v->vm;
	struct kvm_msrs *m;
	uint32_t i;
	int r;

	r = msr_list(vm, v->fd);
	if (r < 0)
		return r;
	m = calloc(1, sizeof(*m) + vm->nmsrs * sizeof(m->entries[0]));
	st->msrs = calloc(vm->nmsrs + 1, sizeof(*st->msrs));
	if (!m || !st->msrs) {
		free(m);
		return lvm_err(LIBVM_ENOMEM, "MSR snapshot");
	}
	m->nmsrs = vm->nmsrs;
	for (i = 0; i < vm->nmsrs; i++)
		m->entries[i].index = vm->msr_list[i];
	r = KVM_IOCTL(v->fd, KVM_GET_MSRS, m);
	if (r >= 0) {
		st->nmsrs = (uint32_t)r;
		for (i = 0; i < st->nmsrs; i++) {
			st->msrs[i].index = m->entries[i].index;
			st->msrs[i].data = m->entries[i].data;
		}
		r = 0;
	}
	free(m);
	return r;
}

int lvm_snap_restore_msrs(const struct lvm_vcpu_state *st, libvm_vcpu *v)
{
	struct kvm_msrs *m;
	uint32_t i, done = 0;
	int r = 0;

	if (!st->nmsrs)
		return 0;
	m = calloc(1, sizeof(*m) + st->nmsrs * sizeof(m->entries[0]));
	if (!m)
		return lvm_err(LIBVM_ENOMEM, "MSR restore");
	/* KVM stops at the first MSR it refuses: skip it and go on. */
	while (done < st->nmsrs) {
		m->nmsrs = st->nmsrs - done;
		for (i = 0; i < m->nmsrs; i++) {
			m->entries[i].index = st->msrs[done + i].index;
			m->entries[i].data = st->msrs[done + i].data;
		}
		r = KVM_IOCTL(v->fd, KVM_SET_MSRS, m);
		if (r < 0)
			break;
		done += (uint32_t)r + 1;
		r = 0;
	}
	free(m);
	return r;
}
