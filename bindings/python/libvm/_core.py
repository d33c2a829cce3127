# SPDX-License-Identifier: MIT
"""The Pythonic layer over :mod:`libvm._ffi`: VMs, vCPUs, memory regions,
images, exits, handlers and snapshots."""
from __future__ import annotations

import ctypes
import enum
import mmap
import os
import threading
import weakref
from ctypes import byref, c_char, c_uint32, c_uint64, c_void_p
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, List, Optional, Tuple,
                    Union)

from . import _ffi
from .errors import (InvalidArgumentError, LibvmError, NotSupportedError,
                     check, error_for)

__all__ = [
    "VM", "VCpu", "Region", "Image", "Snapshot", "Exit", "ExitReason",
    "IoExit", "MmioExit", "StopInfo", "GuestException", "HostInfo",
    "Translation", "FuzzResult", "StopRun", "version", "version_num",
    "host_query", "guest_dir", "TrapHandler", "HypercallHandler",
    "CmpEntry", "CmpLog", "cmp_log_entries",
]

Buffer = Union[bytes, bytearray, memoryview]
# handler(vcpu, addr, data, direction) -> None | LIBVM_TRAP_* | negative code
TrapHandler = Callable[["VCpu", int, memoryview, int], Optional[int]]
# handler(vcpu, nr, args) -> result for the guest's RAX (None: 0)
HypercallHandler = Callable[["VCpu", int, Tuple[int, ...]], Optional[int]]

_U64 = (1 << 64) - 1


def _lib() -> ctypes.CDLL:
    return _ffi.load()


def _need(name: str) -> Any:
    lib = _lib()
    if not _ffi.has(name):
        raise NotSupportedError(
            _ffi.LIBVM_ENOTSUP,
            f"the loaded library ({lib._libvm_path}) has no {name}", name)
    return getattr(lib, name)


def _u64(v: int, what: str) -> int:
    """Validate an unsigned 64-bit argument (negative ints wrap, as in C)."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{what} must be an int, not {type(v).__name__}")
    if not -(1 << 63) <= v <= _U64:
        raise InvalidArgumentError(_ffi.LIBVM_EINVAL,
                                   f"{what}={v:#x} does not fit 64 bits")
    return v & _U64


def _u32(v: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{what} must be an int, not {type(v).__name__}")
    if not 0 <= v <= 0xFFFFFFFF:
        raise InvalidArgumentError(_ffi.LIBVM_EINVAL,
                                   f"{what}={v} does not fit 32 bits")
    return v


def _ns(timeout: Optional[float]) -> int:
    """Seconds (None: no limit) to the C API's nanoseconds (0: no limit)."""
    if timeout is None:
        return 0
    if timeout <= 0:
        raise InvalidArgumentError(_ffi.LIBVM_EINVAL,
                                   f"timeout={timeout}: must be > 0 or None")
    return max(1, int(timeout * 1e9))


def _view(addr: int, size: int) -> memoryview:
    """A writable zero-copy 'B' memoryview of size bytes at addr."""
    return memoryview((c_char * size).from_address(addr)).cast("B")


def version() -> str:
    """Version string of the loaded library (``libvm_version``)."""
    return _lib().libvm_version().decode()


def version_num() -> int:
    """0xMMmmpp version of the loaded library (``libvm_version_num``)."""
    return int(_lib().libvm_version_num())


def guest_dir() -> str:
    """Directory of the guest programs: $LIBVM_GUEST_DIR or build/guests."""
    return os.environ.get("LIBVM_GUEST_DIR") or str(
        _ffi.repo_root() / "build" / "guests")


# ---- handler exceptions --------------------------------------------------

class StopRun(Exception):
    """Raise inside a trap or hypercall handler to stop the run cleanly.

    The run returns an :class:`Exit` with reason STOPPED (a call raises
    :class:`GuestFaultError`) and the exception itself is not re-raised.
    ``code`` is what the handler reports: LIBVM_TRAP_STOP or a negative
    ``LIBVM_E*`` code.
    """

    def __init__(self, code: int = _ffi.LIBVM_TRAP_STOP) -> None:
        super().__init__(code)
        self.code = code


# Handlers run on the thread that runs the vCPU, so an exception a handler
# raises is parked per thread and re-raised by that thread's run()/call().
_tls = threading.local()


def _park(exc: BaseException) -> None:
    if getattr(_tls, "pending", None) is None:
        _tls.pending = exc


def _take() -> Optional[BaseException]:
    exc = getattr(_tls, "pending", None)
    _tls.pending = None
    return exc


# C handle address -> Python wrapper, so handlers receive the VCpu object.
_VMS: "weakref.WeakValueDictionary[int, VM]" = weakref.WeakValueDictionary()
_VCPUS: "weakref.WeakValueDictionary[int, VCpu]" = \
    weakref.WeakValueDictionary()


def _vcpu_for(ptr: int) -> "VCpu":
    vcpu = _VCPUS.get(ptr)
    if vcpu is None:
        # A vCPU this process never wrapped (a forked VM's): wrap it now.
        vm = _VMS.get(_lib().libvm_vcpu_vm(ptr) or 0)
        vcpu = VCpu._wrap(vm, ptr)
    return vcpu


# ---- exits ----------------------------------------------------------------

class ExitReason(enum.IntEnum):
    """Why ``libvm_vcpu_run`` returned (``LIBVM_EXIT_*``)."""
    NONE = _ffi.LIBVM_EXIT_NONE
    HLT = _ffi.LIBVM_EXIT_HLT
    IO = _ffi.LIBVM_EXIT_IO
    MMIO = _ffi.LIBVM_EXIT_MMIO
    SHUTDOWN = _ffi.LIBVM_EXIT_SHUTDOWN
    FAIL_ENTRY = _ffi.LIBVM_EXIT_FAIL_ENTRY
    INTERNAL_ERROR = _ffi.LIBVM_EXIT_INTERNAL_ERROR
    DEBUG = _ffi.LIBVM_EXIT_DEBUG
    CANCELLED = _ffi.LIBVM_EXIT_CANCELLED
    TIMEOUT = _ffi.LIBVM_EXIT_TIMEOUT
    STOPPED = _ffi.LIBVM_EXIT_STOPPED
    SYSTEM_EVENT = _ffi.LIBVM_EXIT_SYSTEM_EVENT
    IRQ_WINDOW = _ffi.LIBVM_EXIT_IRQ_WINDOW
    OTHER = _ffi.LIBVM_EXIT_OTHER
    EXCEPTION = _ffi.LIBVM_EXIT_EXCEPTION
    GUEST_EXIT = _ffi.LIBVM_EXIT_GUEST_EXIT
    RETURN = _ffi.LIBVM_EXIT_RETURN


