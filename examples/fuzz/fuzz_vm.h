/* SPDX-License-Identifier: MIT */
/*
 * The host side both fuzzing harnesses share (and bench/reset.c): build a
 * long-mode VM around a coverage-instrumented guest, map the fuzzer's
 * coverage memory into it, point the guest's libvm_cov_map at it, and
 * take the snapshot every input starts from.
 *
 * Guest physical (= virtual) layout:
 *   0 .. 64 MiB        RAM: the ELF image (0x400000 up), libvm's tables
 *                      at 1 MiB, the input at 32 MiB, the stack below
 *                      64 MiB
 *   64 MiB ..          the fuzzer's coverage map, LIBVM_MEM_VOLATILE: not
 *                      part of the snapshot, so restores leave it alone
 *   65 MiB ..          the comparison log (<libvm/cmplog.h>), 16 KiB,
 *                      volatile too: the operands of the compares the
 *                      guest's last input failed, for the harness to hand
 *                      to the fuzzer
 *
 * To fuzz your own guest, set LIBVM_FUZZ_GUEST (the ELF) and
 * LIBVM_FUZZ_FN (a function int64_t fn(const uint8_t *data, size_t len)
 * exported with LIBVM_EXPORT); LIBVM_FUZZ_TIMEOUT_MS is the time budget
 * of one input (default 1000); LIBVM_FUZZ_CMP_SLOTS=0 or 1 turns the
 * guest's value-profile slots in the coverage map off or on.
 */
#ifndef LIBVM_EXAMPLES_FUZZ_VM_H
#define LIBVM_EXAMPLES_FUZZ_VM_H

#include <libvm/libvm.h>
#include <libvm/cmplog.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

#define FUZZ_RAM_SIZE	(64ull << 20)
#define FUZZ_SYS_GPA	0x100000ull
#define FUZZ_INPUT_GPA	(32ull << 20)
#define FUZZ_INPUT_CAP	(1ull << 20)
#define FUZZ_STACK_TOP	FUZZ_RAM_SIZE
#define FUZZ_COV_GPA	FUZZ_RAM_SIZE
#define FUZZ_CMP_GPA	(FUZZ_RAM_SIZE + (1ull << 20))
#define FUZZ_CMP_SIZE	16384ull

struct fuzz_vm {
	libvm_vm *vm;
	libvm_snapshot *snap;
	uint64_t fn;			/* the guest function */
	struct libvm_cmp_log *cmp;	/* NULL if the guest has no log */
	int no_cmp_slots;		/* set before setup: edges only */
	int cmp_log;			/* set before setup: the comparison
					   log even without a coverage map */
	uint64_t timeout_ns;
	const char *path, *fn_name;
};

static inline const char *fuzz_outcome_name(uint32_t outcome)
{
	static const char *const names[] = { "OK", "CRASH", "TRIPLE_FAULT",
					     "TIMEOUT", "BUG", "STOPPED" };

	return outcome < sizeof(names) / sizeof(names[0]) ? names[outcome]
							  : "?";
}

static inline int fuzz_vm_fail(const char *what, int r)
{
	fprintf(stderr, "fuzz: %s: %s: %s\n", what, libvm_strerror(r),
		libvm_last_error());
	return r;
}

/*
 * Set f up for the guest at $LIBVM_FUZZ_GUEST (default target.cov.elf)
 * and its function $LIBVM_FUZZ_FN (default fuzz_target); cov (page
 * aligned, cov_size bytes, a power of two and a multiple of 4096) is the
 * fuzzer's coverage map, NULL for none.  Returns 0 or a LIBVM_E* code,
 * LIBVM_ENOKVM when the host has no KVM (after printing why); call
 * fuzz_vm_destroy() either way.
 */
