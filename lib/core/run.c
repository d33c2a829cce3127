/* SPDX-License-Identifier: MIT */
/*
 * The run loop.  Exits that hit a registered trap are handled here and the
 * loop goes on; everything else is described in a libvm_exit.
 *
 * Cancel and timeout: libvm_vcpu_cancel sets vcpu->cancel and
 * run->immediate_exit, then sends the kick signal to the running thread;
 * immediate_exit closes the race with a thread about to enter KVM_RUN.  A
 * timeout is the VM's watchdog thread doing the same at the run's deadline
 * (lib/core/watchdog.c); the loop checks the clock after every exit.
 */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *const reason_names[] = {
	[LIBVM_EXIT_NONE] = "none",
	[LIBVM_EXIT_HLT] = "hlt",
	[LIBVM_EXIT_IO] = "io",
	[LIBVM_EXIT_MMIO] = "mmio",
	[LIBVM_EXIT_SHUTDOWN] = "shutdown",
	[LIBVM_EXIT_FAIL_ENTRY] = "fail-entry",
	[LIBVM_EXIT_INTERNAL_ERROR] = "internal-error",
	[LIBVM_EXIT_DEBUG] = "debug",
	[LIBVM_EXIT_CANCELLED] = "cancelled",
	[LIBVM_EXIT_TIMEOUT] = "timeout",
	[LIBVM_EXIT_STOPPED] = "stopped",
	[LIBVM_EXIT_SYSTEM_EVENT] = "system-event",
	[LIBVM_EXIT_IRQ_WINDOW] = "irq-window",
	[LIBVM_EXIT_OTHER] = "other",
	[LIBVM_EXIT_EXCEPTION] = "exception",
	[LIBVM_EXIT_GUEST_EXIT] = "guest-exit",
	[LIBVM_EXIT_RETURN] = "return",
};

