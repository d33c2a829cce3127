/* SPDX-License-Identifier: MIT */
/*
 * libvm: the port and hypercall numbers of the long-mode runtime, shared
 * by the host API (<libvm/call.h>) and guest code (<libvm/guest.h>).
 * Plain constants only: guest code includes it without the host API.
 */
#ifndef LIBVM_PORTS_H
#define LIBVM_PORTS_H

/* Ports of the long-mode runtime (reserved once it is set up). */
#define LIBVM_PORT_HYPERCALL	0x0f10
#define LIBVM_PORT_RETURN	0x0f11
#define LIBVM_PORT_EXCEPTION	0x0f12
/*
 * User-mode SYSCALL with LIBVM_LONG_SYSCALL: the runtime's SYSCALL entry
 * writes to this port (an OUT with an immediate port, so no register is
 * needed for it).  Reserved only in VMs set up with LIBVM_LONG_SYSCALL.
 */
#define LIBVM_PORT_SYSCALL	0x00f5

/* Hypercall numbers libvm itself defines. */
#define LIBVM_HC_EXIT		0	/* exit(code): LIBVM_EXIT_GUEST_EXIT */
#define LIBVM_HC_CONSOLE	1	/* write(buf, len): see console_attach */
#define LIBVM_HC_BUG		2	/* report_bug(code): stops the run */
#define LIBVM_HC_USER		16	/* first number free for programs */

#endif
