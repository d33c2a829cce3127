/* SPDX-License-Identifier: MIT */
/*
 * The CPUID table a platform vCPU gets: what KVM supports for this host
 * (its paravirtual leaves 0x40000000-0x40000001 included: the "KVMKVMKVM"
 * signature, kvmclock and the other features a guest kernel looks for),
 * with one package of ncpus cores, one thread each, described the way
 * Intel and AMD guests read it:
 *   - leaf 1: the initial APIC id (= the vCPU id) in EBX[31:24], the
 *     package's logical processor count in EBX[23:16], HTT when > 1, the
 *     TSC deadline timer and the hypervisor bit;
 *   - leaf 4 (Intel): cores per package - 1 in EAX[31:26] of each cache;
 *   - leaves 0xb and 0x1f: an SMT level of 1 thread and a core level of
 *     ncpus, x2APIC id in EDX;
 *   - 0x80000008 ECX: cores - 1 and the APIC-id bits per package (AMD);
 *   - 0x8000001e: the extended APIC id and core id (AMD topology
 *     extensions), one thread per core, node 0.
 * APIC ids are the vCPU ids, which the MADT lists as well.
 */
#include "plat.h"

#include <stdlib.h>
#include <string.h>

#define CPUID_FLAG_INDEX	1	/* KVM_CPUID_FLAG_SIGNIFCANT_INDEX */
#define LEAF1_EDX_HTT		(1u << 28)
#define LEAF1_ECX_TSC_DEADLINE	(1u << 24)
#define LEAF1_ECX_HYPERVISOR	(1u << 31)
#define TOPO_SMT		1
#define TOPO_CORE		2
#define MAX_ENTRIES		512

/* Bits of an APIC id that number the cores of a package. */
static uint32_t core_bits(uint32_t n)
{
	uint32_t b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static void topo_leaf(libvm_cpuid_entry *e, uint32_t fn, uint32_t sub,
		      uint32_t ncpus, uint32_t apic)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = sub;
	e->flags = CPUID_FLAG_INDEX;
	e->edx = apic;
	switch (sub) {
	case 0:		/* SMT: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (TOPO_SMT << 8) | sub;
		break;
	case 1:		/* cores of the package */
		e->eax = core_bits(ncpus);
		e->ebx = ncpus;
		e->ecx = (TOPO_CORE << 8) | sub;
		break;
	default:	/* end of the list */
		e->ecx = sub;
		break;
	}
}

static uint32_t max_leaf(const libvm_cpuid_entry *e, uint32_t n,
			 uint32_t base)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (e[i].function == base)
			return e[i].eax;
	return 0;
}

/* Rewrite e[0..*n) in place; room for MAX_ENTRIES. */
static void apply_topology(libvm_cpuid_entry *e, uint32_t *n,
			   uint32_t ncpus, uint32_t apic)
{
	static const uint32_t levels[] = { 0xb, 0x1f };
	uint32_t bits = core_bits(ncpus), basic = max_leaf(e, *n, 0);
	uint32_t i, j, l, sub;
	bool intel = false;

	for (i = 0; i < *n; i++)
		if (e[i].function == 0 && e[i].ebx == 0x756e6547) /* Genu */
			intel = true;
	/* Drop the host's 0xb and 0x1f levels, then add ours. */
	for (i = j = 0; i < *n; i++)
		if (e[i].function != 0xb && e[i].function != 0x1f)
			e[j++] = e[i];
	*n = j;
	for (l = 0; l < ARRAY_SIZE(levels); l++) {
		if (basic < levels[l])
			continue;
		for (sub = 0; sub < 3 && *n < MAX_ENTRIES; sub++)
			topo_leaf(&e[(*n)++], levels[l], sub, ncpus, apic);
	}
	for (i = 0; i < *n; i++) {
		switch (e[i].function) {
		case 1:
			e[i].ebx = (e[i].ebx & 0xffffu) | (apic << 24) |
				   ((ncpus & 0xff) << 16);
			/*
			 * The in-kernel LAPIC has the TSC deadline timer,
			 * which KVM reports as a capability, not in the
			 * table: a kernel without PIT or HPET (hardware-
			 * reduced ACPI) needs it for its clock events.
			 */
			e[i].ecx |= LEAF1_ECX_TSC_DEADLINE |
				    LEAF1_ECX_HYPERVISOR;
			if (ncpus > 1)
				e[i].edx |= LEAF1_EDX_HTT;
			else
				e[i].edx &= ~LEAF1_EDX_HTT;
			break;
		case 4:
			if (intel && (e[i].eax & 0x1f))
				e[i].eax = (e[i].eax & 0x03ffffffu) |
					   ((ncpus - 1) << 26);
			break;
		case 0x80000008:
			e[i].ecx = (e[i].ecx & ~0xf0ffu) | (bits << 12) |
				   (ncpus - 1);
			break;
		case 0x8000001e:
			e[i].eax = apic;
			e[i].ebx = apic & 0xff;		/* core id, 1 thread */
			e[i].ecx = 0;			/* node 0 of 1 */
			break;
		default:
			break;
		}
	}
}

int lvm_plat_cpuid(libvm_vcpu *vcpu, uint32_t ncpus)
{
	libvm_cpuid_entry *e;
	uint32_t n = MAX_ENTRIES;
	int r;

	e = calloc(MAX_ENTRIES, sizeof(*e));
	if (!e)
		return lvm_err(LIBVM_ENOMEM, "CPUID table");
	/* libvm_vcpu_create gave it what KVM supports: start from that. */
	n -= 6;		/* room for the six topology entries */
	r = libvm_vcpu_get_cpuid(vcpu, e, &n);
	if (r == 0) {
		apply_topology(e, &n, ncpus, libvm_vcpu_id(vcpu));
		r = libvm_vcpu_set_cpuid(vcpu, e, n);
	}
	free(e);
	return r;
}
