/*
 * Guest of the snapshot suite (tests/test_snapshot.c): functions that
 * dirty memory, leave FPU/SSE/AVX state behind, count calls, talk to the
 * in-kernel PIC and PIT, spin, fault, report bugs, triple-fault, and a
 * fuzz target.
 */
#include <libvm/guest.h>

/* Calls of bump() and fuzz() so far. */
volatile uint64_t counter;

int main(void)
{
	return 0;
}

LIBVM_EXPORT uint64_t bump(void)
{
	return ++counter;
}

LIBVM_EXPORT uint64_t get_counter(void)
{
	return counter;
}

/* Pattern of page i, qword j for seed s (the host computes it too). */
static uint64_t pat(uint64_t s, uint64_t i, uint64_t j)
{
	return (s * 0x9e3779b97f4a7c15ull) ^ (i << 20) ^ j;
}

/* Fill n pages from buf (page aligned) with the pattern of seed s. */
LIBVM_EXPORT uint64_t dirty_pages(uint64_t buf, uint64_t n, uint64_t s)
{
	volatile uint64_t *p = (volatile uint64_t *)buf;

	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < 512; j++)
			p[i * 512 + j] = pat(s, i, j);
	return n;
}

/* Write one qword to every stride-th page of n pages: few bytes, many pages. */
LIBVM_EXPORT void touch_pages(uint64_t buf, uint64_t n, uint64_t stride,
			      uint64_t val)
{
	for (uint64_t i = 0; i < n; i += stride)
		*(volatile uint64_t *)(buf + i * 4096 + 8 * (i % 512)) = val + i;
}

/* Read one qword of every stride-th page of n; count those not zero. */
LIBVM_EXPORT uint64_t count_pages(uint64_t buf, uint64_t n, uint64_t stride)
{
	uint64_t c = 0;

	for (uint64_t i = 0; i < n; i += stride)
		c += *(volatile uint64_t *)(buf + i * 4096 + 8 * (i % 512)) != 0;
	return c;
}

LIBVM_EXPORT uint64_t load(uint64_t addr)
{
	return *(volatile uint64_t *)addr;
}

LIBVM_EXPORT void store(uint64_t addr, uint64_t val)
{
	*(volatile uint64_t *)addr = val;
}

/* ---- vector and x87 state ------------------------------------------------ */

/* Load xmm0-15 from v (16 x 16 bytes) and leave them there. */
LIBVM_EXPORT void load_xmm(const void *v)
{
	__asm__ volatile("movdqu 0x00(%0), %%xmm0\n\t"
			 "movdqu 0x10(%0), %%xmm1\n\t"
			 "movdqu 0x20(%0), %%xmm2\n\t"
			 "movdqu 0x30(%0), %%xmm3\n\t"
			 "movdqu 0x40(%0), %%xmm4\n\t"
			 "movdqu 0x50(%0), %%xmm5\n\t"
			 "movdqu 0x60(%0), %%xmm6\n\t"
			 "movdqu 0x70(%0), %%xmm7\n\t"
			 "movdqu 0x80(%0), %%xmm8\n\t"
			 "movdqu 0x90(%0), %%xmm9\n\t"
			 "movdqu 0xa0(%0), %%xmm10\n\t"
			 "movdqu 0xb0(%0), %%xmm11\n\t"
			 "movdqu 0xc0(%0), %%xmm12\n\t"
			 "movdqu 0xd0(%0), %%xmm13\n\t"
			 "movdqu 0xe0(%0), %%xmm14\n\t"
			 "movdqu 0xf0(%0), %%xmm15\n\t"
			 :
			 : "r"(v)
			 : "memory");
}

/* Load ymm0-3 from v (4 x 32 bytes): needs AVX in XCR0. */
LIBVM_EXPORT void load_ymm(const void *v)
{
	__asm__ volatile("vmovdqu 0x00(%0), %%ymm0\n\t"
			 "vmovdqu 0x20(%0), %%ymm1\n\t"
			 "vmovdqu 0x40(%0), %%ymm2\n\t"
			 "vmovdqu 0x60(%0), %%ymm3\n\t"
			 :
			 : "r"(v)
			 : "memory");
}

/* Push three values on the x87 stack, change the control word and MXCSR. */
LIBVM_EXPORT void x87_push(void)
{
	static const uint16_t cw = 0x0f7f;	/* round to zero, all masked */
	static const uint32_t mxcsr = 0x7f80 | 0x6000;	/* round to zero */

	__asm__ volatile("fldcw %0\n\t"
			 "fldpi\n\t"
			 "fldl2e\n\t"
			 "fld1\n\t"
			 "ldmxcsr %1"
			 :
			 : "m"(cw), "m"(mxcsr));
}

LIBVM_EXPORT uint64_t get_xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

/* ---- port I/O (IOPL 3): the in-kernel PIC and PIT ------------------------ */

