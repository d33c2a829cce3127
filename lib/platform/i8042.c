/* SPDX-License-Identifier: MIT */
/*
 * The PC's keyboard controller (Intel 8042) at ports 0x60 (data) and 0x64
 * (status and commands), with no keyboard or mouse attached.  It does
 * what a kernel needs of it:
 *   - reset: command 0xfe (pulse the reset line), or 0xd1 with output-port
 *     bit 0 clear, calls the owner's reset hook and stops the vCPU;
 *   - the probe a driver makes: self tests (0xaa -> 0x55, 0xab/0xa9 ->
 *     0), reading and writing the command byte (0x20/0x60), enabling and
 *     disabling the ports, echoing through the output buffer (0xd2/0xd3),
 *     and a keyboard that acknowledges every command (0xfa; reset adds
 *     0xaa, identify adds 0xab 0x83);
 *   - IRQ 1 (keyboard bytes) and 12 (aux bytes) while a byte waits and
 *     the command byte enables that interrupt.
 * The status register never shows the input buffer full, so a kernel's
 * wait before the reset pulse ends at once.
 */
#include "plat.h"

#include <stdlib.h>
#include <string.h>

#define ST_OBF		0x01	/* output buffer full */
#define ST_SYS		0x04	/* self test passed */
#define ST_CMD		0x08	/* last write was to 0x64 */
#define ST_UNLOCKED	0x10
#define ST_AUXOBF	0x20	/* the byte is from the aux port */

#define CCB_KBDINT	0x01
#define CCB_AUXINT	0x02
#define CCB_SYS		0x04
#define CCB_KBDDIS	0x10
#define CCB_AUXDIS	0x20
#define CCB_XLATE	0x40

#define IRQ_KBD		1
#define IRQ_AUX		12

#define QLEN		16

struct kbd_regs {
	uint8_t ccb;		/* controller command byte */
	uint8_t status;		/* ST_SYS, ST_CMD */
	uint8_t outport;
	uint8_t pending;	/* command awaiting its data byte, or 0 */
	uint8_t qhead, qcount;
	uint8_t q[QLEN];	/* bytes for the guest to read */
	uint8_t qaux[QLEN];	/* 1: that byte came from the aux port */
};

struct lvm_kbd {
	libvm_vm *vm;
	void (*reset)(void *opaque);
	void *reset_opaque;
	pthread_mutex_t lock;
	struct kbd_regs s;
	int line_kbd, line_aux;
	bool data_up, cmd_up, state_up;
};

static void put(struct kbd_regs *s, uint8_t v, bool aux)
{
	unsigned i;

	if (s->qcount == QLEN)
		return;
	i = (s->qhead + s->qcount) % QLEN;
	s->q[i] = v;
	s->qaux[i] = aux;
	s->qcount++;
}

static void update_irq(struct lvm_kbd *k)
{
	const struct kbd_regs *s = &k->s;
	bool full = s->qcount != 0;
	bool aux = full && s->qaux[s->qhead];
	int kbd_level = full && !aux && (s->ccb & CCB_KBDINT);
	int aux_level = full && aux && (s->ccb & CCB_AUXINT);

	if (kbd_level != k->line_kbd) {
		k->line_kbd = kbd_level;
		lvm_plat_irq(k->vm, IRQ_KBD, kbd_level);
	}
	if (aux_level != k->line_aux) {
		k->line_aux = aux_level;
		lvm_plat_irq(k->vm, IRQ_AUX, aux_level);
	}
}

static uint8_t read_status(const struct kbd_regs *s)
{
	uint8_t st = s->status | ST_UNLOCKED;

	if (s->qcount) {
		st |= ST_OBF;
		if (s->qaux[s->qhead])
			st |= ST_AUXOBF;
	}
	return st;
}

static uint8_t read_data(struct kbd_regs *s)
{
	uint8_t v;

	if (!s->qcount)
		return 0;
	v = s->q[s->qhead];
	s->qhead = (uint8_t)((s->qhead + 1) % QLEN);
	s->qcount--;
	return v;
}

/* A byte for the keyboard itself: acknowledge, as a keyboard would. */
static void keyboard_cmd(struct kbd_regs *s, uint8_t v)
{
	switch (v) {
	case 0xee:		/* echo */
		put(s, 0xee, false);
		break;
	case 0xf2:		/* identify: an MF2 keyboard */
		put(s, 0xfa, false);
		put(s, 0xab, false);
		put(s, 0x83, false);
		break;
	case 0xff:		/* reset and self test */
		put(s, 0xfa, false);
		put(s, 0xaa, false);
		break;
	default:
		put(s, 0xfa, false);
		break;
	}
}

