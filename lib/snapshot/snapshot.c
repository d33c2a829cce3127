/* SPDX-License-Identifier: MIT */
/*
 * Snapshots, in-place restore and copy-on-write forks.
 *
 * Memory: a snapshot keeps each region's contents in a memfd (only pages
 * that are non-zero are copied; the rest stay holes).  The VM logs dirty
 * pages from then on (KVM's dirty ring, lib/snapshot/ring.c, or else its
 * dirty log, in manual-protect mode when the kernel has it) and libvm
 * marks pages the host writes through it.  A
 * restore to the snapshot the VM was last at copies back those of these
 * pages that differ, leaving the ones the guest keeps writing writable
 * (the hot set, see protect_hot); a restore to another snapshot rewrites the whole
 * region from the memfd's data extents (SEEK_DATA/SEEK_HOLE) and zeroes
 * the holes without touching them where it can (MADV_DONTNEED).
 * A fork maps each memfd's data extents MAP_PRIVATE over private anonymous
 * memory (fork_map), so its pages are shared until written and the holes
 * read as zeros without a page in the memfd.
 *
 * vCPU state: a restore always sets the general, segment and control
 * registers, the events and the FPU/XSAVE state.  The rest (MSRs, XCRs,
 * debug registers, MP state) it skips when it can prove nothing changed
 * them since the vCPU was last at this snapshot: no host setter ran (see
 * state_dirty), the snapshot has the vCPU at CPL3 in libvm's long-mode
 * runtime with nothing that counts at CPL3 (performance counters, LBRs),
 * the runtime's tables and code are as libvm wrote them (a keyed sum at
 * snapshot time; its pages are out of user mode's reach, and the host
 * wrote none since), and every run ended the way user-mode code ends.
 * CPL3 code cannot reach CPL0 code of its own then (no SYSCALL/SYSENTER,
 * every gate leads to libvm's exception stubs), so it cannot change them.
 */
#define _GNU_SOURCE
#include "snapshot.h"
#include "../core/one_msr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE LIBVM_PAGE_SIZE

uint64_t lvm_snap_new_id(void)
{
	static atomic_ullong next = 1;

	return atomic_fetch_add(&next, 1);
}

/*
 * The first data extent of fd at or after pos and below size, widened to
 * pages: [*d, *h).  Returns 1 if there is one, 0 if fd holds no data in
 * [pos, size), -1 if lseek cannot tell (take the rest as data).
 */
int lvm_next_extent(int fd, uint64_t pos, uint64_t size, uint64_t *d,
		    uint64_t *h)
{
	off_t a = lseek(fd, (off_t)pos, SEEK_DATA), b;

	if (a < 0)
		return errno == ENXIO ? 0 : -1;
	if ((uint64_t)a >= size)
		return 0;
	b = lseek(fd, a, SEEK_HOLE);
	if (b < 0)
		return -1;
	*d = (uint64_t)a & ~(PAGE - 1);
	*h = ((uint64_t)b + PAGE - 1) & ~(PAGE - 1);
	if (*h > size)
		*h = size;
	if (*h <= *d)
		*h = *d + PAGE;
	return 1;
}

/* ---- the long-mode runtime's system area ------------------------------- */

uint64_t lvm_rt_sys_key(void)
{
	uint64_t k = 0;

	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		k = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
		    (uint64_t)(uintptr_t)&k;
	}
	return k | 1;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/*
 * Everything the CPU and libvm's CPL0 code read, all but the exception
 * stacks: GDT, IDT, TSSs, exception and dispatch code, page tables.  The
 * key is secret to the host, so guest code cannot aim for a collision.
 */
uint64_t lvm_rt_sys_sum(const uint8_t *sys, uint64_t key)
{
	uint64_t h = 0, w, i;

	for (i = 0; i < LIBVM_SYS_SIZE / 8; i++) {
		if (i == LVM_SYS_STACKS / 8)
			i = LVM_SYS_PT / 8;
		memcpy(&w, sys + 8 * i, 8);
		h += mix64(w ^ key ^ (i * 0x9e3779b97f4a7c15ull));
	}
	return h;
}

/* The region holding the runtime's tables; caller holds mem_lock. */
static struct lvm_region *sys_region(libvm_vm *vm, uint64_t sys)
{
	uint32_t i;

	for (i = 0; i < vm->nregions; i++) {
		struct lvm_region *r = &vm->regions[i];

		if (sys >= r->gpa && sys - r->gpa < r->size)
			return LIBVM_SYS_SIZE <= r->size - (sys - r->gpa) ? r
									   : NULL;
	}
	return NULL;
}

/* Whether the runtime's tables and code are libvm's; holds mem_lock. */
static bool rt_trusted(libvm_vm *vm)
{
	const struct lvm_rt *rt = &vm->rt;
	struct lvm_region *r;

	if (!rt->active || (rt->flags & LIBVM_LONG_SUPERVISOR) ||
	    !rt->sys_key || !rt->sys_guarded || (vm->flags & LIBVM_VM_IRQCHIP))
		return false;
	r = sys_region(vm, rt->sys_gpa);
	if (!r || (r->flags & LIBVM_MEM_VOLATILE) || !r->host_writable)
		return false;
	return lvm_rt_sys_sum(r->host + (rt->sys_gpa - r->gpa), rt->sys_key) ==
	       rt->sys_sum;
}

