/* SPDX-License-Identifier: MIT */
/*
 * A virtio device bound to a VM: its register block in the trap registry,
 * an ioeventfd per queue on QueueNotify (datamatch: the queue index), an
 * irqfd for its interrupt, and the worker thread that runs the device.
 *
 * The worker sleeps in epoll_wait on the kick eventfds, a wake eventfd
 * (events the register handler queued in dev->pending, and stop) and the
 * fds the device watches.  Destroying a device removes the trap first (so
 * no vCPU is in its handler), then the eventfd registrations, then stops
 * and joins the worker; libvm_vm_destroy does the same through a teardown
 * hook, before any of the VM goes.
 */
#define _GNU_SOURCE	/* pthread_setname_np */
#include "vio.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define R_QUEUE_NOTIFY	0x50
/* epoll tags: the wake fd, the queues' kick fds, watched fds. */
#define TAG_WAKE	0ull
#define TAG_QUEUE	1ull
#define TAG_FD		(1ull << 32)

static const char vio_owner[] = "a virtio device";

static void *vm_map(void *ctx, uint64_t gpa, uint64_t *len, bool write)
{
	return lvm_gpa_span(ctx, gpa, len, write);
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so it is signalled anyway */
	}
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing to take */
	}
}

static void hook_irq(libvm_virtio_dev *dev)
{
	if (dev->irq_fd < 0)
		return;		/* no line: the driver polls */
	__atomic_fetch_add(&dev->st.interrupts, 1, __ATOMIC_RELAXED);
	signal_fd(dev->irq_fd);
}

static void hook_kick(libvm_virtio_dev *dev, uint32_t q)
{
	/* A notify KVM did not take: the same wake-up, through userspace. */
	signal_fd(dev->kick_fd[q]);
}

static void hook_post(libvm_virtio_dev *dev)
{
	signal_fd(dev->wake_fd);
}

static const struct vio_hooks vm_hooks = {
	.irq = hook_irq, .kick = hook_kick, .post = hook_post,
};

static int mmio_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		     uint32_t size, uint32_t direction, void *opaque)
{
	libvm_virtio_dev *dev = opaque;

	(void)vcpu;
	vio_mmio_access(dev, addr - dev->cfg.mmio_base, data, size,
			direction == LIBVM_WRITE);
	return LIBVM_TRAP_CONTINUE;
}

static void *worker(void *arg)
{
	libvm_virtio_dev *dev = arg;
	struct epoll_event ev[16];
	int fds[16];

	while (!atomic_load(&dev->stop)) {
		uint32_t pending = 0, nfds = 0;
		int n = epoll_wait(dev->ep_fd, ev, 16, -1), i;

		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag == TAG_WAKE) {
				drain_fd(dev->wake_fd);
			} else if (tag < TAG_FD) {
				drain_fd(dev->kick_fd[tag - TAG_QUEUE]);
				pending |= 1u << (tag - TAG_QUEUE);
				__atomic_fetch_add(&dev->st.kicks, 1,
						   __ATOMIC_RELAXED);
			} else {
				fds[nfds++] = (int)(tag - TAG_FD);
			}
		}
		if (atomic_load(&dev->stop))
			break;
		pending |= atomic_exchange(&dev->pending, 0);
		vio_dispatch(dev, pending);
		for (i = 0; i < (int)nfds; i++)
			dev->cfg.event(dev, LIBVM_VIRTIO_EV_FD,
				       (uint32_t)fds[i], dev->cfg.opaque);
	}
	return NULL;
}

static int epoll_add(libvm_virtio_dev *dev, int fd, uint64_t tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(dev->ep_fd, EPOLL_CTL_ADD, fd, &e) < 0)
		return lvm_err_errno(errno == EPERM ? LIBVM_EINVAL : LIBVM_EIO,
				     errno, "virtio: epoll_ctl add fd %d", fd);
	return 0;
}

static int new_eventfd(int *fd)
{
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "virtio: eventfd");
	return 0;
}

/* Eventfds and the epoll set, each fd -1 until made. */
static int open_fds(libvm_virtio_dev *dev)
{
	uint32_t i;
	int r;

	dev->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (dev->ep_fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "virtio: epoll_create1");
	r = new_eventfd(&dev->wake_fd);
	if (!r)
		r = epoll_add(dev, dev->wake_fd, TAG_WAKE);
	for (i = 0; i < dev->cfg.num_queues && !r; i++) {
		r = new_eventfd(&dev->kick_fd[i]);
		if (!r)
			r = epoll_add(dev, dev->kick_fd[i], TAG_QUEUE + i);
	}
	if (!r && dev->cfg.gsi != LIBVM_VIRTIO_NO_GSI)
		r = new_eventfd(&dev->irq_fd);
	return r;
}

