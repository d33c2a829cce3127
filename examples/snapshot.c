/*
 * snapshot: take a snapshot of a running guest, let it change its memory,
 * bring it back in microseconds, and fork copy-on-write children from it.
 */
#include <libvm/libvm.h>
#include <stdio.h>
#include <time.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

#define RAM (64ull << 20)
#define DATA 0x3000000ull

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : LIBVM_GUEST_DIR "/funcs.elf";
	libvm_long_mode lm = LIBVM_LONG_MODE_INIT;
	libvm_vm *vm = NULL, *child[2] = { NULL, NULL };
	libvm_snapshot *snap = NULL;
	libvm_image *img = NULL;
	libvm_vcpu *vcpu;
	uint64_t add, ret;
	char text[16];
	double t0;
	int r, i, n = 1000;

	lm.sys_gpa = 0x100000;
	if ((r = libvm_vm_create(&vm, NULL)) < 0 ||
	    (r = libvm_mem_map_anon(vm, 0, RAM, 0)) < 0 ||
	    (r = libvm_image_load_file(&img, vm, path, 0)) < 0 ||
	    (r = libvm_image_symbol(&add, img, "add")) < 0 ||
	    (r = libvm_long_mode_setup(vm, &lm)) < 0 ||
	    (r = libvm_vcpu_create(&vcpu, vm, 0)) < 0 ||
	    (r = libvm_vcpu_set_long_mode(vcpu, add, RAM)) < 0 ||
	    (r = libvm_mem_write(vm, DATA, "before", 7)) < 0 ||
	    (r = libvm_snapshot_take(&snap, vm)) < 0)
		goto fail;
	if ((r = libvm_mem_write(vm, DATA, "after!", 7)) < 0 ||
	    (r = libvm_snapshot_restore(vm, snap)) < 0 ||
	    (r = libvm_mem_read(vm, DATA, text, 7)) < 0)
		goto fail;
	printf("memory after a write and a restore: \"%s\"\n", text);

	t0 = now_us();
	for (i = 0; i < n; i++)
		if ((r = libvm_snapshot_restore(vm, snap)) < 0 ||
		    (r = libvm_call(&ret, NULL, vcpu, add,
				    (uint64_t[]){ (uint64_t)i, 1 }, 2, 0)) < 0)
			goto fail;
	printf("%d restores + guest calls: %.1f us each\n", n,
	       (now_us() - t0) / n);

	for (i = 0; i < 2; i++) {
		char mine[7] = { 'c', 'h', 'i', 'l', 'd', (char)('0' + i), 0 };

		if ((r = libvm_vm_fork(&child[i], snap)) < 0 ||
		    (r = libvm_mem_write(child[i], DATA, mine, 7)) < 0)
			goto fail;
	}
	for (i = 0; i < 2; i++) {
		if ((r = libvm_mem_read(child[i], DATA, text, 7)) < 0 ||
		    (r = libvm_call(&ret, NULL, libvm_vm_vcpu(child[i], 0), add,
				    (uint64_t[]){ 40, (uint64_t)i }, 2, 0)) < 0)
			goto fail;
		printf("fork %d sees \"%s\", add(40, %d) = %llu\n", i, text, i,
		       (unsigned long long)ret);
	}
	if ((r = libvm_mem_read(vm, DATA, text, 7)) < 0)
		goto fail;
	printf("the parent still sees \"%s\"\n", text);
	r = 0;
fail:
	if (r < 0)
		fprintf(stderr, "snapshot: %s: %s\n", libvm_strerror(r),
			libvm_last_error());
	libvm_vm_destroy(child[0]);
	libvm_vm_destroy(child[1]);
	libvm_snapshot_destroy(snap);
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	return r < 0;
}
