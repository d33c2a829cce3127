/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables of a platform (ACPI 6.x, chapter 5), built in a host
 * buffer for a guest that finds them at gpa:
 *
 *   RSDP (revision 2, 16-byte aligned, where a guest scanning the BIOS
 *   area finds it) -> XSDT and RSDT -> FADT, MADT; FADT -> DSDT.
 *
 * - The FADT (revision 6) describes a hardware-reduced platform: no SCI,
 *   no PM1 blocks or PM timer, and the ACPI 5 sleep control and status
 *   registers at LIBVM_PORT_SLEEP_CTL/STS, so a guest powers off by
 *   writing \_S5's SLP_TYP with SLP_EN there.  Its reset register is the
 *   i8042's reset command (0xfe to port 0x64), its century register the
 *   RTC's 0x32.
 * - The MADT lists a local APIC per vCPU (APIC id = vCPU id), LINT1 as
 *   NMI for all, and the IOAPIC (id 0, 0xfec00000, GSIs from 0).  ISA
 *   IRQs map to the same GSIs (no source overrides), which is KVM's
 *   default routing.
 * - The DSDT holds \_S5 and, in \_SB, the UART and RTC (so the guest's
 *   PnP layer sees their resources) and the devices higher layers
 *   announced (libvm_platform_acpi_device).
 */
#include "plat.h"
#include "aml.h"

#include <string.h>

#define HDR_LEN		36
#define RSDP_LEN	36
#define FADT_LEN	276
#define MADT_LAPIC	0
#define MADT_IOAPIC	1
#define MADT_LAPIC_NMI	4
#define LAPIC_GPA	0xfee00000u
#define IOAPIC_GPA	0xfec00000u
#define MADT_PCAT_COMPAT 1u

/* FADT fields (offsets) and flags used here. */
#define FADT_DSDT	40
#define FADT_CENTURY	108
#define FADT_BOOT_ARCH	109
#define FADT_FLAGS	112
#define FADT_RESET_REG	116
#define FADT_RESET_VAL	128
#define FADT_X_DSDT	140
#define FADT_SLEEP_CTL	244
#define FADT_SLEEP_STS	256
#define FADT_HV_ID	268
#define FADT_WBINVD	(1u << 0)
#define FADT_PWR_BUTTON	(1u << 4)	/* no fixed power button */
#define FADT_SLP_BUTTON	(1u << 5)
#define FADT_RESET_SUP	(1u << 10)
#define FADT_HW_REDUCED	(1u << 20)
#define BOOT_VGA_ABSENT	(1u << 2)
#define BOOT_NO_CMOS	(1u << 5)
#define GAS_SYSTEM_IO	1
#define GAS_BYTE	1

#define RTC_CENTURY_REG	0x32
#define I8042_RESET	0xfe

/* A table under construction in the output buffer. */
struct tbl {
	uint8_t *p;
	uint64_t off;	/* in the buffer */
	uint32_t len;
};

struct out {
	uint8_t *buf;
	uint64_t size, used, gpa;
	bool err;
};

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t checksum(const uint8_t *p, uint64_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

/* Room for len bytes, 16-byte aligned; NULL (sticky) when full. */
static uint8_t *take(struct out *o, uint64_t len, uint64_t *off)
{
	uint64_t at = (o->used + 15) & ~15ull;

	if (o->err || at > o->size || len > o->size - at) {
		o->err = true;
		return NULL;
	}
	o->used = at + len;
	*off = at;
	return o->buf + at;
}

static void header(uint8_t *p, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(p, sig, 4);
	wr32(p + 4, len);
	p[8] = rev;
	memcpy(p + 10, "LIBVM ", 6);
	memcpy(p + 16, "LIBVMPLT", 8);
	wr32(p + 24, 1);
	memcpy(p + 28, "LVM ", 4);
	wr32(p + 32, 1);
}

static void seal(uint8_t *p, uint32_t len)
{
	p[9] = 0;
	p[9] = checksum(p, len);
}

static void gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = 8;		/* bit width */
	p[2] = 0;		/* bit offset */
	p[3] = GAS_BYTE;
	wr64(p + 4, port);
}

