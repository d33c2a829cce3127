//! Snapshots: take, in-place restore, files, and the reset-per-input
//! fuzzing helper (`<libvm/snapshot.h>`).
//!
//! Taking and restoring need every vCPU of the VM stopped.  The wrapper
//! makes that sound with a per-VM run lock: `Vcpu::run` and `Vcpu::call`
//! hold it shared, these calls hold it exclusively (so they wait for runs
//! in progress; from inside a handler they fail with `ErrorKind::Busy`).
//!
//! libvm copies a VM's trap, hypercall, console and device-state
//! registrations into each snapshot, pointers and all, and a fork
//! (`libvm_vm_fork`) registers them in the new VM.  So a [`Snapshot`]
//! holds references to the closures and device states it points at (taken
//! under the VM's registration lock, so they match libvm's copy exactly)
//! and hands them to every fork; see handler.rs and device.rs.  A snapshot
//! loaded from a file points at nothing.

use std::ffi::CString;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::time::Duration;

use libvm_sys as sys;

use crate::device;
use crate::error::{check, Error, ErrorKind, Result};
use crate::exit::Exit;
use crate::handler;
use crate::vm::Registrations;
use crate::Vm;

/// A snapshot of a whole VM (`libvm_snapshot`): memory, vCPUs, irqchip,
/// PIT and device states.  Independent of the VM it came from (either may
/// be dropped first); it keeps the closures and device states that VM had
/// registered alive for the forks made from it.  `Send`, not `Sync`.
pub struct Snapshot {
    raw: NonNull<sys::libvm_snapshot>,
    regs: Registrations,
}

// SAFETY: a snapshot is a self-contained object; libvm does not tie it to
// a thread.  Not Sync: concurrent use is not documented as safe.
unsafe impl Send for Snapshot {}

fn c_path(p: &Path) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("path {p:?} contains NUL")))
}

impl Snapshot {
    /// The raw handle; it stays owned by `self`.
    pub fn as_raw(&self) -> *mut sys::libvm_snapshot {
        self.raw.as_ptr()
    }

    /// Write the snapshot to `path` (atomically: path.tmp, then rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let p = c_path(path.as_ref())?;
        // SAFETY: valid handle and string.
        check(unsafe { sys::libvm_snapshot_save(self.as_raw(), p.as_ptr()) })
    }

    /// Read a snapshot file (checked completely before it returns).
    pub fn load(path: impl AsRef<Path>) -> Result<Snapshot> {
        let p = c_path(path.as_ref())?;
        let mut raw = ptr::null_mut();
        // SAFETY: valid string and out-pointer.
        check(unsafe { sys::libvm_snapshot_load(&mut raw, p.as_ptr()) })?;
        Ok(Snapshot {
            raw: NonNull::new(raw).expect("libvm_snapshot_load returned NULL"),
            regs: Registrations::default(),
        })
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        // SAFETY: we own it.
        unsafe { sys::libvm_snapshot_destroy(self.raw.as_ptr()) }
    }
}

/// How one [`Vm::fuzz_exec`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzOutcome {
    /// The function returned.
    Ok,
    /// Guest exception.
    Crash,
    /// Shutdown.
    TripleFault,
    /// The time budget ran out.
    Timeout,
    /// The guest called `libvm_guest_report_bug`.
    Bug,
    /// A handler stopped the run, or anything else.
    Stopped,
    /// An outcome this crate does not know.
    Other(u32),
}

/// The result of [`Vm::fuzz_exec`].
#[derive(Debug, Clone)]
pub struct FuzzResult {
    pub outcome: FuzzOutcome,
    /// The function's return value (`FuzzOutcome::Ok`).
    pub ret: u64,
    /// How the run ended.
    pub exit: Exit,
    /// The input was longer than `input_cap`: the guest got its first
    /// `input_cap` bytes.
    pub truncated: bool,
}

