/* SPDX-License-Identifier: MIT */
/* Guest memory: regions, host access, read-only memory, page walks. */
#define _GNU_SOURCE
#include "guests.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

TestSuite(memory, .init = h_fixture_vm_only, .fini = h_fixture_teardown);

static uint32_t phys_bits(void)
{
	libvm_host_info info = LIBVM_HOST_INFO_INIT;

	OK(libvm_host_query(&info, NULL));
	return info.phys_bits;
}

static int memfd(uint64_t size)
{
	int fd = memfd_create("libvm-test", MFD_CLOEXEC);

	cr_assert_geq(fd, 0, "memfd_create");
	cr_assert_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* ---- mapping ---- */

Test(memory, map_anon)
{
	uint8_t b[4] = { 0xff, 0xff, 0xff, 0xff };

	OK(libvm_mem_map_anon(g_vm, 0, 0x10000, 0));
	OK(libvm_mem_map_anon(g_vm, 0x100000, 0x1000, 0));
	OK(libvm_mem_read(g_vm, 0xfffc, b, 4));
	cr_assert_eq(h_le(b, 4), 0, "anonymous memory is not zeroed");
	OK(libvm_mem_read(g_vm, 0x100ffc, b, 4));
	cr_assert_eq(h_le(b, 4), 0);
}

Test(memory, map_host)
{
	size_t size = 0x10000;
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t b[3];
	void *q;

	cr_assert_neq(p, MAP_FAILED);
	memcpy(p + 0x1234, "abc", 3);
	OK(libvm_mem_map_host(g_vm, 0x40000, p, size, 0));
	OK(libvm_mem_read(g_vm, 0x41234, b, 3));
	cr_assert_arr_eq(b, "abc", 3);
	OK(libvm_mem_write(g_vm, 0x40010, "xyz", 3));
	cr_assert_arr_eq(p + 0x10, "xyz", 3);
	OK(libvm_mem_ptr(&q, g_vm, 0x40000, size));
	cr_assert_eq(q, p, "libvm_mem_ptr is not the caller's memory");
	OK(libvm_mem_unmap(g_vm, 0x40000));
	/* Still the caller's: libvm must not have unmapped it. */
	cr_assert_arr_eq(p + 0x10, "xyz", 3);
	munmap(p, size);
}

Test(memory, map_host_bad_args)
{
	uint8_t *p = mmap(NULL, 0x3000, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	FAILS(libvm_mem_map_host(g_vm, 0, NULL, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_host(NULL, 0, p, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_host(g_vm, 0, p + 8, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_host(g_vm, 0, p, 0x1000, LIBVM_MEM_HUGEPAGES),
	      LIBVM_EINVAL);
	FAILS(libvm_mem_map_host(g_vm, 0, p, 0, 0), LIBVM_EINVAL);
	munmap(p, 0x3000);
}

Test(memory, map_fd)
{
	int fd = memfd(0x20000);
	uint8_t b[5];

	cr_assert_eq(pwrite(fd, "filed", 5, 0x11000), 5);
	/* From offset 0x10000: file byte 0x11000 is gpa 0x81000. */
	OK(libvm_mem_map_fd(g_vm, 0x80000, fd, 0x10000, 0x10000, 0));
	OK(libvm_mem_read(g_vm, 0x81000, b, 5));
	cr_assert_arr_eq(b, "filed", 5);
	/* MAP_SHARED both ways. */
	OK(libvm_mem_write(g_vm, 0x80010, "HOST!", 5));
	cr_assert_eq(pread(fd, b, 5, 0x10010), 5);
	cr_assert_arr_eq(b, "HOST!", 5);
	/* libvm keeps no reference to the fd. */
	close(fd);
	OK(libvm_mem_read(g_vm, 0x81000, b, 5));
	cr_assert_arr_eq(b, "filed", 5);
}

Test(memory, map_fd_bad_args)
{
	int fd = memfd(0x10000);

	FAILS(libvm_mem_map_fd(g_vm, 0, -1, 0, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_fd(NULL, 0, fd, 0, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_fd(g_vm, 0, fd, 0x800, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_fd(g_vm, 0, fd, 0, 0, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_fd(g_vm, 0, fd, 0, 0x1000, LIBVM_MEM_HUGEPAGES),
	      LIBVM_EINVAL);
	close(fd);
}

Test(memory, map_hugepages)
{
	uint8_t b[4];

	/* Falls back to transparent huge pages without reserved ones. */
	OK(libvm_mem_map_anon(g_vm, 0x200000, 0x400000, LIBVM_MEM_HUGEPAGES));
	OK(libvm_mem_write(g_vm, 0x5ffffc, "huge", 4));
	OK(libvm_mem_read(g_vm, 0x5ffffc, b, 4));
	cr_assert_arr_eq(b, "huge", 4);
	/* 2 MiB alignment of gpa and size. */
	FAILS(libvm_mem_map_anon(g_vm, 0x801000, 0x200000,
				 LIBVM_MEM_HUGEPAGES), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x800000, 0x201000,
				 LIBVM_MEM_HUGEPAGES), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x800000, 0x1000,
				 LIBVM_MEM_HUGEPAGES), LIBVM_EINVAL);
	OK(libvm_mem_unmap(g_vm, 0x200000));
}

Test(memory, overlap_refused)
{
	int fd = memfd(0x10000);
	uint8_t *p = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	/* exact, partial below, partial above, contained, containing */
	FAILS(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_anon(g_vm, 0x8000, 0x10000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_anon(g_vm, 0x1f000, 0x2000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_anon(g_vm, 0x14000, 0x1000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_anon(g_vm, 0, 0x100000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_host(g_vm, 0x1f000, p, 0x2000, 0), LIBVM_EOVERLAP);
	FAILS(libvm_mem_map_fd(g_vm, 0x1f000, fd, 0, 0x2000, 0),
	      LIBVM_EOVERLAP);
	/* Adjacent on both sides is fine. */
	OK(libvm_mem_map_anon(g_vm, 0xf000, 0x1000, 0));
	OK(libvm_mem_map_host(g_vm, 0x20000, p, 0x1000, 0));
	OK(libvm_mem_map_fd(g_vm, 0x21000, fd, 0, 0x1000, 0));
	libvm_vm_destroy(g_vm);	/* before p goes away */
	g_vm = NULL;
	munmap(p, 0x10000);
	close(fd);
}

Test(memory, bad_ranges_refused)
{
	uint64_t limit = 1ull << phys_bits();

	FAILS(libvm_mem_map_anon(g_vm, 0x1001, 0x1000, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0x1001, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0x800, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0, 0), LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(NULL, 0x1000, 0x1000, 0), LIBVM_EINVAL);
	/* Beyond the guest's physical address width. */
	FAILS(libvm_mem_map_anon(g_vm, limit, 0x1000, 0), LIBVM_ERANGE);
	FAILS(libvm_mem_map_anon(g_vm, limit - 0x1000, 0x2000, 0),
	      LIBVM_ERANGE);
	FAILS(libvm_mem_map_anon(g_vm, 0xfffffffffffff000ull, 0x1000, 0),
	      LIBVM_ERANGE);
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0xfffffffffffff000ull, 0),
	      LIBVM_ERANGE);
	/* The last page below the limit is fine. */
	OK(libvm_mem_map_anon(g_vm, limit - 0x1000, 0x1000, 0));
	/* Unknown flags. */
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0x1000, 1u << 5),
	      LIBVM_EINVAL);
	FAILS(libvm_mem_map_anon(g_vm, 0x1000, 0x1000, 0x80000000u),
	      LIBVM_EINVAL);
}

Test(memory, refusals_leak_nothing)
{
	int fd = memfd(0x10000);
	int fds, maps, i;

	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	fds = h_count_fds();
	maps = h_count_maps();
	for (i = 0; i < 50; i++) {
		FAILS(libvm_mem_map_anon(g_vm, 0x18000, 0x10000, 0),
		      LIBVM_EOVERLAP);
		FAILS(libvm_mem_map_fd(g_vm, 0x18000, fd, 0, 0x10000, 0),
		      LIBVM_EOVERLAP);
		FAILS(libvm_mem_map_anon(g_vm, 0x1001, 0x1000, 0),
		      LIBVM_EINVAL);
		FAILS(libvm_mem_unmap(g_vm, 0x30000), LIBVM_ENOENT);
	}
	cr_assert_eq(h_count_fds(), fds);
	cr_assert_eq(h_count_maps(), maps);
	close(fd);
}

Test(memory, unmap)
{
	uint8_t b = 0;
	int maps;

	/*
	 * Once first: what the VM's region table allocates (an allocator
	 * mapping, under ASan) stays, and is not the region's mapping.
	 */
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_unmap(g_vm, 0x10000));
	maps = h_count_maps();
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_write(g_vm, 0x10000, "x", 1));
	FAILS(libvm_mem_unmap(g_vm, 0x18000), LIBVM_ENOENT);	/* inside */
	FAILS(libvm_mem_unmap(g_vm, 0x20000), LIBVM_ENOENT);	/* past it */
	FAILS(libvm_mem_unmap(g_vm, 0), LIBVM_ENOENT);
	FAILS(libvm_mem_unmap(NULL, 0x10000), LIBVM_EINVAL);
	OK(libvm_mem_unmap(g_vm, 0x10000));
	cr_assert_eq(h_count_maps(), maps, "unmap left the mapping");
	FAILS(libvm_mem_read(g_vm, 0x10000, &b, 1), LIBVM_ERANGE);
	FAILS(libvm_mem_unmap(g_vm, 0x10000), LIBVM_ENOENT);
	/* The range and its slot can be used again, freshly zeroed. */
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_read(g_vm, 0x10000, &b, 1));
	cr_assert_eq(b, 0);
}

Test(memory, many_regions)
{
	uint64_t i;
	uint8_t b;

	/* Plenty of slots, each found again by its own address. */
	for (i = 0; i < 100; i++)
		OK(libvm_mem_map_anon(g_vm, 0x100000 + i * 0x2000, 0x1000, 0));
	for (i = 0; i < 100; i++) {
		b = (uint8_t)i;
		OK(libvm_mem_write(g_vm, 0x100000 + i * 0x2000 + 0xfff, &b, 1));
	}
	for (i = 0; i < 100; i++) {
		OK(libvm_mem_read(g_vm, 0x100000 + i * 0x2000 + 0xfff, &b, 1));
		cr_assert_eq(b, (uint8_t)i);
		FAILS(libvm_mem_read(g_vm, 0x101000 + i * 0x2000, &b, 1),
		      LIBVM_ERANGE);
	}
	for (i = 0; i < 100; i += 2)
		OK(libvm_mem_unmap(g_vm, 0x100000 + i * 0x2000));
	for (i = 1; i < 100; i += 2) {
		OK(libvm_mem_read(g_vm, 0x100000 + i * 0x2000 + 0xfff, &b, 1));
		cr_assert_eq(b, (uint8_t)i);
	}
}

/* ---- host access ---- */

Test(memory, ptr_read_write_inside)
{
	uint8_t src[256], dst[256];
	uint8_t *p;
	void *q;
	int i;

	for (i = 0; i < 256; i++)
		src[i] = (uint8_t)(i * 7);
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_write(g_vm, 0x10100, src, sizeof(src)));
	OK(libvm_mem_ptr(&q, g_vm, 0x10100, sizeof(src)));
	p = q;
	cr_assert_arr_eq(p, src, sizeof(src));
	p[0] = 0xee;
	OK(libvm_mem_read(g_vm, 0x10100, dst, sizeof(dst)));
	cr_assert_eq(dst[0], 0xee);
	cr_assert_arr_eq(dst + 1, src + 1, sizeof(src) - 1);
	/* The whole region, and its last byte. */
	OK(libvm_mem_ptr(&q, g_vm, 0x10000, 0x10000));
	OK(libvm_mem_ptr(&q, g_vm, 0x1ffff, 1));
	OK(libvm_mem_write(g_vm, 0x1ffff, "z", 1));
	/* Zero-length copies are fine. */
	OK(libvm_mem_read(g_vm, 0x10000, dst, 0));
	OK(libvm_mem_write(g_vm, 0x10000, src, 0));
	/* NULL arguments. */
	FAILS(libvm_mem_ptr(NULL, g_vm, 0x10000, 1), LIBVM_EINVAL);
	FAILS(libvm_mem_ptr(&q, NULL, 0x10000, 1), LIBVM_EINVAL);
	FAILS(libvm_mem_read(g_vm, 0x10000, NULL, 1), LIBVM_EINVAL);
	FAILS(libvm_mem_write(g_vm, 0x10000, NULL, 1), LIBVM_EINVAL);
	FAILS(libvm_mem_read(NULL, 0x10000, dst, 1), LIBVM_EINVAL);
}

Test(memory, across_adjacent_regions)
{
	int fd = memfd(0x10000);
	uint8_t src[0x200], dst[0x200];
	void *q;
	int i;

	for (i = 0; i < (int)sizeof(src); i++)
		src[i] = (uint8_t)(i ^ 0x5a);
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_map_fd(g_vm, 0x20000, fd, 0, 0x10000, 0));
	/* 0x100 bytes in each region. */
	OK(libvm_mem_write(g_vm, 0x1ff00, src, sizeof(src)));
	memset(dst, 0, sizeof(dst));
	OK(libvm_mem_read(g_vm, 0x1ff00, dst, sizeof(dst)));
	cr_assert_arr_eq(dst, src, sizeof(src));
	OK(libvm_mem_ptr(&q, g_vm, 0x1ff00, 0x100));
	cr_assert_arr_eq(q, src, 0x100);
	OK(libvm_mem_ptr(&q, g_vm, 0x20000, 0x100));
	cr_assert_arr_eq(q, src + 0x100, 0x100);
	cr_assert_eq(pread(fd, dst, 0x100, 0), 0x100);
	cr_assert_arr_eq(dst, src + 0x100, 0x100);
	/* A pointer must lie inside one region. */
	FAILS(libvm_mem_ptr(&q, g_vm, 0x1ff00, 0x200), LIBVM_ERANGE);
	close(fd);
}

Test(memory, straddling_end_changes_nothing)
{
	uint8_t src[0x100], dst[0x100], before[0x80], after[0x80];
	void *q = NULL;

	memset(src, 0x11, sizeof(src));
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_write(g_vm, 0x1ff80, "\x77", 1));
	OK(libvm_mem_read(g_vm, 0x1ff80, before, sizeof(before)));
	/* Past the end of RAM. */
	FAILS(libvm_mem_write(g_vm, 0x1ff80, src, sizeof(src)), LIBVM_ERANGE);
	OK(libvm_mem_read(g_vm, 0x1ff80, after, sizeof(after)));
	cr_assert_arr_eq(after, before, sizeof(before),
			 "a refused write changed guest memory");
	memset(dst, 0xcc, sizeof(dst));
	FAILS(libvm_mem_read(g_vm, 0x1ff80, dst, sizeof(dst)), LIBVM_ERANGE);
	FAILS(libvm_mem_ptr(&q, g_vm, 0x1ff80, sizeof(dst)), LIBVM_ERANGE);
	cr_assert_null(q);
	/* Before the start of RAM. */
	FAILS(libvm_mem_write(g_vm, 0xff80, src, sizeof(src)), LIBVM_ERANGE);
	OK(libvm_mem_read(g_vm, 0x10000, after, sizeof(after)));
	cr_assert_eq(after[0], 0);
	/* Wrapping around the address space. */
	FAILS(libvm_mem_read(g_vm, 0xfffffffffffffff0ull, dst, 0x20),
	      LIBVM_ERANGE);
	FAILS(libvm_mem_write(g_vm, 0xffffffffffffff00ull, src, 0x100),
	      LIBVM_ERANGE);
	{
		uint8_t cc[0x100];

		memset(cc, 0xcc, sizeof(cc));
		cr_assert_arr_eq(dst, cc, sizeof(dst),
				 "a refused read changed the buffer");
	}
}

Test(memory, straddling_hole_changes_nothing)
{
	uint8_t src[0x200], lo[0x100], hi[0x100], zero[0x100];

	memset(src, 0x22, sizeof(src));
	memset(zero, 0, sizeof(zero));
	OK(libvm_mem_map_anon(g_vm, 0x10000, 0x10000, 0));
	OK(libvm_mem_map_anon(g_vm, 0x21000, 0x10000, 0));	/* hole */
	/* Starts in RAM, crosses the hole, ends in RAM. */
	FAILS(libvm_mem_write(g_vm, 0x1ff00, src, 0x1200), LIBVM_ERANGE);
	OK(libvm_mem_read(g_vm, 0x1ff00, lo, 0x100));
	OK(libvm_mem_read(g_vm, 0x21000, hi, 0x100));
	cr_assert_arr_eq(lo, zero, 0x100);
	cr_assert_arr_eq(hi, zero, 0x100);
	/* Starts in the hole. */
	FAILS(libvm_mem_write(g_vm, 0x20f00, src, 0x200), LIBVM_ERANGE);
	OK(libvm_mem_read(g_vm, 0x21000, hi, 0x100));
	cr_assert_arr_eq(hi, zero, 0x100);
	FAILS(libvm_mem_read(g_vm, 0x20f00, src, 0x200), LIBVM_ERANGE);
}

/* ---- read-only memory ---- */

Test(memory, readonly_region_guest, .timeout = VCPU_TIMEOUT)
{
	libvm_vcpu *v;
	libvm_exit ex;
	libvm_regs r;
	uint8_t b;

	h_map_ram(g_vm, 0, 0x10000);
	OK(libvm_mem_map_anon(g_vm, 0x20000, 0x1000, LIBVM_MEM_READONLY));
	/* The host may fill a read-only region (that is how ROM loads). */
	OK(libvm_mem_write(g_vm, 0x20010, "\xa7", 1));
	h_load(g_vm, g_peek_poke);
	v = h_vcpu(g_vm, 0);
	h_get_regs(&r, v);
	r.rsi = 0x2000;		/* ds = 0x2000: base 0x20000 */
	r.rbx = 0x10;
	r.rcx = 0x3c;
	h_set_regs(v, &r);
	/* The guest's read works... */
	h_run_expect_io(&ex, v, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0xa7);
	/* ...its write arrives as MMIO. */
	h_run_expect(&ex, v, LIBVM_EXIT_MMIO);
	cr_assert_eq(ex.u.mmio.gpa, 0x20010);
	cr_assert_eq(ex.u.mmio.size, 1);
	cr_assert_eq(ex.u.mmio.direction, LIBVM_WRITE);
	cr_assert_eq(ex.u.mmio.data[0], 0x3c);
	h_run_expect(&ex, v, LIBVM_EXIT_HLT);
	OK(libvm_mem_read(g_vm, 0x20010, &b, 1));
	cr_assert_eq(b, 0xa7, "the guest wrote to read-only memory");
}

struct rom_write {
	int calls;
	uint64_t addr;
	uint32_t size, dir;
	uint8_t val;
};

static int rom_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct rom_write *w = opaque;

	(void)vcpu;
	w->calls++;
	w->addr = addr;
	w->size = size;
	w->dir = direction;
	w->val = *(uint8_t *)data;
	return LIBVM_TRAP_CONTINUE;
}

