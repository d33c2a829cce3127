/* SPDX-License-Identifier: MIT */
/*
 * libvm_image_load_*: placement, BSS, entry, extent and symbols of real
 * images (tests/elf/, built 64- and 32-bit), and the malformed corpus of
 * elf_corpus.h, which must leave guest RAM untouched.  The parser alone is
 * tested without KVM in tests/unit/test_elf_parse.c.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_corpus.h"
#include "fifo.h"
#include "helpers.h"
#include "tmpdir.h"

#define LD_RAM (4u << 20)	/* the tests/elf images sit at 1 MiB */

static libvm_vm *vm;
static char dir[4096];	/* a test's temporary directory, if it made one */

static void ld_setup(void)
{
	vm = h_vm_create(NULL);
	/* Two adjacent regions; the first is elf_corpus.h's RAM. */
	h_map_ram(vm, 0, EC_RAM);
	h_map_ram(vm, EC_RAM, LD_RAM - EC_RAM);
}

static void ld_teardown(void)
{
	libvm_vm_destroy(vm);
	vm = NULL;
	h_rmtree(dir);
}

TestSuite(loader, .init = ld_setup, .fini = ld_teardown, .timeout = 60);

static void fill_ram(uint8_t v)
{
	uint8_t *buf = malloc(LD_RAM);

	cr_assert_not_null(buf);
	memset(buf, v, LD_RAM);
	OK(libvm_mem_write(vm, 0, buf, LD_RAM));
	free(buf);
}

static uint64_t hash_ram(size_t size)
{
	uint64_t *buf = malloc(size), h = 0xcbf29ce484222325ull;
	size_t i;

	cr_assert_not_null(buf);
	OK(libvm_mem_read(vm, 0, buf, size));
	for (i = 0; i < size / 8; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	free(buf);
	return h;
}

static void built_path(char *path, size_t size, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	cr_assert_gt(n, 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, size, "%s/elf/%s", exe, name);
}

/* Program header i of a (valid) image, as 64-bit fields. */
static void phdr(Elf64_Phdr *ph, const uint8_t *img, unsigned i)
{
	if (img[EI_CLASS] == ELFCLASS64) {
		const Elf64_Ehdr *eh = (const void *)img;

		memcpy(ph, img + eh->e_phoff + i * sizeof(*ph), sizeof(*ph));
	} else {
		const Elf32_Ehdr *eh = (const void *)img;
		Elf32_Phdr p;

		memcpy(&p, img + eh->e_phoff + i * sizeof(p), sizeof(p));
		*ph = (Elf64_Phdr){ .p_type = p.p_type, .p_flags = p.p_flags,
			.p_offset = p.p_offset, .p_vaddr = p.p_vaddr,
			.p_paddr = p.p_paddr, .p_filesz = p.p_filesz,
			.p_memsz = p.p_memsz };
	}
}

/*
 * A copy of the image at the start of a sparse 1 GiB file (the loader's
 * limit), in the test's temporary directory.
 */
static void sparse_copy(char *out, size_t size, const uint8_t *img,
			size_t len)
{
	int fd;

	h_tmpdir(dir, sizeof(dir), "loader");
	snprintf(out, size, "%s/sparse.elf", dir);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s", out);
	cr_assert_eq(write(fd, img, len), (ssize_t)len);
	cr_assert_eq(ftruncate(fd, 1ll << 30), 0);
	close(fd);
}

enum { FROM_MEM, FROM_FILE, FROM_SPARSE_FILE };

static void check_loaded(const char *name, unsigned class, int from)
{
	char path[PATH_MAX + 64], sparse[4200];
	uint64_t rchar = 0;
	libvm_image *img = NULL;
	uint64_t lo, hi, a, want_lo = ~0ull, want_hi = 0;
	unsigned i, phnum, nload = 0;
	uint32_t data[4];
	uint8_t *file, *got;
	size_t len;
	char ro[17];

	built_path(path, sizeof(path), name);
	file = h_read_file(path, &len);
	fill_ram(0xff);
	if (from == FROM_FILE) {
		OK(libvm_image_load_file(&img, vm, path, 0));
	} else if (from == FROM_SPARSE_FILE) {
		sparse_copy(sparse, sizeof(sparse), file, len);
		rchar = h_io_rchar();
		OK(libvm_image_load_file(&img, vm, sparse, 0));
		rchar = h_io_rchar() - rchar;
		/* The headers and the segments, not the 1 GiB. */
		cr_assert_leq(rchar, 2 * len, "%llu bytes read to load a "
			      "%zu-byte image from a 1 GiB file",
			      (unsigned long long)rchar, len);
	} else {
		OK(libvm_image_load_mem(&img, vm, file, len, 0));
	}
	cr_assert_not_null(img);
	cr_assert_eq(libvm_image_class(img), class);
	phnum = class == 64 ? ((Elf64_Ehdr *)(void *)file)->e_phnum
			    : ((Elf32_Ehdr *)(void *)file)->e_phnum;
	for (i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		uint64_t j;

		phdr(&ph, file, i);
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		nload++;
		got = malloc(ph.p_memsz);
		cr_assert_not_null(got);
		OK(libvm_mem_read(vm, ph.p_paddr, got, ph.p_memsz));
		cr_assert_eq(memcmp(got, file + ph.p_offset, ph.p_filesz), 0,
			     "%s: segment %u differs", name, i);
		for (j = ph.p_filesz; j < ph.p_memsz; j++)
			cr_assert_eq(got[j], 0, "%s: segment %u: BSS byte "
				     "%#llx is %#x", name, i,
				     (unsigned long long)j, got[j]);
		free(got);
		if (ph.p_paddr < want_lo)
			want_lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > want_hi)
			want_hi = ph.p_paddr + ph.p_memsz;
	}
	cr_assert_gt(nload, 1);
	OK(libvm_image_extent(&lo, &hi, img));
	cr_assert_eq(lo, want_lo);
	cr_assert_eq(hi, want_hi);
	/* Guest RAM around the image is untouched. */
	OK(libvm_mem_read(vm, lo - 16, data, 16));
	for (i = 0; i < 4; i++)
		cr_assert_eq(data[i], 0xffffffffu);
	OK(libvm_image_symbol(&a, img, "_start"));
	cr_assert_eq(a, libvm_image_entry(img));
	OK(libvm_image_symbol(&a, img, "elf_data"));
	OK(libvm_mem_read(vm, a, data, sizeof(data)));
	cr_assert_eq(data[0], 0x11223344u);
	cr_assert_eq(data[3], 0xddeeff00u);
	OK(libvm_image_symbol(&a, img, "elf_rodata"));
	OK(libvm_mem_read(vm, a, ro, sizeof(ro)));
	cr_assert_str_eq(ro, "libvm-elf-rodata");
	OK(libvm_image_symbol(&a, img, "elf_bss"));
	got = malloc(8192);
	OK(libvm_mem_read(vm, a, got, 8192));
	for (i = 0; i < 8192; i++)
		cr_assert_eq(got[i], 0, "elf_bss[%u] = %#x", i, got[i]);
	free(got);
	FAILS(libvm_image_symbol(&a, img, "no_such_symbol"), LIBVM_ENOENT);
	libvm_image_destroy(img);
	free(file);
}

