/* SPDX-License-Identifier: MIT */
/*
 * The freestanding guest runtime (libvm-guest.a).  Built with
 * -fno-builtin and -fno-tree-loop-distribute-patterns so the compiler
 * does not turn these loops back into calls to themselves.
 */
#include <libvm/guest.h>

int main(void);

__asm__(".text\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call main\n"
	"	movslq %eax, %rdi\n"	/* int main: the upper half is junk */
	"	call libvm_guest_exit\n"
	"	ud2\n");

void libvm_guest_exit(int64_t code)
{
	for (;;)
		libvm_hypercall1(LIBVM_HC_EXIT, (uint64_t)code);
}

int64_t libvm_guest_write(const void *buf, size_t len)
{
	return libvm_hypercall2(LIBVM_HC_CONSOLE, (uint64_t)(uintptr_t)buf,
				len);
}

int64_t libvm_guest_puts(const char *s)
{
	return libvm_guest_write(s, strlen(s));
}

/*
 * Coverage.  This file is compiled without -fsanitize-coverage, so the
 * hook does not call itself.  used: the symbols must stay in every image
 * for the host to find them; the hook is the only reader.
 */
__attribute__((used)) uint8_t *volatile libvm_cov_map;
__attribute__((used)) volatile uint64_t libvm_cov_size;
static uint64_t cov_prev;

void __sanitizer_cov_trace_pc(void)
{
	uint8_t *map = libvm_cov_map;
	uint64_t size = libvm_cov_size, pc, cur;

	if (!map || !size)
		return;
	pc = (uint64_t)(uintptr_t)__builtin_return_address(0);
	cur = (pc * 0x9e3779b97f4a7c15ull) >> 32;
	map[(cur ^ cov_prev) & (size - 1)]++;
	cov_prev = cur >> 1;
}

/*
 * Comparison feedback (gcc -fsanitize-coverage=trace-cmp): each compare
 * marks a slot chosen by its address and by how many bits of the two
 * operands agree, so a fuzzer sees progress towards a magic value byte by
 * byte and bit by bit (what libFuzzer calls value profile).
 */
/* Bit count without libgcc (baseline x86-64 has no POPCNT). */
static unsigned popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

/*
 * The operands of compares that failed to match, for the host to hand to
 * the fuzzer's compare-guided mutations (<libvm/cmplog.h>).
 */
__attribute__((used)) struct libvm_cmp_log *volatile libvm_cmp_log;
/* 0: no value-profile slots in libvm_cov_map (set by the host). */
__attribute__((used)) volatile uint64_t libvm_cov_cmp_slots = 1;

static void cmp_log(uint64_t a, uint64_t b, unsigned bits, uint64_t pc,
		    unsigned flags)
{
	struct libvm_cmp_log *log = libvm_cmp_log;
	struct libvm_cmp_entry *e;
	uint32_t i;

	if (!log)
		return;
	i = log->count;
	if (i < log->cap) {
		e = &log->entries[i];
		e->a = a;
		e->b = b;
		e->pc = (uint32_t)pc;
		e->size = (uint8_t)(bits / 8);
		e->flags = (uint8_t)flags;
	}
	log->count = i + 1;
}

static void cov_cmp(uint64_t a, uint64_t b, unsigned bits, uint64_t pc,
		    unsigned flags)
{
	uint8_t *map = libvm_cov_map;
	uint64_t size = libvm_cov_size, diff, same;

	if (bits < 64) {
		a &= (1ull << bits) - 1;
		b &= (1ull << bits) - 1;
	}
	diff = a ^ b;
	if (diff)
		cmp_log(a, b, bits, pc, flags);
	if (!map || !size || !libvm_cov_cmp_slots)
		return;
	same = bits - popcount64(diff);
	map[(((pc * 0x9e3779b97f4a7c15ull) >> 32) + same) & (size - 1)]++;
}

#define RET_PC ((uint64_t)(uintptr_t)__builtin_return_address(0))
#define CMP_HOOKS(n, type)                                                  \
	void __sanitizer_cov_trace_cmp##n(type a, type b);                 \
	void __sanitizer_cov_trace_const_cmp##n(type a, type b);           \
	void __sanitizer_cov_trace_cmp##n(type a, type b)                  \
	{                                                                   \
		cov_cmp(a, b, 8 * n, RET_PC, 0);                            \
	}                                                                   \
	void __sanitizer_cov_trace_const_cmp##n(type a, type b)            \
	{                                                                   \
		/* a is the constant */                                     \
		cov_cmp(a, b, 8 * n, RET_PC, LIBVM_CMP_CONST);              \
	}
CMP_HOOKS(1, uint8_t)
CMP_HOOKS(2, uint16_t)
CMP_HOOKS(4, uint32_t)
CMP_HOOKS(8, uint64_t)

void __sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases);
void __sanitizer_cov_trace_switch(uint64_t val, uint64_t *cases)
{
	uint64_t i, pc = RET_PC;

	/* cases[0]: number of cases, cases[1]: operand bits, then values */
	for (i = 0; i < cases[0] && i < 256; i++)
		cov_cmp(cases[2 + i], val, (unsigned)cases[1], pc + i,
			LIBVM_CMP_CONST);
}

void __sanitizer_cov_trace_cmpf(float a, float b);
void __sanitizer_cov_trace_cmpd(double a, double b);
void __sanitizer_cov_trace_cmpf(float a, float b)
{
	(void)a, (void)b;
}

void __sanitizer_cov_trace_cmpd(double a, double b)
{
	(void)a, (void)b;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
