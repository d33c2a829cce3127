#!/usr/bin/env python3
"""call: run the main() of a guest compiled from C (examples/guests/funcs.c)
and call its functions by name with Python ints and bytes; a guest crash
comes back as an exception and the VM takes the next call
(examples/call.c in Python)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python"))
import libvm  # noqa: E402


def fnv1a(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
    return h


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(libvm.guest_dir(), "funcs.elf")
    try:
        vm = libvm.VM.from_elf(path)
    except libvm.LibvmError as e:
        print(f"call: {e}", file=sys.stderr)
        return 1
    with vm:
        vm.console(lambda text: print("guest says:", text.decode(), end=""))
        ex = vm.run(timeout=5)
        print(f"main() ended: {ex.name}, code {ex.exit_code}")
        print("add(2, 40) =", vm.call("add", 2, 40, timeout=1))
        text = bytes(ord("a") + i % 26 for i in range(4096))
        print(f"fnv1a(4 KiB) = {vm.call('fnv1a', text, len(text)):016x} in "
              f"the guest, {fnv1a(text):016x} on the host")
        vm.hypercall(16, lambda vcpu, nr, args: args[0] + 1)
        print("twice_via_host(20) =", vm.call("twice_via_host", 20))
        try:
            vm.call("divide", 1, 0, timeout=1)
        except libvm.GuestFaultError as e:
            print(f"divide(1, 0): {type(e).__name__}: vector "
                  f"{e.exit.exception.vector}: {e.detail}")
        print("and the VM goes on: add(20, 22) =", vm.call("add", 20, 22))
    return 0


if __name__ == "__main__":
    sys.exit(main())
