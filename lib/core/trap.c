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
	free(vm->traps[0].v);
	free(vm->traps[1].v);
	free(vm->traps[2].v);
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
			    "%#llx+%#llx", space_names[space],
			    (unsigned long long)base, (unsigned long long)len,
			    (unsigned long long)t->v[i].base,
			    (unsigned long long)(t->v[i].end - t->v[i].base));
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

int lvm_trap_remove(libvm_vm *vm, uint32_t space, uint64_t base)
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
	if (i < t->n && t->v[i].base == base) {
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

static bool rt_port(const libvm_vm *vm, uint32_t space, uint64_t base,
		    uint64_t len)
{
	return vm->rt.active && space == LIBVM_TRAP_PIO &&
	       ((base <= LIBVM_PORT_EXCEPTION &&
		 base + len > LIBVM_PORT_HYPERCALL) ||
		((vm->rt.flags & LIBVM_LONG_SYSCALL) &&
		 base <= LIBVM_PORT_SYSCALL &&
		 base + len > LIBVM_PORT_SYSCALL));
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
	if (rt_port(vm, space, base, len))
		return lvm_err(LIBVM_EOVERLAP, "libvm_trap_register: ports "
			       "%#x-%#x (and %#x with LIBVM_LONG_SYSCALL) "
			       "belong to the long-mode runtime",
			       LIBVM_PORT_HYPERCALL, LIBVM_PORT_EXCEPTION,
			       LIBVM_PORT_SYSCALL);
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
	return lvm_trap_remove(vm, space, base);
}

int lvm_hypercall_dispatch(libvm_vcpu *vcpu, uint64_t nr,
			   const uint64_t args[6], uint64_t *ret,
			   int *stop_code)
{
	libvm_vm *vm = vcpu->vm;
	const struct lvm_trap *t;
	int rc = 0;

	*ret = (uint64_t)(int64_t)LIBVM_ENOENT;
	if (!__atomic_load_n(&vm->traps[2].n, __ATOMIC_ACQUIRE))
		return 1;
	pthread_rwlock_rdlock(&vm->trap_lock);
	t = lookup(&vm->traps[2], nr);
	if (t) {
		handler_depth++;
		*ret = 0;
		rc = t->hfn(ret, vcpu, nr, args, t->opaque);
		handler_depth--;
	}
	pthread_rwlock_unlock(&vm->trap_lock);
	if (rc == LIBVM_TRAP_CONTINUE)
		return 1;
	*stop_code = rc;
	return 2;
}

int lvm_trap_dispatch(libvm_vcpu *vcpu, uint32_t space, uint64_t addr,
		      uint8_t *data, uint32_t size, uint32_t count,
		      uint32_t direction, int *stop_code)
{
	libvm_vm *vm = vcpu->vm;
	const struct lvm_trap *t;
	uint32_t i;
	int rc = 0;

	if (!__atomic_load_n(&vm->traps[space].n, __ATOMIC_ACQUIRE))
		return 0;
	pthread_rwlock_rdlock(&vm->trap_lock);
	t = lookup(&vm->traps[space], addr);
	if (!t) {
		pthread_rwlock_unlock(&vm->trap_lock);
		return 0;
	}
	handler_depth++;
	for (i = 0; i < count && rc == 0; i++) {
		uint8_t *d = data + (size_t)i * size;

		if (direction == LIBVM_READ)
			memset(d, 0, size);
		rc = t->fn(vcpu, addr, d, size, direction, t->opaque);
	}
	handler_depth--;
	pthread_rwlock_unlock(&vm->trap_lock);
	if (rc == LIBVM_TRAP_CONTINUE)
		return 1;
	*stop_code = rc;
	return 2;
}