@dataclass
class IoExit:
    """Port I/O no trap handled.  ``data`` (size * count bytes) points into
    the vCPU's shared page: for a read, store what the guest receives before
    the next run.  It is valid until the next run of that vCPU."""
    port: int
    size: int
    direction: int
    count: int
    data: memoryview

    @property
    def is_write(self) -> bool:
        return self.direction == _ffi.LIBVM_WRITE


@dataclass
class MmioExit:
    """MMIO no trap handled; ``data`` as for :class:`IoExit`."""
    gpa: int
    size: int
    direction: int
    data: memoryview

    @property
    def is_write(self) -> bool:
        return self.direction == _ffi.LIBVM_WRITE


@dataclass
class StopInfo:
    """A handler stopped the run: which space, what it returned, where.

    ``value`` is the guest's first hypercall argument, all 64 bits: for
    ``libvm_guest_report_bug(code)`` the code (``code`` has its low 32 bits
    as a signed int); 0 for ports and MMIO.
    """
    space: int
    code: int
    addr: int
    value: int = 0


@dataclass
class GuestException:
    """A long-mode guest fault (``u.exception``)."""
    vector: int
    error_code: Optional[int]
    rip: int
    cs: int
    rflags: int
    rsp: int
    cr2: int


@dataclass
class Exit:
    """The exit record of a run or call, decoded from ``libvm_exit``.

    ``reason`` is an :class:`ExitReason` (or a plain int for a reason this
    binding does not know: treat it as "stop and look"), ``name`` the
    library's short name for it.  The field matching the reason is set;
    ``raw`` is the C struct for anything else.
    """
    reason: Union[ExitReason, int]
    name: str
    kvm_reason: int = 0
    io: Optional[IoExit] = None
    mmio: Optional[MmioExit] = None
    stop: Optional[StopInfo] = None
    exception: Optional[GuestException] = None
    exit_code: Optional[int] = None     # GUEST_EXIT: the guest's exit code
    value: Optional[int] = None         # RETURN: the function's RAX
    raw: Optional[_ffi.libvm_exit] = field(default=None, repr=False)

    @classmethod
    def from_c(cls, ex: _ffi.libvm_exit) -> "Exit":
        r = int(ex.reason)
        try:
            reason: Union[ExitReason, int] = ExitReason(r)
        except ValueError:
            reason = r
        raw = _ffi.libvm_exit()
        ctypes.memmove(byref(raw), byref(ex), ctypes.sizeof(raw))
        e = cls(reason, _lib().libvm_exit_reason_name(r).decode(),
                int(ex.kvm_reason), raw=raw)
        u = ex.u
        if r == _ffi.LIBVM_EXIT_IO:
            n = u.io.size * u.io.count
            addr = ctypes.cast(u.io.data, c_void_p).value or 0
            e.io = IoExit(u.io.port, u.io.size, u.io.direction, u.io.count,
                          _view(addr, n) if addr and n else memoryview(b""))
        elif r == _ffi.LIBVM_EXIT_MMIO:
            addr = ctypes.cast(u.mmio.data, c_void_p).value or 0
            e.mmio = MmioExit(u.mmio.gpa, u.mmio.size, u.mmio.direction,
                              _view(addr, u.mmio.size) if addr
                              else memoryview(b""))
        elif r == _ffi.LIBVM_EXIT_STOPPED:
            e.stop = StopInfo(u.stop.space, u.stop.code, u.stop.addr,
                              u.stop.value)
        elif r == _ffi.LIBVM_EXIT_EXCEPTION:
            x = u.exception
            e.exception = GuestException(
                x.vector, x.error_code if x.has_error_code else None,
                x.rip, x.cs, x.rflags, x.rsp, x.cr2)
        elif r == _ffi.LIBVM_EXIT_GUEST_EXIT:
            e.exit_code = int(u.guest_exit.code)
        elif r == _ffi.LIBVM_EXIT_RETURN:
            e.value = int(u.ret.value)
        return e


# ---- host facts -------------------------------------------------------------

@dataclass
class HostInfo:
    """What the host offers (``libvm_host_info``)."""
    kvm_api_version: int
    caps: int
    supervisor: int
    max_vcpus: int
    max_memslots: int
    phys_bits: int
    backend: str
    xsave_size: int

    def has(self, cap: int) -> bool:
        """Whether caps has the LIBVM_HOST_* bit(s) cap."""
        return self.caps & cap == cap


def host_query(kvm_path: Optional[str] = None) -> HostInfo:
    """Query the host (``libvm_host_query``).

    Raises :class:`NoKVMError` when KVM cannot be opened; its ``.info``
    still holds the backend and supervisor the host reports.
    """
    info = _ffi.libvm_host_info()
    check(_lib().libvm_host_info_init(byref(info),
                                      _ffi.LIBVM_HOST_INFO_VERSION),
          "libvm_host_info_init")
    r = _lib().libvm_host_query(
        byref(info), kvm_path.encode() if kvm_path else None)
    out = HostInfo(info.kvm_api_version, info.caps, info.supervisor,
                   info.max_vcpus, info.max_memslots, info.phys_bits,
                   info.backend.decode(errors="replace"), info.xsave_size)
    if r < 0:
        err = error_for(r, function="libvm_host_query")
        err.info = out  # type: ignore[attr-defined]
        raise err
    return out


@dataclass
class Translation:
    """Result of a guest page walk."""
    gpa: int
    flags: int
    page_size: int


@dataclass
class FuzzResult:
    """One ``libvm_fuzz_exec`` execution: LIBVM_FUZZ_* outcome, the
    function's return value, how the run ended, and whether the input was
    longer than ``input_cap`` and cut to it (``truncated``)."""
    outcome: int
    ret: int
    exit: Exit
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.outcome == _ffi.LIBVM_FUZZ_OK


# ---- the guest's comparison log (<libvm/cmplog.h>) ---------------------------

