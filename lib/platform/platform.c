/* SPDX-License-Identifier: MIT */
/*
 * The platform object: brings its devices up on a VM in order and down in
 * reverse, owns the small ports (debug exit, boot marker, ACPI sleep
 * registers, the POST/delay port 0x80 and system control port B 0x61),
 * hands out MMIO windows and interrupt lines to higher layers, and
 * writes the ACPI tables.  Like the devices, it uses only the public API.
 */
#include "plat.h"

#include <stdlib.h>
#include <string.h>

#define PORT_POST	0x80	/* Linux's I/O delay: a sink */
#define PORT_SYSCTL_B	0x61	/* speaker gate, NMI status: reads 0 */
#define SLP_EN		0x20
#define SLP_TYP(v)	(((v) >> 2) & 7)
#define PAGE		4096ull

/* What snapshots keep of the platform itself. */
struct plat_regs {
	libvm_platform_status st;
	uint8_t sysctl_b;
	uint8_t pad[7];
};

struct small_port {
	uint16_t port, len;
	uint32_t need;		/* LIBVM_PLAT_* that brings it */
};

static const struct small_port small_ports[] = {
	{ LIBVM_PORT_DEBUG_EXIT, 1, LIBVM_PLAT_DEBUG_EXIT },
	{ LIBVM_PORT_BOOT_MARKER, 1, LIBVM_PLAT_BOOT_MARKER },
	{ LIBVM_PORT_SLEEP_CTL, 2, LIBVM_PLAT_ACPI },
	{ PORT_POST, 1, 0 },
	{ PORT_SYSCTL_B, 1, 0 },
};

struct libvm_platform {
	libvm_vm *vm;
	libvm_platform_config cfg;
	pthread_mutex_t lock;
	struct plat_regs s;
	struct lvm_uart *uart;
	struct lvm_rtc *rtc;
	struct lvm_kbd *kbd;
	uint32_t ports_up;	/* bit i: small_ports[i] registered */
	bool state_up;
	uint64_t mmio_next;
	uint32_t gsi_used;	/* bit per GSI 0-23 */
	struct lvm_acpi_dev devs[LVM_ACPI_MAX_DEVS];
	uint32_t ndevs;
};

LVM_VERSIONED(config_type, libvm_platform_config,
	      LIBVM_PLATFORM_CONFIG_VERSION, LIBVM_PLATFORM_CONFIG_INIT);

LIBVM_API int libvm_platform_config_init(libvm_platform_config *cfg,
					 uint32_t version)
{
	return lvm_versioned_init(&config_type, cfg, version);
}

