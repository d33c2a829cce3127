/* SPDX-License-Identifier: MIT */
/*
 * Synthetic ELF images for the loader tests, built in memory: a good one
 * (two PT_LOADs, a symbol table) and a corpus of malformed variants, each
 * with the part of the detail message it must produce.  The images expect
 * guest RAM at [0, EC_RAM).
 */
#ifndef LIBVM_TESTS_ELF_CORPUS_H
#define LIBVM_TESTS_ELF_CORPUS_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EC_RAM 0x100000u
#define EC_MAX 0x600u		/* largest image ec_build makes */
#define EC_TEXT 0x10000u	/* segment 0: R+X, 0x100 bytes */
#define EC_DATA 0x20000u	/* segment 1: R+W, 0x80 bytes + BSS */
#define EC_DATA_MEMSZ 0x2000u
#define EC_ENTRY (EC_TEXT + 0x10)

struct ec_seg {
	uint32_t type, flags;
	uint64_t offset, filesz, memsz, paddr, vaddr;
};

struct ec_spec {
	unsigned class;		/* 32 or 64 */
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff, shoff;
	struct ec_seg seg[2];
	uint32_t sym_name[2];	/* st_name of ec_entry and ec_data */
	uint64_t symtab_off, strtab_size;
};

/* File layout of the good image. */
#define EC_OFF_TEXT 0x200u
#define EC_OFF_DATA 0x300u
#define EC_OFF_STR 0x400u
#define EC_OFF_SYM 0x440u
#define EC_OFF_SH 0x500u
static const char ec_strtab[] = "\0ec_entry\0ec_data"; /* 18 bytes */

static inline void ec_default(struct ec_spec *s, unsigned class)
{
	memset(s, 0, sizeof(*s));
	s->class = class;
	s->type = ET_EXEC;
	s->machine = class == 64 ? EM_X86_64 : EM_386;
	s->phentsize = class == 64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	s->phnum = 2;
	s->entry = EC_ENTRY;
	s->phoff = 0x40;
	s->shoff = EC_OFF_SH;
	s->seg[0] = (struct ec_seg){ PT_LOAD, PF_R | PF_X, EC_OFF_TEXT, 0x100,
				     0x100, EC_TEXT, EC_TEXT };
	s->seg[1] = (struct ec_seg){ PT_LOAD, PF_R | PF_W, EC_OFF_DATA, 0x80,
				     EC_DATA_MEMSZ, EC_DATA, EC_DATA };
	s->sym_name[0] = 1;
	s->sym_name[1] = 10;
	s->symtab_off = EC_OFF_SYM;
	s->strtab_size = sizeof(ec_strtab);
}

/* Byte i of the text and data segments' file contents. */
static inline uint8_t ec_byte(unsigned seg, size_t i)
{
	return (uint8_t)(seg * 0x40 + i * 7 + 1);
}

