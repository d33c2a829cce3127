/* SPDX-License-Identifier: MIT */
/*
 * The raw-ioctl baseline shared by bench/call.c and bench/reset.c: one
 * KVM_RUN round trip of a port-I/O exit from 64-bit user mode, set up the
 * way libvm sets up its guests.  Included by exactly one file per binary.
 */
#ifndef LIBVM_BENCH_RAW64_H
#define LIBVM_BENCH_RAW64_H


/*
 * The guest is set up as libvm_vcpu_set_long_mode does (same GDT
 * descriptors, CR0/CR4/EFER, XCR0, 2 MiB user pages, IOPL 3 and an
 * all-zero I/O bitmap (PVM honours only the bitmap), the host's supported
 * CPUID), minus what an `out` loop never uses (IDT, stacks).
 */
#define RAW_MEM		0x400000ull
#define RAW_PML4	0x1000
#define RAW_PDPT	0x2000
#define RAW_PD		0x3000
#define RAW_GDT		0x4000
#define RAW_TSS		0x5000
#define RAW_CODE	0x10000
#define RAW_PORT	0x0f11
#define SEL_UDATA	0x1b
#define SEL_UCODE	0x23
#define SEL_TSS		0x28
/* TSS limit: 104 bytes, the 8 KiB I/O bitmap and its 0xff byte. */
#define RAW_TSS_LIMIT	(104 + 8192)

extern const unsigned char raw_guest[], raw_guest_end[];
__asm__(".pushsection .rodata\n"
	"raw_guest:\n"
	"	mov $0x0f11, %dx\n"
	"1:	out %eax, (%dx)\n"
	"	jmp 1b\n"
	"raw_guest_end:\n"
	".popsection\n");

struct raw_ctx {
	int kvm_fd, vm_fd, vcpu_fd;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
	uint64_t exits;
};

static void raw_ioctl(int fd, unsigned long req, void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0)
		bench_die("%s: %s", name, strerror(errno));
}

