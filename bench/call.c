/* SPDX-License-Identifier: MIT */
/*
 * Guests as functions: libvm_call against its baselines, in one process
 * and run.
 *
 *   call_roundtrip  ns per libvm_call of an empty guest function (64-bit,
 *                   CPL3), against one bare KVM_RUN round trip of a
 *                   port-I/O exit from the same CPU mode: a guest built
 *                   here by hand with raw ioctls that loops on `out`.
 *                   call_roundtrip_timeout is the same call with a
 *                   timeout (a POSIX timer armed and disarmed per call).
 *   libvm_<work>    ms for a workload of bench/work_fns.h run as a guest
 *                   function (bench/guests/work.c), against the same
 *                   source compiled into this program (native_<work>).
 *   unicorn_<work>  ms for the same guest code bytes (the PT_LOAD
 *                   segments of work.elf) run by Unicorn, against
 *                   libvm_<work>: the ratio is libvm's speed-up.
 *                   unicorn_call is Unicorn's cost of running the empty
 *                   function, against call_roundtrip.
 *
 * The workloads: fnv1a (byte-wise FNV-1a over 16 MiB), sort (shell sort
 * of 200,000 int32s, the unsorted input copied in again before each round,
 * outside the timed region, on every side) and madd (a register-only
 * multiply-add recurrence, 50 million rounds); each side's result is
 * checked against the native one.  Native, libvm and Unicorn take turns
 * in each round, each round starting with the next of them.
 *
 * Without KVM the libvm figures are skip lines and the native and Unicorn
 * ones are printed without ratios.  Unicorn (libunicorn.so.2) is loaded
 * at run time, so this program builds and runs without it; its figures
 * are then skip lines.
 */
#include <libvm/libvm.h>

#define BENCH_PROG "bench/call"
#include "bench.h"
#include "work_fns.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<unicorn/unicorn.h>)
#include <unicorn/unicorn.h>
#define HAVE_UNICORN_H 1
#endif
#endif

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

/* Guest physical (= virtual) layout, the same in libvm and Unicorn. */
#define SYS_GPA		0x100000ull		/* libvm's tables */
#define DATA_GPA	0x1000000ull		/* buffers: 16 MiB up */
#define STACK_SIZE	0x200000ull
#define MB2		0x200000ull
#define CALL_TIMEOUT_NS	600000000000ull		/* 10 min: only a safety net */

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

/* ---- the guest image, read by hand for Unicorn ----------------------------- */

struct image {
	uint8_t *file;
	size_t size;
	const Elf64_Ehdr *eh;
	uint64_t lo, hi;		/* page-aligned extent of PT_LOAD */
};

static void image_read(struct image *im, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint16_t i;

	if (fd < 0 || fstat(fd, &st) < 0)
		bench_die("%s: %s", path, strerror(errno));
	im->size = (size_t)st.st_size;
	im->file = malloc(im->size);
	if (!im->file || read(fd, im->file, im->size) != (ssize_t)im->size)
		bench_die("read %s", path);
	close(fd);
	im->eh = (const Elf64_Ehdr *)(void *)im->file;
	if (im->size < sizeof(*im->eh) ||
	    memcmp(im->eh->e_ident, ELFMAG, SELFMAG) ||
	    im->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    im->eh->e_phoff + (uint64_t)im->eh->e_phnum * sizeof(Elf64_Phdr) >
		    im->size ||
	    im->eh->e_shoff + (uint64_t)im->eh->e_shnum * sizeof(Elf64_Shdr) >
		    im->size)
		bench_die("%s: not the ELF64 image this program expects", path);
	im->lo = UINT64_MAX;
	im->hi = 0;
	for (i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(const void *)
			(im->file + im->eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset + ph->p_filesz > im->size)
			bench_die("%s: segment %u outside the file", path, i);
		if (ph->p_vaddr < im->lo)
			im->lo = ph->p_vaddr;
		if (ph->p_vaddr + ph->p_memsz > im->hi)
			im->hi = ph->p_vaddr + ph->p_memsz;
	}
	if (im->lo >= im->hi)
		bench_die("%s: no PT_LOAD segment", path);
	im->lo &= ~0xfffull;
	im->hi = ALIGN_UP(im->hi, 0x1000);
}

