/* SPDX-License-Identifier: MIT */
/*
 * Guest program of bench/call.c: the workloads of bench/work_fns.h, built
 * from the same source as the host's copies, and an empty function for the
 * call round trip.  bench/call.c calls them with libvm_call and runs the
 * same code bytes under Unicorn; main() is never run.
 */
#include <libvm/guest.h>

#define WORK_FN LIBVM_EXPORT
#include "../work_fns.h"

LIBVM_EXPORT uint64_t work_noop(void)
{
	return 0;
}

int main(void)
{
	return 0;
}
