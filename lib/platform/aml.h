/* SPDX-License-Identifier: MIT */
/*
 * A small writer of ACPI Machine Language (ACPI 6.x, chapter 20) for the
 * DSDT: names, integers, strings, packages, scopes, devices and resource
 * templates.  Writes go into a fixed buffer with a sticky error (checked
 * once, at the end); an open package's length is patched when it closes.
 */
#ifndef LIBVM_AML_H
#define LIBVM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *p;
	size_t len, cap;
	bool err;		/* ran out of room or misuse: discard */
	size_t open[AML_MAX_DEPTH];
	unsigned depth;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *src, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* A NameString: "NAME", "\\NAME" or "\\A.B" (segments padded with '_'). */
void aml_namestring(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* Name(path, <the object that follows>) */
void aml_name(struct aml *a, const char *path);
/* Open a Scope, Device or Package; aml_close ends the innermost. */
void aml_scope(struct aml *a, const char *path);
void aml_device(struct aml *a, const char *path);
void aml_package(struct aml *a, uint8_t nelems);
void aml_close(struct aml *a);
/* Buffer holding a resource template's descriptors (+ end tag). */
void aml_resources(struct aml *a, const uint8_t *desc, size_t n);
/* The 32-bit EISA id of "PNP0501"-style names; false if not one. */
bool aml_eisa_id(const char *s, uint32_t *out);

/* Resource descriptors (small and large items) into desc; their sizes. */
#define AML_IO_LEN 8
#define AML_IRQ_LEN 3
#define AML_MEM32_LEN 12
#define AML_XIRQ_LEN 9
void aml_res_io(uint8_t *d, uint16_t port, uint8_t len);
void aml_res_irq(uint8_t *d, unsigned irq);
void aml_res_mem32(uint8_t *d, uint32_t base, uint32_t len);
/* Extended interrupt, consumer; edge unless level, high unless low. */
void aml_res_xirq(uint8_t *d, uint32_t gsi, bool level, bool low);

#endif
