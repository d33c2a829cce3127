# SPDX-License-Identifier: MIT
"""What works without KVM: loading, versions, errors, host query, argument
checks.  None of these may skip."""
from __future__ import annotations

import pathlib
import sys
import unittest
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import libvm  # noqa: E402
from libvm import _core, _ffi  # noqa: E402

CODES = {
    _ffi.LIBVM_EINVAL: libvm.InvalidArgumentError,
    _ffi.LIBVM_ENOKVM: libvm.NoKVMError,
    _ffi.LIBVM_ENOMEM: libvm.OutOfMemoryError,
    _ffi.LIBVM_EKVM: libvm.KVMError,
    _ffi.LIBVM_EVERSION: libvm.VersionError,
    _ffi.LIBVM_EOVERLAP: libvm.OverlapError,
    _ffi.LIBVM_ERANGE: libvm.AddressRangeError,
    _ffi.LIBVM_ENOENT: libvm.NotFoundError,
    _ffi.LIBVM_EBUSY: libvm.BusyError,
    _ffi.LIBVM_ENOTSUP: libvm.NotSupportedError,
    _ffi.LIBVM_EIO: libvm.LibvmIOError,
    _ffi.LIBVM_EFAULT: libvm.UnmappedAddressError,
    _ffi.LIBVM_ELIMIT: libvm.LimitError,
    _ffi.LIBVM_ESTATE: libvm.StateError,
    _ffi.LIBVM_EIMAGE: libvm.ImageError,
    _ffi.LIBVM_EGUEST: libvm.GuestFaultError,
    _ffi.LIBVM_ETIMEOUT: libvm.CallTimeoutError,
}


class LoadingTest(unittest.TestCase):
    def test_library_loads(self) -> None:
        self.assertTrue(libvm.library_path())

    def test_candidates_order(self) -> None:
        with mock.patch.dict("os.environ", {"LIBVM_LIBRARY": "/x/libvm.so"}):
            c = _ffi.candidates()
        self.assertEqual(c[0], "/x/libvm.so")
        self.assertEqual(c[1], str(_ffi.repo_root() / "build" / "lib" /
                                   "libvm.so.1"))
        self.assertEqual(c[-1], "libvm.so.1")

    def test_not_found_lists_paths(self) -> None:
        bad = ["/nonexistent/libvm.so.1", "/nonexistent/other.so"]
        with mock.patch.object(_ffi, "_lib", None), \
                mock.patch.object(_ffi, "candidates", lambda: bad):
            with self.assertRaises(libvm.LibraryNotFoundError) as cm:
                _ffi.load()
        msg = str(cm.exception)
        for p in bad:
            self.assertIn(p, msg)
        self.assertIn("LIBVM_LIBRARY", msg)
        self.assertEqual([p for p, _ in cm.exception.tried], bad)
        self.assertIsInstance(cm.exception, OSError)

    def test_version(self) -> None:
        self.assertEqual(libvm.version(), _ffi.LIBVM_VERSION_STRING)
        self.assertEqual(libvm.version_num(), _ffi.LIBVM_VERSION_NUM)
        self.assertEqual(libvm.__version__, _ffi.LIBVM_VERSION_STRING)

    def test_constants_without_prefix(self) -> None:
        self.assertEqual(libvm.TRAP_PIO, _ffi.LIBVM_TRAP_PIO)
        self.assertEqual(libvm.EXIT_HLT, 1)
        self.assertEqual(libvm.ETIMEOUT, -17)
        self.assertEqual(libvm.ExitReason.RETURN, _ffi.LIBVM_EXIT_RETURN)


class ErrorTest(unittest.TestCase):
    def test_strerror(self) -> None:
        lib = _ffi.load()
        for code in list(CODES) + [0, -1000, 5, -(1 << 31)]:
            text = libvm.strerror(code)
            self.assertIsInstance(text, str)
            self.assertTrue(text)
            self.assertEqual(text, lib.libvm_strerror(code).decode())

    def test_mapping(self) -> None:
        for code, cls in CODES.items():
            e = libvm.error_for(code, "detail text", "libvm_x")
            self.assertIs(type(e), cls)
            self.assertIsInstance(e, libvm.LibvmError)
            self.assertEqual(e.code, code)
            self.assertEqual(e.detail, "detail text")
            self.assertIn("detail text", str(e))
            self.assertIn(libvm.strerror(code), str(e))
        self.assertEqual(sorted(CODES), sorted(
            v for k, v in vars(_ffi).items()
            if k.startswith("LIBVM_E") and v < 0 and
            not k.startswith("LIBVM_EXIT")))

    def test_unknown_code(self) -> None:
        e = libvm.error_for(-999, "x")
        self.assertIs(type(e), libvm.LibvmError)
        self.assertEqual(e.code, -999)

    def test_builtin_bases(self) -> None:
        self.assertIsInstance(libvm.error_for(libvm.ETIMEOUT, ""),
                              TimeoutError)
        self.assertIsInstance(libvm.error_for(libvm.EINVAL, ""), ValueError)
        self.assertIsInstance(libvm.error_for(libvm.ENOENT, ""), LookupError)


