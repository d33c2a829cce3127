/* SPDX-License-Identifier: MIT */
/*
 * A Criterion test that leaks on purpose, run by `make asan`
 * (scripts/lsan-check --probe): the leak check must report it, from the
 * worker process Criterion runs the test in, and the report must name
 * this test, so a broken leak check fails the sanitizer run instead of
 * passing everything.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

Test(leak_probe, leaks_392_bytes)
{
	char *p = malloc(392);

	cr_assert_not_null(p);
	memset(p, 0x5a, 392);
	sink = p;
	sink = NULL;
}
