/*
 * hypercall: a guest program calls host functions by number.  The host
 * registers two handlers; the guest pulls numbers from one and reports
 * the sum of their squares to the other.
 */
#include <libvm/libvm.h>
#include <stdio.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

#define HC_NEXT 16
#define HC_REPORT 17

struct feed {
	int64_t next, last;
};

static int next(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
		uint64_t *ret, void *opaque)
{
	struct feed *f = opaque;

	(void)vcpu, (void)nr, (void)args;
	*ret = f->next <= f->last ? (uint64_t)f->next++ : (uint64_t)-1;
	return LIBVM_TRAP_CONTINUE;
}

static int report(libvm_vcpu *vcpu, uint64_t nr, const uint64_t args[6],
		uint64_t *ret, void *opaque)
{
	(void)vcpu, (void)nr, (void)opaque;
	printf("guest reports: sum of squares of %llu numbers = %llu\n",
	       (unsigned long long)args[1], (unsigned long long)args[0]);
	*ret = 0;
	return LIBVM_TRAP_CONTINUE;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : LIBVM_GUEST_DIR "/hcall.elf";
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	struct feed feed = { 1, 10 };
	libvm_vm *vm = NULL;
	libvm_vcpu *vcpu = NULL;
	libvm_image *img = NULL;
	libvm_exit ex;
	int r;

	lm.sys_gpa = 0x100000;
	if ((r = libvm_vm_create(&vm, NULL)) < 0 ||
	    (r = libvm_mem_map_anon(vm, 0, 16 << 20, 0)) < 0 ||
	    (r = libvm_image_load_file(&img, vm, path, 0)) < 0 ||
	    (r = libvm_long_mode_setup(vm, &lm)) < 0 ||
	    (r = libvm_hypercall_register(vm, HC_NEXT, next, &feed)) < 0 ||
	    (r = libvm_hypercall_register(vm, HC_REPORT, report, NULL)) < 0 ||
	    (r = libvm_vcpu_create(&vcpu, vm, 0)) < 0 ||
	    (r = libvm_vcpu_set_long_mode(vcpu, libvm_image_entry(img),
					  16 << 20)) < 0 ||
	    (r = libvm_vcpu_run(&ex, vcpu, 5000000000ull)) < 0)
		goto fail;
	printf("guest ended: %s, code %lld\n",
	       libvm_exit_reason_name(ex.reason),
	       (long long)ex.u.guest_exit.code);
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	return ex.reason == LIBVM_EXIT_GUEST_EXIT && !ex.u.guest_exit.code
		       ? 0 : 1;
fail:
	fprintf(stderr, "hypercall: %s: %s\n", libvm_strerror(r),
		libvm_last_error());
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	return 1;
}