class HostTest(unittest.TestCase):
    def test_host_query_without_kvm(self) -> None:
        with self.assertRaises(libvm.NoKVMError) as cm:
            libvm.host_query("/nonexistent/kvm")
        e = cm.exception
        self.assertEqual(e.code, libvm.ENOKVM)
        self.assertIn("/nonexistent/kvm", e.detail)
        self.assertEqual(e.detail, libvm.errors.last_error())
        self.assertIn(e.info.backend, ("vmx", "svm", "pvm", "unknown"))

    def test_host_query(self) -> None:
        try:
            info = libvm.host_query()
        except libvm.NoKVMError as e:
            self.assertTrue(e.detail)
            return
        self.assertGreater(info.max_vcpus, 0)
        self.assertIn(info.backend, ("vmx", "svm", "pvm", "unknown"))

    def test_vm_without_kvm(self) -> None:
        with self.assertRaises(libvm.NoKVMError) as cm:
            libvm.VM(kvm_path="/nonexistent/kvm")
        self.assertIn("/nonexistent/kvm", cm.exception.detail)


class ArgumentTest(unittest.TestCase):
    def test_bad_config_version(self) -> None:
        lib = _ffi.load()
        cfg = _ffi.libvm_vm_config(99)
        p = _ffi.c_void_p()
        r = lib.libvm_vm_create(_ffi.ctypes.byref(p), _ffi.ctypes.byref(cfg))
        self.assertEqual(r, libvm.EVERSION)
        self.assertIn("99", libvm.errors.last_error())

    def test_null_handles(self) -> None:
        lib = _ffi.load()
        self.assertEqual(lib.libvm_mem_map_anon(None, 0, 4096, 0),
                         libvm.EINVAL)
        with self.assertRaises(libvm.InvalidArgumentError):
            libvm.errors.check(lib.libvm_vm_irq_line(None, 0, 1), "irq")

    def test_int_checks(self) -> None:
        self.assertEqual(_core._u64(-1, "x"), (1 << 64) - 1)
        with self.assertRaises(libvm.InvalidArgumentError):
            _core._u64(1 << 64, "x")
        with self.assertRaises(TypeError):
            _core._u64("1", "x")  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            _core._u64(True, "x")
        with self.assertRaises(libvm.InvalidArgumentError):
            _core._u32(-1, "x")
        with self.assertRaises(libvm.InvalidArgumentError):
            _core._ns(-1.0)
        self.assertEqual(_core._ns(None), 0)
        self.assertEqual(_core._ns(1.5), 1500000000)

    def test_closed_objects(self) -> None:
        v = libvm.VCpu.__new__(libvm.VCpu)
        v._ptr = None
        with self.assertRaises(libvm.InvalidArgumentError):
            v.call(0, *range(7))
        with self.assertRaises(libvm.StateError):
            v.run()
        with self.assertRaises(libvm.StateError):
            v.cancel()

    def test_exit_decoding(self) -> None:
        ex = _ffi.libvm_exit()
        ex.reason = _ffi.LIBVM_EXIT_GUEST_EXIT
        ex.u.guest_exit.code = -3
        e = libvm.Exit.from_c(ex)
        self.assertIs(e.reason, libvm.ExitReason.GUEST_EXIT)
        self.assertEqual(e.exit_code, -3)
        self.assertTrue(e.name)
        ex.reason = 9999
        e = libvm.Exit.from_c(ex)
        self.assertEqual(e.reason, 9999)
        self.assertIsInstance(e.name, str)


class CmpLogTest(unittest.TestCase):
    def test_layout_names(self) -> None:
        self.assertEqual(libvm.CMP_CONST, _ffi.LIBVM_CMP_CONST)
        self.assertIs(libvm.CmpEntry, _ffi.libvm_cmp_entry)
        self.assertIs(libvm.CmpLog, _ffi.libvm_cmp_log)

    def test_entries(self) -> None:
        import ctypes
        hdr, esz = ctypes.sizeof(libvm.CmpLog), ctypes.sizeof(libvm.CmpEntry)
        buf = bytearray(hdr + 3 * esz)
        log = libvm.CmpLog.from_buffer(buf)
        log.cap, log.count = 3, 2
        ents = (libvm.CmpEntry * 3).from_buffer(buf, hdr)
        ents[0].a, ents[0].b, ents[0].size = 0x41, 0x7a, 1
        ents[1].a, ents[1].b, ents[1].pc = 0xdead, 0xbeef, 0x1234
        ents[1].flags = libvm.CMP_CONST
        del log, ents   # release the exports of buf
        got = libvm.cmp_log_entries(buf)
        self.assertEqual([(e.a, e.b, e.pc, e.size, e.flags) for e in got],
                         [(0x41, 0x7a, 0, 1, 0),
                          (0xdead, 0xbeef, 0x1234, 0, libvm.CMP_CONST)])
        # count past cap: only cap entries are stored; a short buffer cuts.
        libvm.CmpLog.from_buffer(buf).count = 10
        self.assertEqual(len(libvm.cmp_log_entries(buf)), 3)
        self.assertEqual(len(libvm.cmp_log_entries(bytes(buf[:-1]))), 2)
        self.assertEqual(libvm.cmp_log_entries(bytes(hdr)), [])
        with self.assertRaises(libvm.InvalidArgumentError):
            libvm.cmp_log_entries(b"\0" * (hdr - 1))


if __name__ == "__main__":
    unittest.main()
