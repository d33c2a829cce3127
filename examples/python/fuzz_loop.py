#!/usr/bin/env python3
"""fuzz_loop: a reset-per-input loop.  Boot a guest program once, snapshot
it, then for every input restore the snapshot and call a guest function on
the input (libvm_fuzz_exec), classifying what happened.  The guest's
fnv1a(buf, len) is the target here; `divide` shows a crash."""
import collections
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python"))
import libvm  # noqa: E402

INPUT_GPA = 0x3000000           # inside the scratch area from_elf sets up
INPUT_CAP = 4096
OUTCOMES = {libvm.FUZZ_OK: "ok", libvm.FUZZ_CRASH: "crash",
            libvm.FUZZ_TRIPLE_FAULT: "triple-fault",
            libvm.FUZZ_TIMEOUT: "timeout", libvm.FUZZ_BUG: "bug",
            libvm.FUZZ_STOPPED: "stopped"}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    path = os.path.join(libvm.guest_dir(), "funcs.elf")
    try:
        vm = libvm.VM.from_elf(path)
    except libvm.LibvmError as e:
        print(f"fuzz_loop: {e}", file=sys.stderr)
        return 1
    rng = random.Random(1)
    counts: collections.Counter = collections.Counter()
    with vm:
        vm.run(timeout=5)                   # main(): boot once
        with vm.snapshot() as snap:
            t0 = time.monotonic()
            for _ in range(n):
                data = rng.randbytes(rng.randrange(1, 64))
                r = vm.fuzz_exec(snap, "fnv1a", INPUT_GPA, INPUT_CAP, data,
                                 timeout=1)
                counts[OUTCOMES.get(r.outcome, str(r.outcome))] += 1
            dt = time.monotonic() - t0
            # One input that crashes: divide(input_gpa, len=0).
            r = vm.fuzz_exec(snap, "divide", INPUT_GPA, INPUT_CAP, b"",
                             timeout=1)
            counts[OUTCOMES.get(r.outcome, str(r.outcome))] += 1
            print(f"crash input: {r.exit.name}, vector "
                  f"{r.exit.exception.vector if r.exit.exception else '-'}")
    print(f"{n} executions in {dt:.3f} s ({n / dt:.0f}/s): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
