/* SPDX-License-Identifier: MIT */
/*
 * Calls that must refuse a FIFO without blocking in open() (the loader,
 * the snapshot loader): h_fifo_refused runs one on a thread against a FIFO
 * nobody writes to; if it has not returned within FIFO_WAIT_S, it is
 * blocked in open(), so the test opens the write end to set it free and
 * fails.  The detail message is per thread: the thread's comes back in
 * msg.  Header-only, for the KVM suites and the unit tests.
 */
#ifndef LIBVM_TESTS_FIFO_H
#define LIBVM_TESTS_FIFO_H

#include <criterion/criterion.h>
#include <libvm/libvm.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIFO_WAIT_S 10

struct h_fifo_call {
	int (*fn)(const char *path, void *arg);
	const char *path;
	void *arg;
	int r;
	atomic_int done;
	char msg[512];
};

static inline void *h_fifo_thread(void *p)
{
	struct h_fifo_call *c = p;

	c->r = c->fn(c->path, c->arg);
	snprintf(c->msg, sizeof(c->msg), "%s", libvm_last_error());
	atomic_store(&c->done, 1);
	return NULL;
}

/*
 * fn(path, arg) on a new FIFO at path; returns what fn returned, with its
 * libvm_last_error() in msg[512].
 */
static inline int h_fifo_refused(const char *path,
				 int (*fn)(const char *path, void *arg),
				 void *arg, char *msg)
{
	struct h_fifo_call c = { fn, path, arg, 0, 0, "" };
	struct timespec tick = { 0, 10000000 };
	pthread_t t;
	int i, w = -1;

	cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo %s: %s", path,
		     strerror(errno));
	cr_assert_eq(pthread_create(&t, NULL, h_fifo_thread, &c), 0);
	for (i = 0; i < FIFO_WAIT_S * 100 && !atomic_load(&c.done); i++)
		nanosleep(&tick, NULL);
	if (!atomic_load(&c.done))	/* blocked in open(): let it go */
		w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	pthread_join(t, NULL);
	if (w >= 0)
		close(w);
	unlink(path);
	memcpy(msg, c.msg, sizeof(c.msg));
	cr_assert_lt(i, FIFO_WAIT_S * 100, "the call on FIFO %s blocked for "
		     "%d s", path, FIFO_WAIT_S);
	return c.r;
}

#endif