#ifdef HAVE_UNICORN_H	/* its only user */
static uint64_t image_symbol(const struct image *im, const char *name)
{
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(const void *)
		(im->file + im->eh->e_shoff);
	uint16_t i;

	for (i = 0; i < im->eh->e_shnum; i++) {
		const Elf64_Shdr *str;
		const Elf64_Sym *sym;
		uint64_t n, k;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >=
		    im->eh->e_shnum)
			continue;
		str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > im->size ||
		    str->sh_offset + str->sh_size > im->size)
			break;
		sym = (const Elf64_Sym *)(const void *)
			(im->file + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(*sym);
		for (k = 0; k < n; k++)
			if (sym[k].st_name < str->sh_size &&
			    !strncmp((const char *)im->file + str->sh_offset +
					     sym[k].st_name,
				     name, str->sh_size - sym[k].st_name))
				return sym[k].st_value;
	}
	bench_die("guest image has no symbol %s", name);
}
#endif

/* ---- the workloads and their inputs ------------------------------------------ */

enum { W_FNV, W_SORT, W_MADD, NWORK };

static const char *const work_name[NWORK] = { "fnv1a", "sort", "madd" };
static const char *const work_sym[NWORK] = { "work_fnv1a", "work_shell_sort",
					     "work_madd" };

struct inputs {
	uint64_t fnv_len, sort_n, madd_n, madd_seed;
	uint8_t *fnv_buf;
	int32_t *sort_in;		/* unsorted */
	int32_t *sort_ref;		/* sorted by the native code */
	uint64_t fnv_ref, madd_ref;
	uint64_t fnv_gva, sort_gva;	/* where all guests hold them */
	uint64_t data_size;		/* bytes from DATA_GPA */
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void inputs_make(struct inputs *in)
{
	uint64_t s = 0x243f6a8885a308d3ull, i;

	in->fnv_len = bench_scaled(16ul << 20, 4096);
	in->sort_n = bench_scaled(200000, 1000);
	in->madd_n = bench_scaled(50000000, 1000);
	in->madd_seed = 12345;
	in->fnv_buf = malloc(in->fnv_len);
	in->sort_in = malloc(in->sort_n * 4);
	in->sort_ref = malloc(in->sort_n * 4);
	if (!in->fnv_buf || !in->sort_in || !in->sort_ref)
		bench_die("out of memory");
	for (i = 0; i < in->fnv_len; i++)
		in->fnv_buf[i] = (uint8_t)(xorshift(&s) >> 32);
	for (i = 0; i < in->sort_n; i++)
		in->sort_in[i] = (int32_t)(uint32_t)(xorshift(&s) >> 32);
	/* As libvm's scratch area places them; lv_setup says for sure. */
	in->fnv_gva = DATA_GPA;
	in->sort_gva = DATA_GPA + ALIGN_UP(in->fnv_len, 16);
	in->data_size = ALIGN_UP(ALIGN_UP(in->fnv_len, 4096) + in->sort_n * 4 +
				 4096, MB2);
	/* The reference results (and a first touch of the buffers). */
	in->fnv_ref = work_fnv1a(in->fnv_buf, in->fnv_len);
	memcpy(in->sort_ref, in->sort_in, in->sort_n * 4);
	work_shell_sort(in->sort_ref, in->sort_n);
	for (i = 1; i < in->sort_n; i++)
		if (in->sort_ref[i - 1] > in->sort_ref[i])
			bench_die("native shell sort left the input unsorted");
	in->madd_ref = work_madd(in->madd_n, in->madd_seed);
}

static uint64_t ram_end(const struct inputs *in)
{
	return DATA_GPA + in->data_size + STACK_SIZE;
}

/* ---- native ------------------------------------------------------------------ */

struct native_ctx {
	const struct inputs *in;
	int32_t *sort_buf;
};

static double native_fnv(void *arg)
{
	struct native_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), h;

