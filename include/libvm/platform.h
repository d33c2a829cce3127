/* SPDX-License-Identifier: MIT */
/*
 * libvm: the PC platform an unmodified kernel expects.
 *
 * A platform sits on a VM created with LIBVM_VM_IRQCHIP | LIBVM_VM_PIT (the
 * in-kernel PIC, IOAPIC, local APICs and PIT) and adds, through the same
 * public trap and device-state calls a program has (so a VM with a
 * platform can be snapshotted, and each device is an example of how to
 * write one):
 *   - a 16550A UART at port 0x3f8, IRQ 4, with interrupt-driven input and
 *     output;
 *   - a CMOS RTC at ports 0x70-0x71 with the host's time;
 *   - an i8042 at ports 0x60 and 0x64, enough to reset the machine;
 *   - a debug-exit port (0xf4): writing v ends the guest with status
 *     (v << 1) | 1;
 *   - a boot-marker port (0xf6): a write records the time since the
 *     platform's epoch;
 *   - ACPI tables (RSDP, XSDT, RSDT, a hardware-reduced FADT with sleep
 *     control and status registers, a MADT with every vCPU's local APIC
 *     and the IOAPIC, a DSDT with \_S5 and the devices) so the guest finds
 *     every vCPU, brings the others up itself with INIT/SIPI, and can
 *     power off;
 *   - a CPUID table per vCPU with the KVM paravirtual leaves and a
 *     topology that matches the vCPU count.
 * Guest power-off (ACPI S5), reset (i8042 pulse, 0xfe to port 0x64) and
 * the debug-exit port stop the vCPU that asked with LIBVM_EXIT_STOPPED
 * (u.stop.space LIBVM_TRAP_PIO, u.stop.addr the port);
 * libvm_platform_status() says which.  The machine (<libvm/machine.h>)
 * puts all of this together.
 */
#ifndef LIBVM_PLATFORM_H
#define LIBVM_PLATFORM_H

#include <libvm/call.h>
#include <libvm/vcpu.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libvm_platform libvm_platform;

/* libvm_platform_config.devices */
#define LIBVM_PLAT_UART		(1u << 0) /* 16550A, COM1 */
#define LIBVM_PLAT_RTC		(1u << 1) /* CMOS RTC */
#define LIBVM_PLAT_I8042	(1u << 2) /* keyboard controller (reset) */
#define LIBVM_PLAT_DEBUG_EXIT	(1u << 3) /* port LIBVM_PORT_DEBUG_EXIT */
#define LIBVM_PLAT_BOOT_MARKER	(1u << 4) /* port LIBVM_PORT_BOOT_MARKER */
#define LIBVM_PLAT_ACPI		(1u << 5) /* tables and sleep registers */
#define LIBVM_PLAT_ALL		0x3fu

/* Fixed ports and lines of the platform. */
#define LIBVM_PORT_COM1		0x3f8	/* 8 ports */
#define LIBVM_IRQ_COM1		4
#define LIBVM_PORT_RTC		0x70	/* index (bit 7: NMI off), data */
#define LIBVM_IRQ_RTC		8
#define LIBVM_PORT_I8042_DATA	0x60
#define LIBVM_PORT_I8042_CMD	0x64
#define LIBVM_PORT_DEBUG_EXIT	0xf4
#define LIBVM_PORT_BOOT_MARKER	0xf6
/* ACPI sleep control (SLP_TYP << 2 | SLP_EN 0x20) and status, 8-bit. */
#define LIBVM_PORT_SLEEP_CTL	0x600
#define LIBVM_PORT_SLEEP_STS	0x601
/* SLP_TYP of \_S5 (power off). */
#define LIBVM_ACPI_S5_TYPE	5
/* Where the ACPI tables go by default (the BIOS area a guest scans). */
#define LIBVM_PLAT_TABLES_GPA	0xe0000ull
#define LIBVM_PLAT_TABLES_SIZE	0x20000ull
/* MMIO window for devices by default: above 3 GiB, below the IOAPIC. */
#define LIBVM_PLAT_MMIO_BASE	0xc0000000ull
#define LIBVM_PLAT_MMIO_SIZE	0x3ec00000ull
/* vCPUs the tables and CPUID topology describe at most. */
#define LIBVM_PLAT_MAX_CPUS	64

#define LIBVM_PLATFORM_CONFIG_VERSION 1

/*
 * Versioned: initialize with LIBVM_PLATFORM_CONFIG_INIT or
 * libvm_platform_config_init(); fields are only ever appended.
 */
typedef struct libvm_platform_config {
	uint32_t version;	/* LIBVM_PLATFORM_CONFIG_VERSION */
	uint32_t devices;	/* LIBVM_PLAT_* */
	uint32_t ncpus;		/* vCPUs 0..ncpus-1 (1..LIBVM_PLAT_MAX_CPUS) */
	/*
	 * UART input: the platform reads this fd on a thread of its own
	 * (-1: none; libvm_platform_uart_input() feeds it too).  Not closed
	 * by the platform.
	 */
	int32_t uart_in_fd;
	/* UART output: written to this fd (-1: none) ... */
	int32_t uart_out_fd;
	uint32_t reserved0;
	/* ... and/or handed to this function, from the vCPU's thread. */
	libvm_console_fn uart_out;
	void *uart_opaque;
	/* Guest RAM for the ACPI tables (0: LIBVM_PLAT_TABLES_GPA). */
	uint64_t tables_gpa;
	uint64_t tables_size;	/* 0: LIBVM_PLAT_TABLES_SIZE */
	/* Window libvm_platform_alloc_mmio() hands out (0: the default). */
	uint64_t mmio_base;
	uint64_t mmio_size;
	/* CLOCK_MONOTONIC ns that boot-marker times count from (0: now). */
	uint64_t epoch_ns;
} libvm_platform_config;

