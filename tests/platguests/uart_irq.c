/* SPDX-License-Identifier: MIT */
/*
 * COM1 driven by interrupts: the 8259 PIC delivers IRQ 4 at vector 0x24.
 * Output goes out from the THRE interrupt, a byte at a time; input comes
 * in from the received-data interrupt.  The guest says "ready>", reads a
 * line, sends it back in upper case and returns the number of
 * interrupts it took (> 0), with 0 for a failure.
 */
#include "pg.h"

#define VEC_BASE	0x20
#define IRQ		4

struct gate {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct gate idt[256];
static volatile char txbuf[128];
static volatile uint32_t tx_head, tx_tail;
static volatile char rxline[64];
static volatile uint32_t rx_len, rx_done, irqs;

void irq_entry(void);
void com1_irq(void);

__asm__(".text\n"
	"irq_entry:\n"
	"	pushal\n"
	"	cld\n"
	"	call com1_irq\n"
	"	movb $0x20, %al\n"	/* EOI to the master PIC */
	"	outb %al, $0x20\n"
	"	popal\n"
	"	iret\n");

void com1_irq(void)
{
	uint8_t iir, c;

	irqs++;
	while (!((iir = inb(COM1 + 2)) & 1)) {
		switch (iir & 0x0e) {
		case 0x04:	/* received data */
		case 0x0c:	/* character timeout */
			while (inb(COM1 + 5) & 1) {
				c = inb(COM1);
				if (c == '\n' || c == '\r')
					rx_done = 1;
				else if (rx_len < sizeof(rxline))
					rxline[rx_len++] = (char)c;
			}
			break;
		case 0x02:	/* THR empty: the next byte, or stop */
			if (tx_tail != tx_head) {
				outb(COM1, (uint8_t)txbuf[tx_tail % 128]);
				tx_tail++;
			} else {
				outb(COM1 + 1, 0x01);	/* RX only */
			}
			break;
		default:
			inb(COM1 + 5);
			inb(COM1 + 6);
			break;
		}
	}
}

static void send(const char *s)
{
	while (*s) {
		txbuf[tx_head % 128] = *s++;
		tx_head++;
	}
	outb(COM1 + 1, 0x03);	/* RX and THRE: THRE fires at once */
	while (tx_tail != tx_head)
		__asm__ volatile("hlt");
}

static void pic_init(void)
{
	outb(0x20, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, VEC_BASE);		/* ICW2: vectors 0x20-0x27 */
	outb(0xa1, VEC_BASE + 8);
	outb(0x21, 0x04);		/* ICW3: slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);		/* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, (uint8_t)~(1u << IRQ));	/* only IRQ 4 */
	outb(0xa1, 0xff);
}

int main(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint32_t)idt };
	uint32_t h = (uint32_t)irq_entry;
	char out[80];
	uint32_t i, n;

	idt[VEC_BASE + IRQ] = (struct gate){ (uint16_t)h, 0x08, 0, 0x8e,
					     (uint16_t)(h >> 16) };
	__asm__ volatile("lidt %0" : : "m"(idtr));
	pic_init();
	outb(COM1 + 2, 0x07);		/* FIFO on */
	outb(COM1 + 4, 0x0b);		/* DTR, RTS, OUT2: the line is ours */
	outb(COM1 + 1, 0x01);		/* received data interrupt */
	__asm__ volatile("sti");
	send("ready>");
	while (!rx_done)
		__asm__ volatile("hlt");
	n = rx_len;
	for (i = 0; i < n && i < sizeof(out) - 2; i++) {
		char c = rxline[i];

		out[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
	}
	out[i++] = '\n';
	out[i] = 0;
	send(out);
	__asm__ volatile("cli");
	return (int)irqs;
}
