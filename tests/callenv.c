/* SPDX-License-Identifier: MIT */
#include "callenv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

libvm_image *g_img;

void ce_setup(uint32_t flags)
{
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;

	g_img = NULL;
	g_vcpu = NULL;
	g_vm = h_vm_create(NULL);
	h_map_ram(g_vm, 0, CE_RAM);
	OK(libvm_image_load_file(&g_img, g_vm, LIBVM_GUEST_DIR "/calls.elf",
				 0));
	lm.flags = flags;
	lm.sys_gpa = CE_SYS;
	lm.map_size = CE_MAP;
	OK(libvm_long_mode_setup(g_vm, &lm));
	OK(libvm_scratch_set(g_vm, CE_SCRATCH, CE_SCRATCH_SIZE));
	OK(libvm_vcpu_create(&g_vcpu, g_vm, 0));
	OK(libvm_vcpu_set_long_mode(g_vcpu, libvm_image_entry(g_img),
				    CE_STACK));
}

void ce_fixture_user(void)
{
	ce_setup(0);
}

void ce_fixture_super(void)
{
	ce_setup(LIBVM_LONG_SUPERVISOR);
}

void ce_teardown(void)
{
	libvm_image_destroy(g_img);
	g_img = NULL;
	h_fixture_teardown();
}

uint64_t ce_sym(const char *name)
{
	uint64_t a = 0;

	OK(libvm_image_symbol(&a, g_img, name));
	return a;
}

int ce_call_r(uint64_t *ret, libvm_exit *ex, const char *fn,
	      const uint64_t *args, uint32_t nargs)
{
	if (ex)
		memset(ex, 0, sizeof(*ex));
	return libvm_call(ret, ex, g_vcpu, ce_sym(fn), args, nargs,
			  CALL_TIMEOUT_NS);
}

uint64_t ce_call(const char *fn, const uint64_t *args, uint32_t nargs)
{
	uint64_t ret = 0xdeadbeefdeadbeefull;
	libvm_exit ex;
	int r = ce_call_r(&ret, &ex, fn, args, nargs);

	cr_assert_eq(r, 0, "%s: %d (%s): %s (exit %s, vector %u, rip %#llx)",
		     fn, r, libvm_strerror(r), libvm_last_error(),
		     libvm_exit_reason_name(ex.reason), ex.u.exception.vector,
		     (unsigned long long)ex.u.exception.rip);
	cr_assert_eq(ex.reason, LIBVM_EXIT_RETURN, "%s: exit %s", fn,
		     libvm_exit_reason_name(ex.reason));
	cr_assert_eq(ex.u.ret.value, ret);
	return ret;
}

long ce_host_rss_kb(void)
{
	uintptr_t lo, hi, start = 0, end = 0;
	FILE *f = fopen("/proc/self/smaps", "re");
	void *ram = NULL;
	char line[512];
	long kb, total = 0;

	OK(libvm_mem_ptr(&ram, g_vm, 0, CE_RAM));
	lo = (uintptr_t)ram;
	hi = lo + CE_RAM;
	cr_assert_not_null(f, "fopen /proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) ==
		    2)
			continue;
		if (sscanf(line, "Rss: %ld kB", &kb) == 1 &&
		    (end <= lo || start >= hi))
			total += kb;
	}
	fclose(f);
	return total;
}