#: ``struct libvm_cmp_entry``: one failed compare (``a``, ``b``, ``pc``,
#: ``size``, ``flags``: ``CMP_CONST`` when ``a`` is the constant).
CmpEntry = _ffi.libvm_cmp_entry
#: ``struct libvm_cmp_log``: the log's header (``count``, ``cap``); its
#: ``cap`` entries follow it in guest memory.
CmpLog = _ffi.libvm_cmp_log


def cmp_log_entries(buf: Buffer) -> List[CmpEntry]:
    """Copies of the entries stored in a comparison log: ``buf`` holds a
    ``struct libvm_cmp_log`` and its entries (e.g. a view of the guest
    memory the host placed it in).  That is ``min(count, cap)`` entries,
    fewer if ``buf`` ends first; ``count`` may exceed ``cap``."""
    mv = memoryview(buf).cast("B")
    hdr = ctypes.sizeof(CmpLog)
    if len(mv) < hdr:
        raise InvalidArgumentError(
            _ffi.LIBVM_EINVAL, f"a comparison log needs {hdr} bytes, "
            f"got {len(mv)}", "cmp_log_entries")
    log = CmpLog.from_buffer_copy(mv[:hdr])
    n = min(log.count, log.cap, (len(mv) - hdr) // ctypes.sizeof(CmpEntry))
    return list((CmpEntry * n).from_buffer_copy(mv, hdr)) if n else []


# ---- memory -----------------------------------------------------------------

class Region:
    """A region of guest RAM, mapped by :meth:`VM.map_anon` and friends.

    ``view`` is a zero-copy writable memoryview of the whole region; it and
    every view handed out are released when the region is unmapped.  Use it
    as a context manager to unmap on exit.
    """

    def __init__(self, vm: "VM", gpa: int, size: int, flags: int,
                 keep: Any = None) -> None:
        self.vm = vm
        self.gpa = gpa
        self.size = size
        self.flags = flags
        self._keep = keep       # host memory of map_host
        self._view: Optional[memoryview] = None
        self.mapped = True

    @property
    def view(self) -> memoryview:
        """The region's bytes (zero-copy; invalid once unmapped)."""
        if not self.mapped:
            raise error_for(_ffi.LIBVM_ESTATE, "region is unmapped")
        if self._view is None:
            self._view = self.vm.mem(self.gpa, self.size)
        return self._view

    def __len__(self) -> int:
        return self.size

    def unmap(self) -> None:
        """Remove the region from the VM (``libvm_mem_unmap``)."""
        if self.mapped:
            self.vm.unmap(self.gpa)

    def _gone(self) -> None:
        self.mapped = False
        if self._view is not None:
            self._view.release()
            self._view = None
        self._keep = None

    def __enter__(self) -> "Region":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.vm.open:
            self.unmap()

    def __repr__(self) -> str:
        return (f"<libvm.Region gpa={self.gpa:#x} size={self.size:#x}"
                f"{'' if self.mapped else ' unmapped'}>")


# ---- images ---------------------------------------------------------------

class Image:
    """An ELF image loaded into a VM's RAM (host-side description)."""

    def __init__(self, vm: "VM", ptr: int, path: Optional[str]) -> None:
        self.vm = vm
        self._ptr: Optional[int] = ptr
        self.path = path

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise error_for(_ffi.LIBVM_ESTATE, "image is closed")
        return self._ptr

    @property
    def entry(self) -> int:
        """Entry point (e_entry)."""
        return int(_lib().libvm_image_entry(self._p))

    @property
    def elf_class(self) -> int:
        """32 or 64."""
        return int(_lib().libvm_image_class(self._p))

    @property
    def extent(self) -> Tuple[int, int]:
        """Lowest and one past the highest guest address used."""
        lo, hi = c_uint64(), c_uint64()
        check(_lib().libvm_image_extent(byref(lo), byref(hi), self._p),
              "libvm_image_extent")
        return lo.value, hi.value

    def symbol(self, name: str) -> int:
        """Address of a symbol; :class:`NotFoundError` if absent."""
        addr = c_uint64()
        check(_lib().libvm_image_symbol(byref(addr), self._p,
                                        name.encode()),
              "libvm_image_symbol")
        return addr.value

    def __getitem__(self, name: str) -> int:
        return self.symbol(name)

    def close(self) -> None:
        """Free the description (guest RAM is untouched)."""
        if self._ptr is not None:
            _lib().libvm_image_destroy(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Image":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---- snapshots --------------------------------------------------------------

class Snapshot:
    """A snapshot of a whole VM (``libvm_snapshot``); see :meth:`VM.snapshot`.

    It keeps the handlers of the VM it was taken from alive, because a VM
    forked from it calls the same ones.
    """

    def __init__(self, ptr: int, keep: Optional[Dict[Any, Any]] = None,
                 config: Optional[Dict[str, Any]] = None) -> None:
        self._ptr: Optional[int] = ptr
        self._keep = dict(keep or {})
        self._config = dict(config or {})

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise error_for(_ffi.LIBVM_ESTATE, "snapshot is closed")
        return self._ptr

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the snapshot to a file (``libvm_snapshot_save``)."""
        check(_need("libvm_snapshot_save")(self._p, os.fsencode(path)),
              "libvm_snapshot_save")

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> "Snapshot":
        """Read a snapshot file (``libvm_snapshot_load``)."""
        p = c_void_p()
        check(_need("libvm_snapshot_load")(byref(p), os.fsencode(path)),
              "libvm_snapshot_load")
        return cls(p.value or 0)

    def close(self) -> None:
        """Free the snapshot; VMs forked from it keep working."""
        if self._ptr is not None:
            _lib().libvm_snapshot_destroy(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Snapshot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ---- vCPUs ----------------------------------------------------------------

class VCpu:
    """A virtual CPU.  Create it with :meth:`VM.create_vcpu`.

    Used by one thread at a time; :meth:`cancel` may be called from any
    thread while another runs it.  Closing the VM closes its vCPUs first.
    """

    def __init__(self, vm: "VM", id: int = 0) -> None:
        p = c_void_p()
        check(_lib().libvm_vcpu_create(byref(p), vm._p, _u32(id, "id")),
              "libvm_vcpu_create")
        self._init(vm, p.value or 0, owned=True)

    @classmethod
    def _wrap(cls, vm: Optional["VM"], ptr: int) -> "VCpu":
        self = cls.__new__(cls)
        self._init(vm, ptr, owned=False)
        return self

    def _init(self, vm: Optional["VM"], ptr: int, owned: bool) -> None:
        self.vm = vm
        self._ptr: Optional[int] = ptr
        self._owned = owned
        self.id = int(_lib().libvm_vcpu_id(ptr))
        self._exit = _ffi.libvm_exit()
        _VCPUS[ptr] = self
        if vm is not None:
            vm._vcpus.setdefault(self.id, self)

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise error_for(_ffi.LIBVM_ESTATE, "vCPU is closed")
        return self._ptr

    @property
    def open(self) -> bool:
        return self._ptr is not None

    def close(self) -> None:
        """Destroy the vCPU (it must not be running)."""
        if self._ptr is None:
            return
        _VCPUS.pop(self._ptr, None)
        if self._owned:
            _lib().libvm_vcpu_destroy(self._ptr)
        self._ptr = None
        if self.vm is not None and self.vm._vcpus.get(self.id) is self:
            del self.vm._vcpus[self.id]

    def __enter__(self) -> "VCpu":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<libvm.VCpu id={self.id}{'' if self.open else ' closed'}>"

    # -- registers

    def get_regs(self) -> _ffi.libvm_regs:
        """General registers (a ctypes struct with rax .. rflags)."""
        r = _ffi.libvm_regs()
        check(_lib().libvm_vcpu_get_regs(byref(r), self._p),
              "libvm_vcpu_get_regs")
        return r

    def set_regs(self, regs: Optional[_ffi.libvm_regs] = None,
                 **values: int) -> None:
        """Set the general registers: a whole struct, and/or named ones
        (``vcpu.set_regs(rax=1, rip=0x1000)`` changes only those)."""
        r = regs if regs is not None else self.get_regs()
        for k, v in values.items():
            if k not in _ffi.REG_NAMES:
                raise InvalidArgumentError(_ffi.LIBVM_EINVAL,
                                           f"no register {k!r}")
            setattr(r, k, _u64(v, k))
        check(_lib().libvm_vcpu_set_regs(self._p, byref(r)),
              "libvm_vcpu_set_regs")

    @property
    def regs(self) -> _ffi.libvm_regs:
        return self.get_regs()

    @regs.setter
    def regs(self, r: _ffi.libvm_regs) -> None:
        self.set_regs(r)

    def get_sregs(self) -> _ffi.libvm_sregs:
        s = _ffi.libvm_sregs()
        check(_lib().libvm_vcpu_get_sregs(byref(s), self._p),
              "libvm_vcpu_get_sregs")
        return s

    def set_sregs(self, s: _ffi.libvm_sregs) -> None:
        check(_lib().libvm_vcpu_set_sregs(self._p, byref(s)),
              "libvm_vcpu_set_sregs")

    def get_fpu(self) -> _ffi.libvm_fpu:
        f = _ffi.libvm_fpu()
        check(_lib().libvm_vcpu_get_fpu(byref(f), self._p),
              "libvm_vcpu_get_fpu")
        return f

    def set_fpu(self, f: _ffi.libvm_fpu) -> None:
        check(_lib().libvm_vcpu_set_fpu(self._p, byref(f)),
              "libvm_vcpu_set_fpu")

    def get_xsave(self) -> bytes:
        """The XSAVE area in the processor's layout."""
        n = int(_lib().libvm_vcpu_xsave_size(self._p))
        buf = ctypes.create_string_buffer(n)
        check(_lib().libvm_vcpu_get_xsave(self._p, buf, n),
              "libvm_vcpu_get_xsave")
        return buf.raw

    def set_xsave(self, data: bytes) -> None:
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        check(_lib().libvm_vcpu_set_xsave(self._p, buf, len(data)),
              "libvm_vcpu_set_xsave")

    def get_xcr(self, index: int = 0) -> int:
        v = c_uint64()
        check(_lib().libvm_vcpu_get_xcr(byref(v), self._p,
                                        _u32(index, "index")),
              "libvm_vcpu_get_xcr")
        return v.value

    def set_xcr(self, index: int, value: int) -> None:
        check(_lib().libvm_vcpu_set_xcr(self._p, _u32(index, "index"),
                                        _u64(value, "value")),
              "libvm_vcpu_set_xcr")

    def get_msr(self, index: int) -> int:
        v = c_uint64()
        check(_lib().libvm_vcpu_get_msr(byref(v), self._p,
                                        _u32(index, "index")),
              "libvm_vcpu_get_msr")
        return v.value

    def set_msr(self, index: int, value: int) -> None:
        check(_lib().libvm_vcpu_set_msr(self._p, _u32(index, "index"),
                                        _u64(value, "value")),
              "libvm_vcpu_set_msr")

    def get_cpuid(self) -> List[_ffi.libvm_cpuid_entry]:
        """The CPUID table."""
        n = c_uint32(0)
        r = _lib().libvm_vcpu_get_cpuid(self._p, None, byref(n))
        while True:
            arr = (_ffi.libvm_cpuid_entry * max(n.value, 1))()
            cap = n.value = max(n.value, 1)
            r = _lib().libvm_vcpu_get_cpuid(self._p, arr, byref(n))
            if r == _ffi.LIBVM_ELIMIT and n.value > cap:
                continue
            check(r, "libvm_vcpu_get_cpuid")
            return list(arr[:n.value])

    def set_cpuid(self, entries: Iterable[_ffi.libvm_cpuid_entry]) -> None:
        lst = list(entries)
        arr = (_ffi.libvm_cpuid_entry * len(lst))(*lst)
        check(_lib().libvm_vcpu_set_cpuid(self._p, arr, len(lst)),
              "libvm_vcpu_set_cpuid")

    def interrupt(self, vector: int) -> None:
        """Inject an external interrupt (no in-kernel irqchip only)."""
        check(_lib().libvm_vcpu_interrupt(self._p, _u32(vector, "vector")),
              "libvm_vcpu_interrupt")

    # -- modes

    def set_real_mode(self, cs: int = 0, ip: int = 0, sp: int = 0) -> None:
        """Real mode at cs:ip with stack sp."""
        for v, n in ((cs, "cs"), (ip, "ip"), (sp, "sp")):
            if not 0 <= v <= 0xFFFF:
                raise InvalidArgumentError(_ffi.LIBVM_EINVAL,
                                           f"{n}={v:#x} is not 16-bit")
        check(_lib().libvm_vcpu_set_real_mode(self._p, cs, ip, sp),
              "libvm_vcpu_set_real_mode")

    def set_protected_mode(self, eip: int, esp: int) -> None:
        """32-bit flat protected mode at CPL0."""
        check(_lib().libvm_vcpu_set_protected_mode(
            self._p, _u32(eip, "eip"), _u32(esp, "esp")),
            "libvm_vcpu_set_protected_mode")

    def set_long_mode(self, rip: int, rsp: int) -> None:
        """Enter the VM's long-mode environment (see VM.long_mode_setup)."""
        check(_lib().libvm_vcpu_set_long_mode(self._p, _u64(rip, "rip"),
                                              _u64(rsp, "rsp")),
              "libvm_vcpu_set_long_mode")

    # -- running

    def run(self, timeout: Optional[float] = None) -> Exit:
        """Run until the caller must act and return the :class:`Exit`.

        ``timeout`` is in seconds (None: none).  An exception raised by a
        handler during the run is re-raised here.
        """
        p, ns = self._p, _ns(timeout)
        _tls.pending = None
        r = _lib().libvm_vcpu_run(byref(self._exit), p, ns)
        exc = _take()
        if exc is not None:
            raise exc
        check(r, "libvm_vcpu_run")
        return Exit.from_c(self._exit)

    def cancel(self) -> None:
        """Stop a run in progress (or the next one).  Any thread."""
        check(_lib().libvm_vcpu_cancel(self._p), "libvm_vcpu_cancel")

    def call(self, fn: int, *args: int, timeout: Optional[float] = None,
             signed: bool = False) -> int:
        """Call the guest function at address ``fn`` with up to six integer
        arguments and return its RAX (as a signed value if ``signed``).

        Raises :class:`GuestFaultError` (fault, stop, cancel, guest exit)
        or :class:`CallTimeoutError`, with the :class:`Exit` in ``.exit``;
        a handler's exception is re-raised as is.  The vCPU takes the next
        call either way; the guest's memory is as the interrupted code left
        it (:attr:`VM.needs_restore`).
        """
        if len(args) > 6:
            raise InvalidArgumentError(
                _ffi.LIBVM_EINVAL, f"{len(args)} arguments: at most 6")
        argv = (c_uint64 * 6)(*(_u64(a, f"argument {i}")
                                for i, a in enumerate(args)))
        ret = c_uint64()
        _tls.pending = None
        r = _lib().libvm_call(byref(ret), byref(self._exit), self._p,
                              _u64(fn, "fn"), argv, len(args),
                              _ns(timeout))
        exc = _take()
        if exc is not None:
            raise exc
        if r < 0:
            raise error_for(r, function="libvm_call",
                            exit=Exit.from_c(self._exit))
        v = ret.value
        return v - (1 << 64) if signed and v >> 63 else v


# ---- VMs ----------------------------------------------------------------------

CallArg = Union[int, bytes, bytearray, memoryview]


class VM:
    """A virtual machine.

    ``VM()`` creates one with the defaults; keyword arguments fill
    ``libvm_vm_config``.  Use it as a context manager: closing destroys the
    vCPUs, then the images, then the VM; handlers stay referenced by the VM
    while registered.  Raises :class:`NoKVMError` without usable KVM.
    """

    def __init__(self, *, flags: int = 0, kick_signal: int = 0,
                 max_vcpus: int = 0, kvm_path: Optional[str] = None,
                 _ptr: Optional[int] = None) -> None:
        self._ptr: Optional[int] = None
        self._vcpus: Dict[int, VCpu] = {}
        self._regions: Dict[int, Region] = {}
        self._images: List[Image] = []
        # Views handed out, released on close (memoryviews are unhashable,
        # so they are kept as weak references by id).
        self._views: Dict[int, "weakref.ref[memoryview]"] = {}
        # Everything C holds a pointer to: callback thunks, device state.
        self._keep: Dict[Any, Any] = {}
        self._config = dict(flags=flags, kick_signal=kick_signal,
                            max_vcpus=max_vcpus, kvm_path=kvm_path)
        self.image: Optional[Image] = None
        if _ptr is None:
            cfg = _ffi.libvm_vm_config()
            check(_lib().libvm_vm_config_init(
                byref(cfg), _ffi.LIBVM_VM_CONFIG_VERSION),
                "libvm_vm_config_init")
            cfg.flags = _u32(flags, "flags")
            cfg.kick_signal = kick_signal
            cfg.max_vcpus = _u32(max_vcpus, "max_vcpus")
            cfg.kvm_path = kvm_path.encode() if kvm_path else None
            p = c_void_p()
            check(_lib().libvm_vm_create(byref(p), byref(cfg)),
                  "libvm_vm_create")
            _ptr = p.value
        self._ptr = _ptr
        _VMS[_ptr or 0] = self

    @property
    def _p(self) -> int:
        if self._ptr is None:
            raise error_for(_ffi.LIBVM_ESTATE, "VM is closed")
        return self._ptr

    @property
    def open(self) -> bool:
        return self._ptr is not None

    def close(self) -> None:
        """Destroy vCPUs, images and the VM; release every memoryview."""
        if self._ptr is None:
            return
        for v in list(self._vcpus.values()):
            v.close()
        for img in self._images:
            img.close()
        self._images.clear()
        for ref in list(self._views.values()):
            mv = ref()
            if mv is not None:
                try:
                    mv.release()
                except BufferError:
                    pass
        self._views.clear()
        _VMS.pop(self._ptr, None)
        _lib().libvm_vm_destroy(self._ptr)
        self._ptr = None
        for reg in self._regions.values():
            reg._gone()
        self._regions.clear()
        self._keep.clear()

    def __enter__(self) -> "VM":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return (f"<libvm.VM vcpus={sorted(self._vcpus)}"
                f"{'' if self.open else ' closed'}>")

    def irq_line(self, gsi: int, level: int) -> None:
        """Raise (1) or lower (0) a line of the in-kernel irqchip."""
        check(_lib().libvm_vm_irq_line(self._p, _u32(gsi, "gsi"),
                                       int(level)),
              "libvm_vm_irq_line")

    # -- vCPUs

    def create_vcpu(self, id: int = 0) -> VCpu:
        """Create vCPU number ``id``."""
        return VCpu(self, id)

    def vcpu(self, id: int = 0) -> VCpu:
        """The existing vCPU ``id`` (created here, or in a fork)."""
        v = self._vcpus.get(id)
        if v is None and _ffi.has("libvm_vm_vcpu"):
            p = _lib().libvm_vm_vcpu(self._p, _u32(id, "id"))
            if p:
                v = VCpu._wrap(self, p)
        if v is None:
            raise error_for(_ffi.LIBVM_ENOENT, f"no vCPU {id}", "vcpu")
        return v

    @property
    def vcpus(self) -> Dict[int, VCpu]:
        """The vCPUs this object knows, by id."""
        return dict(self._vcpus)

    # -- memory

    def _region(self, gpa: int, size: int, flags: int,
                keep: Any = None) -> Region:
        reg = Region(self, gpa, size, flags, keep)
        self._regions[gpa] = reg
        return reg

    def map_anon(self, gpa: int, size: int, flags: int = 0) -> Region:
        """Map ``size`` bytes of zeroed anonymous memory at ``gpa``."""
        check(_lib().libvm_mem_map_anon(self._p, _u64(gpa, "gpa"),
                                        _u64(size, "size"),
                                        _u32(flags, "flags")),
              "libvm_mem_map_anon")
        return self._region(gpa, size, flags)

    def map_host(self, gpa: int, memory: Union[int, mmap.mmap],
                 flags: int = 0) -> Region:
        """Map host memory at ``gpa``: an int allocates that many bytes with
        :mod:`mmap`; an ``mmap`` object is mapped as is (it cannot be closed
        while mapped).  The region keeps the memory alive."""
        if isinstance(memory, int):
            memory = mmap.mmap(-1, memory)
        anchor = c_char.from_buffer(memory)
        size = len(memory)
        check(_lib().libvm_mem_map_host(self._p, _u64(gpa, "gpa"),
                                        ctypes.addressof(anchor), size,
                                        _u32(flags, "flags")),
              "libvm_mem_map_host")
        return self._region(gpa, size, flags, keep=(memory, anchor))

    def map_fd(self, gpa: int, fd: Union[int, Any], size: int,
               offset: int = 0, flags: int = 0) -> Region:
        """Map ``size`` bytes of a file or memfd (an fd or a file object)
        from ``offset`` at ``gpa`` (MAP_SHARED)."""
        if not isinstance(fd, int):
            fd = fd.fileno()
        check(_lib().libvm_mem_map_fd(self._p, _u64(gpa, "gpa"), fd,
                                      _u64(offset, "offset"),
                                      _u64(size, "size"),
                                      _u32(flags, "flags")),
              "libvm_mem_map_fd")
        return self._region(gpa, size, flags)

    def unmap(self, gpa: int) -> None:
        """Remove the region that starts at ``gpa``."""
        reg = self._regions.get(gpa)
        if reg is not None and reg._view is not None:
            reg._view.release()
            reg._view = None
        check(_lib().libvm_mem_unmap(self._p, _u64(gpa, "gpa")),
              "libvm_mem_unmap")
        reg = self._regions.pop(gpa, None)
        if reg is not None:
            reg._gone()

    @property
    def regions(self) -> List[Region]:
        return sorted(self._regions.values(), key=lambda r: r.gpa)

    def mem(self, gpa: int, length: int) -> memoryview:
        """Zero-copy writable view of guest RAM [gpa, gpa+length), which
        must lie in one region (``libvm_mem_ptr``).  Valid until the region
        is unmapped or the VM closed (then it is released)."""
        p = c_void_p()
        check(_lib().libvm_mem_ptr(byref(p), self._p, _u64(gpa, "gpa"),
                                   _u64(length, "length")),
              "libvm_mem_ptr")
        mv = _view(p.value or 0, length) if length else memoryview(b"")
        self._track(mv)
        return mv

    def _track(self, mv: memoryview) -> None:
        views, key = self._views, id(mv)
        views[key] = weakref.ref(mv, lambda _r: views.pop(key, None))

    def read(self, gpa: int, length: int) -> bytes:
        """Copy ``length`` bytes of guest RAM at ``gpa``."""
        buf = ctypes.create_string_buffer(length)
        check(_lib().libvm_mem_read(self._p, _u64(gpa, "gpa"), buf,
                                    _u64(length, "length")),
              "libvm_mem_read")
        return buf.raw

    def write(self, gpa: int, data: Buffer) -> None:
        """Copy ``data`` into guest RAM at ``gpa``."""
        b = bytes(data)
        check(_lib().libvm_mem_write(self._p, _u64(gpa, "gpa"), b, len(b)),
              "libvm_mem_write")

    def translate(self, cr3: int, gva: int) -> Translation:
        """Walk the 4-level page tables rooted at cr3 for gva."""
        gpa, flags, ps = c_uint64(), c_uint32(), c_uint64()
        check(_lib().libvm_mem_translate(byref(gpa), byref(flags), byref(ps),
                                         self._p, _u64(cr3, "cr3"),
                                         _u64(gva, "gva")),
              "libvm_mem_translate")
        return Translation(gpa.value, flags.value, ps.value)

    # -- devices

    def trap(self, space: int, base: int, length: int,
             handler: TrapHandler) -> None:
        """Register ``handler(vcpu, addr, data, direction)`` for
        [base, base+length) in ``space`` (LIBVM_TRAP_PIO or _MMIO).

        ``data`` is a memoryview of the access's bytes (fill it for
        LIBVM_READ) valid only during the call.  Return None or
        LIBVM_TRAP_CONTINUE to go on, LIBVM_TRAP_STOP or a negative code to
        stop; raise :class:`StopRun` to stop too.  Any other exception stops
        the run and is re-raised by run()/call().
        """
        if not callable(handler):
            raise TypeError("handler must be callable")

        def thunk(vcpu: int, addr: int, data: int, size: int,
                  direction: int, opaque: Any) -> int:
            mv = _view(data, size)
            try:
                r = handler(_vcpu_for(vcpu), addr, mv, direction)
                return _ffi.LIBVM_TRAP_CONTINUE if r is None else int(r)
            except StopRun as s:
                return s.code
            except BaseException as e:  # noqa: B036 - re-raised by run()
                _park(e)
                return _ffi.LIBVM_TRAP_STOP
            finally:
                mv.release()

        cfn = _ffi.libvm_trap_fn(thunk)
        check(_lib().libvm_trap_register(self._p, _u32(space, "space"),
                                         _u64(base, "base"),
                                         _u64(length, "length"), cfn, None),
              "libvm_trap_register")
        self._keep[("trap", space, base)] = (cfn, handler)

    def untrap(self, space: int, base: int) -> None:
        """Remove the trap range starting at ``base``."""
        check(_lib().libvm_trap_unregister(self._p, _u32(space, "space"),
                                           _u64(base, "base")),
              "libvm_trap_unregister")
        self._keep.pop(("trap", space, base), None)

    def on_pio(self, port: int, count: int, handler: TrapHandler) -> None:
        """Shorthand for ``trap(LIBVM_TRAP_PIO, port, count, handler)``."""
        self.trap(_ffi.LIBVM_TRAP_PIO, port, count, handler)

    def on_mmio(self, gpa: int, length: int, handler: TrapHandler) -> None:
        """Shorthand for ``trap(LIBVM_TRAP_MMIO, gpa, length, handler)``."""
        self.trap(_ffi.LIBVM_TRAP_MMIO, gpa, length, handler)

    # -- loading and long mode

    def load(self, image: Union[str, os.PathLike, Buffer],
             flags: int = 0) -> Image:
        """Load an ELF image (a path, or the file's bytes) into guest RAM.
        The most recently loaded image resolves names in :meth:`call`."""
        p = c_void_p()
        if isinstance(image, (bytes, bytearray, memoryview)):
            b = bytes(image)
            check(_lib().libvm_image_load_mem(byref(p), self._p, b, len(b),
                                              _u32(flags, "flags")),
                  "libvm_image_load_mem")
            path = None
        else:
            path = os.fspath(image)
            check(_lib().libvm_image_load_file(byref(p), self._p,
                                               os.fsencode(path),
                                               _u32(flags, "flags")),
                  "libvm_image_load_file")
        img = Image(self, p.value or 0, path)
        self._images.append(img)
        self.image = img
        return img

    def long_mode_setup(self, sys_gpa: int, map_size: int = 0,
                        flags: int = 0) -> None:
        """Write the long-mode environment (LIBVM_SYS_SIZE bytes) at
        ``sys_gpa`` and turn on the runtime ports."""
        lm = _ffi.libvm_long_mode()
        check(_lib().libvm_long_mode_init(byref(lm),
                                          _ffi.LIBVM_LONG_MODE_VERSION),
              "libvm_long_mode_init")
        lm.flags = _u32(flags, "flags")
        lm.sys_gpa = _u64(sys_gpa, "sys_gpa")
        lm.map_size = _u64(map_size, "map_size")
        check(_lib().libvm_long_mode_setup(self._p, byref(lm)),
              "libvm_long_mode_setup")

    @classmethod
    def from_elf(cls, path: Union[str, os.PathLike], *,
                 ram_size: int = 64 << 20, sys_gpa: int = 0x100000,
                 scratch: Optional[Tuple[int, int]] = None,
                 stack_top: Optional[int] = None,
                 long_mode_flags: int = 0, **config: Any) -> "VM":
        """A VM ready to run a guest program compiled from C: RAM at 0,
        the image loaded, the long-mode environment at ``sys_gpa``, a
        scratch area (default: the middle quarter of RAM), and vCPU 0 at
        the entry point with its stack at ``stack_top`` (default: the end
        of RAM).  ``vm.run()`` runs main(); ``vm.call(name, ...)`` calls."""
        vm = cls(**config)
        try:
            vm.map_anon(0, ram_size)
            img = vm.load(path)
            vm.long_mode_setup(sys_gpa, flags=long_mode_flags)
            if scratch is None:
                scratch = (ram_size // 2, ram_size // 4)
            vm.scratch_set(*scratch)
            vcpu = vm.create_vcpu(0)
            vcpu.set_long_mode(img.entry,
                               ram_size if stack_top is None else stack_top)
        except BaseException:
            vm.close()
            raise
        return vm

    # -- calls and hypercalls

    def hypercall(self, nr: int, handler: HypercallHandler) -> None:
        """Serve hypercall ``nr`` with ``handler(vcpu, nr, args)``; its
        return value (an int, None for 0) goes to the guest's RAX.  Raise
        :class:`StopRun` to stop the run; any other exception stops it and
        is re-raised by run()/call()."""
        if not callable(handler):
            raise TypeError("handler must be callable")

        def thunk(vcpu: int, nr_: int, args: Any, ret: Any,
                  opaque: Any) -> int:
            try:
                r = handler(_vcpu_for(vcpu), nr_, tuple(args[:6]))
                ret[0] = 0 if r is None else int(r) & _U64
                return _ffi.LIBVM_TRAP_CONTINUE
            except StopRun as s:
                return s.code
            except BaseException as e:  # noqa: B036 - re-raised by run()
                _park(e)
                return _ffi.LIBVM_TRAP_STOP

        cfn = _ffi.libvm_hypercall_fn(thunk)
        check(_lib().libvm_hypercall_register(self._p, _u32(nr, "nr"), cfn,
                                              None),
              "libvm_hypercall_register")
        self._keep[("hypercall", nr)] = (cfn, handler)

    def remove_hypercall(self, nr: int) -> None:
        """Unregister hypercall ``nr``."""
        check(_lib().libvm_hypercall_unregister(self._p, _u32(nr, "nr")),
              "libvm_hypercall_unregister")
        self._keep.pop(("hypercall", nr), None)

    def console(self, handler: Callable[[bytes], Any]) -> None:
        """Serve LIBVM_HC_CONSOLE: ``handler(data)`` gets each buffer the
        guest writes.  An exception it raises is re-raised by run()/call()
        (the guest's write itself completes)."""

        def thunk(buf: int, n: int, opaque: Any) -> None:
            try:
                handler(ctypes.string_at(buf, n))
            except BaseException as e:  # noqa: B036 - re-raised by run()
                _park(e)

        cfn = _ffi.libvm_console_fn(thunk)
        check(_lib().libvm_console_attach(self._p, cfn, None),
              "libvm_console_attach")
        self._keep["console"] = (cfn, handler)

    def scratch_set(self, gpa: int, size: int) -> None:
        """Use [gpa, gpa+size) of guest RAM for call arguments."""
        check(_lib().libvm_scratch_set(self._p, _u64(gpa, "gpa"),
                                       _u64(size, "size")),
              "libvm_scratch_set")

    def scratch_push(self, data: Buffer) -> int:
        """Copy ``data`` into the scratch area; return its guest address."""
        b = bytes(data)
        gva = c_uint64()
        check(_lib().libvm_scratch_push(byref(gva), self._p, b, len(b)),
              "libvm_scratch_push")
        return gva.value

    def scratch_reset(self) -> None:
        """Free everything pushed to the scratch area."""
        _lib().libvm_scratch_reset(self._p)

    def symbol(self, name: str) -> int:
        """Address of ``name`` in the loaded images (latest first)."""
        for img in reversed(self._images):
            try:
                return img.symbol(name)
            except LibvmError as e:
                if e.code != _ffi.LIBVM_ENOENT:
                    raise
        raise error_for(_ffi.LIBVM_ENOENT,
                        f"no symbol {name!r} in the loaded images",
                        "libvm_image_symbol")

    def call(self, fn: Union[str, int], *args: CallArg,
             timeout: Optional[float] = None, vcpu: Optional[VCpu] = None,
             signed: bool = False) -> int:
        """Call guest function ``fn`` (a symbol name or an address) on
        ``vcpu`` (default: vCPU 0) and return its RAX.

        Int arguments pass as they are; bytes-like ones are copied into the
        scratch area and pass as their guest address (the scratch area is
        reset after the call when any were pushed):
        ``vm.call("fnv1a", b"data", 4)``.
        """
        addr = self.symbol(fn) if isinstance(fn, str) else fn
        v = vcpu if vcpu is not None else self.vcpu(0)
        pushed = False
        ints: List[int] = []
        try:
            for a in args:
                if isinstance(a, (bytes, bytearray, memoryview)):
                    ints.append(self.scratch_push(a))
                    pushed = True
                else:
                    ints.append(a)
            return v.call(addr, *ints, timeout=timeout, signed=signed)
        finally:
            if pushed and self.open:
                self.scratch_reset()

    def run(self, timeout: Optional[float] = None) -> Exit:
        """Run vCPU 0 (see :meth:`VCpu.run`)."""
        return self.vcpu(0).run(timeout)

    # -- snapshots (snapshot.h)

    def device_state(self, name: str, size: int,
                     restored: Optional[Callable[[], Any]] = None
                     ) -> memoryview:
        """Register ``size`` bytes of device state saved with every
        snapshot and written back on restore; returns a zero-copy view of
        it.  ``restored()`` runs after each restore."""
        buf = ctypes.create_string_buffer(size)
        if restored is not None:
            def thunk(opaque: Any) -> None:
                try:
                    restored()
                except BaseException as e:  # noqa: B036
                    _park(e)
            cfn = _ffi.libvm_restored_fn(thunk)
        else:
            cfn = ctypes.cast(None, _ffi.libvm_restored_fn)
        check(_need("libvm_device_state_register")(
            self._p, name.encode(), buf, _u32(size, "size"), cfn, None),
            "libvm_device_state_register")
        self._keep[("state", name)] = (buf, cfn, restored)
        mv = memoryview(buf).cast("B")[:size]
        self._track(mv)
        return mv

    def remove_device_state(self, name: str) -> None:
        check(_need("libvm_device_state_unregister")(self._p, name.encode()),
              "libvm_device_state_unregister")
        self._keep.pop(("state", name), None)

    def snapshot(self) -> Snapshot:
        """Snapshot the whole VM (no vCPU may be running)."""
        p = c_void_p()
        check(_need("libvm_snapshot_take")(byref(p), self._p),
              "libvm_snapshot_take")
        return Snapshot(p.value or 0, self._keep, self._config)

    def restore(self, snap: Snapshot) -> None:
        """Bring the VM back to ``snap`` (memory, vCPUs, devices)."""
        _tls.pending = None
        r = _need("libvm_snapshot_restore")(self._p, snap._p)
        exc = _take()
        if exc is not None:
            raise exc
        check(r, "libvm_snapshot_restore")

    @classmethod
    def fork(cls, snap: Snapshot) -> "VM":
        """A new copy-on-write VM from ``snap``, with its vCPUs, traps and
        handlers (the handlers are the snapshot's VM's, kept alive)."""
        p = c_void_p()
        check(_need("libvm_vm_fork")(byref(p), snap._p), "libvm_vm_fork")
        vm = cls(_ptr=p.value or 0)
        vm._keep.update(snap._keep)
        vm._config = dict(snap._config)
        return vm

    @property
    def needs_restore(self) -> bool:
        """Whether a run or call ended so that the guest's memory is in
        doubt (fault, triple fault, timeout, cancel; a non-OK fuzz_exec),
        until the next restore.  Advice: the vCPU takes the next call."""
        return bool(_need("libvm_vm_needs_restore")(self._p))

    def fuzz_exec(self, snap: Snapshot, fn: Union[str, int], input_gpa: int,
                  input_cap: int, data: Buffer,
                  timeout: Optional[float] = None) -> FuzzResult:
        """One reset-per-input execution: restore ``snap``, copy ``data`` to
        ``input_gpa``, call ``fn(input_gpa, len)`` on vCPU 0, classify."""
        addr = self.symbol(fn) if isinstance(fn, str) else fn
        b = bytes(data)
        res = _ffi.libvm_fuzz_result()
        _tls.pending = None
        r = _need("libvm_fuzz_exec")(
            byref(res), self._p, snap._p, _u64(addr, "fn"),
            _u64(input_gpa, "input_gpa"), _u64(input_cap, "input_cap"),
            b, len(b), _ns(timeout))
        exc = _take()
        if exc is not None:
            raise exc
        check(r, "libvm_fuzz_exec")
        return FuzzResult(res.outcome, res.ret, Exit.from_c(res.exit),
                          bool(res.flags & _ffi.LIBVM_FUZZ_TRUNCATED))