/*
 * MSRs that make CPL3 code change MSRs or enter CPL0: enabled performance
 * counters, LBRs/BTS, processor trace, SYSENTER (Intel, in 64-bit mode).
 */
static bool msrs_move(const struct lvm_vcpu_state *st)
{
	uint32_t i;

	for (i = 0; i < st->nmsrs; i++) {
		uint32_t x = st->msrs[i].index;
		uint64_t d = st->msrs[i].data;
		bool en = d & (1ull << 22);

		if (((x == 0x1d9 || x == 0x38d) && d) ||	/* DEBUGCTL, FIXED */
		    (x == 0x174 && (d & 0xfffc)) ||	/* SYSENTER_CS */
		    (x == 0x570 && (d & 1)) ||		/* RTIT_CTL */
		    (x >= 0x186 && x <= 0x18d && en) ||	/* P6 EVNTSEL */
		    (x >= 0xc0010000 && x <= 0xc0010003 && en) ||
		    (x >= 0xc0010200 && x <= 0xc001020b && !(x & 1) && en))
			return true;
	}
	return false;
}

#define EFER_SCE 1ull

/* Whether st has the vCPU at CPL3 in the runtime's environment. */
static bool vcpu_user_only(const struct lvm_rt *rt,
			   const struct lvm_vcpu_state *st)
{
	const struct kvm_sregs *k = &st->sregs;
	const libvm_sregs *e = &st->rt_sregs;
	uint64_t sys = rt->sys_gpa;

	if (!st->rt_long || st->id >= LIBVM_LONG_MAX_VCPUS ||
	    k->cs.dpl != 3 || e->cs.dpl != 3 || ((k->efer | e->efer) & EFER_SCE))
		return false;
	if (e->cr3 != sys + LVM_SYS_PML4 || e->gdt.base != sys + LVM_SYS_GDT ||
	    e->idt.base != sys + LVM_SYS_IDT ||
	    e->tr.base != sys + LVM_TSS_OFF(st->id) ||
	    e->gdt.limit != LVM_SEL_TSS(LIBVM_LONG_MAX_VCPUS) - 1 ||
	    e->idt.limit != 32 * 16 - 1 || e->tr.limit != LVM_TSS_LIMIT(st->id))
		return false;
	if (k->cr0 != e->cr0 || k->cr3 != e->cr3 || k->cr4 != e->cr4 ||
	    k->efer != e->efer || k->gdt.base != e->gdt.base ||
	    k->gdt.limit != e->gdt.limit || k->idt.base != e->idt.base ||
	    k->idt.limit != e->idt.limit || k->tr.base != e->tr.base ||
	    k->tr.limit != e->tr.limit || k->tr.selector != e->tr.selector)
		return false;
	/* No LDT descriptor to reach (a call gate in guest RAM). */
	if (!k->ldt.unusable && k->ldt.present && k->ldt.limit >= 7)
		return false;
	return !(st->debug.dr7 & 0xff) && !msrs_move(st);
}

static uint64_t bitmap_bytes(uint64_t size)
{
	uint64_t pages = size / PAGE;

	return ((pages + 63) / 64) * 8;
}

static int set_slot_flags(libvm_vm *vm, const struct lvm_region *r,
			  uint32_t flags)
{
	struct kvm_userspace_memory_region m = {
		.slot = r->slot,
		.flags = flags |
			 ((r->flags & LIBVM_MEM_READONLY) ? KVM_MEM_READONLY : 0),
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uint64_t)(uintptr_t)r->host,
	};

	return KVM_IOCTL(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0
		       ? LIBVM_EKVM : 0;
}

int lvm_region_track(libvm_vm *vm, struct lvm_region *r)
{
	uint64_t n = bitmap_bytes(r->size);

	if (r->hdirty)
		return 0;
	r->hdirty = calloc(1, n);
	r->kdirty = calloc(1, n);
	r->dsum = calloc(1, bitmap_bytes(n / 8 * PAGE));
	if (!r->hdirty || !r->kdirty || !r->dsum) {
		lvm_region_untrack(r);
		return lvm_err(LIBVM_ENOMEM, "dirty bitmaps for %#llx+%#llx",
			       (unsigned long long)r->gpa,
			       (unsigned long long)r->size);
	}
	if (set_slot_flags(vm, r, KVM_MEM_LOG_DIRTY_PAGES) < 0) {
		lvm_region_untrack(r);
		return LIBVM_EKVM;
	}
	return 0;
}

void lvm_region_untrack(struct lvm_region *r)
{
	free(r->hdirty);
	free(r->kdirty);
	free(r->dsum);
	r->hdirty = r->kdirty = r->dsum = NULL;
}

/*
 * Fetch KVM's dirty bitmap of r into r->kdirty.  In manual-protect mode
 * that leaves the pages writable and set in KVM's bitmap until
 * clear_dirty; without it, KVM has protected them again already.
 */
