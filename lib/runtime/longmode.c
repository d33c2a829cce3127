/* SPDX-License-Identifier: MIT */
/*
 * The long-mode environment: libvm_long_mode_setup checks the request,
 * the RAM and the runtime's ports, and only then writes the tables
 * (lib/x86/longmode.c) and the runtime's code into the system area;
 * libvm_vcpu_set_long_mode puts a vCPU into it.
 */
#include "runtime.h"

#include <string.h>
#include <sys/random.h>

static uint64_t sys_key(void)
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

/* What a checked libvm_long_mode_setup request comes to. */
struct lm_plan {
	uint32_t flags;		/* LIBVM_LONG_* */
	uint64_t sys;		/* guest address of the system area */
	uint64_t map;		/* identity-mapped bytes, page aligned */
	uint64_t page;		/* 2 MiB or 1 GiB */
	uint8_t *p;		/* the system area in host memory */
};

static int check_request(struct lm_plan *pl, const libvm_long_mode *cfg)
{
	if (cfg->flags & ~(LIBVM_LONG_SUPERVISOR | LIBVM_LONG_1G_PAGES |
			   LIBVM_LONG_SYSCALL))
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode.flags %#x",
			       cfg->flags);
	if (cfg->sys_gpa & (LIBVM_PAGE_SIZE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode.sys_gpa %#llx is "
			       "not page aligned",
			       (unsigned long long)cfg->sys_gpa);
	if ((cfg->flags & LIBVM_LONG_1G_PAGES) && !lvm_cpu_1g_pages())
		return lvm_err(LIBVM_ENOTSUP, "LIBVM_LONG_1G_PAGES: the CPU "
			       "has no 1 GiB pages");
	pl->flags = cfg->flags;
	pl->sys = cfg->sys_gpa;
	pl->page = (cfg->flags & LIBVM_LONG_1G_PAGES) ? 1ull << 30 : 2ull << 20;
	return 0;
}

static uint64_t ram_end(libvm_vm *vm)
{
	return vm->nregions ? vm->regions[vm->nregions - 1].gpa +
				      vm->regions[vm->nregions - 1].size
			    : 0;
}

/* The system area lies in writable RAM; the map fits the tables. */
static int check_ram(libvm_vm *vm, struct lm_plan *pl, uint64_t map_size)
{
	uint64_t ngb, max_gb = pl->page == (1ull << 30) ? 512 : 64;

	pthread_rwlock_rdlock(&vm->mem_lock);
	pl->map = map_size ? map_size : ram_end(vm);
	pl->p = lvm_gpa_ptr(vm, pl->sys, LIBVM_SYS_SIZE, true);
	pthread_rwlock_unlock(&vm->mem_lock);
	if (!pl->p)
		return lvm_err(LIBVM_ERANGE, "libvm_long_mode.sys_gpa: %#llx+"
			       "%#llx is not inside one writable RAM region",
			       (unsigned long long)pl->sys, LIBVM_SYS_SIZE);
	ngb = (pl->map + (1ull << 30) - 1) >> 30;
	if (!pl->map || ngb > max_gb)
		return lvm_err(LIBVM_ERANGE, "libvm_long_mode.map_size %#llx: "
			       "1 byte to %s", (unsigned long long)pl->map,
			       max_gb == 64 ? "64 GiB" : "512 GiB");
	pl->map = (pl->map + pl->page - 1) & ~(pl->page - 1);
	return 0;
}

/* Tables, code and guard: nothing here can fail. */
static void write_area(const struct lm_plan *pl)
{
	uint64_t code = pl->sys + LVM_SYS_CODE;

	memset(pl->p, 0, LIBVM_SYS_SIZE);
	lvm_lm_write_gdt_tss(pl->p, pl->sys);
	lvm_lm_write_idt(pl->p, code);
	memcpy(pl->p + LVM_SYS_CODE, lvm_rt_code,
	       (size_t)(lvm_rt_code_end - lvm_rt_code));
	lvm_lm_write_identity_map(pl->p, pl->sys, pl->map, pl->page);
	if (pl->page == (2ull << 20))
		lvm_lm_write_guard(pl->p, pl->sys, code);
}

static void activate(libvm_vm *vm, const struct lm_plan *pl)
{
	struct lvm_rt *rt = &vm->rt;

	rt->flags = pl->flags;
	rt->sys_gpa = pl->sys;
	rt->xcr0 = lvm_guest_xcr0(vm->kvm_fd);
	rt->sys_guarded = pl->page == (2ull << 20);
	rt->sys_key = sys_key();
	rt->sys_sum = lvm_rt_sys_sum(pl->p, rt->sys_key);
	rt->active = true;
}

