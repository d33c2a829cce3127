/* SPDX-License-Identifier: MIT */
/* The guest programs of guests.S. */
#ifndef LIBVM_TESTS_GUESTS_H
#define LIBVM_TESTS_GUESTS_H

#include "helpers.h"

DECLARE_GUEST(g_hlt);
DECLARE_GUEST(g_hlt2);
DECLARE_GUEST(g_out_ebx);
DECLARE_GUEST(g_set_regs);
DECLARE_GUEST(g_in_out);
DECLARE_GUEST(g_mmio);
DECLARE_GUEST(g_triple);
DECLARE_GUEST(g_triple_ud2);
DECLARE_GUEST(g_loop);
DECLARE_GUEST(g_rep_outsb);
DECLARE_GUEST(g_rep_insb);
DECLARE_GUEST(g_count);
DECLARE_GUEST(g_pio_out3);
DECLARE_GUEST(g_pio_in_echo);
DECLARE_GUEST(g_stop);
DECLARE_GUEST(g_mmio_stop);
DECLARE_GUEST(g_twice);
DECLARE_GUEST(g_walk);
DECLARE_GUEST(g_peek_poke);
DECLARE_GUEST(g_cpuid0);
DECLARE_GUEST(g_irq);
extern const unsigned char g_irq_handler[];

DECLARE_GUEST(g_pic_irq);
extern const unsigned char g_pic_handler[];
#define G_PIC_HANDLER_ADDR \
	(GUEST_LOAD + (uint32_t)(g_pic_handler - g_pic_irq_start))

/* Guest address of g_irq_handler once g_irq is loaded at GUEST_LOAD. */
#define G_IRQ_HANDLER_ADDR \
	(GUEST_LOAD + (uint32_t)(g_irq_handler - g_irq_start))

#endif