static inline int fuzz_vm_setup(struct fuzz_vm *f, void *cov, uint64_t cov_size)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_image *img = NULL;
	libvm_vcpu *vcpu;
	uint64_t sym, v;
	const char *s;
	int r;

	f->cmp = NULL;
	f->path = getenv("LIBVM_FUZZ_GUEST");
	if (!f->path || !*f->path)
		f->path = LIBVM_GUEST_DIR "/target.cov.elf";
	f->fn_name = getenv("LIBVM_FUZZ_FN");
	if (!f->fn_name || !*f->fn_name)
		f->fn_name = "fuzz_target";
	s = getenv("LIBVM_FUZZ_TIMEOUT_MS");
	f->timeout_ns = (s && *s ? strtoull(s, NULL, 10) : 1000) * 1000000ull;

	r = libvm_vm_create(&f->vm, NULL);
	if (r < 0)
		return fuzz_vm_fail("libvm_vm_create", r);
	lm.sys_gpa = FUZZ_SYS_GPA;
	if ((r = libvm_mem_map_anon(f->vm, 0, FUZZ_RAM_SIZE, 0)) < 0)
		return fuzz_vm_fail("libvm_mem_map_anon", r);
	if (cov && (r = libvm_mem_map_host(f->vm, FUZZ_COV_GPA, cov, cov_size,
					   LIBVM_MEM_VOLATILE)) < 0)
		return fuzz_vm_fail("libvm_mem_map_host (coverage)", r);
	if ((r = libvm_image_load_file(&img, f->vm, f->path, 0)) < 0)
		return fuzz_vm_fail(f->path, r);
	if ((r = libvm_image_symbol(&f->fn, img, f->fn_name)) < 0) {
		libvm_image_destroy(img);
		return fuzz_vm_fail(f->fn_name, r);
	}
	/* Point the guest's coverage hook at the map (see <libvm/guest.h>). */
	if (cov) {
		v = FUZZ_COV_GPA;
		if ((r = libvm_image_symbol(&sym, img, "libvm_cov_map")) < 0 ||
		    (r = libvm_mem_write(f->vm, sym, &v, 8)) < 0 ||
		    (r = libvm_image_symbol(&sym, img, "libvm_cov_size")) < 0 ||
		    (r = libvm_mem_write(f->vm, sym, &cov_size, 8)) < 0) {
			libvm_image_destroy(img);
			return fuzz_vm_fail("setting libvm_cov_map (is the "
					    "guest linked with libvm-guest.a?)",
					    r);
		}
	}
	s = getenv("LIBVM_FUZZ_CMP_SLOTS");
	if (s && *s)
		f->no_cmp_slots = !atoi(s);
	if (cov && f->no_cmp_slots) {
		v = 0;
		if ((r = libvm_image_symbol(&sym, img,
					    "libvm_cov_cmp_slots")) < 0 ||
		    (r = libvm_mem_write(f->vm, sym, &v, 8)) < 0) {
			libvm_image_destroy(img);
			return fuzz_vm_fail("libvm_cov_cmp_slots", r);
		}
	}
	/* The comparison log, if the guest's runtime has one. */
	if ((cov || f->cmp_log) &&
	    libvm_image_symbol(&sym, img, "libvm_cmp_log") == 0) {
		void *p = mmap(NULL, FUZZ_CMP_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			libvm_image_destroy(img);
			return fuzz_vm_fail("mmap (comparison log)",
					    LIBVM_ENOMEM);
		}
		f->cmp = p;
		f->cmp->cap = (uint32_t)((FUZZ_CMP_SIZE - sizeof(*f->cmp)) /
					 sizeof(f->cmp->entries[0]));
		v = FUZZ_CMP_GPA;
		if ((r = libvm_mem_map_host(f->vm, FUZZ_CMP_GPA, p,
					    FUZZ_CMP_SIZE,
					    LIBVM_MEM_VOLATILE)) < 0 ||
		    (r = libvm_mem_write(f->vm, sym, &v, 8)) < 0) {
			libvm_image_destroy(img);
			return fuzz_vm_fail("mapping the comparison log", r);
		}
	}
	if ((r = libvm_long_mode_setup(f->vm, &lm)) < 0 ||
	    (r = libvm_vcpu_create(&vcpu, f->vm, 0)) < 0 ||
	    (r = libvm_vcpu_set_long_mode(vcpu, libvm_image_entry(img),
					  FUZZ_STACK_TOP)) < 0 ||
	    (r = libvm_snapshot_take(&f->snap, f->vm)) < 0) {
		libvm_image_destroy(img);
		return fuzz_vm_fail("VM setup", r);
	}
	libvm_image_destroy(img);
	return 0;
}

static inline void fuzz_vm_destroy(struct fuzz_vm *f)
{
	libvm_snapshot_destroy(f->snap);
	libvm_vm_destroy(f->vm);
	if (f->cmp)
		munmap(f->cmp, FUZZ_CMP_SIZE);
	f->snap = NULL;
	f->vm = NULL;
	f->cmp = NULL;
}

/* One input; < 0 only when libvm itself failed (printed). */
static inline int fuzz_vm_exec(libvm_fuzz_result *res, struct fuzz_vm *f,
			const uint8_t *data, size_t len)
{
	int r;

	if (f->cmp)
		f->cmp->count = 0;
	r = libvm_fuzz_exec(res, f->vm, f->snap, f->fn, FUZZ_INPUT_GPA,
			    FUZZ_INPUT_CAP, data, len, f->timeout_ns);
	if (r < 0)
		fuzz_vm_fail("libvm_fuzz_exec", r);
	return r;
}

/*
 * The compares the last input failed, as the guest logged them; *n is
 * how many (the log keeps the first cap of them).
 */
static inline const struct libvm_cmp_entry *
fuzz_vm_cmps(const struct fuzz_vm *f, uint32_t *n)
{
	*n = 0;
	if (!f->cmp)
		return NULL;
	*n = f->cmp->count < f->cmp->cap ? f->cmp->count : f->cmp->cap;
	return f->cmp->entries;
}

/* Say what a finding was, on stderr. */
static inline void fuzz_vm_print(const libvm_fuzz_result *res, size_t len)
{
	const libvm_exit *ex = &res->exit;

	fprintf(stderr, "==libvm== guest %s on a %zu-byte input (exit %s)",
		fuzz_outcome_name(res->outcome), len,
		libvm_exit_reason_name(ex->reason));
	if (res->outcome == LIBVM_FUZZ_CRASH)
		fprintf(stderr, ": exception %u, error code %#llx, rip %#llx, "
			"rsp %#llx, cr2 %#llx", ex->u.exception.vector,
			(unsigned long long)ex->u.exception.error_code,
			(unsigned long long)ex->u.exception.rip,
			(unsigned long long)ex->u.exception.rsp,
			(unsigned long long)ex->u.exception.cr2);
	else if (res->outcome == LIBVM_FUZZ_BUG)
		fprintf(stderr, ": libvm_guest_report_bug(%d)",
			ex->u.stop.code);
	else if (res->outcome == LIBVM_FUZZ_STOPPED &&
		 ex->reason == LIBVM_EXIT_STOPPED)
		fprintf(stderr, ": space %u, addr %#llx, code %d",
			ex->u.stop.space, (unsigned long long)ex->u.stop.addr,
			ex->u.stop.code);
	fputc('\n', stderr);
}

#endif
