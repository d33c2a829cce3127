# SPDX-License-Identifier: MIT
"""The binding against the C headers: functions (names, argument counts and
widths), constants and struct layouts.  Any drift fails `make check`.

Layouts and constant values come from build/tests/abi-dump (tests/abi/
abi_dump.c, built by the Makefile; $LIBVM_ABI_DUMP overrides), the list of
names from parsing include/libvm/*.h (guest.h excluded: guest side only).
"""
from __future__ import annotations

import ctypes
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from typing import Dict, List, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from libvm import _ffi  # noqa: E402

ROOT = _ffi.repo_root()
HEADERS = sorted(p for p in (ROOT / "include" / "libvm").glob("*.h")
                 if p.name != "guest.h")


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def header_functions() -> Dict[str, Tuple[str, List[str]]]:
    """name -> (return type, [parameter declarations]) of LIBVM_API decls."""
    out = {}
    for h in HEADERS:
        text = _strip_comments(h.read_text())
        for m in re.finditer(r"LIBVM_API\s+([^;{]*?)\b(libvm_\w+)\s*"
                             r"\(([^)]*)\)\s*;", text, re.S):
            ret, name, params = m.groups()
            ps = [" ".join(p.split()) for p in params.split(",")]
            if ps == ["void"]:
                ps = []
            out[name] = (" ".join(ret.split()), ps)
    return out


def header_constants() -> List[str]:
    names = []
    for h in HEADERS:
        text = _strip_comments(h.read_text())
        for m in re.finditer(r"^\s*#\s*define\s+(LIBVM_\w+)(\(?)", text,
                             re.M):
            name, fnlike = m.groups()
            if fnlike or name.endswith("_H") or name.endswith("_INIT") or \
                    name in ("LIBVM_API", "LIBVM_VERSION_STRING"):
                continue
            names.append(name)
        for body in re.findall(r"\benum\s+\w*\s*\{([^}]*)\}", text):
            names += re.findall(r"\b(LIBVM_\w+)\s*=", body)
    return names


def header_structs() -> List[str]:
    """Structs the headers define: typedef'd ones and those known only by
    their tag (cmplog.h's, shared with the guest)."""
    names = []
    for h in HEADERS:
        names += re.findall(r"\bstruct\s+(libvm_\w+)\s*\{",
                            _strip_comments(h.read_text()))
    return names


def abi_dump() -> dict:
    exe = os.environ.get("LIBVM_ABI_DUMP") or str(
        ROOT / "build" / "tests" / "abi-dump")
    src = ROOT / "tests" / "abi" / "abi_dump.c"
    if not os.access(exe, os.X_OK):
        cc = shutil.which(os.environ.get("CC", "cc"))
        if cc is None:
            raise unittest.SkipTest(f"no {exe} and no C compiler to build it")
        tmp = tempfile.mkdtemp()
        exe = os.path.join(tmp, "abi-dump")
        subprocess.run([cc, "-std=gnu11", "-I", str(ROOT / "include"),
                        str(src), "-o", exe], check=True)
    out = subprocess.run([exe], check=True, capture_output=True,
                         text=True).stdout
    return parse_dump(out)


def parse_dump(out: str) -> dict:
    """Read abi-dump's output: JSON, or one fact a line ("size S n",
    "offset S path n", "const NAME v", "string NAME text")."""
    if out.lstrip().startswith("{"):
        return json.loads(out)
    d: dict = {"structs": {}, "constants": {}, "strings": {}}
    for line in out.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "size":
            s, n = rest.split()
            d["structs"].setdefault(s, {"fields": {}})["size"] = int(n)
        elif kind == "offset":
            s, path, n = rest.split()
            d["structs"].setdefault(s, {"fields": {}})["fields"][path] = \
                [int(n), None]
        elif kind == "const":
            name, v = rest.split()
            d["constants"][name] = int(v, 0)
        elif kind == "string":
            name, _, v = rest.partition(" ")
            d["strings"][name] = v
    return d


# Width in bytes of the C scalar types used at the boundary.
C_WIDTH = {"uint8_t": 1, "uint16_t": 2, "uint32_t": 4, "int32_t": 4,
           "int": 4, "uint64_t": 8, "int64_t": 8, "size_t": 8}


