/* SPDX-License-Identifier: MIT */
/*
 * Linux bzImage through the 64-bit boot protocol (Documentation/arch/x86/
 * boot.rst): check the setup header against the file, place the
 * protected-mode kernel (at pref_address, or relocated when the kernel
 * allows), the initrd (highest below initrd_addr_max) and the zero page,
 * command line, GDT and page tables (low, marked reserved), and build the
 * zero page from the header with the e820 map.  No VM is touched here.
 */
#include "plan.h"

#include <string.h>

#define X(v) ((unsigned long long)(v))

/* Setup header fields: offsets in the file and in the zero page. */
#define BZ_SETUP_SECTS		0x1f1
#define BZ_SYSSIZE		0x1f4
#define BZ_BOOT_FLAG		0x1fe
#define BZ_JUMP			0x200
#define BZ_HEADER		0x202
#define BZ_VERSION		0x206
#define BZ_TYPE_OF_LOADER	0x210
#define BZ_LOADFLAGS		0x211
#define BZ_CODE32_START		0x214
#define BZ_RAMDISK_IMAGE	0x218
#define BZ_RAMDISK_SIZE		0x21c
#define BZ_HEAP_END_PTR		0x224
#define BZ_CMD_LINE_PTR		0x228
#define BZ_INITRD_ADDR_MAX	0x22c
#define BZ_KERNEL_ALIGNMENT	0x230
#define BZ_RELOCATABLE		0x234
#define BZ_MIN_ALIGNMENT	0x235
#define BZ_XLOADFLAGS		0x236
#define BZ_CMDLINE_SIZE		0x238
#define BZ_HW_SUBARCH		0x23c
#define BZ_HW_SUBARCH_DATA	0x240
#define BZ_PAYLOAD_OFFSET	0x248
#define BZ_PAYLOAD_LENGTH	0x24c
#define BZ_SETUP_DATA		0x250
#define BZ_PREF_ADDRESS		0x258
#define BZ_INIT_SIZE		0x260
#define BZ_HDR_MIN_END		0x268	/* protocol 2.12 ends here */
#define BZ_HDR_MAX_END		0x290	/* the zero page's room for it */

#define BZ_MAGIC		0x53726448u	/* "HdrS" */
#define BZ_BOOT_MAGIC		0xaa55u
#define BZ_MIN_VERSION		0x020cu		/* xloadflags */
#define BZ_LOADED_HIGH		(1u << 0)
#define BZ_XLF_KERNEL_64	(1u << 0)
#define BZ_ENTRY64		0x200		/* from the load address */
#define BZ_LOADER_UNDEFINED	0xff

/* Zero page fields outside the setup header. */
#define ZP_ACPI_RSDP		0x070
#define ZP_EXT_RAMDISK_IMAGE	0x0c0
#define ZP_EXT_RAMDISK_SIZE	0x0c4
#define ZP_EXT_CMD_LINE_PTR	0x0c8
#define ZP_E820_ENTRIES		0x1e8
#define ZP_E820_TABLE		0x2d0
#define ZP_E820_MAX		128
#define ZP_SIZE			0x1000

/* The loader's block: zero page, GDT + TSS, page tables, command line. */
#define BLK_GDT			0x1000
#define BLK_TSS			0x1080
#define BLK_PT			0x2000
#define BLK_CMDLINE		(BLK_PT + LVM_BOOT_PT_SIZE)

struct bz {
	uint64_t setup_size, hdr_end, kernel_len;
	uint64_t version, loadflags, code32_start, initrd_addr_max;
	uint64_t kernel_alignment, relocatable, min_alignment, xloadflags;
	uint64_t cmdline_size, payload_offset, payload_length;
	uint64_t pref_address, init_size;
	uint64_t load, initrd, initrd_len, block;
};

static int bad(const char *field, uint64_t v, const char *why)
{
	return lvm_err(LIBVM_EIMAGE, "bzImage setup header: %s = %#llx: %s",
		       field, X(v), why);
}

