/* SPDX-License-Identifier: MIT */
/*
 * VM lifetime.  A VM's subsystems come up in the order of the table below
 * and go down in reverse; vm->subsys_up says how far creation got.  The
 * architecture's part (irqchip, PIT, real-mode helpers) comes after, from
 * libvm_vm_create in lib/x86/cpu.c.
 */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The process's /dev/kvm descriptor, shared with every other VM. */
static int kvm_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	vm->kvm_fd = lvm_kvm_get(cfg->kvm_path);
	return vm->kvm_fd < 0 ? vm->kvm_fd : 0;
}

static void kvm_down(libvm_vm *vm)
{
	lvm_kvm_put(vm->kvm_fd);
}

static int vmfd_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	int r;

	vm->vm_fd = KVM_IOCTL_VAL(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vm->vm_fd;
	vm->caps = lvm_probe_caps(vm->vm_fd);
	vm->run_size = KVM_IOCTL_VAL(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < 0) {
		close(vm->vm_fd);
		return vm->run_size;
	}
	r = lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	vm->max_vcpus = r > 0 ? (uint32_t)r : 1;
	if (cfg->max_vcpus && cfg->max_vcpus < vm->max_vcpus)
		vm->max_vcpus = cfg->max_vcpus;
	r = lvm_ioctl_raw(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vm->max_memslots = r > 0 ? (uint32_t)r : 32;
	if (vm->max_memslots > LIBVM_MAX_REGIONS)
		vm->max_memslots = LIBVM_MAX_REGIONS;
	vm->phys_bits = lvm_host_phys_bits();
	lvm_ring_enable(vm);	/* before any vCPU: KVM's rule */
	return 0;
}

static void vmfd_down(libvm_vm *vm)
{
	close(vm->vm_fd);
}

static int mem_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	return lvm_mem_init(vm);
}

static int trap_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	return lvm_trap_init(vm);
}

static int vcpus_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	if (pthread_mutex_init(&vm->vcpu_lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "vcpu lock");
	return 0;
}

static void vcpus_down(libvm_vm *vm)
{
	uint32_t i;

	for (i = vm->nvcpus_alloc; i-- > 0;)
		libvm_vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	pthread_mutex_destroy(&vm->vcpu_lock);
}

static int kick_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	return lvm_kick_setup(vm->kick_signal);
}

static int watchdog_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	return lvm_watchdog_init(vm);
}