def _c_param_width(decl: str) -> int:
    """Size of a parameter as passed: 8 for pointers, else the scalar's."""
    if "*" in decl or "[" in decl or re.search(r"\blibvm_\w+_fn\b", decl):
        return ctypes.sizeof(ctypes.c_void_p)
    words = [w for w in re.findall(r"\w+", decl) if w != "const"]
    t = words[0]
    if t not in C_WIDTH:
        raise AssertionError(f"unknown C type in parameter {decl!r}")
    return C_WIDTH[t]


def _field(cls: type, path: str) -> Tuple[int, int]:
    """Offset and size of a dotted field path of a ctypes struct."""
    off = 0
    for part in path.split("."):
        desc = getattr(cls, part)
        off += desc.offset
        cls = dict(cls._fields_)[part]
    return off, ctypes.sizeof(cls)


class FunctionsTest(unittest.TestCase):
    def test_every_header_function_is_declared(self) -> None:
        hdr = header_functions()
        self.assertGreater(len(hdr), 50)
        missing = sorted(set(hdr) - set(_ffi.FUNCTIONS))
        self.assertEqual(missing, [], "functions the binding lacks")
        extra = sorted(set(_ffi.FUNCTIONS) - set(hdr))
        self.assertEqual(extra, [], "functions no header declares")

    def test_argument_counts_and_widths(self) -> None:
        for name, (ret, params) in header_functions().items():
            with self.subTest(name):
                restype, argtypes = _ffi.FUNCTIONS[name]
                self.assertEqual(len(argtypes), len(params),
                                 f"{name}: argument count")
                for i, (p, t) in enumerate(zip(params, argtypes)):
                    self.assertEqual(ctypes.sizeof(t), _c_param_width(p),
                                     f"{name} argument {i} ({p})")
                if ret == "void":
                    self.assertIsNone(restype, name)
                elif "*" in ret:
                    self.assertIn(restype, (ctypes.c_void_p,
                                            ctypes.c_char_p), name)
                else:
                    self.assertEqual(ctypes.sizeof(restype),
                                     C_WIDTH[ret.split()[-1]], name)

    def test_declared_functions_are_exported(self) -> None:
        """What the library has must carry the declared prototypes (the
        snapshot functions may be absent from an older library)."""
        lib = _ffi.load()
        for name, (res, args) in _ffi.FUNCTIONS.items():
            if _ffi.has(name):
                fn = getattr(lib, name)
                self.assertEqual(fn.argtypes, args, name)


class ConstantsTest(unittest.TestCase):
    dump: dict

    @classmethod
    def setUpClass(cls) -> None:
        cls.dump = abi_dump()

    def test_header_constants_in_dump(self) -> None:
        missing = [n for n in header_constants()
                   if n not in self.dump["constants"]]
        self.assertEqual(missing, [],
                         "constants tests/abi/abi_dump.c must print")

    def test_constant_values(self) -> None:
        for name, value in self.dump["constants"].items():
            with self.subTest(name):
                self.assertTrue(hasattr(_ffi, name), f"binding lacks {name}")
                self.assertEqual(getattr(_ffi, name), value, name)
        for name, value in self.dump.get("strings", {}).items():
            self.assertEqual(getattr(_ffi, name, None), value, name)

    def test_header_structs_in_dump(self) -> None:
        missing = [n for n in header_structs()
                   if n not in self.dump["structs"]]
        self.assertEqual(missing, [], "structs abi_dump.c must print")

    def test_struct_layouts(self) -> None:
        for name, info in self.dump["structs"].items():
            with self.subTest(name):
                self.assertIn(name, _ffi.STRUCTS, f"binding lacks {name}")
                cls = _ffi.STRUCTS[name]
                self.assertEqual(ctypes.sizeof(cls), info["size"], name)
                if "align" in info:
                    self.assertEqual(ctypes.alignment(cls), info["align"],
                                     name)
                for path, (off, size) in info["fields"].items():
                    got_off, got_size = _field(cls, path)
                    self.assertEqual(got_off, off, f"{name}.{path} offset")
                    if size is not None:
                        self.assertEqual(got_size, size,
                                         f"{name}.{path} size")
                top = {p.split(".")[0] for p in info["fields"]}
                self.assertEqual(top, {f[0] for f in cls._fields_},
                                 f"{name}: field names")


if __name__ == "__main__":
    unittest.main()