/* Ask for the end of the run (the first request wins). */
static void plat_end(libvm_platform *p, uint32_t end, uint32_t status)
{
	pthread_mutex_lock(&p->lock);
	if (p->s.st.end == LIBVM_PLAT_END_NONE) {
		p->s.st.end = end;
		p->s.st.status = status;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The i8042's reset line. */
static void kbd_reset(void *opaque)
{
	plat_end(opaque, LIBVM_PLAT_END_RESET, 0);
}

static uint32_t le_value(const uint8_t *b, uint32_t size)
{
	uint32_t v = 0, i;

	for (i = 0; i < size && i < 4; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

static int small_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		      uint32_t size, uint32_t direction, void *opaque)
{
	libvm_platform *p = opaque;
	uint8_t *b = data;
	uint32_t v = le_value(b, size);
	uint64_t now;

	(void)vcpu;
	if (direction == LIBVM_READ) {
		if (addr == PORT_SYSCTL_B) {
			pthread_mutex_lock(&p->lock);
			b[0] = p->s.sysctl_b;
			pthread_mutex_unlock(&p->lock);
		}
		return LIBVM_TRAP_CONTINUE;	/* the rest reads as 0 */
	}
	switch (addr) {
	case LIBVM_PORT_DEBUG_EXIT:
		plat_end(p, LIBVM_PLAT_END_DEBUG_EXIT, (v << 1) | 1);
		return LIBVM_TRAP_STOP;
	case LIBVM_PORT_BOOT_MARKER:
		now = lvm_now_ns();
		pthread_mutex_lock(&p->lock);
		if (!p->s.st.markers++)
			p->s.st.marker_ns = now > p->cfg.epoch_ns
					    ? now - p->cfg.epoch_ns : 1;
		p->s.st.marker_value = v;
		pthread_mutex_unlock(&p->lock);
		return LIBVM_TRAP_CONTINUE;
	case LIBVM_PORT_SLEEP_CTL:
		if ((v & SLP_EN) && SLP_TYP(v) == LIBVM_ACPI_S5_TYPE) {
			plat_end(p, LIBVM_PLAT_END_POWEROFF, 0);
			return LIBVM_TRAP_STOP;
		}
		return LIBVM_TRAP_CONTINUE;	/* other states: no sleep */
	case PORT_SYSCTL_B:
		pthread_mutex_lock(&p->lock);
		p->s.sysctl_b = b[0] & 0x0f;	/* the writable bits */
		pthread_mutex_unlock(&p->lock);
		return LIBVM_TRAP_CONTINUE;
	default:	/* status register, POST port: a sink */
		return LIBVM_TRAP_CONTINUE;
	}
}

static int check_config(const libvm_platform_config *c)
{
	if (c->devices & ~LIBVM_PLAT_ALL)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_config.devices "
			       "%#x: unknown bits", c->devices);
	if (c->ncpus < 1 || c->ncpus > LIBVM_PLAT_MAX_CPUS)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_config.ncpus %u "
			       "(1-%u)", c->ncpus, LIBVM_PLAT_MAX_CPUS);
	if ((c->tables_gpa | c->tables_size | c->mmio_base | c->mmio_size) &
	    (PAGE - 1))
		return lvm_err(LIBVM_EINVAL, "libvm_platform_config: tables "
			       "and MMIO window must be page aligned");
	if (c->mmio_base + c->mmio_size < c->mmio_base ||
	    c->tables_gpa + c->tables_size < c->tables_gpa)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_config: a range "
			       "wraps around");
	return 0;
}

static int ports_up(libvm_platform *p)
{
	uint32_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(small_ports); i++) {
		const struct small_port *sp = &small_ports[i];

		if (sp->need && !(p->cfg.devices & sp->need))
			continue;
		r = libvm_trap_register(p->vm, LIBVM_TRAP_PIO, sp->port,
					sp->len, small_trap, p);
		if (r < 0)
			return r;
		p->ports_up |= 1u << i;
	}
	return 0;
}

static void ports_down(libvm_platform *p)
{
	uint32_t i;

	for (i = ARRAY_SIZE(small_ports); i-- > 0;)
		if (p->ports_up & (1u << i))
			libvm_trap_unregister(p->vm, LIBVM_TRAP_PIO,
					      small_ports[i].port);
	p->ports_up = 0;
}