static int teardown_up(libvm_vm *vm, const libvm_vm_config *cfg)
{
	(void)cfg;
	if (pthread_mutex_init(&vm->teardown_lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "teardown lock");
	return 0;
}

/* Each hook runs unlocked: it may remove itself (which finds nothing). */
static void teardown_down(libvm_vm *vm)
{
	for (;;) {
		struct lvm_teardown h;

		pthread_mutex_lock(&vm->teardown_lock);
		if (!vm->nteardown) {
			pthread_mutex_unlock(&vm->teardown_lock);
			break;
		}
		h = vm->teardown[--vm->nteardown];
		pthread_mutex_unlock(&vm->teardown_lock);
		h.fn(h.opaque);
	}
	free(vm->teardown);
	pthread_mutex_destroy(&vm->teardown_lock);
}

int lvm_vm_teardown_add(libvm_vm *vm, void (*fn)(void *opaque),
			void *opaque)
{
	struct lvm_teardown *h;

	pthread_mutex_lock(&vm->teardown_lock);
	h = realloc(vm->teardown, (vm->nteardown + 1) * sizeof(*h));
	if (h) {
		vm->teardown = h;
		h[vm->nteardown++] = (struct lvm_teardown){ fn, opaque };
	}
	pthread_mutex_unlock(&vm->teardown_lock);
	return h ? 0 : lvm_err(LIBVM_ENOMEM, "teardown hook");
}

void lvm_vm_teardown_remove(libvm_vm *vm, void (*fn)(void *opaque),
			    void *opaque)
{
	struct lvm_teardown *t;
	uint32_t i;

	pthread_mutex_lock(&vm->teardown_lock);
	for (i = vm->nteardown; i-- > 0;) {
		t = &vm->teardown[i];
		if (t->fn == fn && t->opaque == opaque) {
			memmove(t, t + 1, (vm->nteardown - i - 1) * sizeof(*t));
			vm->nteardown--;
			break;
		}
	}
	pthread_mutex_unlock(&vm->teardown_lock);
}

static const struct {
	const char *name;
	int (*up)(libvm_vm *vm, const libvm_vm_config *cfg);
	void (*down)(libvm_vm *vm);
} subsystems[] = {
	{ "kvm", kvm_up, kvm_down },
	{ "vm", vmfd_up, vmfd_down },
	{ "memory", mem_up, lvm_mem_fini },
	{ "traps", trap_up, lvm_trap_fini },
	{ "kick", kick_up, NULL },
	{ "vcpus", vcpus_up, vcpus_down },
	/* After the vCPUs: it must be gone before they are. */
	{ "watchdog", watchdog_up, lvm_watchdog_fini },
	/* Last: devices above the core go first, while all else is up. */
	{ "teardown", teardown_up, teardown_down },
};

static void take_down(libvm_vm *vm)
{
	while (vm->subsys_up > 0) {
		vm->subsys_up--;
		if (subsystems[vm->subsys_up].down)
			subsystems[vm->subsys_up].down(vm);
	}
	/* What the snapshot layer keeps in the VM (lib/snapshot/). */
	free(vm->msr_list);
	free(vm->devs);
}

LVM_VERSIONED(config_type, libvm_vm_config, LIBVM_VM_CONFIG_VERSION,
	      LIBVM_VM_CONFIG_INIT);

LIBVM_API int libvm_vm_config_init(libvm_vm_config *cfg, uint32_t version)
{
	return lvm_versioned_init(&config_type, cfg, version);
}

int lvm_vm_new(libvm_vm **out, const libvm_vm_config *in)
{
	libvm_vm_config c, *cfg = &c;
	libvm_vm *vm;
	size_t i;
	int r;

	if (!out)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_create: out is NULL");
	*out = NULL;
	r = lvm_versioned_in(&config_type, &c, in);
	if (r < 0)
		return r;
	if (cfg->flags & ~(LIBVM_VM_IRQCHIP | LIBVM_VM_PIT))
		return lvm_err(LIBVM_EINVAL, "libvm_vm_config.flags %#x: "
			       "unknown bits", cfg->flags);
	if ((cfg->flags & LIBVM_VM_PIT) && !(cfg->flags & LIBVM_VM_IRQCHIP))
		return lvm_err(LIBVM_EINVAL,
			       "LIBVM_VM_PIT needs LIBVM_VM_IRQCHIP");
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return lvm_err(LIBVM_ENOMEM, "libvm_vm_create");
	vm->flags = cfg->flags;
	vm->kick_signal = cfg->kick_signal ? cfg->kick_signal : SIGRTMAX - 3;
	for (i = 0; i < ARRAY_SIZE(subsystems); i++) {
		r = subsystems[i].up(vm, cfg);
		if (r < 0) {
			take_down(vm);
			free(vm);
			return r;
		}
		vm->subsys_up++;
	}
	*out = vm;
	return 0;
}

LIBVM_API void libvm_vm_destroy(libvm_vm *vm)
{
	if (!vm)
		return;
	take_down(vm);
	free(vm);
}

LIBVM_API int libvm_vm_irq_line(libvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

	if (!vm)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_irq_line: vm is NULL");
	if (!(vm->flags & LIBVM_VM_IRQCHIP))
		return lvm_err(LIBVM_ESTATE, "libvm_vm_irq_line: the VM was "
			       "created without LIBVM_VM_IRQCHIP");
	if (gsi >= 24)
		return lvm_err(LIBVM_EINVAL, "libvm_vm_irq_line: GSI %u "
			       "(0-23)", gsi);
	return KVM_IOCTL(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? LIBVM_EKVM : 0;
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