static uint64_t fadt(struct out *o, const struct lvm_acpi_layout *l,
		     uint64_t dsdt)
{
	uint64_t off = 0;
	uint8_t *p = take(o, FADT_LEN, &off);
	uint16_t boot = BOOT_VGA_ABSENT;
	uint32_t flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
			 FADT_HW_REDUCED;

	if (!p)
		return 0;
	header(p, "FACP", FADT_LEN, 6);
	wr32(p + FADT_DSDT, (uint32_t)dsdt);
	wr64(p + FADT_X_DSDT, dsdt);
	if (l->devices & LIBVM_PLAT_RTC)
		p[FADT_CENTURY] = RTC_CENTURY_REG;
	else
		boot |= BOOT_NO_CMOS;
	wr16(p + FADT_BOOT_ARCH, boot);
	if (l->devices & LIBVM_PLAT_I8042) {
		flags |= FADT_RESET_SUP;
		gas_io8(p + FADT_RESET_REG, LIBVM_PORT_I8042_CMD);
		p[FADT_RESET_VAL] = I8042_RESET;
	}
	wr32(p + FADT_FLAGS, flags);
	gas_io8(p + FADT_SLEEP_CTL, LIBVM_PORT_SLEEP_CTL);
	gas_io8(p + FADT_SLEEP_STS, LIBVM_PORT_SLEEP_STS);
	memcpy(p + FADT_HV_ID, "LIBVM   ", 8);
	seal(p, FADT_LEN);
	return o->gpa + off;
}

static uint64_t madt(struct out *o, const struct lvm_acpi_layout *l)
{
	uint32_t len = HDR_LEN + 8 + 8 * l->ncpus + 6 + 12, i;
	uint64_t off = 0;
	uint8_t *p = take(o, len, &off), *e;

	if (!p)
		return 0;
	header(p, "APIC", len, 5);
	wr32(p + 36, LAPIC_GPA);
	wr32(p + 40, MADT_PCAT_COMPAT);
	e = p + 44;
	for (i = 0; i < l->ncpus; i++, e += 8) {
		e[0] = MADT_LAPIC;
		e[1] = 8;
		e[2] = (uint8_t)i;	/* ACPI processor UID */
		e[3] = (uint8_t)i;	/* APIC id */
		wr32(e + 4, 1);		/* enabled */
	}
	e[0] = MADT_LAPIC_NMI;
	e[1] = 6;
	e[2] = 0xff;		/* every processor */
	wr16(e + 3, 0);		/* bus-conformant polarity and trigger */
	e[5] = 1;		/* LINT1 */
	e += 6;
	e[0] = MADT_IOAPIC;
	e[1] = 12;
	e[2] = 0;		/* IOAPIC id */
	e[3] = 0;
	wr32(e + 4, IOAPIC_GPA);
	wr32(e + 8, 0);		/* first GSI */
	seal(p, len);
	return o->gpa + off;
}

static void legacy_devices(struct aml *a, const struct lvm_acpi_layout *l)
{
	uint8_t res[AML_IO_LEN + AML_IRQ_LEN];
	uint32_t id;

	if (l->devices & LIBVM_PLAT_UART) {
		aml_device(a, "COM1");
		aml_name(a, "_HID");
		aml_eisa_id("PNP0501", &id);
		aml_integer(a, id);
		aml_name(a, "_UID");
		aml_integer(a, 1);
		aml_name(a, "_CRS");
		aml_res_io(res, LIBVM_PORT_COM1, 8);
		aml_res_irq(res + AML_IO_LEN, LIBVM_IRQ_COM1);
		aml_resources(a, res, sizeof(res));
		aml_close(a);
	}
	if (l->devices & LIBVM_PLAT_RTC) {
		aml_device(a, "RTC");
		aml_name(a, "_HID");
		aml_eisa_id("PNP0B00", &id);
		aml_integer(a, id);
		aml_name(a, "_CRS");
		aml_res_io(res, LIBVM_PORT_RTC, 2);
		aml_resources(a, res, AML_IO_LEN);	/* no interrupts */
		aml_close(a);
	}
}

