# SPDX-License-Identifier: MIT
"""A minimal PEP 517 build backend using only the standard library.

The package is pure Python (it loads libvm.so through ctypes), so a wheel is
just the libvm/ sources plus metadata.  This keeps `pip install` working on
machines without network access or setuptools.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import pathlib
import tarfile
import zipfile
from typing import Dict, List, Optional

HERE = pathlib.Path(__file__).resolve().parent
NAME, VERSION = "libvm", "1.0.0"
DIST = f"{NAME}-{VERSION}"
TAG = "py3-none-any"


def _metadata() -> str:
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else ""
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: Python binding (ctypes) of libvm, a hypervisor "
            "library on Linux KVM\nLicense: MIT\nRequires-Python: >=3.8\n"
            "Description-Content-Type: text/markdown\n\n" + text)


def _files() -> List[pathlib.Path]:
    return sorted(p for p in (HERE / NAME).rglob("*.py"))


def _hash(data: bytes) -> str:
    d = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()


def _wheel(wheel_directory: str, editable: bool) -> str:
    info = f"{DIST}.dist-info"
    entries: Dict[str, bytes] = {}
    if editable:
        entries[f"__editable__.{NAME}.pth"] = (str(HERE) + "\n").encode()
    else:
        for p in _files():
            entries[p.relative_to(HERE).as_posix()] = p.read_bytes()
    entries[f"{info}/METADATA"] = _metadata().encode()
    entries[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: libvm-build\nRoot-Is-Purelib: true\n"
        f"Tag: {TAG}\n").encode()
    entries[f"{info}/top_level.txt"] = f"{NAME}\n".encode()
    record = "".join(f"{n},{_hash(d)},{len(d)}\n" for n, d in entries.items())
    record += f"{info}/RECORD,,\n"
    entries[f"{info}/RECORD"] = record.encode()
    fn = f"{DIST}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, fn), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for n, d in entries.items():
            z.writestr(n, d)
    return fn


def get_requires_for_build_wheel(config_settings: Optional[dict] = None
                                 ) -> List[str]:
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None,
                metadata_directory: Optional[str] = None) -> str:
    return _wheel(wheel_directory, editable=False)


def build_editable(wheel_directory: str,
                   config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    return _wheel(wheel_directory, editable=True)


def build_sdist(sdist_directory: str,
                config_settings: Optional[dict] = None) -> str:
    fn = f"{DIST}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, fn), "w:gz") as t:
        for p in _files() + [HERE / "pyproject.toml", HERE / "_build.py",
                             HERE / "README.md"]:
            if p.exists():
                t.add(p, arcname=f"{DIST}/{p.relative_to(HERE).as_posix()}")
        pkg = _metadata().encode()
        ti = tarfile.TarInfo(f"{DIST}/PKG-INFO")
        ti.size = len(pkg)
        t.addfile(ti, io.BytesIO(pkg))
    return fn
