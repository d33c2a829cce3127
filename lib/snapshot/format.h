/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file format, shared by its writer (file_write.c) and reader
 * (file_read.c, file_sections.c, file_memory.c).  Never installed.
 *
 * The format is described in ABI.md ("Snapshot file format"); keep the two
 * in sync.  In short: a 48-byte header, then sections, each a 32-byte
 * header {type, flags, disk length, raw length, CRC-32 of the payload,
 * CRC-32 of the header} and its payload: VM, VCPU per vCPU, IRQCHIP, PIT,
 * DEVICE per device, REGION + MEMORY per region, END.  Integers are
 * little-endian; the KVM structs are written as their raw x86-64 bytes
 * with their sizes recorded.  Memory is a bitmap of non-zero pages (in
 * REGION) and a zlib stream of those pages (MEMORY).
 *
 * Both directions stream: memory goes through deflate/inflate in fixed
 * chunks, never the whole of it in one buffer.  The loader reads through
 * lvm_sf_get (file bytes, bounded by the file size) and lvm_sf_cur_get
 * (bytes of a section payload already CRC-checked); nothing else touches
 * file data.  The writer keeps the first error it meets (struct wr.err)
 * and is checked once at the end.
 */
#ifndef LIBVM_SNAPSHOT_FORMAT_H
#define LIBVM_SNAPSHOT_FORMAT_H

#include "snapfile.h"

#include <zlib.h>

#define PAGE LIBVM_PAGE_SIZE

#define SF_MAGIC "LIBVMSNP"
#define SF_VERSION 1
#define SF_ARCH_X86_64 1
#define SF_HDR_SIZE 48
#define SF_SEC_SIZE 32

enum {
	SEC_VM = 1,
	SEC_VCPU = 2,
	SEC_IRQCHIP = 3,
	SEC_PIT = 4,
	SEC_DEVICE = 5,
	SEC_REGION = 6,
	SEC_MEMORY = 7,
	SEC_END = 8,
};

#define SEC_F_ZLIB 1u		/* payload is a zlib stream */

/* VCPU flags */
#define VF_XCRS		(1u << 0)
#define VF_LAPIC	(1u << 1)
#define VF_RT_LONG	(1u << 2)
#define VF_RT_DISPATCH	(1u << 3)
/* VM "has" bits */
#define VM_HAS_IRQCHIP	(1u << 0)
#define VM_HAS_PIT	(1u << 1)

/* Limits a loaded file must respect. */
#define MAX_REGION_SIZE (1ull << 40)
#define MAX_VCPUS 1024u
/*
 * x86 KVM's KVM_MAX_VCPUS: no KVM_CAP_MAX_VCPUS is larger, and
 * libvm_vcpu_create takes ids below it.
 */
#define MAX_VCPU_ID 1024u
#define MAX_DEVS 1024u
/* The runtime flags a VM section may have: libvm_long_mode.flags. */
#define LVM_SF_RT_FLAGS (LIBVM_LONG_SUPERVISOR | LIBVM_LONG_1G_PAGES | \
			 LIBVM_LONG_SYSCALL)
#define MAX_DEV_LEN (64u << 20)
#define MAX_XSAVE (64u << 10)
#define MAX_MSRS 4096u

#define VM_PAYLOAD 72
#define VCPU_FIXED 64
#define REGION_FIXED 32
#define DEVICE_FIXED 40

#define WR_BUF (256u << 10)	/* writer buffer and deflate output */
#define RD_BUF (64u << 10)	/* reader buffer */
#define Z_IN_CHUNK (256u << 10)	/* compressed bytes fed to inflate at once */
#define Z_OUT_MAX (1u << 30)	/* most bytes given to zlib in one call */

static inline const char *sec_name(uint32_t type)
{
	static const char *const names[] = {
		[SEC_VM] = "VM", [SEC_VCPU] = "VCPU",
		[SEC_IRQCHIP] = "IRQCHIP", [SEC_PIT] = "PIT",
		[SEC_DEVICE] = "DEVICE", [SEC_REGION] = "REGION",
		[SEC_MEMORY] = "MEMORY", [SEC_END] = "END",
	};

	return type < ARRAY_SIZE(names) && names[type] ? names[type]
						       : "unknown";
}

static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline uint32_t crc(uint32_t c, const void *p, uint64_t n)
{
	const uint8_t *b = p;

	while (n) {
		uInt k = n > Z_OUT_MAX ? Z_OUT_MAX : (uInt)n;

		c = (uint32_t)crc32(c, b, k);
		b += k;
		n -= k;
	}
	return c;
}

static inline uint64_t bitmap_words(uint64_t size)
{
	return (size / PAGE + 63) / 64;
}

/* Sizes of the raw structs of a VCPU section, in the order written. */
static const uint32_t vcpu_sizes[9] = {
	sizeof(struct kvm_regs), sizeof(struct kvm_sregs),
	sizeof(struct kvm_fpu), sizeof(struct kvm_xcrs),
	sizeof(struct kvm_lapic_state), sizeof(struct kvm_vcpu_events),
	sizeof(struct kvm_mp_state), sizeof(struct kvm_debugregs),
	sizeof(libvm_sregs),
};

static inline uint64_t vcpu_raw_size(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(vcpu_sizes); i++)
		n += vcpu_sizes[i];
	return n;
}

/* ---- the reader's accessors (file_read.c) ---- */

struct rd {
	FILE *f;
	uint64_t size;		/* of the file */
	uint64_t off;		/* offset of the next byte to hand out */
	uint8_t *buf;
	size_t pos, len;	/* buf[pos..len) is unread */
};

struct cur {
	const uint8_t *p;
	uint64_t len, pos;
};

struct sec {
	uint64_t at;		/* file offset of the section header */
	uint32_t type, flags, crc;
	uint64_t disk_len, raw_len;
};

struct vm_info {
	uint32_t nregions, nvcpus, ndevs, has;
};

/*
 * The accessor for file bytes: n bytes at the current offset, or a
 * "truncated" error naming what was being read and where.
 */
int lvm_sf_get(struct rd *r, void *dst, uint64_t n, const char *what);
/*
 * The accessor for payload bytes (already read and CRC-checked): n bytes
 * at the cursor, or false.  Lengths are checked against the expected
 * layout before parsing, so false means a broken promise of the caller.
 */
bool lvm_sf_cur_get(struct cur *c, void *dst, uint64_t n);
uint32_t lvm_sf_cur_u32(struct cur *c);
uint64_t lvm_sf_cur_u64(struct cur *c);
/* An EIMAGE naming the section and its offset. */
int lvm_sf_bad(const struct sec *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), cold));
/* Read the next section header, which must be of type want. */
int lvm_sf_sec(struct rd *r, struct sec *s, uint32_t want);
/*
 * The next section, which must be want, with its whole payload of min to
 * max bytes read and checked into *b (the caller frees it), and *c a
 * cursor over it.
 */
int lvm_sf_section(struct rd *r, struct sec *s, uint32_t want,
		   uint64_t min, uint64_t max, uint8_t **b, struct cur *c);

/* The sections (file_sections.c, file_memory.c). */
int lvm_sf_load_vm(struct rd *r, libvm_snapshot *s, struct vm_info *vi);
int lvm_sf_load_vcpu(struct rd *r, libvm_snapshot *s);
int lvm_sf_load_chips(struct rd *r, libvm_snapshot *s, uint32_t has);
int lvm_sf_load_dev(struct rd *r, libvm_snapshot *s);
int lvm_sf_load_region(struct rd *r, libvm_snapshot *s);

#endif
