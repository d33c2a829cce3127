#!/usr/bin/env python3
"""hello: a real-mode guest prints through a port-I/O device whose handler
is a Python function (examples/hello.c in Python)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python"))
import libvm  # noqa: E402

# mov $0x3f8,%dx; mov $msg,%si; 1: lodsb; test %al,%al; jz 2f;
# out %al,(%dx); jmp 1b; 2: hlt; msg: .asciz "..."
GUEST = bytes.fromhex("baf803be0f10ac84c07403eeebf8f4") + \
    b"Hello from the guest!\n\0"


def console(vcpu: libvm.VCpu, port: int, data: memoryview,
            direction: int) -> None:
    if direction == libvm.WRITE:
        sys.stdout.write(bytes(data).decode())


def main() -> int:
    try:
        vm = libvm.VM()
    except libvm.NoKVMError as e:
        print(f"hello: {e}", file=sys.stderr)
        return 1
    with vm:
        vm.map_anon(0, 0x10000)
        vm.write(0x1000, GUEST)
        vm.on_pio(0x3f8, 1, console)
        vcpu = vm.create_vcpu(0)
        vcpu.set_real_mode(0, 0x1000, 0)
        ex = vcpu.run(timeout=1.0)
        print(f"guest stopped: {ex.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