static int fetch_dirty(libvm_vm *vm, struct lvm_region *r)
{
	struct kvm_dirty_log log = { .slot = r->slot,
				     .dirty_bitmap = r->kdirty };

	/* With a dirty ring, lvm_ring_harvest has filled kdirty already. */
	if (vm->ring_entries)
		return 0;
	return KVM_IOCTL(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? LIBVM_EKVM
								 : 0;
}

/* Manual-protect mode: protect the pages set in r->kdirty again. */
static int clear_dirty(libvm_vm *vm, struct lvm_region *r)
{
	struct kvm_clear_dirty_log clr = {
		.slot = r->slot, .first_page = 0,
		.num_pages = (uint32_t)(r->size / PAGE),
		.dirty_bitmap = r->kdirty,
	};
	uint64_t n = bitmap_bytes(r->size) / 8, i;
	bool any = false;

	for (i = 0; i < n && !any; i++)
		any = r->kdirty[i] != 0;
	if (any && KVM_IOCTL(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr) < 0)
		return LIBVM_EKVM;
	return 0;
}

/*
 * The hot set: pages the guest wrote since they were last protected stay
 * writable in KVM (a dirty ring's pages until KVM_RESET_DIRTY_RINGS, a
 * manual-protect log's until KVM_CLEAR_DIRTY_LOG), and kdirty keeps them,
 * so every restore compares them with the snapshot and copies back those
 * that differ.  A fuzz target writes the same few pages (stack, globals,
 * page tables' accessed bits) for every input: they cost a compare, not a
 * write-protection fault each.  protect_hot protects them all again and
 * forgets them once the compares stop paying, ski-rental style: when the
 * compares that found no change since the last time pass HOT_IDLE_FACTOR
 * times the pages that changed (about what the faults after protecting
 * cost: a fault costs tens of compares, hundreds on PVM), or one restore
 * compares more than HOT_SLACK + 4x the pages that changed.  Pages
 * written with what they held (a stack) count as unchanged.
 */
#define HOT_SLACK	16
#define HOT_IDLE_FACTOR	64

struct hot_count {
	uint64_t kept;		/* pages compared that KVM reported */
	uint64_t changed;	/* of them, those that differed */
};

static int protect_hot(libvm_vm *vm)
{
	uint32_t i;
	int r = 0;

	if (vm->ring_entries)
		r = lvm_ring_reset(vm);
	for (i = 0; i < vm->nregions && !r; i++) {
		struct lvm_region *reg = &vm->regions[i];

		if (!reg->kdirty)
			continue;
		if (!vm->ring_entries && vm->manual_protect)
			r = clear_dirty(vm, reg);
		if (r < 0)
			break;	/* still writable: keep them */
		memset(reg->kdirty, 0, bitmap_bytes(reg->size));
		memset(reg->dsum, 0, bitmap_bytes(bitmap_bytes(reg->size) / 8 *
						  PAGE));
	}
	vm->hot_idle = 0;
	return r;
}

/* Turn on tracking for every region; with nothing dirty afterwards. */
static int start_tracking(libvm_vm *vm)
{
	uint32_t i;
	int r;

	if (vm->tracking)
		return 0;
	if (!vm->ring_entries &&
	    lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};

		if (KVM_IOCTL(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return LIBVM_EKVM;
		vm->manual_protect = true;
	}
	for (i = 0; i < vm->nregions; i++) {
		if (vm->regions[i].flags & LIBVM_MEM_VOLATILE)
			continue;
		r = lvm_region_track(vm, &vm->regions[i]);
		if (r < 0)
			return r;
	}
	vm->tracking = true;
	return 0;
}

/* ---- device state -------------------------------------------------------- */

LIBVM_API int libvm_device_state_register(libvm_vm *vm, const char *name,
					  void *state, uint32_t len,
					  libvm_restored_fn restored,
					  void *opaque)
{
	struct lvm_devstate *d;
	uint32_t i;

	if (!vm || !name || (!state && len))
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_register: NULL "
			       "argument");
	if (!*name || strlen(name) >= sizeof(d->name))
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_register: name "
			       "must be 1-31 bytes");
	for (i = 0; i < vm->ndevs; i++)
		if (!strcmp(vm->devs[i].name, name))
			return lvm_err(LIBVM_EOVERLAP, "device state '%s' is "
				       "already registered", name);
	d = realloc(vm->devs, (vm->ndevs + 1) * sizeof(*d));
	if (!d)
		return lvm_err(LIBVM_ENOMEM, "libvm_device_state_register");
	vm->devs = d;
	d += vm->ndevs++;
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	d->state = state;
	d->len = len;
	d->restored = restored;
	d->opaque = opaque;
	return 0;
}

LIBVM_API int libvm_device_state_unregister(libvm_vm *vm, const char *name)
{
	uint32_t i;

	if (!vm || !name)
		return lvm_err(LIBVM_EINVAL, "libvm_device_state_unregister: "
			       "NULL argument");
	for (i = 0; i < vm->ndevs; i++)
		if (!strcmp(vm->devs[i].name, name)) {
			memmove(&vm->devs[i], &vm->devs[i + 1],
				(vm->ndevs - i - 1) * sizeof(vm->devs[0]));
			vm->ndevs--;
			return 0;
		}
	return lvm_err(LIBVM_ENOENT, "no device state '%s'", name);
}

/* ---- vCPU state ------------------------------------------------------------ */

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

static int save_msrs(struct lvm_vcpu_state *st, libvm_vcpu *v)
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

static int restore_msrs(const struct lvm_vcpu_state *st, libvm_vcpu *v)
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

