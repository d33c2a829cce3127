/* SPDX-License-Identifier: MIT */
/*
 * Run timeouts: one watchdog thread per VM, started by the VM's first run
 * with a timeout and joined by libvm_vm_destroy.
 *
 * A run publishes its deadline in the vCPU (an atomic store) and clears it
 * when it ends.  The watchdog sleeps until the earliest deadline it knows
 * of; when it wakes it kicks each vCPU whose run is still going past its
 * deadline (immediate_exit and the kick signal, as libvm_vcpu_cancel does),
 * once per deadline, and goes back to sleep.  A run wakes the watchdog only
 * when its deadline comes before the one the watchdog sleeps for, so
 * back-to-back runs with the same timeout make no system call for it; the
 * per-run POSIX timer this replaces made two (arm, disarm) and a gettid.
 * The watchdog signals a thread only while it is inside libvm_vcpu_run
 * (checked under the vCPU's run_lock), so a kick lands in a run or just as
 * it ends: the handler does nothing, and a thread that blocks the signal
 * has it taken back (eat_kicks in run.c).  It never lands between runs.
 *
 * Lost wake-ups: a run stores its deadline, then reads wd->next; the
 * watchdog stores wd->next, then reads every deadline again (both
 * sequentially consistent).  One of the two sees the other's store: either
 * the run sees a later wd->next and wakes the watchdog, or the watchdog's
 * second look finds the new deadline.
 */
#define _GNU_SOURCE
#include "../internal.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#define NO_DEADLINE UINT64_MAX
#define WATCHDOG_STACK (64u << 10)

int lvm_watchdog_init(libvm_vm *vm)
{
	struct lvm_watchdog *w = &vm->wd;
	pthread_condattr_t ca;
	int r;

	memset(w, 0, sizeof(*w));
	atomic_store(&w->next, NO_DEADLINE);
	if (pthread_mutex_init(&w->lock, NULL))
		return lvm_err(LIBVM_ENOMEM, "watchdog lock");
	r = pthread_condattr_init(&ca);
	if (!r) {
		r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		if (!r)
			r = pthread_cond_init(&w->cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (r) {
		pthread_mutex_destroy(&w->lock);
		return lvm_err(LIBVM_ENOMEM, "watchdog condition variable");
	}
	return 0;
}

void lvm_watchdog_fini(libvm_vm *vm)
{
	struct lvm_watchdog *w = &vm->wd;

	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/*
 * Kick the vCPUs past their deadline at now; return the earliest deadline
 * still to come (NO_DEADLINE: none).  Holds wd.lock: kicked is its own.
 */
static uint64_t scan(libvm_vm *vm, uint64_t now, bool kick)
{
	uint64_t next = NO_DEADLINE;
	uint32_t i;

	pthread_mutex_lock(&vm->vcpu_lock);
	for (i = 0; i < vm->nvcpus_alloc; i++) {
		libvm_vcpu *v = vm->vcpus[i];
		uint64_t d;

		if (!v)
			continue;
		d = atomic_load(&v->deadline);
		if (!d || d == v->kicked)
			continue;
		if (d > now) {
			if (d < next)
				next = d;
			continue;
		}
		if (!kick) {
			next = now;	/* one is due: go round again */
			break;
		}
		pthread_mutex_lock(&v->run_lock);
		if (v->running && atomic_load(&v->deadline) == d)
			lvm_vcpu_kick_locked(v);
		pthread_mutex_unlock(&v->run_lock);
		v->kicked = d;
	}
	pthread_mutex_unlock(&vm->vcpu_lock);
	return next;
}

static void *watchdog(void *arg)
{
	libvm_vm *vm = arg;
	struct lvm_watchdog *w = &vm->wd;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		uint64_t next = scan(vm, lvm_now_ns(), true);

		atomic_store(&w->next, next);
		if (scan(vm, lvm_now_ns(), false) < next)
			continue;
		if (next == NO_DEADLINE) {
			pthread_cond_wait(&w->cond, &w->lock);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)(next / 1000000000ull),
				.tv_nsec = (long)(next % 1000000000ull),
			};

			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Start the thread with every signal blocked, the normal scheduling policy
 * and every CPU, not the first timed run's thread's (a vCPU thread pinned
 * at a real-time priority would keep it from running), and a small stack:
 * it needs little, and a default 8 MiB one is a range khugepaged may fill
 * with a 2 MiB page for the few bytes used; holds wd.lock.
 */
static int start(libvm_vm *vm)
{
	struct lvm_watchdog *w = &vm->wd;
	struct sched_param sp = { .sched_priority = 0 };
	pthread_attr_t attr;
	sigset_t all, old;
	cpu_set_t cpus;
	int r, a, ai;

	a = ai = pthread_attr_init(&attr);
	if (!ai)
		a = pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED) ||
		    pthread_attr_setschedpolicy(&attr, SCHED_OTHER) ||
		    pthread_attr_setschedparam(&attr, &sp) ||
		    pthread_attr_setstacksize(&attr, WATCHDOG_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, a ? NULL : &attr, watchdog, vm);
	if (r && !a)
		r = pthread_create(&w->thread, NULL, watchdog, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!ai)
		pthread_attr_destroy(&attr);
	if (r)
		return lvm_err_errno(LIBVM_ENOMEM, r, "the timeout watchdog "
				     "thread");
	memset(&cpus, 0xff, sizeof(cpus));
	pthread_setaffinity_np(w->thread, sizeof(cpus), &cpus);
	w->started = true;
	return 0;
}

int lvm_watchdog_arm(libvm_vcpu *v, uint64_t deadline)
{
	struct lvm_watchdog *w = &v->vm->wd;
	int r = 0;

	atomic_store(&v->deadline, deadline);
	if (deadline >= atomic_load(&w->next))
		return 0;	/* it wakes before, and sees this one */
	pthread_mutex_lock(&w->lock);
	if (!w->started)
		r = start(v->vm);
	if (!r && deadline < atomic_load(&w->next)) {
		atomic_store(&w->next, deadline);
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	if (r < 0)
		atomic_store(&v->deadline, 0);
	return r;
}

void lvm_watchdog_disarm(libvm_vcpu *v)
{
	atomic_store(&v->deadline, 0);
}