Test(memory, readonly_region_write_trapped, .timeout = VCPU_TIMEOUT)
{
	struct rom_write w = { 0, 0, 0, 0, 0 };
	libvm_vcpu *v;
	libvm_exit ex;
	libvm_regs r;

	h_map_ram(g_vm, 0, 0x10000);
	OK(libvm_mem_map_anon(g_vm, 0x20000, 0x1000, LIBVM_MEM_READONLY));
	OK(libvm_trap_register(g_vm, LIBVM_TRAP_MMIO, 0x20000, 0x1000,
			       rom_trap, &w));
	h_load(g_vm, g_peek_poke);
	v = h_vcpu(g_vm, 0);
	h_get_regs(&r, v);
	r.rsi = 0x2000;
	r.rbx = 0x20;
	r.rcx = 0x5e;
	h_set_regs(v, &r);
	h_run_expect_io(&ex, v, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0, "read of RAM went to the trap");
	cr_assert_eq(w.calls, 0);
	h_run_expect(&ex, v, LIBVM_EXIT_HLT);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.addr, 0x20020);
	cr_assert_eq(w.size, 1);
	cr_assert_eq(w.dir, LIBVM_WRITE);
	cr_assert_eq(w.val, 0x5e);
}

Test(memory, readonly_fd_refuses_host_write, .timeout = VCPU_TIMEOUT)
{
	int fd = memfd(0x10000);
	uint8_t b[4], src[4] = { 1, 2, 3, 4 };
	libvm_vcpu *v;
	libvm_exit ex;
	libvm_regs r;

	cr_assert_eq(pwrite(fd, "ROM!", 4, 0x100), 4);
	OK(libvm_mem_map_fd(g_vm, 0x20000, fd, 0, 0x10000,
			    LIBVM_MEM_READONLY));
	OK(libvm_mem_read(g_vm, 0x20100, b, 4));
	cr_assert_arr_eq(b, "ROM!", 4);
	FAILS(libvm_mem_write(g_vm, 0x20100, src, 4), LIBVM_ERANGE);
	cr_assert_not_null(strstr(libvm_last_error(), "read-only"),
			   "detail: %s", libvm_last_error());
	/* Also when only part of the copy falls in the read-only region. */
	h_map_ram(g_vm, 0x10000, 0x10000);
	FAILS(libvm_mem_write(g_vm, 0x1fffe, src, 4), LIBVM_ERANGE);
	OK(libvm_mem_read(g_vm, 0x1fffe, b, 2));
	cr_assert_eq(h_le(b, 2), 0, "a refused write changed guest memory");
	cr_assert_eq(pread(fd, b, 4, 0x100), 4);
	cr_assert_arr_eq(b, "ROM!", 4);
	/* The guest reads it. */
	h_map_ram(g_vm, 0, 0x10000);
	h_load(g_vm, g_peek_poke);
	v = h_vcpu(g_vm, 0);
	h_get_regs(&r, v);
	r.rsi = 0x2000;
	r.rbx = 0x102;
	h_set_regs(v, &r);
	h_run_expect_io(&ex, v, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 'M');
	h_run_expect(&ex, v, LIBVM_EXIT_MMIO);
	cr_assert_eq(ex.u.mmio.gpa, 0x20102);
	cr_assert_eq(ex.u.mmio.direction, LIBVM_WRITE);
	close(fd);
}

