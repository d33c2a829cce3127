/*
 * hello: the smallest complete libvm program.  A real-mode guest writes
 * "Hello from the guest!" one byte at a time to port 0x3f8; a device
 * callback prints each byte; the guest halts.
 *
 *   cc hello.c $(pkg-config --cflags --libs libvm)
 */
#include <libvm/libvm.h>
#include <stdio.h>

/* The guest, assembled with this file: 16-bit code loaded at 0x1000. */
extern const unsigned char guest_start[], guest_end[];
__asm__(".pushsection .rodata\n"
	".code16\n"
	"guest_start:\n"
	"	mov $0x3f8, %dx\n"
	"	mov $(0x1000 + msg - guest_start), %si\n"
	"1:	lodsb\n"		/* al = *si++ */
	"	test %al, %al\n"
	"	jz 2f\n"
	"	out %al, (%dx)\n"
	"	jmp 1b\n"
	"2:	hlt\n"
	"msg:	.asciz \"Hello from the guest!\\n\"\n"
	"guest_end:\n"
	".code64\n"
	".popsection\n");

static int console(libvm_vcpu *vcpu, uint64_t port, void *data,
		   uint32_t size, uint32_t direction, void *opaque)
{
	(void)vcpu, (void)port, (void)size, (void)opaque;
	if (direction == LIBVM_WRITE)
		putchar(*(char *)data);
	return LIBVM_TRAP_CONTINUE;
}

int main(void)
{
	libvm_vm *vm = NULL;
	libvm_vcpu *vcpu = NULL;
	libvm_exit exit;
	int r;

	if ((r = libvm_vm_create(&vm, NULL)) < 0 ||
	    (r = libvm_mem_map_anon(vm, 0, 0x10000, 0)) < 0 ||
	    (r = libvm_mem_write(vm, 0x1000, guest_start,
				 (uint64_t)(guest_end - guest_start))) < 0 ||
	    (r = libvm_trap_register(vm, LIBVM_TRAP_PIO, 0x3f8, 1, console,
				     NULL)) < 0 ||
	    (r = libvm_vcpu_create(&vcpu, vm, 0)) < 0 ||
	    (r = libvm_vcpu_set_real_mode(vcpu, 0, 0x1000, 0)) < 0 ||
	    (r = libvm_vcpu_run(&exit, vcpu, 1000000000)) < 0)	/* 1 s */
		goto fail;
	printf("guest stopped: %s\n", libvm_exit_reason_name(exit.reason));
	libvm_vm_destroy(vm);
	return exit.reason == LIBVM_EXIT_HLT ? 0 : 1;
fail:
	fprintf(stderr, "hello: %s: %s\n", libvm_strerror(r),
		libvm_last_error());
	libvm_vm_destroy(vm);
	return 1;
}