static int save_vcpu(struct lvm_vcpu_state *st, libvm_vcpu *v, uint64_t id)
{
	libvm_vm *vm = v->vm;
	int r;

	st->id = v->id;
	r = lvm_vcpu_flush_io(v);
	if (!r)
		r = lvm_vcpu_sync_flush(v);
	if (r < 0)
		return r;
	v->state_snap = id;
	v->state_dirty = false;
	if (libvm_vcpu_get_regs((libvm_regs *)&st->regs, v) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_SREGS, &st->sregs) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_FPU, &st->fpu) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_VCPU_EVENTS, &st->events) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_MP_STATE, &st->mp) < 0 ||
	    KVM_IOCTL(v->fd, KVM_GET_DEBUGREGS, &st->debug) < 0)
		return LIBVM_EKVM;
	if (vm->caps & LIBVM_HOST_XSAVE) {
		st->xsave_size = v->xsave_size;
		st->xsave = calloc(1, v->xsave_size);
		if (!st->xsave)
			return lvm_err(LIBVM_ENOMEM, "XSAVE snapshot");
		r = libvm_vcpu_get_xsave(st->xsave, st->xsave_size, v);
		if (r < 0)
			return r;
	}
	if (vm->caps & LIBVM_HOST_XCRS) {
		if (KVM_IOCTL(v->fd, KVM_GET_XCRS, &st->xcrs) < 0)
			return LIBVM_EKVM;
		st->has_xcrs = true;
	}
	if (vm->flags & LIBVM_VM_IRQCHIP) {
		if (KVM_IOCTL(v->fd, KVM_GET_LAPIC, &st->lapic) < 0)
			return LIBVM_EKVM;
		st->has_lapic = true;
	}
	st->rt_long = v->rt_long;
	st->rt_at_dispatch = v->rt_at_dispatch;
	st->rt_stack = v->rt_stack;
	st->rt_sregs = v->rt_sregs;
	return save_msrs(st, v);
}

/* FPU and SSE state: the whole XSAVE area where KVM has it. */
static int restore_fpu(libvm_vcpu *v, const struct lvm_vcpu_state *st)
{
	if (st->xsave_size)
		return libvm_vcpu_set_xsave(v, st->xsave, st->xsave_size);
	return KVM_IOCTL(v->fd, KVM_SET_FPU, &st->fpu) < 0 ? LIBVM_EKVM : 0;
}

/*
 * The fast restore: FPU/XSAVE by ioctl, registers, segment and control
 * registers and events through the run area, applied by the next KVM_RUN
 * (registers, then sregs, then events).
 */
static int restore_vcpu_fast(libvm_vcpu *v, const struct lvm_vcpu_state *st)
{
	struct kvm_run *run = v->run;
	int r;

	r = restore_fpu(v, st);
	if (r < 0)
		return r;
	memcpy(&run->s.regs.regs, &st->regs, sizeof(st->regs));
	memcpy(&run->s.regs.sregs, &st->sregs, sizeof(st->sregs));
	memcpy(&run->s.regs.events, &st->events, sizeof(st->events));
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
			       KVM_SYNC_X86_EVENTS;
	v->regs_cached = true;
	return 0;
}

static int restore_vcpu(libvm_vcpu *v, const struct lvm_vcpu_state *st,
			uint64_t id, bool fast)
{
	int r = lvm_vcpu_flush_io(v);

	if (r < 0)
		return r;
	/* Whatever waits in the run area is overwritten below. */
	v->run->kvm_dirty_regs = 0;
	v->regs_cached = false;
	fast = fast && st->user_only && v->state_snap == id &&
	       !v->state_dirty && lvm_vcpu_sync_all(v);
	if (fast) {
		r = restore_vcpu_fast(v, st);
		if (r < 0)
			return r;
		goto done;
	}
	/* MP state and events first: they may reset other state. */
	if (KVM_IOCTL(v->fd, KVM_SET_MP_STATE, &st->mp) < 0 ||
	    KVM_IOCTL(v->fd, KVM_SET_SREGS, &st->sregs) < 0)
		return LIBVM_EKVM;
	if (st->has_lapic && KVM_IOCTL(v->fd, KVM_SET_LAPIC, &st->lapic) < 0)
		return LIBVM_EKVM;
	r = restore_fpu(v, st);
	if (r < 0)
		return r;
	if (st->has_xcrs && KVM_IOCTL(v->fd, KVM_SET_XCRS, &st->xcrs) < 0)
		return LIBVM_EKVM;
	if (KVM_IOCTL(v->fd, KVM_SET_DEBUGREGS, &st->debug) < 0)
		return LIBVM_EKVM;
	r = restore_msrs(st, v);
	if (r < 0)
		return r;
	if (KVM_IOCTL(v->fd, KVM_SET_VCPU_EVENTS, &st->events) < 0)
		return LIBVM_EKVM;
	r = libvm_vcpu_set_regs(v, (const libvm_regs *)&st->regs);
	if (r < 0)
		return r;
done:
	v->state_snap = id;
	v->state_dirty = false;
	atomic_store(&v->cancel, 0);
	v->rt_long = st->rt_long;
	v->rt_at_dispatch = st->rt_at_dispatch;
	v->rt_stack = st->rt_stack;
	v->rt_sregs = st->rt_sregs;
	return 0;
}

/* ---- snapshot objects -------------------------------------------------- */