LIBVM_EXPORT void outb(uint64_t port, uint64_t val)
{
	__asm__ volatile("outb %b0, %w1" : : "a"(val), "d"(port));
}

LIBVM_EXPORT uint64_t inb(uint64_t port)
{
	uint8_t v;

	__asm__ volatile("inb %w1, %b0" : "=a"(v) : "d"(port));
	return v;
}

/* ---- ways to end badly ----------------------------------------------- */

LIBVM_EXPORT void spin(void)
{
	for (;;)
		__asm__ volatile("pause");
}

LIBVM_EXPORT uint64_t crash(void)
{
	__asm__ volatile("ud2");
	return 1;
}

LIBVM_EXPORT int64_t report_bug(uint64_t code)
{
	return libvm_hypercall1(LIBVM_HC_BUG, code);
}

LIBVM_EXPORT int64_t hc1(uint64_t nr, uint64_t a)
{
	return libvm_hypercall1((uint32_t)nr, a);
}

/* Supervisor mode only: an empty IDT turns the next fault into a triple. */
LIBVM_EXPORT void triple_fault(void)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { 0, 0 };

	__asm__ volatile("lidt %0\n\t"
			 "ud2"
			 :
			 : "m"(idtr));
}

/* ---- fuzz target ------------------------------------------------------ */

/*
 * fuzz(data, len): the first four bytes pick the behaviour; otherwise
 * returns (counter after increment) << 48 | (len) << 16 | (sum of the
 * bytes & 0xffff), or ~0 if a byte after the input (up to 64) is not zero
 * (leftovers of an earlier, longer input).
 */
LIBVM_EXPORT uint64_t fuzz(const uint8_t *data, uint64_t len)
{
	uint64_t sum = 0;

	if (len >= 4) {
		if (!memcmp(data, "CRSH", 4))
			crash();
		if (!memcmp(data, "BUG!", 4))
			report_bug(0xb0b);
		if (!memcmp(data, "LOOP", 4))
			spin();
		if (!memcmp(data, "TRIP", 4))
			triple_fault();
	}
	for (uint64_t i = 0; i < 64; i++)
		if (data[len + i])
			return ~0ull;
	for (uint64_t i = 0; i < len; i++)
		sum += data[i];
	counter++;
	return counter << 48 | len << 16 | (sum & 0xffff);
}

/* ---- user mode reaching CPL0: what restores must notice ---------------- */

/* KERNEL_GS_BASE value for r0_wrmsr. */
volatile uint64_t r0_val;

/* #UD handler at CPL0: write KERNEL_GS_BASE, step over the ud2, return. */
void r0_wrmsr(void);
__asm__(".text\n"
	".globl r0_wrmsr\n"
	"r0_wrmsr:\n\t"
	"push %rax\n\tpush %rcx\n\tpush %rdx\n\t"
	"mov $0xc0000102, %ecx\n\t"
	"mov r0_val(%rip), %rax\n\t"
	"mov %rax, %rdx\n\t"
	"shr $32, %rdx\n\t"
	"wrmsr\n\t"
	"pop %rdx\n\tpop %rcx\n\tpop %rax\n\t"
	"addq $2, (%rsp)\n\t"
	"iretq\n");

/*
 * From user mode: point the #UD gate of the IDT at idt (libvm's tables are
 * user-writable) to r0_wrmsr and raise #UD, so KERNEL_GS_BASE = val is
 * written at CPL0; returns 1 from user mode like any call.
 */
LIBVM_EXPORT uint64_t climb_wrmsr(uint64_t idt, uint64_t val)
{
	volatile uint64_t *g = (volatile uint64_t *)(idt + 16 * 6);
	uint64_t off = (uint64_t)r0_wrmsr;

	r0_val = val;
	g[1] = off >> 32;
	g[0] = (off & 0xffff) | (g[0] & 0x0000ffffffff0000ull) |
	       (((off >> 16) & 0xffff) << 48);
	__asm__ volatile("ud2" ::: "memory");
	return 1;
}

/*
 * do_syscall(rdx): SYSCALL at do_syscall_at with RDX = rdx (libvm's
 * runtime reports #UD for it); ud_rdx(rdx): ud2 at ud_rdx_at, the same.
 */
__asm__(".text\n"
	".globl do_syscall, do_syscall_at\n"
	".type do_syscall, @function\n"
	"do_syscall:\n"
	"	mov %rdi, %rdx\n"
	"do_syscall_at:\n"
	"	syscall\n"
	"	mov $1, %eax\n"
	"	ret\n"
	".globl ud_rdx, ud_rdx_at\n"
	".type ud_rdx, @function\n"
	"ud_rdx:\n"
	"	mov %rdi, %rdx\n"
	"ud_rdx_at:\n"
	"	ud2\n"
	"	mov $1, %eax\n"
	"	ret\n");
