# SPDX-License-Identifier: MIT
"""The Python binding against C, in one process and run (stdlib only).

  python_pio_exit        ns per port-I/O exit handled by a Python callable
                         (vm.on_pio), against c_pio_exit_same_run: the same
                         guest in a second VM of this process whose exits a
                         C handler serves (cbench_pio_handler of
                         build/bench/libcbench.so, registered through the
                         binding's raw _ffi layer).  The guest is
                         bench/core.c's pio_exit guest: real mode, ECX
                         `out`s to port DX, then HLT.
  python_call_roundtrip  ns per guest call of add(a, b) (funcs.elf) through
                         VCpu.call, the binding's lowest-level call path
                         (the address resolved once; vm.call("add", ...)
                         would add a symbol lookup per call), against
                         c_call_roundtrip_same_run: cbench_call_loop doing
                         the same libvm_call's in a C loop on the same vCPU.
                         No timeout on either side (bench/call.c's
                         call_roundtrip_timeout prices one).

Both sides of a figure do the same work with the same checks: the handlers
count and sum the bytes written, every call's result is compared.  Rounds
alternate which side goes first; the figures are medians over rounds.
Output lines as bench/bench.h prints them; without KVM, skip lines and
exit 0.  Sizes scale with LIBVM_BENCH_SCALE, rounds are
LIBVM_BENCH_ROUNDS (default 15).

The library is found as the binding finds it ($LIBVM_LIBRARY, the build
tree); the helper is $LIBVM_CBENCH_LIBRARY or build/bench/libcbench.so.
"""
from __future__ import annotations

import ctypes
import os
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bindings" / "python"))

import libvm  # noqa: E402
from libvm import _ffi  # noqa: E402
from libvm.errors import check  # noqa: E402

FIGURES = ("c_pio_exit_same_run", "python_pio_exit",
           "c_call_roundtrip_same_run", "python_call_roundtrip")

GUEST_GPA = 0x1000
PIO_PORT = 0x510
# bench/core.c's pio_guest: 1: out %al,(%dx); inc %al; dec %ecx; jnz 1b; hlt
PIO_GUEST = bytes.fromhex("eefec0664975f9f4")
MAX_ROUNDS = 1001


def env_number(name: str, default: float) -> float:
    s = os.environ.get(name)
    if not s:
        return default
    try:
        v = float(s)
    except ValueError:
        v = -1.0
    if not v > 0:
        print(f"python_bench: {name}={s}: want a positive number",
              file=sys.stderr)
        sys.exit(2)
    return v


def scaled(n: int, minimum: int) -> int:
    return max(minimum, int(n * env_number("LIBVM_BENCH_SCALE", 1.0)))


def rounds() -> int:
    return max(1, min(MAX_ROUNDS, int(env_number("LIBVM_BENCH_ROUNDS", 15))))


def die(msg: str) -> None:
    print(f"python_bench: {msg}", file=sys.stderr)
    sys.exit(1)


def interleave(n, subject, base):
    """Medians of subject's and base's per-round figures, alternating
    which goes first (as bench_interleave in bench/bench.h)."""
    s, b = [], []
    for i in range(n):
        if i % 2 == 0:
            s.append(subject())
            b.append(base())
        else:
            b.append(base())
            s.append(subject())
    return statistics.median(s), statistics.median(b)


def header(text: str) -> None:
    print("# " + text, flush=True)


def report(name: str, value: float, unit: str) -> None:
    print(f"BENCH name={name} value={value:.6g} unit={unit}", flush=True)


def report_vs(name: str, value: float, unit: str, baseline: str,
              base_value: float) -> None:
    print(f"BENCH name={name} value={value:.6g} unit={unit} "
          f"baseline={baseline} ratio={value / base_value:.4f}", flush=True)


def skip_all(reason: str) -> None:
    for name in FIGURES:
        print(f"BENCH name={name} skipped reason={reason}", flush=True)
    sys.exit(0)


def load_cbench() -> ctypes.CDLL:
    path = os.environ.get("LIBVM_CBENCH_LIBRARY") or str(
        ROOT / "build" / "bench" / "libcbench.so")
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        die(f"cannot load the C helper ({e}); build it with "
            "`make build/bench/libcbench.so`")
    lib.cbench_call_loop.restype = ctypes.c_int
    lib.cbench_call_loop.argtypes = [ctypes.c_void_p] + [ctypes.c_uint64] * 6
    return lib


class Sink(ctypes.Structure):
    """struct cbench_sink: what both handlers keep."""
    _fields_ = [("calls", ctypes.c_uint64), ("sum", ctypes.c_uint64)]


# ---- (a) port-I/O exits -------------------------------------------------------