void lvm_snap_free(libvm_snapshot *s)
{
	uint32_t i;

	if (!s)
		return;
	for (i = 0; i < s->nregions; i++) {
		if (s->regions[i].copy)
			munmap(s->regions[i].copy, s->regions[i].size);
		if (s->regions[i].memfd >= 0)
			close(s->regions[i].memfd);
		free(s->regions[i].data);
	}
	for (i = 0; i < s->nvcpus; i++) {
		free(s->vcpus[i].xsave);
		free(s->vcpus[i].msrs);
	}
	for (i = 0; i < s->ndevs; i++)
		free(s->devs[i].data);
	for (i = 0; i < 3; i++)
		free(s->traps[i].v);
	free(s->devregs);
	free(s->regions);
	free(s->vcpus);
	free(s->devs);
	free(s);
}

LIBVM_API void libvm_snapshot_destroy(libvm_snapshot *s)
{
	lvm_snap_free(s);
}

static bool page_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		if (w[i])
			return false;
	return true;
}

/*
 * Mark in vec the pages of sparse region r that may hold data: those this
 * process has present or swapped out (/proc/self/pagemap bits 63 and 62),
 * and in a fork those its snapshot's memfd stores, mapped but maybe never
 * touched here.  The rest of a sparse region was never written: zero.
 * Not mincore, which calls a swapped-out page not resident.  Without
 * pagemap, every page.
 */
static void sparse_pages(unsigned char *vec, const struct lvm_region *r)
{
	const uint64_t pages = r->size / PAGE, chunk = 8192;
	uint64_t *e = malloc(chunk * 8), p, i, n, d, h, pos = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), k;

	memset(vec, 1, pages);
	if (fd < 0 || !e)
		goto out;
	for (p = 0; p < pages; p += n) {
		n = pages - p < chunk ? pages - p : chunk;
		if (pread(fd, e, n * 8,
			  (off_t)(((uintptr_t)r->host / PAGE + p) * 8)) !=
		    (ssize_t)(n * 8))
			goto out;	/* every page, as set above */
		for (i = 0; i < n; i++)
			vec[p + i] = (e[i] >> 62) != 0;
	}
	if (r->cow_fd < 0)
		goto out;
	while ((k = lvm_next_extent(r->cow_fd, pos, r->size, &d, &h)) > 0) {
		memset(vec + d / PAGE, 1, (h - d) / PAGE);
		pos = h;
	}
	if (k < 0)
		memset(vec + pos / PAGE, 1, pages - pos / PAGE);
out:
	if (fd >= 0)
		close(fd);
	free(e);
}

/*
 * Copy a region's non-zero pages into a fresh memfd.  Where pages that were
 * never written are known to be zero (anonymous or fork memory),
 * sparse_pages saves reading them; a file's pages may be out of the page
 * cache, so file-backed and caller-owned memory is read whole.
 */
static int snap_region(struct lvm_snap_region *sr, const struct lvm_region *r)
{
	uint64_t pages = r->size / PAGE, p;
	unsigned char *vec;

	sr->gpa = r->gpa;
	sr->size = r->size;
	sr->flags = r->flags;
	sr->memfd = memfd_create("libvm-snapshot", MFD_CLOEXEC);
	if (sr->memfd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "memfd_create");
	if (ftruncate(sr->memfd, (off_t)r->size) < 0)
		return lvm_err_errno(LIBVM_ENOMEM, errno, "snapshot of %#llx+"
				     "%#llx", (unsigned long long)r->gpa,
				     (unsigned long long)r->size);
	sr->copy = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			sr->memfd, 0);
	if (sr->copy == MAP_FAILED) {
		sr->copy = NULL;
		return lvm_err_errno(LIBVM_ENOMEM, errno, "mmap snapshot");
	}
	sr->data = calloc(1, bitmap_bytes(r->size));
	vec = malloc(pages + 1);
	if (!vec || !sr->data) {
		free(vec);
		return lvm_err(LIBVM_ENOMEM, "snapshot page vector");
	}
	if (r->sparse)
		sparse_pages(vec, r);
	else
		memset(vec, 1, pages);
	for (p = 0; p < pages; p++) {
		const uint8_t *src = r->host + p * PAGE;

		if ((vec[p] & 1) && !page_zero(src)) {
			memcpy(sr->copy + p * PAGE, src, PAGE);
			sr->data[p / 64] |= 1ull << (p % 64);
		}
	}
	free(vec);
	mprotect(sr->copy, r->size, PROT_READ);
	return 0;
}

static bool vcpu_running(libvm_vm *vm)
{
	bool busy = false;
	uint32_t i;

	/* vcpu_lock: libvm_vcpu_create may grow the array meanwhile. */
	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc && !busy; i++) {
		libvm_vcpu *v = vm->vcpus[i];

		if (v) {
			pthread_mutex_lock(&v->run_lock);
			busy = v->running;
			pthread_mutex_unlock(&v->run_lock);
		}
	}
	pthread_mutex_unlock(&vm->vcpu_lock);
	return busy;
}

static int copy_traps(struct lvm_trap_table *dst,
		      const struct lvm_trap_table *src)
{
	uint32_t i;

	for (i = 0; i < 3; i++) {
		dst[i].n = dst[i].cap = 0;
		dst[i].v = NULL;
		if (!src[i].n)
			continue;
		dst[i].v = malloc(src[i].n * sizeof(*dst[i].v));
		if (!dst[i].v)
			return lvm_err(LIBVM_ENOMEM, "trap table copy");
		memcpy(dst[i].v, src[i].v, src[i].n * sizeof(*dst[i].v));
		dst[i].n = dst[i].cap = src[i].n;
	}
	return 0;
}

