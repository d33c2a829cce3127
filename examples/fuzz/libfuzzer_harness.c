/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer driving a guest function through libvm: every input restores
 * the VM from a snapshot, copies the input into guest memory and calls the
 * guest function on it (libvm_fuzz_exec).  Build (make fuzz-examples):
 *
 *   clang -fsanitize=fuzzer -Iinclude examples/fuzz/libfuzzer_harness.c \
 *       -Lbuild/lib -lvm -Wl,-rpath,build/lib
 *
 * Guest coverage: the guest is built with -fsanitize-coverage=trace-pc and
 * its hook writes AFL-style edge counters into guest memory that is this
 * process's `counters` array, mapped into the guest (volatile, so restores
 * leave it alone).  The array lives in section __libfuzzer_extra_counters,
 * which libFuzzer reads after each input and clears before the next, like
 * its own counters: the guest's edges are coverage feedback with no copy.
 *
 * Guest compares: the guest's trace-cmp hooks also mark a slot per
 * compare and per number of operand bits that agree (value profile, in
 * the same counters), and log the operands of the compares that failed
 * (<libvm/cmplog.h>).  After each input the harness hands those to
 * libFuzzer's table of recent compares, which its CMP mutation draws
 * from: 4- and 8-byte operands through __sanitizer_cov_trace_cmp4/8, as
 * compiled code would; 1- and 2-byte operands (libFuzzer's own hooks keep
 * none of those) as a memcmp of two words, the input bytes around each
 * place the guest's operand occurs in the input, and the same bytes with
 * the operand replaced by the value it was compared with.  Half of the
 * mutations are input-to-state guesses made from the same log
 * (LLVMFuzzerCustomMutator, i2s.h).
 *
 * Outcomes: OK is a normal run.  CRASH (guest exception), TRIPLE_FAULT,
 * BUG (libvm_guest_report_bug) and TIMEOUT (the guest ran past
 * LIBVM_FUZZ_TIMEOUT_MS, default 1000: a hang) and STOPPED (anything
 * else that ended the call) print the details and
 * abort() this process -- that is how libFuzzer learns of a finding and
 * saves the input as crash-<sha1>.  Reproduce with
 * `libfuzzer_harness crash-<sha1>`.  A libvm failure (not the guest's
 * doing) ends the process with status 2.
 *
 * Environment: LIBVM_FUZZ_GUEST, LIBVM_FUZZ_FN, LIBVM_FUZZ_TIMEOUT_MS
 * (see fuzz_vm.h), and LIBVM_FUZZ_KEEP_GOING=1, which counts findings
 * instead of aborting on them (printing the first), so that a throughput
 * run (make bench) goes on past a bug the fuzzer finds in a second.  Without KVM the harness says so and exits 0 at
 * start-up: there is nothing to fuzz.
 */
#include "fuzz_vm.h"
#include "i2s.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define COV_SIZE 65536

__attribute__((section("__libfuzzer_extra_counters"), aligned(4096)))
uint8_t libvm_guest_counters[COV_SIZE];

static struct fuzz_vm fz;
static int keep_going;		/* LIBVM_FUZZ_KEEP_GOING=1 */
static unsigned long findings;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's hooks (compiled code calls them; so may we). */
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b);
void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b);
void __sanitizer_weak_hook_memcmp(void *caller_pc, const void *s1,
				  const void *s2, size_t n, int result);

#define CMP_WORDS_MAX	32	/* words handed over per input */
#define CMP_POS_MAX	8	/* places per operand */

struct cmp_word {
	uint32_t pc;
	uint8_t have[2], want[2];
};

/*
 * A 1- or 2-byte compare of operand `have` (found in the input) with
 * `want`: for each place (up to CMP_POS_MAX) `have` occurs in data, a word
 * of the input around it and the same word with `want` instead.
 */
static unsigned cmp_small(struct cmp_word *w, unsigned room,
			  const uint8_t *data, size_t size, uint64_t have,
			  uint64_t want, unsigned n, uint32_t pc)
{
	unsigned found = 0;
	size_t i, at;

	if (size < 2)
		return 0;
	for (i = 0; i + n <= size && found < CMP_POS_MAX && found < room;
	     i++) {
		if (data[i] != (uint8_t)have ||
		    (n == 2 && data[i + 1] != (uint8_t)(have >> 8)))
			continue;
		/* a 2-byte operand is its own word; a byte takes a neighbour */
		at = n == 2 || i + 1 < size ? i : i - 1;
		w[found].pc = pc;
		memcpy(w[found].have, data + at, 2);
		memcpy(w[found].want, data + at, 2);
		w[found].want[i - at] = (uint8_t)want;
		if (n == 2)
			w[found].want[1] = (uint8_t)(want >> 8);
		found++;
	}
	return found;
}

