/*
 * kvm-probe: can this host run libvm's KVM tests?  Creates a VM with one
 * vCPU and destroys it.  Prints the reason and exits 1 when it cannot;
 * exits 0 and prints the environment's label for BENCH lines when it can:
 * kvm-vmx, kvm-svm, pvm (or nested-tcg inside scripts/nested-vm).
 */
#include <libvm/libvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	libvm_host_info h = LIBVM_HOST_INFO_INIT;
	const char *nested = getenv("LIBVM_IN_NESTED_VM");
	libvm_vcpu *vcpu;
	libvm_vm *vm;
	int r;

	r = libvm_vm_create(&vm, NULL);
	if (r == 0) {
		r = libvm_vcpu_create(&vcpu, vm, 0);
		libvm_vm_destroy(vm);
	}
	if (r < 0) {
		printf("%s\n", libvm_last_error());
		return 1;
	}
	libvm_host_query(&h, NULL);
	if (nested && strcmp(nested, "1") == 0)
		printf("nested-tcg\n");
	else if (strcmp(h.backend, "pvm") == 0)
		printf("pvm\n");
	else
		printf("kvm-%s\n", h.backend);
	return 0;
}
