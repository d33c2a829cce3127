/* SPDX-License-Identifier: MIT */
/*
 * VM lifetime, configuration checks, the irqchip, host facts, the file
 * descriptors each object holds and many VMs in one process.
 */
#include "guests.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "build/guests"
#endif

TestSuite(vm);

Test(vm, create_destroy_defaults)
{
	libvm_vm *vm = h_vm_create(NULL);

	libvm_vm_destroy(vm);
}

Test(vm, create_destroy_with_init_config)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;

	cr_assert_eq(cfg.version, LIBVM_VM_CONFIG_VERSION);
	vm = h_vm_create(&cfg);
	libvm_vm_destroy(vm);
}

Test(vm, destroy_null_is_noop)
{
	libvm_vm_destroy(NULL);
}

Test(vm, null_out_refused)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;

	FAILS(libvm_vm_create(NULL, NULL), LIBVM_EINVAL);
	FAILS(libvm_vm_create(NULL, &cfg), LIBVM_EINVAL);
}

Test(vm, unknown_config_version)
{
	static const uint32_t versions[] = { 0, 2, 12345, 0xffffffffu };
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		libvm_vm *vm = (libvm_vm *)&cfg;	/* must be cleared */

		cfg.version = versions[i];
		FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EVERSION);
		cr_assert_null(vm, "version %u left *out set", versions[i]);
	}
}

Test(vm, unknown_flags)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.flags = 1u << 2;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EINVAL);
	cfg.flags = 0x80000000u | LIBVM_VM_IRQCHIP;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EINVAL);
	cr_assert_null(vm);
}

Test(vm, pit_needs_irqchip)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.flags = LIBVM_VM_PIT;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EINVAL);
	cr_assert_null(vm);
	cr_assert_not_null(strstr(libvm_last_error(), "IRQCHIP"), "detail: %s",
			   libvm_last_error());
}

Test(vm, bad_kvm_path)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.kvm_path = "/nonexistent/dev/kvm";
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_ENOKVM);
	cr_assert_null(vm);
	cr_assert_not_null(strstr(libvm_last_error(), "/nonexistent/dev/kvm"),
			   "detail: %s", libvm_last_error());
	/* The host's KVM modules are no reason for a missing path. */
	cr_assert_null(strstr(libvm_last_error(), "kvm_"), "detail: %s",
		       libvm_last_error());
	/* Not a KVM device at all. */
	cfg.kvm_path = "/dev/null";
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_ENOKVM);
	cr_assert_not_null(strstr(libvm_last_error(), "/dev/null"),
			   "detail: %s", libvm_last_error());
}

Test(vm, bad_kick_signal)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;
	int fds;

	/* The signal is checked after KVM opens: skip without KVM. */
	libvm_vm_destroy(h_vm_create(NULL));
	fds = h_count_fds();
	cfg.kick_signal = 9;	/* SIGKILL */
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EINVAL);
	cr_assert_null(vm);
	cr_assert_eq(h_count_fds(), fds, "a failed create leaked fds");
}

Test(vm, irqchip_and_pit)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;
	libvm_vcpu *v = NULL;

	cfg.flags = LIBVM_VM_IRQCHIP | LIBVM_VM_PIT;
	vm = h_vm_create(&cfg);
	OK(libvm_vcpu_create(&v, vm, 0));
	OK(libvm_vm_irq_line(vm, 4, 1));
	OK(libvm_vm_irq_line(vm, 4, 0));
	OK(libvm_vm_irq_line(vm, 0, 0));
	OK(libvm_vm_irq_line(vm, 23, 1));
	OK(libvm_vm_irq_line(vm, 23, 0));
	FAILS(libvm_vm_irq_line(vm, 24, 1), LIBVM_EINVAL);
	FAILS(libvm_vm_irq_line(vm, 0xffffffffu, 1), LIBVM_EINVAL);
	cr_assert_not_null(strstr(libvm_last_error(), "GSI"), "detail: %s",
			   libvm_last_error());
	libvm_vm_destroy(vm);
}

Test(vm, irqchip_only)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm;

	cfg.flags = LIBVM_VM_IRQCHIP;
	vm = h_vm_create(&cfg);
	OK(libvm_vm_irq_line(vm, 1, 1));
	OK(libvm_vm_irq_line(vm, 1, 0));
	libvm_vm_destroy(vm);
}