LIBVM_API int libvm_snapshot_take(libvm_snapshot **out, libvm_vm *vm)
{
	libvm_snapshot *s;
	uint32_t i, n;
	int r;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_snapshot_take: NULL "
			       "argument");
	*out = NULL;
	if (vcpu_running(vm))
		return lvm_err(LIBVM_EBUSY, "libvm_snapshot_take: a vCPU is "
			       "running");
	s = calloc(1, sizeof(*s));
	if (!s)
		return lvm_err(LIBVM_ENOMEM, "libvm_snapshot_take");
	s->id = lvm_snap_new_id();
	s->vm_flags = vm->flags;
	s->kick_signal = vm->kick_signal;
	s->rt = vm->rt;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0, n = 0; i < vm->nvcpus_alloc; i++)
		n += vm->vcpus[i] != NULL;
	s->vcpus = calloc(n + 1, sizeof(*s->vcpus));
	r = s->vcpus ? 0 : lvm_err(LIBVM_ENOMEM, "vCPU snapshot");
	for (i = 0; i < vm->nvcpus_alloc && !r; i++)
		if (vm->vcpus[i])
			r = save_vcpu(&s->vcpus[s->nvcpus++], vm->vcpus[i],
				      s->id);
	pthread_mutex_unlock(&vm->vcpu_lock);
	if (r < 0)
		goto fail;

	if (vm->flags & LIBVM_VM_IRQCHIP) {
		for (i = 0; i < 3; i++) {
			s->chips[i].chip_id = i;
			if (KVM_IOCTL(vm->vm_fd, KVM_GET_IRQCHIP,
				      &s->chips[i]) < 0) {
				r = LIBVM_EKVM;
				goto fail;
			}
		}
		s->has_irqchip = true;
	}
	if (vm->flags & LIBVM_VM_PIT) {
		if (KVM_IOCTL(vm->vm_fd, KVM_GET_PIT2, &s->pit) < 0) {
			r = LIBVM_EKVM;
			goto fail;
		}
		s->has_pit = true;
	}
	s->devs = calloc(vm->ndevs + 1, sizeof(*s->devs));
	s->devregs = calloc(vm->ndevs + 1, sizeof(*s->devregs));
	if (!s->devs || !s->devregs) {
		r = lvm_err(LIBVM_ENOMEM, "device snapshot");
		goto fail;
	}
	for (i = 0; i < vm->ndevs; i++) {
		struct lvm_snap_dev *d = &s->devs[s->ndevs++];

		memcpy(d->name, vm->devs[i].name, sizeof(d->name));
		d->len = vm->devs[i].len;
		d->data = malloc(d->len + 1);
		if (!d->data) {
			r = lvm_err(LIBVM_ENOMEM, "device snapshot");
			goto fail;
		}
		if (d->len)	/* state may be NULL when len is 0 */
			memcpy(d->data, vm->devs[i].state, d->len);
		s->devregs[i] = vm->devs[i];
	}
	s->ndevregs = vm->ndevs;
	pthread_rwlock_rdlock(&vm->trap_lock);
	r = copy_traps(s->traps, vm->traps);
	pthread_rwlock_unlock(&vm->trap_lock);
	if (r < 0)
		goto fail;

	pthread_rwlock_wrlock(&vm->mem_lock);
	r = start_tracking(vm);
	/* A take that fails half way has cleared some hdirty: restore whole. */
	vm->base_snap = 0;
	if (!r && vm->ring_entries)
		lvm_ring_harvest(vm);
	s->regions = calloc(vm->nregions + 1, sizeof(*s->regions));
	if (!r && !s->regions)
		r = lvm_err(LIBVM_ENOMEM, "region snapshot");
	for (i = 0; i < vm->nregions && !r; i++) {
		struct lvm_region *reg = &vm->regions[i];

		if (reg->flags & LIBVM_MEM_VOLATILE)
			continue;
		s->regions[s->nregions].memfd = -1;
		r = snap_region(&s->regions[s->nregions++], reg);
		if (!r)
			r = fetch_dirty(vm, reg);
		if (!r)
			memset(reg->hdirty, 0, bitmap_bytes(reg->size));
	}
	/* From here on, dirty means "differs from this snapshot". */
	if (!r)
		r = protect_hot(vm);
	if (!r) {
		vm->base_snap = s->id;
		s->rt_trusted = rt_trusted(vm);
		for (i = 0; i < s->nvcpus; i++)
			s->vcpus[i].user_only = s->rt_trusted &&
				vcpu_user_only(&s->rt, &s->vcpus[i]);
	}
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	lvm_snap_free(s);
	return r;
}

