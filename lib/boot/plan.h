/* SPDX-License-Identifier: MIT */
/*
 * Boot protocols, inside: each protocol's planner (bzimage.c, pvh.c,
 * multiboot.c, elf64.c) turns an image, the VM's RAM and the caller's
 * choices into a plan -- the bytes to write where, the ranges placed, the
 * memory map and the entry state -- touching no VM, so the fuzzers and the
 * unit tests run them without /dev/kvm.  boot.c gathers the inputs, runs
 * a planner and carries the plan out.  Never installed.
 */
#ifndef LIBVM_BOOT_PLAN_H
#define LIBVM_BOOT_PLAN_H

#include "../internal.h"
#include "../loader/elfimg.h"
#include <libvm/boot.h>

/* Limits (beyond them: LIBVM_ELIMIT). */
#define LVM_BOOT_MAX_FILE	(1ull << 30)	/* kernel or module file */
#define LVM_BOOT_MAX_MODULES	64u
#define LVM_BOOT_MAX_RESERVED	64u
#define LVM_BOOT_MAX_CMDLINE	(64u << 10)	/* PVH, multiboot */
#define LVM_BOOT_MAX_MAP	(2 * LIBVM_MAX_REGIONS + \
				 2 * LVM_BOOT_MAX_RESERVED + 16)

/* The legacy hole (VGA, option ROMs, BIOS): never RAM to a kernel. */
#define LVM_HOLE_START	0xa0000ull
#define LVM_HOLE_END	0x100000ull
#define LVM_1M		0x100000ull
#define LVM_4G		(1ull << 32)

