/* SPDX-License-Identifier: MIT */
/*
 * Which XCR0 values x86 defines, and the XSAVE area their state needs:
 * facts of the architecture, no KVM (the snapshot file loader checks
 * files with them, fuzz/fuzz_snapshot.c links this file alone).
 */
#include "x86.h"

/* XCR0 state components (Intel SDM vol. 1, 13.1; AMD APM vol. 2, 11.5.2). */
#define XF_X87		(1ull << 0)
#define XF_SSE		(1ull << 1)
#define XF_AVX		(1ull << 2)
#define XF_MPX		(3ull << 3)	/* BNDREGS, BNDCSR */
#define XF_AVX512	(7ull << 5)	/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XF_PKRU		(1ull << 9)
#define XF_AMX		(3ull << 17)	/* XTILECFG, XTILEDATA */
#define XF_USER		(XF_X87 | XF_SSE | XF_AVX | XF_MPX | XF_AVX512 | \
			 XF_PKRU | XF_AMX)

const char *lvm_x86_xcr0_check(uint64_t xcr0)
{
	if (xcr0 & ~XF_USER)
		return "bits that are no user state component of XCR0";
	if (!(xcr0 & XF_X87))
		return "no x87 bit (XCR0 bit 0 is always set)";
	if ((xcr0 & XF_AVX) && !(xcr0 & XF_SSE))
		return "AVX without SSE";
	if ((xcr0 & XF_MPX) && (xcr0 & XF_MPX) != XF_MPX)
		return "one of the two MPX bits";
	if ((xcr0 & XF_AVX512) &&
	    ((xcr0 & XF_AVX512) != XF_AVX512 || !(xcr0 & XF_AVX)))
		return "AVX-512 bits not all set, or without AVX";
	if ((xcr0 & XF_AMX) && (xcr0 & XF_AMX) != XF_AMX)
		return "one of the two AMX bits";
	return NULL;
}

uint32_t lvm_x86_xsave_need(uint64_t xcr0)
{
	/* Standard-format offsets: AMX tile data ends at 2816 + 8192. */
	if (xcr0 & XF_AMX)
		return 2816 + 8192;
	return 4096;	/* struct kvm_xsave holds everything else */
}