Test(memory, memfd_sees_guest_writes, .timeout = VCPU_TIMEOUT)
{
	int fd = memfd(0x10000);
	libvm_vcpu *v;
	libvm_exit ex;
	libvm_regs r;
	uint8_t b = 0;

	cr_assert_eq(pwrite(fd, "\x42", 1, 0x345), 1);
	h_map_ram(g_vm, 0, 0x10000);
	OK(libvm_mem_map_fd(g_vm, 0x30000, fd, 0, 0x10000, 0));
	h_load(g_vm, g_peek_poke);
	v = h_vcpu(g_vm, 0);
	h_get_regs(&r, v);
	r.rsi = 0x3000;
	r.rbx = 0x345;
	r.rcx = 0xd7;
	h_set_regs(v, &r);
	h_run_expect_io(&ex, v, 0x10, 1, LIBVM_WRITE);
	cr_assert_eq(ex.u.io.data[0], 0x42, "guest did not see the file");
	h_run_expect(&ex, v, LIBVM_EXIT_HLT);
	cr_assert_eq(pread(fd, &b, 1, 0x345), 1);
	cr_assert_eq(b, 0xd7, "guest write not in the file");
	close(fd);
}

/* ---- page walks ---- */

#define P 1ull
#define W 2ull
#define U 4ull
#define PS 0x80ull
#define NX (1ull << 63)

