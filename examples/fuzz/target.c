/* SPDX-License-Identifier: MIT */
/*
 * The guest the fuzzing examples fuzz: a tiny command parser with a
 * planted bug.  Built with gcc -fsanitize-coverage=trace-pc (the Makefile's
 * build/guests/NAME.cov.elf rule), so each basic block reports an edge to
 * the runtime's __sanitizer_cov_trace_pc() and from there to the fuzzer.
 *
 * Input: a sequence of records, each a command byte and its operands:
 *   'R' n v      set register n & 7 to v
 *   'A' v        add v to register 0
 *   'K' b b      unlock: the two bytes must be "FZ"
 *   'W' off n .. copy n bytes into buf at off; locked, off + n must fit;
 *                unlocked ("raw" mode) only off is checked -- the bug:
 *                the copy runs past buf into canary
 *   'C'          checksum buf into register 1
 * anything else ends the input.  After the last record the parser checks
 * its canary, as a stack protector would, and reports a smashed one with
 * libvm_guest_report_bug(1): the harnesses see LIBVM_FUZZ_BUG.  So the bug
 * needs the magic 'K' 'F' 'Z' 'W' and a copy that crosses the end of buf.
 *
 * What the fuzzers see of it: its edges (trace-pc), and its compares
 * (trace-cmp, the runtime in guest/runtime.c): each compare marks a
 * coverage slot per number of operand bits that agree, so getting closer
 * to 'F' is progress, and the operands of the compares that failed go to
 * the harness, whose input-to-state mutations (i2s.h: libFuzzer's custom
 * mutator, AFL++'s afl_mutator.so) turn "the guest compared input byte
 * 'A' with 'F'" into "try 'F' there, or before it".  Neither
 * fuzzer is told the magic bytes; the seeds in seeds/ are plain valid
 * inputs (register commands, a locked write).
 */
#include <libvm/guest.h>

#define CANARY 0x5a17c0de5a17c0deull

struct parser {
	uint8_t buf[64];
	uint64_t canary;
	uint64_t reg[8];
	int unlocked;
};

static int unlock(struct parser *st, const uint8_t *p)
{
	/* One branch per byte: each byte found is new coverage. */
	if (p[0] != 'F')
		return 0;
	if (p[1] != 'Z')
		return 0;
	st->unlocked = 1;
	return 1;
}

static int write_buf(struct parser *st, const uint8_t *p, size_t left)
{
	size_t off, n, i;

	if (left < 2)
		return -1;
	off = p[0];
	n = p[1];
	if (left < 2 + n)
		return -1;
	if (st->unlocked) {
		if (off > sizeof(st->buf))	/* the bug: n is not checked */
			return -1;
	} else if (off + n > sizeof(st->buf)) {
		return -1;
	}
	for (i = 0; i < n; i++)
		((volatile uint8_t *)st->buf)[off + i] = p[2 + i];
	return (int)(2 + n);
}

LIBVM_EXPORT int64_t fuzz_target(const uint8_t *data, size_t len)
{
	struct parser st;
	size_t pos = 0;
	int used;

	memset(&st, 0, sizeof(st));
	st.canary = CANARY;
	while (pos < len) {
		const uint8_t *p = data + pos + 1;
		size_t left = len - pos - 1;

		switch (data[pos]) {
		case 'R':
			if (left < 2)
				goto out;
			st.reg[p[0] & 7] = p[1];
			used = 2;
			break;
		case 'A':
			if (left < 1)
				goto out;
			st.reg[0] += p[0];
			used = 1;
			break;
		case 'K':
			if (left < 2 || !unlock(&st, p))
				goto out;
			used = 2;
			break;
		case 'W':
			used = write_buf(&st, p, left);
			if (used < 0)
				goto out;
			break;
		case 'C':
			for (size_t i = 0; i < sizeof(st.buf); i++)
				st.reg[1] += st.buf[i];
			used = 0;
			break;
		default:
			goto out;
		}
		pos += 1 + (size_t)used;
	}
out:
	if (st.canary != CANARY)
		libvm_guest_report_bug(1);
	return (int64_t)(st.reg[0] + st.reg[1]);
}

int main(void)
{
	return 0;
}