Test(vm, irq_line_without_irqchip)
{
	libvm_vm *vm = h_vm_create(NULL);

	FAILS(libvm_vm_irq_line(vm, 4, 1), LIBVM_ESTATE);
	FAILS(libvm_vm_irq_line(NULL, 4, 1), LIBVM_EINVAL);
	libvm_vm_destroy(vm);
}

/* One create/map/vCPU/destroy cycle. */
static void cycle(void)
{
	libvm_vm *vm = h_vm_create(NULL);
	libvm_vcpu *v = NULL;

	OK(libvm_mem_map_anon(vm, 0, 0x10000, 0));
	OK(libvm_vcpu_create(&v, vm, 0));
	libvm_vm_destroy(vm);
}

#define CYCLES 1000

Test(vm, create_destroy_cycles_leak_nothing, .timeout = 600)
{
	int fds, maps, i;
	long rss;
	uint64_t t0;

	/* RSS is what libvm keeps, not the kernel's page sizes (THP). */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	/* Warm up: one-time caches (CPUID table, malloc arenas). */
	for (i = 0; i < 3; i++)
		cycle();
	fds = h_count_fds();
	maps = h_count_maps();
	rss = h_rss_kb();
	t0 = h_now_ns();
	for (i = 0; i < CYCLES; i++)
		cycle();
	cr_log_info("%d create/map/vcpu/destroy cycles: %.1f ms each",
		    CYCLES, (double)(h_now_ns() - t0) / 1e6 / CYCLES);
	cr_assert_eq(h_count_fds(), fds, "fds %d -> %d", fds, h_count_fds());
	cr_assert_eq(h_count_maps(), maps, "maps %d -> %d", maps,
		     h_count_maps());
#ifndef __SANITIZE_ADDRESS__
	/* A leak of even one 4 KiB page per cycle would show. */
	cr_assert_lt(h_rss_kb() - rss, 2048, "RSS %ld KiB -> %ld KiB", rss,
		     h_rss_kb());
#else
	/* ASan's quarantine keeps freed memory resident; LSan checks leaks. */
	cr_log_info("RSS %ld KiB -> %ld KiB (not checked under ASan)", rss,
		    h_rss_kb());
#endif
}

static int nop_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	(void)vcpu, (void)addr, (void)data, (void)size, (void)direction;
	(void)opaque;
	return LIBVM_TRAP_CONTINUE;
}

/* A VM with two regions, two traps, three vCPUs and a timed run, gone. */
static void everything_live_cycle(void)
{
	libvm_vm *vm;
	libvm_vcpu *v[3];
	libvm_exit ex;
	int i;

	vm = h_vm_create(NULL);
	h_map_ram(vm, 0, 0x10000);
	h_map_ram(vm, 0x100000, 0x10000);
	OK(libvm_trap_register(vm, LIBVM_TRAP_PIO, 0x10, 1, nop_trap, NULL));
	OK(libvm_trap_register(vm, LIBVM_TRAP_MMIO, 0x200000, 0x1000,
			       nop_trap, NULL));
	h_load(vm, g_hlt);
	for (i = 0; i < 3; i++)
		v[i] = h_vcpu(vm, (uint32_t)i);
	h_run_expect(&ex, v[0], LIBVM_EXIT_HLT);
	/* Starts the watchdog thread, which destroy joins. */
	OK(libvm_vcpu_run(&ex, v[1], 1000000000ull));
	libvm_vm_destroy(vm);
}

Test(vm, destroy_with_everything_live, .timeout = VCPU_TIMEOUT)
{
	int fds, maps;

	/*
	 * Warm up with the same VM: glibc keeps the stack of the joined
	 * watchdog thread for the next thread, and an allocator (ASan's
	 * above all) maps a size class at its first use; that is reuse,
	 * not a leak.
	 */
	everything_live_cycle();
	fds = h_count_fds();
	maps = h_count_maps();
	everything_live_cycle();
	cr_assert_eq(h_count_fds(), fds);
	cr_assert_eq(h_count_maps(), maps);
}

/* ---- several VMs at once ---- */

#define NVMS 4
#define NOUTS 20

struct par {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	unsigned expect, outs, bad;
	int run_rc;
	libvm_exit ex;
};

static int par_out(libvm_vcpu *vcpu, uint64_t port, void *data,
		   uint32_t size, uint32_t direction, void *opaque)
{
	struct par *p = opaque;

	if (vcpu != p->vcpu || port != 0x40 || size != 1 ||
	    direction != LIBVM_WRITE || *(uint8_t *)data != (uint8_t)p->expect)
		p->bad++;
	p->expect++;
	p->outs++;
	return LIBVM_TRAP_CONTINUE;
}