static void pte(uint64_t table, unsigned idx, uint64_t val)
{
	uint8_t b[8];

	h_put_le(b, val, 8);
	OK(libvm_mem_write(g_vm, table + idx * 8ull, b, 8));
}

/*
 * Tables in the first 2 MiB: PML4 0x1000, PDPT 0x2000, PD 0x3000,
 * PT 0x4000, PD-no-U 0x5000, PT2 0x6000, PD-NX 0x7000, PD-no-W 0x8000.
 */
#define CR3 0x1000ull

static void build_tables(void)
{
	h_map_ram(g_vm, 0, 0x200000);
	pte(0x1000, 0, 0x2000 | P | W | U);
	pte(0x2000, 0, 0x3000 | P | W | U);	/* 0 - 1G */
	pte(0x2000, 1, 0x80000000ull | P | W | U | PS); /* 1G page */
	pte(0x2000, 2, 0x7000 | P | W | U | NX);	/* 2G - 3G */
	pte(0x2000, 3, 0x8000 | P | U);			/* 3G - 4G */
	pte(0x2000, 4, 0x5000 | P | W);			/* 4G - 5G */
	pte(0x3000, 1, 0x600000 | P | W | U | PS);	/* 2M page */
	pte(0x3000, 2, 0x4000 | P | W | U);		/* 4M: PT */
	pte(0x3000, 4, 0x10000000 | P | W | U);		/* PT not in RAM */
	pte(0x4000, 0, 0x5000 | P | W | U);
	pte(0x4000, 1, 0x9000 | P | U);			/* read-only */
	pte(0x4000, 2, 0xa000 | P | W | U | NX);
	pte(0x4000, 3, 0xb000 | P | W);			/* supervisor */
	pte(0x7000, 0, 0x400000 | P | W | U | PS);
	pte(0x8000, 0, 0x400000 | P | W | U | PS);
	pte(0x5000, 0, 0x6000 | P | W | U);
	pte(0x6000, 0, 0xc000 | P | W | U);
}