Test(loader, elf64_file) { check_loaded("hello-64.elf", 64, FROM_FILE); }
Test(loader, elf32_file) { check_loaded("hello-32.elf", 32, FROM_FILE); }
Test(loader, elf64_mem) { check_loaded("hello-64.elf", 64, FROM_MEM); }
Test(loader, elf32_mem) { check_loaded("hello-32.elf", 32, FROM_MEM); }
/* The file's size costs nothing: only headers and segments are read. */
Test(loader, elf64_sparse_1g_file)
{
	check_loaded("hello-64.elf", 64, FROM_SPARSE_FILE);
}
Test(loader, elf32_sparse_1g_file)
{
	check_loaded("hello-32.elf", 32, FROM_SPARSE_FILE);
}

Test(loader, synthetic_both_classes)
{
	unsigned class;

	for (class = 32; class <= 64; class += 32) {
		uint8_t buf[EC_MAX], got[EC_DATA_MEMSZ];
		libvm_image *img = NULL;
		struct ec_spec s;
		uint64_t a;
		size_t len, i;

		ec_default(&s, class);
		len = ec_build(buf, &s);
		fill_ram(0xff);
		OK(libvm_image_load_mem(&img, vm, buf, len, 0));
		OK(libvm_mem_read(vm, EC_DATA, got, sizeof(got)));
		for (i = 0; i < sizeof(got); i++)
			cr_assert_eq(got[i], i < 0x80 ? ec_byte(1, i) : 0);
		OK(libvm_mem_read(vm, EC_TEXT, got, 0x101));
		for (i = 0; i < 0x100; i++)
			cr_assert_eq(got[i], ec_byte(0, i));
		cr_assert_eq(got[0x100], 0xff);
		OK(libvm_image_symbol(&a, img, "ec_data"));
		cr_assert_eq(a, EC_DATA);
		libvm_image_destroy(img);
	}
}

