/* SPDX-License-Identifier: MIT */
/*
 * The kick signal: a signal sent to a vCPU thread makes KVM_RUN return
 * EINTR.  libvm needs the signal to be handled (not ignored, not default)
 * for that; it installs a do-nothing handler only when the program has
 * none, so a program's own handler for that signal keeps working.
 */
#include "../internal.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>

static void kick_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

static pthread_mutex_t kick_lock = PTHREAD_MUTEX_INITIALIZER;

bool lvm_kick_signal_ok(int signo)
{
	return signo == SIGUSR1 || signo == SIGUSR2 ||
	       (signo >= SIGRTMIN && signo <= SIGRTMAX);
}

int lvm_kick_setup(int signo)
{
	struct sigaction old, sa;
	int r = 0;

	if (!lvm_kick_signal_ok(signo))
		return lvm_err(LIBVM_EINVAL, "kick_signal %d: use SIGUSR1, "
			       "SIGUSR2 or a real-time signal", signo);
	pthread_mutex_lock(&kick_lock);
	if (sigaction(signo, NULL, &old) < 0) {
		r = lvm_err_errno(LIBVM_EINVAL, errno, "sigaction(%d)", signo);
	} else if (!(old.sa_flags & SA_SIGINFO) &&
		   (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = kick_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(signo, &sa, NULL) < 0)
			r = lvm_err_errno(LIBVM_EINVAL, errno,
					  "sigaction(%d)", signo);
	}
	pthread_mutex_unlock(&kick_lock);
	return r;
}

void lvm_vcpu_kick_locked(libvm_vcpu *v)
{
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (v->running)
		pthread_kill(v->thread, v->vm->kick_signal);
}