/*
 * Queue kicks through KVM: an ioeventfd per queue.  Without the
 * capability (or with LIBVM_VIRTIO_TRAP_NOTIFY) the register handler
 * signals the same eventfds.
 */
static int bind_kicks(libvm_virtio_dev *dev)
{
	uint64_t addr = dev->cfg.mmio_base + R_QUEUE_NOTIFY;
	uint32_t i;
	int r = 0;

	if ((dev->cfg.flags & LIBVM_VIRTIO_TRAP_NOTIFY) ||
	    !(dev->vm->caps & LIBVM_HOST_IOEVENTFD))
		return 0;
	for (i = 0; i < dev->cfg.num_queues && !r; i++)
		r = libvm_vm_ioeventfd(dev->vm, dev->kick_fd[i],
				       LIBVM_TRAP_MMIO, addr, 4, i,
				       LIBVM_IOEVENTFD_DATAMATCH);
	if (r < 0)
		while (i-- > 1)
			libvm_vm_ioeventfd(dev->vm, dev->kick_fd[i - 1],
					   LIBVM_TRAP_MMIO, addr, 4, i - 1,
					   LIBVM_IOEVENTFD_DATAMATCH |
					   LIBVM_IOEVENTFD_REMOVE);
	dev->ioeventfd = r == 0;
	return r;
}

static void unbind_kicks(libvm_virtio_dev *dev)
{
	uint64_t addr = dev->cfg.mmio_base + R_QUEUE_NOTIFY;
	uint32_t i;

	if (!dev->ioeventfd)
		return;
	for (i = 0; i < dev->cfg.num_queues; i++)
		libvm_vm_ioeventfd(dev->vm, dev->kick_fd[i], LIBVM_TRAP_MMIO,
				   addr, 4, i, LIBVM_IOEVENTFD_DATAMATCH |
				   LIBVM_IOEVENTFD_REMOVE);
	dev->ioeventfd = false;
}