/*
 * The log runs in execution order, so its end is where the input stopped
 * getting further: collect from the end backwards, and hand the last
 * compare over last, so that it stays in libFuzzer's tables longest.
 */
static void cmps_forward(const uint8_t *data, size_t size)
{
	struct cmp_word w[CMP_WORDS_MAX];
	const struct libvm_cmp_entry *log, *e;
	unsigned nw = 0;
	uint32_t n, i;

	log = fuzz_vm_cmps(&fz, &n);
	for (i = n; i-- > 0 && nw < CMP_WORDS_MAX;) {
		e = &log[i];
		switch (e->size) {
		case 8:
			__sanitizer_cov_trace_cmp8(e->a, e->b);
			break;
		case 4:
			__sanitizer_cov_trace_cmp4((uint32_t)e->a,
						   (uint32_t)e->b);
			break;
		case 1:
		case 2:
			nw += cmp_small(w + nw, CMP_WORDS_MAX - nw, data, size,
					e->b, e->a, e->size, e->pc);
			if (!(e->flags & LIBVM_CMP_CONST))
				nw += cmp_small(w + nw, CMP_WORDS_MAX - nw,
						data, size, e->a, e->b,
						e->size, e->pc);
			break;
		}
	}
	while (nw-- > 0)
		__sanitizer_weak_hook_memcmp((void *)(uintptr_t)w[nw].pc,
					     w[nw].have, w[nw].want, 2, 1);
}

/*
 * Input-to-state (i2s.h): the compares of the input last run, kept by
 * TestOneInput.  libFuzzer mutates an input several times in a row, each
 * time the one it just ran, so the log is usually at hand; else the
 * mutator runs the input once more to get it.
 */
static struct i2s_log last;
static uint64_t ran_hash;	/* of the input the guest's log is from */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	uint64_t rng = ((uint64_t)seed << 1) | 1;
	libvm_fuzz_result res;
	long r;

	if (fz.cmp && size && size <= max_size && i2s_rand(&rng) % 2 == 0) {
		uint64_t h = i2s_hash(data, size);

		if (last.hash != h) {
			/* the log in guest memory, or the input run again */
			if (ran_hash != h &&
			    fuzz_vm_exec(&res, &fz, data, size) < 0)
				_exit(2);
			i2s_capture(&last, &fz, data, size);
		}
		r = i2s_chain(&fz, data, size, max_size, &last, &rng,
			      1 + (unsigned)(i2s_rand(&rng) % 4));
		ran_hash = 0;	/* the chain ran other inputs */
		/* the mutator's runs: not coverage of the next input */
		memset(libvm_guest_counters, 0, sizeof(libvm_guest_counters));
		if (r < 0)
			_exit(2);
		if (r > 0)
			return (size_t)r;
	}
	return LLVMFuzzerMutate(data, size, max_size);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int r;

	(void)argc;
	(void)argv;
	r = fuzz_vm_setup(&fz, libvm_guest_counters, COV_SIZE);
	if (r == LIBVM_ENOKVM) {
		fprintf(stderr, "libfuzzer_harness: no usable KVM, nothing to "
			"fuzz\n");
		_exit(0);
	}
	if (r < 0)
		_exit(2);
	keep_going = getenv("LIBVM_FUZZ_KEEP_GOING") &&
		     !strcmp(getenv("LIBVM_FUZZ_KEEP_GOING"), "1");
	fprintf(stderr, "libfuzzer_harness: fuzzing %s() of %s%s\n",
		fz.fn_name, fz.path,
		keep_going ? " (findings counted, not stopped at)" : "");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libvm_fuzz_result res;

	if (fuzz_vm_exec(&res, &fz, data, size) < 0)
		_exit(2);
	cmps_forward(data, size);
	ran_hash = i2s_hash(data, size);	/* the log is read if needed */
	if (res.outcome == LIBVM_FUZZ_OK)
		return 0;
	if (keep_going) {
		if (!findings++)
			fuzz_vm_print(&res, size);
		return 0;
	}
	fuzz_vm_print(&res, size);
	abort();
}
