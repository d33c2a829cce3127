/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (COM1: ports 0x3f8-0x3ff, IRQ 4), after the National
 * Semiconductor PC16550D data sheet, driven by interrupts both ways:
 *
 * - Output is instantaneous: a byte written to THR goes to the output fd
 *   and/or callback at once, so THR and the shift register are always
 *   empty (LSR THRE and TEMT), and a THRE interrupt is raised when the
 *   guest enables it or writes THR while it is enabled.
 * - Input comes from the host (an fd read by a thread of the UART's own,
 *   or libvm_platform_uart_input) into a receive ring.  The first 16
 *   bytes are the FIFO the guest sees; the rest waits there, so nothing
 *   typed is ever lost to an overrun.  Received data interrupts (RDA when
 *   the FIFO holds the trigger level, character timeout below it) come
 *   at once.
 * - The interrupt line is IIR's "pending" gated by MCR OUT2, as on PCs,
 *   and changes only on a change (an ISA edge for the IOAPIC or PIC).
 *
 * The registers and the ring are one plain struct registered as device
 * state, so snapshots carry them; a restore recomputes the line.
 */
#include "plat.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Register offsets from the base port. */
#define UART_RBR 0		/* read; THR on write; DLL with DLAB */
#define UART_IER 1		/* DLM with DLAB */
#define UART_IIR 2		/* read; FCR on write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_NPORTS 8

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* transmitter holding register empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */
#define IER_MASK	0x0f

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_CTI		0x0c	/* character timeout */
#define IIR_FIFO	0xc0	/* FIFOs enabled */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RCVR	0x02
#define FCR_TRIGGER(f)	((f) >> 6)

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08	/* gates the interrupt line on PCs */
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

#define UART_FIFO	16
#define UART_RING	4096	/* FIFO plus what waits behind it */

static const uint8_t trigger_level[4] = { 1, 4, 8, 14 };

/* Everything a snapshot keeps: plain bytes, no pointers. */
struct uart_regs {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t thre_pending;	/* THRE interrupt raised and not taken */
	uint16_t rx_head, rx_count;
	uint8_t rx[UART_RING];
};

struct lvm_uart {
	libvm_vm *vm;
	uint16_t port;
	uint32_t gsi;
	pthread_mutex_t lock;
	pthread_cond_t room;	/* the guest read: the ring has room */
	struct uart_regs s;
	int line;		/* level the irqchip has, -1: unknown */
	int out_fd;
	libvm_console_fn out_fn;
	void *out_opaque;
	/* input thread */
	int in_fd, wake_fd;
	bool thread_up, stop;
	pthread_t thread;
	bool trap_up, state_up;
};

static uint8_t iir_of(const struct uart_regs *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;
	uint32_t level = s->rx_count < UART_FIFO ? s->rx_count : UART_FIFO;

	if ((s->ier & IER_RDI) && s->rx_count) {
		if (!(s->fcr & FCR_ENABLE) ||
		    level >= trigger_level[FCR_TRIGGER(s->fcr)])
			return fifo | IIR_RDI;
		return fifo | IIR_CTI;
	}
	if ((s->ier & IER_THRI) && s->thre_pending)
		return fifo | IIR_THRI;
	return fifo | IIR_NO_INT;	/* no line status or modem events */
}

/* Bring the interrupt line in line with the registers; lock held. */
static void update_irq(struct lvm_uart *u)
{
	int level = !(iir_of(&u->s) & IIR_NO_INT) && (u->s.mcr & MCR_OUT2);

	if (level != u->line) {
		u->line = level;
		lvm_plat_irq(u->vm, u->gsi, level);
	}
}

/* Append to the receive ring what fits; lock held.  Returns the count. */
static size_t rx_push(struct uart_regs *s, const uint8_t *p, size_t len)
{
	size_t n = 0;

	while (n < len && s->rx_count < UART_RING) {
		s->rx[(s->rx_head + s->rx_count) % UART_RING] = p[n++];
		s->rx_count++;
	}
	return n;
}

static uint8_t rx_pop(struct uart_regs *s)
{
	uint8_t c;

	if (!s->rx_count)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (uint16_t)((s->rx_head + 1) % UART_RING);
	s->rx_count--;
	return c;
}

static void transmit(struct lvm_uart *u, uint8_t c)
{
	ssize_t n;

	if (u->s.mcr & MCR_LOOP) {
		rx_push(&u->s, &c, 1);
		return;
	}
	if (u->out_fd >= 0) {
		do {
			n = write(u->out_fd, &c, 1);
		} while (n < 0 && errno == EINTR);
	}
	if (u->out_fn)
		u->out_fn((const char *)&c, 1, u->out_opaque);
}

static uint8_t msr_of(const struct uart_regs *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))	/* a peer that is always there */
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t uart_read(struct lvm_uart *u, unsigned reg)
{
	struct uart_regs *s = &u->s;
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		v = rx_pop(s);
		pthread_cond_signal(&u->room);
		return v;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		v = iir_of(s);
		/* Reading IIR that names THRE takes that interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			s->thre_pending = 0;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case UART_MSR:
		return msr_of(s);
	default:
		return s->scr;
	}
}

static void uart_write(struct lvm_uart *u, unsigned reg, uint8_t v)
{
	struct uart_regs *s = &u->s;

	switch (reg) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			break;
		}
		transmit(u, v);
		s->thre_pending = 1;	/* sent at once: THR empty again */
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRE with THR empty raises it (16550 behaviour). */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thre_pending = 1;
		s->ier = v & IER_MASK;
		break;
	case UART_IIR:	/* FCR */
		if ((v & FCR_CLEAR_RCVR) || ((v ^ s->fcr) & FCR_ENABLE)) {
			s->rx_head = 0;
			s->rx_count = 0;
			pthread_cond_signal(&u->room);
		}
		s->fcr = v & (FCR_ENABLE | 0xc0);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & MCR_MASK;
		break;
	case UART_LSR:
	case UART_MSR:
		break;		/* read-only here */
	default:
		s->scr = v;
		break;
	}
}

