/* SPDX-License-Identifier: MIT */
/* CPU modes: real and 32-bit flat protected (long mode: lib/runtime). */
#include "x86.h"

#include <string.h>

LIBVM_API int libvm_vcpu_set_real_mode(libvm_vcpu *v, uint16_t cs,
				       uint16_t ip, uint16_t sp)
{
	libvm_regs regs = { .rip = ip, .rsp = sp, .rflags = RFLAGS_FIXED };
	libvm_sregs s;
	libvm_segment *segs[6];
	int r, i;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_real_mode: vcpu is "
			       "NULL");
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	segs[0] = &s.cs, segs[1] = &s.ds, segs[2] = &s.es;
	segs[3] = &s.ss, segs[4] = &s.fs, segs[5] = &s.gs;
	for (i = 0; i < 6; i++) {
		*segs[i] = (libvm_segment){
			.base = (uint64_t)cs << 4, .limit = 0xffff,
			.selector = cs, .type = i ? 3 : 11, .present = 1,
			.s = 1,
		};
	}
	s.cr0 = CR0_ET | CR0_NE;
	s.cr3 = s.cr4 = s.efer = 0;
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	v->rt_at_dispatch = false;
	return libvm_vcpu_set_regs(v, &regs);
}

LIBVM_API int libvm_vcpu_set_protected_mode(libvm_vcpu *v, uint32_t eip,
					    uint32_t esp)
{
	libvm_regs regs = { .rip = eip, .rsp = esp, .rflags = RFLAGS_FIXED };
	libvm_sregs s;
	int r;

	if (!v)
		return lvm_err(LIBVM_EINVAL, "libvm_vcpu_set_protected_mode: "
			       "vcpu is NULL");
	r = libvm_vcpu_get_sregs(&s, v);
	if (r < 0)
		return r;
	s.cs = lvm_flat_seg(0x08, 11, 0, false);
	s.ds = s.es = s.fs = s.gs = s.ss = lvm_flat_seg(0x10, 3, 0, false);
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	s.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.cr3 = s.efer = 0;
	r = libvm_vcpu_set_sregs(v, &s);
	if (r < 0)
		return r;
	v->rt_at_dispatch = false;
	return libvm_vcpu_set_regs(v, &regs);
}