static void *par_thread(void *arg)
{
	struct par *p = arg;

	p->run_rc = libvm_vcpu_run(&p->ex, p->vcpu, RUN_TIMEOUT_NS);
	return NULL;
}

Test(vm, parallel_vms, .timeout = VCPU_TIMEOUT)
{
	struct par p[NVMS];
	pthread_t t[NVMS];
	libvm_regs r;
	int i;

	memset(p, 0, sizeof(p));
	for (i = 0; i < NVMS; i++) {
		p[i].vm = h_vm_create(NULL);
		h_map_ram(p[i].vm, 0, 0x10000);
		h_load(p[i].vm, g_count);
		OK(libvm_trap_register(p[i].vm, LIBVM_TRAP_PIO, 0x40, 1,
				       par_out, &p[i]));
		p[i].vcpu = h_vcpu(p[i].vm, 0);
		h_get_regs(&r, p[i].vcpu);
		r.rsi = 0x10u * (unsigned)i;	/* each VM counts from here */
		r.rcx = NOUTS;
		h_set_regs(p[i].vcpu, &r);
		p[i].expect = 0x10u * (unsigned)i;
	}
	for (i = 0; i < NVMS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, par_thread, &p[i]), 0);
	for (i = 0; i < NVMS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NVMS; i++) {
		cr_expect_eq(p[i].run_rc, 0, "VM %d: run -> %d", i,
			     p[i].run_rc);
		cr_expect_eq(p[i].ex.reason, LIBVM_EXIT_HLT, "VM %d: %s", i,
			     libvm_exit_reason_name(p[i].ex.reason));
		cr_expect_eq(p[i].outs, NOUTS, "VM %d: %u OUTs", i,
			     p[i].outs);
		cr_expect_eq(p[i].bad, 0, "VM %d: %u wrong OUTs", i,
			     p[i].bad);
	}
	for (i = 0; i < NVMS; i++)
		libvm_vm_destroy(p[i].vm);
}

/* ---- file descriptors ---- */

/*
 * What ABI.md promises: the process's /dev/kvm descriptor is shared by all
 * its VMs; a VM holds one more, a vCPU one, a snapshot one per region it
 * stores (memfds), a fork one per region (the snapshot memfd it maps).
 */
Test(vm, descriptors_per_object, .timeout = VCPU_TIMEOUT)
{
	libvm_vm *a, *b, *f;
	libvm_snapshot *s;
	libvm_vcpu *v;
	int fds0 = h_count_fds();

	a = h_vm_create(NULL);
	cr_assert_eq(h_count_fds(), fds0 + 2, "first VM: /dev/kvm + VM");
	b = h_vm_create(NULL);
	cr_assert_eq(h_count_fds(), fds0 + 3, "second VM: its VM fd only");
	h_map_ram(a, 0, 0x10000);
	h_map_ram(a, 0x100000, 0x10000);
	OK(libvm_mem_map_anon(a, 0x200000, 0x1000, LIBVM_MEM_VOLATILE));
	cr_assert_eq(h_count_fds(), fds0 + 3, "regions hold none");
	OK(libvm_vcpu_create(&v, a, 0));
	cr_assert_eq(h_count_fds(), fds0 + 4, "a vCPU: one");
	OK(libvm_snapshot_take(&s, a));
	cr_assert_eq(h_count_fds(), fds0 + 6, "a snapshot: one per region "
		     "(not the volatile one)");
	OK(libvm_vm_fork(&f, s));
	cr_assert_eq(h_count_fds(), fds0 + 10, "a fork: VM, vCPU and one per "
		     "region");
	libvm_vm_destroy(f);
	libvm_snapshot_destroy(s);
	libvm_vm_destroy(a);
	cr_assert_eq(h_count_fds(), fds0 + 2);
	libvm_vm_destroy(b);
	cr_assert_eq(h_count_fds(), fds0, "the last VM closes /dev/kvm");
}

/* ---- many VMs in one process ---- */

#define MANY_VMS	1000
#define MANY_THREADS	4
#define MANY_RAM	(8ull << 20)	/* calls.elf sits at 4 MiB */
#define MANY_SYS	0x100000ull
#define MANY_CALL_NS	(30ull * 1000000000ull)

