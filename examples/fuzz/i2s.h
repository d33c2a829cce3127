/* SPDX-License-Identifier: MIT */
/*
 * Input-to-state mutation from the guest's comparison log, shared by the
 * libFuzzer harness (LLVMFuzzerCustomMutator) and the AFL++ custom
 * mutator (afl_mutator.c).
 *
 * A parser compares bytes of its input with the values it wants: the
 * magic, the command letter, a bound.  The guest runtime logs every
 * compare whose operands differed (<libvm/cmplog.h>).  This mutation
 * picks one such compare, finds the bytes of the input operand in the
 * input (as they stand, or narrower when the value fits: a byte the guest
 * widened to size_t), and writes the wanted value there (or one more or
 * one less, for a < or > compare), over those bytes or before them; or,
 * for a value the guest computed as input plus a small constant, finds
 * have - k and writes want - k.  The
 * compares the guest made last are where it stopped reading, so they are
 * picked most often.  That is the
 * idea of Redqueen (NDSS 2019): one guided guess instead of 256 blind
 * ones per byte.
 */
#ifndef LIBVM_EXAMPLES_FUZZ_I2S_H
#define LIBVM_EXAMPLES_FUZZ_I2S_H

#include "fuzz_vm.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define I2S_MAX		256	/* compares kept: the last ones made */
#define I2S_FRONTIER	8	/* the most recent ones, picked more often */
#define I2S_TRIES	16

struct i2s_log {
	uint64_t hash;		/* of the input the log belongs to */
	uint32_t n;
	struct libvm_cmp_entry e[I2S_MAX];
};

static inline uint64_t i2s_rand(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static inline uint64_t i2s_hash(const uint8_t *d, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;

	while (n--)
		h = (h ^ *d++) * 0x100000001b3ull;
	return h;
}

/*
 * Keep the compares f's last run logged, for the input d: each compare
 * site once (a site compared against a constant once per constant: the
 * cases of a switch), at the place of its last use, so a loop that
 * compared 64 times does not crowd out the compare the input failed.
 */
#define I2S_SEEN 1024u

static inline void i2s_capture(struct i2s_log *l, const struct fuzz_vm *f,
			       const uint8_t *d, size_t size)
{
	static uint64_t seen[I2S_SEEN];
	const struct libvm_cmp_entry *e;
	uint32_t n, i, k, kept = 0;
	uint64_t key;

	e = fuzz_vm_cmps(f, &n);
	memset(seen, 0, sizeof(seen));
	for (i = n; i-- > 0 && kept < I2S_MAX;) {
		key = ((uint64_t)e[i].pc << 8 | e[i].size) ^
		      (e[i].flags & LIBVM_CMP_CONST ? e[i].a * 0x9e3779b97f4a7c15ull
						    : 0);
		key |= 1;	/* 0 marks a free slot */
		for (k = (uint32_t)(key * 0xff51afd7ed558ccdull >> 54);
		     seen[k % I2S_SEEN] && seen[k % I2S_SEEN] != key; k++)
			;
		if (seen[k % I2S_SEEN])
			continue;
		seen[k % I2S_SEEN] = key;
		l->e[I2S_MAX - 1 - kept++] = e[i];
	}
	/* Oldest first, as the guest made them. */
	memmove(l->e, l->e + I2S_MAX - kept, kept * sizeof(l->e[0]));
	l->n = kept;
	l->hash = i2s_hash(d, size);
}

static inline unsigned i2s_width(uint64_t v, unsigned size)
{
	unsigned w = 1;

	while (w < size && (v >> (8 * w)))
		w *= 2;
	return w;
}

/*
 * Write the other operand of one logged compare where the input-side
 * operand stands in d (size bytes, room for max): over it, or, one time
 * in four, before it (an inserted command or magic keeps the record that
 * followed).  Returns d's new size, 0 if no guess fit.
 */
static inline size_t i2s_mutate(uint8_t *d, size_t size, size_t max,
				const struct i2s_log *l, uint64_t *rng)
{
	const struct libvm_cmp_entry *e;
	uint64_t have, want, r;
	size_t at[16], nat, i;
	unsigned t, w, k;
	int insert;

	if (!l->n || !size)
		return 0;
	for (t = 0; t < I2S_TRIES; t++) {
		/* the last compare, one of the last few, or any */
		r = i2s_rand(rng);
		if ((r & 3) == 0)
			e = &l->e[l->n - 1];
		else if ((r & 3) == 1 && l->n > I2S_FRONTIER)
			e = &l->e[l->n - 1 - (r >> 2) % I2S_FRONTIER];
		else
			e = &l->e[(r >> 2) % l->n];
		r = i2s_rand(rng);
		/* b is the input side of a compare against a constant. */
		if ((e->flags & LIBVM_CMP_CONST) || (r & 1)) {
			have = e->b;
			want = e->a;
		} else {
			have = e->a;
			want = e->b;
		}
		/* the value, or one past it either way for < and > */
		switch ((r >> 1) & 7) {
		case 0:
			want++;
			break;
		case 1:
			want--;
			break;
		}
		/*
		 * Sometimes the guest compared not the input's value but that
		 * value plus a small constant (a length plus a header): look
		 * for have - k and write want - k.
		 */
		if (((r >> 6) & 3) == 0) {
			uint64_t k = 1 + ((r >> 8) & 3);

			if ((r >> 10) & 1)
				k = -k;
			have -= k;
			want -= k;
		}
		insert = ((r >> 4) & 3) == 0;
		w = i2s_width(have, e->size);
		if (w > size || (insert && size + w > max))
			continue;
		for (nat = 0, i = 0; i + w <= size && nat < 16; i++) {
			for (k = 0; k < w && d[i + k] == (uint8_t)(have >> 8 * k);
			     k++)
				;
			if (k == w)
				at[nat++] = i;
		}
		if (!nat)
			continue;
		i = at[i2s_rand(rng) % nat];
		if (insert) {
			memmove(d + i + w, d + i, size - i);
			size += w;
		}
		for (k = 0; k < w; k++)
			d[i + k] = (uint8_t)(want >> 8 * k);
		return size;
	}
	return 0;
}

/*
 * Up to steps guesses in a row, each from the compares of the input the
 * previous one made (run in f, whose coverage map, if any, the caller
 * clears): a parser that wants a magic, then a command, then a bound
 * gets all three in one go, not one per round of the fuzzer.  l holds
 * d's compares on entry and those of the last input run on return (the
 * result itself is left for the fuzzer to run).  Stops early at an input
 * the guest did not finish normally, so that input reaches the fuzzer as
 * it is.  Returns d's new size, 0 if no guess fit, or -1 if libvm failed.
 */
static inline long i2s_chain(struct fuzz_vm *f, uint8_t *d, size_t size,
			     size_t max, struct i2s_log *l, uint64_t *rng,
			     unsigned steps)
{
	libvm_fuzz_result res;
	size_t n, done = 0;
	unsigned s;

	for (s = 0; s < steps; s++) {
		n = i2s_mutate(d, size, max, l, rng);
		if (!n)
			break;
		done = size = n;
		if (s + 1 == steps)
			break;		/* the fuzzer runs the last */
		if (fuzz_vm_exec(&res, f, d, size) < 0)
			return -1;
		i2s_capture(l, f, d, size);
		if (res.outcome != LIBVM_FUZZ_OK)
			break;
	}
	return (long)done;
}

#endif
