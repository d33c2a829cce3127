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

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						     noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench/call: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_libvm(const char *what, int r)
{
	die("%s: %s: %s", what, libvm_strerror(r), libvm_last_error());
}

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
		die("%s: %s", path, strerror(errno));
	im->size = (size_t)st.st_size;
	im->file = malloc(im->size);
	if (!im->file || read(fd, im->file, im->size) != (ssize_t)im->size)
		die("read %s", path);
	close(fd);
	im->eh = (const Elf64_Ehdr *)(void *)im->file;
	if (im->size < sizeof(*im->eh) ||
	    memcmp(im->eh->e_ident, ELFMAG, SELFMAG) ||
	    im->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    im->eh->e_phoff + (uint64_t)im->eh->e_phnum * sizeof(Elf64_Phdr) >
		    im->size ||
	    im->eh->e_shoff + (uint64_t)im->eh->e_shnum * sizeof(Elf64_Shdr) >
		    im->size)
		die("%s: not the ELF64 image this program expects", path);
	im->lo = UINT64_MAX;
	im->hi = 0;
	for (i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(const void *)
			(im->file + im->eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset + ph->p_filesz > im->size)
			die("%s: segment %u outside the file", path, i);
		if (ph->p_vaddr < im->lo)
			im->lo = ph->p_vaddr;
		if (ph->p_vaddr + ph->p_memsz > im->hi)
			im->hi = ph->p_vaddr + ph->p_memsz;
	}
	if (im->lo >= im->hi)
		die("%s: no PT_LOAD segment", path);
	im->lo &= ~0xfffull;
	im->hi = ALIGN_UP(im->hi, 0x1000);
}

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
	die("guest image has no symbol %s", name);
}

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
		die("out of memory");
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
			die("native shell sort left the input unsorted");
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
		die("native fnv1a changed its mind");
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
		die("native sort changed its mind");
	return (double)t0 / 1e6;
}

static double native_madd(void *arg)
{
	struct native_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), r;

	r = work_madd(c->in->madd_n, c->in->madd_seed);
	t0 = bench_now_ns() - t0;
	if (r != c->in->madd_ref)
		die("native madd changed its mind");
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
		die_libvm("libvm_call", r);
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
		die_libvm("libvm_mem_map_anon", r);
	if ((r = libvm_image_load_file(&c->img, c->vm, path, 0)) < 0)
		die_libvm(path, r);
	if ((r = libvm_long_mode_setup(c->vm, &lm)) < 0)
		die_libvm("libvm_long_mode_setup", r);
	if ((r = libvm_scratch_set(c->vm, DATA_GPA, in->data_size)) < 0)
		die_libvm("libvm_scratch_set", r);
	if ((r = libvm_vcpu_create(&c->vcpu, c->vm, 0)) < 0)
		die_libvm("libvm_vcpu_create", r);
	if ((r = libvm_vcpu_set_long_mode(c->vcpu, libvm_image_entry(c->img),
					  ram_end(in))) < 0)
		die_libvm("libvm_vcpu_set_long_mode", r);
	for (w = 0; w < NWORK; w++)
		if ((r = libvm_image_symbol(&c->fn[w], c->img,
					    work_sym[w])) < 0)
			die_libvm(work_sym[w], r);
	if ((r = libvm_image_symbol(&c->noop, c->img, "work_noop")) < 0)
		die_libvm("work_noop", r);
	if ((r = libvm_scratch_push(&in->fnv_gva, c->vm, in->fnv_buf,
				    in->fnv_len)) < 0 ||
	    (r = libvm_scratch_push(&in->sort_gva, c->vm, in->sort_in,
				    in->sort_n * 4)) < 0)
		die_libvm("libvm_scratch_push", r);
	if ((r = libvm_mem_ptr(&p, c->vm, in->sort_gva, in->sort_n * 4)) < 0)
		die_libvm("libvm_mem_ptr", r);
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
		die("libvm fnv1a: %#llx, native %#llx", (unsigned long long)h,
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
		die_libvm("libvm_mem_write", r);
	t0 = bench_now_ns();
	lv_call(c, c->fn[W_SORT], c->in->sort_gva, c->in->sort_n,
		CALL_TIMEOUT_NS);
	t0 = bench_now_ns() - t0;
	if (memcmp(c->sort_view, c->in->sort_ref, c->in->sort_n * 4))
		die("libvm sort: result differs from native");
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
		die("libvm madd: result differs from native");
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
			die_libvm("libvm_call work_noop", r);
	}
	return (double)(bench_now_ns() - t0) / (double)c->calls;
}

