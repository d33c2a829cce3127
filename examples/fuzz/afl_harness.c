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
 * (fuzz_vm.h, no_cmp_slots): they would fill AFL's queue with inputs
 * that differ only in how close a byte came to a wanted value.
 *
 * Guest compares reach AFL++ through the custom mutator in
 * afl_mutator.c (AFL_CUSTOM_MUTATOR_LIBRARY): it runs each queue entry in
 * a VM of its own, reads the compares the guest logged and writes the
 * wanted values into the input (input-to-state, i2s.h).
 *
 * Outcomes other than OK print their details and abort(): afl-fuzz files
 * the input under crashes/.  Without KVM the harness says so and exits 0.
 */
#include "fuzz_vm.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

__AFL_FUZZ_INIT();

extern uint32_t __afl_map_size;
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
	fz.no_cmp_slots = 1;	/* edges only in AFL's map (see above) */
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
		if (res.outcome != LIBVM_FUZZ_OK) {
			fuzz_vm_print(&res, len);
			abort();
		}
	}
	fuzz_vm_destroy(&fz);
	return 0;
}
