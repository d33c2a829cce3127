/* SPDX-License-Identifier: MIT */
/*
 * Core benchmarks: libvm against the same work done with raw KVM ioctls
 * (<linux/kvm.h>, /dev/kvm opened once) in the same process and run.
 *
 *   pio_exit       ns per port-I/O exit handled by a libvm trap callback,
 *                  against a bare KVM_RUN loop handling the exit itself.
 *   vm_lifecycle   us to create a VM (1 MiB, one vCPU), run it to HLT and
 *                  destroy it.
 *   vm_rss_per_vm  KiB of resident memory per VM with many small VMs alive,
 *                  each run once to HLT.
 *
 * KVM's kernel-side memory per VM is not reported: MemFree deltas proved
 * meaningless (slab and per-CPU page caches absorb a VM's frees and feed
 * the next VM's allocations), and the exact figure needs a memory cgroup.
 *
 * Every guest is 16-bit real-mode code at 0x1000 (CS base 0), as
 * examples/hello.c runs.  The raw baseline hands registers to KVM through
 * KVM_CAP_SYNC_REGS where the host has it (one ioctl less), as libvm does.
 */
#include <libvm/libvm.h>

#define BENCH_PROG "bench/core"
#include "bench.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <malloc.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define GUEST_GPA	0x1000
#define PIO_PORT	0x510

/*
 * The guests, assembled with this file.  pio_guest does ECX `out`s to port
 * DX, the byte sent counting up from AL, then halts; hlt_guest only halts.
 */
extern const unsigned char pio_guest[], pio_guest_end[];
extern const unsigned char hlt_guest[], hlt_guest_end[];
__asm__(".pushsection .rodata\n"
	".code16\n"
	"pio_guest:\n"
	"1:	out %al, (%dx)\n"
	"	inc %al\n"
	"	dec %ecx\n"
	"	jnz 1b\n"
	"	hlt\n"
	"pio_guest_end:\n"
	"hlt_guest:\n"
	"	hlt\n"
	"hlt_guest_end:\n"
	".code64\n"
	".popsection\n");

static const char *const figure_names[] = {
	"raw_pio_exit", "pio_exit", "raw_vm_lifecycle", "vm_lifecycle",
	"raw_vm_rss_per_vm", "vm_rss_per_vm", NULL,
};

/* ---- raw KVM: the baseline ----------------------------------------------- */

static int kvm_fd = -1;
static size_t run_size;
static bool have_sync_regs;

struct raw_vm {
	int vm_fd, vcpu_fd;
	uint8_t *mem;
	size_t mem_size;
	struct kvm_run *run;
};

static void raw_open(void)
{
	int r;

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		bench_die_errno("open /dev/kvm");
	r = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		bench_die_errno("KVM_GET_VCPU_MMAP_SIZE");
	run_size = (size_t)r;
	have_sync_regs = ioctl(kvm_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_SYNC_REGS) > 0;
}

static void raw_set_regs(struct raw_vm *m, const struct kvm_regs *regs)
{
	if (have_sync_regs) {
		m->run->s.regs.regs = *regs;
		m->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	} else if (ioctl(m->vcpu_fd, KVM_SET_REGS, regs) < 0) {
		bench_die_errno("KVM_SET_REGS");
	}
}

