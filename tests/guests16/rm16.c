/*
 * Real-mode guest of tests/test_modes.c, compiled with gcc -m16 and loaded
 * at 0x1000 (CS = DS = SS = 0).  _start calls rm_main, leaves its result in
 * EAX and in rm_result, and halts.
 */
#include <stdint.h>

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	calll rm_main\n"
	"	hlt\n"
	"	jmp _start\n");

volatile uint32_t rm_result;
volatile uint32_t rm_input = 20;

/* fib(rm_input) * 1000 + the number of primes below 500 */
uint32_t rm_main(void)
{
	uint32_t a = 0, b = 1, n = rm_input, primes = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = a + b;

		a = b;
		b = t;
	}
	for (uint32_t p = 2; p < 500; p++) {
		uint32_t d = 2;

		while (d * d <= p && p % d)
			d++;
		primes += d * d > p;
	}
	rm_result = a * 1000 + primes;
	return rm_result;
}