struct many {
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	void *ram;
	pthread_mutex_t lock;	/* a vCPU takes one thread at a time */
	unsigned calls;
};

static struct many *many;
static uint64_t many_fn;
static atomic_uint many_bad;

/* Each thread calls every VM once, in its own order. */
static void *many_thread(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg, k;

	for (k = 0; k < MANY_VMS; k++) {
		unsigned i = (7 * k + 251 * t) % MANY_VMS;
		struct many *m = &many[i];
		uint64_t ret = 0;
		int r;

		pthread_mutex_lock(&m->lock);
		r = libvm_call(&ret, NULL, m->vcpu, many_fn,
			       (uint64_t[]){ i, 1000000ull * t }, 2,
			       MANY_CALL_NS);
		if (r || ret != i + 1000000ull * t)
			atomic_fetch_add(&many_bad, 1);
		m->calls++;
		pthread_mutex_unlock(&m->lock);
	}
	return NULL;
}

static void many_vm(struct many *m, const uint8_t *elf, size_t len,
		    bool lookup)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_image *img = NULL;

	m->vm = h_vm_create(NULL);
	/*
	 * RAM of our own without transparent huge pages: each VM touches
	 * a few pages in three places, which THP would make 2 MiB each.
	 */
	m->ram = mmap(NULL, MANY_RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	cr_assert_neq(m->ram, MAP_FAILED);
	madvise(m->ram, MANY_RAM, MADV_NOHUGEPAGE);
	OK(libvm_mem_map_host(m->vm, 0, m->ram, MANY_RAM, 0));
	OK(libvm_image_load_mem(&img, m->vm, elf, len, 0));
	if (lookup)
		OK(libvm_image_symbol(&many_fn, img, "add"));
	lm.sys_gpa = MANY_SYS;
	lm.map_size = MANY_RAM;
	OK(libvm_long_mode_setup(m->vm, &lm));
	OK(libvm_vcpu_create(&m->vcpu, m->vm, 0));
	OK(libvm_vcpu_set_long_mode(m->vcpu, libvm_image_entry(img),
				    MANY_RAM));
	libvm_image_destroy(img);
	cr_assert_eq(pthread_mutex_init(&m->lock, NULL), 0);
}

/*
 * 1,000 VMs alive at once in one process, each with a vCPU in long mode
 * and each called from four threads in turn: one /dev/kvm descriptor for
 * all of them (2 descriptors a VM, not 3; under the default limit of 1,024
 * descriptors that is the difference between 255 VMs and 511), and the
 * descriptors and memory all come back when they are destroyed.
 */
Test(vm, thousand_vms_many_threads, .timeout = 1800)
{
	const rlim_t need = 2 * MANY_VMS + 256;
	struct many warm;
	struct rlimit rl;
	pthread_t t[MANY_THREADS];
	uint64_t t0, t1, t2;
	long rss0, rss1;
	int fds0, i;
	size_t len;
	uint8_t *elf = h_read_file(LIBVM_GUEST_DIR "/calls.elf", &len);

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (rl.rlim_max < need)
			rl.rlim_max = need;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0, "RLIMIT_NOFILE "
			     "%llu needed", (unsigned long long)need);
	}
	/* Warm up: the CPUID cache, a watchdog thread's stack, malloc. */
	memset(&warm, 0, sizeof(warm));
	many_vm(&warm, elf, len, true);
	OK(libvm_call(&t0, NULL, warm.vcpu, many_fn, (uint64_t[]){ 2, 3 }, 2,
		      MANY_CALL_NS));
	cr_assert_eq(t0, 5);
	libvm_vm_destroy(warm.vm);
	munmap(warm.ram, MANY_RAM);
	pthread_mutex_destroy(&warm.lock);

	malloc_trim(0);
	fds0 = h_count_fds();
	rss0 = h_rss_kb();
	many = calloc(MANY_VMS, sizeof(*many));
	cr_assert_not_null(many);
	t0 = h_now_ns();
	for (i = 0; i < MANY_VMS; i++)
		many_vm(&many[i], elf, len, false);
	t1 = h_now_ns();
	cr_assert_eq(h_count_fds(), fds0 + 1 + 2 * MANY_VMS,
		     "%d VMs with a vCPU each hold %d descriptors, want %d",
		     MANY_VMS, h_count_fds() - fds0, 1 + 2 * MANY_VMS);
	for (i = 0; i < MANY_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, many_thread,
					    (void *)(uintptr_t)i), 0);
	for (i = 0; i < MANY_THREADS; i++)
		pthread_join(t[i], NULL);
	t2 = h_now_ns();
	cr_assert_eq(atomic_load(&many_bad), 0, "%u calls failed",
		     atomic_load(&many_bad));
	rss1 = h_rss_kb();
	for (i = 0; i < MANY_VMS; i++) {
		cr_assert_eq(many[i].calls, MANY_THREADS);
		libvm_vm_destroy(many[i].vm);
		munmap(many[i].ram, MANY_RAM);
		pthread_mutex_destroy(&many[i].lock);
	}
	free(many);
	free(elf);
	malloc_trim(0);
	cr_log_info("%d VMs: %.2f ms to create each, %.1f us a call "
		    "(%d threads), RSS %ld -> %ld -> %ld KiB", MANY_VMS,
		    (double)(t1 - t0) / 1e6 / MANY_VMS,
		    (double)(t2 - t1) / 1e3 / (MANY_VMS * MANY_THREADS),
		    MANY_THREADS, rss0, rss1, h_rss_kb());
	cr_assert_eq(h_count_fds(), fds0, "fds %d -> %d", fds0,
		     h_count_fds());
