# SPDX-License-Identifier: MIT
"""Tests that run guests.  They skip only when libvm_vm_create returns
LIBVM_ENOKVM; everywhere KVM opens, every one runs."""
from __future__ import annotations

import mmap
import os
import pathlib
import sys
import tempfile
import threading
import time
import unittest
from typing import List

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import libvm  # noqa: E402
from libvm import _ffi  # noqa: E402

# Real-mode guest at 0x1000 (examples/hello.c): prints msg to port 0x3f8.
HELLO = bytes.fromhex("baf803be0f10ac84c07403eeebf8f4") + b"Hello!\n\0"
SPIN = bytes.fromhex("ebfe")                 # 1: jmp 1b
# out %al,$0x80 ; in $0x81,%al ; out %al,$0x82 ; hlt
IO_GUEST = bytes.fromhex("e680e481e682f4")
FUNCS = os.path.join(libvm.guest_dir(), "funcs.elf")
FNV_OFFSET, FNV_PRIME = 0xcbf29ce484222325, 0x100000001b3


def fnv1a(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & ((1 << 64) - 1)
    return h


def new_vm(**kw: object) -> libvm.VM:
    try:
        return libvm.VM(**kw)  # type: ignore[arg-type]
    except libvm.NoKVMError as e:
        raise unittest.SkipTest(f"no usable KVM: {e.detail}")


def elf_vm(**kw: object) -> libvm.VM:
    new_vm().close()        # skips without KVM
    return libvm.VM.from_elf(FUNCS, **kw)  # type: ignore[arg-type]


class RealModeTest(unittest.TestCase):
    def setUp(self) -> None:
        self.vm = new_vm()
        self.addCleanup(self.vm.close)
        self.vm.map_anon(0, 0x10000)
        self.vcpu = self.vm.create_vcpu(0)

    def start(self, code: bytes) -> None:
        self.vm.write(0x1000, code)
        self.vcpu.set_real_mode(0, 0x1000, 0)

    def test_hello_port_handler(self) -> None:
        out: List[bytes] = []
        seen: List[libvm.VCpu] = []

        def console(vcpu: libvm.VCpu, port: int, data: memoryview,
                    direction: int) -> None:
            self.assertEqual((port, len(data), direction),
                             (0x3f8, 1, libvm.WRITE))
            seen.append(vcpu)
            out.append(bytes(data))

        self.vm.on_pio(0x3f8, 1, console)
        self.start(HELLO)
        ex = self.vcpu.run(timeout=10)
        self.assertIs(ex.reason, libvm.ExitReason.HLT)
        self.assertEqual(ex.name, "hlt")
        self.assertEqual(b"".join(out), b"Hello!\n")
        self.assertIs(seen[0], self.vcpu)

    def test_unhandled_io_exit_and_in(self) -> None:
        self.start(IO_GUEST)
        self.vcpu.set_regs(rax=0x5a)
        ex = self.vcpu.run(timeout=10)
        self.assertIs(ex.reason, libvm.ExitReason.IO)
        assert ex.io is not None
        self.assertEqual((ex.io.port, ex.io.size, ex.io.is_write),
                         (0x80, 1, True))
        self.assertEqual(bytes(ex.io.data), b"\x5a")
        ex = self.vcpu.run(timeout=10)
        assert ex.io is not None
        self.assertEqual((ex.io.port, ex.io.is_write), (0x81, False))
        ex.io.data[0] = 0xa7            # what IN receives
        ex = self.vcpu.run(timeout=10)
        assert ex.io is not None
        self.assertEqual((ex.io.port, bytes(ex.io.data)), (0x82, b"\xa7"))
        self.assertIs(self.vcpu.run(timeout=10).reason,
                      libvm.ExitReason.HLT)

    def test_read_handler(self) -> None:
        def dev(vcpu: libvm.VCpu, port: int, data: memoryview,
                direction: int) -> int:
            if direction == libvm.READ:
                data[0] = 0x33
            return libvm.TRAP_CONTINUE
        self.vm.on_pio(0x80, 3, dev)
        self.start(IO_GUEST)
        self.assertIs(self.vcpu.run(timeout=10).reason,
                      libvm.ExitReason.HLT)
        self.assertEqual(self.vcpu.get_regs().rax & 0xff, 0x33)

    def test_handler_exception_reaches_run(self) -> None:
        class Boom(Exception):
            pass

        def bad(*a: object) -> None:
            raise Boom("from the handler")
        self.vm.on_pio(0x3f8, 1, bad)
        self.start(HELLO)
        with self.assertRaises(Boom):
            self.vcpu.run(timeout=10)
        # The run stopped at the first OUT; the vCPU remains usable.
        self.vm.untrap(libvm.TRAP_PIO, 0x3f8)
        self.vm.on_pio(0x3f8, 1, lambda *a: None)
        self.assertIs(self.vcpu.run(timeout=10).reason,
                      libvm.ExitReason.HLT)

    def test_stop_from_handler(self) -> None:
        def stop(*a: object) -> int:
            return libvm.TRAP_STOP
        self.vm.on_pio(0x3f8, 1, stop)
        self.start(HELLO)
        ex = self.vcpu.run(timeout=10)
        self.assertIs(ex.reason, libvm.ExitReason.STOPPED)
        assert ex.stop is not None
        self.assertEqual((ex.stop.space, ex.stop.addr, ex.stop.code),
                         (libvm.TRAP_PIO, 0x3f8, libvm.TRAP_STOP))

    def test_overlapping_trap(self) -> None:
        self.vm.on_pio(0x3f8, 8, lambda *a: None)
        with self.assertRaises(libvm.OverlapError):
            self.vm.on_pio(0x3fa, 1, lambda *a: None)

    def test_timeout_and_cancel_from_thread(self) -> None:
        self.start(SPIN)
        self.assertIs(self.vcpu.run(timeout=0.05).reason,
                      libvm.ExitReason.TIMEOUT)
        t = threading.Timer(0.2, self.vcpu.cancel)
        t.start()
        t0 = time.monotonic()
        ex = self.vcpu.run(timeout=60)
        t.join()
        self.assertIs(ex.reason, libvm.ExitReason.CANCELLED)
        self.assertLess(time.monotonic() - t0, 30)

    def test_registers(self) -> None:
        self.start(HELLO)
        r = self.vcpu.get_regs()
        self.assertEqual(r.rip, 0x1000)
        self.vcpu.set_regs(rbx=0x1234)
        self.assertEqual(self.vcpu.regs.rbx, 0x1234)
        s = self.vcpu.get_sregs()
        self.assertEqual(s.cs.base, 0)
        self.vcpu.set_sregs(s)
        self.assertGreater(len(self.vcpu.get_cpuid()), 0)
        with self.assertRaises(libvm.InvalidArgumentError):
            self.vcpu.set_regs(nope=1)
        with self.assertRaises(libvm.InvalidArgumentError):
            self.vcpu.set_real_mode(0x10000, 0, 0)


class MemoryTest(unittest.TestCase):
    def setUp(self) -> None:
        self.vm = new_vm()
        self.addCleanup(self.vm.close)

    def test_zero_copy_view(self) -> None:
        reg = self.vm.map_anon(0, 0x4000)
        v = reg.view
        self.assertEqual((v.format, len(v), v.readonly), ("B", 0x4000, False))
        v[0x10:0x14] = b"abcd"
        self.assertEqual(self.vm.read(0x10, 4), b"abcd")
        self.vm.write(0x2000, b"xyz")
        self.assertEqual(bytes(self.vm.mem(0x2000, 3)), b"xyz")
        self.assertEqual(bytes(v[0x2000:0x2003]), b"xyz")

    def test_errors(self) -> None:
        self.vm.map_anon(0, 0x4000)
        with self.assertRaises(libvm.AddressRangeError) as cm:
            self.vm.read(0x3ffe, 4)
        self.assertTrue(cm.exception.detail)
        with self.assertRaises(libvm.OverlapError):
            self.vm.map_anon(0x1000, 0x1000)
        with self.assertRaises(libvm.InvalidArgumentError):
            self.vm.map_anon(0x10000, 0x123)
        with self.assertRaises(libvm.NotFoundError):
            self.vm.unmap(0x80000)

    def test_unmap_releases_views(self) -> None:
        with self.vm.map_anon(0x10000, 0x1000) as reg:
            v = reg.view
            w = self.vm.mem(0x10000, 16)
        self.assertFalse(reg.mapped)
        with self.assertRaises(ValueError):
            v[0]
        self.vm.close()
        with self.assertRaises(ValueError):
            w[0]

    def test_map_host(self) -> None:
        m = mmap.mmap(-1, 0x2000)
        reg = self.vm.map_host(0x100000, m)
        m[5:8] = b"abc"
        self.assertEqual(self.vm.read(0x100005, 3), b"abc")
        self.vm.write(0x101000, b"q")
        self.assertEqual(m[0x1000], ord("q"))
        reg.unmap()

    def test_map_fd(self) -> None:
        with tempfile.TemporaryFile() as f:
            f.write(b"F" * 0x1000)
            f.flush()
            self.vm.map_fd(0x200000, f, 0x1000)
            self.assertEqual(self.vm.read(0x200000, 2), b"FF")


@unittest.skipUnless(os.path.exists(FUNCS), f"{FUNCS} not built")
class CallTest(unittest.TestCase):
    def setUp(self) -> None:
        self.vm = elf_vm()
        self.addCleanup(self.vm.close)

    def test_main_and_calls(self) -> None:
        said: List[bytes] = []
        self.vm.console(said.append)
        ex = self.vm.run(timeout=30)
        self.assertIs(ex.reason, libvm.ExitReason.GUEST_EXIT)
        self.assertEqual(ex.exit_code, 42)
        self.assertEqual(b"".join(said), b"hello from a compiled guest\n")
        self.assertEqual(self.vm.call("add", 2, 40, timeout=10), 42)
        self.assertEqual(self.vm.call("add", -5, 2, signed=True), -3)
        data = bytes(range(256)) * 16
        self.assertEqual(self.vm.call("fnv1a", data, len(data)),
                         fnv1a(data))

    def test_guest_fault_then_next_call(self) -> None:
        with self.assertRaises(libvm.GuestFaultError) as cm:
            self.vm.call("divide", 1, 0, timeout=10)
        ex = cm.exception.exit
        self.assertIs(ex.reason, libvm.ExitReason.EXCEPTION)
        self.assertEqual(ex.exception.vector, 0)
        self.assertTrue(cm.exception.detail)
        with self.assertRaises(libvm.GuestFaultError) as cm:
            self.vm.call("poke", 1 << 45)
        self.assertEqual(cm.exception.exit.exception.vector, 14)
        self.assertEqual(self.vm.call("add", 20, 22), 42)

    def test_hypercall(self) -> None:
        got: List[tuple] = []

        def log(vcpu: libvm.VCpu, nr: int, args: tuple) -> int:
            got.append((nr, args[0]))
            return args[0] + 1
        self.vm.hypercall(16, log)
        self.assertEqual(self.vm.call("twice_via_host", 20), 42)
        self.assertEqual(got, [(16, 20)])

    def test_hypercall_exception_reaches_call(self) -> None:
        def bad(vcpu: libvm.VCpu, nr: int, args: tuple) -> int:
            raise KeyError("inside the hypercall")
        self.vm.hypercall(16, bad)
        with self.assertRaises(KeyError):
            self.vm.call("twice_via_host", 1)
        self.vm.remove_hypercall(16)
        self.vm.hypercall(16, lambda v, n, a: 5)
        self.assertEqual(self.vm.call("twice_via_host", 1), 10)

    def test_stop_run_from_hypercall(self) -> None:
        def stop(vcpu: libvm.VCpu, nr: int, args: tuple) -> int:
            raise libvm.StopRun()
        self.vm.hypercall(16, stop)
        with self.assertRaises(libvm.GuestFaultError) as cm:
            self.vm.call("twice_via_host", 1)
        self.assertIs(cm.exception.exit.reason, libvm.ExitReason.STOPPED)

    def test_unknown_symbol_and_bad_args(self) -> None:
        with self.assertRaises(libvm.NotFoundError):
            self.vm.call("no_such_function")
        with self.assertRaises(libvm.InvalidArgumentError):
            self.vm.call("add", *range(7))
        with self.assertRaises(TypeError):
            self.vm.call("add", "x", 1)  # type: ignore[arg-type]
        img = self.vm.image
        assert img is not None
        self.assertEqual(img.elf_class, 64)
        lo, hi = img.extent
        self.assertLess(lo, hi)


@unittest.skipUnless(os.path.exists(FUNCS), f"{FUNCS} not built")
class SnapshotTest(unittest.TestCase):
    def setUp(self) -> None:
        self.vm = elf_vm()
        self.addCleanup(self.vm.close)
        self.vm.run(timeout=30)           # main() done: a clean state

    def test_restore(self) -> None:
        base = self.vm.symbol("fnv1a")
        with self.vm.snapshot() as snap:
            self.vm.write(0x3000000, b"changed")
            with self.assertRaises(libvm.GuestFaultError):
                self.vm.call("divide", 1, 0)
            self.assertTrue(self.vm.needs_restore)
            self.vm.restore(snap)
            self.assertFalse(self.vm.needs_restore)
            self.assertEqual(self.vm.read(0x3000000, 7), bytes(7))
            self.assertEqual(self.vm.call(base, b"ab", 2), fnv1a(b"ab"))

    def test_fork_keeps_handlers(self) -> None:
        self.vm.hypercall(16, lambda v, n, a: a[0] * 3)
        addr = self.vm.symbol("twice_via_host")
        snap = self.vm.snapshot()
        child = libvm.VM.fork(snap)
        snap.close()
        self.vm.close()                   # the fork keeps the handler alive
        try:
            self.assertEqual(child.vcpu(0).call(addr, 5, timeout=10), 30)
            child.write(0x3000000, b"only in the fork")
        finally:
            child.close()

    def test_fuzz_exec(self) -> None:
        gpa = 0x3000000
        with self.vm.snapshot() as snap:
            res = self.vm.fuzz_exec(snap, "fnv1a", gpa, 4096, b"abc",
                                    timeout=10)
            self.assertEqual(res.outcome, libvm.FUZZ_OK)
            self.assertTrue(res.ok)
            self.assertEqual(res.ret, fnv1a(b"abc"))
            res = self.vm.fuzz_exec(snap, "divide", gpa, 4096, b"",
                                    timeout=10)
            self.assertEqual(res.outcome, libvm.FUZZ_CRASH)
            self.assertIs(res.exit.reason, libvm.ExitReason.EXCEPTION)
            res = self.vm.fuzz_exec(snap, "fnv1a", gpa, 4096, b"abc")
            self.assertEqual(res.ret, fnv1a(b"abc"))
            self.assertFalse(res.truncated)
            # Longer than input_cap: cut, and said so.
            res = self.vm.fuzz_exec(snap, "fnv1a", gpa, 4, b"abcdef")
            self.assertTrue(res.truncated)
            self.assertEqual(res.ret, fnv1a(b"abcd"))

    def test_save_load(self) -> None:
        if not _ffi.has("libvm_snapshot_save"):
            self.skipTest("the library has no snapshot files yet")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "vm.snap")
            self.vm.write(0x3000000, b"saved")
            with self.vm.snapshot() as snap:
                snap.save(path)
            self.vm.write(0x3000000, b"later")
            with libvm.Snapshot.load(path) as snap:
                self.vm.restore(snap)
                self.assertEqual(self.vm.read(0x3000000, 5), b"saved")
                with libvm.VM.fork(snap) as child:
                    self.assertEqual(child.read(0x3000000, 5), b"saved")
            with self.assertRaises(libvm.LibvmError):
                libvm.Snapshot.load(os.path.join(d, "missing.snap"))

    def test_device_state(self) -> None:
        calls: List[int] = []
        st = self.vm.device_state("dev0", 8, lambda: calls.append(1))
        st[:4] = b"good"
        with self.vm.snapshot() as snap:
            st[:4] = b"bad!"
            self.vm.restore(snap)
        self.assertEqual(bytes(st[:4]), b"good")
        self.assertEqual(calls, [1])


if __name__ == "__main__":
    unittest.main()
