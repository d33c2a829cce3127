/* SPDX-License-Identifier: MIT */
/*
 * linuxrun: run a static Linux x86-64 program in a VM, its system calls
 * served by libvm (files under --root only).  The exit status is the
 * program's; 125 when libvm failed, 124 on --timeout, 139 on a fault.
 * vmrun --linux-program does the same with vmrun's exit codes.
 *
 *   linuxrun [--root DIR] [--timeout SEC] [--mem MIB] [--env NAME=VALUE]...
 *            [--quiet] [--trace] [--] PROG [ARGS...]
 */
#include "linuxprog_cmd.h"

int main(int argc, char **argv)
{
	static const struct lp_codes codes = {
		.host = 125, .timeout = 124, .fault = 139, .usage = 125,
	};

	return lp_cmd_main("linuxrun", "", &codes, argc, argv, 1);
}
