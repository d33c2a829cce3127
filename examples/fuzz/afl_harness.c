/* SPDX-License-Identifier: MIT */
/*
 * AFL++ driving a guest function through libvm, in persistent mode with
 * shared-memory test cases: one process runs many inputs, each restoring
 * the VM from a snapshot (libvm_fuzz_exec).  Build (make fuzz-examples):
 *
 *   afl-clang-fast -Iinclude examples/fuzz/afl_harness.c \
 *       -Lbuild/lib -lvm -Wl,-rpath,build/lib
 *
 * and fuzz with
 *
 *   afl-fuzz -i seeds -o out -- build/examples/fuzz/afl_harness
 *
 * Guest coverage: the guest (built with -fsanitize-coverage=trace-pc)
 * writes AFL-style edge counters straight into AFL's shared map, the one
 * __afl_area_ptr points to: the harness attaches the same System V
 * segment ($__AFL_SHM_ID; shmat gives page-aligned memory) and maps it
 * into the guest with LIBVM_MEM_VOLATILE.  (It attaches the segment a
 * second time rather than use __afl_area_ptr because afl-clang-fast's
 * pass owns that name.)  The guest's edges share the map with this
 * harness's own; afl-fuzz clears it before each input.
 *
 * The map size: afl-clang-fast sizes the map to the instrumented program
 * (this small harness: a few hundred bytes) and tells afl-fuzz so, which
 * would then ignore the guest's edges.  So the fork server is deferred
 * (__AFL_INIT) and __afl_map_size raised to the guest's share first: the
 * size of AFL's shared memory segment, at most 64 KiB.
 *
 * Only edges go into AFL's map, not the guest's value-profile slots
 * (fuzz_vm.h, no_cmp_slots): AFL++ gets its compare feedback from CMPLOG.
 *
 * Guest compares (CMPLOG): run afl-fuzz with -c 0 and it runs this same
 * program a second time, as its CMPLOG binary, with __afl_cmp_map set.
 * The guest logs the operands of the compares that failed
 * (<libvm/cmplog.h>) and the harness passes each to AFL++'s own hook for
 * its size, __cmplog_ins_hook1/2/4/8, which writes AFL++'s map in
 * whatever layout the installed AFL++ uses.  The hooks file a compare
 * under a hash of their return address, so the harness calls them from
 * one of CMPLOG_SITES small functions picked by the guest's compare
 * address: different guest compares land in different slots, as they
 * would in a compiled program, for redqueen's input-to-state replacement.
 *
 * The VM is created after the fork server forked (KVM file descriptors
 * belong to the process that created the VM), once per child, which then
 * runs up to 10000 inputs.
 *
 * Outcomes: anything but OK (guest exception, triple fault, a bug the
 * guest reported, a guest time-out = hang) prints the details and
 * abort()s, which afl-fuzz records as a crash.  Outside afl-fuzz the
 * harness runs one input from stdin: `afl_harness < out/default/crashes/id...`.
 */
#include "fuzz_vm.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

__AFL_FUZZ_INIT();

extern uint32_t __afl_map_size;
extern void *__afl_cmp_map;

/* AFL++'s CMPLOG hooks (afl-compiler-rt). */
void __cmplog_ins_hook1(uint8_t a, uint8_t b, uint8_t attr);
void __cmplog_ins_hook2(uint16_t a, uint16_t b, uint8_t attr);
void __cmplog_ins_hook4(uint32_t a, uint32_t b, uint8_t attr);
void __cmplog_ins_hook8(uint64_t a, uint64_t b, uint8_t attr);

/*
 * 64 functions, one hook call site each: each a different return address
 * for the hook.  Each function's own volatile counter makes its code
 * differ, so no compiler or linker folds them into one.
 */
typedef void cmplog_site_fn(unsigned size, uint64_t a, uint64_t b);