LIBVM_API const char *libvm_exit_reason_name(uint32_t reason)
{
	if (reason < ARRAY_SIZE(reason_names) && reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

/*
 * KVM_RUN must be interruptible by the kick signal even if this thread
 * blocks it: give KVM the thread's mask minus that signal.  Checked only
 * when the vCPU moves to another thread.
 */
_Static_assert(offsetof(struct kvm_signal_mask, sigset) == 4,
	       "kvm_signal_mask layout");

static int adopt_thread(libvm_vcpu *v, pthread_t self)
{
	struct {	/* struct kvm_signal_mask with 8 bytes of mask */
		uint32_t len;
		uint8_t set[8];
	} m;
	sigset_t cur;
	int r;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	if (sigismember(&cur, v->vm->kick_signal)) {
		sigdelset(&cur, v->vm->kick_signal);
		m.len = 8;
		memcpy(m.set, &cur, 8);
		r = KVM_IOCTL(v->fd, KVM_SET_SIGNAL_MASK, &m);
		v->mask_set = true;
	} else if (v->mask_set) {
		r = KVM_IOCTL(v->fd, KVM_SET_SIGNAL_MASK, NULL);
		v->mask_set = false;
	} else {
		r = 0;	/* a fresh vCPU has no KVM signal mask */
	}
	if (r < 0)
		return r;
	v->mask_thread = self;
	v->mask_known = true;
	return 0;
}

/*
 * A thread that blocks the kick signal only has KVM_RUN interrupted by
 * it; the signal stays pending and would end every later KVM_RUN at once.
 * Take it back (it is libvm's, and blocked here).
 */
static void eat_kicks(libvm_vcpu *v)
{
	static const struct timespec zero;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, v->vm->kick_signal);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

static void set_running(libvm_vcpu *v, bool on)
{
	pthread_mutex_lock(&v->run_lock);
	v->running = on;
	if (on)
		v->thread = pthread_self();
	pthread_mutex_unlock(&v->run_lock);
}

LIBVM_API int libvm_vcpu_cancel(libvm_vcpu *v)
{
	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_cancel: vcpu is NULL");
	atomic_store(&v->cancel, 1);
	pthread_mutex_lock(&v->run_lock);
	lvm_vcpu_kick_locked(v);
	pthread_mutex_unlock(&v->run_lock);
	return 0;
}

void lvm_vcpu_kick_locked(libvm_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->running)
		pthread_kill(v->thread, v->vm->kick_signal);
}

/* Consume a pending cancel; true if there was one. */
static bool take_cancel(libvm_vcpu *v)
{
	if (likely(!atomic_load_explicit(&v->cancel, memory_order_relaxed)))
		return false;
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	return atomic_exchange(&v->cancel, 0) != 0;
}

static void fill_io(libvm_exit *ex, struct kvm_run *run)
{
	ex->reason = LIBVM_EXIT_IO;
	ex->u.io.port = run->io.port;
	ex->u.io.size = run->io.size;
	ex->u.io.direction = run->io.direction == KVM_EXIT_IO_OUT ? LIBVM_WRITE
								 : LIBVM_READ;
	ex->u.io.count = run->io.count;
	ex->u.io.data = (uint8_t *)run + run->io.data_offset;
}

static void fill_mmio(libvm_exit *ex, struct kvm_run *run)
{
	ex->reason = LIBVM_EXIT_MMIO;
	ex->u.mmio.gpa = run->mmio.phys_addr;
	ex->u.mmio.size = run->mmio.len;
	ex->u.mmio.direction = run->mmio.is_write ? LIBVM_WRITE : LIBVM_READ;
	ex->u.mmio.data = run->mmio.data;
}

/*
 * Describe a KVM exit that is not the caller's to ignore.  Returns true if
 * the loop should go on (the exit was handled).
 */
static bool handle_exit(libvm_vcpu *v, libvm_exit *ex, int *stop)
{
	struct kvm_run *run = v->run;
	uint32_t i, n;
	int h;

	ex->kvm_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint64_t bytes = (uint64_t)run->io.size * run->io.count;

		if (unlikely(v->vm->rt.active) &&
		    run->io.port >= LIBVM_PORT_HYPERCALL &&
		    run->io.port <= LIBVM_PORT_EXCEPTION) {
			h = lvm_rt_port(v, ex, stop);
			if (h >= 0)
				return h == 1;
		}

		if (run->io.data_offset > (uint64_t)v->vm->run_size ||
		    bytes > (uint64_t)v->vm->run_size - run->io.data_offset) {
			ex->reason = LIBVM_EXIT_OTHER;
			return false;
		}
		h = lvm_trap_dispatch(v, LIBVM_TRAP_PIO, run->io.port,
				      (uint8_t *)run + run->io.data_offset,
				      run->io.size, run->io.count,
				      run->io.direction == KVM_EXIT_IO_OUT
					      ? LIBVM_WRITE : LIBVM_READ,
				      stop);
		if (h == 1)
			return true;
		if (h == 2) {
			ex->reason = LIBVM_EXIT_STOPPED;
			ex->u.stop.space = LIBVM_TRAP_PIO;
			ex->u.stop.code = *stop;
			ex->u.stop.addr = run->io.port;
			ex->u.stop.value = 0;
			return false;
		}
		fill_io(ex, run);
		return false;
	}
	case KVM_EXIT_MMIO:
		if (run->mmio.len > 8) {
			ex->reason = LIBVM_EXIT_OTHER;
			return false;
		}
		h = lvm_trap_dispatch(v, LIBVM_TRAP_MMIO, run->mmio.phys_addr,
				      run->mmio.data, run->mmio.len, 1,
				      run->mmio.is_write ? LIBVM_WRITE
							 : LIBVM_READ, stop);
		if (h == 1)
			return true;
		if (h == 2) {
			ex->reason = LIBVM_EXIT_STOPPED;
			ex->u.stop.space = LIBVM_TRAP_MMIO;
			ex->u.stop.code = *stop;
			ex->u.stop.addr = run->mmio.phys_addr;
			ex->u.stop.value = 0;
			return false;
		}
		fill_mmio(ex, run);
		return false;
	case KVM_EXIT_HLT:
		ex->reason = LIBVM_EXIT_HLT;
		return false;
	case KVM_EXIT_SHUTDOWN:
		ex->reason = LIBVM_EXIT_SHUTDOWN;
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		ex->reason = LIBVM_EXIT_FAIL_ENTRY;
		ex->u.fail_entry.hardware_reason =
			run->fail_entry.hardware_entry_failure_reason;
		ex->u.fail_entry.cpu = run->fail_entry.cpu;
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		ex->reason = LIBVM_EXIT_INTERNAL_ERROR;
		ex->u.internal.suberror = run->internal.suberror;
		n = run->internal.ndata;
		if (n > 16)
			n = 16;
		ex->u.internal.ndata = n;
		for (i = 0; i < n; i++)
			ex->u.internal.data[i] = run->internal.data[i];
		return false;
	case KVM_EXIT_DEBUG:
		ex->reason = LIBVM_EXIT_DEBUG;
		ex->u.debug.exception = run->debug.arch.exception;
		ex->u.debug.pc = run->debug.arch.pc;
		ex->u.debug.dr6 = run->debug.arch.dr6;
		ex->u.debug.dr7 = run->debug.arch.dr7;
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		ex->reason = LIBVM_EXIT_SYSTEM_EVENT;
		ex->u.system.type = run->system_event.type;
		n = run->system_event.ndata;
		if (n > 16)
			n = 16;
		ex->u.system.ndata = n;
		for (i = 0; i < n; i++)
			ex->u.system.data[i] = run->system_event.data[i];
		return false;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		ex->reason = LIBVM_EXIT_IRQ_WINDOW;
		return false;
	default:
		ex->reason = LIBVM_EXIT_OTHER;
		return false;
	}
}

int lvm_vcpu_flush_io(libvm_vcpu *v)
{
	int r;

	if (!v->io_pending)
		return 0;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	r = ioctl(v->fd, KVM_RUN, 0) < 0 ? -errno : 0;
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	v->regs_cached = v->sync_regs;
	v->io_pending = false;
	if (r < 0 && r != -EINTR)
		return lvm_err_errno(LIBVM_EKVM, -r, "KVM_RUN (completing I/O, "
				     "vCPU %u)", v->id);
	return 0;
}