	h = work_fnv1a(c->in->fnv_buf, c->in->fnv_len);
	t0 = bench_now_ns() - t0;
	if (h != c->in->fnv_ref)
		bench_die("native fnv1a changed its mind");
	return (double)t0 / 1e6;
}

static double native_sort(void *arg)
{
	struct native_ctx *c = arg;
	uint64_t t0;

	memcpy(c->sort_buf, c->in->sort_in, c->in->sort_n * 4);
	t0 = bench_now_ns();
	work_shell_sort(c->sort_buf, c->in->sort_n);
	t0 = bench_now_ns() - t0;
	if (memcmp(c->sort_buf, c->in->sort_ref, c->in->sort_n * 4))
		bench_die("native sort changed its mind");
	return (double)t0 / 1e6;
}

static double native_madd(void *arg)
{
	struct native_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), r;

	r = work_madd(c->in->madd_n, c->in->madd_seed);
	t0 = bench_now_ns() - t0;
	if (r != c->in->madd_ref)
		bench_die("native madd changed its mind");
	return (double)t0 / 1e6;
}

/* ---- libvm ------------------------------------------------------------------- */

struct lv_ctx {
	const struct inputs *in;
	libvm_vm *vm;
	libvm_vcpu *vcpu;
	libvm_image *img;
	uint64_t fn[NWORK], noop;
	uint64_t calls, timeout_ns;
	int32_t *sort_view;		/* guest RAM of the sort buffer */
};

static uint64_t lv_call(struct lv_ctx *c, uint64_t fn, uint64_t a0,
			uint64_t a1, uint64_t timeout_ns)
{
	uint64_t ret, args[2] = { a0, a1 };
	libvm_exit ex;
	int r = libvm_call(&ret, &ex, c->vcpu, fn, args, 2, timeout_ns);

	if (r < 0)
		bench_die_libvm("libvm_call", r);
	return ret;
}

/* Sets in's guest addresses to where the scratch area put the inputs. */
static void lv_setup(struct lv_ctx *c, struct inputs *in, const char *path)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	void *p;
	int r, w;

	c->in = in;
	lm.sys_gpa = SYS_GPA;
	if ((r = libvm_mem_map_anon(c->vm, 0, ram_end(in), 0)) < 0)
		bench_die_libvm("libvm_mem_map_anon", r);
	if ((r = libvm_image_load_file(&c->img, c->vm, path, 0)) < 0)
		bench_die_libvm(path, r);
	if ((r = libvm_long_mode_setup(c->vm, &lm)) < 0)
		bench_die_libvm("libvm_long_mode_setup", r);
	if ((r = libvm_scratch_set(c->vm, DATA_GPA, in->data_size)) < 0)
		bench_die_libvm("libvm_scratch_set", r);
	if ((r = libvm_vcpu_create(&c->vcpu, c->vm, 0)) < 0)
		bench_die_libvm("libvm_vcpu_create", r);
	if ((r = libvm_vcpu_set_long_mode(c->vcpu, libvm_image_entry(c->img),
					  ram_end(in))) < 0)
		bench_die_libvm("libvm_vcpu_set_long_mode", r);
	for (w = 0; w < NWORK; w++)
		if ((r = libvm_image_symbol(&c->fn[w], c->img,
					    work_sym[w])) < 0)
			bench_die_libvm(work_sym[w], r);
	if ((r = libvm_image_symbol(&c->noop, c->img, "work_noop")) < 0)
		bench_die_libvm("work_noop", r);
	if ((r = libvm_scratch_push(&in->fnv_gva, c->vm, in->fnv_buf,
				    in->fnv_len)) < 0 ||
	    (r = libvm_scratch_push(&in->sort_gva, c->vm, in->sort_in,
				    in->sort_n * 4)) < 0)
		bench_die_libvm("libvm_scratch_push", r);
	if ((r = libvm_mem_ptr(&p, c->vm, in->sort_gva, in->sort_n * 4)) < 0)
		bench_die_libvm("libvm_mem_ptr", r);
	c->sort_view = p;
}

