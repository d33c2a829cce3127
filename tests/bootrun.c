/* SPDX-License-Identifier: MIT */
/* Booting the protocol test kernels: see bootrun.h. */
#include "bootrun.h"
#include "helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X(v) ((unsigned long long)(v))
#define HOLE_START 0xa0000ull
#define HOLE_END 0x100000ull
#define RUN_NS (120ull * 1000000000ull)

static int fail(struct br_vm *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct br_vm *t, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = (size_t)vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	if (n < sizeof(t->err))
		snprintf(t->err + n, sizeof(t->err) - n, "\n-- the kernel "
			 "said:\n%.*s", (int)t->nout, t->out);
	return -1;
}

void br_bytes(uint8_t *p, uint64_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint64_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)(x >> 7);
	}
}

uint32_t br_fnv(const uint8_t *p, uint64_t len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

uint8_t *br_read_kernel(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", LIBVM_TEST_KERNEL_DIR, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int console(libvm_vcpu *vcpu, uint64_t port, void *data,
		   uint32_t size, uint32_t direction, void *opaque)
{
	struct br_vm *t = opaque;

	(void)vcpu, (void)port, (void)size;
	if (direction == LIBVM_WRITE && t->nout < sizeof(t->out) - 1)
		t->out[t->nout++] = *(char *)data;
	return LIBVM_TRAP_CONTINUE;
}

static int debug_exit(libvm_vcpu *vcpu, uint64_t port, void *data,
		      uint32_t size, uint32_t direction, void *opaque)
{
	struct br_vm *t = opaque;

	(void)vcpu, (void)port;
	if (direction != LIBVM_WRITE)
		return LIBVM_TRAP_CONTINUE;
	t->status = 0;
	memcpy(&t->status, data, size < 4 ? size : 4);
	t->exited = 1;
	return LIBVM_TRAP_STOP;
}

/* Bytes of [base, base + len) that are RAM a kernel may use. */
static uint64_t in_ram(const struct br_case *c, uint64_t base, uint64_t len)
{
	uint64_t sum = 0, end = base + len;
	unsigned i;

	for (i = 0; i < c->nram; i++) {
		uint64_t a = c->ram[i][0], e = a + c->ram[i][1];

		a = a > base ? a : base;
		e = e < end ? e : end;
		if (a >= e)
			continue;
		sum += e - a;
		if (a < HOLE_END && e > HOLE_START)
			sum -= (e < HOLE_END ? e : HOLE_END) -
			       (a > HOLE_START ? a : HOLE_START);
	}
	return sum;
}

/* What the kernel should find as RAM plus reserved in its map. */
static uint64_t expected_mem(const struct br_case *c)
{
	uint64_t mem = in_ram(c, 0, UINT64_MAX);
	unsigned i;

	for (i = 0; i < c->nresv; i++) {
		const libvm_mem_range *r = &c->resv[i];
		uint64_t ram = in_ram(c, r->base, r->len);

		if (r->type <= LIBVM_E820_RESERVED)
			mem += r->len - ram;
		else
			mem -= ram;
	}
	return mem;
}

static int covered(const libvm_mem_range *m, uint32_t n, uint64_t base,
		   uint64_t len, uint32_t type)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (m[i].type == type && m[i].base <= base &&
		    base + len <= m[i].base + m[i].len)
			return 1;
	return 0;
}

/* What the loader says it did, checked against the case. */
static int check_layout(struct br_vm *t, const struct br_case *c)
{
	libvm_mem_range map[256];
	libvm_boot_range rg[64];
	uint32_t nmap = 256, nrg = 64, i;

	if (libvm_boot_memmap(t->boot, map, &nmap) ||
	    libvm_boot_ranges(t->boot, rg, &nrg))
		return fail(t, "boot getters: %s", libvm_last_error());
	for (i = 0; i < nmap; i++)
		if (i && (map[i].base < map[i - 1].base + map[i - 1].len ||
			  (map[i].base == map[i - 1].base + map[i - 1].len &&
			   map[i].type == map[i - 1].type)))
			return fail(t, "memory map entry %u (%#llx) overlaps "
				    "or is not merged with the one before", i,
				    X(map[i].base));
	for (i = 0; i < c->nresv; i++)
		if (!covered(map, nmap, c->resv[i].base, c->resv[i].len,
			     c->resv[i].type))
			return fail(t, "reserved range %u is not in the map",
				    i);
	for (i = 0; i < nrg; i++) {
		uint32_t w = rg[i].what;
		uint32_t type = w == LIBVM_BOOT_KERNEL ||
				w == LIBVM_BOOT_MODULE ? LIBVM_E820_RAM
						       : LIBVM_E820_RESERVED;

		if (i && rg[i].gpa < rg[i - 1].gpa + rg[i - 1].len)
			return fail(t, "placed ranges %u and %u overlap", i - 1,
				    i);
		if (!covered(map, nmap, rg[i].gpa, rg[i].len, type))
			return fail(t, "placed range %u (what %u, %#llx+%#llx)"
				    " is not in a map entry of type %u", i, w,
				    X(rg[i].gpa), X(rg[i].len), type);
	}
	return 0;
}

