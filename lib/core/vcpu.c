/* SPDX-License-Identifier: MIT */
/* vCPU lifetime: the KVM vCPU, its run area and its dirty ring. */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * A vCPU with its run area and dirty ring: the architecture-neutral part of
 * libvm_vcpu_create (lib/x86/cpu.c), which sets the rest up.
 */
int lvm_vcpu_new(libvm_vcpu **out, libvm_vm *vm, uint32_t id)
{
	libvm_vcpu *v;
	void *run;
	int r;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_create: NULL argument");
	*out = NULL;
	if (id >= vm->max_vcpus)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_create: id %u, this VM "
			       "allows 0-%u", id, vm->max_vcpus - 1);
	v = calloc(1, sizeof(*v));
	if (!v)
		return lvm_err(LIBVM_ENOMEM, "libvm_vcpu_create");
	v->vm = vm;
	v->id = id;
	if (pthread_mutex_init(&v->run_lock, NULL)) {
		r = lvm_err(LIBVM_ENOMEM, "vcpu lock");
		goto err_free;
	}
	pthread_mutex_lock(&vm->vcpu_lock);
	if (id < vm->nvcpus_alloc && vm->vcpus[id]) {
		pthread_mutex_unlock(&vm->vcpu_lock);
		r = lvm_err(LIBVM_EBUSY, "libvm_vcpu_create: vCPU %u exists",
			    id);
		goto err_lock;
	}
	if (id >= vm->nvcpus_alloc) {
		uint32_t n = id + 1;
		libvm_vcpu **a = realloc(vm->vcpus, n * sizeof(*a));

		if (!a) {
			pthread_mutex_unlock(&vm->vcpu_lock);
			r = lvm_err(LIBVM_ENOMEM, "libvm_vcpu_create");
			goto err_lock;
		}
		memset(a + vm->nvcpus_alloc, 0,
		       (n - vm->nvcpus_alloc) * sizeof(*a));
		vm->vcpus = a;
		vm->nvcpus_alloc = n;
	}
	vm->vcpus[id] = v;	/* reserve the id */
	pthread_mutex_unlock(&vm->vcpu_lock);

	v->fd = lvm_ioctl_raw(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		if (errno == EEXIST)	/* KVM keeps a vCPU until the VM goes */
			r = lvm_err(LIBVM_EBUSY, "libvm_vcpu_create: vCPU %u was "
				    "created in this VM before; KVM cannot "
				    "create an id twice", id);
		else
			r = lvm_err_errno(LIBVM_EKVM, errno, "KVM_CREATE_VCPU");
		goto err_slot;
	}
	run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		r = lvm_err_errno(LIBVM_ENOMEM, errno, "mmap vCPU %u run area",
				  id);
		goto err_fd;
	}
	v->run = run;
	r = lvm_ring_map(v);
	if (r < 0)
		goto err_map;
	*out = v;
	return 0;

err_map:
	munmap(v->run, (size_t)vm->run_size);
err_fd:
	close(v->fd);
err_slot:
	pthread_mutex_lock(&vm->vcpu_lock);
	vm->vcpus[id] = NULL;
	pthread_mutex_unlock(&vm->vcpu_lock);
err_lock:
	pthread_mutex_destroy(&v->run_lock);
err_free:
	free(v);
	return r;
}

LIBVM_API void libvm_vcpu_destroy(libvm_vcpu *v)
{
	libvm_vm *vm;

	if (!v)
		return;
	vm = v->vm;
	pthread_mutex_lock(&vm->vcpu_lock);
	vm->vcpus[v->id] = NULL;
	pthread_mutex_unlock(&vm->vcpu_lock);
	/*
	 * Its ring outlives it in KVM: take what is there, so the pages are
	 * restored and the next reset protects them again.
	 */
	pthread_rwlock_rdlock(&vm->mem_lock);
	lvm_ring_collect(v);
	pthread_rwlock_unlock(&vm->mem_lock);
	lvm_ring_unmap(v);
	munmap(v->run, (size_t)vm->run_size);
	close(v->fd);
	pthread_mutex_destroy(&v->run_lock);
	free(v);
}

LIBVM_API libvm_vm *libvm_vcpu_vm(libvm_vcpu *v)
{
	return v ? v->vm : NULL;
}

LIBVM_API uint32_t libvm_vcpu_id(libvm_vcpu *v)
{
	return v ? v->id : 0;
}