/* Returns true when the guest asked for a reset. */
static bool write_data(struct kbd_regs *s, uint8_t v)
{
	uint8_t cmd = s->pending;

	s->pending = 0;
	s->status &= (uint8_t)~ST_CMD;
	switch (cmd) {
	case 0x60:
		s->ccb = v;
		s->status = (uint8_t)((s->status & ~ST_SYS) |
				      (v & CCB_SYS ? ST_SYS : 0));
		return false;
	case 0xd1:
		s->outport = v;
		return !(v & 1);	/* bit 0 low: reset */
	case 0xd2:
		put(s, v, false);
		return false;
	case 0xd3:
		put(s, v, true);
		return false;
	case 0xd4:
		return false;		/* to the mouse: there is none */
	default:
		keyboard_cmd(s, v);
		return false;
	}
}

static bool write_cmd(struct kbd_regs *s, uint8_t v)
{
	s->status |= ST_CMD;
	switch (v) {
	case 0x20:
		put(s, s->ccb, false);
		break;
	case 0x60: case 0xd1: case 0xd2: case 0xd3: case 0xd4:
		s->pending = v;
		break;
	case 0xa7:
		s->ccb |= CCB_AUXDIS;
		break;
	case 0xa8:
		s->ccb &= (uint8_t)~CCB_AUXDIS;
		break;
	case 0xa9: case 0xab:	/* port tests: no fault */
		put(s, 0x00, false);
		break;
	case 0xaa:		/* controller self test */
		s->status |= ST_SYS;
		put(s, 0x55, false);
		break;
	case 0xad:
		s->ccb |= CCB_KBDDIS;
		break;
	case 0xae:
		s->ccb &= (uint8_t)~CCB_KBDDIS;
		break;
	case 0xc0:		/* input port */
		put(s, 0x00, false);
		break;
	case 0xd0:
		put(s, s->outport, false);
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 clear is reset */
		if ((v & 0xf0) == 0xf0 && !(v & 1))
			return true;
		break;
	}
	return false;
}

static int kbd_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		    uint32_t size, uint32_t direction, void *opaque)
{
	struct lvm_kbd *k = opaque;
	uint8_t *b = data;
	bool reset = false;

	(void)vcpu;
	(void)size;
	pthread_mutex_lock(&k->lock);
	if (direction == LIBVM_READ)
		b[0] = addr == LIBVM_PORT_I8042_CMD ? read_status(&k->s)
						    : read_data(&k->s);
	else if (addr == LIBVM_PORT_I8042_CMD)
		reset = write_cmd(&k->s, b[0]);
	else
		reset = write_data(&k->s, b[0]);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (!reset)
		return LIBVM_TRAP_CONTINUE;
	k->reset(k->reset_opaque);
	return LIBVM_TRAP_STOP;
}

static void kbd_restored(void *opaque)
{
	struct lvm_kbd *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (k->s.qhead >= QLEN || k->s.qcount > QLEN)
		k->s.qhead = k->s.qcount = 0;
	k->line_kbd = k->line_aux = -1;
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

int lvm_kbd_create(struct lvm_kbd **out, libvm_vm *vm,
		   void (*reset)(void *opaque), void *opaque)
{
	struct lvm_kbd *k;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return lvm_err(LIBVM_ENOMEM, "i8042");
	k->vm = vm;
	k->reset = reset;
	k->reset_opaque = opaque;
	k->line_kbd = k->line_aux = -1;
	k->s.ccb = CCB_KBDINT | CCB_SYS | CCB_XLATE;
	k->s.status = ST_SYS;
	k->s.outport = 0x01;	/* reset line high (not in reset) */
	if (pthread_mutex_init(&k->lock, NULL)) {
		free(k);
		return lvm_err(LIBVM_ENOMEM, "i8042 lock");
	}
	r = libvm_trap_register(vm, LIBVM_TRAP_PIO, LIBVM_PORT_I8042_DATA, 1,
				kbd_trap, k);
	if (r < 0)
		goto fail;
	k->data_up = true;
	r = libvm_trap_register(vm, LIBVM_TRAP_PIO, LIBVM_PORT_I8042_CMD, 1,
				kbd_trap, k);
	if (r < 0)
		goto fail;
	k->cmd_up = true;
	r = libvm_device_state_register(vm, "libvm-i8042", &k->s,
					sizeof(k->s), kbd_restored, k);
	if (r < 0)
		goto fail;
	k->state_up = true;
	*out = k;
	return 0;
fail:
	lvm_kbd_destroy(k);
	return r;
}

void lvm_kbd_destroy(struct lvm_kbd *k)
{
	if (!k)
		return;
	if (k->state_up)
		libvm_device_state_unregister(k->vm, "libvm-i8042");
	if (k->cmd_up)
		libvm_trap_unregister(k->vm, LIBVM_TRAP_PIO,
				      LIBVM_PORT_I8042_CMD);
	if (k->data_up)
		libvm_trap_unregister(k->vm, LIBVM_TRAP_PIO,
				      LIBVM_PORT_I8042_DATA);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