/* Exits after which the VM is not fit for more work until a restore. */
static bool poisons(uint32_t reason)
{
	switch (reason) {
	case LIBVM_EXIT_EXCEPTION:
	case LIBVM_EXIT_SHUTDOWN:
	case LIBVM_EXIT_FAIL_ENTRY:
	case LIBVM_EXIT_INTERNAL_ERROR:
	case LIBVM_EXIT_TIMEOUT:
	case LIBVM_EXIT_CANCELLED:
		return true;
	default:
		return false;
	}
}

/*
 * Whether a run could only have changed what every snapshot restore
 * restores (registers, segment and control registers, events, FPU/XSAVE):
 * guest code in libvm's 64-bit user-mode runtime, no in-kernel irqchip
 * (its LAPIC timer and lines change state on their own), and an exit that
 * user-mode code ends with.  Exceptions (which may set DR6) and anything
 * odd do not qualify.  The rest of the proof -- the vCPU started at CPL3
 * in the runtime's environment, whose tables and code are libvm's own
 * and untouched -- is the snapshot code's (lib/snapshot/snapshot.c).
 */
static bool run_user_only(const libvm_vcpu *v, uint32_t reason)
{
	const libvm_vm *vm = v->vm;

	if (!v->rt_long || !vm->rt.active ||
	    (vm->rt.flags & LIBVM_LONG_SUPERVISOR) ||
	    (vm->flags & LIBVM_VM_IRQCHIP))
		return false;
	switch (reason) {
	case LIBVM_EXIT_NONE:
	case LIBVM_EXIT_RETURN:
	case LIBVM_EXIT_GUEST_EXIT:
	case LIBVM_EXIT_STOPPED:
	case LIBVM_EXIT_IO:
	case LIBVM_EXIT_MMIO:
	case LIBVM_EXIT_TIMEOUT:
	case LIBVM_EXIT_CANCELLED:
		return true;
	default:
		return false;
	}
}

LIBVM_API int libvm_vcpu_run(libvm_exit *ex, libvm_vcpu *v,
			     uint64_t timeout_ns)
{
	pthread_t self = pthread_self();
	uint64_t deadline = 0;
	int r = 0, stop = 0;

	if (!ex || !v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_run: NULL argument");
	ex->reason = LIBVM_EXIT_NONE;
	ex->kvm_reason = 0;
	if (unlikely(!v->mask_known || !pthread_equal(v->mask_thread, self))) {
		r = adopt_thread(v, self);
		if (r < 0)
			return r;
	}
	set_running(v, true);
	if (timeout_ns) {
		deadline = lvm_now_ns();
		deadline = timeout_ns < UINT64_MAX - 1 - deadline
				   ? deadline + timeout_ns : UINT64_MAX - 1;
		r = lvm_watchdog_arm(v, deadline);
		if (r < 0)
			goto out;
	}
	for (;;) {
		if (unlikely(take_cancel(v))) {
			ex->reason = LIBVM_EXIT_CANCELLED;
			break;
		}
		/* Not lvm_ioctl_raw: EINTR is an answer here. */
		r = ioctl(v->fd, KVM_RUN, 0) < 0 ? -errno : 0;
		v->regs_cached = v->sync_regs;
		if (unlikely(r < 0)) {
			if (r != -EINTR && r != -EAGAIN) {
				r = lvm_err_errno(LIBVM_EKVM, -r,
						  "KVM_RUN (vCPU %u)", v->id);
				break;
			}
			r = 0;
			__atomic_store_n(&v->run->immediate_exit, 0,
					 __ATOMIC_SEQ_CST);
			if (v->mask_set)
				eat_kicks(v);
		} else if (v->run->exit_reason == KVM_EXIT_DIRTY_RING_FULL) {
			r = lvm_ring_full(v);
			if (r < 0)
				break;
		} else if (v->run->exit_reason != KVM_EXIT_INTR) {
			if (!handle_exit(v, ex, &stop))
				break;
		}
		if (deadline && lvm_now_ns() >= deadline) {
			ex->reason = LIBVM_EXIT_TIMEOUT;
			ex->kvm_reason = 0;
			break;
		}
	}
	if (timeout_ns)
		lvm_watchdog_disarm(v);
	/* A kick sent as the run was ending: not for the next one. */
	if (v->mask_set && (ex->reason == LIBVM_EXIT_TIMEOUT ||
			    ex->reason == LIBVM_EXIT_CANCELLED))
		eat_kicks(v);
out:
	v->io_pending = v->run->exit_reason == KVM_EXIT_IO ||
			v->run->exit_reason == KVM_EXIT_MMIO;
	if (r < 0 || poisons(ex->reason))
		atomic_store(&v->vm->needs_restore, 1);
	if (unlikely(r < 0 || !run_user_only(v, ex->reason)))
		v->state_dirty = true;
	set_running(v, false);
	return r;
}