/* ---- raw KVM: a 64-bit CPL3 guest looping on `out` ------------------------- */

/*
 * The guest is set up as libvm_vcpu_set_long_mode does (same GDT
 * descriptors, CR0/CR4/EFER, XCR0, 2 MiB user pages, IOPL 3, the host's
 * supported CPUID), minus what an `out` loop never uses (IDT, stacks).
 */
#define RAW_MEM		0x400000ull
#define RAW_PML4	0x1000
#define RAW_PDPT	0x2000
#define RAW_PD		0x3000
#define RAW_GDT		0x4000
#define RAW_TSS		0x5000
#define RAW_CODE	0x10000
#define RAW_PORT	0x0f11
#define SEL_UDATA	0x1b
#define SEL_UCODE	0x23
#define SEL_TSS		0x28

extern const unsigned char raw_guest[], raw_guest_end[];
__asm__(".pushsection .rodata\n"
	"raw_guest:\n"
	"	mov $0x0f11, %dx\n"
	"1:	out %eax, (%dx)\n"
	"	jmp 1b\n"
	"raw_guest_end:\n"
	".popsection\n");

struct raw_ctx {
	int kvm_fd, vm_fd, vcpu_fd;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
	uint64_t exits;
};

static void raw_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0)
		die("%s: %s", name, strerror(errno));
}

