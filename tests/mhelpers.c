/* SPDX-License-Identifier: MIT */
#include "mhelpers.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void m_console_init(struct m_console *c)
{
	pthread_condattr_t a;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&c->grew, &a);
	pthread_condattr_destroy(&a);
}

void m_console_fini(struct m_console *c)
{
	pthread_cond_destroy(&c->grew);
	pthread_mutex_destroy(&c->lock);
}

void m_console_out(const char *buf, size_t len, void *opaque)
{
	struct m_console *c = opaque;
	size_t room;

	pthread_mutex_lock(&c->lock);
	room = sizeof(c->buf) - 1 - c->len;
	if (len > room)
		len = room;
	memcpy(c->buf + c->len, buf, len);
	c->len += len;
	c->buf[c->len] = 0;
	pthread_cond_broadcast(&c->grew);
	pthread_mutex_unlock(&c->lock);
}

int m_console_wait(struct m_console *c, const char *s, uint64_t timeout_ns)
{
	uint64_t end = h_now_ns() + timeout_ns;
	struct timespec ts = { (time_t)(end / 1000000000ull),
			       (long)(end % 1000000000ull) };
	int found;

	pthread_mutex_lock(&c->lock);
	while (!(found = strstr(c->buf, s) != NULL) && h_now_ns() < end)
		pthread_cond_timedwait(&c->grew, &c->lock, &ts);
	pthread_mutex_unlock(&c->lock);
	return found;
}

const char *m_console_text(struct m_console *c)
{
	static __thread char copy[sizeof(c->buf)];

	pthread_mutex_lock(&c->lock);
	memcpy(copy, c->buf, c->len + 1);
	pthread_mutex_unlock(&c->lock);
	return copy;
}

const char *m_guest(const char *name)
{
	/* Several configs of one test may point at their paths at once. */
	static __thread char path[8][512];
	static __thread unsigned next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", LIBVM_GUEST_DIR, name);
	return p;
}

void m_config(libvm_machine_config *cfg, const char *name,
	      struct m_console *c)
{
	OK(libvm_machine_config_init(cfg, LIBVM_MACHINE_CONFIG_VERSION));
	cfg->kernel_path = m_guest(name);
	cfg->mem_size = 64ull << 20;
	cfg->timeout_ns = M_TIMEOUT_NS;
	if (c) {
		cfg->console_out = m_console_out;
		cfg->console_opaque = c;
	}
}

libvm_machine *m_create(const libvm_machine_config *cfg)
{
	libvm_machine *m = NULL;

	h_created(libvm_machine_create(&m, cfg), "libvm_machine_create");
	return m;
}

void m_run(libvm_machine_result *res, const libvm_machine_config *cfg)
{
	libvm_machine *m = m_create(cfg);

	OK(libvm_machine_run(m, res));
	libvm_machine_destroy(m);
}

void m_expect(const libvm_machine_result *res, uint32_t end, int32_t status)
{
	cr_assert_eq(res->end, end, "ended %s (exit %s, status %d), want %s",
		     libvm_machine_end_name(res->end),
		     libvm_exit_reason_name(res->exit.reason), res->status,
		     libvm_machine_end_name(end));
	if (end == LIBVM_MACHINE_DEBUG_EXIT || end == LIBVM_MACHINE_GUEST_EXIT)
		cr_assert_eq(res->status, status, "status %#x, want %#x",
			     res->status, status);
}

void m_find_kernel(char *kernel, size_t cap, char *uname_r, size_t ucap)
{
	char best[256] = "", path[1024];
	struct dirent *d;
	DIR *dp = opendir(LIBVM_KERNEL_CACHE);
	char *us;

	cr_assert_not_null(dp, "no kernel cache %s: scripts/debian-kernel "
			   "fetches it (make check does)", LIBVM_KERNEL_CACHE);
	while ((d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s/vmlinuz",
			 LIBVM_KERNEL_CACHE, d->d_name);
		if (!strncmp(d->d_name, "linux-image-", 12) &&
		    access(path, R_OK) == 0 && strcmp(d->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", d->d_name);
	}
	closedir(dp);
	cr_assert(best[0], "no kernel in %s", LIBVM_KERNEL_CACHE);
	snprintf(kernel, cap, "%s/%s/vmlinuz", LIBVM_KERNEL_CACHE, best);
	/* linux-image-6.1.0-57-amd64_6.1.192-3 -> 6.1.0-57-amd64 */
	snprintf(uname_r, ucap, "%s", best + 12);
	us = strchr(uname_r, '_');
	if (us)
		*us = 0;
}
