/* SPDX-License-Identifier: MIT */
/*
 * The platform's devices (lib/platform/).  They are built on the public
 * API only -- traps, device states, interrupt lines, guest memory -- so
 * each is an example of how to write a device; from lib/ they use just
 * lvm_err for the detail message.
 */
#ifndef LIBVM_PLAT_H
#define LIBVM_PLAT_H

#include "../internal.h"
#include <libvm/platform.h>

struct lvm_uart;
struct lvm_rtc;
struct lvm_kbd;
struct lvm_acpi;

/* lib/platform/uart.c: 16550A at cfg's COM1 port and IRQ. */
int lvm_uart_create(struct lvm_uart **out, libvm_vm *vm,
		    const libvm_platform_config *cfg);
void lvm_uart_destroy(struct lvm_uart *u);
int64_t lvm_uart_input(struct lvm_uart *u, const void *buf, size_t len);

/* lib/platform/rtc.c: CMOS RTC with the host's time. */
int lvm_rtc_create(struct lvm_rtc **out, libvm_vm *vm);
void lvm_rtc_destroy(struct lvm_rtc *r);

/*
 * lib/platform/i8042.c: keyboard controller; a reset request calls
 * reset(opaque) and stops the vCPU.
 */
int lvm_kbd_create(struct lvm_kbd **out, libvm_vm *vm,
		   void (*reset)(void *opaque), void *opaque);
void lvm_kbd_destroy(struct lvm_kbd *k);

/* lib/platform/cpuid.c: the CPUID table of vCPU id of ncpus. */
int lvm_plat_cpuid(libvm_vcpu *vcpu, uint32_t ncpus);

/* Set a GSI's level, 0 or 1; devices ignore failures (no irqchip). */
static inline void lvm_plat_irq(libvm_vm *vm, uint32_t gsi, int level)
{
	(void)libvm_vm_irq_line(vm, gsi, level);
}

/* lib/platform/acpi.c: the tables. */
struct lvm_acpi_dev {
	char hid[9];
	uint32_t uid;
	uint64_t base, len;
	uint32_t gsi;		/* UINT32_MAX: none */
	uint32_t flags;		/* LIBVM_PLAT_IRQ_* */
};

#define LVM_ACPI_MAX_DEVS 64

struct lvm_acpi_layout {
	uint32_t ncpus;
	uint32_t devices;	/* LIBVM_PLAT_* (which legacy devices) */
	const struct lvm_acpi_dev *devs;
	uint32_t ndevs;
};

/*
 * Build the tables for a guest that finds them at gpa into buf (size
 * bytes); *rsdp_off is the RSDP's offset in buf and *used the bytes
 * written.  LIBVM_ELIMIT when they do not fit.
 */
int lvm_acpi_build(uint8_t *buf, uint64_t size, uint64_t gpa,
		   const struct lvm_acpi_layout *l, uint64_t *rsdp_off,
		   uint64_t *used);

#endif
