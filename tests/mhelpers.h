/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the machine, platform and Linux suites: a console that
 * collects what the guest writes, and machines made and run in one call.
 */
#ifndef LIBVM_TESTS_MHELPERS_H
#define LIBVM_TESTS_MHELPERS_H

#include "helpers.h"

#include <pthread.h>

/* Longest a guest of these suites may run before the test calls it hung. */
#define M_TIMEOUT_NS (60ull * 1000000000ull)

/* What a guest wrote to its console, safe to read while it runs. */
struct m_console {
	pthread_mutex_t lock;
	pthread_cond_t grew;
	char buf[1 << 16];
	size_t len;
};

void m_console_init(struct m_console *c);
void m_console_fini(struct m_console *c);
/* libvm_console_fn: appends. */
void m_console_out(const char *buf, size_t len, void *opaque);
/* Wait until the output contains s (or timeout_ns passes); 1 if found. */
int m_console_wait(struct m_console *c, const char *s, uint64_t timeout_ns);
/* A NUL-terminated copy of everything so far (static per thread). */
const char *m_console_text(struct m_console *c);

/* build/guests/NAME (LIBVM_GUEST_DIR). */
const char *m_guest(const char *name);

/*
 * A config for guest NAME with its console to c (may be NULL), 64 MiB,
 * one vCPU, M_TIMEOUT_NS.
 */
void m_config(libvm_machine_config *cfg, const char *name,
	      struct m_console *c);
/* libvm_machine_create, skipping the test where KVM cannot be opened. */
libvm_machine *m_create(const libvm_machine_config *cfg);
/* create + run + destroy: the result, asserting libvm did not fail. */
void m_run(libvm_machine_result *res, const libvm_machine_config *cfg);

/*
 * The newest Debian kernel in LIBVM_KERNEL_CACHE (scripts/debian-kernel's
 * cache): its vmlinuz path and its `uname -r`; asserts there is one.
 */
void m_find_kernel(char *kernel, size_t cap, char *uname_r, size_t ucap);

/* Assert how it ended (and the status for DEBUG_EXIT, GUEST_EXIT). */
void m_expect(const libvm_machine_result *res, uint32_t end, int32_t status);

#endif
