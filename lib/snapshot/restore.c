/* SPDX-License-Identifier: MIT */
/*
 * libvm_snapshot_restore: memory back to the snapshot (the dirty pages to
 * the snapshot the VM was last at, else the whole of it), then vCPUs,
 * irqchip, PIT, devices and the runtime.
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE LIBVM_PAGE_SIZE

/* Zero the pages of [p, p+len) that are not zero, reading the rest. */
static void zero_nonzero(uint8_t *p, uint64_t len)
{
	uint64_t o;

	for (o = 0; o < len; o += PAGE)
		if (!lvm_page_zero(p + o))
			memset(p + o, 0, PAGE);
}

/* Drop [off, off+len) of reg so it reads zero again; false if refused. */
static bool drop(struct lvm_region *reg, uint64_t off, uint64_t len)
{
	return !len || madvise(reg->host + off, len, MADV_DONTNEED) == 0;
}

/*
 * Make [off, off+len) of reg zero without allocating memory for it where
 * the kind of mapping allows:
 * - private anonymous memory: MADV_DONTNEED (whole huge pages only, when
 *   huge; the edges are written);
 * - a fork's memory (fork_map): MADV_DONTNEED brings back the memfd's
 *   contents over its data extents and zeros over its holes (anonymous
 *   memory, or the memfd's holes where it is mapped whole), so the holes
 *   are dropped and the data pages not yet zero written.  The memfd only
 *   ever gains pages (of zeros, where a hole is read through a mapping),
 *   so a hole now was one when the fork was made;
 * - anything else (the caller's memory, files): pages not yet zero are
 *   written.
 */
static void zero_range(struct lvm_region *reg, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, lo, hi, d, h;
	int k;

	if (reg->sparse && reg->cow_fd < 0) {
		if (!(reg->flags & LIBVM_MEM_HUGEPAGES)) {
			if (drop(reg, off, len))
				return;
		} else {
			lo = (off + LIBVM_HUGE_SIZE - 1) & ~(LIBVM_HUGE_SIZE - 1);
			hi = end & ~(LIBVM_HUGE_SIZE - 1);
			if (lo < hi && drop(reg, lo, hi - lo)) {
				zero_nonzero(reg->host + off, lo - off);
				zero_nonzero(reg->host + hi, end - hi);
				return;
			}
		}
		zero_nonzero(reg->host + off, len);
		return;
	}
	if (reg->cow_fd < 0) {
		zero_nonzero(reg->host + off, len);
		return;
	}
	while ((k = lvm_next_extent(reg->cow_fd, off, end, &d, &h)) > 0) {
		if (d > off && !drop(reg, off, d - off))
			zero_nonzero(reg->host + off, d - off);
		zero_nonzero(reg->host + d, h - d);
		off = h;
	}
	if (off < end && (k < 0 || !drop(reg, off, end - off)))
		zero_nonzero(reg->host + off, end - off);
}

