#!/bin/sh
# Seeds for fuzz_elf: the loader test images as built, and truncated and
# corrupted copies of them.  Usage: elf-seeds.sh OUTDIR IMAGE...
set -e
out=$1
shift
mkdir -p "$out"
# poke FILE OFFSET BYTE(octal): overwrite one byte in place.
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
for img in "$@"; do
	b=$(basename "$img" .elf)
	cp "$img" "$out/$b"
	size=$(wc -c < "$img")
	for n in 16 40 52 64 120 200 1024 $((size / 2)) $((size - 1)); do
		head -c "$n" "$img" > "$out/$b-trunc$n"
	done
	# e_ident, e_type, e_machine, e_entry, e_phoff, e_shoff, e_phentsize,
	# e_phnum, e_shnum and the first program headers' fields.
	for off in 4 5 6 16 18 24 28 32 40 42 44 46 48 54 56 60 \
		   64 68 72 80 88 96 100 104 120 128 136 152; do
		for v in 377 001 200; do
			cp "$img" "$out/$b-poke$off-$v"
			poke "$out/$b-poke$off-$v" "$off" "$v"
		done
	done
done
