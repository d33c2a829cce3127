/* SPDX-License-Identifier: MIT */
/* The AML writer of the platform's DSDT (lib/platform/aml.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "platform/aml.h"

static uint8_t buf[1 << 16];
static struct aml a;

static void setup(void)
{
	memset(buf, 0xee, sizeof(buf));
	aml_init(&a, buf, sizeof(buf));
}

TestSuite(aml, .init = setup);

Test(aml, integers_take_the_shortest_form)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0xff, 0x0a, 0x05, 0x0b, 0x34, 0x12,
		0x0c, 0x78, 0x56, 0x34, 0x12,
		0x0e, 1, 0, 0, 0, 1, 0, 0, 0,
	};

	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, UINT64_MAX);
	aml_integer(&a, 5);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x100000001ull);
	cr_assert(!a.err);
	cr_assert_eq(a.len, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
}

Test(aml, name_strings)
{
	static const uint8_t want[] = {
		'_', 'H', 'I', 'D',
		'\\', '_', 'S', '5', '_',
		'\\', 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1',
		0x2f, 3, 'A', '_', '_', '_', 'B', 'B', '_', '_', 'C', 'C', 'C',
		'_',
	};

	aml_namestring(&a, "_HID");
	aml_namestring(&a, "\\_S5");
	aml_namestring(&a, "\\_SB.COM1");
	aml_namestring(&a, "A.BB.CCC");
	cr_assert(!a.err);
	cr_assert_eq(a.len, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
	aml_namestring(&a, "TOOLONG");
	cr_assert(a.err, "a segment of more than 4 characters");
}

/* PkgLength: 1 byte up to 63, then 2, 3 bytes with the count in 7:6. */
static void package_of(size_t body, const uint8_t *lead, size_t nlead)
{
	size_t i;

	setup();
	aml_scope(&a, "X");
	for (i = 0; a.len < 1 + 4 + 4 + body;)	/* op, room, name, body */
		aml_byte(&a, (uint8_t)i++);
	aml_close(&a);
	cr_assert(!a.err);
	cr_assert_eq(buf[0], 0x10, "ScopeOp");
	cr_assert_arr_eq(buf + 1, lead, nlead, "PkgLength of a %zu-byte body",
			 body);
	cr_assert_eq(a.len, 1 + nlead + 4 + body);
	cr_assert_eq(memcmp(buf + 1 + nlead, "X___", 4), 0);
}

Test(aml, package_lengths)
{
	/* total = name (4) + body + the PkgLength bytes themselves */
	package_of(58, (const uint8_t[]){ 63 }, 1);
	package_of(59, (const uint8_t[]){ 0x40 | 1, 4 }, 2);	/* 65 */
	package_of(4000, (const uint8_t[]){ 0x40 | 6, 250 }, 2);
	package_of(5000, (const uint8_t[]){ 0x80 | 15, 0x38, 1 }, 3);
}

Test(aml, nesting_and_resources)
{
	uint8_t res[AML_IO_LEN + AML_IRQ_LEN];
	static const uint8_t io[] = { 0x47, 1, 0xf8, 3, 0xf8, 3, 1, 8 };
	static const uint8_t irq[] = { 0x22, 0x10, 0 };
	uint32_t id = 0;

	aml_res_io(res, 0x3f8, 8);
	aml_res_irq(res + AML_IO_LEN, 4);
	cr_assert_arr_eq(res, io, sizeof(io));
	cr_assert_arr_eq(res + AML_IO_LEN, irq, sizeof(irq));
	cr_assert(aml_eisa_id("PNP0501", &id));
	cr_assert_eq(id, 0x0105d041);
	cr_assert(aml_eisa_id("PNP0B00", &id));
	cr_assert_eq(id, 0x000bd041);
	cr_assert(!aml_eisa_id("LNRO0005", &id));
	cr_assert(!aml_eisa_id("pnp0501", &id));

	aml_device(&a, "COM1");
	aml_name(&a, "_CRS");
	aml_resources(&a, res, sizeof(res));
	aml_close(&a);
	cr_assert(!a.err);
	cr_assert_eq(a.depth, 0);
	/* ExtOp DeviceOp len "COM1" NameOp "_CRS" BufferOp len size ... */
	cr_assert_eq(buf[0], 0x5b);
	cr_assert_eq(buf[1], 0x82);
	cr_assert_eq(buf[2], a.len - 2, "device PkgLength");
	cr_assert_eq(buf[7], 0x08);
	cr_assert_eq(buf[12], 0x11);
	cr_assert_eq(buf[13], a.len - 12 - 1, "buffer PkgLength");
	cr_assert_eq(buf[14], 0x0a);
	cr_assert_eq(buf[15], sizeof(res) + 2, "with the end tag");
	cr_assert_eq(buf[a.len - 2], 0x79, "end tag");
	aml_close(&a);
	cr_assert(a.err, "closing more than was opened");
}

Test(aml, running_out_of_room_is_sticky)
{
	aml_init(&a, buf, 10);
	aml_scope(&a, "\\_SB");
	aml_string(&a, "longer than the room");
	cr_assert(a.err);
	aml_byte(&a, 1);
	cr_assert(a.err);
	cr_assert_leq(a.len, 10);
}
