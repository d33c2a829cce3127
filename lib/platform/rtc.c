/* SPDX-License-Identifier: MIT */
/*
 * The CMOS real-time clock of a PC (Motorola MC146818A): port 0x70 selects
 * a register (bit 7 is the NMI mask, ignored), port 0x71 reads or writes
 * it.  The clock is the host's UTC time plus an offset the guest sets by
 * writing the time registers; registers A-D and the other 114 bytes of
 * CMOS RAM are plain storage but for what the data sheet fixes:
 *   - A bit 7 (UIP) is set from 244 us before each second's update to the
 *     end of the update cycle (1984 us into the second), as on the chip
 *     with a 32.768 kHz time base;
 *   - B bit 2 picks binary or BCD, bit 1 24- or 12-hour time (bit 7 of the
 *     hour is PM);
 *   - C (interrupt flags) reads 0: this RTC raises no interrupts;
 *   - D reads 0x80 (valid RAM and time).
 * Register 0x32 holds the century (the ACPI FADT says so).
 * The registers are device state: snapshots keep them and the offset.
 */
#include "plat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_WDAY	0x06
#define RTC_MDAY	0x07
#define RTC_MON		0x08
#define RTC_YEAR	0x09
#define RTC_A		0x0a
#define RTC_B		0x0b
#define RTC_C		0x0c
#define RTC_D		0x0d
#define RTC_CENTURY	0x32
#define RTC_NREGS	128

#define A_UIP		0x80
#define B_24H		0x02
#define B_BINARY	0x04
#define D_VRT		0x80
#define HOUR_PM		0x80

/* UIP is set this long before each second's update and during it. */
#define UIP_BEFORE_NS	244000l
#define UPDATE_NS	1984000l

struct rtc_regs {
	uint8_t index;
	uint8_t pad[7];
	int64_t offset;		/* guest time - host time, seconds */
	uint8_t ram[RTC_NREGS];
};

struct lvm_rtc {
	libvm_vm *vm;
	pthread_mutex_t lock;
	struct rtc_regs s;
	bool trap_up, state_up;
};

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t enc(const struct rtc_regs *s, unsigned v)
{
	return (s->ram[RTC_B] & B_BINARY) ? (uint8_t)v : to_bcd(v);
}

static unsigned dec(const struct rtc_regs *s, uint8_t v)
{
	return (s->ram[RTC_B] & B_BINARY) ? v : from_bcd(v);
}

static void guest_time(const struct rtc_regs *s, struct tm *tm, long *nsec)
{
	struct timespec ts;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + (time_t)s->offset;
	gmtime_r(&t, tm);
	if (nsec)
		*nsec = ts.tv_nsec;
}

static uint8_t hour_reg(const struct rtc_regs *s, int hour)
{
	unsigned h;

	if (s->ram[RTC_B] & B_24H)
		return enc(s, (unsigned)hour);
	h = hour % 12 ? (unsigned)hour % 12 : 12;
	return enc(s, h) | (hour >= 12 ? HOUR_PM : 0);
}

static int hour_of(const struct rtc_regs *s, uint8_t v)
{
	unsigned h;

	if (s->ram[RTC_B] & B_24H)
		return (int)dec(s, v);
	h = dec(s, v & ~HOUR_PM) % 12;
	return (int)h + ((v & HOUR_PM) ? 12 : 0);
}

static uint8_t rtc_read(struct rtc_regs *s, unsigned reg)
{
	struct tm tm;
	long ns;

	switch (reg) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY:
	case RTC_MDAY: case RTC_MON: case RTC_YEAR: case RTC_CENTURY:
		guest_time(s, &tm, NULL);
		break;
	case RTC_A:
		guest_time(s, &tm, &ns);
		return (uint8_t)((s->ram[RTC_A] & ~A_UIP) |
				 (ns >= 1000000000l - UIP_BEFORE_NS ||
				  ns < UPDATE_NS ? A_UIP : 0));
	case RTC_C:
		return 0;
	case RTC_D:
		return D_VRT;
	default:
		return s->ram[reg];
	}
	switch (reg) {
	case RTC_SEC:
		return enc(s, (unsigned)tm.tm_sec);
	case RTC_MIN:
		return enc(s, (unsigned)tm.tm_min);
	case RTC_HOUR:
		return hour_reg(s, tm.tm_hour);
	case RTC_WDAY:
		return enc(s, (unsigned)tm.tm_wday + 1);	/* Sunday 1 */
	case RTC_MDAY:
		return enc(s, (unsigned)tm.tm_mday);
	case RTC_MON:
		return enc(s, (unsigned)tm.tm_mon + 1);
	case RTC_YEAR:
		return enc(s, (unsigned)(tm.tm_year + 1900) % 100);
	default:	/* RTC_CENTURY */
		return to_bcd((unsigned)(tm.tm_year + 1900) / 100);
	}
}

