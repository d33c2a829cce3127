/* SPDX-License-Identifier: MIT */
/* ACPI Machine Language writer; see aml.h.  Encodings: ACPI 6.x ch. 20. */
#include "aml.h"

#include <string.h>

#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME	0x08
#define AML_BYTE	0x0a
#define AML_WORD	0x0b
#define AML_DWORD	0x0c
#define AML_STRING	0x0d
#define AML_QWORD	0x0e
#define AML_SCOPE	0x10
#define AML_BUFFER	0x11
#define AML_PACKAGE	0x12
#define AML_EXT		0x5b
#define AML_DEVICE	0x82	/* after AML_EXT */
#define AML_ROOT	'\\'
#define AML_DUAL	0x2e
#define AML_MULTI	0x2f
#define AML_ONES	0xff

#define RES_END		0x79
#define RES_IO		0x47
#define RES_IRQ		0x22
#define RES_MEM32	0x86
#define RES_XIRQ	0x89

/* A PkgLength is at most 4 bytes; room is kept and trimmed at close. */
#define PKGLEN_MAX	4

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->p = buf;
	a->cap = cap;
}

void aml_bytes(struct aml *a, const void *src, size_t n)
{
	if (a->err || n > a->cap - a->len) {
		a->err = true;
		return;
	}
	memcpy(a->p + a->len, src, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void put_le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];
	unsigned i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

static void name_seg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4) {
		a->err = true;
		return;
	}
	memcpy(seg, s, n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *s = path, *dot;
	size_t nseg = 1;

	if (*s == '\\') {
		aml_byte(a, AML_ROOT);
		s++;
	}
	for (dot = s; (dot = strchr(dot, '.')); dot++)
		nseg++;
	if (nseg == 2) {
		aml_byte(a, AML_DUAL);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI);
		aml_byte(a, (uint8_t)nseg);
	}
	while (nseg--) {
		dot = strchr(s, '.');
		name_seg(a, s, dot ? (size_t)(dot - s) : strlen(s));
		s = dot ? dot + 1 : s;
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO);
	} else if (v == 1) {
		aml_byte(a, AML_ONE);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		put_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		put_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		put_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD);
		put_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_namestring(a, path);
}

static void open_pkg(struct aml *a)
{
	static const uint8_t room[PKGLEN_MAX];

	if (a->depth == AML_MAX_DEPTH) {
		a->err = true;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_bytes(a, room, sizeof(room));
}

void aml_scope(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE);
	open_pkg(a);
	aml_namestring(a, path);
}

void aml_device(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	open_pkg(a);
	aml_namestring(a, path);
}

void aml_package(struct aml *a, uint8_t nelems)
{
	aml_byte(a, AML_PACKAGE);
	open_pkg(a);
	aml_byte(a, nelems);
}

/*
 * PkgLength counts itself: one byte holds up to 63 (bits 0-5); longer
 * ones put the count of following bytes in bits 6-7, the low nibble in
 * bits 0-3 and 8 more bits per following byte.
 */
void aml_close(struct aml *a)
{
	size_t at, body, total;
	unsigned n, i;

	if (a->err || !a->depth) {
		a->err = true;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - PKGLEN_MAX;
	for (n = 1; n <= PKGLEN_MAX; n++) {
		total = body + n;
		if (total < (n == 1 ? 0x40ul : 1ul << (4 + 8 * (n - 1))))
			break;
	}
	if (n > PKGLEN_MAX) {
		a->err = true;
		return;
	}
	memmove(a->p + at + n, a->p + at + PKGLEN_MAX, body);
	if (n == 1) {
		a->p[at] = (uint8_t)total;
	} else {
		a->p[at] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
		for (i = 1; i < n; i++)
			a->p[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	a->len = at + n + body;
}

void aml_resources(struct aml *a, const uint8_t *desc, size_t n)
{
	static const uint8_t end[2] = { RES_END, 0 };	/* checksum 0: ok */

	aml_byte(a, AML_BUFFER);
	open_pkg(a);
	aml_integer(a, n + sizeof(end));
	aml_bytes(a, desc, n);
	aml_bytes(a, end, sizeof(end));
	aml_close(a);
}

/*
 * "PNP0501": three letters of 5 bits each and four hex digits, stored big
 * endian: 0x41d0 0x0501 in memory, 0x0105d041 as the integer.
 */
bool aml_eisa_id(const char *s, uint32_t *out)
{
	uint32_t id, i, v = 0;

	if (strlen(s) != 7)
		return false;
	for (i = 0; i < 3; i++)
		if (s[i] < 'A' || s[i] > 'Z')
			return false;
	for (i = 3; i < 7; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	id = ((uint32_t)(s[0] - 0x40) << 10) | ((uint32_t)(s[1] - 0x40) << 5) |
	     (uint32_t)(s[2] - 0x40);
	*out = (id >> 8) | ((id & 0xff) << 8) | ((v >> 8) << 16) |
	       ((v & 0xff) << 24);
	return true;
}

void aml_res_io(uint8_t *d, uint16_t port, uint8_t len)
{
	d[0] = RES_IO;
	d[1] = 1;		/* 16-bit decode */
	d[2] = (uint8_t)port;
	d[3] = (uint8_t)(port >> 8);
	d[4] = (uint8_t)port;
	d[5] = (uint8_t)(port >> 8);
	d[6] = 1;		/* alignment */
	d[7] = len;
}

void aml_res_irq(uint8_t *d, unsigned irq)
{
	d[0] = RES_IRQ;
	d[1] = (uint8_t)(1u << irq);
	d[2] = (uint8_t)((1u << irq) >> 8);
}

static void le32(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)v;
	d[1] = (uint8_t)(v >> 8);
	d[2] = (uint8_t)(v >> 16);
	d[3] = (uint8_t)(v >> 24);
}

void aml_res_mem32(uint8_t *d, uint32_t base, uint32_t len)
{
	d[0] = RES_MEM32;
	d[1] = 9;		/* length of what follows the 3-byte header */
	d[2] = 0;
	d[3] = 1;		/* read-write */
	le32(d + 4, base);
	le32(d + 8, len);
}

void aml_res_xirq(uint8_t *d, uint32_t gsi, bool level, bool low)
{
	d[0] = RES_XIRQ;
	d[1] = 6;
	d[2] = 0;
	d[3] = (uint8_t)(1u | (level ? 0 : 2u) | (low ? 4u : 0));
	d[4] = 1;		/* one interrupt */
	le32(d + 5, gsi);
}
