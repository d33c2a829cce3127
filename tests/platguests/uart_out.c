/* SPDX-License-Identifier: MIT */
/* COM1 output, polled, then a debug exit with 0x21. */
#include "pg.h"

int main(void)
{
	pg_puts("hello from COM1\n");
	return 0x21;
}