#ifndef __SANITIZE_ADDRESS__
	/*
	 * Back within 16 MiB of where it started, of the ~500 MiB the VMs
	 * took: glibc keeps the stacks of finished threads (the VMs'
	 * watchdogs) for reuse, up to 40 MiB of address space.
	 */
	cr_assert_lt(h_rss_kb() - rss0, 16l << 10, "RSS %ld KiB -> %ld KiB "
		     "after destroying them all", rss0, h_rss_kb());
#endif
}

/* ---- host facts ---- */

Test(vm, host_query)
{
	libvm_host_info info = LIBVM_HOST_INFO_INIT;
	int r = libvm_host_query(&info, NULL);
	static const char *const backends[] = { "vmx", "svm", "pvm",
						"unknown" };
	size_t i;
	int known = 0;

	cr_assert_eq(info.version, LIBVM_HOST_INFO_VERSION);
	cr_assert_lt(strnlen(info.backend, sizeof(info.backend)),
		     sizeof(info.backend));
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		known |= !strcmp(info.backend, backends[i]);
	cr_assert(known, "backend \"%s\"", info.backend);
	cr_assert_leq(info.supervisor, LIBVM_SUPERVISOR_EMULATED);
	cr_assert_geq(info.phys_bits, 32);
	cr_assert_leq(info.phys_bits, 52);
	if (!h_kvm_openable()) {
		/* No KVM: refused, but the host half is filled. */
		FAILS(r, LIBVM_ENOKVM);
		cr_assert_gt(strlen(libvm_last_error()), 0);
		return;
	}
	OK(r);
	cr_assert_eq(info.kvm_api_version, 12);
	cr_assert_geq(info.max_vcpus, 1);
	cr_assert_geq(info.max_memslots, 1);
	cr_assert_str_neq(info.backend, "unknown",
			  "KVM opens but no backend module was found");
	cr_assert_neq(info.supervisor, LIBVM_SUPERVISOR_UNKNOWN);
	cr_assert(info.caps & LIBVM_HOST_IRQCHIP, "caps %#llx",
		  (unsigned long long)info.caps);
	cr_assert(info.caps & LIBVM_HOST_IMMEDIATE_EXIT);
	if (info.caps & LIBVM_HOST_XSAVE)
		cr_assert_geq(info.xsave_size, 512 + 64);
	for (i = 0; i < sizeof(info.reserved) / sizeof(info.reserved[0]); i++)
		cr_assert_eq(info.reserved[i], 0);
}

Test(vm, host_query_bad_args)
{
	libvm_host_info info = LIBVM_HOST_INFO_INIT;

	FAILS(libvm_host_query(NULL, NULL), LIBVM_EINVAL);
	info.version = 0;
	FAILS(libvm_host_query(&info, NULL), LIBVM_EVERSION);
	info.version = 2;
	FAILS(libvm_host_query(&info, NULL), LIBVM_EVERSION);
	info.version = LIBVM_HOST_INFO_VERSION;
	FAILS(libvm_host_query(&info, "/nonexistent/kvm"), LIBVM_ENOKVM);
	cr_assert_not_null(strstr(libvm_last_error(), "/nonexistent/kvm"));
	cr_assert_gt(strlen(info.backend), 0, "backend not filled");
}