#define CMPLOG_SITE(k)                                                     \
	static __attribute__((noinline)) void cmplog_site##k(              \
		unsigned size, uint64_t a, uint64_t b)                      \
	{                                                                   \
		static volatile unsigned calls;                             \
                                                                            \
		calls++;                                                    \
		switch (size) {                                             \
		case 1:                                                     \
			__cmplog_ins_hook1((uint8_t)a, (uint8_t)b, 0);      \
			break;                                              \
		case 2:                                                     \
			__cmplog_ins_hook2((uint16_t)a, (uint16_t)b, 0);    \
			break;                                              \
		case 4:                                                     \
			__cmplog_ins_hook4((uint32_t)a, (uint32_t)b, 0);    \
			break;                                              \
		default:                                                    \
			__cmplog_ins_hook8(a, b, 0);                        \
		}                                                           \
		calls++;                                                    \
	}
/* Sites named in base 4, 1000 to 1333: 64 of them. */
#define X4(m, k) m(k##0) m(k##1) m(k##2) m(k##3)
#define X16(m, k) X4(m, k##0) X4(m, k##1) X4(m, k##2) X4(m, k##3)
#define X64(m) X16(m, 10) X16(m, 11) X16(m, 12) X16(m, 13)
X64(CMPLOG_SITE)
#define CMPLOG_SITE_REF(k) cmplog_site##k,
static cmplog_site_fn *const cmplog_sites[] = { X64(CMPLOG_SITE_REF) };
#define CMPLOG_SITES (sizeof(cmplog_sites) / sizeof(cmplog_sites[0]))

/* Hand the compares the last input failed to AFL++'s CMPLOG map. */
static void cmps_forward(const struct fuzz_vm *f)
{
	const struct libvm_cmp_entry *e;
	uint32_t n, i, h;

	if (!__afl_cmp_map)
		return;
	e = fuzz_vm_cmps(f, &n);
	for (i = 0; i < n; i++, e++) {
		h = e->pc * 0x9e3779b1u;
		cmplog_sites[(h >> 16) % CMPLOG_SITES](e->size, e->a, e->b);
	}
}

#define COV_MAX 65536u
#define PAGE 4096u

/*
 * AFL's shared map attached at *map, and how many bytes of it the guest
 * may use (a power of two, at most 64 KiB); 0 outside afl-fuzz.
 */
static uint64_t afl_shm_attach(uint8_t **map)
{
	const char *id = getenv("__AFL_SHM_ID");
	struct shmid_ds ds;
	uint64_t n = COV_MAX;
	void *p;

	if (!id || shmctl(atoi(id), IPC_STAT, &ds) < 0)
		return 0;
	while (n > ds.shm_segsz)
		n >>= 1;
	if (n < PAGE)
		return 0;
	p = shmat(atoi(id), NULL, 0);
	if (p == (void *)-1)
		return 0;
	*map = p;
	return n;
}

int main(void)
{
	struct fuzz_vm fz = { 0 };
	libvm_fuzz_result res;
	uint64_t cov_size;
	uint8_t *cov = NULL;
	int r;

	cov_size = afl_shm_attach(&cov);
	if (cov_size && __afl_map_size < cov_size)
		__afl_map_size = (uint32_t)cov_size;
	__AFL_INIT();
	if (!cov_size) {
		/* Not under afl-fuzz: a private map keeps the guest going. */
		cov_size = COV_MAX;
		cov = mmap(NULL, cov_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (cov == MAP_FAILED) {
			perror("afl_harness: mmap");
			return 2;
		}
	}
	/*
	 * Edges only in AFL's map: redqueen's colorization looks for input
	 * bytes it may change without changing coverage, and the
	 * value-profile slots would make every compared byte count.
	 */
	fz.no_cmp_slots = 1;
	r = fuzz_vm_setup(&fz, cov, cov_size);
	if (r == LIBVM_ENOKVM) {
		fprintf(stderr, "afl_harness: no usable KVM, nothing to fuzz\n");
		return 0;
	}
	if (r < 0)
		return 2;

	while (__AFL_LOOP(10000)) {
		const uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
		size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;

		if (fuzz_vm_exec(&res, &fz, buf, len) < 0)
			return 2;
		cmps_forward(&fz);
		if (res.outcome != LIBVM_FUZZ_OK) {
			fuzz_vm_print(&res, len);
			abort();
		}
	}
	fuzz_vm_destroy(&fz);
	return 0;
}