/* The fields the boot protocol needs, each checked as it is read. */
static int read_header(struct bz *h, const struct lvm_bytes *b)
{
	uint64_t v;
	int r;

#define F(off, n, name, dst) \
	do { \
		r = lvm_bytes_le(b, (off), (n), (name), (dst)); \
		if (r < 0) \
			return r; \
	} while (0)

	F(BZ_BOOT_FLAG, 2, "boot_flag", &v);
	if (v != BZ_BOOT_MAGIC)
		return bad("boot_flag", v, "not a bzImage (want 0xaa55)");
	F(BZ_HEADER, 4, "header", &v);
	if (v != BZ_MAGIC)
		return bad("header", v, "not a bzImage (want \"HdrS\", "
			   "0x53726448)");
	F(BZ_VERSION, 2, "version", &h->version);
	if (h->version < BZ_MIN_VERSION)
		return bad("version", h->version, "the 64-bit boot protocol "
			   "needs 2.12 (0x020c) or later");
	F(BZ_SETUP_SECTS, 1, "setup_sects", &v);
	h->setup_size = ((v ? v : 4) + 1) * 512;
	if (h->setup_size > b->len)
		return bad("setup_sects", v, "the setup code would end beyond "
			   "the file");
	F(BZ_JUMP + 1, 1, "jump", &v);
	h->hdr_end = BZ_HEADER + v;
	if (h->hdr_end < BZ_HDR_MIN_END || h->hdr_end > BZ_HDR_MAX_END ||
	    h->hdr_end > h->setup_size)
		return bad("jump", v, "the setup header would end outside "
			   "0x268-0x290 or beyond the setup code");
	F(BZ_SYSSIZE, 4, "syssize", &v);
	h->kernel_len = v * 16;
	if (!v || h->kernel_len > b->len - h->setup_size)
		return bad("syssize", v, "the protected-mode kernel (syssize "
			   "16-byte units after the setup code) is empty or "
			   "beyond the end of the file");
	if (h->kernel_len <= BZ_ENTRY64)
		return bad("syssize", v, "the kernel ends before its 64-bit "
			   "entry point at 0x200");
	F(BZ_LOADFLAGS, 1, "loadflags", &h->loadflags);
	if (!(h->loadflags & BZ_LOADED_HIGH))
		return bad("loadflags", h->loadflags, "LOADED_HIGH is clear: "
			   "a zImage, which loads below 1 MiB");
	F(BZ_XLOADFLAGS, 2, "xloadflags", &h->xloadflags);
	if (!(h->xloadflags & BZ_XLF_KERNEL_64))
		return bad("xloadflags", h->xloadflags, "XLF_KERNEL_64 is "
			   "clear: no 64-bit entry point");
	F(BZ_CODE32_START, 4, "code32_start", &h->code32_start);
	if (h->code32_start < LVM_1M)
		return bad("code32_start", h->code32_start, "a protected-mode "
			   "kernel loads at 1 MiB or above");
	F(BZ_INITRD_ADDR_MAX, 4, "initrd_addr_max", &h->initrd_addr_max);
	if (h->initrd_addr_max < LVM_1M)
		return bad("initrd_addr_max", h->initrd_addr_max, "below "
			   "1 MiB: no room for an initrd");
	F(BZ_KERNEL_ALIGNMENT, 4, "kernel_alignment", &h->kernel_alignment);
	if (h->kernel_alignment < LIBVM_PAGE_SIZE ||
	    (h->kernel_alignment & (h->kernel_alignment - 1)))
		return bad("kernel_alignment", h->kernel_alignment, "not a "
			   "power of two of at least 4 KiB");
	F(BZ_RELOCATABLE, 1, "relocatable_kernel", &h->relocatable);
	if (h->relocatable > 1)
		return bad("relocatable_kernel", h->relocatable, "want 0 "
			   "or 1");
	F(BZ_MIN_ALIGNMENT, 1, "min_alignment", &h->min_alignment);
	if (h->min_alignment > 31 ||
	    (1ull << h->min_alignment) > h->kernel_alignment)
		return bad("min_alignment", h->min_alignment, "want at most "
			   "log2 of kernel_alignment");
	F(BZ_CMDLINE_SIZE, 4, "cmdline_size", &h->cmdline_size);
	F(BZ_PAYLOAD_OFFSET, 4, "payload_offset", &h->payload_offset);
	F(BZ_PAYLOAD_LENGTH, 4, "payload_length", &h->payload_length);
	if (h->payload_offset + h->payload_length > h->kernel_len)
		return bad("payload_offset", h->payload_offset, "the payload "
			   "(payload_length bytes from there) ends beyond "
			   "the kernel (syssize)");
	F(BZ_PREF_ADDRESS, 8, "pref_address", &h->pref_address);
	if (h->pref_address < LVM_1M || h->pref_address >= LVM_4G ||
	    (h->pref_address & (h->kernel_alignment - 1)))
		return bad("pref_address", h->pref_address, "want an address "
			   "from 1 MiB to 4 GiB aligned to kernel_alignment");
	F(BZ_INIT_SIZE, 4, "init_size", &h->init_size);
	if (h->init_size < h->kernel_len)
		return bad("init_size", h->init_size, "smaller than the kernel "
			   "(syssize * 16)");
#undef F
	return 0;
}