/* Zero the pages of [p, p+len) that are not zero, reading the rest. */
static void zero_nonzero(uint8_t *p, uint64_t len)
{
	uint64_t o;

	for (o = 0; o < len; o += PAGE)
		if (!page_zero(p + o))
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
			 struct hot_count *hc, uint64_t sys_lo, uint64_t sys_hi,
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
			  struct hot_count *hc, uint64_t sys_lo,
			  uint64_t sys_hi, bool *sys_written)
{
	uint64_t words = bitmap_bytes(reg->size) / 8, i, si;
	uint64_t sum_words = bitmap_bytes(words * PAGE) / 8;
	int r;

	/*
	 * Mapped read-only on the host (a read-only file): neither the guest
	 * nor libvm can have written it, and it cannot be written back.  A
	 * full restore leaves kdirty to protect_hot.
	 */
	if (!reg->host_writable || full) {
		if (reg->host_writable)
			restore_whole(reg, sr);
		r = fetch_dirty(vm, reg);
		memset(reg->hdirty, 0, words * 8);
		return r;
	}
	r = fetch_dirty(vm, reg);
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
	struct hot_count hc = { 0, 0 };
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
	if (vcpu_running(vm))
		return lvm_err(LIBVM_EBUSY, "libvm_snapshot_restore: a vCPU is "
			       "running");

	/* KVM may finish a string IN into guest memory: before it is restored. */
	r = flush_all(vm);
	if (r < 0)
		return r;

	pthread_rwlock_wrlock(&vm->mem_lock);
	r = check_layout(vm, s);
	if (!r)
		r = start_tracking(vm);
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
			r = protect_hot(vm);
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
		r = restore_vcpu(vm->vcpus[s->vcpus[i].id], &s->vcpus[i], s->id,
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
	vm->rt.active = s->rt.active;
	vm->rt.flags = s->rt.flags;
	vm->rt.sys_gpa = s->rt.sys_gpa;
	vm->rt.xcr0 = s->rt.xcr0;
	vm->rt.scratch_gpa = s->rt.scratch_gpa;
	vm->rt.scratch_size = s->rt.scratch_size;
	vm->rt.scratch_used = s->rt.scratch_used;
	vm->rt.sys_key = s->rt.sys_key;
	vm->rt.sys_sum = s->rt.sys_sum;
	vm->rt.sys_guarded = s->rt.sys_guarded;
	atomic_store(&vm->needs_restore, 0);
	return 0;
}

/* Give the fork's region at gpa the memfd it maps (full restores). */
static void set_cow_fd(libvm_vm *vm, uint64_t gpa, int fd)
{
	uint32_t i;

	pthread_rwlock_wrlock(&vm->mem_lock);
	for (i = 0; i < vm->nregions; i++)
		if (vm->regions[i].gpa == gpa) {
			vm->regions[i].cow_fd = fd;
			fd = -1;
			break;
		}
	pthread_rwlock_unlock(&vm->mem_lock);
	if (fd >= 0)
		close(fd);
}

/*
 * Most data extents of a region's memfd a fork maps one by one.  Each costs
 * the process two VMAs (the extent and the anonymous memory after it) of
 * vm.max_map_count, 65530 by default, which all VMs and libraries of the
 * process share: at 128, a region takes at most 257, so hundreds of forks
 * of even a scattered snapshot fit.  A snapshot of libvm's runtime and a
 * program has about ten extents; RAM more scattered than this (a whole
 * operating system's) gets its memfd mapped whole.
 */
#define FORK_MAX_EXTENTS	128

struct extent {
	uint64_t off, len;
};

/*
 * The data extents of sr's memfd, page aligned, into ext; their number, or
 * max + 1 when there are more than max or lseek cannot tell.
 */
static uint32_t data_extents(struct extent *ext, uint32_t max,
			     const struct lvm_snap_region *sr)
{
	uint64_t pos = 0, d, h;
	uint32_t n = 0;
	int k;

	while ((k = lvm_next_extent(sr->memfd, pos, sr->size, &d, &h)) > 0) {
		if (n == max)
			return max + 1;
		ext[n].off = d;
		ext[n++].len = h - d;
		pos = h;
	}
	return k < 0 ? max + 1 : n;
}

/*
 * A fork's memory for sr: private anonymous memory with the memfd's data
 * extents mapped MAP_PRIVATE over it.  Reading a hole through a mapping of
 * the memfd would make shmem allocate a page in it, shared by all forks
 * and for good; anonymous memory reads the zero page.  Past
 * FORK_MAX_EXTENTS, or if an extent cannot be mapped (out of VMAs), the
 * memfd is mapped whole.  No transparent huge pages: a fork costs the
 * pages it writes, not 2 MiB each (nor what khugepaged makes of them).
 */
static void *fork_map(const struct lvm_snap_region *sr)
{
	struct extent ext[FORK_MAX_EXTENTS];
	uint32_t n = data_extents(ext, FORK_MAX_EXTENTS, sr), i;
	uint8_t *p = MAP_FAILED;

	if (n <= FORK_MAX_EXTENTS)
		p = mmap(NULL, sr->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto whole;
	madvise(p, sr->size, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		void *q = mmap(p + ext[i].off, ext[i].len,
			       PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE,
			       sr->memfd, (off_t)ext[i].off);

		if (q == MAP_FAILED) {
			munmap(p, sr->size);
			goto whole;
		}
	}
	return p;
whole:
	return mmap(NULL, sr->size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_NORESERVE, sr->memfd, 0);
}

LIBVM_API int libvm_vm_fork(libvm_vm **out, libvm_snapshot *s)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;
	uint32_t i;
	int r;

	if (!out || !s)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_fork: NULL argument");
	*out = NULL;
	cfg.flags = s->vm_flags;
	cfg.kick_signal = s->kick_signal;
	r = libvm_vm_create(&vm, &cfg);
	if (r < 0)
		return r;
	for (i = 0; i < s->nregions; i++) {
		const struct lvm_snap_region *sr = &s->regions[i];
		void *p = fork_map(sr);

		if (p == MAP_FAILED) {
			r = lvm_err_errno(LIBVM_ENOMEM, errno, "fork: mmap of "
					  "%#llx+%#llx",
					  (unsigned long long)sr->gpa,
					  (unsigned long long)sr->size);
			goto fail;
		}
		int fd = fcntl(sr->memfd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			r = lvm_err_errno(LIBVM_EIO, errno, "fork: dup of a "
					  "snapshot memfd");
			munmap(p, sr->size);
			goto fail;
		}
		r = lvm_add_region(vm, sr->gpa, sr->size, p,
				   sr->flags & ~LIBVM_MEM_HUGEPAGES, true, true,
				   true);
		if (r < 0) {
			close(fd);
			munmap(p, sr->size);
			goto fail;
		}
		set_cow_fd(vm, sr->gpa, fd);
	}
	vm->rt = s->rt;
	pthread_rwlock_wrlock(&vm->trap_lock);
	r = copy_traps(vm->traps, s->traps);
	pthread_rwlock_unlock(&vm->trap_lock);
	if (r < 0)
		goto fail;
	if (s->ndevregs) {
		vm->devs = calloc(s->ndevregs, sizeof(*vm->devs));
		if (!vm->devs) {
			r = lvm_err(LIBVM_ENOMEM, "fork: device state");
			goto fail;
		}
		memcpy(vm->devs, s->devregs, s->ndevregs * sizeof(*vm->devs));
		vm->ndevs = s->ndevregs;
	}
	for (i = 0; i < s->nvcpus; i++) {
		libvm_vcpu *v;

		r = libvm_vcpu_create(&v, vm, s->vcpus[i].id);
		if (r < 0)
			goto fail;
	}
	/* Memory already is the snapshot's: start clean at it. */
	pthread_rwlock_wrlock(&vm->mem_lock);
	r = start_tracking(vm);
	if (!r)
		vm->base_snap = s->id;
	pthread_rwlock_unlock(&vm->mem_lock);
	if (r < 0)
		goto fail;
	r = libvm_snapshot_restore(vm, s);
	if (r < 0)
		goto fail;
	*out = vm;
	return 0;
fail:
	libvm_vm_destroy(vm);
	return r;
}

LIBVM_API libvm_vcpu *libvm_vm_vcpu(libvm_vm *vm, uint32_t id)
{
	libvm_vcpu *v = NULL;

	if (!vm)
		return NULL;
	pthread_mutex_lock(&vm->vcpu_lock);
	if (id < vm->nvcpus_alloc)
		v = vm->vcpus[id];
	pthread_mutex_unlock(&vm->vcpu_lock);
	return v;
}

LIBVM_API int libvm_vm_needs_restore(libvm_vm *vm)
{
	return vm ? atomic_load(&vm->needs_restore) : 0;
}

/* ---- fuzzing ------------------------------------------------------------ */

LIBVM_API int libvm_fuzz_exec(libvm_fuzz_result *res, libvm_vm *vm,
			      libvm_snapshot *snap, uint64_t fn,
			      uint64_t input_gpa, uint64_t input_cap,
			      const void *data, uint64_t len,
			      uint64_t timeout_ns)
{
	libvm_vcpu *v;
	uint64_t args[2];
	int r;

	if (!res || !vm || !snap || (!data && len))
		return lvm_err(LIBVM_EINVAL, "libvm_fuzz_exec: NULL argument");
	memset(res, 0, sizeof(*res));
	v = libvm_vm_vcpu(vm, 0);
	if (!v)
		return lvm_err(LIBVM_ESTATE, "libvm_fuzz_exec: the VM has no "
			       "vCPU 0");
	r = libvm_snapshot_restore(vm, snap);
	if (r < 0)
		return r;
	if (len > input_cap) {
		len = input_cap;
		res->flags |= LIBVM_FUZZ_TRUNCATED;
	}
	r = libvm_mem_write(vm, input_gpa, data, len);
	if (r < 0)
		return r;
	args[0] = input_gpa;
	args[1] = len;
	r = libvm_call(&res->ret, &res->exit, v, fn, args, 2, timeout_ns);
	if (r == 0) {
		res->outcome = LIBVM_FUZZ_OK;
		return 0;
	}
	if (r != LIBVM_EGUEST && r != LIBVM_ETIMEOUT)
		return r;
	switch (res->exit.reason) {
	case LIBVM_EXIT_EXCEPTION:
		res->outcome = LIBVM_FUZZ_CRASH;
		break;
	case LIBVM_EXIT_SHUTDOWN:
		res->outcome = LIBVM_FUZZ_TRIPLE_FAULT;
		break;
	case LIBVM_EXIT_TIMEOUT:
		res->outcome = LIBVM_FUZZ_TIMEOUT;
		break;
	case LIBVM_EXIT_STOPPED:
		res->outcome = res->exit.u.stop.space == LIBVM_TRAP_HYPERCALL &&
					       res->exit.u.stop.addr ==
						       LIBVM_HC_BUG
				       ? LIBVM_FUZZ_BUG : LIBVM_FUZZ_STOPPED;
		break;
	default:
		res->outcome = LIBVM_FUZZ_STOPPED;
	}
	atomic_store(&vm->needs_restore, 1);
	return 0;
}
