/*
 * Guest of the call and mode suites (tests/test_call.c, tests/test_modes.c):
 * functions for the host to call, faults at known addresses, hypercalls,
 * and a main() whose return value the host chooses through main_ret.
 */
#include <libvm/guest.h>

/* Written by the host before it runs main(); an int, as main returns. */
volatile int main_ret = 42;

int main(void)
{
	libvm_guest_puts("calls: main\n");
	return main_ret;
}

/* ---- arguments and return values ---------------------------------- */

/* sum of a_i * (2i + 3), plus nargs: every argument in its own place */
LIBVM_EXPORT uint64_t args0(void)
{
	return 0x0123456789abcdefull;
}

LIBVM_EXPORT uint64_t args1(uint64_t a)
{
	return a * 3 + 1;
}

LIBVM_EXPORT uint64_t args2(uint64_t a, uint64_t b)
{
	return a * 3 + b * 5 + 2;
}

LIBVM_EXPORT uint64_t args3(uint64_t a, uint64_t b, uint64_t c)
{
	return a * 3 + b * 5 + c * 7 + 3;
}

LIBVM_EXPORT uint64_t args4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a * 3 + b * 5 + c * 7 + d * 9 + 4;
}

LIBVM_EXPORT uint64_t args5(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			    uint64_t e)
{
	return a * 3 + b * 5 + c * 7 + d * 9 + e * 11 + 5;
}

LIBVM_EXPORT uint64_t args6(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			    uint64_t e, uint64_t f)
{
	return a * 3 + b * 5 + c * 7 + d * 9 + e * 11 + f * 13 + 6;
}

LIBVM_EXPORT uint64_t last_minus_first(uint64_t a, uint64_t b, uint64_t c,
				       uint64_t d, uint64_t e, uint64_t f)
{
	(void)b, (void)c, (void)d, (void)e;
	return f - a;
}

LIBVM_EXPORT int64_t add(int64_t a, int64_t b)
{
	return a + b;
}

/* Upper-case a buffer in place; returns how many bytes changed. */
LIBVM_EXPORT uint64_t upcase(char *s, size_t n)
{
	uint64_t changed = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z') {
			s[i] = (char)(s[i] - 'a' + 'A');
			changed++;
		}
	return changed;
}

/* ---- CPU state ------------------------------------------------------ */

LIBVM_EXPORT uint64_t get_cs(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

LIBVM_EXPORT uint64_t get_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

/* Partial sum of 1/i^2 as IEEE bits (SSE2 double arithmetic). */
LIBVM_EXPORT uint64_t basel_bits(uint64_t n)
{
	union { double d; uint64_t u; } v = { .d = 0 };

	for (uint64_t i = 1; i <= n; i++)
		v.d += 1.0 / ((double)i * (double)i);
	return v.u;
}

typedef uint32_t v8u __attribute__((vector_size(32)));

/* sum over i of (v[i] * 3 + 7), eight lanes at a time in YMM registers */
__attribute__((target("avx2"))) LIBVM_EXPORT uint64_t
avx2_sum(const uint32_t *v, size_t n8)
{
	v8u acc = { 0 }, x;
	uint64_t s = 0;

	for (size_t i = 0; i < n8; i++) {
		__builtin_memcpy(&x, v + 8 * i, sizeof(x));
		acc += x * 3 + 7;
	}
	for (int k = 0; k < 8; k++)
		s += acc[k];
	return s;
}

/* ---- hypercalls ----------------------------------------------------- */

/* v[0] is the number, v[1..6] the arguments. */
LIBVM_EXPORT int64_t hc_array(const uint64_t *v)
{
	return libvm_hypercall((uint32_t)v[0], v[1], v[2], v[3], v[4], v[5],
			       v[6]);
}

/* The host's answer for x, times 1000, plus x. */
LIBVM_EXPORT int64_t nested(uint64_t nr, int64_t x)
{
	return libvm_hypercall1((uint32_t)nr, (uint64_t)x) * 1000 + x;
}

LIBVM_EXPORT int64_t say(const char *s)
{
	return libvm_guest_puts(s);
}

LIBVM_EXPORT void call_exit(int64_t code)
{
	libvm_guest_exit(code);
}

LIBVM_EXPORT void spin(void)
{
	for (;;)
		__asm__ volatile("pause");
}

/* ---- memory --------------------------------------------------------- */

LIBVM_EXPORT uint64_t load(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

LIBVM_EXPORT void store(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

/*
 * ---- faults: each NAME_at labels the faulting instruction ------------
 */
__asm__(".text\n"
	".globl fault_div, fault_div_at\n"
	".type fault_div, @function\n"
	"fault_div:\n"
	"	mov %rdi, %rax\n"
	"	xor %edx, %edx\n"
	"fault_div_at:\n"
	"	div %rsi\n"
	"	ret\n"
	".globl fault_ud, fault_ud_at\n"
	".type fault_ud, @function\n"
	"fault_ud:\n"
	"	nop\n"
	"fault_ud_at:\n"
	"	ud2\n"
	"	ret\n"
	".globl fault_int3, fault_int3_at\n"
	".type fault_int3, @function\n"
	"fault_int3:\n"
	"	nop\n"
	"fault_int3_at:\n"
	"	int3\n"
	"	mov $1, %eax\n"
	"	ret\n"
	".globl fault_load, fault_load_at\n"
	".type fault_load, @function\n"
	"fault_load:\n"
	"	nop\n"
	"fault_load_at:\n"
	"	mov (%rdi), %rax\n"
	"	ret\n"
	".globl fault_store, fault_store_at\n"
	".type fault_store, @function\n"
	"fault_store:\n"
	"	nop\n"
	"fault_store_at:\n"
	"	mov %rsi, (%rdi)\n"
	"	ret\n"
	".globl fault_int80, fault_int80_at\n"
	".type fault_int80, @function\n"
	"fault_int80:\n"
	"	nop\n"
	"fault_int80_at:\n"
	"	int $0x80\n"
	"	ret\n");
