/* SPDX-License-Identifier: MIT */
/*
 * An AFL++ custom mutator that gives afl-fuzz the guest's compares:
 * input-to-state mutation (i2s.h) from the guest's comparison log.
 * Build (make fuzz-examples): a shared object, loaded by afl-fuzz with
 *
 *   AFL_CUSTOM_MUTATOR_LIBRARY=build/examples/fuzz/afl_mutator.so \
 *       afl-fuzz -i seeds -o out -- build/examples/fuzz/afl_harness
 *
 * afl-fuzz runs the custom stage before havoc for each queue entry: the
 * mutator runs the entry once in a VM of its own (in the afl-fuzz
 * process, the same guest and function as the harness: LIBVM_FUZZ_GUEST,
 * LIBVM_FUZZ_FN), keeps the compares it logged, and then hands back one
 * input per call, as many as the entry's log suggests: one to four
 * input-to-state guesses in a row, each made from the compares of the
 * one before (run in the mutator's VM).  In AFL++'s own havoc stage that
 * follows, one in ten of the stacked mutations is such a chain too.
 *
 * The mutator's VM has a coverage map of its own.  It runs each chain's
 * result once more, and keeps the last one that reached coverage it had
 * not seen; half the chains start from that input instead of the queue
 * entry.  afl-fuzz can stay in one entry's havoc stage for a long time
 * while the inputs it found there wait for the next queue cycle, and this
 * lets the guesses go on from where the last one got to.
 *
 * Without KVM (or when the guest has no comparison log) the stage is
 * skipped: fuzz_count says 0.
 */
#include "i2s.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MUT_COV_SIZE 65536u

struct i2s_mutator {
	struct fuzz_vm fz;
	int ok;			/* the VM is usable */
	uint64_t rng;
	struct i2s_log log;	/* the queue entry's compares */
	struct i2s_log chain;	/* scratch for i2s_chain */
	uint8_t *out;
	size_t out_cap;
	/*
	 * The mutator's own coverage, to keep the last chain result that
	 * reached something new: afl-fuzz may stay in one entry's havoc for
	 * long, and further chains start from that result half the time.
	 */
	uint8_t *cov, *seen;
	uint8_t *best;
	size_t best_len;
	struct i2s_log best_log;
};

void *afl_custom_init(void *afl, unsigned int seed);
unsigned int afl_custom_fuzz_count(void *data, const unsigned char *buf,
				   size_t buf_size);
size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
		       unsigned char **out_buf, unsigned char *add_buf,
		       size_t add_buf_size, size_t max_size);
size_t afl_custom_havoc_mutation(void *data, unsigned char *buf,
				 size_t buf_size, unsigned char **out_buf,
				 size_t max_size);
unsigned char afl_custom_havoc_mutation_probability(void *data);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
	struct i2s_mutator *m = calloc(1, sizeof(*m));

	(void)afl;
	if (!m)
		return NULL;
	m->rng = ((uint64_t)seed << 1) | 1;
	m->cov = mmap(NULL, MUT_COV_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->seen = calloc(1, MUT_COV_SIZE);
	m->ok = m->cov != MAP_FAILED && m->seen &&
		fuzz_vm_setup(&m->fz, m->cov, MUT_COV_SIZE) == 0 && m->fz.cmp;
	if (!m->ok)
		fprintf(stderr, "afl_mutator: no VM with a comparison log: "
			"the input-to-state stage is off\n");
	return m;
}

unsigned int afl_custom_fuzz_count(void *data, const unsigned char *buf,
				   size_t buf_size)
{
	struct i2s_mutator *m = data;
	libvm_fuzz_result res;

	m->log.n = 0;
	if (!m->ok || !buf_size)
		return 0;
	if (fuzz_vm_exec(&res, &m->fz, buf, buf_size) < 0)
		return 0;
	i2s_capture(&m->log, &m->fz, buf, buf_size);
	/*
	 * 64 chains per logged compare, at most 2048: cheap next to havoc,
	 * and afl-fuzz comes back to an entry only once per queue cycle.
	 */
	return m->log.n < 32 ? 64 * m->log.n : 2048;
}

/* Run the result; keep it as m->best if it reached new coverage. */
static int keep_if_new(struct i2s_mutator *m, size_t len)
{
	libvm_fuzz_result res;
	int found = 0;
	uint32_t i;
	uint8_t *p;

	memset(m->cov, 0, MUT_COV_SIZE);
	if (fuzz_vm_exec(&res, &m->fz, m->out, len) < 0)
		return -1;
	for (i = 0; i < MUT_COV_SIZE; i++)
		if (m->cov[i] && !m->seen[i]) {
			m->seen[i] = 1;
			found = 1;
		}
	if (!found || res.outcome != LIBVM_FUZZ_OK)
		return 0;
	p = realloc(m->best, len);
	if (!p)
		return 0;
	memcpy(p, m->out, len);
	m->best = p;
	m->best_len = len;
	i2s_capture(&m->best_log, &m->fz, m->out, len);
	return 1;
}

size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
		       unsigned char **out_buf, unsigned char *add_buf,
		       size_t add_buf_size, size_t max_size)
{
	struct i2s_mutator *m = data;
	size_t n = buf_size < max_size ? buf_size : max_size;
	long r;

	(void)add_buf;
	(void)add_buf_size;
	*out_buf = buf;		/* returning 0: nothing to run */
	if (!m->ok || !n)
		return 0;
	if (max_size > m->out_cap) {
		uint8_t *p = realloc(m->out, max_size);

		if (!p)
			return 0;
		m->out = p;
		m->out_cap = max_size;
	}
	/* From the entry, or from the last chain result that found more. */
	if (m->best_len && m->best_len <= max_size && (i2s_rand(&m->rng) & 1)) {
		n = m->best_len;
		memcpy(m->out, m->best, n);
		m->chain = m->best_log;
	} else {
		memcpy(m->out, buf, n);
		m->chain = m->log;
	}
	/* One to four guesses, each from the compares of the one before. */
	r = i2s_chain(&m->fz, m->out, n, max_size, &m->chain, &m->rng,
		      1 + (unsigned)(i2s_rand(&m->rng) % 4));
	if (r <= 0)
		return 0;
	if (keep_if_new(m, (size_t)r) < 0)
		return 0;
	*out_buf = m->out;
	return (size_t)r;
}

/*
 * The same as one of havoc's stacked mutations, started from the entry's
 * log (fuzz_count): afl-fuzz spends most of its time in havoc, on few
 * entries, and this lets the guest's compares guide that time too.
 */
size_t afl_custom_havoc_mutation(void *data, unsigned char *buf,
				 size_t buf_size, unsigned char **out_buf,
				 size_t max_size)
{
	unsigned char *add = NULL;
	size_t r;

	r = afl_custom_fuzz(data, buf, buf_size, out_buf, add, 0, max_size);
	if (!r) {
		*out_buf = buf;
		return buf_size;
	}
	return r;
}

/* Percent of havoc's stacked mutations that are this one. */
unsigned char afl_custom_havoc_mutation_probability(void *data)
{
	(void)data;
	return 10;
}

void afl_custom_deinit(void *data)
{
	struct i2s_mutator *m = data;

	if (!m)
		return;
	fuzz_vm_destroy(&m->fz);
	if (m->cov && m->cov != MAP_FAILED)
		munmap(m->cov, MUT_COV_SIZE);
	free(m->seen);
	free(m->best);
	free(m->out);
	free(m);
}
