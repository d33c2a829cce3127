/*
 * 32-bit protected-mode guest of tests/test_modes.c, compiled with gcc -m32
 * (SSE2 doubles) and loaded as ELF32.  _start calls pm_main, leaves its
 * result in EAX and pm_result, and halts.
 */
#include <stdint.h>

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	call pm_main\n"
	"	hlt\n"
	"	jmp _start\n");

volatile uint64_t pm_result;
volatile uint32_t pm_input = 1000;

/* 64-bit multiply-accumulate and double arithmetic in 32-bit code */
uint32_t pm_main(void)
{
	uint64_t h = 0xcbf29ce484222325ull;
	double s = 0;

	for (uint32_t i = 1; i <= pm_input; i++) {
		h = (h ^ i) * 0x100000001b3ull;
		s += 1.0 / ((double)i * (double)i);
	}
	pm_result = h;
	return (uint32_t)(s * 1e9);
}