/* The kernel at pref_address, or where a relocatable kernel fits. */
static int place_kernel(struct bz *h, struct lvm_boot_plan *p)
{
	struct lvm_layout *l = &p->lay;

	if (h->pref_address + h->init_size <= LVM_4G &&
	    lvm_layout_free(l, h->pref_address, h->init_size)) {
		h->load = h->pref_address;
		return lvm_layout_take(l, h->load, h->init_size, 0,
				       "the kernel");
	}
	if (!h->relocatable)
		/* Fails, saying what is in the way. */
		return lvm_layout_take(l, h->pref_address, h->init_size, 0,
				       "the kernel (not relocatable, so at "
				       "pref_address)");
	return lvm_layout_alloc(l, &h->load, h->init_size,
				h->kernel_alignment, LVM_1M, LVM_4G, false, 0,
				"the kernel (init_size)");
}

/* The modules, concatenated and 4-byte padded, highest that fits. */
static int place_initrd(struct bz *h, struct lvm_boot_plan *p,
			const struct lvm_boot_in *in)
{
	uint64_t off = 0;
	uint32_t i;
	int r;

	for (i = 0; i < in->nmods; i++) {
		uint64_t n = in->mods[i].len;

		if (i + 1 < in->nmods)
			n = lvm_align_up(n, 4);
		if (n > LVM_4G - off)
			return lvm_err(LIBVM_ERANGE, "boot: the initrds come "
				       "to more than 4 GiB");
		off += n;
	}
	h->initrd_len = off;
	if (!off)
		return 0;
	r = lvm_layout_alloc(&p->lay, &h->initrd, off, LIBVM_PAGE_SIZE, LVM_1M,
			     h->initrd_addr_max + 1, true, 0,
			     "the initrd (below initrd_addr_max)");
	if (r < 0)
		return r;
	for (off = 0, i = 0; i < in->nmods; i++) {
		const struct lvm_boot_mod *m = &in->mods[i];
		uint64_t pad = i + 1 < in->nmods ?
			lvm_align_up(m->len, 4) - m->len : 0;

		lvm_plan_write(p, h->initrd + off, m->data, m->len);
		lvm_plan_write(p, h->initrd + off + m->len, NULL, pad);
		lvm_plan_range(p, LIBVM_BOOT_MODULE, i, h->initrd + off,
			       m->len);
		off += m->len + pad;
	}
	return 0;
}

