/* SPDX-License-Identifier: MIT */
/* libvm_strerror and the per-thread detail of libvm_last_error. */
#include "helpers.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

TestSuite(errors);

static const int all_codes[] = {
	LIBVM_OK, LIBVM_EINVAL, LIBVM_ENOKVM, LIBVM_ENOMEM, LIBVM_EKVM,
	LIBVM_EVERSION, LIBVM_EOVERLAP, LIBVM_ERANGE, LIBVM_ENOENT,
	LIBVM_EBUSY, LIBVM_ENOTSUP, LIBVM_EIO, LIBVM_EFAULT, LIBVM_ELIMIT,
	LIBVM_ESTATE, LIBVM_EIMAGE, LIBVM_EGUEST, LIBVM_ETIMEOUT,
};
#define NCODES (sizeof(all_codes) / sizeof(all_codes[0]))

Test(errors, codes_are_stable)
{
	size_t i;

	/* Append-only: the numbers are ABI. */
	for (i = 0; i < NCODES; i++)
		cr_assert_eq(all_codes[i], -(int)i);
}

Test(errors, strerror_every_code)
{
	const char *unknown = libvm_strerror(-1000);
	size_t i, j;

	for (i = 0; i < NCODES; i++) {
		const char *s = libvm_strerror(all_codes[i]);

		cr_assert_not_null(s, "code %d", all_codes[i]);
		cr_assert_gt(strlen(s), 0, "code %d", all_codes[i]);
		cr_assert_str_neq(s, unknown, "code %d has no text",
				  all_codes[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(s, libvm_strerror(all_codes[j]),
					  "codes %d and %d share a text",
					  all_codes[i], all_codes[j]);
	}
	cr_assert_str_eq(libvm_strerror(LIBVM_OK), "success");
}

Test(errors, strerror_unknown_codes)
{
	/* Far past the last code, so appending codes keeps this true. */
	static const int bad[] = { -100, -1000, -65536, 1, 2, 100,
				   INT_MIN, INT_MAX, INT_MIN + 1 };
	const char *unknown = libvm_strerror(-1000);
	size_t i;

	cr_assert_not_null(unknown);
	cr_assert_gt(strlen(unknown), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *s = libvm_strerror(bad[i]);

		cr_assert_not_null(s, "code %d", bad[i]);
		cr_assert_str_eq(s, unknown, "code %d: \"%s\"", bad[i], s);
	}
}

static void *fresh_thread(void *arg)
{
	const char **out = arg;

	*out = libvm_last_error();
	return NULL;
}

Test(errors, last_error_empty_before_failure)
{
	const char *s = NULL;
	pthread_t t;

	/* A new thread has had no failure yet. */
	cr_assert_eq(pthread_create(&t, NULL, fresh_thread, &s), 0);
	pthread_join(t, NULL);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, "");
}

Test(errors, last_error_bad_version)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.version = 12345;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EVERSION);
	cr_assert_null(vm);
	cr_assert_not_null(strstr(libvm_last_error(), "12345"), "detail: %s",
			   libvm_last_error());
	cr_assert_not_null(strstr(libvm_last_error(), "version"),
			   "detail: %s", libvm_last_error());
}

Test(errors, last_error_bad_flags)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.flags = 0x80;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EINVAL);
	cr_assert_not_null(strstr(libvm_last_error(), "0x80"), "detail: %s",
			   libvm_last_error());
}

Test(errors, last_error_names_the_path)
{
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.kvm_path = "/nonexistent/libvm-test-kvm";
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_ENOKVM);
	cr_assert_not_null(strstr(libvm_last_error(),
				  "/nonexistent/libvm-test-kvm"),
			   "detail: %s", libvm_last_error());
}

Test(errors, last_error_host_query_version)
{
	libvm_host_info info = LIBVM_HOST_INFO_INIT;

	info.version = 7;
	FAILS(libvm_host_query(&info, NULL), LIBVM_EVERSION);
	cr_assert_not_null(strstr(libvm_last_error(), "7"), "detail: %s",
			   libvm_last_error());
}

