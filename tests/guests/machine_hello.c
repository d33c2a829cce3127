/* SPDX-License-Identifier: MIT */
/*
 * A bare ELF64 guest for the machine (tests/test_machine.c): prints
 * through the console hypercall and exits with 5.
 */
#include <libvm/guest.h>

int main(void)
{
	libvm_guest_puts("hello from ELF64\n");
	return 5;
}
