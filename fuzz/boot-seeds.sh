#!/bin/sh
# Seeds for the boot protocol fuzz targets: the test kernels as built
# (tests/kernels/), truncated copies, and copies with one byte changed in
# each field the planner reads.  Usage: boot-seeds.sh OUTDIR KIND KERNEL...
# with KIND bzimage, pvh or multiboot.
set -e
out=$1
kind=$2
shift 2
mkdir -p "$out"
# poke FILE OFFSET BYTE(octal): overwrite one byte in place.
poke() { printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# at FILE PATTERN: byte offset of the first match of a grep -P pattern.
at() { LC_ALL=C grep -obUaP "$2" "$1" | head -1 | cut -d: -f1; }
for k in "$@"; do
	b=$(basename "$k")
	cp "$k" "$out/$b"
	size=$(wc -c < "$k")
	for n in 64 512 1024 $((size / 2)) $((size - 1)); do
		head -c "$n" "$k" > "$out/$b-trunc$n"
	done
	case $kind in
	bzimage)
		offs="497 500 502 510 513 514 518 529 532 556 560 564 565 \
		      566 568 584 600 603 608 611" ;;
	pvh)
		n=$(($(at "$k" 'Xen\x00') - 12))
		offs="4 5 18 28 32 42 44 52 54 56 64 68 72 80 88 96 100 \
		      $n $((n + 4)) $((n + 8)) $((n + 16)) $((n + 19))" ;;
	multiboot)
		h=$(at "$k" '\x02\xb0\xad\x1b')
		offs="4 18 28 42 44 52 $h $((h + 4)) $((h + 6)) $((h + 8)) \
		      $((h + 12)) $((h + 16)) $((h + 20)) $((h + 24)) \
		      $((h + 28))" ;;
	esac
	for off in $offs; do
		for v in 377 001 200; do
			cp "$k" "$out/$b-poke$off-$v"
			poke "$out/$b-poke$off-$v" "$off" "$v"
		done
	done
done