Test(errors, last_error_kept_on_success)
{
	libvm_host_info info = LIBVM_HOST_INFO_INIT;
	char before[512];

	FAILS(libvm_vm_create(NULL, NULL), LIBVM_EINVAL);
	snprintf(before, sizeof(before), "%s", libvm_last_error());
	cr_assert_gt(strlen(before), 0);
	cr_assert_not_null(strstr(before, "NULL"), "detail: %s", before);
	libvm_version();
	libvm_strerror(LIBVM_EINVAL);
	libvm_exit_reason_name(LIBVM_EXIT_HLT);
	libvm_vm_destroy(NULL);
	cr_assert_str_eq(libvm_last_error(), before);
	/* A query that succeeds must not touch it either. */
	if (libvm_host_query(&info, NULL) == 0)
		cr_assert_str_eq(libvm_last_error(), before);
}

struct other_thread {
	int code;
	char detail[512];
};

static void *fail_elsewhere(void *arg)
{
	struct other_thread *o = arg;
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;

	cfg.version = 999;
	o->code = libvm_vm_create(&vm, &cfg);
	snprintf(o->detail, sizeof(o->detail), "%s", libvm_last_error());
	return NULL;
}

Test(errors, last_error_is_per_thread)
{
	struct other_thread o = { 0, "" };
	libvm_vm_config cfg = LIBVM_VM_CONFIG_INIT;
	libvm_vm *vm = NULL;
	char mine[512];
	pthread_t t;

	cfg.version = 0;
	FAILS(libvm_vm_create(&vm, &cfg), LIBVM_EVERSION);
	snprintf(mine, sizeof(mine), "%s", libvm_last_error());
	cr_assert_eq(pthread_create(&t, NULL, fail_elsewhere, &o), 0);
	pthread_join(t, NULL);
	cr_assert_eq(o.code, LIBVM_EVERSION);
	cr_assert_not_null(strstr(o.detail, "999"), "other: %s", o.detail);
	cr_assert_str_eq(libvm_last_error(), mine);
	cr_assert_null(strstr(libvm_last_error(), "999"));
}

/* ---- details of failures that need KVM ---- */

TestSuite(errors_kvm, .init = h_fixture_setup, .fini = h_fixture_teardown);

Test(errors_kvm, detail_names_the_ioctl)
{
	libvm_sregs s;

	OK(libvm_vcpu_get_sregs(&s, g_vcpu));
	/* CR0.PG without CR0.PE is not a state KVM accepts. */
	s.cr0 = (s.cr0 & ~1ull) | (1ull << 31);
	FAILS(libvm_vcpu_set_sregs(g_vcpu, &s), LIBVM_EKVM);
	cr_assert_not_null(strstr(libvm_last_error(), "KVM_SET_SREGS"),
			   "detail: %s", libvm_last_error());
	cr_assert_not_null(strstr(libvm_last_error(), "errno"),
			   "detail: %s", libvm_last_error());
}

Test(errors_kvm, detail_names_the_msr)
{
	FAILS(libvm_vcpu_set_msr(g_vcpu, 0xdead0001u, 1), LIBVM_EINVAL);
	cr_assert_not_null(strstr(libvm_last_error(), "KVM_SET_MSRS"),
			   "detail: %s", libvm_last_error());
	cr_assert_not_null(strstr(libvm_last_error(), "0xdead0001"),
			   "detail: %s", libvm_last_error());
}

Test(errors_kvm, detail_names_the_address)
{
	uint8_t b[16];

	FAILS(libvm_mem_read(g_vm, 0x7654000, b, sizeof(b)), LIBVM_ERANGE);
	cr_assert_not_null(strstr(libvm_last_error(), "0x7654000"),
			   "detail: %s", libvm_last_error());
	FAILS(libvm_mem_map_anon(g_vm, 0x8000, 0x1000, 0), LIBVM_EOVERLAP);
	cr_assert_not_null(strstr(libvm_last_error(), "0x8000"),
			   "detail: %s", libvm_last_error());
	FAILS(libvm_mem_unmap(g_vm, 0x4321000), LIBVM_ENOENT);
	cr_assert_not_null(strstr(libvm_last_error(), "0x4321000"),
			   "detail: %s", libvm_last_error());
	/* Calls that succeed leave the detail alone. */
	OK(libvm_mem_write(g_vm, 0, b, sizeof(b)));
	OK(libvm_mem_read(g_vm, 0, b, sizeof(b)));
	cr_assert_not_null(strstr(libvm_last_error(), "0x4321000"),
			   "detail: %s", libvm_last_error());
}
