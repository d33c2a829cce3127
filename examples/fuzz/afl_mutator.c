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
 * one before (run in the mutator's VM).
 * In AFL++'s own havoc stage that follows, one in five of the stacked
 * mutations is such a guess too.  Without KVM (or when the
 * guest has no comparison log) the stage is skipped: fuzz_count says 0.
 */
#include "i2s.h"

#include <stdlib.h>
#include <string.h>

struct i2s_mutator {
	struct fuzz_vm fz;
	int ok;			/* the VM is usable */
	uint64_t rng;
	struct i2s_log log;	/* the queue entry's compares */
	struct i2s_log chain;	/* scratch for i2s_chain */
	uint8_t *out;
	size_t out_cap;
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
	m->fz.cmp_log = 1;	/* the log only: no coverage map here */
	m->ok = fuzz_vm_setup(&m->fz, NULL, 0) == 0 && m->fz.cmp;
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
	/* Two guesses per logged compare, within reason. */
	return m->log.n < 128 ? 2 * m->log.n : 256;
}

size_t afl_custom_fuzz(void *data, unsigned char *buf, size_t buf_size,
		       unsigned char **out_buf, unsigned char *add_buf,
		       size_t add_buf_size, size_t max_size)
{
	struct i2s_mutator *m = data;
	size_t n = buf_size < max_size ? buf_size : max_size;

	(void)add_buf;
	(void)add_buf_size;
	*out_buf = buf;		/* returning 0: nothing to run */
	if (!m->ok || !n)
		return 0;
	if (n > m->out_cap) {
		uint8_t *p = realloc(m->out, n);

		if (!p)
			return 0;
		m->out = p;
		m->out_cap = n;
	}
	memcpy(m->out, buf, n);
	/* One to four guesses, each from the compares of the one before. */
	m->chain = m->log;
	if (i2s_chain(&m->fz, m->out, n, &m->chain, &m->rng,
		      1 + (unsigned)(i2s_rand(&m->rng) % 4)) <= 0)
		return 0;
	*out_buf = m->out;
	return n;
}

/*
 * The same guess as one of havoc's stacked mutations, with the entry's
 * log from fuzz_count: afl-fuzz spends most of its time in havoc on few
 * entries, and this lets compares guide that time too.
 */
size_t afl_custom_havoc_mutation(void *data, unsigned char *buf,
				 size_t buf_size, unsigned char **out_buf,
				 size_t max_size)
{
	struct i2s_mutator *m = data;
	size_t n = buf_size < max_size ? buf_size : max_size;

	*out_buf = buf;
	if (m->ok && n)
		i2s_mutate(buf, n, &m->log, &m->rng);
	return n;
}

/* Percent of havoc's stacked mutations that are this one. */
unsigned char afl_custom_havoc_mutation_probability(void *data)
{
	(void)data;
	return 20;
}

void afl_custom_deinit(void *data)
{
	struct i2s_mutator *m = data;

	if (!m)
		return;
	fuzz_vm_destroy(&m->fz);
	free(m->out);
	free(m);
}