static struct kvm_segment raw_seg(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 3, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

static void raw_setup(struct raw_ctx *c)
{
	static const uint64_t gdt[5] = { 0, 0x00af9a000000ffffull,
					 0x00cf92000000ffffull,
					 0x00cff2000000ffffull,
					 0x00affa000000ffffull };
	struct kvm_userspace_memory_region slot;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs regs;
	uint64_t e, xcr0 = 0;
	uint32_t i;
	int r;
	void *p;

	c->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (c->kvm_fd < 0)
		die("open /dev/kvm: %s", strerror(errno));
	r = ioctl(c->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	c->run_size = (size_t)r;
	c->vm_fd = ioctl(c->kvm_fd, KVM_CREATE_VM, 0);
	if (c->vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	p = mmap(NULL, RAW_MEM, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	c->mem = p;
	e = RAW_PDPT | 7;
	memcpy(c->mem + RAW_PML4, &e, 8);
	e = RAW_PD | 7;
	memcpy(c->mem + RAW_PDPT, &e, 8);
	for (i = 0; i < RAW_MEM / MB2; i++) {
		e = i * MB2 + 0x87;
		memcpy(c->mem + RAW_PD + 8 * i, &e, 8);
	}
	memcpy(c->mem + RAW_GDT, gdt, sizeof(gdt));
	e = 0x67 | ((uint64_t)RAW_TSS << 16) | (0x89ull << 40);
	memcpy(c->mem + RAW_GDT + SEL_TSS, &e, 8);
	{
		uint16_t iopb = 104;

		memcpy(c->mem + RAW_TSS + 0x66, &iopb, 2);
	}
	memcpy(c->mem + RAW_CODE, raw_guest,
	       (size_t)(raw_guest_end - raw_guest));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAW_MEM,
		.userspace_addr = (uint64_t)(uintptr_t)p,
	};
	raw_ioctl(c->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot,
		  "KVM_SET_USER_MEMORY_REGION");
	c->vcpu_fd = ioctl(c->vm_fd, KVM_CREATE_VCPU, 0);
	if (c->vcpu_fd < 0)
		die("KVM_CREATE_VCPU: %s", strerror(errno));
	p = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->vcpu_fd, 0);
	if (p == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	c->run = p;

	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	if (!cpuid)
		die("out of memory");
	cpuid->nent = 256;
	raw_ioctl(c->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid,
		  "KVM_GET_SUPPORTED_CPUID");
	raw_ioctl(c->vcpu_fd, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
	for (i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *ce = &cpuid->entries[i];

		if (ce->function == 1 && !(ce->ecx & (1u << 26)))
			break;			/* no XSAVE */
		if (ce->function == 0xd && ce->index == 0)
			xcr0 = (ce->eax | ((uint64_t)ce->edx << 32)) & 0x2e7;
	}
	free(cpuid);
	if ((xcr0 & 0xe0) != 0xe0)
		xcr0 &= ~0xe0ull;
	if ((xcr0 & 3) != 3)
		xcr0 = 0;

	raw_ioctl(c->vcpu_fd, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	s.cs = raw_seg(SEL_UCODE, 11, true);
	s.ds = s.es = s.fs = s.gs = s.ss = raw_seg(SEL_UDATA, 3, false);
	s.tr = (struct kvm_segment){ .base = RAW_TSS, .limit = 0x67,
				     .selector = SEL_TSS, .type = 11,
				     .present = 1 };
	s.ldt = (struct kvm_segment){ .type = 2, .present = 1,
				      .unusable = 1 };
	s.gdt.base = RAW_GDT;
	s.gdt.limit = SEL_TSS + 15;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80010033;	/* PG WP NE ET MP PE */
	s.cr3 = RAW_PML4;
	s.cr4 = 0x620 | (xcr0 ? 1u << 18 : 0);	/* PAE OSFXSR OSXMMEXCPT */
	s.efer = 0xd01;		/* NXE LMA LME SCE */
	raw_ioctl(c->vcpu_fd, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
	if (xcr0) {
		struct kvm_xcrs x = { .nr_xcrs = 1 };

		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = xcr0;
		raw_ioctl(c->vcpu_fd, KVM_SET_XCRS, &x, "KVM_SET_XCRS");
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = RAW_CODE;
	regs.rflags = 0x3002;		/* IOPL 3 */
	raw_ioctl(c->vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void raw_teardown(struct raw_ctx *c)
{
	munmap(c->run, c->run_size);
	close(c->vcpu_fd);
	close(c->vm_fd);
	close(c->kvm_fd);
	munmap(c->mem, RAW_MEM);
}

/* ns per KVM_RUN round trip of one `out` exit. */
static double raw_exits(void *arg)
{
	struct raw_ctx *c = arg;
	struct kvm_run *run = c->run;
	uint64_t t0 = bench_now_ns(), i;

	for (i = 0; i < c->exits; i++) {
		if (ioctl(c->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("KVM_RUN: %s", strerror(errno));
		}
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.port != RAW_PORT ||
		    run->io.direction != KVM_EXIT_IO_OUT)
			die("raw guest: exit reason %u (port %#x), want OUT to "
			    "%#x", run->exit_reason,
			    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
			    RAW_PORT);
	}
	return (double)(bench_now_ns() - t0) / (double)c->exits;
}

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
		die("unicorn %s: %s", what, ucf.strerror(e));
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
		die("guest image at %#llx-%#llx overlaps the layout",
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
		die("out of memory");
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
		die("unicorn stopped at %#llx, not at the return address",
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
		die("unicorn fnv1a: %#llx, native %#llx",
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
		die("unicorn sort: result differs from native");
	return (double)t0 / 1e6;
}

static double uc_madd(void *arg)
{
	struct uc_ctx *c = arg;
	uint64_t t0 = bench_now_ns(), r;

	r = uc_call(c, c->fn[W_MADD], c->in->madd_n, c->in->madd_seed);
	t0 = bench_now_ns() - t0;
	if (r != c->in->madd_ref)
		die("unicorn madd: result differs from native");
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
		die("out of memory");

	r = libvm_vm_create(&lv.vm, NULL);
	have_lv = r == 0;
	if (r == LIBVM_ENOKVM)
		snprintf(lv_why, sizeof(lv_why), "no usable KVM (%s)",
			 libvm_last_error());
	else if (r < 0)
		die_libvm("libvm_vm_create", r);
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
