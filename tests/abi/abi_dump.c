/* SPDX-License-Identifier: MIT */
/*
 * abi-dump: print, as JSON, what the C compiler makes of the public
 * headers: sizeof/alignof/offsetof of every public struct (union members as
 * dotted paths, "u.io.port") and the value of every LIBVM_* constant.  The
 * Python and Rust bindings' tests compare their declarations with it, so a
 * header change that the bindings do not follow fails `make check`.
 *
 * Add a constant or struct here when a header gains one; the binding tests
 * also parse the headers and fail on any name missing from this dump.
 * Structs without a typedef (<libvm/cmplog.h>'s, shared with the guest) go
 * through SS/FS, under their tag name.
 */
#include <libvm/libvm.h>

#include <stdalign.h>
#include <stdio.h>

static int first;

static void struct_begin(const char *name, size_t size, size_t align)
{
	printf("%s\n    \"%s\": {\"size\": %zu, \"align\": %zu, \"fields\": {",
	       first ? "" : ",", name, size, align);
	first = 0;
}

static int ffirst;

static void field(const char *name, size_t off, size_t size)
{
	printf("%s\n      \"%s\": [%zu, %zu]", ffirst ? "" : ",", name, off,
	       size);
	ffirst = 0;
}

#define S(T) (ffirst = 1, struct_begin(#T, sizeof(T), alignof(T)))
#define F(T, f) field(#f, offsetof(T, f), sizeof(((T *)0)->f))
#define END() printf("\n    }}")
/* The same for a struct known only by its tag (struct T, no typedef). */
#define SS(T) (ffirst = 1, struct_begin(#T, sizeof(struct T), \
					alignof(struct T)))
#define FS(T, f) field(#f, offsetof(struct T, f), sizeof(((struct T *)0)->f))
/* A flexible array member: its offset, and size 0 (it adds nothing to
 * sizeof; a binding declares it as a zero-length array). */
#define FA(T, f) field(#f, offsetof(struct T, f), 0)

static void constant(const char *name, long long v)
{
	printf("%s\n    \"%s\": %lld", first ? "" : ",", name, v);
	first = 0;
}

#define C(x) constant(#x, (long long)(x))