/* Serialize s into buf (EC_MAX bytes); returns the image's length. */
static inline size_t ec_build(uint8_t *buf, const struct ec_spec *s)
{
	static const uint64_t val[2] = { EC_ENTRY, EC_DATA };
	uint16_t shnum = 3;
	size_t i, len;

	memset(buf, 0, EC_MAX);
	for (i = 0; i < 0x100; i++)
		buf[EC_OFF_TEXT + i] = ec_byte(0, i);
	for (i = 0; i < 0x80; i++)
		buf[EC_OFF_DATA + i] = ec_byte(1, i);
	memcpy(buf + EC_OFF_STR, ec_strtab, sizeof(ec_strtab));
	if (s->class == 64) {
		Elf64_Ehdr eh = {
			.e_type = s->type, .e_machine = s->machine,
			.e_version = EV_CURRENT, .e_entry = s->entry,
			.e_phoff = s->phoff, .e_shoff = s->shoff,
			.e_ehsize = sizeof(Elf64_Ehdr),
			.e_phentsize = s->phentsize, .e_phnum = s->phnum,
			.e_shentsize = sizeof(Elf64_Shdr), .e_shnum = shnum,
		};
		Elf64_Shdr sh[3] = {
			[1] = { .sh_type = SHT_SYMTAB,
				.sh_offset = s->symtab_off,
				.sh_size = 3 * sizeof(Elf64_Sym), .sh_link = 2,
				.sh_info = 1, .sh_entsize = sizeof(Elf64_Sym) },
			[2] = { .sh_type = SHT_STRTAB, .sh_offset = EC_OFF_STR,
				.sh_size = s->strtab_size },
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS64;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
		for (i = 0; i < 2; i++) {
			Elf64_Phdr ph = {
				.p_type = s->seg[i].type,
				.p_flags = s->seg[i].flags,
				.p_offset = s->seg[i].offset,
				.p_vaddr = s->seg[i].vaddr,
				.p_paddr = s->seg[i].paddr,
				.p_filesz = s->seg[i].filesz,
				.p_memsz = s->seg[i].memsz, .p_align = 0x1000,
			};
			memcpy(buf + 0x40 + i * sizeof(ph), &ph, sizeof(ph));
		}
		for (i = 0; i < 2; i++) {
			Elf64_Sym sym = {
				.st_name = s->sym_name[i],
				.st_info = ELF64_ST_INFO(STB_GLOBAL,
					i ? STT_OBJECT : STT_FUNC),
				.st_shndx = SHN_ABS, .st_value = val[i],
			};
			memcpy(buf + EC_OFF_SYM + (i + 1) * sizeof(sym), &sym,
			       sizeof(sym));
		}
		memcpy(buf + EC_OFF_SH, sh, sizeof(sh));
		len = EC_OFF_SH + sizeof(sh);
	} else {
		Elf32_Ehdr eh = {
			.e_type = s->type, .e_machine = s->machine,
			.e_version = EV_CURRENT,
			.e_entry = (uint32_t)s->entry,
			.e_phoff = (uint32_t)s->phoff,
			.e_shoff = (uint32_t)s->shoff,
			.e_ehsize = sizeof(Elf32_Ehdr),
			.e_phentsize = s->phentsize, .e_phnum = s->phnum,
			.e_shentsize = sizeof(Elf32_Shdr), .e_shnum = shnum,
		};
		Elf32_Shdr sh[3] = {
			[1] = { .sh_type = SHT_SYMTAB,
				.sh_offset = (uint32_t)s->symtab_off,
				.sh_size = 3 * sizeof(Elf32_Sym), .sh_link = 2,
				.sh_info = 1, .sh_entsize = sizeof(Elf32_Sym) },
			[2] = { .sh_type = SHT_STRTAB, .sh_offset = EC_OFF_STR,
				.sh_size = (uint32_t)s->strtab_size },
		};

		memcpy(eh.e_ident, ELFMAG, SELFMAG);
		eh.e_ident[EI_CLASS] = ELFCLASS32;
		eh.e_ident[EI_DATA] = ELFDATA2LSB;
		eh.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(buf, &eh, sizeof(eh));
		for (i = 0; i < 2; i++) {
			Elf32_Phdr ph = {
				.p_type = s->seg[i].type,
				.p_flags = s->seg[i].flags,
				.p_offset = (uint32_t)s->seg[i].offset,
				.p_vaddr = (uint32_t)s->seg[i].vaddr,
				.p_paddr = (uint32_t)s->seg[i].paddr,
				.p_filesz = (uint32_t)s->seg[i].filesz,
				.p_memsz = (uint32_t)s->seg[i].memsz,
				.p_align = 0x1000,
			};
			memcpy(buf + 0x40 + i * sizeof(ph), &ph, sizeof(ph));
		}
		for (i = 0; i < 2; i++) {
			Elf32_Sym sym = {
				.st_name = s->sym_name[i],
				.st_info = ELF32_ST_INFO(STB_GLOBAL,
					i ? STT_OBJECT : STT_FUNC),
				.st_shndx = SHN_ABS,
				.st_value = (uint32_t)val[i],
			};
			memcpy(buf + EC_OFF_SYM + (i + 1) * sizeof(sym), &sym,
			       sizeof(sym));
		}
		memcpy(buf + EC_OFF_SH, sh, sizeof(sh));
		len = EC_OFF_SH + sizeof(sh);
	}
	return len;
}

/* One malformed image: a change to the good spec, then to the bytes. */
struct ec_case {
	const char *name;
	unsigned class;
	void (*mutate)(struct ec_spec *s);
	size_t trunc;		/* keep only this many bytes, if nonzero */
	int poke_at;		/* set this byte to poke_val, if >= 0 */
	uint8_t poke_val;
	const char *msg;	/* part of the detail message */
};

#define EC_MUT(name, body) \
	static inline void ec_##name(struct ec_spec *s) { body; }
EC_MUT(m_i386, s->machine = EM_386)
EC_MUT(m_x86_64, s->machine = EM_X86_64)
EC_MUT(rel, s->type = ET_REL)
EC_MUT(phentsize, s->phentsize = 32)
EC_MUT(phnum0, s->phnum = 0)
EC_MUT(phoff_far, s->phoff = 0x5000)
EC_MUT(phoff_wrap, s->phoff = ~0ull - 8)
EC_MUT(seg_far, s->seg[1].offset = 0x500; s->seg[1].filesz = 0x1000)
EC_MUT(seg_wrap, s->seg[1].offset = ~0ull - 0x10)
EC_MUT(filesz, s->seg[1].memsz = 0x40)
EC_MUT(overlap, s->seg[1].paddr = EC_TEXT + 0x80)
EC_MUT(ram_edge, s->seg[1].paddr = EC_RAM - 0x1000)
EC_MUT(ram_far, s->seg[1].paddr = 0x80000000)
EC_MUT(huge, s->seg[1].memsz = 1ull << 40)
EC_MUT(addr_wrap, s->seg[1].paddr = ~0ull - 0xfff)
EC_MUT(no_load, s->seg[0].type = PT_NOTE; s->seg[1].type = PT_NOTE)
EC_MUT(empty_loads, s->seg[0].filesz = s->seg[0].memsz = 0;
       s->seg[1].filesz = s->seg[1].memsz = 0)
EC_MUT(entry_out, s->entry = 0x30000)
EC_MUT(entry_data, s->entry = EC_DATA)
EC_MUT(st_name_far, s->sym_name[1] = 0x1000)
EC_MUT(st_name_open, s->strtab_size = sizeof(ec_strtab) - 1)
EC_MUT(symtab_far, s->symtab_off = 0x10000)
EC_MUT(shoff_far, s->shoff = 0x10000)

static const struct ec_case ec_cases[] = {
	{ "truncated e_ident", 64, NULL, 10, -1, 0, "shorter than e_ident" },
	{ "truncated ELF64 header", 64, NULL, 40, -1, 0,
	  "shorter than an ELF64 header" },
	{ "truncated ELF32 header", 32, NULL, 30, -1, 0,
	  "shorter than an ELF32 header" },
	{ "bad magic", 64, NULL, 0, 1, 'X', "bad magic" },
	{ "bad class", 64, NULL, 0, EI_CLASS, 3, "EI_CLASS 3" },
	{ "big-endian", 64, NULL, 0, EI_DATA, ELFDATA2MSB, "EI_DATA 2" },
	{ "ELF64 for i386", 64, ec_m_i386, 0, -1, 0, "e_machine 3" },
	{ "ELF32 for x86-64", 32, ec_m_x86_64, 0, -1, 0, "e_machine 62" },
	{ "relocatable", 64, ec_rel, 0, -1, 0, "e_type 1" },
	{ "bad e_phentsize", 64, ec_phentsize, 0, -1, 0, "e_phentsize 32" },
	{ "no program headers", 64, ec_phnum0, 0, -1, 0,
	  "no program headers" },
	{ "e_phoff beyond the file", 64, ec_phoff_far, 0, -1, 0,
	  "e_phoff 0x5000 + 2 program headers of 56 bytes beyond the "
	  "file's 0x5c0 bytes" },
	{ "e_phoff wraps", 64, ec_phoff_wrap, 0, -1, 0, "e_phoff" },
	{ "segment beyond the file", 64, ec_seg_far, 0, -1, 0,
	  "segment 1: p_offset 0x500 + p_filesz 0x1000 beyond the file's "
	  "0x5c0 bytes" },
	{ "ELF32 segment beyond the file", 32, ec_seg_far, 0, -1, 0,
	  "segment 1: p_offset 0x500 + p_filesz 0x1000 beyond the file's "
	  "0x578 bytes" },
	{ "segment offset wraps", 64, ec_seg_wrap, 0, -1, 0,
	  "segment 1: p_offset 0xffffffffffffffef" },
	{ "p_filesz > p_memsz", 64, ec_filesz, 0, -1, 0,
	  "segment 1: p_filesz 0x80 larger than p_memsz 0x40" },
	{ "overlapping segments", 64, ec_overlap, 0, -1, 0,
	  "segments 0 and 1 overlap" },
	{ "segment across the end of RAM", 64, ec_ram_edge, 0, -1, 0,
	  "segment 1: p_paddr range [0xff000, 0x101000) is not inside guest "
	  "RAM (0x100000 is not RAM)" },
	{ "segment outside RAM", 64, ec_ram_far, 0, -1, 0,
	  "segment 1: p_paddr range [0x80000000, 0x80002000) is not inside" },
	{ "huge p_memsz", 64, ec_huge, 0, -1, 0,
	  "segment 1: p_memsz 0x10000000000 larger than the guest's" },
	{ "segment wraps", 64, ec_addr_wrap, 0, -1, 0, "wraps around" },
	{ "no PT_LOAD", 64, ec_no_load, 0, -1, 0, "no PT_LOAD segment" },
	{ "only empty PT_LOADs", 64, ec_empty_loads, 0, -1, 0,
	  "no PT_LOAD segment" },
	{ "entry outside the segments", 64, ec_entry_out, 0, -1, 0,
	  "e_entry 0x30000 is not inside an executable" },
	{ "entry in a data segment", 64, ec_entry_data, 0, -1, 0,
	  "e_entry 0x20000 is not inside an executable" },
	{ "st_name beyond the string table", 64, ec_st_name_far, 0, -1, 0,
	  "symbol 2: st_name 0x1000 is not a string" },
	{ "st_name not terminated", 64, ec_st_name_open, 0, -1, 0,
	  "symbol 2: st_name 0xa is not a string" },
	{ "ELF32 st_name beyond the string table", 32, ec_st_name_far, 0, -1,
	  0, "symbol 2: st_name 0x1000 is not a string" },
	{ "symbol table beyond the file", 64, ec_symtab_far, 0, -1, 0,
	  "(SHT_SYMTAB): sh_offset 0x10000" },
	{ "section headers beyond the file", 64, ec_shoff_far, 0, -1, 0,
	  "e_shoff 0x10000 + 3 section headers of 64 bytes beyond" },
};

/* Build case c into buf; returns its length. */
static inline size_t ec_case_build(uint8_t *buf, const struct ec_case *c)
{
	struct ec_spec s;
	size_t len;

	ec_default(&s, c->class);
	if (c->mutate)
		c->mutate(&s);
	len = ec_build(buf, &s);
	if (c->poke_at >= 0)
		buf[c->poke_at] = c->poke_val;
	if (c->trunc)
		len = c->trunc;
	return len;
}

#endif
