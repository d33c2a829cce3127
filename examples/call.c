/*
 * call: load a guest program compiled from C (examples/guests/funcs.c) in
 * one call (64 MiB of RAM, libvm's tables at 1 MiB, a scratch area for
 * arguments, the stack at the end of RAM: libvm_elf_options changes them),
 * run its main(), then call its functions from the host like local ones:
 * add(2, 40), and fnv1a() over a host buffer copied into the guest.
 * A guest crash (divide by zero) comes back as an error, and the same VM
 * takes the next call.
 */
#include <libvm/libvm.h>
#include <stdio.h>
#include <string.h>

#ifndef LIBVM_GUEST_DIR
#define LIBVM_GUEST_DIR "."
#endif

static void console(const char *buf, size_t len, void *opaque)
{
	(void)opaque;
	printf("guest says: %.*s", (int)len, buf);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : LIBVM_GUEST_DIR "/funcs.elf";
	libvm_vm *vm = NULL;
	libvm_vcpu *vcpu = NULL;
	libvm_image *img = NULL;
	uint64_t add, hash, divide, ret, buf_gva;
	char text[4096];
	libvm_exit ex;
	int r;

	if ((r = libvm_vm_open_elf(&vm, &vcpu, &img, path, NULL)) < 0 ||
	    (r = libvm_console_attach(vm, console, NULL)) < 0 ||
	    (r = libvm_vcpu_run(&ex, vcpu, 5000000000ull)) < 0)
		goto fail;
	printf("main() ended: %s, code %lld\n",
	       libvm_exit_reason_name(ex.reason),
	       (long long)ex.u.guest_exit.code);

	if ((r = libvm_image_symbol(&add, img, "add")) < 0 ||
	    (r = libvm_image_symbol(&hash, img, "fnv1a")) < 0 ||
	    (r = libvm_image_symbol(&divide, img, "divide")) < 0)
		goto fail;
	r = libvm_call(&ret, NULL, vcpu, add, (uint64_t[]){ 2, 40 }, 2,
		       1000000000);
	if (r < 0)
		goto fail;
	printf("add(2, 40) = %llu\n", (unsigned long long)ret);

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	if ((r = libvm_scratch_push(&buf_gva, vm, text, sizeof(text))) < 0 ||
	    (r = libvm_call(&ret, NULL, vcpu, hash,
			    (uint64_t[]){ buf_gva, sizeof(text) }, 2,
			    1000000000)) < 0)
		goto fail;
	libvm_scratch_reset(vm);
	printf("fnv1a(4 KiB) = %016llx in the guest, %016llx on the host\n",
	       (unsigned long long)ret,
	       (unsigned long long)fnv1a((const uint8_t *)text, sizeof(text)));

	r = libvm_call(&ret, &ex, vcpu, divide, (uint64_t[]){ 1, 0 }, 2,
		       1000000000);
	printf("divide(1, 0): %s: %s\n", libvm_strerror(r),
	       libvm_last_error());
	r = libvm_call(&ret, NULL, vcpu, add, (uint64_t[]){ 20, 22 }, 2,
		       1000000000);
	if (r < 0)
		goto fail;
	printf("and the VM goes on: add(20, 22) = %llu\n",
	       (unsigned long long)ret);
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	return 0;
fail:
	fprintf(stderr, "call: %s: %s\n", libvm_strerror(r),
		libvm_last_error());
	libvm_image_destroy(img);
	libvm_vm_destroy(vm);
	return 1;
}
