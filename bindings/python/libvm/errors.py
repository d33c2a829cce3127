# SPDX-License-Identifier: MIT
"""Exceptions raised by the libvm binding.

Every failing libvm call raises a :class:`LibvmError` subclass chosen by its
``LIBVM_E*`` code; ``.code`` is the code, ``.detail`` the per-thread detail
message (``libvm_last_error()``) captured right after the failure.
"""
from __future__ import annotations

import builtins
from typing import Any, Dict, Optional, Type

from . import _ffi

__all__ = [
    "LibvmError", "InvalidArgumentError", "NoKVMError", "OutOfMemoryError",
    "KVMError", "VersionError", "OverlapError", "AddressRangeError",
    "NotFoundError", "BusyError", "NotSupportedError", "LibvmIOError",
    "UnmappedAddressError", "LimitError", "StateError", "ImageError",
    "GuestFaultError", "CallTimeoutError", "strerror", "error_for",
]


def strerror(code: int) -> str:
    """Short text of a ``LIBVM_E*`` code (``libvm_strerror``)."""
    return _ffi.load().libvm_strerror(int(code)).decode()


def last_error() -> str:
    """The calling thread's detail message of its latest failure."""
    return _ffi.load().libvm_last_error().decode(errors="replace")


class LibvmError(Exception):
    """A libvm call failed.

    Attributes:
        code: the negative ``LIBVM_E*`` code.
        detail: what exactly failed (``libvm_last_error()``).
        function: the C function that failed, if known.
        exit: the :class:`libvm.Exit` record, for guest faults and timeouts.
    """

    code: int = 0

    def __init__(self, code: Optional[int] = None, detail: str = "",
                 function: str = "", exit: Any = None) -> None:
        if code is not None:
            self.code = code
        self.detail = detail
        self.function = function
        self.exit = exit
        try:
            text = strerror(self.code)
        except OSError:
            text = f"libvm error {self.code}"
        msg = f"{function}: {text}" if function else text
        if detail:
            msg += f": {detail}"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(LibvmError, ValueError):
    """LIBVM_EINVAL: a bad argument."""
    code = _ffi.LIBVM_EINVAL


class NoKVMError(LibvmError):
    """LIBVM_ENOKVM: /dev/kvm missing, unreadable or too old."""
    code = _ffi.LIBVM_ENOKVM


class OutOfMemoryError(LibvmError, MemoryError):
    """LIBVM_ENOMEM: out of host memory."""
    code = _ffi.LIBVM_ENOMEM


class KVMError(LibvmError):
    """LIBVM_EKVM: a KVM ioctl failed."""
    code = _ffi.LIBVM_EKVM


class VersionError(LibvmError):
    """LIBVM_EVERSION: unknown struct version."""
    code = _ffi.LIBVM_EVERSION


class OverlapError(LibvmError):
    """LIBVM_EOVERLAP: the range overlaps an existing one."""
    code = _ffi.LIBVM_EOVERLAP


class AddressRangeError(LibvmError):
    """LIBVM_ERANGE: address or length outside guest RAM."""
    code = _ffi.LIBVM_ERANGE


class NotFoundError(LibvmError, LookupError):
    """LIBVM_ENOENT: no such region, trap, symbol, ..."""
    code = _ffi.LIBVM_ENOENT


class BusyError(LibvmError):
    """LIBVM_EBUSY: object in use (running vCPU, inside a handler)."""
    code = _ffi.LIBVM_EBUSY


class NotSupportedError(LibvmError):
    """LIBVM_ENOTSUP: the host, KVM or the loaded library lacks a feature."""
    code = _ffi.LIBVM_ENOTSUP


class LibvmIOError(LibvmError):
    """LIBVM_EIO: file or system I/O failed."""
    code = _ffi.LIBVM_EIO


class UnmappedAddressError(LibvmError):
    """LIBVM_EFAULT: guest virtual address not mapped."""
    code = _ffi.LIBVM_EFAULT


class LimitError(LibvmError):
    """LIBVM_ELIMIT: a fixed limit was reached."""
    code = _ffi.LIBVM_ELIMIT


class StateError(LibvmError):
    """LIBVM_ESTATE: object in the wrong state for the call."""
    code = _ffi.LIBVM_ESTATE


class ImageError(LibvmError):
    """LIBVM_EIMAGE: malformed or unusable guest image."""
    code = _ffi.LIBVM_EIMAGE


class GuestFaultError(LibvmError):
    """LIBVM_EGUEST: the guest faulted or stopped in a call (see ``.exit``)."""
    code = _ffi.LIBVM_EGUEST


class CallTimeoutError(LibvmError, builtins.TimeoutError):
    """LIBVM_ETIMEOUT: a call's time budget ran out (also a TimeoutError)."""
    code = _ffi.LIBVM_ETIMEOUT

    def __init__(self, *args: Any, **kw: Any) -> None:
        LibvmError.__init__(self, *args, **kw)
        self.args = (self.message,)


_BY_CODE: Dict[int, Type[LibvmError]] = {
    c.code: c for c in (
        InvalidArgumentError, NoKVMError, OutOfMemoryError, KVMError,
        VersionError, OverlapError, AddressRangeError, NotFoundError,
        BusyError, NotSupportedError, LibvmIOError, UnmappedAddressError,
        LimitError, StateError, ImageError, GuestFaultError,
        CallTimeoutError)}


def error_for(code: int, detail: Optional[str] = None, function: str = "",
              exit: Any = None) -> LibvmError:
    """The exception for ``code``; ``detail`` defaults to last_error()."""
    if detail is None:
        detail = last_error()
    cls = _BY_CODE.get(code, LibvmError)
    return cls(code, detail, function, exit)


def check(r: int, function: str, exit: Any = None) -> int:
    """Raise the matching LibvmError if ``r`` is negative, else return it."""
    if r < 0:
        raise error_for(r, function=function, exit=exit)
    return r