static double lv_fnv(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), h;

	h = lv_call(c, c->fn[W_FNV], c->in->fnv_gva, c->in->fnv_len,
		    CALL_TIMEOUT_NS);
	t0 = bench_now_ns() - t0;
	if (h != c->in->fnv_ref)
		bench_die("libvm fnv1a: %#llx, native %#llx", (unsigned long long)h,
		    (unsigned long long)c->in->fnv_ref);
	return (double)t0 / 1e6;
}

static double lv_sort(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0;
	int r;

	r = libvm_mem_write(c->vm, c->in->sort_gva, c->in->sort_in,
			    c->in->sort_n * 4);
	if (r < 0)
		bench_die_libvm("libvm_mem_write", r);
	t0 = bench_now_ns();
	lv_call(c, c->fn[W_SORT], c->in->sort_gva, c->in->sort_n,
		CALL_TIMEOUT_NS);
	t0 = bench_now_ns() - t0;
	if (memcmp(c->sort_view, c->in->sort_ref, c->in->sort_n * 4))
		bench_die("libvm sort: result differs from native");
	return (double)t0 / 1e6;
}

static double lv_madd(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), r;

	r = lv_call(c, c->fn[W_MADD], c->in->madd_n, c->in->madd_seed,
		    CALL_TIMEOUT_NS);
	t0 = bench_now_ns() - t0;
	if (r != c->in->madd_ref)
		bench_die("libvm madd: result differs from native");
	return (double)t0 / 1e6;
}

/* ns per call of the empty function. */
static double lv_noop(void *arg)
{
	struct lv_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), i, ret;
	int r;

	for (i = 0; i < c->calls; i++) {
		r = libvm_call(&ret, NULL, c->vcpu, c->noop, NULL, 0,
			       c->timeout_ns);
		if (r < 0)
			bench_die_libvm("libvm_call work_noop", r);
	}
	return (double)(bench_now_ns() - t0) / (double)c->calls;
}

#include "raw64.h"

/* ---- Unicorn ----------------------------------------------------------------- */

#ifdef HAVE_UNICORN_H
#define UC_RET_ADDR	0x1000ull	/* a page of HLT: the calls end here */

static struct {
	__typeof__(uc_open) *open;
	__typeof__(uc_close) *close;
	__typeof__(uc_mem_map) *mem_map;
	__typeof__(uc_mem_write) *mem_write;
	__typeof__(uc_mem_read) *mem_read;
	__typeof__(uc_reg_write) *reg_write;
	__typeof__(uc_reg_read) *reg_read;
	__typeof__(uc_emu_start) *emu_start;
	__typeof__(uc_strerror) *strerror;
} ucf;

struct uc_ctx {
	const struct inputs *in;
	uc_engine *uc;
	uint64_t fn[NWORK], noop;
	uint64_t calls;
	int32_t *sort_out;
};

static void uc_check(uc_err e, const char *what)
{
	if (e != UC_ERR_OK)
		bench_die("unicorn %s: %s", what, ucf.strerror(e));
}