Test(loader, malformed_leaves_ram_alone)
{
	uint64_t before;
	size_t i;

	fill_ram(0xa5);
	/* Leave exactly the RAM the corpus was written against. */
	OK(libvm_mem_unmap(vm, EC_RAM));
	before = hash_ram(EC_RAM);
	for (i = 0; i < sizeof(ec_cases) / sizeof(ec_cases[0]); i++) {
		const struct ec_case *c = &ec_cases[i];
		libvm_image *img = (libvm_image *)&img;
		uint8_t buf[EC_MAX];
		size_t len = ec_case_build(buf, c);
		int r = libvm_image_load_mem(&img, vm, buf, len, 0);

		cr_expect_eq(r, LIBVM_EIMAGE, "%s: %d (%s)", c->name, r,
			     libvm_last_error());
		cr_expect_null(img, "%s", c->name);
		if (r == 0)
			libvm_image_destroy(img);
		cr_expect(strstr(libvm_last_error(), c->msg),
			  "%s: \"%s\" lacks \"%s\"", c->name,
			  libvm_last_error(), c->msg);
		cr_assert_eq(hash_ram(EC_RAM), before, "%s changed guest RAM",
			     c->name);
	}
}

/* A segment that would straddle the end of RAM: nothing written. */
Test(loader, outside_ram_writes_nothing)
{
	uint8_t buf[EC_MAX];
	libvm_image *img = NULL;
	struct ec_spec s;
	uint64_t before;
	size_t len;

	ec_default(&s, 64);
	s.seg[1].paddr = LD_RAM - 0x1000;	/* segment 0 is fine */
	len = ec_build(buf, &s);
	fill_ram(0x5a);
	before = hash_ram(LD_RAM);
	FAILS(libvm_image_load_mem(&img, vm, buf, len, 0), LIBVM_EIMAGE);
	cr_assert(strstr(libvm_last_error(), "segment 1"), "%s",
		  libvm_last_error());
	cr_assert_eq(hash_ram(LD_RAM), before);
}

Test(loader, bad_arguments_and_files)
{
	char path[PATH_MAX + 64];
	libvm_image *img = NULL;
	int fds = h_count_fds();

	FAILS(libvm_image_load_file(&img, vm, "/nonexistent/image.elf", 0),
	      LIBVM_EIO);
	cr_assert(strstr(libvm_last_error(), "/nonexistent/image.elf"));
	FAILS(libvm_image_load_file(&img, vm, "/proc/self", 0), LIBVM_EIO);
	FAILS(libvm_image_load_file(&img, vm, "/dev/null", 0), LIBVM_EIO);
	FAILS(libvm_image_load_file(NULL, vm, "/dev/null", 0), LIBVM_EINVAL);
	FAILS(libvm_image_load_mem(&img, NULL, "", 0, 0), LIBVM_EINVAL);
	FAILS(libvm_image_load_mem(&img, vm, "", 0, 0), LIBVM_EIMAGE);
	built_path(path, sizeof(path), "hello-64.elf");
	FAILS(libvm_image_load_file(&img, vm, path, 0x100), LIBVM_EINVAL);
	cr_assert_null(img);
	cr_assert_eq(h_count_fds(), fds);
	libvm_image_destroy(NULL);
}

static int load_path(const char *path, void *v)
{
	libvm_image *img = (libvm_image *)&img;
	int r = libvm_image_load_file(&img, v, path, 0);

	cr_assert_null(img);
	return r;
}

/* A FIFO is refused at once, like /dev/null, not waited on in open(). */
Test(loader, fifo_refused_without_blocking)
{
	char path[4200], devnull[512], msg[512];
	int fds = h_count_fds();

	FAILS(load_path("/dev/null", vm), LIBVM_EIO);
	snprintf(devnull, sizeof(devnull), "%s", libvm_last_error());
	cr_assert(strstr(devnull, "not a regular file"), "%s", devnull);
	h_tmpdir(dir, sizeof(dir), "loader");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	FAILS(h_fifo_refused(path, load_path, vm, msg), LIBVM_EIO);
	cr_assert(strstr(msg, path), "%s", msg);
	cr_assert(strstr(msg, "not a regular file (it is a FIFO)"), "%s", msg);
	cr_assert_eq(h_count_fds(), fds);
}
