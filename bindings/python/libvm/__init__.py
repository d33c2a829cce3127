# SPDX-License-Identifier: MIT
"""libvm: run KVM virtual machines from Python (a ctypes binding of libvm).

Quick tour::

    import libvm

    with libvm.VM() as vm:
        vm.map_anon(0, 0x10000)
        vm.write(0x1000, code)
        vm.on_pio(0x3f8, 1, lambda vcpu, port, data, d: print(bytes(data)))
        vcpu = vm.create_vcpu(0)
        vcpu.set_real_mode(0, 0x1000, 0)
        print(vcpu.run(timeout=1.0).name)

    with libvm.VM.from_elf("build/guests/funcs.elf") as vm:
        vm.run()                          # main()
        vm.call("add", 2, 40)             # 42
        vm.call("fnv1a", b"data", 4)      # bytes go through scratch memory

The shared library is found through $LIBVM_LIBRARY, then the build tree
(build/lib/libvm.so.1 next to this package's source), then the system.
Every ``LIBVM_*`` constant is available without its prefix
(``libvm.TRAP_PIO``, ``libvm.MEM_READONLY``, ``libvm.EXIT_HLT``) and with it
in :mod:`libvm._ffi`.
"""
from __future__ import annotations

from . import _ffi
from ._core import *  # noqa: F401,F403
from ._core import __all__ as _core_all
from ._ffi import LibraryNotFoundError
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all

for _name in dir(_ffi):
    if _name.startswith("LIBVM_"):
        globals()[_name[len("LIBVM_"):]] = getattr(_ffi, _name)
del _name

__version__ = _ffi.LIBVM_VERSION_STRING


def library_path() -> str:
    """Path of the libvm shared library in use (loads it if needed)."""
    return _ffi.load()._libvm_path  # type: ignore[attr-defined]


__all__ = list(_core_all) + list(_errors_all) + [
    "LibraryNotFoundError", "library_path"]
