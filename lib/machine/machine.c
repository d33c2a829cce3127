/* SPDX-License-Identifier: MIT */
/*
 * The machine object: creation (VM, RAM, platform, vCPUs), a thread per
 * vCPU that runs it and sorts its exits, and the end of a run -- the
 * first vCPU exit that ends the guest, the time budget or a cancel --
 * after which every other vCPU is cancelled and the threads are joined.
 *
 * Port I/O and MMIO no device handles are what a PC without such a device
 * gives: reads see all ones, writes vanish (a kernel probes many ports).
 */
#include "mach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_MEM		(16ull << 20)
#define MEM_UNIT	(1ull << 20)
#define HIGH_RAM_GPA	(1ull << 32)
#define SYSTEM_EVENT_SHUTDOWN	1	/* KVM_SYSTEM_EVENT_* */
#define SYSTEM_EVENT_RESET	2
#define SYSTEM_EVENT_CRASH	3

static const char *const end_names[] = {
	[LIBVM_MACHINE_RUNNING] = "running",
	[LIBVM_MACHINE_DEBUG_EXIT] = "debug-exit",
	[LIBVM_MACHINE_POWEROFF] = "poweroff",
	[LIBVM_MACHINE_RESET] = "reset",
	[LIBVM_MACHINE_TRIPLE_FAULT] = "triple-fault",
	[LIBVM_MACHINE_GUEST_EXIT] = "guest-exit",
	[LIBVM_MACHINE_CRASH] = "crash",
	[LIBVM_MACHINE_TIMEOUT] = "timeout",
	[LIBVM_MACHINE_CANCELLED] = "cancelled",
	[LIBVM_MACHINE_ERROR] = "error",
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

LIBVM_API const char *libvm_machine_end_name(uint32_t end)
{
	if (end < ARRAY_SIZE(end_names) && end_names[end])
		return end_names[end];
	return "unknown";
}

LVM_VERSIONED(config_type, libvm_machine_config,
	      LIBVM_MACHINE_CONFIG_VERSION, LIBVM_MACHINE_CONFIG_INIT);

LIBVM_API int libvm_machine_config_init(libvm_machine_config *cfg,
					uint32_t version)
{
	return lvm_versioned_init(&config_type, cfg, version);
}

/* The first end wins; every other vCPU is told to stop.  Lock held. */
static void end_locked(libvm_machine *m, uint32_t end, int32_t status,
		       uint32_t vcpu, const libvm_exit *ex)
{
	uint32_t i;

	if (m->ended)
		return;
	m->ended = true;
	m->res.end = end;
	m->res.status = status;
	m->res.vcpu = vcpu;
	if (ex)
		m->res.exit = *ex;
	m->res.run_ns = lvm_now_ns() - m->t0;
	for (i = 0; i < m->cfg.ncpus; i++)
		if (m->vcpus[i])
			libvm_vcpu_cancel(m->vcpus[i]);
	pthread_cond_broadcast(&m->ended_cond);
}

static void end_run(libvm_machine *m, uint32_t end, int32_t status,
		    uint32_t vcpu, const libvm_exit *ex)
{
	pthread_mutex_lock(&m->lock);
	end_locked(m, end, status, vcpu, ex);
	pthread_mutex_unlock(&m->lock);
}

static bool has_ended(libvm_machine *m)
{
	bool e;

	pthread_mutex_lock(&m->lock);
	e = m->ended;
	pthread_mutex_unlock(&m->lock);
	return e;
}

/* A stop by a platform port: what did the guest ask for? */
static uint32_t platform_end(libvm_machine *m, int32_t *status)
{
	libvm_platform_status st;

	*status = 0;
	if (libvm_platform_status_get(m->plat, &st) < 0)
		return LIBVM_MACHINE_CRASH;
	switch (st.end) {
	case LIBVM_PLAT_END_DEBUG_EXIT:
		*status = (int32_t)st.status;
		return LIBVM_MACHINE_DEBUG_EXIT;
	case LIBVM_PLAT_END_POWEROFF:
		return LIBVM_MACHINE_POWEROFF;
	case LIBVM_PLAT_END_RESET:
		return LIBVM_MACHINE_RESET;
	default:
		return LIBVM_MACHINE_CRASH;	/* some other handler stopped */
	}
}

/*
 * Sort one exit: true to run on; false when the run ends (end_run was
 * called, or the machine ended already).
 */
static bool sort_exit(libvm_machine *m, uint32_t id, libvm_exit *ex)
{
	uint32_t end = LIBVM_MACHINE_CRASH;
	int32_t status = 0;

	switch (ex->reason) {
	case LIBVM_EXIT_IO:
		if (ex->u.io.direction == LIBVM_READ)
			memset(ex->u.io.data, 0xff,
			       (size_t)ex->u.io.size * ex->u.io.count);
		return true;
	case LIBVM_EXIT_MMIO:
		if (ex->u.mmio.direction == LIBVM_READ)
			memset(ex->u.mmio.data, 0xff, ex->u.mmio.size);
		return true;
	case LIBVM_EXIT_CANCELLED:
		return !has_ended(m);	/* not ours: a stray cancel */
	case LIBVM_EXIT_STOPPED:
		end = platform_end(m, &status);
		break;
	case LIBVM_EXIT_SHUTDOWN:
		end = LIBVM_MACHINE_TRIPLE_FAULT;
		break;
	case LIBVM_EXIT_SYSTEM_EVENT:
		if (ex->u.system.type == SYSTEM_EVENT_SHUTDOWN)
			end = LIBVM_MACHINE_POWEROFF;
		else if (ex->u.system.type == SYSTEM_EVENT_RESET)
			end = LIBVM_MACHINE_RESET;
		break;
	case LIBVM_EXIT_GUEST_EXIT:
		end = LIBVM_MACHINE_GUEST_EXIT;
		status = (int32_t)ex->u.guest_exit.code;
		break;
	default:	/* exceptions, failed entry, internal errors, ... */
		break;
	}
	end_run(m, end, status, id, ex);
	return false;
}

/*
 * libvm failed on a machine's thread: keep the code and the detail (which
 * is per thread) for libvm_machine_wait to report.
 */
static void fail(libvm_machine *m, int r, uint32_t id)
{
	pthread_mutex_lock(&m->lock);
	if (!m->error) {
		m->error = r;
		snprintf(m->errmsg, sizeof(m->errmsg), "vCPU %u: %s", id,
			 libvm_last_error());
	}
	end_locked(m, LIBVM_MACHINE_ERROR, r, id, NULL);
	pthread_mutex_unlock(&m->lock);
}

struct vcpu_arg {
	libvm_machine *m;
	uint32_t id;
};

static void *vcpu_thread(void *arg)
{
	libvm_machine *m = ((struct vcpu_arg *)arg)->m;
	uint32_t id = ((struct vcpu_arg *)arg)->id;
	libvm_vcpu *v = m->vcpus[id];
	libvm_exit ex;
	int r;

	free(arg);
	do {
		r = libvm_vcpu_run(&ex, v, 0);
		if (r < 0) {
			fail(m, r, id);
			break;
		}
	} while (sort_exit(m, id, &ex));
	return NULL;
}

/* RAM: up to 3 GiB at 0, the rest at 4 GiB (the MMIO hole between). */
static int map_ram(libvm_machine *m)
{
	uint64_t mem = m->cfg.mem_size;
	int r;

	m->low_ram = mem < LIBVM_MACHINE_LOW_RAM ? mem : LIBVM_MACHINE_LOW_RAM;
	m->high_ram = mem - m->low_ram;
	r = libvm_mem_map_anon(m->vm, 0, m->low_ram, 0);
	if (r == 0 && m->high_ram)
		r = libvm_mem_map_anon(m->vm, HIGH_RAM_GPA, m->high_ram, 0);
	return r;
}

static int check_config(const libvm_machine_config *c)
{
	if (c->ncpus < 1 || c->ncpus > LIBVM_PLAT_MAX_CPUS)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_config.ncpus %u "
			       "(1-%u)", c->ncpus, LIBVM_PLAT_MAX_CPUS);
	if (c->mem_size < MIN_MEM || c->mem_size % MEM_UNIT ||
	    c->mem_size > (1ull << 40))
		return lvm_err(LIBVM_EINVAL, "libvm_machine_config.mem_size "
			       "%#llx: a MiB multiple, 16 MiB to 1 TiB",
			       (unsigned long long)c->mem_size);
	if (!c->kernel_path && (!c->kernel_data || !c->kernel_len))
		return lvm_err(LIBVM_EINVAL, "libvm_machine_config: no kernel "
			       "(kernel_path or kernel_data)");
	if (c->flags & ~LIBVM_MACHINE_BZIMAGE_AS_IS)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_config.flags %#x: "
			       "unknown bits", c->flags);
	if (c->ninitrds && !c->initrd_paths)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_config: %u initrds "
			       "but initrd_paths is NULL", c->ninitrds);
	return 0;
}