/* The "map" and "load=" lines the kernel printed, against the API's. */
static int check_output(struct br_vm *t)
{
	libvm_mem_range map[256];
	libvm_boot_range rg[64];
	uint32_t nmap = 256, nrg = 64, n = 0, i;
	const char *p;

	libvm_boot_memmap(t->boot, map, &nmap);
	libvm_boot_ranges(t->boot, rg, &nrg);
	for (p = strstr(t->out, "map "); p; p = strstr(p + 1, "\nmap ")) {
		unsigned long long b, l;
		unsigned type;

		p += *p == '\n';
		if (sscanf(p, "map %llx %llx %x", &b, &l, &type) != 3)
			return fail(t, "cannot parse the kernel's map line");
		if (n >= nmap || map[n].base != b || map[n].len != l ||
		    map[n].type != type)
			return fail(t, "the kernel's map entry %u (%#llx+%#llx"
				    " type %u) is not the loader's", n, b, l,
				    type);
		n++;
	}
	if (n != nmap)
		return fail(t, "the kernel saw %u map entries, the loader "
			    "made %u", n, nmap);
	p = strstr(t->out, "load=");
	if (p) {
		unsigned long long at = strtoull(p + 5, NULL, 16);

		for (i = 0; i < nrg && rg[i].what != LIBVM_BOOT_KERNEL; i++)
			;
		if (i == nrg || rg[i].gpa != at)
			return fail(t, "the kernel runs at %#llx, not where "
				    "the loader says it put it", at);
	}
	return 0;
}

/* Modules and the command line that tells the kernel what to expect. */
struct inputs {
	uint8_t *bytes[BR_MAX_MODS];
	char strings[BR_MAX_MODS][64];
	libvm_boot_module mods[BR_MAX_MODS];
	char cmdline[1024];
};

static int make_inputs(struct br_vm *t, struct inputs *in,
		       const struct br_case *c)
{
	uint64_t total = 0;
	uint32_t h = 2166136261u;
	size_t n;
	unsigned i;

	for (i = 0; i < c->nmods; i++) {
		uint64_t k, len = c->mods[i];

		in->bytes[i] = malloc(len ? len : 1);
		if (!in->bytes[i])
			return fail(t, "malloc %llu", X(len));
		br_bytes(in->bytes[i], len, i + 1);
		snprintf(in->strings[i], sizeof(in->strings[i]),
			 "len=%llx sum=%x", X(len), br_fnv(in->bytes[i], len));
		in->mods[i] = (libvm_boot_module){
			.data = in->bytes[i], .len = len,
			.string = in->strings[i] };
		/* A bzImage's initrd: the modules, 4-byte padded between. */
		for (k = 0; k < len; k++)
			h = (h ^ in->bytes[i][k]) * 16777619u;
		for (; i + 1 < c->nmods && k % 4; k++)
			h *= 16777619u;
		total += k;
	}
	n = (size_t)snprintf(in->cmdline, sizeof(in->cmdline),
			     "libvm-test mem=%llx rsdp=%llx mods=%x",
			     X(expected_mem(c)), X(c->rsdp), c->nmods);
	if (c->nmods)
		n += (size_t)snprintf(in->cmdline + n, sizeof(in->cmdline) - n,
				      " initrd=%llx,%x", X(total), h);
	if (c->nresv)
		n += (size_t)snprintf(in->cmdline + n, sizeof(in->cmdline) - n,
				      " resv=%llx,%llx,%x", X(c->resv[0].base),
				      X(c->resv[0].len), c->resv[0].type);
	if (c->extra)
		snprintf(in->cmdline + n, sizeof(in->cmdline) - n, " %s",
			 c->extra);
	return 0;
}