static struct kvm_segment raw_seg(uint16_t sel, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 3, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

static void raw_setup(struct raw_ctx *c)
{
	static const uint64_t gdt[5] = { 0, 0x00af9a000000ffffull,
					 0x00cf92000000ffffull,
					 0x00cff2000000ffffull,
					 0x00affa000000ffffull };
	struct kvm_userspace_memory_region slot;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs regs;
	uint64_t e, xcr0 = 0;
	uint32_t i;
	int r;
	void *p;

	c->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (c->kvm_fd < 0)
		bench_die("open /dev/kvm: %s", strerror(errno));
	r = ioctl(c->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < 0)
		bench_die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	c->run_size = (size_t)r;
	c->vm_fd = ioctl(c->kvm_fd, KVM_CREATE_VM, 0);
	if (c->vm_fd < 0)
		bench_die("KVM_CREATE_VM: %s", strerror(errno));
	p = mmap(NULL, RAW_MEM, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		bench_die("mmap: %s", strerror(errno));
	c->mem = p;
	e = RAW_PDPT | 7;
	memcpy(c->mem + RAW_PML4, &e, 8);
	e = RAW_PD | 7;
	memcpy(c->mem + RAW_PDPT, &e, 8);
	for (i = 0; i < RAW_MEM / MB2; i++) {
		e = i * MB2 + 0x87;
		memcpy(c->mem + RAW_PD + 8 * i, &e, 8);
	}
	memcpy(c->mem + RAW_GDT, gdt, sizeof(gdt));
	e = RAW_TSS_LIMIT | ((uint64_t)RAW_TSS << 16) | (0x89ull << 40);
	memcpy(c->mem + RAW_GDT + SEL_TSS, &e, 8);
	{
		uint16_t iopb = 104;

		memcpy(c->mem + RAW_TSS + 0x66, &iopb, 2);
		c->mem[RAW_TSS + RAW_TSS_LIMIT] = 0xff;
	}
	memcpy(c->mem + RAW_CODE, raw_guest,
	       (size_t)(raw_guest_end - raw_guest));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = RAW_MEM,
		.userspace_addr = (uint64_t)(uintptr_t)p,
	};
	raw_ioctl(c->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot,
		  "KVM_SET_USER_MEMORY_REGION");
	c->vcpu_fd = ioctl(c->vm_fd, KVM_CREATE_VCPU, 0);
	if (c->vcpu_fd < 0)
		bench_die("KVM_CREATE_VCPU: %s", strerror(errno));
	p = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 c->vcpu_fd, 0);
	if (p == MAP_FAILED)
		bench_die("mmap kvm_run: %s", strerror(errno));
	c->run = p;

	cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	if (!cpuid)
		bench_die("out of memory");
	cpuid->nent = 256;
	raw_ioctl(c->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid,
		  "KVM_GET_SUPPORTED_CPUID");
	raw_ioctl(c->vcpu_fd, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2");
	for (i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *ce = &cpuid->entries[i];

		if (ce->function == 1 && !(ce->ecx & (1u << 26)))
			break;			/* no XSAVE */
		if (ce->function == 0xd && ce->index == 0)
			xcr0 = (ce->eax | ((uint64_t)ce->edx << 32)) & 0x2e7;
	}
	free(cpuid);
	if ((xcr0 & 0xe0) != 0xe0)
		xcr0 &= ~0xe0ull;
	if ((xcr0 & 3) != 3)
		xcr0 = 0;

	raw_ioctl(c->vcpu_fd, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	s.cs = raw_seg(SEL_UCODE, 11, true);
	s.ds = s.es = s.fs = s.gs = s.ss = raw_seg(SEL_UDATA, 3, false);
	s.tr = (struct kvm_segment){ .base = RAW_TSS, .limit = RAW_TSS_LIMIT,
				     .selector = SEL_TSS, .type = 11,
				     .present = 1 };
	s.ldt = (struct kvm_segment){ .type = 2, .present = 1,
				      .unusable = 1 };
	s.gdt.base = RAW_GDT;
	s.gdt.limit = SEL_TSS + 15;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = 0x80010033;	/* PG WP NE ET MP PE */
	s.cr3 = RAW_PML4;
	s.cr4 = 0x620 | (xcr0 ? 1u << 18 : 0);	/* PAE OSFXSR OSXMMEXCPT */
	s.efer = 0xd01;		/* NXE LMA LME SCE */
	raw_ioctl(c->vcpu_fd, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
	if (xcr0) {
		struct kvm_xcrs x = { .nr_xcrs = 1 };

		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = xcr0;
		raw_ioctl(c->vcpu_fd, KVM_SET_XCRS, &x, "KVM_SET_XCRS");
	}
	memset(&regs, 0, sizeof(regs));
	regs.rip = RAW_CODE;
	regs.rflags = 0x3002;		/* IOPL 3 */
	raw_ioctl(c->vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void raw_teardown(struct raw_ctx *c)
{
	munmap(c->run, c->run_size);
	close(c->vcpu_fd);
	close(c->vm_fd);
	close(c->kvm_fd);
	munmap(c->mem, RAW_MEM);
}

/* ns per KVM_RUN round trip of one `out` exit. */
static double raw_exits(void *arg)
{
	struct raw_ctx *c = arg;
	struct kvm_run *run = c->run;
	uint64_t t0 = bench_now_ns(), i;

	for (i = 0; i < c->exits; i++) {
		if (ioctl(c->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			bench_die("KVM_RUN: %s", strerror(errno));
		}
		if (run->exit_reason != KVM_EXIT_IO ||
		    run->io.port != RAW_PORT ||
		    run->io.direction != KVM_EXIT_IO_OUT)
			bench_die("raw guest: exit reason %u (port %#x), want OUT to "
			    "%#x", run->exit_reason,
			    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
			    RAW_PORT);
	}
	return (double)(bench_now_ns() - t0) / (double)c->exits;
}


#endif
