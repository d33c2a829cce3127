//! Safe Rust bindings for libvm, a library that runs virtual machines
//! inside your program on Linux KVM.
//!
//! ```no_run
//! use libvm::{Action, Direction, Exit, Vm};
//! use std::time::Duration;
//!
//! # fn main() -> libvm::Result<()> {
//! let vm = Vm::new()?;                          // ErrorKind::NoKvm without KVM
//! vm.map_anon(0, 0x10000, 0)?;
//! vm.write(0x1000, &[0xb0, b'!', 0xe6, 0x10, 0xf4])?; // mov al,'!'; out 0x10,al; hlt
//! vm.trap_pio(0x10, 1, |a| {
//!     if a.direction == Direction::Write {
//!         print!("{}", a.data[0] as char);
//!     }
//!     Action::Continue
//! })?;
//! let mut vcpu = vm.vcpu(0)?;
//! vcpu.set_real_mode(0, 0x1000, 0)?;
//! assert_eq!(vcpu.run(Some(Duration::from_secs(1)))?, Exit::Hlt);
//! # Ok(()) }
//! ```
//!
//! Ownership: a [`Vm`] owns its memory, its handlers (the closures) and
//! its vCPUs; a [`Vcpu`] borrows its `Vm`, so the VM outlives every vCPU.
//! An [`Image`] is a host-side description, independent of the VM.
//! Closures and [`DeviceState`]s are reference counted: a [`Snapshot`]
//! keeps those its VM had registered, and a fork ([`Vm::fork`]) shares
//! them, so no handler is freed while a VM can still call it.  Memory the
//! program maps into a guest is a [`HostMemory`], which every VM mapping
//! it keeps alive.  None of this needs `unsafe` in the program.
//!
//! Threading (ABI.md): `Vm` is `Send + Sync` and its `&self` methods are
//! the calls libvm allows concurrently with running vCPUs; `Vcpu` is
//! `Send` but not `Sync`; a [`CancelHandle`] stops a vCPU from any thread.
//!
//! These rules are checked by the compiler.  A vCPU cannot outlive its VM:
//!
//! ```compile_fail
//! let vcpu = {
//!     let vm = libvm::Vm::new().unwrap();
//!     vm.vcpu(0).unwrap()
//! };
//! ```
//!
//! A vCPU is not `Sync`:
//!
//! ```compile_fail
//! fn sync<T: Sync>() {}
//! sync::<libvm::Vcpu<'static>>();
//! ```
//!
//! A slice into guest RAM keeps the VM mutably borrowed, so no vCPU can be
//! created (or run) while it lives:
//!
//! ```compile_fail
//! let mut vm = libvm::Vm::new().unwrap();
//! let ram = vm.mem_mut(0, 16).unwrap();
//! let vcpu = vm.vcpu(0).unwrap();
//! ram[0] = 1;
//! ```

mod device;
mod error;
mod exit;
mod handler;
mod host;
mod image;
mod snapshot;
mod vcpu;
mod vm;

pub use libvm_sys as sys;

pub use device::{DeviceState, DeviceStateGuard};
pub use error::{last_error, strerror, version, version_num, Error, ErrorKind, Result};
pub use exit::{exit_reason_name, Direction, Exit, Space};
pub use handler::{Access, Action, HandlerMem, Hypercall};
pub use host::{HostMemory, PAGE_SIZE};
pub use image::Image;
pub use snapshot::{FuzzOutcome, FuzzResult, Snapshot};
pub use vcpu::{Arg, CancelHandle, CpuidEntry, Dtable, Fpu, Regs, Segment, Sregs, Vcpu};
pub use vm::{LongMode, Translation, Vm, VmConfig};

/// Region flags for [`Vm::map_anon`], [`Vm::map_fd`] and [`Vm::map_host`].
pub mod mem_flags {
    /// Guest writes exit as MMIO.
    pub const READONLY: u32 = libvm_sys::LIBVM_MEM_READONLY;
    /// Anonymous memory with 2 MiB pages.
    pub const HUGEPAGES: u32 = libvm_sys::LIBVM_MEM_HUGEPAGES;
    /// Not part of snapshots (e.g. a coverage map shared with the host).
    pub const VOLATILE: u32 = libvm_sys::LIBVM_MEM_VOLATILE;
}

/// Bytes of guest RAM [`Vm::long_mode_setup`] takes (`LIBVM_SYS_SIZE`).
pub const SYS_SIZE: u64 = libvm_sys::LIBVM_SYS_SIZE;
/// First hypercall number free for programs (`LIBVM_HC_USER`).
pub const HC_USER: u32 = libvm_sys::LIBVM_HC_USER;
/// Place image segments at their virtual addresses (`LIBVM_LOAD_VADDR`).
pub const LOAD_VADDR: u32 = libvm_sys::LIBVM_LOAD_VADDR;

/// What the host offers (`libvm_host_info`).
#[derive(Debug, Clone)]
pub struct HostInfo {
    pub kvm_api_version: u32,
    /// `LIBVM_HOST_*` bits.
    pub caps: u64,
    /// `LIBVM_SUPERVISOR_*`.
    pub supervisor: u32,
    pub max_vcpus: u32,
    pub max_memslots: u32,
    pub phys_bits: u32,
    /// "vmx", "svm", "pvm" or "unknown".
    pub backend: String,
    pub xsave_size: u32,
}

/// `libvm_host_query`.  Without KVM the error is `ErrorKind::NoKvm` and
/// the second element still has `backend` and `supervisor` filled.
pub fn host_query(kvm_path: Option<&std::path::Path>) -> (HostInfo, Result<()>) {
    use std::os::unix::ffi::OsStrExt;
    let path = kvm_path.map(|p| std::ffi::CString::new(p.as_os_str().as_bytes()));
    let mut raw = sys::libvm_host_info::default();
    let r = match &path {
        Some(Err(_)) => Err(Error::new(ErrorKind::InvalidArgument, "KVM path contains NUL")),
        // SAFETY: out-pointer and optional path valid for the call.
        _ => error::check(unsafe {
            sys::libvm_host_query(&mut raw, path.as_ref().and_then(|p| p.as_ref().ok()).map_or(std::ptr::null(), |p| p.as_ptr()))
        }),
    };
    let backend: Vec<u8> = raw.backend.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    let info = HostInfo {
        kvm_api_version: raw.kvm_api_version,
        caps: raw.caps,
        supervisor: raw.supervisor,
        max_vcpus: raw.max_vcpus,
        max_memslots: raw.max_memslots,
        phys_bits: raw.phys_bits,
        backend: String::from_utf8_lossy(&backend).into_owned(),
        xsave_size: raw.xsave_size,
    };
    (info, r)
}
