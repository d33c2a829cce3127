/* SPDX-License-Identifier: MIT */
/* libvm_version and the version macros agree. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

TestSuite(version);

Test(version, string_matches_header)
{
	cr_assert_not_null(libvm_version());
	cr_assert_str_eq(libvm_version(), LIBVM_VERSION_STRING);
}

Test(version, num_matches_header)
{
	cr_assert_eq(libvm_version_num(), (uint32_t)LIBVM_VERSION_NUM);
	cr_assert_eq(LIBVM_VERSION_NUM >> 16, LIBVM_VERSION_MAJOR);
	cr_assert_eq((LIBVM_VERSION_NUM >> 8) & 0xff, LIBVM_VERSION_MINOR);
	cr_assert_eq(LIBVM_VERSION_NUM & 0xff, LIBVM_VERSION_PATCH);
}

Test(version, num_matches_string)
{
	uint32_t n = libvm_version_num();
	char buf[32];

	snprintf(buf, sizeof(buf), "%u.%u.%u", n >> 16, (n >> 8) & 0xff,
		 n & 0xff);
	cr_assert_str_eq(buf, libvm_version());
}

/* ---- versioned structs ---------------------------------------------- */

Test(version, init_functions_match_macros)
{
	libvm_vm_config c1 = LIBVM_VM_CONFIG_INIT, c2;
	libvm_host_info h1 = LIBVM_HOST_INFO_INIT, h2;
	libvm_long_mode l1 = LIBVM_LONG_MODE_INIT, l2;
	libvm_elf_options o1 = LIBVM_ELF_OPTIONS_INIT, o2;

	memset(&c2, 0xa5, sizeof(c2));
	memset(&h2, 0xa5, sizeof(h2));
	memset(&l2, 0xa5, sizeof(l2));
	memset(&o2, 0xa5, sizeof(o2));
	OK(libvm_vm_config_init(&c2, LIBVM_VM_CONFIG_VERSION));
	OK(libvm_host_info_init(&h2, LIBVM_HOST_INFO_VERSION));
	OK(libvm_long_mode_init(&l2, LIBVM_LONG_MODE_VERSION));
	OK(libvm_elf_options_init(&o2, LIBVM_ELF_OPTIONS_VERSION));
	cr_assert_arr_eq(&c1, &c2, sizeof(c1));
	cr_assert_arr_eq(&h1, &h2, sizeof(h1));
	cr_assert_arr_eq(&l1, &l2, sizeof(l1));
	cr_assert_arr_eq(&o1, &o2, sizeof(o1));
}

Test(version, unknown_versions_refused)
{
	libvm_vm_config c;
	libvm_host_info h = LIBVM_HOST_INFO_INIT;
	libvm_vm *vm = NULL;

	FAILS(libvm_vm_config_init(&c, 0), LIBVM_EVERSION);
	FAILS(libvm_vm_config_init(&c, LIBVM_VM_CONFIG_VERSION + 1),
	      LIBVM_EVERSION);
	FAILS(libvm_vm_config_init(NULL, 1), LIBVM_EINVAL);
	FAILS(libvm_host_info_init(&h, 2), LIBVM_EVERSION);
	FAILS(libvm_long_mode_init(NULL, 1), LIBVM_EINVAL);
	FAILS(libvm_elf_options_init(NULL, 1), LIBVM_EINVAL);
	OK(libvm_vm_config_init(&c, 1));
	c.version = 2;
	FAILS(libvm_vm_create(&vm, &c), LIBVM_EVERSION);
	cr_assert_null(vm);
	cr_assert_not_null(strstr(libvm_last_error(), "1 to 1"), "%s",
			   libvm_last_error());
	h.version = 0;
	FAILS(libvm_host_query(&h, NULL), LIBVM_EVERSION);
}
