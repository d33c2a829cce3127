/* SPDX-License-Identifier: MIT */
/*
 * libvm: booting kernels.  Four kinds, told apart by their contents:
 *   - a Linux bzImage, entered through the 64-bit boot protocol (long mode,
 *     identity-mapped page tables, RSI = the zero page);
 *   - an ELF kernel with a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), such
 *     as an uncompressed vmlinux: 32-bit protected mode, paging off,
 *     EBX = hvm_start_info;
 *   - a multiboot (version 1) kernel, ELF or with the header's address
 *     fields: 32-bit protected mode, EAX = 0x2BADB002, EBX = the info;
 *   - a bare ELF64 guest: loaded at its virtual addresses and entered in
 *     libvm's long-mode environment (<libvm/mode.h>), as a guest program.
 *
 * libvm_boot_load() reads the kernel and its modules, checks every header
 * field against the file and the VM's RAM, decides where everything goes,
 * and only then writes guest RAM: a call that fails writes nothing.
 * libvm_boot_enter() then puts the boot vCPU in the protocol's entry state.
 * Guest RAM is every region mapped without LIBVM_MEM_READONLY, except the
 * legacy hole 0xa0000-0xfffff, which is never RAM to a kernel.
 */
#ifndef LIBVM_BOOT_H
#define LIBVM_BOOT_H

#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_boot libvm_boot;

/* Kernel kinds: libvm_kernel_probe, libvm_boot_config.kind. */
#define LIBVM_KERNEL_UNKNOWN	0
#define LIBVM_KERNEL_BZIMAGE	1	/* Linux bzImage, protocol >= 2.12 */
#define LIBVM_KERNEL_PVH	2	/* ELF32/64 with a PVH entry note */
#define LIBVM_KERNEL_MULTIBOOT	3	/* multiboot version 1 header */
#define LIBVM_KERNEL_ELF	4	/* ELF64 with neither */

/* Memory map types, as in the e820 map (PVH and multiboot use them too). */
#define LIBVM_E820_RAM		1
#define LIBVM_E820_RESERVED	2
#define LIBVM_E820_ACPI		3	/* ACPI tables, reclaimable */
#define LIBVM_E820_NVS		4	/* ACPI non-volatile storage */

/* A range of guest-physical addresses and what the guest is told it is. */
typedef struct libvm_mem_range {
	uint64_t base, len;
	uint32_t type;		/* LIBVM_E820_* */
	uint32_t reserved;	/* 0 */
} libvm_mem_range;

/*
 * A module: an initrd for a bzImage (several are concatenated, each
 * padded to 4 bytes), a module with its own string for PVH and multiboot.
 */
typedef struct libvm_boot_module {
	const char *path;	/* a file, or NULL to take data and len */
	const void *data;
	uint64_t len;
	const char *string;	/* PVH and multiboot: NULL gives "" */
} libvm_boot_module;

#define LIBVM_BOOT_CONFIG_VERSION 1

/*
 * Versioned: fill with LIBVM_BOOT_CONFIG_INIT or libvm_boot_config_init();
 * fields are only ever appended.
 */
typedef struct libvm_boot_config {
	uint32_t version;	/* LIBVM_BOOT_CONFIG_VERSION */
	uint32_t flags;		/* none yet: 0 */
	const char *kernel_path; /* a file, or NULL to take kernel_data */
	const void *kernel_data;
	uint64_t kernel_len;
	const char *cmdline;	/* NULL: empty */
	const libvm_boot_module *modules;
	uint32_t nmodules;
	uint32_t nreserved;
	/*
	 * Ranges the caller uses (tables, MMIO, its own RAM): the loader
	 * puts nothing there and lists each in the guest's memory map with
	 * its type.  They must not overlap each other.
	 */
	const libvm_mem_range *reserved;
	uint64_t acpi_rsdp;	/* the RSDP's address for the guest; 0: none */
	uint32_t kind;		/* LIBVM_KERNEL_*; UNKNOWN (0) probes */
} libvm_boot_config;