LIBVM_API int libvm_platform_create(libvm_platform **out, libvm_vm *vm,
				    const libvm_platform_config *cfg)
{
	libvm_platform_config c;
	libvm_platform *p;
	int r;

	if (!out || !vm)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_create: NULL "
			       "argument");
	*out = NULL;
	r = lvm_versioned_in(&config_type, &c, cfg);
	if (r == 0)
		r = check_config(&c);
	if (r < 0)
		return r;
	cfg = &c;
	p = calloc(1, sizeof(*p));
	if (!p)
		return lvm_err(LIBVM_ENOMEM, "libvm_platform_create");
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return lvm_err(LIBVM_ENOMEM, "platform lock");
	}
	p->vm = vm;
	p->cfg = *cfg;
	if (!p->cfg.tables_gpa)
		p->cfg.tables_gpa = LIBVM_PLAT_TABLES_GPA;
	if (!p->cfg.tables_size)
		p->cfg.tables_size = LIBVM_PLAT_TABLES_SIZE;
	if (!p->cfg.mmio_size) {
		p->cfg.mmio_base = LIBVM_PLAT_MMIO_BASE;
		p->cfg.mmio_size = LIBVM_PLAT_MMIO_SIZE;
	}
	if (!p->cfg.epoch_ns)
		p->cfg.epoch_ns = lvm_now_ns();
	p->mmio_next = p->cfg.mmio_base;
	/* Lines the platform itself uses or an ISA PC has taken. */
	p->gsi_used = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) |
		      (1u << LIBVM_IRQ_COM1) | (1u << LIBVM_IRQ_RTC) |
		      (1u << 12) | (1u << 13) | (1u << 14) | (1u << 15);

	r = ports_up(p);
	if (r < 0)
		goto fail;
	r = libvm_device_state_register(vm, "libvm-platform", &p->s,
					sizeof(p->s), NULL, NULL);
	if (r < 0)
		goto fail;
	p->state_up = true;
	if (cfg->devices & LIBVM_PLAT_UART) {
		r = lvm_uart_create(&p->uart, vm, &p->cfg);
		if (r < 0)
			goto fail;
	}
	if (cfg->devices & LIBVM_PLAT_RTC) {
		r = lvm_rtc_create(&p->rtc, vm);
		if (r < 0)
			goto fail;
	}
	if (cfg->devices & LIBVM_PLAT_I8042) {
		r = lvm_kbd_create(&p->kbd, vm, kbd_reset, p);
		if (r < 0)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	libvm_platform_destroy(p);
	return r;
}

LIBVM_API void libvm_platform_destroy(libvm_platform *p)
{
	if (!p)
		return;
	lvm_kbd_destroy(p->kbd);
	lvm_rtc_destroy(p->rtc);
	lvm_uart_destroy(p->uart);
	if (p->state_up)
		libvm_device_state_unregister(p->vm, "libvm-platform");
	ports_down(p);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

LIBVM_API int libvm_platform_vcpu_init(libvm_platform *p, libvm_vcpu *vcpu)
{
	if (!p || !vcpu)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_vcpu_init: NULL "
			       "argument");
	if (libvm_vcpu_vm(vcpu) != p->vm ||
	    libvm_vcpu_id(vcpu) >= p->cfg.ncpus)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_vcpu_init: vCPU "
			       "%u is not one of this platform's %u",
			       libvm_vcpu_id(vcpu), p->cfg.ncpus);
	return lvm_plat_cpuid(vcpu, p->cfg.ncpus);
}

LIBVM_API int libvm_platform_alloc_mmio(libvm_platform *p, uint64_t len,
					uint64_t *base)
{
	uint64_t end = 0;
	int r = 0;

	if (!p || !base || !len || len > p->cfg.mmio_size)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_alloc_mmio: bad "
			       "argument");
	len = (len + PAGE - 1) & ~(PAGE - 1);
	pthread_mutex_lock(&p->lock);
	end = p->cfg.mmio_base + p->cfg.mmio_size;
	if (len > end - p->mmio_next) {
		r = lvm_err(LIBVM_ELIMIT, "libvm_platform_alloc_mmio: %#llx "
			    "bytes: the window has %#llx left",
			    (unsigned long long)len,
			    (unsigned long long)(end - p->mmio_next));
	} else {
		*base = p->mmio_next;
		p->mmio_next += len;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

LIBVM_API int libvm_platform_alloc_gsi(libvm_platform *p, uint32_t *gsi)
{
	static const uint8_t order[] = { 16, 17, 18, 19, 20, 21, 22, 23,
					 5, 6, 7, 9, 10, 11 };
	uint32_t i;
	int r = LIBVM_ELIMIT;

	if (!p || !gsi)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_alloc_gsi: NULL "
			       "argument");
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (!(p->gsi_used & (1u << order[i]))) {
			p->gsi_used |= 1u << order[i];
			*gsi = order[i];
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return lvm_err(r, "libvm_platform_alloc_gsi: every line is "
			       "taken");
	return 0;
}

LIBVM_API int libvm_platform_acpi_device(libvm_platform *p, const char *hid,
					 uint64_t mmio_base,
					 uint64_t mmio_len, uint32_t gsi,
					 uint32_t flags)
{
	struct lvm_acpi_dev *d;
	uint32_t i, uid = 0;
	size_t n;
	int r = 0;

	if (!p || !hid)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_acpi_device: NULL "
			       "argument");
	n = strlen(hid);
	if (n < 1 || n > 8 || (flags & ~(LIBVM_PLAT_IRQ_LEVEL |
					  LIBVM_PLAT_IRQ_LOW)))
		return lvm_err(LIBVM_EINVAL, "libvm_platform_acpi_device: hid "
			       "\"%s\" (1-8 characters) or flags %#x", hid,
			       flags);
	if (mmio_len && (mmio_base + mmio_len < mmio_base ||
			 mmio_base + mmio_len > 0x100000000ull))
		return lvm_err(LIBVM_EINVAL, "libvm_platform_acpi_device: MMIO "
			       "%#llx+%#llx must lie below 4 GiB",
			       (unsigned long long)mmio_base,
			       (unsigned long long)mmio_len);
	if (gsi != UINT32_MAX && gsi >= 24)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_acpi_device: GSI "
			       "%u (0-23)", gsi);
	pthread_mutex_lock(&p->lock);
	if (p->ndevs == LVM_ACPI_MAX_DEVS) {
		r = lvm_err(LIBVM_ELIMIT, "libvm_platform_acpi_device: %u "
			    "devices already", p->ndevs);
		goto out;
	}
	for (i = 0; i < p->ndevs; i++)
		if (!strcmp(p->devs[i].hid, hid))
			uid++;
	d = &p->devs[p->ndevs++];
	memcpy(d->hid, hid, n + 1);
	d->uid = uid;
	d->base = mmio_base;
	d->len = mmio_len;
	d->gsi = gsi;
	d->flags = flags;