/* False, with the reason in why, when Unicorn cannot be loaded. */
static bool uc_load(char *why, size_t n)
{
	void *h = dlopen("libunicorn.so.2", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(why, n, "libunicorn.so.2 not loadable (%s)",
			 dlerror());
		return false;
	}
#define SYM(f)                                                                \
	do {                                                                  \
		void *s_ = dlsym(h, "uc_" #f);                                \
		if (!s_) {                                                    \
			snprintf(why, n, "libunicorn.so.2 has no uc_" #f);    \
			return false;                                         \
		}                                                             \
		memcpy(&ucf.f, &s_, sizeof(s_));                              \
	} while (0)
	SYM(open);
	SYM(close);
	SYM(mem_map);
	SYM(mem_write);
	SYM(mem_read);
	SYM(reg_write);
	SYM(reg_read);
	SYM(emu_start);
	SYM(strerror);
#undef SYM
	return true;
}

static void uc_setup(struct uc_ctx *c, const struct inputs *in,
		     const struct image *im)
{
	static const uint8_t hlt_page[16] = { 0xf4 };
	uint16_t i;
	int w;

	c->in = in;
	uc_check(ucf.open(UC_ARCH_X86, UC_MODE_64, &c->uc), "uc_open");
	uc_check(ucf.mem_map(c->uc, UC_RET_ADDR, 0x1000, UC_PROT_ALL),
		 "map return page");
	uc_check(ucf.mem_write(c->uc, UC_RET_ADDR, hlt_page,
			       sizeof(hlt_page)), "write return page");
	if (im->lo < UC_RET_ADDR + 0x1000 || im->hi > DATA_GPA)
		bench_die("guest image at %#llx-%#llx overlaps the layout",
		    (unsigned long long)im->lo, (unsigned long long)im->hi);
	uc_check(ucf.mem_map(c->uc, im->lo, im->hi - im->lo, UC_PROT_ALL),
		 "map image");
	for (i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(const void *)
			(im->file + im->eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && ph->p_filesz)
			uc_check(ucf.mem_write(c->uc, ph->p_vaddr,
					       im->file + ph->p_offset,
					       ph->p_filesz),
				 "write segment");
	}
	uc_check(ucf.mem_map(c->uc, DATA_GPA, in->data_size + STACK_SIZE,
			     UC_PROT_READ | UC_PROT_WRITE), "map data");
	uc_check(ucf.mem_write(c->uc, in->fnv_gva, in->fnv_buf, in->fnv_len),
		 "write fnv1a input");
	for (w = 0; w < NWORK; w++)
		c->fn[w] = image_symbol(im, work_sym[w]);
	c->noop = image_symbol(im, "work_noop");
	c->sort_out = malloc(in->sort_n * 4);
	if (!c->sort_out)
		bench_die("out of memory");
}

/* Run fn(a0, a1) to its return to UC_RET_ADDR; returns RAX. */
static uint64_t uc_call(struct uc_ctx *c, uint64_t fn, uint64_t a0,
			uint64_t a1)
{
	uint64_t rsp = ram_end(c->in) - 8, ret = UC_RET_ADDR, rax = 0;

	uc_check(ucf.mem_write(c->uc, rsp, &ret, 8), "push return address");
	uc_check(ucf.reg_write(c->uc, UC_X86_REG_RSP, &rsp), "set rsp");
	uc_check(ucf.reg_write(c->uc, UC_X86_REG_RDI, &a0), "set rdi");
	uc_check(ucf.reg_write(c->uc, UC_X86_REG_RSI, &a1), "set rsi");
	uc_check(ucf.emu_start(c->uc, fn, UC_RET_ADDR, 0, 0), "uc_emu_start");
	uc_check(ucf.reg_read(c->uc, UC_X86_REG_RIP, &ret), "read rip");
	if (ret != UC_RET_ADDR)
		bench_die("unicorn stopped at %#llx, not at the return address",
		    (unsigned long long)ret);
	uc_check(ucf.reg_read(c->uc, UC_X86_REG_RAX, &rax), "read rax");
	return rax;
}

static double uc_fnv(void *arg)
{
	struct uc_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), h;

	h = uc_call(c, c->fn[W_FNV], c->in->fnv_gva, c->in->fnv_len);
	t0 = bench_now_ns() - t0;
	if (h != c->in->fnv_ref)
		bench_die("unicorn fnv1a: %#llx, native %#llx",
		    (unsigned long long)h, (unsigned long long)c->in->fnv_ref);
	return (double)t0 / 1e6;
}

static double uc_sort(void *arg)
{
	struct uc_ctx *c = arg;
	uint64_t t0;

	uc_check(ucf.mem_write(c->uc, c->in->sort_gva, c->in->sort_in,
			       c->in->sort_n * 4), "write sort input");
	t0 = bench_now_ns();
	uc_call(c, c->fn[W_SORT], c->in->sort_gva, c->in->sort_n);
	t0 = bench_now_ns() - t0;
	uc_check(ucf.mem_read(c->uc, c->in->sort_gva, c->sort_out,
			      c->in->sort_n * 4), "read sort output");
	if (memcmp(c->sort_out, c->in->sort_ref, c->in->sort_n * 4))
		bench_die("unicorn sort: result differs from native");
	return (double)t0 / 1e6;
}

static double uc_madd(void *arg)
{
	struct uc_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), r;

	r = uc_call(c, c->fn[W_MADD], c->in->madd_n, c->in->madd_seed);
	t0 = bench_now_ns() - t0;
	if (r != c->in->madd_ref)
		bench_die("unicorn madd: result differs from native");
	return (double)t0 / 1e6;
}