/* Little-endian accessors for building tables. */
static inline void lvm_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void lvm_put32(uint8_t *p, uint32_t v)
{
	lvm_put16(p, (uint16_t)v);
	lvm_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void lvm_put64(uint8_t *p, uint64_t v)
{
	lvm_put32(p, (uint32_t)v);
	lvm_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t lvm_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * The one way the planners read image bytes: [off, off + n) must lie in
 * the image, else a message naming what was read and LIBVM_EIMAGE.
 */
struct lvm_bytes {
	const uint8_t *p;
	size_t len;
	const char *what;	/* "bzImage", "multiboot image", ... */
};

int lvm_bytes_get(const struct lvm_bytes *b, uint64_t off, uint64_t n,
		  const char *field, const uint8_t **out);
/* The same without a message: NULL when out of the image (probing). */
const uint8_t *lvm_bytes_at(const struct lvm_bytes *b, uint64_t off,
			    uint64_t n);
/* Little-endian 1-, 2-, 4- or 8-byte field at off. */
int lvm_bytes_le(const struct lvm_bytes *b, uint64_t off, unsigned n,
		 const char *field, uint64_t *out);

/* A module as the planners see it: its bytes are in host memory. */
struct lvm_boot_mod {
	const uint8_t *data;
	uint64_t len;
	const char *string;	/* never NULL */
};

/* What a planner is given. */
struct lvm_boot_in {
	const struct lvm_ram_range *ram;	/* the VM's RAM, sorted */
	uint32_t nram;
	const libvm_mem_range *resv;
	uint32_t nresv;
	const char *cmdline;	/* never NULL */
	const struct lvm_boot_mod *mods;
	uint32_t nmods;
	uint64_t acpi_rsdp;
};

/* How the boot vCPU starts. */
enum lvm_entry_mode {
	LVM_ENTRY_LONG64 = 1,	/* bzImage: 64-bit, paging on */
	LVM_ENTRY_PROT32,	/* PVH, multiboot: 32-bit, paging off */
	LVM_ENTRY_RUNTIME,	/* bare ELF: libvm's long-mode environment */
};

struct lvm_boot_cpu {
	uint32_t mode;		/* enum lvm_entry_mode */
	uint64_t rip, rax, rbx, rsi, rsp;
	uint64_t cr3;		/* LONG64: the page tables */
	uint64_t gdt;		/* the GDT (lvm_boot_gdt), 0 for RUNTIME */
	uint64_t tss;		/* TR's base */
	uint64_t sys_gpa;	/* RUNTIME: the system area */
};

/* RAM, and the ranges already spoken for (layout.c). */
struct lvm_used {
	uint64_t base, end;
	uint32_t type;		/* in the map: 0 as RAM, or LIBVM_E820_* */
	const char *what;	/* for messages: "the kernel", ... */
};

struct lvm_layout {
	struct lvm_ram_range *ram;	/* RAM minus the legacy hole */
	uint32_t nram;
	struct lvm_used *used;		/* sorted by base, disjoint */
	uint32_t nused, cap;
};

/* One write: len bytes of src, or zeros when src is NULL. */
struct lvm_boot_write {
	uint64_t gpa;
	const uint8_t *src;
	uint64_t len;
};

struct lvm_boot_plan {
	uint32_t kind;
	struct lvm_boot_cpu cpu;
	struct lvm_layout lay;
	struct lvm_boot_write *w;
	uint32_t nw, wcap;
	libvm_boot_range *ranges;
	uint32_t nranges, rcap;
	libvm_mem_range *map;		/* set by lvm_plan_map */
	uint32_t nmap;
	/* Host buffers the writes point into, freed with the plan. */
	uint8_t *bufs[4];
	uint32_t nbufs;
	libvm_image *img;		/* an ELF kernel's segments */
	int err;			/* sticky: the first failure */
};

/* plan.c: a writer with a sticky error (checked once by the planner). */
void lvm_plan_init(struct lvm_boot_plan *p, uint32_t kind);
void lvm_plan_free(struct lvm_boot_plan *p);
void lvm_plan_write(struct lvm_boot_plan *p, uint64_t gpa,
		    const uint8_t *src, uint64_t len);
void lvm_plan_range(struct lvm_boot_plan *p, uint32_t what, uint32_t index,
		    uint64_t gpa, uint64_t len);
/* A zeroed host buffer owned by the plan; NULL (and p->err) on failure. */
uint8_t *lvm_plan_buf(struct lvm_boot_plan *p, uint64_t len);
/* Build p->map from p->lay; LIBVM_ELIMIT beyond max entries. */
int lvm_plan_map(struct lvm_boot_plan *p, uint32_t max);
/* Sort the ranges by gpa (the planners add them in any order). */
void lvm_plan_finish(struct lvm_boot_plan *p);
/*
 * Place the loader's own block of len bytes (boot information, tables,
 * strings): page aligned, as low as possible below 640 KiB, else below
 * 4 GiB, marked reserved in the memory map.  Returns its host buffer
 * (zeroed) and *gpa, or NULL with p->err set.
 */
uint8_t *lvm_plan_block(struct lvm_boot_plan *p, uint64_t len,
			uint64_t *gpa);

/*
 * block.c: the 32-bit protocols' loader block -- info structure (info
 * bytes), memory map (map_entry bytes an entry), module list (mod_entry
 * bytes a module), GDT, command line, strings -- as offsets from its
 * start, its guest address and its host buffer.
 */
struct lvm_info_block {
	uint64_t info;
	uint32_t map_entry, mod_entry;
	uint64_t memmap, modlist, gdt, cmdline, strings, len;
	uint64_t at;
	uint8_t *b;
};

/* Each module page aligned below 4 GiB: the highest place, or the lowest
 * from 1 MiB; an empty one gets a page of its own. */
int lvm_plan_modules(struct lvm_boot_plan *p, const struct lvm_boot_in *in,
		     uint64_t *mod_at, bool high);
/*
 * Lay the block out (k->info, map_entry and mod_entry set; extra bytes of
 * strings before the modules' strings), place it and build p->map.
 */
int lvm_plan_info_block(struct lvm_boot_plan *p, struct lvm_info_block *k,
			const struct lvm_boot_in *in, uint64_t extra);
/* With the info, map and modules filled in: GDT, command line, the write
 * of the block and its ranges. */
void lvm_plan_info_done(struct lvm_boot_plan *p,
			const struct lvm_info_block *k,
			const struct lvm_boot_in *in);

/* layout.c */
int lvm_layout_init(struct lvm_layout *l, const struct lvm_boot_in *in);
void lvm_layout_fini(struct lvm_layout *l);
/* Is [base, base + len) RAM that nothing uses? */
bool lvm_layout_free(const struct lvm_layout *l, uint64_t base,
		     uint64_t len);
/* Mark a range used (type as in struct lvm_used); LIBVM_ERANGE if not free. */
int lvm_layout_take(struct lvm_layout *l, uint64_t base, uint64_t len,
		    uint32_t type, const char *what);
/*
 * Find and take len bytes of free RAM aligned to align (a power of two)
 * inside [lo, hi): the lowest such place, or the highest with high.
 */
int lvm_layout_alloc(struct lvm_layout *l, uint64_t *gpa, uint64_t len,
		     uint64_t align, uint64_t lo, uint64_t hi, bool high,
		     uint32_t type, const char *what);
/*
 * The memory map, sorted and merged: RAM, and the used ranges that show
 * as something else.  *n entries into out (room for max; out NULL only
 * counts).  LIBVM_ELIMIT when max is too small.
 */
int lvm_layout_map(const struct lvm_layout *l, libvm_mem_range *out,
		   uint32_t max, uint32_t *n);
/* How many entries the map has now. */
uint32_t lvm_layout_map_count(const struct lvm_layout *l);

/* tables.c: GDT, TSS and identity page tables for the entry state. */
#define LVM_BOOT_SEL_CODE	0x10	/* Linux's __BOOT_CS */
#define LVM_BOOT_SEL_DATA	0x18	/* __BOOT_DS */
#define LVM_BOOT_SEL_TSS	0x20
#define LVM_BOOT_GDT_SIZE	0x30	/* 5 descriptors (a 16-byte TSS) */
#define LVM_BOOT_TSS_SIZE	0x68
/* Page tables identity-mapping [0, 4 GiB) with 2 MiB pages: 6 pages. */
#define LVM_BOOT_PT_SIZE	(6 * 4096ull)
void lvm_boot_gdt(uint8_t *gdt, bool long64, uint64_t tss);
void lvm_boot_pagetables(uint8_t *pt, uint64_t gpa);

/* elf.c: ELF kernels; notes and headers read by hand, bounds-checked. */
/* 32 or 64 for an ELF x86 image, 0 for anything else. */
uint32_t lvm_elf_class(const uint8_t *buf, size_t len);
/*
 * The PVH entry (XEN_ELFNOTE_PHYS32_ENTRY) from the PT_NOTE segments:
 * 1 and *entry when found, 0 when there is none, < 0 for a malformed
 * program header or note.
 */
int lvm_elf_pvh_entry(const uint8_t *buf, size_t len, uint64_t *entry);
/*
 * Parse an ELF kernel (lvm_elf_parse: segments at p_paddr, or p_vaddr
 * with LIBVM_LOAD_VADDR) into p->img, take its segments in the layout,
 * each ending at or below limit, and plan their writes.
 */
int lvm_plan_elf(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 uint32_t flags, uint64_t limit);
/*
 * The guest-physical address of addr, a virtual (virt) or load address
 * inside one of p->img's segments; LIBVM_EIMAGE when it is in none.
 */
int lvm_plan_elf_entry(const struct lvm_boot_plan *p, uint64_t addr,
		       bool virt, uint64_t *phys);

/* The planners: 0 and a complete plan, or < 0 and the detail message. */
int lvm_bzimage_plan(struct lvm_boot_plan *p, const uint8_t *buf,
		     size_t len, const struct lvm_boot_in *in);
int lvm_pvh_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		 const struct lvm_boot_in *in);
int lvm_multiboot_plan(struct lvm_boot_plan *p, const uint8_t *buf,
		       size_t len, const struct lvm_boot_in *in);
int lvm_elf64_plan(struct lvm_boot_plan *p, const uint8_t *buf, size_t len,
		   const struct lvm_boot_in *in);
/* enter.c: put a vCPU in the entry state. */
int lvm_boot_cpu_enter(const struct lvm_boot_cpu *c, libvm_vcpu *v);

/* Offset of a multiboot header in the first 8 KiB, or -1. */
int64_t lvm_multiboot_find(const uint8_t *buf, size_t len);

#endif