out:
	pthread_mutex_unlock(&p->lock);
	return r;
}

LIBVM_API int libvm_platform_write_tables(libvm_platform *p,
					  uint64_t *rsdp_gpa)
{
	struct lvm_acpi_layout l;
	uint64_t rsdp = 0, used = 0;
	uint8_t *buf;
	int r;

	if (!p || !rsdp_gpa)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_write_tables: "
			       "NULL argument");
	if (!(p->cfg.devices & LIBVM_PLAT_ACPI))
		return lvm_err(LIBVM_ENOTSUP, "libvm_platform_write_tables: "
			       "the platform was made without LIBVM_PLAT_ACPI");
	buf = malloc(p->cfg.tables_size);
	if (!buf)
		return lvm_err(LIBVM_ENOMEM, "ACPI tables");
	pthread_mutex_lock(&p->lock);
	l = (struct lvm_acpi_layout){ .ncpus = p->cfg.ncpus,
				      .devices = p->cfg.devices,
				      .devs = p->devs, .ndevs = p->ndevs };
	r = lvm_acpi_build(buf, p->cfg.tables_size, p->cfg.tables_gpa, &l,
			   &rsdp, &used);
	pthread_mutex_unlock(&p->lock);
	/* All checked: now the one write into guest RAM. */
	if (r == 0)
		r = libvm_mem_write(p->vm, p->cfg.tables_gpa, buf, used);
	if (r == 0)
		*rsdp_gpa = p->cfg.tables_gpa + rsdp;
	free(buf);
	return r;
}

LIBVM_API int64_t libvm_platform_uart_input(libvm_platform *p,
					    const void *buf, size_t len)
{
	if (!p || (!buf && len))
		return lvm_err(LIBVM_EINVAL, "libvm_platform_uart_input: NULL "
			       "argument");
	if (!p->uart)
		return lvm_err(LIBVM_ENOTSUP, "libvm_platform_uart_input: the "
			       "platform has no UART");
	return lvm_uart_input(p->uart, buf, len);
}

LIBVM_API int libvm_platform_status_get(libvm_platform *p,
					libvm_platform_status *out)
{
	if (!p || !out)
		return lvm_err(LIBVM_EINVAL, "libvm_platform_status_get: NULL "
			       "argument");
	pthread_mutex_lock(&p->lock);
	*out = p->s.st;
	pthread_mutex_unlock(&p->lock);
	return 0;
}