static int build(libvm_machine *m)
{
	libvm_vm_config vc = LIBVM_VM_CONFIG_INIT;
	libvm_platform_config pc = LIBVM_PLATFORM_CONFIG_INIT;
	uint32_t i;
	int r;

	vc.flags = LIBVM_VM_IRQCHIP | LIBVM_VM_PIT;
	vc.max_vcpus = m->cfg.ncpus;
	r = libvm_vm_create(&m->vm, &vc);
	if (r < 0)
		return r;
	r = map_ram(m);
	if (r < 0)
		return r;
	pc.ncpus = m->cfg.ncpus;
	pc.uart_in_fd = m->cfg.console_in_fd;
	pc.uart_out_fd = m->cfg.console_out_fd;
	pc.uart_out = m->cfg.console_out;
	pc.uart_opaque = m->cfg.console_opaque;
	pc.epoch_ns = m->t0;
	r = libvm_platform_create(&m->plat, m->vm, &pc);
	if (r < 0)
		return r;
	m->vcpus = calloc(m->cfg.ncpus, sizeof(*m->vcpus));
	m->threads = calloc(m->cfg.ncpus, sizeof(*m->threads));
	if (!m->vcpus || !m->threads)
		return lvm_err(LIBVM_ENOMEM, "libvm_machine_create");
	for (i = 0; i < m->cfg.ncpus; i++) {
		r = libvm_vcpu_create(&m->vcpus[i], m->vm, i);
		if (r == 0)
			r = libvm_platform_vcpu_init(m->plat, m->vcpus[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Deadlines are CLOCK_MONOTONIC, like the rest of libvm's. */
static int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int r;

	if (pthread_condattr_init(&a))
		return -1;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (r == 0)
		r = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return r;
}

LIBVM_API int libvm_machine_create(libvm_machine **out,
				   const libvm_machine_config *cfg)
{
	libvm_machine_config c;
	libvm_machine *m;
	int r;

	if (!out || !cfg)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_create: NULL "
			       "argument");
	*out = NULL;
	r = lvm_versioned_in(&config_type, &c, cfg);
	if (r == 0)
		r = check_config(&c);
	if (r < 0)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m)
		return lvm_err(LIBVM_ENOMEM, "libvm_machine_create");
	m->cfg = c;
	m->t0 = lvm_now_ns();
	if (pthread_mutex_init(&m->lock, NULL)) {
		free(m);
		return lvm_err(LIBVM_ENOMEM, "machine lock");
	}
	if (cond_init_monotonic(&m->ended_cond)) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return lvm_err(LIBVM_ENOMEM, "machine condition");
	}
	r = build(m);
	if (r < 0) {
		libvm_machine_destroy(m);
		return r;
	}
	*out = m;
	return 0;
}

