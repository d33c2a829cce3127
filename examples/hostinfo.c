/* hostinfo: what this host's KVM offers libvm. */
#include <libvm/libvm.h>
#include <stdio.h>

int main(void)
{
	libvm_host_info h = LIBVM_HOST_INFO_INIT;
	int r = libvm_host_query(&h, NULL);

	printf("libvm %s on a '%s' host: supervisor-mode guest code %s\n",
	       libvm_version(), h.backend,
	       h.supervisor == LIBVM_SUPERVISOR_NATIVE ? "runs natively" :
	       h.supervisor == LIBVM_SUPERVISOR_EMULATED
		       ? "is emulated (guest work runs in user mode)"
		       : "runs in an unknown way");
	if (r < 0) {
		printf("KVM unavailable: %s\n", libvm_last_error());
		return 1;
	}
	printf("KVM API %u, %u vCPUs, %u memory slots, %u physical address "
	       "bits, caps %#llx\n", h.kvm_api_version, h.max_vcpus,
	       h.max_memslots, h.phys_bits, (unsigned long long)h.caps);
	return 0;
}
