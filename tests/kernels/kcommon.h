/* SPDX-License-Identifier: MIT */
/*
 * What the protocol test kernels share: a console (blind writes to the
 * UART's data port 0x3f8), the debug exit (port 0xf4: the number of
 * failed checks, 0 when all passed), checks that print what they got and
 * wanted, the command line's key=value parameters the test passes, an
 * FNV-1a checksum, and checks of a memory map.  Freestanding, general
 * registers only, no division: the same code builds 32- and 64-bit.
 */
#ifndef LIBVM_TESTS_KCOMMON_H
#define LIBVM_TESTS_KCOMMON_H

#include <stddef.h>
#include <stdint.h>

#define K_CONSOLE	0x3f8
#define K_EXIT		0xf4

static inline void k_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void k_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void k_puts(const char *s)
{
	while (*s)
		k_outb(K_CONSOLE, (uint8_t)*s++);
}

static void k_putx(uint64_t v)
{
	int i = 60;

	k_puts("0x");
	while (i > 0 && !(v >> i))
		i -= 4;
	for (; i >= 0; i -= 4)
		k_outb(K_CONSOLE, (uint8_t)"0123456789abcdef"[(v >> i) & 15]);
}

static unsigned k_fails;

static void k_fail(const char *what, uint64_t got, uint64_t want)
{
	k_puts("FAIL ");
	k_puts(what);
	k_puts(": got ");
	k_putx(got);
	k_puts(" want ");
	k_putx(want);
	k_puts("\n");
	k_fails++;
}

#define K_EQ(what, got, want) \
	do { \
		uint64_t g_ = (got), w_ = (want); \
		if (g_ != w_) \
			k_fail((what), g_, w_); \
	} while (0)
#define K_TRUE(what, cond) \
	do { \
		if (!(cond)) \
			k_fail((what), 0, 1); \
	} while (0)

/* Report and stop: the exit port ends the run. */
static __attribute__((noreturn)) void k_done(void)
{
	k_puts(k_fails ? "FAILED\n" : "ok\n");
	k_outl(K_EXIT, k_fails);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static size_t k_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static __attribute__((unused)) int k_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The value of " key=" in s (or at its start), or NULL. */
static const char *k_param(const char *s, const char *key)
{
	const char *p = s;

	for (; *p; p++) {
		const char *k = key, *q = p;

		if (p != s && p[-1] != ' ')
			continue;
		while (*k && *q == *k)
			k++, q++;
		if (!*k && *q == '=')
			return q + 1;
	}
	return NULL;
}

/* Hex digits at *s (no prefix), moving *s past them and one ','. */
static uint64_t k_hex(const char **s)
{
	uint64_t v = 0;

	for (;; (*s)++) {
		char c = **s;

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			break;
	}
	if (**s == ',')
		(*s)++;
	return v;
}

/* Parameter key as a hex number; def when absent. */
static uint64_t k_param_hex(const char *s, const char *key, uint64_t def)
{
	const char *v = k_param(s, key);

	return v ? k_hex(&v) : def;
}

static uint32_t k_fnv(const volatile uint8_t *p, uint64_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void *k_ptr(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

/* Little-endian field of n bytes (the boot structures' layout). */
static uint64_t k_le(const volatile uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* A memory map entry, whatever the protocol's layout. */
struct k_range {
	uint64_t base, len;
	uint32_t type;
};

/* Does an entry of type hold [base, base + len)? */
static int k_covered(const struct k_range *m, unsigned n, uint64_t base,
		     uint64_t len, uint32_t type)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (m[i].type == type && m[i].base <= base &&
		    base + len <= m[i].base + m[i].len)
			return 1;
	return 0;
}

/* The segments every protocol here gets, and interrupts off. */
static void k_check_segments(void)
{
	unsigned long cs, ds, es, ss, flags;

	__asm__ volatile("mov %%cs, %0; mov %%ds, %1; mov %%es, %2; "
			 "mov %%ss, %3" : "=r"(cs), "=r"(ds), "=r"(es),
			 "=r"(ss));
	__asm__ volatile("pushf; pop %0" : "=r"(flags));
	K_EQ("CS", cs & 0xffff, 0x10);
	K_EQ("DS", ds & 0xffff, 0x18);
	K_EQ("ES", es & 0xffff, 0x18);
	K_EQ("SS", ss & 0xffff, 0x18);
	K_EQ("EFLAGS.IF", flags & 0x200, 0);
}

/* 32-bit protocols: protected mode, paging off. */
static __attribute__((unused)) void k_check_prot32(void)
{
	unsigned long cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	K_EQ("CR0.PE", cr0 & 1, 1);
	K_EQ("CR0.PG", cr0 & 0x80000000ul, 0);
	k_check_segments();
}

/* The loader zeroes the BSS (the test fills RAM with 0xa5 first). */
static volatile uint32_t k_bss_probe[256];

static __attribute__((unused)) void k_check_bss(void)
{
	unsigned i, nz = 0;

	for (i = 0; i < 256; i++)
		nz += k_bss_probe[i] != 0;
	K_EQ("non-zero BSS words", nz, 0);
}

/* A module: its string says "len=LEN sum=FNV". */
static __attribute__((unused)) void k_check_module(
	const struct k_range *map, unsigned n, uint64_t at, uint64_t len,
	const char *string)
{
	k_puts("module ");
	k_putx(at);
	k_puts(" ");
	k_puts(string);
	k_puts("\n");
	K_EQ("module length", len, k_param_hex(string, "len", ~0ull));
	K_EQ("module page aligned", at & 0xfff, 0);
	K_TRUE("module is RAM", !len || k_covered(map, n, at, len, 1));
	K_EQ("module checksum", k_fnv(k_ptr(at), len),
	     k_param_hex(string, "sum", ~0ull));
}

/*
 * Print the map ("map BASE LEN TYPE" lines, for the test to compare with
 * what the loader says it gave) and check it: sorted, disjoint, known
 * types; RAM and reserved add up to the "mem" parameter; the
 * "resv=BASE,LEN,TYPE" parameter's range is there with its type.
 */
static void k_check_map(const struct k_range *m, unsigned n,
			const char *cmdline)
{
	uint64_t mem = 0, end = 0;
	const char *r;
	unsigned i;

	K_TRUE("memory map has entries", n > 0);
	for (i = 0; i < n; i++) {
		k_puts("map ");
		k_putx(m[i].base);
		k_puts(" ");
		k_putx(m[i].len);
		k_puts(" ");
		k_putx(m[i].type);
		k_puts("\n");
		K_TRUE("memory map entry is not empty", m[i].len > 0);
		K_TRUE("memory map entry type is 1-4",
		       m[i].type >= 1 && m[i].type <= 4);
		if (i)
			K_TRUE("memory map is sorted and disjoint",
			       m[i].base >= end);
		end = m[i].base + m[i].len;
		if (m[i].type <= 2)
			mem += m[i].len;
	}
	K_EQ("RAM and reserved in the memory map", mem,
	     k_param_hex(cmdline, "mem", 0));
	r = k_param(cmdline, "resv");
	if (r) {
		uint64_t b = k_hex(&r), l = k_hex(&r), t = k_hex(&r);

		K_TRUE("the reserved range is in the memory map",
		       k_covered(m, n, b, l, (uint32_t)t));
	}
}

/* The compiler may call these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

#endif