LVM_VERSIONED(lm_type, libvm_long_mode, LIBVM_LONG_MODE_VERSION,
	      LIBVM_LONG_MODE_INIT);

LIBVM_API int libvm_long_mode_init(libvm_long_mode *cfg, uint32_t version)
{
	return lvm_versioned_init(&lm_type, cfg, version);
}

LIBVM_API int libvm_long_mode_setup(libvm_vm *vm, const libvm_long_mode *in)
{
	struct lm_plan pl = { 0 };
	libvm_long_mode cfg;
	int r;

	if (!vm || !in)
		return lvm_err(LIBVM_EINVAL, "libvm_long_mode_setup: NULL "
			       "argument");
	r = lvm_versioned_in(&lm_type, &cfg, in);
	if (r < 0)
		return r;
	r = check_request(&pl, &cfg);
	if (r < 0)
		return r;
	r = check_ram(vm, &pl, cfg.map_size);
	if (r < 0)
		return r;
	/* The ports last: the one check that claims something. */
	r = lvm_rt_ports_on(vm, pl.flags);
	if (r < 0)
		return r;
	write_area(&pl);
	activate(vm, &pl);
	return 0;
}

int lvm_rt_adopt(libvm_vm *vm, const struct lvm_rt *rt)
{
	struct lvm_rt own = vm->rt;
	int r = 0;

	if (rt->active)
		r = lvm_rt_ports_on(vm, rt->flags);
	if (r < 0)
		return r;
	vm->rt = *rt;
	lvm_rt_callbacks(&vm->rt, &own);
	return 0;
}

void lvm_rt_callbacks(struct lvm_rt *dst, const struct lvm_rt *src)
{
	dst->console = src->console;
	dst->console_opaque = src->console_opaque;
	dst->syscall_fn = src->syscall_fn;
	dst->syscall_opaque = src->syscall_opaque;
}

/* SYSCALL leads to the runtime's stub (lib/runtime/rt_code.S). */
static int set_syscall_msrs(libvm_vcpu *v)
{
	uint64_t stub = LVM_RT_SYSCALL_ENTRY(&v->vm->rt);
	const struct {
		uint32_t index;
		uint64_t value;
	} m[] = {
		{ LVM_MSR_STAR, LVM_STAR },
		{ LVM_MSR_LSTAR, stub },
		{ LVM_MSR_CSTAR, stub },
		{ LVM_MSR_SFMASK, LVM_SFMASK },
	};
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		r = libvm_vcpu_set_msr(v, m[i].index, m[i].value);
		if (r < 0)
			return r;
	}
	return 0;
}

LIBVM_API int libvm_vcpu_set_long_mode(libvm_vcpu *v, uint64_t rip,
				       uint64_t rsp)
{
	libvm_vm *vm;
	libvm_sregs s;
	libvm_regs regs;
	bool user;
	int r;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_long_mode: vcpu is "
			       "NULL");
	vm = v->vm;
	if (!vm->rt.active)
		return lvm_err(LIBVM_ESTATE, "libvm_vcpu_set_long_mode: call "
			       "libvm_long_mode_setup first");
	if (v->id >= LIBVM_LONG_MAX_VCPUS)
		return lvm_err(LIBVM_ELIMIT, "libvm_vcpu_set_long_mode: vCPU "
			       "%u, the long-mode runtime serves ids 0-%u",
			       v->id, LIBVM_LONG_MAX_VCPUS - 1);
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	user = !(vm->rt.flags & LIBVM_LONG_SUPERVISOR);
	lvm_lm_sregs(&s, vm->rt.sys_gpa, v->id,
		     (user ? LVM_LM_USER : 0) |
		     (vm->rt.xcr0 ? LVM_LM_XSAVE : 0) |
		     ((vm->rt.flags & LIBVM_LONG_SYSCALL) ? LVM_LM_SYSCALL : 0));
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	r = set_syscall_msrs(v);
	if (r < 0)
		return r;
	if (vm->rt.xcr0) {
		r = libvm_vcpu_set_xcr(v, 0, vm->rt.xcr0);
		if (r < 0)
			return r;
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = rsp;
	regs.rflags = RFLAGS_FIXED | (user ? RFLAGS_IOPL3 : 0);
	r = libvm_vcpu_set_regs(v, &regs);
	if (r < 0)
		return r;
	v->rt_sregs = s;
	v->rt_stack = rsp;
	v->rt_long = true;
	v->rt_at_dispatch = false;
	v->rt_sys_where = 0;
	return 0;
}
