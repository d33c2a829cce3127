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
//!
//! Handlers own what they use (`'static`): a closure cannot borrow data
//! that may die before the VM, its snapshots or its forks call it:
//!
//! ```compile_fail
//! let vm = libvm::Vm::new().unwrap();
//! let hits = std::sync::atomic::AtomicU64::new(0);
//! vm.trap_pio(0x10, 1, |_| {
//!     hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
//!     libvm::Action::Continue
//! })
//! .unwrap();
//! ```
//!
//! The vCPUs of a fork borrow the fork:
//!
//! ```compile_fail
//! fn first_vcpu(snap: &libvm::Snapshot) -> libvm::Vcpu<'static> {
//!     let fork = libvm::Vm::fork(snap).unwrap();
//!     fork.existing_vcpu(0).unwrap()
//! }
//! ```
//!
//! A snapshot is `Send` but not `Sync` (fork on one thread, then move the
//! forks):
//!
//! ```compile_fail
//! fn sync<T: Sync>() {}
//! sync::<libvm::Snapshot>();
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

/// Bits of [`HostInfo::caps`] (`LIBVM_HOST_*`).
pub mod host_caps {
    use libvm_sys as sys;
    pub const SYNC_REGS: u64 = sys::LIBVM_HOST_SYNC_REGS;
    pub const IRQCHIP: u64 = sys::LIBVM_HOST_IRQCHIP;
    pub const PIT: u64 = sys::LIBVM_HOST_PIT;
    pub const READONLY_MEM: u64 = sys::LIBVM_HOST_READONLY_MEM;
    pub const IMMEDIATE_EXIT: u64 = sys::LIBVM_HOST_IMMEDIATE_EXIT;
    pub const XSAVE: u64 = sys::LIBVM_HOST_XSAVE;
    pub const XCRS: u64 = sys::LIBVM_HOST_XCRS;
    pub const DIRTY_LOG_PROTECT: u64 = sys::LIBVM_HOST_DIRTY_LOG_PROTECT;
    pub const DIRTY_RING: u64 = sys::LIBVM_HOST_DIRTY_RING;
    pub const IOEVENTFD: u64 = sys::LIBVM_HOST_IOEVENTFD;
    pub const IRQFD: u64 = sys::LIBVM_HOST_IRQFD;
    pub const GUEST_DEBUG: u64 = sys::LIBVM_HOST_GUEST_DEBUG;
    pub const USER_MSR_EXIT: u64 = sys::LIBVM_HOST_USER_MSR_EXIT;
    /// hugetlbfs pages are free.
    pub const HUGEPAGES: u64 = sys::LIBVM_HOST_HUGEPAGES;
}

/// Values of [`HostInfo::supervisor`] (`LIBVM_SUPERVISOR_*`).
pub mod supervisor {
    pub const UNKNOWN: u32 = libvm_sys::LIBVM_SUPERVISOR_UNKNOWN;
    /// VT-x / AMD-V.
    pub const NATIVE: u32 = libvm_sys::LIBVM_SUPERVISOR_NATIVE;
    /// PVM: CPL0 code is emulated.
    pub const EMULATED: u32 = libvm_sys::LIBVM_SUPERVISOR_EMULATED;
}

/// Bits of [`Translation::flags`] (`LIBVM_PTE_*`).
pub mod pte_flags {
    pub const WRITABLE: u32 = libvm_sys::LIBVM_PTE_WRITABLE;
    pub const USER: u32 = libvm_sys::LIBVM_PTE_USER;
    pub const NX: u32 = libvm_sys::LIBVM_PTE_NX;
}

/// vCPUs (ids 0..16) that can enter the long-mode environment
/// (`LIBVM_LONG_MAX_VCPUS`).
pub const LONG_MAX_VCPUS: u32 = libvm_sys::LIBVM_LONG_MAX_VCPUS;

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
    // SAFETY: raw is a writable libvm_host_info.
    unsafe { sys::libvm_host_info_init(&mut raw, sys::LIBVM_HOST_INFO_VERSION) };
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
