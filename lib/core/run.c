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

/* The public names of KVM's values (<libvm/exit.h>). */
#define SAME(a, b) _Static_assert((a) == (b), #a)
SAME(LIBVM_KVM_EXIT_IO, KVM_EXIT_IO);
SAME(LIBVM_KVM_EXIT_HLT, KVM_EXIT_HLT);
SAME(LIBVM_KVM_EXIT_MMIO, KVM_EXIT_MMIO);
SAME(LIBVM_KVM_EXIT_SHUTDOWN, KVM_EXIT_SHUTDOWN);
SAME(LIBVM_KVM_EXIT_FAIL_ENTRY, KVM_EXIT_FAIL_ENTRY);
SAME(LIBVM_KVM_EXIT_INTR, KVM_EXIT_INTR);
SAME(LIBVM_KVM_EXIT_NMI, KVM_EXIT_NMI);
SAME(LIBVM_KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_INTERNAL_ERROR);
SAME(LIBVM_KVM_EXIT_SYSTEM_EVENT, KVM_EXIT_SYSTEM_EVENT);
SAME(LIBVM_KVM_EXIT_X86_RDMSR, KVM_EXIT_X86_RDMSR);
SAME(LIBVM_KVM_EXIT_DIRTY_RING_FULL, KVM_EXIT_DIRTY_RING_FULL);
SAME(LIBVM_KVM_EXIT_NOTIFY, KVM_EXIT_NOTIFY);
SAME(LIBVM_SYSTEM_EVENT_SHUTDOWN, KVM_SYSTEM_EVENT_SHUTDOWN);
SAME(LIBVM_SYSTEM_EVENT_RESET, KVM_SYSTEM_EVENT_RESET);
SAME(LIBVM_SYSTEM_EVENT_CRASH, KVM_SYSTEM_EVENT_CRASH);
SAME(LIBVM_SYSTEM_EVENT_SEV_TERM, KVM_SYSTEM_EVENT_SEV_TERM);

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
		r = KVM_IOCTL_AS(v->fd, KVM_SET_SIGNAL_MASK, &m,
				 struct kvm_signal_mask);
		v->mask_set = true;
	} else if (v->mask_set) {
		r = KVM_IOCTL_AS(v->fd, KVM_SET_SIGNAL_MASK, NULL,
				 struct kvm_signal_mask);
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
 * Hand a port or MMIO access to the trap registry; true if the run goes
 * on.  What no trap covers is the caller's exit.
 */
static bool dispatch(libvm_vcpu *v, libvm_exit *ex,
		     const struct lvm_access *a)
{
	switch (lvm_trap_dispatch(v, a, ex)) {
	case LVM_DISPATCH_CONTINUE:
		return true;
	case LVM_DISPATCH_EXIT:
		return false;
	case LVM_DISPATCH_NONE:
		break;
	}
	if (a->space == LIBVM_TRAP_PIO)
		fill_io(ex, v->run);
	else
		fill_mmio(ex, v->run);
	return false;
}

/*
 * Describe a KVM exit that is not the caller's to ignore.  Returns true if
 * the loop should go on (the exit was handled).
 */
static bool handle_exit(libvm_vcpu *v, libvm_exit *ex)
{
	struct kvm_run *run = v->run;
	struct lvm_access a;
	uint32_t i, n;

	ex->kvm_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint64_t bytes = (uint64_t)run->io.size * run->io.count;

		if (run->io.data_offset > (uint64_t)v->vm->run_size ||
		    bytes > (uint64_t)v->vm->run_size - run->io.data_offset) {
			ex->reason = LIBVM_EXIT_OTHER;
			return false;
		}
		a = (struct lvm_access){
			.space = LIBVM_TRAP_PIO, .addr = run->io.port,
			.data = (uint8_t *)run + run->io.data_offset,
			.size = run->io.size, .count = run->io.count,
			.direction = run->io.direction == KVM_EXIT_IO_OUT
					     ? LIBVM_WRITE : LIBVM_READ,
		};
		return dispatch(v, ex, &a);
	}
	case KVM_EXIT_MMIO:
		if (run->mmio.len > 8) {
			ex->reason = LIBVM_EXIT_OTHER;
			return false;
		}
		a = (struct lvm_access){
			.space = LIBVM_TRAP_MMIO, .addr = run->mmio.phys_addr,
			.data = run->mmio.data, .size = run->mmio.len,
			.count = 1,
			.direction = run->mmio.is_write ? LIBVM_WRITE
							: LIBVM_READ,
		};
		return dispatch(v, ex, &a);
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

LIBVM_API int libvm_vcpu_run(libvm_exit *ex, libvm_vcpu *v,
			     uint64_t timeout_ns)
{
	pthread_t self = pthread_self();
	uint64_t deadline = 0;
	int r = 0;

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
			if (!handle_exit(v, ex))
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
	if (v->vm->hooks && v->vm->hooks->run_ended)
		v->vm->hooks->run_ended(v, ex->reason, r);
	set_running(v, false);
	return r;
}