static void walk(uint64_t gva, uint64_t want_gpa, uint64_t want_size,
		 uint32_t want_flags)
{
	uint64_t gpa = 0, size = 0;
	uint32_t flags = 0xdead;

	OK(libvm_mem_translate(&gpa, &flags, &size, g_vm, CR3, gva));
	cr_assert_eq(gpa, want_gpa, "gva %#llx: gpa %#llx, want %#llx",
		     (unsigned long long)gva, (unsigned long long)gpa,
		     (unsigned long long)want_gpa);
	cr_assert_eq(size, want_size, "gva %#llx: page size %#llx",
		     (unsigned long long)gva, (unsigned long long)size);
	cr_assert_eq(flags, want_flags, "gva %#llx: flags %#x, want %#x",
		     (unsigned long long)gva, flags, want_flags);
}

#define FW LIBVM_PTE_WRITABLE
#define FU LIBVM_PTE_USER
#define FNX LIBVM_PTE_NX

Test(memory, translate_page_sizes)
{
	uint64_t gpa = 0;

	build_tables();
	walk(0x400123, 0x5123, 0x1000, FW | FU);		/* 4 KiB */
	walk(0x400fff, 0x5fff, 0x1000, FW | FU);
	walk(0x2abcde, 0x6abcde, 0x200000, FW | FU);		/* 2 MiB */
	walk(0x40012345, 0x80012345, 0x40000000, FW | FU);	/* 1 GiB */
	walk(0x7fffffff, 0xbfffffff, 0x40000000, FW | FU);
	/* flags and page_size may be NULL. */
	OK(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3, 0x400010));
	cr_assert_eq(gpa, 0x5010);
	/* CR3's low bits (PCID, PWT, PCD) are not part of the address. */
	OK(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3 | 0x18, 0x400010));
	cr_assert_eq(gpa, 0x5010);
	FAILS(libvm_mem_translate(NULL, NULL, NULL, g_vm, CR3, 0),
	      LIBVM_EINVAL);
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, NULL, CR3, 0),
	      LIBVM_EINVAL);
}