static int start_threads(libvm_machine *m)
{
	struct vcpu_arg *a;
	sigset_t all, old;
	int r = 0;

	/* vCPU threads take no signal of the program's (libvm's kick: KVM). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; m->nthreads < m->cfg.ncpus; m->nthreads++) {
		a = malloc(sizeof(*a));
		if (!a) {
			r = lvm_err(LIBVM_ENOMEM, "vCPU thread");
			break;
		}
		*a = (struct vcpu_arg){ m, m->nthreads };
		r = pthread_create(&m->threads[m->nthreads], NULL, vcpu_thread,
				   a);
		if (r) {
			free(a);
			r = lvm_err_errno(LIBVM_ENOMEM, r, "vCPU thread %u",
					  m->nthreads);
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void join_threads(libvm_machine *m)
{
	uint32_t i;

	for (i = 0; i < m->nthreads; i++)
		pthread_join(m->threads[i], NULL);
	m->nthreads = 0;
}

LIBVM_API int libvm_machine_start(libvm_machine *m)
{
	int r;

	if (!m)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_start: m is NULL");
	pthread_mutex_lock(&m->lock);
	r = m->started ? lvm_err(LIBVM_ESTATE, "libvm_machine_start: "
				 "started already") : 0;
	m->started = true;
	pthread_mutex_unlock(&m->lock);
	if (r < 0)
		return r;
	r = libvm_platform_write_tables(m->plat, &m->rsdp);
	if (r == 0)
		r = lvm_mach_load(m);
	if (r == 0) {
		m->deadline = m->cfg.timeout_ns
			      ? sat_add(lvm_now_ns(), m->cfg.timeout_ns) : 0;
		r = start_threads(m);
	}
	if (r < 0) {
		pthread_mutex_lock(&m->lock);
		if (!m->error) {
			m->error = r;
			snprintf(m->errmsg, sizeof(m->errmsg), "start: %s",
				 libvm_last_error());
		}
		end_locked(m, LIBVM_MACHINE_ERROR, r, 0, NULL);
		pthread_mutex_unlock(&m->lock);
		join_threads(m);
		m->joined = true;
	}
	return r;
}

static void fill_result(libvm_machine *m, libvm_machine_result *res)
{
	libvm_platform_status st;

	if (libvm_platform_status_get(m->plat, &st) == 0 && st.markers)
		m->res.boot_marker_ns = st.marker_ns;
	if (res)
		*res = m->res;
}

LIBVM_API int libvm_machine_wait(libvm_machine *m, libvm_machine_result *res)
{
	struct timespec ts;
	int r;

	if (!m)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_wait: m is NULL");
	pthread_mutex_lock(&m->lock);
	if (!m->started) {
		pthread_mutex_unlock(&m->lock);
		return lvm_err(LIBVM_ESTATE, "libvm_machine_wait: not started");
	}
	while (!m->ended) {
		if (!m->deadline) {
			pthread_cond_wait(&m->ended_cond, &m->lock);
			continue;
		}
		if (lvm_now_ns() >= m->deadline) {
			end_locked(m, LIBVM_MACHINE_TIMEOUT, 0, 0, NULL);
			break;
		}
		ts.tv_sec = (time_t)(m->deadline / 1000000000ull);
		ts.tv_nsec = (long)(m->deadline % 1000000000ull);
		pthread_cond_timedwait(&m->ended_cond, &m->lock, &ts);
	}
	pthread_mutex_unlock(&m->lock);
	if (!m->joined) {
		join_threads(m);
		m->joined = true;
	}
	fill_result(m, res);
	r = m->error;
	return r < 0 ? lvm_err(r, "machine: %s", m->errmsg) : 0;
}

LIBVM_API int libvm_machine_run(libvm_machine *m, libvm_machine_result *res)
{
	int r = libvm_machine_start(m);

	if (r < 0) {
		if (m && res)
			fill_result(m, res);
		return r;
	}
	return libvm_machine_wait(m, res);
}

LIBVM_API int libvm_machine_cancel(libvm_machine *m)
{
	if (!m)
		return lvm_err(LIBVM_EINVAL, "libvm_machine_cancel: m is NULL");
	end_run(m, LIBVM_MACHINE_CANCELLED, 0, 0, NULL);
	return 0;
}

LIBVM_API void libvm_machine_destroy(libvm_machine *m)
{
	if (!m)
		return;
	if (m->nthreads) {
		libvm_machine_cancel(m);
		join_threads(m);
	}
	lvm_mach_unload(m);
	/* The platform's devices go before the VM they are registered in. */
	libvm_platform_destroy(m->plat);
	libvm_vm_destroy(m->vm);
	free(m->vcpus);
	free(m->threads);
	pthread_cond_destroy(&m->ended_cond);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

LIBVM_API libvm_vm *libvm_machine_vm(libvm_machine *m)
{
	return m ? m->vm : NULL;
}

LIBVM_API libvm_platform *libvm_machine_platform(libvm_machine *m)
{
	return m ? m->plat : NULL;
}