static void announced(struct aml *a, const struct lvm_acpi_dev *d,
		      uint32_t idx)
{
	uint8_t res[AML_MEM32_LEN + AML_XIRQ_LEN];
	char name[5] = "DV00";
	size_t n = 0;
	uint32_t id;

	name[2] = (char)('0' + idx / 10);
	name[3] = (char)('0' + idx % 10);
	aml_device(a, name);
	aml_name(a, "_HID");
	if (aml_eisa_id(d->hid, &id))
		aml_integer(a, id);
	else
		aml_string(a, d->hid);
	aml_name(a, "_UID");
	aml_integer(a, d->uid);
	if (d->len) {
		aml_res_mem32(res, (uint32_t)d->base, (uint32_t)d->len);
		n += AML_MEM32_LEN;
	}
	if (d->gsi != UINT32_MAX) {
		aml_res_xirq(res + n, d->gsi, d->flags & LIBVM_PLAT_IRQ_LEVEL,
			     d->flags & LIBVM_PLAT_IRQ_LOW);
		n += AML_XIRQ_LEN;
	}
	aml_name(a, "_CRS");
	aml_resources(a, res, n);
	aml_close(a);
}

static uint64_t dsdt(struct out *o, const struct lvm_acpi_layout *l)
{
	uint64_t off = 0, room;
	struct aml a;
	uint32_t i;
	uint8_t *p = take(o, HDR_LEN, &off);

	if (!p)
		return 0;
	room = o->size - o->used;
	aml_init(&a, p + HDR_LEN, room);
	aml_name(&a, "\\_S5");
	aml_package(&a, 4);
	aml_integer(&a, LIBVM_ACPI_S5_TYPE);	/* SLP_TYPa */
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_close(&a);
	aml_scope(&a, "\\_SB");
	legacy_devices(&a, l);
	for (i = 0; i < l->ndevs; i++)
		announced(&a, &l->devs[i], i);
	aml_close(&a);
	if (a.err || a.depth || HDR_LEN + a.len > UINT32_MAX) {
		o->err = true;
		return 0;
	}
	o->used += a.len;
	header(p, "DSDT", (uint32_t)(HDR_LEN + a.len), 2);
	seal(p, (uint32_t)(HDR_LEN + a.len));
	return o->gpa + off;
}

/* XSDT (64-bit entries) or RSDT (32-bit) pointing at tables[]. */
static uint64_t sdt(struct out *o, const uint64_t *tables, unsigned n,
		    bool x)
{
	unsigned w = x ? 8 : 4, i;
	uint32_t len = HDR_LEN + w * n;
	uint64_t off = 0;
	uint8_t *p = take(o, len, &off);

	if (!p)
		return 0;
	header(p, x ? "XSDT" : "RSDT", len, 1);
	for (i = 0; i < n; i++) {
		if (x)
			wr64(p + HDR_LEN + 8 * i, tables[i]);
		else
			wr32(p + HDR_LEN + 4 * i, (uint32_t)tables[i]);
	}
	seal(p, len);
	return o->gpa + off;
}

int lvm_acpi_build(uint8_t *buf, uint64_t size, uint64_t gpa,
		   const struct lvm_acpi_layout *l, uint64_t *rsdp_off,
		   uint64_t *used)
{
	struct out o = { .buf = buf, .size = size, .gpa = gpa };
	uint64_t tables[2], xsdt, rsdt, off = 0;
	uint8_t *rsdp;

	if (gpa + size > 0x100000000ull)
		return lvm_err(LIBVM_EINVAL, "ACPI tables at %#llx+%#llx: "
			       "the RSDT needs them below 4 GiB",
			       (unsigned long long)gpa,
			       (unsigned long long)size);
	memset(buf, 0, size);
	rsdp = take(&o, RSDP_LEN, &off);
	tables[0] = fadt(&o, l, dsdt(&o, l));
	tables[1] = madt(&o, l);
	xsdt = sdt(&o, tables, 2, true);
	rsdt = sdt(&o, tables, 2, false);
	if (o.err)
		return lvm_err(LIBVM_ELIMIT, "ACPI tables: %llu bytes of room "
			       "at %#llx are not enough",
			       (unsigned long long)size,
			       (unsigned long long)gpa);
	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "LIBVM ", 6);
	rsdp[15] = 2;		/* ACPI 2.0+: XSDT */
	wr32(rsdp + 16, (uint32_t)rsdt);
	wr32(rsdp + 20, RSDP_LEN);
	wr64(rsdp + 24, xsdt);
	rsdp[8] = checksum(rsdp, 20);
	rsdp[32] = checksum(rsdp, RSDP_LEN);
	*rsdp_off = off;
	*used = o.used;
	return 0;
}
