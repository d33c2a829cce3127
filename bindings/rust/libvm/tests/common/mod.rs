#![allow(dead_code)]
//! Shared helpers of the libvm tests.

use std::path::PathBuf;

use libvm::Vm;

/// A VM, or None (with a printed note) when KVM is unavailable.  Any other
/// failure fails the test.
pub fn vm_or_skip(test: &str) -> Option<Vm> {
    match Vm::new() {
        Ok(vm) => Some(vm),
        Err(e) if e.is_no_kvm() => {
            eprintln!("SKIP {test}: {e}");
            None
        }
        Err(e) => panic!("{test}: Vm::new: {e}"),
    }
}

/// Where the Makefile puts guest programs (LIBVM_GUEST_DIR overrides).
pub fn guest(name: &str) -> PathBuf {
    let dir = std::env::var_os("LIBVM_GUEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build/guests"));
    let p = dir.join(name);
    assert!(p.exists(), "{} missing: run `make all` first", p.display());
    p
}

/// Real-mode guest of examples/hello.c at 0x1000: writes a NUL-terminated
/// message to port 0x3f8 byte by byte, then HLT.
pub fn hello_code() -> Vec<u8> {
    let mut c = vec![
        0xba, 0xf8, 0x03, // mov $0x3f8, %dx
        0xbe, 0x0f, 0x10, // mov $0x100f, %si
        0xac, // 1: lodsb
        0x84, 0xc0, // test %al, %al
        0x74, 0x03, // jz 2f
        0xee, // out %al, (%dx)
        0xeb, 0xf8, // jmp 1b
        0xf4, // 2: hlt
    ];
    c.extend_from_slice(b"Hello from the guest!\n\0");
    c
}