#define LIBVM_PLATFORM_CONFIG_INIT \
	{ LIBVM_PLATFORM_CONFIG_VERSION, LIBVM_PLAT_ALL, 1, -1, -1, 0, NULL, \
	  NULL, 0, 0, 0, 0, 0 }

/* Fill *cfg with the defaults of that version (1..current). */
LIBVM_API int libvm_platform_config_init(libvm_platform_config *cfg,
					 uint32_t version);

/*
 * Add the platform's devices to vm (which needs LIBVM_VM_IRQCHIP; PIT
 * too for most kernels).  Registers the traps and device states it uses
 * (names "libvm-uart", "libvm-rtc", "libvm-i8042", "libvm-platform").
 * cfg may be NULL for the defaults.
 */
LIBVM_API int libvm_platform_create(libvm_platform **out, libvm_vm *vm,
				    const libvm_platform_config *cfg);
/*
 * Remove the devices again (unregistering their traps) and stop the
 * input thread.  No vCPU of the VM may be running.  NULL is a no-op.
 */
LIBVM_API void libvm_platform_destroy(libvm_platform *plat);

/*
 * Give vcpu (id < ncpus) the platform's CPUID table: what KVM supports,
 * with the KVM paravirtual leaves, the vCPU's APIC id (= its id) and a
 * topology of ncpus cores in one package (leaves 1, 4, 0xb, 0x1f,
 * 0x80000008, 0x8000001e).  Before the vCPU's first run.
 */
LIBVM_API int libvm_platform_vcpu_init(libvm_platform *plat,
				       libvm_vcpu *vcpu);

/*
 * For devices of higher layers (virtio-mmio, ...): take len bytes of the
 * MMIO window (rounded up to 4 KiB, 4 KiB aligned), or a free interrupt
 * line of the IOAPIC (GSI 16-23, then unused ISA lines 5, 6, 7, 9, 10,
 * 11).  LIBVM_ELIMIT when none is left.
 */
LIBVM_API int libvm_platform_alloc_mmio(libvm_platform *plat, uint64_t len,
					uint64_t *base);
LIBVM_API int libvm_platform_alloc_gsi(libvm_platform *plat, uint32_t *gsi);

/* libvm_platform_acpi_device flags */
#define LIBVM_PLAT_IRQ_LEVEL	(1u << 0) /* level-triggered (else edge) */
#define LIBVM_PLAT_IRQ_LOW	(1u << 1) /* active low (else high) */

/*
 * Announce a device in the DSDT: Device with _HID hid (1-8 characters,
 * e.g. "LNRO0005" for virtio-mmio), a _UID numbered per hid, and a _CRS
 * with Memory32Fixed(mmio_base, mmio_len) (if mmio_len) and an Interrupt
 * for gsi (if gsi != UINT32_MAX).  Before libvm_platform_write_tables;
 * at most 64 devices.
 */
LIBVM_API int libvm_platform_acpi_device(libvm_platform *plat,
					 const char *hid, uint64_t mmio_base,
					 uint64_t mmio_len, uint32_t gsi,
					 uint32_t flags);

/*
 * Write the ACPI tables into guest RAM at tables_gpa (which must be RAM)
 * and give the RSDP's address (LIBVM_ENOTSUP without LIBVM_PLAT_ACPI).
 * May be called again after more devices were announced.
 */
LIBVM_API int libvm_platform_write_tables(libvm_platform *plat,
					  uint64_t *rsdp_gpa);

/*
 * Feed bytes to the UART's receiver as if typed: returns how many were
 * taken (0..len; the rest when the guest has read some), or < 0.  Safe
 * from any thread.
 */
LIBVM_API int64_t libvm_platform_uart_input(libvm_platform *plat,
					    const void *buf, size_t len);

/* libvm_platform_status.end: what the guest asked for. */
#define LIBVM_PLAT_END_NONE		0
#define LIBVM_PLAT_END_DEBUG_EXIT	1 /* status = (v << 1) | 1 */
#define LIBVM_PLAT_END_POWEROFF		2 /* ACPI S5 */
#define LIBVM_PLAT_END_RESET		3 /* i8042 reset pulse */

typedef struct libvm_platform_status {
	uint32_t end;		/* LIBVM_PLAT_END_*, the first request */
	uint32_t status;	/* debug exit: (v << 1) | 1 */
	uint64_t marker_ns;	/* first boot-marker write, since the epoch */
	uint64_t markers;	/* boot-marker writes so far */
	uint32_t marker_value;	/* last value written there */
	uint32_t reserved[9];
} libvm_platform_status;

LIBVM_API int libvm_platform_status_get(libvm_platform *plat,
					libvm_platform_status *out);

#ifdef __cplusplus
}
#endif
#endif
