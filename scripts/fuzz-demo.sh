#!/bin/sh
# Run the libFuzzer example (examples/fuzz/libfuzzer_harness.c) for up to
# SECONDS and say whether it found the bug planted in the guest.
# Usage: scripts/fuzz-demo.sh HARNESS WORKDIR [SECONDS]
set -u
h=$1 w=$2 t=${3:-60}
rm -rf "$w"
mkdir -p "$w/corpus"
echo "fuzz-demo: $h for up to $t s (log: $w/log)"
start=$(date +%s.%N)
"$h" -max_total_time="$t" -timeout=30 -print_final_stats=1 \
	-artifact_prefix="$w/" "$w/corpus" >"$w/log" 2>&1
rc=$?
end=$(date +%s.%N)
secs=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
grep -E '^#[0-9]+ +(INITED|NEW|REDUCE|DONE).*cov:' "$w/log" | tail -3
if grep -q 'no usable KVM' "$w/log"; then
	echo "fuzz-demo: no usable KVM: skipped"
	exit 0
fi
if grep -q '^==libvm== guest' "$w/log"; then
	grep '^==libvm== guest' "$w/log"
	runs=$(grep -Eo '^#[0-9]+' "$w/log" | tail -1 | tr -d '#')
	echo "fuzz-demo: bug FOUND after ${secs} s (~${runs:-?} runs);" \
		"input: $(ls "$w"/crash-* 2>/dev/null | head -1)"
	exit 0
fi
if [ $rc -ne 0 ]; then
	tail -20 "$w/log"
	echo "fuzz-demo: the harness failed (status $rc)"
	exit 1
fi
grep -E 'stat::number_of_executed_units' "$w/log"
echo "fuzz-demo: bug NOT found within $t s"
exit 1
