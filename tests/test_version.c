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