/* VM, memory at 0, one vCPU in real mode with CS base 0; not yet run. */
static void raw_vm_create(struct raw_vm *m, size_t mem_size,
			  const unsigned char *code, size_t len,
			  const struct kvm_regs *regs)
{
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs sregs;
	void *p;

	m->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (m->vm_fd < 0)
		bench_die_errno("KVM_CREATE_VM");
	p = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		bench_die_errno("mmap guest memory");
	m->mem = p;
	m->mem_size = mem_size;
	memcpy(m->mem + GUEST_GPA, code, len);
	slot = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)p,
	};
	if (ioctl(m->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		bench_die_errno("KVM_SET_USER_MEMORY_REGION");
	m->vcpu_fd = ioctl(m->vm_fd, KVM_CREATE_VCPU, 0);
	if (m->vcpu_fd < 0)
		bench_die_errno("KVM_CREATE_VCPU");
	p = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 m->vcpu_fd, 0);
	if (p == MAP_FAILED)
		bench_die_errno("mmap kvm_run");
	m->run = p;
	if (ioctl(m->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		bench_die_errno("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(m->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		bench_die_errno("KVM_SET_SREGS");
	raw_set_regs(m, regs);
}

static void raw_vm_destroy(struct raw_vm *m)
{
	munmap(m->run, run_size);
	close(m->vcpu_fd);
	close(m->vm_fd);
	munmap(m->mem, m->mem_size);
}

static void raw_expect_hlt(struct raw_vm *m)
{
	if (ioctl(m->vcpu_fd, KVM_RUN, 0) < 0)
		bench_die_errno("KVM_RUN");
	if (m->run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "bench/core: raw guest exited with reason %u, "
			"not HLT\n", m->run->exit_reason);
		exit(1);
	}
}

/* ---- libvm: the subject ---------------------------------------------------- */

static void lv_vm_create(libvm_vm **vmp, libvm_vcpu **vcpup, size_t mem_size,
			 const unsigned char *code, size_t len,
			 const libvm_regs *regs)
{
	libvm_sregs sregs;
	libvm_vcpu *vcpu;
	libvm_vm *vm;
	int r;

	if ((r = libvm_vm_create(&vm, NULL)) < 0)
		bench_die_libvm("libvm_vm_create", r);
	if ((r = libvm_mem_map_anon(vm, 0, mem_size, 0)) < 0)
		bench_die_libvm("libvm_mem_map_anon", r);
	if ((r = libvm_mem_write(vm, GUEST_GPA, code, len)) < 0)
		bench_die_libvm("libvm_mem_write", r);
	if ((r = libvm_vcpu_create(&vcpu, vm, 0)) < 0)
		bench_die_libvm("libvm_vcpu_create", r);
	if ((r = libvm_vcpu_get_sregs(&sregs, vcpu)) < 0)
		bench_die_libvm("libvm_vcpu_get_sregs", r);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if ((r = libvm_vcpu_set_sregs(vcpu, &sregs)) < 0)
		bench_die_libvm("libvm_vcpu_set_sregs", r);
	if ((r = libvm_vcpu_set_regs(vcpu, regs)) < 0)
		bench_die_libvm("libvm_vcpu_set_regs", r);
	*vmp = vm;
	*vcpup = vcpu;
}

static void lv_expect_hlt(libvm_vcpu *vcpu)
{
	libvm_exit ex;
	int r = libvm_vcpu_run(&ex, vcpu, 0);

	if (r < 0)
		bench_die_libvm("libvm_vcpu_run", r);
	if (ex.reason != LIBVM_EXIT_HLT) {
		fprintf(stderr, "bench/core: libvm guest stopped: %s (KVM exit "
			"%u), not HLT\n", libvm_exit_reason_name(ex.reason),
			ex.kvm_reason);
		exit(1);
	}
}

/* ---- (a) pio_exit ------------------------------------------------------------ */

/* What both sides' device does with a byte: count it and sum it. */
struct pio_sink {
	uint64_t calls, sum;
};

static int lv_pio_handler(libvm_vcpu *vcpu, uint64_t port, void *data,
			  uint32_t size, uint32_t direction, void *opaque)
{
	struct pio_sink *s = opaque;

	(void)vcpu, (void)port, (void)size;
	if (direction == LIBVM_WRITE) {
		s->calls++;
		s->sum += *(uint8_t *)data;
	}
	return LIBVM_TRAP_CONTINUE;
}

/* The raw loop's device: the same work with the same arguments. */
static __attribute__((noinline)) void raw_pio_handler(struct pio_sink *s,
						      uint16_t port,
						      uint8_t *data,
						      uint32_t size,
						      uint32_t direction)
{
	(void)port, (void)size;
	if (direction == KVM_EXIT_IO_OUT) {
		s->calls++;
		s->sum += *data;
	}
}

struct pio_ctx {
	unsigned long exits;
	struct pio_sink sink;
	struct raw_vm raw;
	libvm_vm *vm;
	libvm_vcpu *vcpu;
};

static void pio_regs(struct kvm_regs *r, unsigned long exits)
{
	memset(r, 0, sizeof(*r));
	r->rip = GUEST_GPA;
	r->rflags = 0x2;
	r->rcx = exits;
	r->rdx = PIO_PORT;
}

static void pio_check(struct pio_ctx *c, const char *who)
{
	if (c->sink.calls != c->exits) {
		fprintf(stderr, "bench/core: %s pio guest: %llu handler calls, "
			"want %lu\n", who, (unsigned long long)c->sink.calls,
			c->exits);
		exit(1);
	}
}

static double pio_round_raw(void *arg)
{
	struct pio_ctx *c = arg;
	struct kvm_run *run = c->raw.run;
	struct kvm_regs regs;
	uint64_t t0, t1;

	pio_regs(&regs, c->exits);
	raw_set_regs(&c->raw, &regs);
	c->sink.calls = 0;
	t0 = bench_now_ns();
	for (;;) {
		if (ioctl(c->raw.vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			bench_die_errno("KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;
			uint32_t i;

			for (i = 0; i < run->io.count; i++, d += run->io.size)
				raw_pio_handler(&c->sink, run->io.port, d,
						run->io.size,
						run->io.direction);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		fprintf(stderr, "bench/core: raw pio guest: exit reason %u\n",
			run->exit_reason);
		exit(1);
	}
	t1 = bench_now_ns();
	pio_check(c, "raw");
	return (double)(t1 - t0) / (double)c->exits;
}

static double pio_round_libvm(void *arg)
{
	struct pio_ctx *c = arg;
	struct kvm_regs kr;
	libvm_regs regs;
	uint64_t t0, t1;
	int r;

	_Static_assert(sizeof(kr) == sizeof(regs), "regs layout");
	pio_regs(&kr, c->exits);
	memcpy(&regs, &kr, sizeof(regs));
	if ((r = libvm_vcpu_set_regs(c->vcpu, &regs)) < 0)
		bench_die_libvm("libvm_vcpu_set_regs", r);
	c->sink.calls = 0;
	t0 = bench_now_ns();
	lv_expect_hlt(c->vcpu);
	t1 = bench_now_ns();
	pio_check(c, "libvm");
	return (double)(t1 - t0) / (double)c->exits;
}

static void bench_pio_exit(int rounds)
{
	struct pio_ctx lv = { 0 }, raw = { 0 };
	struct kvm_regs kr;
	libvm_regs regs;
	size_t len = (size_t)(pio_guest_end - pio_guest);
	double v, b;
	int r;

	lv.exits = raw.exits = bench_scaled(2000, 4);
	bench_header("pio_exit: real mode (16-bit, CPL0) guest, %lu OUT exits "
		     "+ HLT per run, %d rounds alternating libvm/raw, median "
		     "ns per exit", lv.exits, rounds);
	pio_regs(&kr, lv.exits);
	memcpy(&regs, &kr, sizeof(regs));
	raw_vm_create(&raw.raw, 0x10000, pio_guest, len, &kr);
	lv_vm_create(&lv.vm, &lv.vcpu, 0x10000, pio_guest, len, &regs);
	r = libvm_trap_register(lv.vm, LIBVM_TRAP_PIO, PIO_PORT, 1,
				lv_pio_handler, &lv.sink);
	if (r < 0)
		bench_die_libvm("libvm_trap_register", r);
	/* Warm up: fault in guest memory, the vCPU's first entry. */
	pio_round_raw(&raw);
	pio_round_libvm(&lv);
	bench_interleave(&v, &b, rounds, pio_round_libvm, &lv, pio_round_raw,
			 &raw);
	bench_report("raw_pio_exit", b, "ns");
	bench_report_vs("pio_exit", v, "ns", "raw_pio_exit", b);
	libvm_vm_destroy(lv.vm);
	raw_vm_destroy(&raw.raw);
}

/* ---- (b) vm_lifecycle -------------------------------------------------------- */

#define LIFE_MEM (1u << 20)

struct life_ctx {
	unsigned long cycles;
};

static void hlt_regs(struct kvm_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rip = GUEST_GPA;
	r->rflags = 0x2;
}

static double life_round_raw(void *arg)
{
	struct life_ctx *c = arg;
	struct kvm_regs regs;
	struct raw_vm m;
	uint64_t t0;
	unsigned long i;

	hlt_regs(&regs);
	t0 = bench_now_ns();
	for (i = 0; i < c->cycles; i++) {
		raw_vm_create(&m, LIFE_MEM, hlt_guest,
			      (size_t)(hlt_guest_end - hlt_guest), &regs);
		raw_expect_hlt(&m);
		raw_vm_destroy(&m);
	}
	return (double)(bench_now_ns() - t0) / 1e3 / (double)c->cycles;
}

static double life_round_libvm(void *arg)
{
	struct life_ctx *c = arg;
	struct kvm_regs kr;
	libvm_regs regs;
	libvm_vcpu *vcpu;
	libvm_vm *vm;
	uint64_t t0;
	unsigned long i;

	hlt_regs(&kr);
	memcpy(&regs, &kr, sizeof(regs));
	t0 = bench_now_ns();
	for (i = 0; i < c->cycles; i++) {
		lv_vm_create(&vm, &vcpu, LIFE_MEM, hlt_guest,
			     (size_t)(hlt_guest_end - hlt_guest), &regs);
		lv_expect_hlt(vcpu);
		libvm_vm_destroy(vm);
	}
	return (double)(bench_now_ns() - t0) / 1e3 / (double)c->cycles;
}

static void bench_vm_lifecycle(int rounds)
{
	struct life_ctx c = { bench_scaled(40, 1) };
	double v, b;

	bench_header("vm_lifecycle: create VM + 1 MiB RAM + 1 vCPU, real mode "
		     "(16-bit) guest runs to HLT, destroy; %lu cycles per "
		     "round, %d rounds alternating libvm/raw, median us per "
		     "cycle; raw sets no CPUID, libvm sets the host's",
		     c.cycles, rounds);
	life_round_raw(&c);
	life_round_libvm(&c);
	bench_interleave(&v, &b, rounds, life_round_libvm, &c, life_round_raw,
			 &c);
	bench_report("raw_vm_lifecycle", b, "us");
	bench_report_vs("vm_lifecycle", v, "us", "raw_vm_lifecycle", b);
}

/* ---- (c) vm_rss_per_vm ------------------------------------------------------- */

#define RSS_MEM 0x10000u

/* KiB values from a "Key:   123 kB" file such as /proc/self/status. */
static long kib_field(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		bench_die_errno(path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	if (v < 0) {
		fprintf(stderr, "bench/core: no %s in %s\n", key, path);
		exit(1);
	}
	return v;
}

struct mem_snap {
	long rss;
};

static void mem_snap(struct mem_snap *s)
{
	/*
	 * Hand back heap memory the previous round freed, so every round
	 * starts from the same state and neither side grows into pages the
	 * other left resident.
	 */
	malloc_trim(0);
	/*
	 * smaps_rollup walks the page tables: exact, where VmRSS of
	 * /proc/self/status may lag by up to 64 pages per thread.
	 */
	s->rss = kib_field("/proc/self/smaps_rollup", "Rss");
}

struct rss_ctx {
	unsigned long n;
	struct raw_vm *raw;
	libvm_vm **vms;
};

/* Per-VM KiB of resident memory between two snapshots. */
static double rss_delta(struct rss_ctx *c, const struct mem_snap *a,
			const struct mem_snap *b)
{
	return (double)(b->rss - a->rss) / (double)c->n;
}

static double rss_round_raw(void *arg)
{
	struct rss_ctx *c = arg;
	struct kvm_regs regs;
	struct mem_snap a, b;
	unsigned long i;
	double v;

	hlt_regs(&regs);
	mem_snap(&a);
	for (i = 0; i < c->n; i++) {
		raw_vm_create(&c->raw[i], RSS_MEM, hlt_guest,
			      (size_t)(hlt_guest_end - hlt_guest), &regs);
		raw_expect_hlt(&c->raw[i]);
	}
	mem_snap(&b);
	v = rss_delta(c, &a, &b);
	for (i = 0; i < c->n; i++)
		raw_vm_destroy(&c->raw[i]);
	return v;
}

static double rss_round_libvm(void *arg)
{
	struct rss_ctx *c = arg;
	struct kvm_regs kr;
	struct mem_snap a, b;
	libvm_regs regs;
	libvm_vcpu *vcpu;
	unsigned long i;
	double v;

	hlt_regs(&kr);
	memcpy(&regs, &kr, sizeof(regs));
	mem_snap(&a);
	for (i = 0; i < c->n; i++) {
		lv_vm_create(&c->vms[i], &vcpu, RSS_MEM, hlt_guest,
			     (size_t)(hlt_guest_end - hlt_guest), &regs);
		lv_expect_hlt(vcpu);
	}
	mem_snap(&b);
	v = rss_delta(c, &a, &b);
	for (i = 0; i < c->n; i++)
		libvm_vm_destroy(c->vms[i]);
	return v;
}

static void bench_vm_rss(void)
{
	struct rss_ctx c = { 0 };
	unsigned long vms_env;
	struct rlimit rl;
	int rounds = 3;
	double v, b;
	rlim_t need;

	vms_env = (unsigned long)bench_env_double("LIBVM_BENCH_RSS_VMS", 0);
	c.n = vms_env ? vms_env : bench_scaled(1000, 20);
	/* libvm holds 3 fds per VM (its own /dev/kvm, VM, vCPU). */
	need = (rlim_t)c.n * 3 + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		bench_die_errno("getrlimit");
	if (rl.rlim_cur < need) {
		rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			bench_die_errno("setrlimit RLIMIT_NOFILE");
		if (rl.rlim_cur < need) {
			char why[128];

			snprintf(why, sizeof(why), "RLIMIT_NOFILE hard limit "
				 "%llu is below the %llu fds needed",
				 (unsigned long long)rl.rlim_max,
				 (unsigned long long)need);
			bench_skip("raw_vm_rss_per_vm", why);
			bench_skip("vm_rss_per_vm", why);
			return;
		}
	}
	c.raw = calloc(c.n, sizeof(*c.raw));
	c.vms = calloc(c.n, sizeof(*c.vms));
	if (!c.raw || !c.vms)
		bench_die("%s", "out of memory");
	bench_header("vm_rss_per_vm: %lu VMs alive at once, each 64 KiB RAM + "
		     "1 vCPU, real mode (16-bit) guest run once to HLT; "
		     "(Rss after - before) / %lu from /proc/self/smaps_rollup, "
		     "%d rounds alternating libvm/raw, median KiB per VM",
		     c.n, c.n, rounds);
	bench_interleave(&v, &b, rounds, rss_round_libvm, &c, rss_round_raw,
			 &c);
	bench_report("raw_vm_rss_per_vm", b, "KiB");
	bench_report_vs("vm_rss_per_vm", v, "KiB", "raw_vm_rss_per_vm", b);
	free(c.raw);
	free(c.vms);
}

static bool wanted(int argc, char **argv, const char *name)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

/* Arguments, if any, name the benchmarks to run (pio_exit, ...). */
int main(int argc, char **argv)
{
	int rounds = bench_rounds();
	libvm_vm *probe;

	probe = bench_vm_create_or_skip(figure_names);
	libvm_vm_destroy(probe);
	raw_open();
	if (wanted(argc, argv, "pio_exit"))
		bench_pio_exit(rounds);
	if (wanted(argc, argv, "vm_lifecycle"))
		bench_vm_lifecycle(rounds);
	if (wanted(argc, argv, "vm_rss_per_vm"))
		bench_vm_rss();
	close(kvm_fd);
	return 0;
}