#define LIBVM_BOOT_CONFIG_INIT \
	{ LIBVM_BOOT_CONFIG_VERSION, 0, NULL, NULL, 0, NULL, NULL, 0, 0, \
	  NULL, 0, 0 }

/* The defaults of a given version (1 .. LIBVM_BOOT_CONFIG_VERSION). */
LIBVM_API int libvm_boot_config_init(libvm_boot_config *cfg,
				     uint32_t version);

/*
 * What kind of kernel buf[0, len) is, by its magic numbers alone (the full
 * check is libvm_boot_load's): a bzImage, then an ELF with a PVH note, a
 * multiboot header in the first 8 KiB, an ELF64.  LIBVM_EIMAGE (and
 * *kind LIBVM_KERNEL_UNKNOWN) for anything else.
 */
LIBVM_API int libvm_kernel_probe(const void *buf, size_t len,
				 uint32_t *kind);
LIBVM_API int libvm_kernel_probe_file(const char *path, uint32_t *kind);

/*
 * Load a kernel, its modules, command line and boot information into vm's
 * RAM.  cfg->kind UNKNOWN probes the kernel.  Errors: LIBVM_EIMAGE for a
 * malformed kernel (the message names the header field), LIBVM_ERANGE
 * when something does not fit into free RAM, LIBVM_EINVAL for a bad
 * config (a command line longer than the kernel takes, overlapping
 * reserved ranges), LIBVM_ELIMIT beyond the loader's limits, LIBVM_EIO
 * for a file.  Nothing is written unless everything checks out.  The
 * result describes what went where, until libvm_boot_destroy().
 */
LIBVM_API int libvm_boot_load(libvm_boot **out, libvm_vm *vm,
			      const libvm_boot_config *cfg);
/*
 * Put bsp (a vCPU of that VM, not running) in the protocol's entry state:
 * registers, segments, control registers and EFER, interrupts off.  May
 * be called again to boot the same image again (guest RAM permitting).
 */
LIBVM_API int libvm_boot_enter(libvm_boot *b, libvm_vcpu *bsp);
/* Free the description; guest RAM is not touched.  NULL is a no-op. */
LIBVM_API void libvm_boot_destroy(libvm_boot *b);

LIBVM_API uint32_t libvm_boot_kind(const libvm_boot *b);
/* Guest-physical address execution starts at. */
LIBVM_API uint64_t libvm_boot_entry(const libvm_boot *b);

/* What a placed range holds: libvm_boot_range.what. */
#define LIBVM_BOOT_KERNEL	1	/* the kernel (an ELF: per segment) */
#define LIBVM_BOOT_INFO		2	/* zero page, hvm_start_info, mb info */
#define LIBVM_BOOT_CMDLINE	3
#define LIBVM_BOOT_MODULE	4	/* index: the module's number */
#define LIBVM_BOOT_MEMMAP	5	/* PVH and multiboot memory map */
#define LIBVM_BOOT_MODLIST	6	/* PVH modlist, multiboot mods */
#define LIBVM_BOOT_TABLES	7	/* GDT, TSS and page tables */
#define LIBVM_BOOT_STRINGS	8	/* module strings, loader name */
#define LIBVM_BOOT_SYSTEM	9	/* bare ELF: the long-mode area */
#define LIBVM_BOOT_STACK	10	/* bare ELF: the initial stack */

typedef struct libvm_boot_range {
	uint64_t gpa, len;
	uint32_t what;		/* LIBVM_BOOT_* */
	uint32_t index;		/* module number; segment number; else 0 */
} libvm_boot_range;

/*
 * Where everything went, sorted by gpa.  *count is in/out: capacity in,
 * entries out (LIBVM_ELIMIT and the needed count when out is too small;
 * out may be NULL with *count 0 to ask).
 */
LIBVM_API int libvm_boot_ranges(const libvm_boot *b, libvm_boot_range *out,
				uint32_t *count);
/* The memory map the guest was given, sorted; *count as above. */
LIBVM_API int libvm_boot_memmap(const libvm_boot *b, libvm_mem_range *out,
				uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif
