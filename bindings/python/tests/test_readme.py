# SPDX-License-Identifier: MIT
"""Every ```python example of bindings/python/README.md runs as written.

Each block is a complete script, run in a fresh namespace; its output is
captured.  A block that needs KVM is skipped (not failed) where
libvm.NoKVMError says KVM cannot be opened.
"""
import contextlib
import io
import pathlib
import re
import unittest

import libvm

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def blocks():
    text = README.read_text()
    return re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


class ReadmeExamples(unittest.TestCase):
    def test_every_group_has_examples(self) -> None:
        self.assertGreaterEqual(len(blocks()), 8)

    def test_examples_run(self) -> None:
        for i, code in enumerate(blocks()):
            first = code.strip().splitlines()[-1]
            with self.subTest(block=i, last_line=first):
                out = io.StringIO()
                try:
                    with contextlib.redirect_stdout(out):
                        exec(compile(code, f"README.md block {i}", "exec"),
                             {"__name__": "__readme__"})
                except libvm.NoKVMError as e:
                    self.skipTest(f"block {i}: KVM not available: {e}")
                self.assertTrue(out.getvalue(), f"block {i} printed nothing")


if __name__ == "__main__":
    unittest.main()