int main(void)
{
	printf("{\n  \"structs\": {");
	first = 1;

	S(libvm_vm_config);
	F(libvm_vm_config, version); F(libvm_vm_config, flags);
	F(libvm_vm_config, kick_signal); F(libvm_vm_config, max_vcpus);
	F(libvm_vm_config, kvm_path);
	END();

	S(libvm_host_info);
	F(libvm_host_info, version); F(libvm_host_info, kvm_api_version);
	F(libvm_host_info, caps); F(libvm_host_info, supervisor);
	F(libvm_host_info, max_vcpus); F(libvm_host_info, max_memslots);
	F(libvm_host_info, phys_bits); F(libvm_host_info, backend);
	F(libvm_host_info, xsave_size); F(libvm_host_info, reserved);
	END();

	S(libvm_regs);
	F(libvm_regs, rax); F(libvm_regs, rbx); F(libvm_regs, rcx);
	F(libvm_regs, rdx); F(libvm_regs, rsi); F(libvm_regs, rdi);
	F(libvm_regs, rsp); F(libvm_regs, rbp); F(libvm_regs, r8);
	F(libvm_regs, r9); F(libvm_regs, r10); F(libvm_regs, r11);
	F(libvm_regs, r12); F(libvm_regs, r13); F(libvm_regs, r14);
	F(libvm_regs, r15); F(libvm_regs, rip); F(libvm_regs, rflags);
	END();

	S(libvm_segment);
	F(libvm_segment, base); F(libvm_segment, limit);
	F(libvm_segment, selector); F(libvm_segment, type);
	F(libvm_segment, present); F(libvm_segment, dpl);
	F(libvm_segment, db); F(libvm_segment, s); F(libvm_segment, l);
	F(libvm_segment, g); F(libvm_segment, avl);
	F(libvm_segment, unusable); F(libvm_segment, padding);
	END();

	S(libvm_dtable);
	F(libvm_dtable, base); F(libvm_dtable, limit);
	F(libvm_dtable, padding);
	END();

	S(libvm_sregs);
	F(libvm_sregs, cs); F(libvm_sregs, ds); F(libvm_sregs, es);
	F(libvm_sregs, fs); F(libvm_sregs, gs); F(libvm_sregs, ss);
	F(libvm_sregs, tr); F(libvm_sregs, ldt); F(libvm_sregs, gdt);
	F(libvm_sregs, idt); F(libvm_sregs, cr0); F(libvm_sregs, cr2);
	F(libvm_sregs, cr3); F(libvm_sregs, cr4); F(libvm_sregs, cr8);
	F(libvm_sregs, efer); F(libvm_sregs, apic_base);
	F(libvm_sregs, interrupt_bitmap);
	END();

	S(libvm_fpu);
	F(libvm_fpu, fpr); F(libvm_fpu, fcw); F(libvm_fpu, fsw);
	F(libvm_fpu, ftwx); F(libvm_fpu, pad1); F(libvm_fpu, last_opcode);
	F(libvm_fpu, last_ip); F(libvm_fpu, last_dp); F(libvm_fpu, xmm);
	F(libvm_fpu, mxcsr); F(libvm_fpu, pad2);
	END();

	S(libvm_cpuid_entry);
	F(libvm_cpuid_entry, function); F(libvm_cpuid_entry, index);
	F(libvm_cpuid_entry, flags); F(libvm_cpuid_entry, eax);
	F(libvm_cpuid_entry, ebx); F(libvm_cpuid_entry, ecx);
	F(libvm_cpuid_entry, edx); F(libvm_cpuid_entry, padding);
	END();

	S(libvm_exit);
	F(libvm_exit, reason); F(libvm_exit, kvm_reason); F(libvm_exit, u);
	F(libvm_exit, u.io); F(libvm_exit, u.io.port);
	F(libvm_exit, u.io.size); F(libvm_exit, u.io.direction);
	F(libvm_exit, u.io.count); F(libvm_exit, u.io.data);
	F(libvm_exit, u.mmio); F(libvm_exit, u.mmio.gpa);
	F(libvm_exit, u.mmio.size); F(libvm_exit, u.mmio.direction);
	F(libvm_exit, u.mmio.pad); F(libvm_exit, u.mmio.data);
	F(libvm_exit, u.fail_entry);
	F(libvm_exit, u.fail_entry.hardware_reason);
	F(libvm_exit, u.fail_entry.cpu);
	F(libvm_exit, u.internal); F(libvm_exit, u.internal.suberror);
	F(libvm_exit, u.internal.ndata); F(libvm_exit, u.internal.data);
	F(libvm_exit, u.debug); F(libvm_exit, u.debug.exception);
	F(libvm_exit, u.debug.pad); F(libvm_exit, u.debug.pc);
	F(libvm_exit, u.debug.dr6); F(libvm_exit, u.debug.dr7);
	F(libvm_exit, u.stop); F(libvm_exit, u.stop.space);
	F(libvm_exit, u.stop.code); F(libvm_exit, u.stop.addr);
	F(libvm_exit, u.stop.value);
	F(libvm_exit, u.system); F(libvm_exit, u.system.type);
	F(libvm_exit, u.system.ndata); F(libvm_exit, u.system.data);
	F(libvm_exit, u.exception); F(libvm_exit, u.exception.vector);
	F(libvm_exit, u.exception.has_error_code);
	F(libvm_exit, u.exception.error_code);
	F(libvm_exit, u.exception.rip); F(libvm_exit, u.exception.cs);
	F(libvm_exit, u.exception.rflags); F(libvm_exit, u.exception.rsp);
	F(libvm_exit, u.exception.cr2);
	F(libvm_exit, u.guest_exit); F(libvm_exit, u.guest_exit.code);
	F(libvm_exit, u.ret); F(libvm_exit, u.ret.value);
	F(libvm_exit, u.reserved);
	END();

	S(libvm_long_mode);
	F(libvm_long_mode, version); F(libvm_long_mode, flags);
	F(libvm_long_mode, sys_gpa); F(libvm_long_mode, map_size);
	END();

	S(libvm_elf_options);
	F(libvm_elf_options, version); F(libvm_elf_options, long_mode_flags);
	F(libvm_elf_options, ram_size); F(libvm_elf_options, sys_gpa);
	F(libvm_elf_options, stack_top); F(libvm_elf_options, scratch_gpa);
	F(libvm_elf_options, scratch_size); F(libvm_elf_options, load_flags);
	F(libvm_elf_options, reserved); F(libvm_elf_options, vm_config);
	END();

	S(libvm_linux_config);
	F(libvm_linux_config, version); F(libvm_linux_config, flags);
	F(libvm_linux_config, mem_size); F(libvm_linux_config, stack_size);
	F(libvm_linux_config, root); F(libvm_linux_config, stdin_fd);
	F(libvm_linux_config, stdout_fd); F(libvm_linux_config, stderr_fd);
	F(libvm_linux_config, envp); F(libvm_linux_config, hook);
	F(libvm_linux_config, hook_opaque); F(libvm_linux_config, log);
	F(libvm_linux_config, log_opaque);
	END();

	/* boot.h */
	S(libvm_mem_range);
	F(libvm_mem_range, base); F(libvm_mem_range, len);
	F(libvm_mem_range, type); F(libvm_mem_range, reserved);
	END();

	S(libvm_boot_module);
	F(libvm_boot_module, path); F(libvm_boot_module, data);
	F(libvm_boot_module, len); F(libvm_boot_module, string);
	END();

	S(libvm_boot_config);
	F(libvm_boot_config, version); F(libvm_boot_config, flags);
	F(libvm_boot_config, kernel_path); F(libvm_boot_config, kernel_data);
	F(libvm_boot_config, kernel_len); F(libvm_boot_config, cmdline);
	F(libvm_boot_config, modules); F(libvm_boot_config, nmodules);
	F(libvm_boot_config, nreserved); F(libvm_boot_config, reserved);
	F(libvm_boot_config, acpi_rsdp); F(libvm_boot_config, kind);
	END();

	S(libvm_boot_range);
	F(libvm_boot_range, gpa); F(libvm_boot_range, len);
	F(libvm_boot_range, what); F(libvm_boot_range, index);
	END();

	/* platform.h */
	S(libvm_platform_config);
	F(libvm_platform_config, version); F(libvm_platform_config, devices);
	F(libvm_platform_config, ncpus); F(libvm_platform_config, uart_in_fd);
	F(libvm_platform_config, uart_out_fd);
	F(libvm_platform_config, reserved0);
	F(libvm_platform_config, uart_out);
	F(libvm_platform_config, uart_opaque);
	F(libvm_platform_config, tables_gpa);
	F(libvm_platform_config, tables_size);
	F(libvm_platform_config, mmio_base);
	F(libvm_platform_config, mmio_size);
	F(libvm_platform_config, epoch_ns);
	END();

	S(libvm_platform_status);
	F(libvm_platform_status, end); F(libvm_platform_status, status);
	F(libvm_platform_status, marker_ns);
	F(libvm_platform_status, markers);
	F(libvm_platform_status, marker_value);
	F(libvm_platform_status, reserved);
	END();

	/* machine.h */
	S(libvm_machine_config);
	F(libvm_machine_config, version); F(libvm_machine_config, ncpus);
	F(libvm_machine_config, mem_size);
	F(libvm_machine_config, kernel_path);
	F(libvm_machine_config, kernel_data);
	F(libvm_machine_config, kernel_len); F(libvm_machine_config, cmdline);
	F(libvm_machine_config, initrd_paths);
	F(libvm_machine_config, ninitrds);
	F(libvm_machine_config, console_in_fd);
	F(libvm_machine_config, console_out_fd);
	F(libvm_machine_config, flags);
	F(libvm_machine_config, console_out);
	F(libvm_machine_config, console_opaque);
	F(libvm_machine_config, timeout_ns);
	F(libvm_machine_config, cache_dir);
	END();

	S(libvm_machine_result);
	F(libvm_machine_result, end); F(libvm_machine_result, status);
	F(libvm_machine_result, vcpu); F(libvm_machine_result, reserved0);
	F(libvm_machine_result, boot_marker_ns);
	F(libvm_machine_result, run_ns); F(libvm_machine_result, exit);
	END();

	S(libvm_fuzz_result);
	F(libvm_fuzz_result, outcome); F(libvm_fuzz_result, flags);
	F(libvm_fuzz_result, ret); F(libvm_fuzz_result, exit);
	END();

	SS(libvm_cmp_entry);
	FS(libvm_cmp_entry, a); FS(libvm_cmp_entry, b);
	FS(libvm_cmp_entry, pc); FS(libvm_cmp_entry, size);
	FS(libvm_cmp_entry, flags); FS(libvm_cmp_entry, reserved);
	END();

	SS(libvm_cmp_log);
	FS(libvm_cmp_log, count); FS(libvm_cmp_log, cap);
	FS(libvm_cmp_log, reserved); FA(libvm_cmp_log, entries);
	END();

	S(libvm_virtio_config);
	F(libvm_virtio_config, version); F(libvm_virtio_config, flags);
	F(libvm_virtio_config, device_id); F(libvm_virtio_config, num_queues);
	F(libvm_virtio_config, queue_size);
	F(libvm_virtio_config, config_size); F(libvm_virtio_config, config);
	F(libvm_virtio_config, features); F(libvm_virtio_config, mmio_base);
	F(libvm_virtio_config, gsi); F(libvm_virtio_config, reserved);
	F(libvm_virtio_config, event); F(libvm_virtio_config, opaque);
	END();

	S(libvm_virtio_stats);
	F(libvm_virtio_stats, version); F(libvm_virtio_stats, reserved);
	F(libvm_virtio_stats, mmio_exits); F(libvm_virtio_stats, kicks);
	F(libvm_virtio_stats, chains); F(libvm_virtio_stats, interrupts);
	F(libvm_virtio_stats, needs_reset);
	END();

	S(libvm_virtq_seg);
	F(libvm_virtq_seg, addr); F(libvm_virtq_seg, len);
	END();

	S(libvm_virtio_blk_config);
	F(libvm_virtio_blk_config, version); F(libvm_virtio_blk_config, flags);
	F(libvm_virtio_blk_config, path); F(libvm_virtio_blk_config, serial);
	F(libvm_virtio_blk_config, mmio_base);
	F(libvm_virtio_blk_config, gsi);
	F(libvm_virtio_blk_config, queue_size);
	END();

	S(libvm_virtio_console_config);
	F(libvm_virtio_console_config, version);
	F(libvm_virtio_console_config, flags);
	F(libvm_virtio_console_config, in_fd);
	F(libvm_virtio_console_config, out_fd);
	F(libvm_virtio_console_config, mmio_base);
	F(libvm_virtio_console_config, gsi);
	F(libvm_virtio_console_config, reserved);
	END();

	S(libvm_virtio_rng_config);
	F(libvm_virtio_rng_config, version); F(libvm_virtio_rng_config, flags);
	F(libvm_virtio_rng_config, mmio_base); F(libvm_virtio_rng_config, gsi);
	F(libvm_virtio_rng_config, reserved);
	END();

	printf("\n  },\n  \"constants\": {");
	first = 1;
	/* common.h */
	C(LIBVM_VERSION_MAJOR); C(LIBVM_VERSION_MINOR);
	C(LIBVM_VERSION_PATCH); C(LIBVM_VERSION_NUM);
	/* errors.h */
	C(LIBVM_OK); C(LIBVM_EINVAL); C(LIBVM_ENOKVM); C(LIBVM_ENOMEM);
	C(LIBVM_EKVM); C(LIBVM_EVERSION); C(LIBVM_EOVERLAP); C(LIBVM_ERANGE);
	C(LIBVM_ENOENT); C(LIBVM_EBUSY); C(LIBVM_ENOTSUP); C(LIBVM_EIO);
	C(LIBVM_EFAULT); C(LIBVM_ELIMIT); C(LIBVM_ESTATE); C(LIBVM_EIMAGE);
	C(LIBVM_EGUEST); C(LIBVM_ETIMEOUT);
	/* vm.h */
	C(LIBVM_VM_IRQCHIP); C(LIBVM_VM_PIT); C(LIBVM_VM_CONFIG_VERSION);
	/* host.h */
	C(LIBVM_HOST_SYNC_REGS); C(LIBVM_HOST_IRQCHIP); C(LIBVM_HOST_PIT);
	C(LIBVM_HOST_READONLY_MEM); C(LIBVM_HOST_IMMEDIATE_EXIT);
	C(LIBVM_HOST_XSAVE); C(LIBVM_HOST_XCRS);
	C(LIBVM_HOST_DIRTY_LOG_PROTECT); C(LIBVM_HOST_DIRTY_RING);
	C(LIBVM_HOST_IOEVENTFD); C(LIBVM_HOST_IRQFD);
	C(LIBVM_HOST_GUEST_DEBUG); C(LIBVM_HOST_USER_MSR_EXIT);
	C(LIBVM_HOST_HUGEPAGES);
	C(LIBVM_SUPERVISOR_UNKNOWN); C(LIBVM_SUPERVISOR_NATIVE);
	C(LIBVM_SUPERVISOR_EMULATED); C(LIBVM_HOST_INFO_VERSION);
	/* memory.h */
	C(LIBVM_MEM_READONLY); C(LIBVM_MEM_HUGEPAGES); C(LIBVM_MEM_VOLATILE);
	C(LIBVM_PTE_WRITABLE); C(LIBVM_PTE_USER); C(LIBVM_PTE_NX);
	/* x86.h */
	C(LIBVM_CPUID_FLAG_SIGNIFICANT_INDEX); C(LIBVM_CPUID_FLAG_STATEFUL_FUNC);
	C(LIBVM_CPUID_FLAG_STATE_READ_NEXT);
	/* exit.h */
	C(LIBVM_EXIT_NONE); C(LIBVM_EXIT_HLT); C(LIBVM_EXIT_IO);
	C(LIBVM_EXIT_MMIO); C(LIBVM_EXIT_SHUTDOWN); C(LIBVM_EXIT_FAIL_ENTRY);
	C(LIBVM_EXIT_INTERNAL_ERROR); C(LIBVM_EXIT_DEBUG);
	C(LIBVM_EXIT_CANCELLED); C(LIBVM_EXIT_TIMEOUT); C(LIBVM_EXIT_STOPPED);
	C(LIBVM_EXIT_SYSTEM_EVENT); C(LIBVM_EXIT_IRQ_WINDOW);
	C(LIBVM_EXIT_OTHER); C(LIBVM_EXIT_EXCEPTION);
	C(LIBVM_EXIT_GUEST_EXIT); C(LIBVM_EXIT_RETURN);
	C(LIBVM_READ); C(LIBVM_WRITE);
	C(LIBVM_KVM_EXIT_UNKNOWN); C(LIBVM_KVM_EXIT_EXCEPTION);
	C(LIBVM_KVM_EXIT_IO); C(LIBVM_KVM_EXIT_HYPERCALL);
	C(LIBVM_KVM_EXIT_DEBUG); C(LIBVM_KVM_EXIT_HLT); C(LIBVM_KVM_EXIT_MMIO);
	C(LIBVM_KVM_EXIT_IRQ_WINDOW_OPEN); C(LIBVM_KVM_EXIT_SHUTDOWN);
	C(LIBVM_KVM_EXIT_FAIL_ENTRY); C(LIBVM_KVM_EXIT_INTR);
	C(LIBVM_KVM_EXIT_SET_TPR); C(LIBVM_KVM_EXIT_TPR_ACCESS);
	C(LIBVM_KVM_EXIT_NMI); C(LIBVM_KVM_EXIT_INTERNAL_ERROR);
	C(LIBVM_KVM_EXIT_SYSTEM_EVENT); C(LIBVM_KVM_EXIT_IOAPIC_EOI);
	C(LIBVM_KVM_EXIT_HYPERV); C(LIBVM_KVM_EXIT_X86_RDMSR);
	C(LIBVM_KVM_EXIT_X86_WRMSR); C(LIBVM_KVM_EXIT_DIRTY_RING_FULL);
	C(LIBVM_KVM_EXIT_AP_RESET_HOLD); C(LIBVM_KVM_EXIT_X86_BUS_LOCK);
	C(LIBVM_KVM_EXIT_XEN); C(LIBVM_KVM_EXIT_NOTIFY);
	C(LIBVM_SYSTEM_EVENT_SHUTDOWN); C(LIBVM_SYSTEM_EVENT_RESET);
	C(LIBVM_SYSTEM_EVENT_CRASH); C(LIBVM_SYSTEM_EVENT_WAKEUP);
	C(LIBVM_SYSTEM_EVENT_SUSPEND); C(LIBVM_SYSTEM_EVENT_SEV_TERM);
	/* device.h */
	C(LIBVM_TRAP_PIO); C(LIBVM_TRAP_MMIO); C(LIBVM_TRAP_HYPERCALL);
	C(LIBVM_TRAP_CONTINUE); C(LIBVM_TRAP_STOP);
	C(LIBVM_IOEVENTFD_DATAMATCH); C(LIBVM_IOEVENTFD_REMOVE);
	C(LIBVM_IRQFD_REMOVE);
	/* loader.h */
	C(LIBVM_LOAD_VADDR);
	/* mode.h */
	C(LIBVM_SYS_SIZE); C(LIBVM_LONG_MAX_VCPUS); C(LIBVM_LONG_SUPERVISOR);
	C(LIBVM_LONG_1G_PAGES); C(LIBVM_LONG_MODE_VERSION);
	/* ports.h */
	C(LIBVM_PORT_HYPERCALL); C(LIBVM_PORT_RETURN);
	C(LIBVM_PORT_EXCEPTION); C(LIBVM_HC_EXIT); C(LIBVM_HC_CONSOLE);
	C(LIBVM_HC_BUG); C(LIBVM_HC_USER);
	/* call.h */
	C(LIBVM_ELF_OPTIONS_VERSION);
	C(LIBVM_LONG_SYSCALL); C(LIBVM_PORT_SYSCALL); C(LIBVM_TRAP_SYSCALL);
	/* linuxprog.h */
	C(LIBVM_LINUX_USER_BASE); C(LIBVM_LINUX_PIE_BASE);
	C(LIBVM_LINUX_SERVE); C(LIBVM_LINUX_RETURN); C(LIBVM_LINUX_STOP);
	C(LIBVM_LINUX_ROOT_WRITABLE); C(LIBVM_LINUX_NO_OPENAT2);
	C(LIBVM_LINUX_CONFIG_VERSION);
	/* boot.h */
	C(LIBVM_KERNEL_UNKNOWN); C(LIBVM_KERNEL_BZIMAGE); C(LIBVM_KERNEL_PVH);
	C(LIBVM_KERNEL_MULTIBOOT); C(LIBVM_KERNEL_ELF);
	C(LIBVM_E820_RAM); C(LIBVM_E820_RESERVED); C(LIBVM_E820_ACPI);
	C(LIBVM_E820_NVS); C(LIBVM_BOOT_CONFIG_VERSION);
	C(LIBVM_BOOT_KERNEL); C(LIBVM_BOOT_INFO); C(LIBVM_BOOT_CMDLINE);
	C(LIBVM_BOOT_MODULE); C(LIBVM_BOOT_MEMMAP); C(LIBVM_BOOT_MODLIST);
	C(LIBVM_BOOT_TABLES); C(LIBVM_BOOT_STRINGS); C(LIBVM_BOOT_SYSTEM);
	C(LIBVM_BOOT_STACK);
	/* platform.h */
	C(LIBVM_PLAT_UART); C(LIBVM_PLAT_RTC); C(LIBVM_PLAT_I8042);
	C(LIBVM_PLAT_DEBUG_EXIT); C(LIBVM_PLAT_BOOT_MARKER);
	C(LIBVM_PLAT_ACPI); C(LIBVM_PLAT_ALL);
	C(LIBVM_PORT_COM1); C(LIBVM_IRQ_COM1); C(LIBVM_PORT_RTC);
	C(LIBVM_IRQ_RTC); C(LIBVM_PORT_I8042_DATA); C(LIBVM_PORT_I8042_CMD);
	C(LIBVM_PORT_DEBUG_EXIT); C(LIBVM_PORT_BOOT_MARKER);
	C(LIBVM_PORT_SLEEP_CTL); C(LIBVM_PORT_SLEEP_STS);
	C(LIBVM_ACPI_S5_TYPE); C(LIBVM_PLAT_TABLES_GPA);
	C(LIBVM_PLAT_TABLES_SIZE); C(LIBVM_PLAT_MMIO_BASE);
	C(LIBVM_PLAT_MMIO_SIZE); C(LIBVM_PLAT_MAX_CPUS);
	C(LIBVM_PLATFORM_CONFIG_VERSION); C(LIBVM_PLAT_IRQ_LEVEL);
	C(LIBVM_PLAT_IRQ_LOW); C(LIBVM_PLAT_END_NONE);
	C(LIBVM_PLAT_END_DEBUG_EXIT); C(LIBVM_PLAT_END_POWEROFF);
	C(LIBVM_PLAT_END_RESET);
	/* machine.h */
	C(LIBVM_MACHINE_CONFIG_VERSION); C(LIBVM_MACHINE_LOW_RAM);
	C(LIBVM_MACHINE_BZIMAGE_AS_IS);
	C(LIBVM_MACHINE_RUNNING); C(LIBVM_MACHINE_DEBUG_EXIT);
	C(LIBVM_MACHINE_POWEROFF); C(LIBVM_MACHINE_RESET);
	C(LIBVM_MACHINE_TRIPLE_FAULT); C(LIBVM_MACHINE_GUEST_EXIT);
	C(LIBVM_MACHINE_CRASH); C(LIBVM_MACHINE_TIMEOUT);
	C(LIBVM_MACHINE_CANCELLED); C(LIBVM_MACHINE_ERROR);
	/* fuzz.h */
	C(LIBVM_FUZZ_OK); C(LIBVM_FUZZ_CRASH); C(LIBVM_FUZZ_TRIPLE_FAULT);
	C(LIBVM_FUZZ_TIMEOUT); C(LIBVM_FUZZ_BUG); C(LIBVM_FUZZ_STOPPED);
	C(LIBVM_FUZZ_TRUNCATED);
	/* cmplog.h */
	C(LIBVM_CMP_CONST);
	/* virtio.h */
	C(LIBVM_VIRTIO_ID_NET); C(LIBVM_VIRTIO_ID_BLOCK);
	C(LIBVM_VIRTIO_ID_CONSOLE); C(LIBVM_VIRTIO_ID_RNG);
	C(LIBVM_VIRTIO_F_INDIRECT_DESC); C(LIBVM_VIRTIO_F_EVENT_IDX);
	C(LIBVM_VIRTIO_F_VERSION_1);
	C(LIBVM_VIRTIO_S_ACKNOWLEDGE); C(LIBVM_VIRTIO_S_DRIVER);
	C(LIBVM_VIRTIO_S_DRIVER_OK); C(LIBVM_VIRTIO_S_FEATURES_OK);
	C(LIBVM_VIRTIO_S_NEEDS_RESET); C(LIBVM_VIRTIO_S_FAILED);
	C(LIBVM_VIRTIO_MMIO_SIZE); C(LIBVM_VIRTIO_MMIO_MAGIC);
	C(LIBVM_VIRTIO_MMIO_VERSION); C(LIBVM_VIRTIO_CONFIG_MAX);
	C(LIBVM_VIRTIO_MAX_QUEUES); C(LIBVM_VIRTIO_QUEUE_MAX);
	C(LIBVM_VIRTIO_NO_GSI);
	C(LIBVM_VIRTIO_EV_QUEUE); C(LIBVM_VIRTIO_EV_FD);
	C(LIBVM_VIRTIO_EV_RESET); C(LIBVM_VIRTIO_EV_READY);
	C(LIBVM_VIRTIO_EV_CONFIG);
	C(LIBVM_VIRTIO_TRAP_NOTIFY); C(LIBVM_VIRTIO_CONFIG_VERSION);
	C(LIBVM_VIRTIO_STATS_VERSION);
	C(LIBVM_VIRTQ_READABLE); C(LIBVM_VIRTQ_WRITABLE);
	C(LIBVM_VIRTIO_BLK_READONLY); C(LIBVM_VIRTIO_BLK_CONFIG_VERSION);
	C(LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION);
	C(LIBVM_VIRTIO_RNG_CONFIG_VERSION);
	printf("\n  },\n  \"strings\": {\n    \"LIBVM_VERSION_STRING\": \"%s\"\n  }\n}\n",
	       LIBVM_VERSION_STRING);
	return 0;
}