static int start_worker(libvm_virtio_dev *dev)
{
	sigset_t all, old;
	int r;

	/* The worker takes no signal: the kick signal is for vCPU threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&dev->thread, NULL, worker, dev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return lvm_err_errno(LIBVM_ENOMEM, r, "virtio: worker thread");
	dev->thread_up = true;
	pthread_setname_np(dev->thread, "libvm-virtio");	/* for ps, top */
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void vm_hook(void *opaque);

/* Take down whatever of dev is up, in reverse order; free it. */
static void teardown(libvm_virtio_dev *dev)
{
	uint32_t i;

	if (dev->hooked)
		lvm_vm_teardown_remove(dev->vm, vm_hook, dev);
	if (dev->trapped)
		lvm_trap_remove(dev->vm, LIBVM_TRAP_MMIO, dev->cfg.mmio_base,
				vio_owner);
	if (dev->irq_fd >= 0 && dev->cfg.gsi != LIBVM_VIRTIO_NO_GSI)
		libvm_vm_irqfd(dev->vm, dev->irq_fd, dev->cfg.gsi,
			       LIBVM_IRQFD_REMOVE);
	unbind_kicks(dev);
	if (dev->thread_up) {
		atomic_store(&dev->stop, true);
		signal_fd(dev->wake_fd);
		pthread_join(dev->thread, NULL);
	}
	if (dev->cleanup)
		dev->cleanup(dev->cfg.opaque);
	close_fd(&dev->ep_fd);
	close_fd(&dev->wake_fd);
	close_fd(&dev->irq_fd);
	for (i = 0; i < LIBVM_VIRTIO_MAX_QUEUES; i++)
		close_fd(&dev->kick_fd[i]);
	vio_dev_fini(dev);
	free(dev);
}

static void vm_hook(void *opaque)
{
	libvm_virtio_dev *dev = opaque;

	dev->hooked = false;	/* the VM already dropped it */
	teardown(dev);
}

static int bind_vm(libvm_virtio_dev *dev)
{
	/*
	 * A program's kind of handler (run under the registry's read lock,
	 * so removing it waits for accesses in flight), owned by this layer
	 * so a program's libvm_trap_unregister cannot take it.
	 */
	struct lvm_trap t = { .fn = mmio_trap, .opaque = dev,
			      .owner = vio_owner, .vm_bound = true };
	int r;

	r = open_fds(dev);
	if (r < 0)
		return r;
	if (dev->irq_fd >= 0) {
		r = libvm_vm_irqfd(dev->vm, dev->irq_fd, dev->cfg.gsi, 0);
		if (r < 0) {
			close_fd(&dev->irq_fd);	/* not registered */
			return r;
		}
	}
	r = bind_kicks(dev);
	if (r < 0)
		return r;
	r = start_worker(dev);
	if (r < 0)
		return r;
	r = lvm_trap_insert(dev->vm, LIBVM_TRAP_MMIO, dev->cfg.mmio_base,
			    LIBVM_VIRTIO_MMIO_SIZE, &t);
	if (r < 0)
		return r;
	dev->trapped = true;
	r = lvm_vm_teardown_add(dev->vm, vm_hook, dev);
	dev->hooked = r == 0;
	return r;
}

/*
 * The device libvm brings itself (blk, console, rng): cleanup(opaque)
 * runs once the worker is gone, also when creation fails.
 */
int vio_create(libvm_virtio_dev **out, libvm_vm *vm,
	       const libvm_virtio_config *cfg, void (*cleanup)(void *))
{
	struct vio_mem mem = { vm_map, vm };
	libvm_virtio_dev *dev;
	uint32_t i;
	int r;

	if (out)
		*out = NULL;
	r = vio_check_config(cfg);
	if (r < 0 || !out || !vm) {
		r = r < 0 ? r : lvm_err(LIBVM_EINVAL, "libvm_virtio_create: "
					"NULL argument");
		goto fail;
	}
	if (cfg->gsi != LIBVM_VIRTIO_NO_GSI && !(vm->flags & LIBVM_VM_IRQCHIP)) {
		r = lvm_err(LIBVM_ESTATE, "virtio device: GSI %u needs a VM "
			    "with LIBVM_VM_IRQCHIP", cfg->gsi);
		goto fail;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		r = lvm_err(LIBVM_ENOMEM, "virtio device");
		goto fail;
	}
	dev->vm = vm;
	dev->ep_fd = dev->wake_fd = dev->irq_fd = -1;
	for (i = 0; i < LIBVM_VIRTIO_MAX_QUEUES; i++)
		dev->kick_fd[i] = -1;
	r = vio_dev_init(dev, cfg, &mem, &vm_hooks);
	if (r < 0) {
		free(dev);
		goto fail;
	}
	dev->cleanup = cleanup;
	r = bind_vm(dev);
	if (r < 0) {
		teardown(dev);
		return r;
	}
	*out = dev;
	return 0;
fail:
	if (cleanup && cfg)
		cleanup(cfg->opaque);
	return r;
}

LVM_VERSIONED(vio_config_type, libvm_virtio_config,
	      LIBVM_VIRTIO_CONFIG_VERSION, LIBVM_VIRTIO_CONFIG_INIT);

LIBVM_API int libvm_virtio_create(libvm_virtio_dev **out, libvm_vm *vm,
				  const libvm_virtio_config *cfg)
{
	libvm_virtio_config c;
	int r = lvm_versioned_in(&vio_config_type, &c, cfg);

	if (out)
		*out = NULL;
	if (!cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_create: NULL "
			       "config");
	return r < 0 ? r : vio_create(out, vm, &c, NULL);
}

LIBVM_API void libvm_virtio_destroy(libvm_virtio_dev *dev)
{
	if (dev)
		teardown(dev);
}

LIBVM_API int libvm_virtio_watch_fd(libvm_virtio_dev *dev, int fd, int on)
{
	if (!dev || fd < 0)
		return lvm_err(LIBVM_EINVAL, "libvm_virtio_watch_fd: %s",
			       dev ? "bad fd" : "dev is NULL");
	if (on) {
		struct epoll_event e = { .events = EPOLLIN,
					 .data.u64 = TAG_FD + (uint64_t)fd };

		if (epoll_ctl(dev->ep_fd, EPOLL_CTL_ADD, fd, &e) < 0 &&
		    errno != EEXIST)
			return lvm_err_errno(errno == EPERM ? LIBVM_EINVAL
							    : LIBVM_EIO, errno,
					     "virtio: watch fd %d", fd);
		return 0;
	}
	if (epoll_ctl(dev->ep_fd, EPOLL_CTL_DEL, fd, NULL) < 0 &&
	    errno != ENOENT)
		return lvm_err_errno(LIBVM_EIO, errno, "virtio: epoll_ctl del "
				     "fd %d", fd);
	return 0;
}

LIBVM_API int libvm_virtio_config_init(libvm_virtio_config *cfg,
				       uint32_t version)
{
	return lvm_versioned_init(&vio_config_type, cfg, version);
}