static int uart_trap(libvm_vcpu *vcpu, uint64_t addr, void *data,
		     uint32_t size, uint32_t direction, void *opaque)
{
	struct lvm_uart *u = opaque;
	unsigned reg = (unsigned)(addr - u->port);
	uint8_t *b = data;

	(void)vcpu;
	(void)size;	/* wider accesses touch the first register only */
	pthread_mutex_lock(&u->lock);
	if (direction == LIBVM_READ)
		b[0] = uart_read(u, reg);
	else
		uart_write(u, reg, b[0]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return LIBVM_TRAP_CONTINUE;
}

static void uart_restored(void *opaque)
{
	struct lvm_uart *u = opaque;

	pthread_mutex_lock(&u->lock);
	if (u->s.rx_head >= UART_RING || u->s.rx_count > UART_RING)
		u->s.rx_head = u->s.rx_count = 0;	/* never trust it */
	u->line = -1;
	update_irq(u);
	pthread_cond_signal(&u->room);
	pthread_mutex_unlock(&u->lock);
}

int64_t lvm_uart_input(struct lvm_uart *u, const void *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = rx_push(&u->s, buf, len);
	if (n)
		update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return (int64_t)n;
}

/*
 * All of buf into the ring, waiting for room as the guest reads (the
 * program may feed it too); -1 when told to stop.
 */
static int feed(struct lvm_uart *u, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		done += rx_push(&u->s, buf + done, len - done);
		update_irq(u);
		if (done == len)
			break;
		pthread_cond_wait(&u->room, &u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	return done == len ? 0 : -1;
}

/* Copy the input fd into the ring while it has room. */
static void *input_thread(void *arg)
{
	struct lvm_uart *u = arg;
	struct pollfd pf[2];
	uint8_t buf[256];
	size_t room;
	ssize_t n;

	for (;;) {
		pthread_mutex_lock(&u->lock);
		while (!u->stop && u->s.rx_count >= UART_RING)
			pthread_cond_wait(&u->room, &u->lock);
		room = UART_RING - u->s.rx_count;
		pthread_mutex_unlock(&u->lock);
		if (u->stop)
			break;
		pf[0] = (struct pollfd){ .fd = u->in_fd, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = u->wake_fd, .events = POLLIN };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		n = read(u->in_fd, buf, room < sizeof(buf) ? room
							       : sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;		/* end of input or an error: no more */
		if (feed(u, buf, (size_t)n) < 0)
			break;
	}
	return NULL;
}

static int start_input(struct lvm_uart *u)
{
	sigset_t all, old;
	int r;

	u->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (u->wake_fd < 0)
		return lvm_err_errno(LIBVM_EIO, errno, "UART: eventfd");
	/* The thread takes no signal of the program's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&u->thread, NULL, input_thread, u);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		close(u->wake_fd);
		u->wake_fd = -1;
		return lvm_err_errno(LIBVM_ENOMEM, r, "UART: input thread");
	}
	u->thread_up = true;
	return 0;
}

static void stop_input(struct lvm_uart *u)
{
	uint64_t one = 1;

	if (!u->thread_up)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_signal(&u->room);
	pthread_mutex_unlock(&u->lock);
	if (write(u->wake_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write only fails on overflow: still awake */
	}
	pthread_join(u->thread, NULL);
	close(u->wake_fd);
	u->thread_up = false;
}

int lvm_uart_create(struct lvm_uart **out, libvm_vm *vm,
		    const libvm_platform_config *cfg)
{
	struct lvm_uart *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return lvm_err(LIBVM_ENOMEM, "UART");
	u->vm = vm;
	u->port = LIBVM_PORT_COM1;
	u->gsi = LIBVM_IRQ_COM1;
	u->line = -1;
	u->out_fd = cfg->uart_out_fd;
	u->out_fn = cfg->uart_out;
	u->out_opaque = cfg->uart_opaque;
	u->in_fd = cfg->uart_in_fd;
	u->wake_fd = -1;
	u->s.dll = 12;		/* 9600 baud, as a BIOS leaves it */
	u->s.lcr = 0x03;	/* 8N1 */
	if (pthread_mutex_init(&u->lock, NULL)) {
		free(u);
		return lvm_err(LIBVM_ENOMEM, "UART lock");
	}
	if (pthread_cond_init(&u->room, NULL)) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return lvm_err(LIBVM_ENOMEM, "UART condition");
	}
	*out = u;
	r = libvm_trap_register(vm, LIBVM_TRAP_PIO, u->port, UART_NPORTS,
				uart_trap, u);
	if (r < 0)
		goto fail;
	u->trap_up = true;
	r = libvm_device_state_register(vm, "libvm-uart", &u->s, sizeof(u->s),
					uart_restored, u);
	if (r < 0)
		goto fail;
	u->state_up = true;
	pthread_mutex_lock(&u->lock);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	if (u->in_fd >= 0) {
		r = start_input(u);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	lvm_uart_destroy(u);
	*out = NULL;
	return r;
}

void lvm_uart_destroy(struct lvm_uart *u)
{
	if (!u)
		return;
	stop_input(u);
	if (u->state_up)
		libvm_device_state_unregister(u->vm, "libvm-uart");
	if (u->trap_up)
		libvm_trap_unregister(u->vm, LIBVM_TRAP_PIO, u->port);
	pthread_cond_destroy(&u->room);
	pthread_mutex_destroy(&u->lock);
	free(u);
}