impl Vm {
    fn exclusive(&self, what: &str) -> Result<std::sync::RwLockWriteGuard<'_, ()>> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, format!("{what} from inside a handler")));
        }
        Ok(self.run_lock.write().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Snapshot the VM: memory, every vCPU, irqchip, PIT, device states.
    /// Waits for runs in progress on other threads to return.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let _g = self.exclusive("snapshot")?;
        // Registrations cannot change until libvm has copied them.
        let _r = self.reg_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let regs = self.registrations();
        let _shadows = device::lock_shadows(self.devs.values());
        let mut raw = ptr::null_mut();
        // SAFETY: no vCPU of this VM runs while we hold the run lock; the
        // device shadows are locked and hold the current states.
        check(unsafe { sys::libvm_snapshot_take(&mut raw, self.as_raw()) })?;
        Ok(Snapshot { raw: NonNull::new(raw).expect("libvm_snapshot_take returned NULL"), regs })
    }

    /// Bring the VM back to `snap` (rewrites only pages dirtied since):
    /// memory, vCPUs, irqchip, PIT, and the device states registered on
    /// this VM that the snapshot has (then every restored hook runs).  The
    /// VM must have the snapshot's memory layout and vCPUs.  Its
    /// registrations stay as they are.
    pub fn restore(&self, snap: &Snapshot) -> Result<()> {
        let _g = self.exclusive("restore")?;
        let _shadows = device::lock_shadows(self.devs.values());
        // SAFETY: no vCPU runs; no slice into guest RAM exists (those need
        // &mut Vm); the shadows of this VM's device states are locked.
        let (r, panic) =
            handler::around_run(ptr::null_mut(), || unsafe { sys::libvm_snapshot_restore(self.as_raw(), snap.as_raw()) });
        check(r)?;
        match panic {
            Some(msg) => Err(Error::new(ErrorKind::HandlerPanic, msg)),
            None => Ok(()),
        }
    }

    /// A new VM from `snap` (`libvm_vm_fork`): the snapshot's
    /// configuration, memory layout, vCPUs ([`Vm::existing_vcpu`]),
    /// long-mode runtime and registrations.  Its memory starts as the
    /// snapshot's, shared copy-on-write: a fork costs what it writes, and
    /// no write is seen by another fork or by the VM the snapshot came
    /// from.
    ///
    /// The fork shares the closures and [`DeviceState`](crate::DeviceState)s
    /// of the snapshot (those the source VM had registered when the
    /// snapshot was taken; none for a snapshot loaded from a file), as
    /// libvm does.  Forking restores the snapshot's device states into
    /// those shared states.  To run forks side by side with devices of
    /// their own, replace the inherited ones on each fork
    /// ([`Vm::remove_device_state`], [`Vm::device_state`], [`Vm::untrap`],
    /// [`Vm::trap`], ...).
    pub fn fork(snap: &Snapshot) -> Result<Vm> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, "fork from inside a handler"));
        }
        let _shadows = device::lock_shadows(snap.regs.devs.values());
        let mut raw = ptr::null_mut();
        // SAFETY: the snapshot's registrations (which libvm gives the new
        // VM) are alive in snap.regs and their shadows locked.
        let (r, panic) = handler::around_run(ptr::null_mut(), || unsafe { sys::libvm_vm_fork(&mut raw, snap.as_raw()) });
        check(r)?;
        // The new VM points at exactly the snapshot's registrations.
        let vm = Vm::from_raw(raw, snap.regs.clone());
        match panic {
            Some(msg) => Err(Error::new(ErrorKind::HandlerPanic, msg)),
            None => Ok(vm),
        }
    }

    /// True when a run or call ended in a way that leaves the VM unfit for
    /// more work, until the next restore.
    pub fn needs_restore(&self) -> bool {
        // SAFETY: valid handle; reads a flag.
        unsafe { sys::libvm_vm_needs_restore(self.as_raw()) > 0 }
    }

    /// One fuzzing execution: restore `snap`, copy `input` to `input_gpa`
    /// (at most `input_cap` bytes), call `func(input_gpa, len)` on vCPU 0
    /// with the time budget, and classify the outcome.  `Err` only when
    /// libvm failed or a handler panicked.
    pub fn fuzz_exec(
        &self,
        snap: &Snapshot,
        func: u64,
        input_gpa: u64,
        input_cap: u64,
        input: &[u8],
        timeout: Option<Duration>,
    ) -> Result<FuzzResult> {
        let _g = self.exclusive("fuzz_exec")?;
        // Held through the call: handlers lock device states, never shadows.
        let _shadows = device::lock_shadows(self.devs.values());
        let mut res = sys::libvm_fuzz_result::default();
        let ns = timeout.map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1));
        // SAFETY: vCPU 0 (if any) is owned by the VM; no run is in progress.
        let v0 = unsafe { sys::libvm_vm_vcpu(self.as_raw(), 0) };
        let (r, panic) = handler::around_run(v0, || unsafe {
            // SAFETY: all pointers valid for the call; input for its length.
            sys::libvm_fuzz_exec(
                &mut res,
                self.as_raw(),
                snap.as_raw(),
                func,
                input_gpa,
                input_cap,
                input.as_ptr().cast(),
                input.len() as u64,
                ns,
            )
        });
        check(r)?;
        // SAFETY: res.exit was filled by the run inside libvm_fuzz_exec.
        let exit = unsafe { Exit::from_raw(&res.exit) };
        if let Some(msg) = panic {
            return Err(Error::new(ErrorKind::HandlerPanic, msg).with_exit(exit));
        }
        let outcome = match res.outcome {
            sys::LIBVM_FUZZ_OK => FuzzOutcome::Ok,
            sys::LIBVM_FUZZ_CRASH => FuzzOutcome::Crash,
            sys::LIBVM_FUZZ_TRIPLE_FAULT => FuzzOutcome::TripleFault,
            sys::LIBVM_FUZZ_TIMEOUT => FuzzOutcome::Timeout,
            sys::LIBVM_FUZZ_BUG => FuzzOutcome::Bug,
            sys::LIBVM_FUZZ_STOPPED => FuzzOutcome::Stopped,
            n => FuzzOutcome::Other(n),
        };
        let truncated = res.flags & sys::LIBVM_FUZZ_TRUNCATED != 0;
        Ok(FuzzResult { outcome, ret: res.ret, exit, truncated })
    }
}