/* Whether reg is a fork's memory made from sr's memfd (fork_map). */
static bool maps_memfd(const struct lvm_region *reg,
		       const struct lvm_snap_region *sr)
{
	struct stat a, b;

	return reg->cow_fd >= 0 && fstat(reg->cow_fd, &a) == 0 &&
	       fstat(sr->memfd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * Make reg's contents sr's: copy the memfd's data extents, zero its holes.
 * Reading a hole of the memfd through its mapping would allocate a page
 * for it, and so would writing zeros into anonymous memory.
 */
static void restore_whole(struct lvm_region *reg,
			  const struct lvm_snap_region *sr)
{
	uint64_t pos = 0, size = reg->size, d, h;
	int k;

	/*
	 * A fork's memory made from sr's memfd is sr again with every page
	 * dropped, and what the fork wrote is freed rather than overwritten
	 * with copies.
	 */
	if (maps_memfd(reg, sr) && drop(reg, 0, size))
		return;
	while ((k = lvm_next_extent(sr->memfd, pos, size, &d, &h)) > 0) {
		if (d > pos)
			zero_range(reg, pos, d - pos);
		memcpy(reg->host + d, sr->copy + d, h - d);
		pos = h;
	}
	if (pos < size && k < 0)	/* no extents to be had: copy it */
		memcpy(reg->host + pos, sr->copy + pos, size - pos);
	else if (pos < size)
		zero_range(reg, pos, size - pos);
}

/* Page p of sr, without reading a hole of its memfd (see data). */
static const uint8_t *snap_page(const struct lvm_snap_region *sr, uint64_t p)
{
	static const uint8_t zero_page[PAGE];

	if (sr->data && !(sr->data[p / 64] >> (p % 64) & 1))
		return zero_page;
	return sr->copy + p * PAGE;
}

/*
 * Copy back the pages of word i of reg's bitmaps that differ from the
 * snapshot; count the pages KVM reported in *hc.
 */
static void restore_word(struct lvm_region *reg,
			 const struct lvm_snap_region *sr, uint64_t i,
			 struct lvm_hot_count *hc, uint64_t sys_lo, uint64_t sys_hi,
			 bool *sys_written)
{
	uint64_t k = reg->kdirty[i], w = k | reg->hdirty[i];
	uint64_t h = reg->hdirty[i];

	if (!w)
		return;
	for (; h; h &= h - 1) {
		uint64_t gpa = reg->gpa +
			       (i * 64 + (uint64_t)__builtin_ctzll(h)) * PAGE;

		if (gpa >= sys_lo && gpa < sys_hi)
			*sys_written = true;
	}
	reg->hdirty[i] = 0;
	hc->kept += (uint64_t)__builtin_popcountll(k);
	for (; w; w &= w - 1) {
		uint64_t p = i * 64 + (uint64_t)__builtin_ctzll(w);
		uint8_t *dst = reg->host + p * PAGE;
		const uint8_t *src = snap_page(sr, p);

		if (memcmp(dst, src, PAGE)) {
			memcpy(dst, src, PAGE);
			hc->changed += (k & w & -w) != 0;
		}
	}
}

/*
 * Copy back the pages of reg that differ from sr.  *sys_written is set if
 * the host wrote a page of [sys_lo, sys_hi) (guest-physical) since.  The
 * guest's writes there need no look: user mode cannot reach those pages,
 * and the CPL0 code it can reach writes only the stacks.  (KVM may still
 * log them: TCG's page walker, for one, writes page tables it walks.)
 */
static int restore_region(libvm_vm *vm, struct lvm_region *reg,
			  const struct lvm_snap_region *sr, bool full,
			  struct lvm_hot_count *hc, uint64_t sys_lo,
			  uint64_t sys_hi, bool *sys_written)
{
	uint64_t words = lvm_snap_bitmap_bytes(reg->size) / 8, i, si;
	uint64_t sum_words = lvm_snap_bitmap_bytes(words * PAGE) / 8;
	int r;

	/*
	 * Mapped read-only on the host (a read-only file): neither the guest
	 * nor libvm can have written it, and it cannot be written back.  A
	 * full restore leaves kdirty to protect_hot.
	 */
	if (!reg->host_writable || full) {
		if (reg->host_writable)
			restore_whole(reg, sr);
		r = lvm_snap_fetch_dirty(vm, reg);
		memset(reg->hdirty, 0, words * 8);
		return r;
	}
	r = lvm_snap_fetch_dirty(vm, reg);
	if (r < 0)
		return r;
	/*
	 * With a dirty ring, the summary has a bit for every word with a
	 * dirty page (the dirty log rewrites kdirty whole: look at all).
	 * Words with hot pages keep theirs.
	 */
	for (si = 0; si < sum_words; si++) {
		uint64_t sw = vm->ring_entries ? reg->dsum[si] : ~0ull;

		for (; sw; sw &= sw - 1) {
			i = si * 64 + (uint64_t)__builtin_ctzll(sw);
			if (i >= words)
				break;
			restore_word(reg, sr, i, hc, sys_lo, sys_hi,
				     sys_written);
			if (!reg->kdirty[i])
				reg->dsum[si] &= ~(1ull << (i % 64));
		}
	}
	return 0;
}

/* Complete the I/O every vCPU has pending (no vCPU running). */
static int flush_all(libvm_vm *vm)
{
	uint32_t i;
	int r = 0;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc && !r; i++)
		if (vm->vcpus[i])
			r = lvm_vcpu_flush_io(vm->vcpus[i]);
	pthread_mutex_unlock(&vm->vcpu_lock);
	return r;
}

static const char *rw_name(uint32_t flags)
{
	return (flags & LIBVM_MEM_READONLY) ? "read-only" : "writable";
}

/* Same regions, same places, same sizes, same read-only flags. */
static int check_layout(libvm_vm *vm, const libvm_snapshot *s)
{
	uint32_t i, j = 0;

	for (i = 0; i < vm->nregions; i++) {
		const struct lvm_region *reg = &vm->regions[i];

		if (reg->flags & LIBVM_MEM_VOLATILE)
			continue;
		if (j >= s->nregions || s->regions[j].gpa != reg->gpa ||
		    s->regions[j].size != reg->size)
			break;
		if ((s->regions[j].flags ^ reg->flags) & LIBVM_MEM_READONLY)
			return lvm_err(LIBVM_ESTATE, "libvm_snapshot_restore: "
				       "region %#llx+%#llx is %s in the VM, "
				       "%s in the snapshot",
				       (unsigned long long)reg->gpa,
				       (unsigned long long)reg->size,
				       rw_name(reg->flags),
				       rw_name(s->regions[j].flags));
		j++;
	}
	if (i != vm->nregions || j != s->nregions)
		return lvm_err(LIBVM_ESTATE, "libvm_snapshot_restore: the VM's "
			       "memory layout differs from the snapshot's");
	return 0;
}

LIBVM_API int libvm_snapshot_restore(libvm_vm *vm, libvm_snapshot *s)
{
	uint64_t sys_lo = 0, sys_hi = 0;
	struct lvm_hot_count hc = { 0, 0 };
	bool full, sys_written = false;
	uint32_t i, j;
	int r = 0;

	if (!vm || !s)
		return lvm_err(LIBVM_EINVAL, "libvm_snapshot_restore: NULL "
			       "argument");
	if (s->vm_flags != vm->flags)
		return lvm_err(LIBVM_ESTATE, "libvm_snapshot_restore: VM flags "
			       "%#x, the snapshot's %#x", vm->flags,
			       s->vm_flags);
	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < s->nvcpus && !r; i++) {
		uint32_t id = s->vcpus[i].id;

		if (id >= vm->nvcpus_alloc || !vm->vcpus[id])
			r = lvm_err(LIBVM_ESTATE, "libvm_snapshot_restore: the "
				    "VM has no vCPU %u", id);
	}
	pthread_mutex_unlock(&vm->vcpu_lock);
	if (r < 0)
		return r;
	if (lvm_snap_vcpu_running(vm))
		return lvm_err(LIBVM_EBUSY, "libvm_snapshot_restore: a vCPU is "
			       "running");

	/* The runtime's ports, if s has it: the one claim that can fail. */
	if (s->rt.active) {
		r = lvm_rt_ports_on(vm, s->rt.flags);
		if (r < 0)
			return r;
	}
	/* KVM may finish a string IN into guest memory: before it is restored. */
	r = flush_all(vm);
	if (r < 0)
		return r;

	pthread_rwlock_wrlock(&vm->mem_lock);
	r = check_layout(vm, s);
	if (!r)
		r = lvm_snap_start_tracking(vm);
	full = vm->base_snap != s->id;
	/* Until it is done: a restore that fails half way is redone whole. */
	vm->base_snap = 0;
	if (s->rt_trusted) {
		sys_lo = s->rt.sys_gpa;
		sys_hi = sys_lo + LIBVM_SYS_SIZE;
	}
	if (!r && vm->ring_entries)
		lvm_ring_harvest(vm);
	for (i = 0, j = 0; i < vm->nregions && !r; i++) {
		if (vm->regions[i].flags & LIBVM_MEM_VOLATILE)
			continue;
		r = restore_region(vm, &vm->regions[i], &s->regions[j++], full,
				   &hc, sys_lo, sys_hi, &sys_written);
	}
	if (!r && (vm->ring_entries || vm->manual_protect)) {
		vm->hot_idle += hc.kept - hc.changed;
		if (full || hc.kept > HOT_SLACK + 4 * hc.changed ||
		    vm->hot_idle > HOT_IDLE_FACTOR * (hc.changed + 1) ||
		    (vm->ring_entries && lvm_ring_crowded(vm)))
			r = lvm_snap_protect_hot(vm);
	}
	if (!r)
		vm->base_snap = s->id;
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		return r;

	/*
	 * Skipping state needs the runtime's tables untouched since the vCPUs
	 * were last at s: the memory was at s, and no page of them written.
	 */
	for (i = 0; i < s->nvcpus; i++) {
		r = lvm_snap_restore_vcpu(vm->vcpus[s->vcpus[i].id], &s->vcpus[i], s->id,
				 s->rt_trusted && !full && !sys_written);
		if (r < 0)
			return r;
	}
	if (s->has_irqchip)
		for (i = 0; i < 3; i++)
			if (KVM_IOCTL(vm->vm_fd, KVM_SET_IRQCHIP,
				      &s->chips[i]) < 0)
				return LIBVM_EKVM;
	if (s->has_pit && KVM_IOCTL(vm->vm_fd, KVM_SET_PIT2, &s->pit) < 0)
		return LIBVM_EKVM;
	for (i = 0; i < s->ndevs; i++)
		for (j = 0; j < vm->ndevs; j++)
			if (!strcmp(vm->devs[j].name, s->devs[i].name) &&
			    vm->devs[j].len == s->devs[i].len && s->devs[i].len)
				memcpy(vm->devs[j].state, s->devs[i].data,
				       s->devs[i].len);
	for (j = 0; j < vm->ndevs; j++)
		if (vm->devs[j].restored)
			vm->devs[j].restored(vm->devs[j].opaque);
	r = lvm_rt_adopt(vm, &s->rt);
	if (r < 0)
		return r;
	atomic_store(&vm->needs_restore, 0);
	return 0;
}