static int setup_vm(struct br_vm *t, const struct br_case *c)
{
	unsigned i;
	int r = libvm_vm_create(&t->vm, NULL);

	if (r == LIBVM_ENOKVM) {
		snprintf(t->err, sizeof(t->err), "KVM not available: %s",
			 libvm_last_error());
		return BR_NO_KVM;
	}
	if (r < 0)
		return fail(t, "libvm_vm_create: %s", libvm_last_error());
	for (i = 0; i < c->nram; i++) {
		void *p;
		uint64_t fill = c->ram[i][1] < 32 * MIB ? c->ram[i][1]
							 : 32 * MIB;

		if (libvm_mem_map_anon(t->vm, c->ram[i][0], c->ram[i][1], 0) ||
		    libvm_mem_ptr(&p, t->vm, c->ram[i][0], fill))
			return fail(t, "RAM %u: %s", i, libvm_last_error());
		/* Garbage where the loader is to write or zero. */
		memset(p, 0xa5, fill);
	}
	if (libvm_trap_register(t->vm, LIBVM_TRAP_PIO, 0x3f8, 1, console, t) ||
	    libvm_trap_register(t->vm, LIBVM_TRAP_PIO, 0xf4, 4, debug_exit, t))
		return fail(t, "traps: %s", libvm_last_error());
	return 0;
}

static int run(struct br_vm *t)
{
	libvm_exit ex;
	libvm_regs regs;
	int r;

	if (libvm_vcpu_create(&t->vcpu, t->vm, 0) ||
	    libvm_boot_enter(t->boot, t->vcpu))
		return fail(t, "vCPU: %s", libvm_last_error());
	r = libvm_vcpu_run(&ex, t->vcpu, RUN_NS);
	if (r < 0)
		return fail(t, "libvm_vcpu_run: %s", libvm_last_error());
	if (!t->exited) {
		libvm_vcpu_get_regs(&regs, t->vcpu);
		return fail(t, "the kernel stopped with exit %s (port %#x) at "
			    "rip %#llx, not through port 0xf4",
			    libvm_exit_reason_name(ex.reason), ex.u.io.port,
			    X(regs.rip));
	}
	t->out[t->nout] = 0;
	if (t->status)
		return fail(t, "the kernel reports %u failed checks",
			    t->status);
	return 0;
}

int br_boot(struct br_vm *t, const struct br_case *c)
{
	struct inputs in = { 0 };
	libvm_boot_config cfg = LIBVM_BOOT_CONFIG_INIT;
	char path[512];
	unsigned i;
	int r;

	memset(t, 0, sizeof(*t));
	r = setup_vm(t, c);
	if (r == 0)
		r = make_inputs(t, &in, c);
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/%s", LIBVM_TEST_KERNEL_DIR,
			 c->kernel);
		cfg.kernel_path = path;
		cfg.cmdline = in.cmdline;
		cfg.modules = in.mods;
		cfg.nmodules = c->nmods;
		cfg.reserved = c->resv;
		cfg.nreserved = c->nresv;
		cfg.acpi_rsdp = c->rsdp;
		if (libvm_boot_load(&t->boot, t->vm, &cfg))
			r = fail(t, "libvm_boot_load %s: %s", c->kernel,
				 libvm_last_error());
	}
	for (i = 0; i < c->nmods; i++)
		free(in.bytes[i]);
	if (r == 0)
		r = check_layout(t, c);
	if (r == 0)
		r = run(t);
	if (r == 0)
		r = check_output(t);
	return r;
}

void br_boot_ok(struct br_vm *t, const struct br_case *c)
{
	int r = br_boot(t, c);

	if (r == BR_NO_KVM)
		cr_skip_test("%s", t->err);
	cr_assert_eq(r, 0, "%s: %s", c->kernel, t->err);
}

void br_free(struct br_vm *t)
{
	libvm_boot_destroy(t->boot);
	libvm_vm_destroy(t->vm);
	t->boot = NULL;
	t->vm = NULL;
	t->vcpu = NULL;
}