Test(memory, translate_flags_combine)
{
	build_tables();
	walk(0x401000, 0x9000, 0x1000, FU);			/* PTE no W */
	walk(0x402000, 0xa000, 0x1000, FW | FU | FNX);		/* PTE NX */
	walk(0x403000, 0xb000, 0x1000, FW);			/* PTE no U */
	walk(0x80000000, 0x400000, 0x200000, FW | FU | FNX);	/* PDPTE NX */
	walk(0xc0000000, 0x400000, 0x200000, FU);		/* PDPTE no W */
	walk(0x100000000ull, 0xc000, 0x1000, FW);		/* PDPTE no U */
}

Test(memory, translate_faults)
{
	uint64_t gpa = 0x1234;

	build_tables();
	/* Not present at each level. */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3,
				  0x8000000000ull), LIBVM_EFAULT); /* PML4 */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3,
				  0x140000000ull), LIBVM_EFAULT); /* PDPT */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3, 0x600000),
	      LIBVM_EFAULT);					  /* PD */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3, 0x404000),
	      LIBVM_EFAULT);					  /* PT */
	/* A canonical upper-half address that is not mapped. */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3,
				  0xffff800000000000ull), LIBVM_EFAULT);
	/* Non-canonical. */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3,
				  0x0000800000000000ull), LIBVM_EFAULT);
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3,
				  0x8000000000400123ull), LIBVM_EFAULT);
	cr_assert_not_null(strstr(libvm_last_error(), "canonical"),
			   "detail: %s", libvm_last_error());
	/* Tables outside guest RAM. */
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, CR3, 0x800000),
	      LIBVM_ERANGE);
	FAILS(libvm_mem_translate(&gpa, NULL, NULL, g_vm, 0x40000000, 0),
	      LIBVM_ERANGE);
	cr_assert_eq(gpa, 0x1234, "a failed walk wrote *gpa");
}