static double uc_noop(void *arg)
{
	struct uc_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), i;

	for (i = 0; i < c->calls; i++)
		uc_call(c, c->noop, 0, 0);
	return (double)(bench_now_ns() - t0) / (double)c->calls;
}
#endif /* HAVE_UNICORN_H */

/* ---- rounds ------------------------------------------------------------------- */

/*
 * Up to three sides (NULL fn: absent) take turns, each round starting with
 * the next side, so none always follows the same one; one warm-up round
 * (page faults, Unicorn's translation) is not counted.
 */
static void interleave3(double med[3], int rounds, bench_round_fn fn[3],
			void *ctx[3])
{
	static double v[3][BENCH_MAX_ROUNDS];
	int i, k;

	for (k = 0; k < 3; k++)
		if (fn[k])
			fn[k](ctx[k]);
	for (i = 0; i < rounds; i++)
		for (k = 0; k < 3; k++) {
			int s = (i + k) % 3;

			if (fn[s])
				v[s][i] = fn[s](ctx[s]);
		}
	for (k = 0; k < 3; k++)
		med[k] = fn[k] ? bench_median(v[k], rounds) : NAN;
}

int main(void)
{
	const char *path = LIBVM_GUEST_DIR "/work.elf";
	static const char *const lv_names[] = {
		"raw_call_exit", "call_roundtrip", "call_roundtrip_timeout",
		"libvm_fnv1a", "libvm_sort", "libvm_madd", NULL,
	};
	static const char *const uc_names[] = {
		"unicorn_call", "unicorn_fnv1a", "unicorn_sort", "unicorn_madd",
		NULL,
	};
	bench_round_fn native_fn[NWORK] = { native_fnv, native_sort,
					    native_madd };
	bench_round_fn lv_fn[NWORK] = { lv_fnv, lv_sort, lv_madd };
	int rounds = bench_rounds(), r, w;
	struct inputs in = { 0 };
	struct native_ctx nc = { &in, NULL };
	struct lv_ctx lv = { 0 };
	struct image im;
	char lv_why[512], uc_why[512];
	bool have_lv, have_uc = false;
	const char *const *n;
#ifdef HAVE_UNICORN_H
	bench_round_fn uc_fn[NWORK] = { uc_fnv, uc_sort, uc_madd };
	struct uc_ctx uc = { 0 };
#endif

	if (rounds < 1)
		rounds = 1;
	inputs_make(&in);
	image_read(&im, path);
	nc.sort_buf = malloc(in.sort_n * 4);
	if (!nc.sort_buf)
		bench_die("out of memory");

	r = libvm_vm_create(&lv.vm, NULL);
	have_lv = r == 0;
	if (r == LIBVM_ENOKVM)
		snprintf(lv_why, sizeof(lv_why), "no usable KVM (%s)",
			 libvm_last_error());
	else if (r < 0)
		bench_die_libvm("libvm_vm_create", r);
	if (have_lv)
		lv_setup(&lv, &in, path);
	else
		for (n = lv_names; *n; n++)
			bench_skip(*n, lv_why);

#ifdef HAVE_UNICORN_H
	have_uc = uc_load(uc_why, sizeof(uc_why));
	if (have_uc)
		uc_setup(&uc, &in, &im);
#else
	snprintf(uc_why, sizeof(uc_why), "built without <unicorn/unicorn.h> "
		 "(libunicorn-dev)");
#endif
	if (!have_uc)
		for (n = uc_names; *n; n++)
			bench_skip(*n, uc_why);

	if (have_lv) {
		struct raw_ctx raw = { 0 };
		double v, b;

		raw.exits = lv.calls = bench_scaled(1000, 4);
		bench_header("call_roundtrip: libvm_call of an empty 64-bit "
			     "CPL3 guest function vs one KVM_RUN round trip "
			     "of an OUT exit from a raw CPL3 guest; %llu per "
			     "round, %d rounds, median ns each",
			     (unsigned long long)lv.calls, rounds);
		raw_setup(&raw);
		raw_exits(&raw);
		lv.timeout_ns = 0;
		lv_noop(&lv);
		bench_interleave(&v, &b, rounds, lv_noop, &lv, raw_exits,
				 &raw);
		bench_report("raw_call_exit", b, "ns");
		bench_report_vs("call_roundtrip", v, "ns", "raw_call_exit", b);
		lv.timeout_ns = CALL_TIMEOUT_NS;
		bench_interleave(&v, &b, rounds, lv_noop, &lv, raw_exits,
				 &raw);
		bench_report_vs("call_roundtrip_timeout", v, "ns",
				"raw_call_exit", b);
		raw_teardown(&raw);
#ifdef HAVE_UNICORN_H
		if (have_uc) {
			uc.calls = lv.calls;
			bench_interleave(&v, &b, rounds, uc_noop, &uc, lv_noop,
					 &lv);
			bench_report_vs("unicorn_call", v, "ns",
					"call_roundtrip", b);
		}
#endif
	}
#ifdef HAVE_UNICORN_H
	else if (have_uc) {
		bench_round_fn fn[3] = { NULL, NULL, uc_noop };
		void *ctx[3] = { NULL, NULL, &uc };
		double med[3];

		uc.calls = bench_scaled(1000, 4);
		interleave3(med, rounds, fn, ctx);
		bench_report("unicorn_call", med[2], "ns");
	}
#endif

	bench_header("workloads: fnv1a over %llu bytes, shell sort of %llu "
		     "int32s, madd %llu rounds; native / libvm_call / "
		     "Unicorn in turn, %d rounds, median ms each",
		     (unsigned long long)in.fnv_len,
		     (unsigned long long)in.sort_n,
		     (unsigned long long)in.madd_n, rounds);
	for (w = 0; w < NWORK; w++) {
		bench_round_fn fn[3] = { native_fn[w], NULL, NULL };
		void *ctx[3] = { &nc, &lv, NULL };
		char nname[64], lname[64], uname[64];
		double med[3];

		if (have_lv)
			fn[1] = lv_fn[w];
#ifdef HAVE_UNICORN_H
		if (have_uc) {
			fn[2] = uc_fn[w];
			ctx[2] = &uc;
		}
#endif
		interleave3(med, rounds, fn, ctx);
		snprintf(nname, sizeof(nname), "native_%s", work_name[w]);
		snprintf(lname, sizeof(lname), "libvm_%s", work_name[w]);
		snprintf(uname, sizeof(uname), "unicorn_%s", work_name[w]);
		bench_report(nname, med[0], "ms");
		if (have_lv)
			bench_report_vs(lname, med[1], "ms", nname, med[0]);
		if (have_uc && have_lv)
			bench_report_vs(uname, med[2], "ms", lname, med[1]);
		else if (have_uc)
			bench_report(uname, med[2], "ms");
	}

#ifdef HAVE_UNICORN_H
	if (have_uc)
		ucf.close(uc.uc);
	free(uc.sort_out);
#endif
	if (have_lv) {
		libvm_image_destroy(lv.img);
		libvm_vm_destroy(lv.vm);
	}
	free(nc.sort_buf);
	free(in.fnv_buf);
	free(in.sort_in);
	free(in.sort_ref);
	free(im.file);
	return 0;
}
