/* SPDX-License-Identifier: MIT */
/*
 * A bare ELF image for the loader tests, built 64- and 32-bit: text,
 * rodata, data and BSS of known contents.  It is loaded, never run.
 */
__attribute__((used)) const char elf_rodata[] = "libvm-elf-rodata";
__attribute__((used)) unsigned int elf_data[4] = {
	0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00,
};
__attribute__((used)) unsigned char elf_bss[8192];

void _start(void);
void _start(void)
{
	for (;;)
		__asm__ volatile("hlt" ::: "memory");
}