def pio_vm():
    vm = libvm.VM()
    vm.map_anon(0, 0x10000)
    vm.write(GUEST_GPA, PIO_GUEST)
    vcpu = vm.create_vcpu(0)
    vcpu.set_real_mode(0, GUEST_GPA, 0)
    return vm, vcpu


def pio_round(vcpu, exits: int, count, who: str) -> float:
    vcpu.set_regs(rip=GUEST_GPA, rflags=0x2, rcx=exits, rdx=PIO_PORT, rax=0)
    t0 = time.perf_counter_ns()
    ex = vcpu.run()
    t1 = time.perf_counter_ns()
    if ex.reason != libvm.EXIT_HLT:
        die(f"{who} pio guest stopped: {ex.name}, not HLT")
    if count() != exits:
        die(f"{who} pio guest: {count()} handler calls, want {exits}")
    return (t1 - t0) / exits


def bench_pio(cb: ctypes.CDLL, n_rounds: int) -> None:
    exits = scaled(2000, 4)
    header(f"python_pio_exit: real mode (16-bit) guest, {exits} OUT exits + "
           f"HLT per run, handled by a Python callable vs a C handler "
           f"(libcbench.so) in a second VM, {n_rounds} rounds alternating, "
           "median ns per exit")
    py_vm, py_vcpu = pio_vm()
    c_vm, c_vcpu = pio_vm()
    try:
        py_sink = [0, 0]

        def handler(vcpu, port, data, direction):
            if direction == libvm.WRITE:
                py_sink[0] += 1
                py_sink[1] += data[0]

        py_vm.on_pio(PIO_PORT, 1, handler)

        c_sink = Sink()
        c_fn = ctypes.cast(cb.cbench_pio_handler, _ffi.libvm_trap_fn)
        r = _ffi.load().libvm_trap_register(
            c_vm._p, _ffi.LIBVM_TRAP_PIO, PIO_PORT, 1, c_fn,
            ctypes.cast(ctypes.byref(c_sink), ctypes.c_void_p))
        check(r, "libvm_trap_register")

        def py_round() -> float:
            py_sink[0] = 0
            return pio_round(py_vcpu, exits, lambda: py_sink[0], "Python")

        def c_round() -> float:
            c_sink.calls = 0
            return pio_round(c_vcpu, exits, lambda: c_sink.calls, "C")

        py_round()  # warm up: guest memory, the vCPUs' first entries
        c_round()
        v, b = interleave(n_rounds, py_round, c_round)
        report("c_pio_exit_same_run", b, "ns")
        report_vs("python_pio_exit", v, "ns", "c_pio_exit_same_run", b)
    finally:
        py_vm.close()
        c_vm.close()


# ---- (b) guest call round trips -----------------------------------------------

def bench_call(cb: ctypes.CDLL, n_rounds: int) -> None:
    calls = scaled(1000, 4)
    a, b_ = 2, 40
    header(f"python_call_roundtrip: {calls} calls of add({a}, {b_}) "
           "(funcs.elf, 64-bit) per round through VCpu.call vs a C loop of "
           f"libvm_call (libcbench.so) on the same vCPU, {n_rounds} rounds "
           "alternating, median ns per call")
    path = os.path.join(libvm.guest_dir(), "funcs.elf")
    vm = libvm.VM.from_elf(path)
    try:
        vcpu = vm.vcpu(0)
        fn = vm.symbol("add")
        want = a + b_

        def py_round() -> float:
            call = vcpu.call
            t0 = time.perf_counter_ns()
            for _ in range(calls):
                if call(fn, a, b_) != want:
                    die("Python add() returned a wrong sum")
            return (time.perf_counter_ns() - t0) / calls

        def c_round() -> float:
            t0 = time.perf_counter_ns()
            r = cb.cbench_call_loop(vcpu._p, fn, a, b_, want, calls, 0)
            t1 = time.perf_counter_ns()
            if r == 1:
                die("C add() returned a wrong sum")
            check(r, "libvm_call")
            return (t1 - t0) / calls

        py_round()  # warm up
        c_round()
        v, b = interleave(n_rounds, py_round, c_round)
        report("c_call_roundtrip_same_run", b, "ns")
        report_vs("python_call_roundtrip", v, "ns",
                  "c_call_roundtrip_same_run", b)
    finally:
        vm.close()


def main() -> None:
    n_rounds = rounds()
    try:
        libvm.VM().close()
    except libvm.NoKVMError as e:
        skip_all(f"no usable KVM ({e})")
    cb = load_cbench()
    bench_pio(cb, n_rounds)
    bench_call(cb, n_rounds)


if __name__ == "__main__":
    main()