/* hdr: the file's setup header, 0x1f1 to hdr_end. */
static void zero_page(uint8_t *zp, const struct bz *h, const uint8_t *hdr,
		      const struct lvm_boot_plan *p,
		      const struct lvm_boot_in *in)
{
	uint64_t cmdline = h->block + BLK_CMDLINE;
	uint32_t i;

	memcpy(zp + BZ_SETUP_SECTS, hdr, h->hdr_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	lvm_put32(zp + BZ_CODE32_START, (uint32_t)h->load);
	lvm_put32(zp + BZ_RAMDISK_IMAGE, (uint32_t)h->initrd);
	lvm_put32(zp + BZ_RAMDISK_SIZE, (uint32_t)h->initrd_len);
	lvm_put32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(h->initrd >> 32));
	lvm_put32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(h->initrd_len >> 32));
	lvm_put16(zp + BZ_HEAP_END_PTR, 0);
	lvm_put32(zp + BZ_CMD_LINE_PTR, (uint32_t)cmdline);
	lvm_put32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(cmdline >> 32));
	lvm_put32(zp + BZ_HW_SUBARCH, 0);
	lvm_put64(zp + BZ_HW_SUBARCH_DATA, 0);
	lvm_put64(zp + BZ_SETUP_DATA, 0);
	lvm_put64(zp + ZP_ACPI_RSDP, in->acpi_rsdp);
	zp[ZP_E820_ENTRIES] = (uint8_t)p->nmap;
	for (i = 0; i < p->nmap; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + 20 * i;

		lvm_put64(e, p->map[i].base);
		lvm_put64(e + 8, p->map[i].len);
		lvm_put32(e + 16, p->map[i].type);
	}
}

int lvm_bzimage_plan(struct lvm_boot_plan *p, const uint8_t *buf,
		     size_t len, const struct lvm_boot_in *in)
{
	struct lvm_bytes b = { buf, len, "bzImage" };
	size_t cmdlen = strlen(in->cmdline);
	const uint8_t *hdr, *kernel;
	struct bz h = { 0 };
	uint8_t *blk;
	int r;

	r = read_header(&h, &b);
	if (r == 0)
		r = lvm_bytes_get(&b, BZ_SETUP_SECTS,
				  h.hdr_end - BZ_SETUP_SECTS, "setup header",
				  &hdr);
	if (r == 0)
		r = lvm_bytes_get(&b, h.setup_size, h.kernel_len,
				  "protected-mode kernel", &kernel);
	if (r < 0)
		return r;
	if (cmdlen > h.cmdline_size)
		return lvm_err(LIBVM_EINVAL, "boot: the command line is %zu "
			       "bytes; the kernel's cmdline_size is %llu",
			       cmdlen, X(h.cmdline_size));
	r = lvm_layout_init(&p->lay, in);
	if (r == 0)
		r = place_kernel(&h, p);
	if (r == 0)
		r = place_initrd(&h, p, in);
	if (r < 0)
		return r;
	blk = lvm_plan_block(p, BLK_CMDLINE + cmdlen + 1, &h.block);
	if (!blk || lvm_plan_map(p, ZP_E820_MAX) < 0)
		return p->err;
	zero_page(blk, &h, hdr, p, in);
	lvm_boot_gdt(blk + BLK_GDT, true, h.block + BLK_TSS);
	lvm_boot_pagetables(blk + BLK_PT, h.block + BLK_PT);
	memcpy(blk + BLK_CMDLINE, in->cmdline, cmdlen);

	lvm_plan_write(p, h.load, kernel, h.kernel_len);
	lvm_plan_write(p, h.block, blk, BLK_CMDLINE + cmdlen + 1);
	lvm_plan_range(p, LIBVM_BOOT_KERNEL, 0, h.load, h.init_size);
	lvm_plan_range(p, LIBVM_BOOT_INFO, 0, h.block, ZP_SIZE);
	lvm_plan_range(p, LIBVM_BOOT_TABLES, 0, h.block + BLK_GDT,
		       BLK_CMDLINE - BLK_GDT);
	lvm_plan_range(p, LIBVM_BOOT_CMDLINE, 0, h.block + BLK_CMDLINE,
		       cmdlen + 1);
	p->cpu = (struct lvm_boot_cpu){
		.mode = LVM_ENTRY_LONG64, .rip = h.load + BZ_ENTRY64,
		.rsi = h.block, .cr3 = h.block + BLK_PT,
		.gdt = h.block + BLK_GDT, .tss = h.block + BLK_TSS,
	};
	return p->err;
}
