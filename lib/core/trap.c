/* SPDX-License-Identifier: MIT */
/*
 * The trap registry: sorted, non-overlapping ranges per address space,
 * found by binary search.  Handlers run under the read lock, so
 * libvm_trap_unregister (write lock) returns only once no handler of the
 * range is running; a handler that tries to change the registry would
 * deadlock on itself, so a per-thread depth refuses that with EBUSY.
 */
#include "../internal.h"

#include <stdlib.h>
#include <string.h>

static __thread unsigned handler_depth;

int lvm_trap_init(libvm_vm *vm)
{
	if (pthread_rwlock_init(&vm->trap_lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "trap lock");
	return 0;
}

void lvm_trap_fini(libvm_vm *vm)
{
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(vm->traps); i++)
		free(vm->traps[i].v);
	pthread_rwlock_destroy(&vm->trap_lock);
}

/* First index whose end is above addr. */
static uint32_t lower_bound(const struct lvm_trap_table *t, uint64_t addr)
{
	uint32_t lo = 0, hi = t->n;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (t->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct lvm_trap *lookup(const struct lvm_trap_table *t,
				     uint64_t addr)
{
	uint32_t i = lower_bound(t, addr);

	if (i < t->n && t->v[i].base <= addr)
		return &t->v[i];
	return NULL;
}

static const char *const space_names[] = { "port", "MMIO", "hypercall" };

/* Insert a copy of *tmpl as [base, base+len) into space. */
int lvm_trap_insert(libvm_vm *vm, uint32_t space, uint64_t base,
		    uint64_t len, const struct lvm_trap *tmpl)
{
	struct lvm_trap_table *t;
	uint32_t i;
	int r = 0;

	if (handler_depth)
		return lvm_err(LIBVM_EBUSY, "registering a %s handler from "
			       "inside a handler", space_names[space]);
	pthread_rwlock_wrlock(&vm->trap_lock);
	t = &vm->traps[space];
	i = lower_bound(t, base);
	if (i < t->n && t->v[i].base < base + len) {
		r = lvm_err(LIBVM_EOVERLAP, "%s range %#llx+%#llx overlaps "
			    "%#llx+%#llx%s%s", space_names[space],
			    (unsigned long long)base, (unsigned long long)len,
			    (unsigned long long)t->v[i].base,
			    (unsigned long long)(t->v[i].end - t->v[i].base),
			    t->v[i].owner ? ", which belongs to " : "",
			    t->v[i].owner ? t->v[i].owner : "");
		goto out;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct lvm_trap *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			r = lvm_err(LIBVM_ENOMEM, "trap table");
			goto out;
		}
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(t->v[0]));
	t->v[i] = *tmpl;
	t->v[i].base = base;
	t->v[i].end = base + len;
	__atomic_store_n(&t->n, t->n + 1, __ATOMIC_RELEASE);
out:
	pthread_rwlock_unlock(&vm->trap_lock);
	return r;
}

int lvm_trap_remove(libvm_vm *vm, uint32_t space, uint64_t base,
		    const char *owner)
{
	struct lvm_trap_table *t;
	uint32_t i;
	int r = 0;

	if (handler_depth)
		return lvm_err(LIBVM_EBUSY, "unregistering a %s handler from "
			       "inside a handler", space_names[space]);
	pthread_rwlock_wrlock(&vm->trap_lock);
	t = &vm->traps[space];
	i = lower_bound(t, base);
	if (i < t->n && t->v[i].base == base && t->v[i].owner != owner) {
		r = lvm_err(LIBVM_EBUSY, "%s range at %#llx belongs to %s",
			    space_names[space], (unsigned long long)base,
			    t->v[i].owner ? t->v[i].owner : "the program");
	} else if (i < t->n && t->v[i].base == base) {
		memmove(&t->v[i], &t->v[i + 1],
			(t->n - i - 1) * sizeof(t->v[0]));
		__atomic_store_n(&t->n, t->n - 1, __ATOMIC_RELEASE);
	} else {
		r = lvm_err(LIBVM_ENOENT, "no %s range starts at %#llx",
			    space_names[space], (unsigned long long)base);
	}
	pthread_rwlock_unlock(&vm->trap_lock);
	return r;
}

bool lvm_trap_owned(libvm_vm *vm, uint32_t space, uint64_t addr,
		    const char *owner)
{
	const struct lvm_trap *t;
	bool mine;

	pthread_rwlock_rdlock(&vm->trap_lock);
	t = lookup(&vm->traps[space], addr);
	mine = t && t->owner == owner;
	pthread_rwlock_unlock(&vm->trap_lock);
	return mine;
}

LIBVM_API int libvm_trap_register(libvm_vm *vm, uint32_t space, uint64_t base,
				  uint64_t len, libvm_trap_fn fn,
				  void *opaque)
{
	struct lvm_trap tmpl = { .fn = fn, .opaque = opaque };
	uint64_t limit;

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_trap_register: vm is NULL");
	if (space != LIBVM_TRAP_PIO && space != LIBVM_TRAP_MMIO)
		return lvm_err(LIBVM_EINVAL, "libvm_trap_register: space %u",
			       space);
	limit = space == LIBVM_TRAP_PIO ? 0x10000 : 0;
	if (!fn || !len || base + len < base ||
	    (limit && (base >= limit || len > limit - base)))
		return lvm_err(LIBVM_EINVAL, "libvm_trap_register: %s range "
			       "%#llx+%#llx%s", space_names[space],
			       (unsigned long long)base,
			       (unsigned long long)len,
			       fn ? "" : " with a NULL handler");
	return lvm_trap_insert(vm, space, base, len, &tmpl);
}

LIBVM_API int libvm_trap_unregister(libvm_vm *vm, uint32_t space,
				    uint64_t base)
{
	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_trap_unregister: vm is NULL");
	if (space != LIBVM_TRAP_PIO && space != LIBVM_TRAP_MMIO)
		return lvm_err(LIBVM_EINVAL, "libvm_trap_unregister: space %u",
			       space);
	return lvm_trap_remove(vm, space, base, NULL);
}

void lvm_exit_stop(libvm_exit *ex, uint32_t space, uint64_t addr, int code,
		   uint64_t value)
{
	ex->reason = LIBVM_EXIT_STOPPED;
	ex->u.stop.space = space;
	ex->u.stop.code = code;
	ex->u.stop.addr = addr;
	ex->u.stop.value = value;
}

enum lvm_dispatch lvm_hypercall_dispatch(libvm_vcpu *vcpu, uint64_t nr,
					 const uint64_t args[6], uint64_t *ret,
					 libvm_exit *ex)
{
	libvm_vm *vm = vcpu->vm;
	const struct lvm_trap *t;
	int rc = LIBVM_TRAP_CONTINUE;

	*ret = (uint64_t)(int64_t)LIBVM_ENOENT;
	if (!__atomic_load_n(&vm->traps[LIBVM_TRAP_HYPERCALL].n,
			     __ATOMIC_ACQUIRE))
		return LVM_DISPATCH_CONTINUE;
	pthread_rwlock_rdlock(&vm->trap_lock);
	t = lookup(&vm->traps[LIBVM_TRAP_HYPERCALL], nr);
	if (t) {
		handler_depth++;
		*ret = 0;
		rc = t->hfn(vcpu, nr, args, ret, t->opaque);
		handler_depth--;
	}
	pthread_rwlock_unlock(&vm->trap_lock);
	if (rc == LIBVM_TRAP_CONTINUE)
		return LVM_DISPATCH_CONTINUE;
	lvm_exit_stop(ex, LIBVM_TRAP_HYPERCALL, nr, rc, args[0]);
	return LVM_DISPATCH_EXIT;
}

/*
 * The handler of the range a covers, if any.  A program's handler runs
 * under the read lock (see libvm_trap_unregister); one of libvm's own
 * layers (owner set, never removed while vCPUs run) runs after it is
 * dropped, so it may dispatch further (the runtime's hypercalls).
 */
enum lvm_dispatch lvm_trap_dispatch(libvm_vcpu *vcpu,
				    const struct lvm_access *a,
				    libvm_exit *ex)
{
	libvm_vm *vm = vcpu->vm;
	const struct lvm_trap *t;
	lvm_access_fn afn;
	void *opaque;
	uint32_t i;
	int rc = 0;

	if (!__atomic_load_n(&vm->traps[a->space].n, __ATOMIC_ACQUIRE))
		return LVM_DISPATCH_NONE;
	pthread_rwlock_rdlock(&vm->trap_lock);
	t = lookup(&vm->traps[a->space], a->addr);
	if (!t) {
		pthread_rwlock_unlock(&vm->trap_lock);
		return LVM_DISPATCH_NONE;
	}
	if (t->afn) {
		afn = t->afn;
		opaque = t->opaque;
		pthread_rwlock_unlock(&vm->trap_lock);
		return afn(vcpu, a, ex, opaque);
	}
	handler_depth++;
	for (i = 0; i < a->count && rc == 0; i++) {
		uint8_t *d = a->data + (size_t)i * a->size;

		if (a->direction == LIBVM_READ)
			memset(d, 0, a->size);
		rc = t->fn(vcpu, a->addr, d, a->size, a->direction, t->opaque);
	}
	handler_depth--;
	pthread_rwlock_unlock(&vm->trap_lock);
	if (rc == LIBVM_TRAP_CONTINUE)
		return LVM_DISPATCH_CONTINUE;
	lvm_exit_stop(ex, a->space, a->addr, rc, 0);
	return LVM_DISPATCH_EXIT;
}