/* The guest sets one field of the time: move the offset to match. */
static void set_time_field(struct rtc_regs *s, unsigned reg, uint8_t v)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	int year;

	guest_time(s, &tm, NULL);
	year = tm.tm_year + 1900;
	switch (reg) {
	case RTC_SEC:
		tm.tm_sec = (int)dec(s, v) % 60;
		break;
	case RTC_MIN:
		tm.tm_min = (int)dec(s, v) % 60;
		break;
	case RTC_HOUR:
		tm.tm_hour = hour_of(s, v) % 24;
		break;
	case RTC_MDAY:
		tm.tm_mday = (int)dec(s, v);
		break;
	case RTC_MON:
		tm.tm_mon = (int)dec(s, v) - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = year / 100 * 100 + (int)dec(s, v) % 100 - 1900;
		break;
	case RTC_CENTURY:
		tm.tm_year = (int)from_bcd(v) * 100 + year % 100 - 1900;
		break;
	default:
		return;		/* the day of the week follows the date */
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->offset = (int64_t)(t - ts.tv_sec);
}

static int rtc_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct lvm_rtc *r = opaque;
	struct rtc_regs *s = &r->s;
	uint8_t *b = data;
	unsigned reg;

	(void)vcpu;
	(void)size;
	pthread_mutex_lock(&r->lock);
	if (addr == LIBVM_PORT_RTC) {
		if (direction == LIBVM_WRITE)
			s->index = b[0] & 0x7f;
		else
			b[0] = s->index;
		goto out;
	}
	reg = s->index % RTC_NREGS;
	if (direction == LIBVM_READ) {
		b[0] = rtc_read(s, reg);
	} else if (reg == RTC_A) {
		s->ram[RTC_A] = b[0] & ~A_UIP;
	} else if (reg == RTC_C || reg == RTC_D) {
		/* read-only */
	} else if (reg <= RTC_YEAR || reg == RTC_CENTURY) {
		if (reg & 1 && reg < RTC_WDAY)	/* alarm registers */
			s->ram[reg] = b[0];
		else
			set_time_field(s, reg, b[0]);
	} else {
		s->ram[reg] = b[0];
	}
out:
	pthread_mutex_unlock(&r->lock);
	return LIBVM_TRAP_CONTINUE;
}

int lvm_rtc_create(struct lvm_rtc **out, libvm_vm *vm)
{
	struct lvm_rtc *r;
	int e;

	r = calloc(1, sizeof(*r));
	if (!r)
		return lvm_err(LIBVM_ENOMEM, "RTC");
	r->vm = vm;
	r->s.ram[RTC_A] = 0x26;		/* 32.768 kHz time base, 1024 Hz */
	r->s.ram[RTC_B] = B_24H;	/* BCD, 24 hours */
	if (pthread_mutex_init(&r->lock, NULL)) {
		free(r);
		return lvm_err(LIBVM_ENOMEM, "RTC lock");
	}
	e = libvm_trap_register(vm, LIBVM_TRAP_PIO, LIBVM_PORT_RTC, 2, rtc_trap,
				r);
	if (e < 0)
		goto fail;
	r->trap_up = true;
	e = libvm_device_state_register(vm, "libvm-rtc", &r->s, sizeof(r->s),
					NULL, NULL);
	if (e < 0)
		goto fail;
	r->state_up = true;
	*out = r;
	return 0;
fail:
	lvm_rtc_destroy(r);
	return e;
}

void lvm_rtc_destroy(struct lvm_rtc *r)
{
	if (!r)
		return;
	if (r->state_up)
		libvm_device_state_unregister(r->vm, "libvm-rtc");
	if (r->trap_up)
		libvm_trap_unregister(r->vm, LIBVM_TRAP_PIO, LIBVM_PORT_RTC);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
