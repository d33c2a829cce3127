#!/bin/sh
# Run both fuzzing examples (examples/fuzz/) on the guest parser with the
# planted bug, each for up to SECONDS from the seeds in SEEDS, and say for
# each whether it found the bug, after how many executions and seconds,
# and at how many executions per second.
# Usage: scripts/fuzz-demo.sh LIBFUZZER_HARNESS AFL_HARNESS WORKDIR \
#            [SECONDS] [SEEDS]
# An empty AFL_HARNESS skips AFL++.  Exit status: 0 if every fuzzer that
# ran found the bug, 1 otherwise.
set -u
lf=$1 afl=$2 w=$3 t=${4:-60} seeds=${5:-examples/fuzz/seeds}
rm -rf "$w"
mkdir -p "$w/libfuzzer/corpus" "$w/afl"
status=0

now() { date +%s.%N; }
sub() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }

# libFuzzer: a crash ends the run, with the final stats.  -max_len: the
# target's records are a few bytes each; -len_control=0: any length up to
# it at once (libFuzzer otherwise grows the length limit slowly).
echo "fuzz-demo: libFuzzer, up to $t s (log: $w/libfuzzer/log)"
start=$(now)
"$lf" -max_total_time="$t" -timeout=30 -print_final_stats=1 \
	-max_len=64 -len_control=0 \
	-artifact_prefix="$w/libfuzzer/" "$w/libfuzzer/corpus" "$seeds" \
	>"$w/libfuzzer/log" 2>&1
rc=$?
end=$(now)
if grep -q 'no usable KVM' "$w/libfuzzer/log"; then
	echo "fuzz-demo: no usable KVM: skipped"
	exit 0
fi
execs=$(awk '/stat::number_of_executed_units/ { print $2 }' \
	"$w/libfuzzer/log")
eps=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$w/libfuzzer/log")
if grep -q '^==libvm== guest' "$w/libfuzzer/log"; then
	grep '^==libvm== guest' "$w/libfuzzer/log"
	echo "fuzz-demo: libFuzzer FOUND the bug after ${execs:-?}" \
		"executions, $(sub "$start" "$end") s (${eps:-?} execs/s);" \
		"input: $(ls "$w"/libfuzzer/crash-* 2>/dev/null | head -1)"
elif [ $rc -ne 0 ]; then
	tail -20 "$w/libfuzzer/log"
	echo "fuzz-demo: libFuzzer failed (status $rc)"
	status=1
else
	echo "fuzz-demo: libFuzzer did NOT find the bug in $t s" \
		"(${execs:-?} executions, ${eps:-?} execs/s)"
	status=1
fi

if [ -z "$afl" ]; then
	exit $status
fi
if ! command -v afl-fuzz >/dev/null; then
	echo "fuzz-demo: afl-fuzz not installed: AFL++ skipped"
	exit $status
fi
# AFL++ in persistent mode, with the input-to-state custom mutator
# ($FUZZ_AFL_MUTATOR, see afl_mutator.c) when given.
# AFL_BENCH_UNTIL_CRASH: stop at the first crash.
echo "fuzz-demo: AFL++, up to $t s (log: $w/afl/log)"
mut=
[ -z "${FUZZ_AFL_MUTATOR:-}" ] ||
	mut="AFL_CUSTOM_MUTATOR_LIBRARY=$FUZZ_AFL_MUTATOR"
start=$(now)
env $mut AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
AFL_BENCH_UNTIL_CRASH=1 AFL_TRY_AFFINITY=1 \
	afl-fuzz -V "$t" -i "$seeds" -o "$w/afl/out" -- "$afl" \
	>"$w/afl/log" 2>&1
rc=$?
end=$(now)
st="$w/afl/out/default/fuzzer_stats"
stat() { awk -v k="$1" '$1 == k { print $3 }' "$st" 2>/dev/null; }
crash=$(ls "$w"/afl/out/default/crashes/id:* 2>/dev/null | head -1)
if [ -n "$crash" ]; then
	"$afl" <"$crash" 2>&1 | grep '^==libvm== guest'
	# The file name says when: ...,time:MS,execs:N,...
	ms=$(echo "$crash" | sed -n 's/.*,time:\([0-9]*\).*/\1/p')
	execs=$(echo "$crash" | sed -n 's/.*,execs:\([0-9]*\).*/\1/p')
	secs=$(echo "${ms:-0}" | awk '{ printf "%.1f", $1 / 1000 }')
	[ -n "$ms" ] || secs=$(sub "$start" "$end")
	echo "fuzz-demo: AFL++ FOUND the bug after ${execs:-$(stat execs_done)}" \
		"executions, $secs s ($(stat execs_per_sec) execs/s);" \
		"input: $crash"
elif [ ! -s "$st" ]; then
	tail -20 "$w/afl/log"
	echo "fuzz-demo: afl-fuzz failed (status $rc)"
	status=1
else
	echo "fuzz-demo: AFL++ did NOT find the bug in $t s" \
		"($(stat execs_done) executions, $(stat execs_per_sec)" \
		"execs/s, $(stat corpus_count) inputs in its queue)"
	status=1
fi
exit $status
