//! vCPUs: registers, modes, the run loop, guest calls and cancellation.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use libvm_sys as sys;

use crate::error::{check, Error, ErrorKind, Result};
use crate::exit::{self, Exit};
use crate::handler;
use crate::{Image, Vm};

/// x86 general registers (`libvm_regs`, KVM's layout).
pub type Regs = sys::libvm_regs;
/// Segment, control and descriptor-table registers (`libvm_sregs`).
pub type Sregs = sys::libvm_sregs;
/// A segment register (`libvm_segment`).
pub type Segment = sys::libvm_segment;
/// A descriptor table register (`libvm_dtable`).
pub type Dtable = sys::libvm_dtable;
/// x87/SSE state (`libvm_fpu`).
pub type Fpu = sys::libvm_fpu;
/// One CPUID leaf (`libvm_cpuid_entry`).
pub type CpuidEntry = sys::libvm_cpuid_entry;

struct RawVcpu(*mut sys::libvm_vcpu);
// SAFETY: only used for libvm_vcpu_cancel, which is thread-safe.
unsafe impl Send for RawVcpu {}
unsafe impl Sync for RawVcpu {}

/// The shared part of a vCPU's cancel handles: the handle pointer, cleared
/// (under the write lock) before the vCPU is destroyed.
pub(crate) struct CancelInner(RwLock<Option<RawVcpu>>);

impl CancelInner {
    pub(crate) fn invalidate(&self) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Stops a vCPU from any thread (`libvm_vcpu_cancel`).  Cheap to clone;
/// `Send` and `Sync`.  Once the vCPU is destroyed the handle does nothing
/// and [`CancelHandle::cancel`] returns `false`.
#[derive(Clone)]
pub struct CancelHandle(Arc<CancelInner>);

impl CancelHandle {
    /// A run in progress returns `Exit::Cancelled` soon; if none is in
    /// progress the next run returns it at once.  `false` if the vCPU no
    /// longer exists.  Not async-signal-safe.
    pub fn cancel(&self) -> bool {
        let g = self.0 .0.read().unwrap_or_else(PoisonError::into_inner);
        match &*g {
            Some(v) => {
                // SAFETY: the vCPU cannot be destroyed while we hold the
                // read lock; cancel may race with a run.
                unsafe { sys::libvm_vcpu_cancel(v.0) };
                true
            }
            None => false,
        }
    }
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelHandle")
    }
}

fn timeout_ns(t: Option<Duration>) -> u64 {
    match t {
        None => 0,
        Some(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1),
    }
}

/// A virtual CPU (`libvm_vcpu`), borrowing the [`Vm`] it belongs to.
///
/// The handle is the only way to the vCPU: a VM gives out at most one per
/// vCPU at a time.  Dropping it leaves the vCPU in the VM (KVM cannot
/// create the same id twice), to be taken up again with
/// [`Vm::existing_vcpu`]; [`Vcpu::destroy`] removes it; the VM destroys
/// the rest when it is dropped.
///
/// `Send` (it may move between threads, e.g. into `std::thread::scope`)
/// but not `Sync`: one thread uses it at a time, as ABI.md requires.  All
/// state calls take `&mut self`, so none can race with a run.
/// [`Vcpu::cancel_handle`] is the one way to reach it from another thread.
pub struct Vcpu<'vm> {
    raw: NonNull<sys::libvm_vcpu>,
    vm: &'vm Vm,
    id: u32,
    /// Set by [`Vcpu::destroy`]: drop destroys the vCPU, not just the
    /// handle.
    destroy: bool,
    cancel: Arc<CancelInner>,
    /// The I/O or MMIO buffer of the last exit, valid until the next run.
    io: Option<(*mut u8, usize)>,
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: libvm lets a vCPU move between threads; `&'vm Vm` is Send since
// Vm is Sync; the io pointer points into the vCPU's own shared page.
unsafe impl Send for Vcpu<'_> {}

impl<'vm> Vcpu<'vm> {
    pub(crate) fn create(vm: &'vm Vm, id: u32) -> Result<Vcpu<'vm>> {
        let mut handles = vm.vcpus.lock().unwrap_or_else(PoisonError::into_inner);
        let mut raw = ptr::null_mut();
        // SAFETY: valid VM; libvm locks its vCPU table (and refuses an id
        // that exists, so no other Vcpu has this one).
        check(unsafe { sys::libvm_vcpu_create(&mut raw, vm.as_raw(), id) })?;
        let raw = NonNull::new(raw).expect("libvm_vcpu_create returned NULL");
        let cancel = Arc::new(CancelInner(RwLock::new(Some(RawVcpu(raw.as_ptr())))));
        handles.insert(id, cancel.clone());
        Ok(Vcpu { raw, vm, id, destroy: false, cancel, io: None, _not_sync: PhantomData })
    }

    pub(crate) fn existing(vm: &'vm Vm, id: u32) -> Result<Vcpu<'vm>> {
        let mut handles = vm.vcpus.lock().unwrap_or_else(PoisonError::into_inner);
        if handles.contains_key(&id) {
            return Err(Error::new(ErrorKind::Busy, format!("vCPU {id} already has a Vcpu handle")));
        }
        // SAFETY: valid VM; libvm locks its vCPU table.  The vCPU lives
        // until the VM is destroyed or a Vcpu of it is destroyed, and no
        // other Vcpu of this id exists (checked above, under the lock).
        let raw = NonNull::new(unsafe { sys::libvm_vm_vcpu(vm.as_raw(), id) })
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("the VM has no vCPU {id}")))?;
        let cancel = Arc::new(CancelInner(RwLock::new(Some(RawVcpu(raw.as_ptr())))));
        handles.insert(id, cancel.clone());
        Ok(Vcpu { raw, vm, id, destroy: false, cancel, io: None, _not_sync: PhantomData })
    }

    /// Snapshot restores rewrite vCPU state: state calls hold the VM's run
    /// lock shared, like runs.
    fn run_shared(&self) -> std::sync::RwLockReadGuard<'vm, ()> {
        self.vm.run_lock.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The raw handle, for calls this crate does not wrap.
    pub fn as_raw(&self) -> *mut sys::libvm_vcpu {
        self.raw.as_ptr()
    }

    /// The VM this vCPU belongs to.
    pub fn vm(&self) -> &'vm Vm {
        self.vm
    }

    /// The vCPU's number (`libvm_vcpu_id`).
    pub fn id(&self) -> u32 {
        // SAFETY: valid handle.
        unsafe { sys::libvm_vcpu_id(self.as_raw()) }
    }

    /// Remove the vCPU from the VM (`libvm_vcpu_destroy`), rather than
    /// just dropping the handle (which leaves the vCPU to the VM).  KVM
    /// keeps the id taken: no vCPU of that id can be created again in this
    /// VM, and snapshots that have it no longer restore into it.
    pub fn destroy(mut self) {
        self.destroy = true;
    }

    /// A handle that cancels this vCPU's runs from any thread.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel.clone())
    }

    // ---- running --------------------------------------------------------

    /// Run until the caller must act; `None` runs without a time limit.
    /// Returns the exit, or an error when libvm failed or a handler
    /// panicked (`ErrorKind::HandlerPanic`, the run stopped).
    pub fn run(&mut self, timeout: Option<Duration>) -> Result<Exit> {
        let mut ex = sys::libvm_exit::default();
        self.io = None;
        let raw = self.as_raw();
        let _run = self.run_shared();
        // SAFETY: &mut self: nobody else uses the vCPU during the run.
        let (r, panic) = handler::around_run(raw, || unsafe { sys::libvm_vcpu_run(&mut ex, raw, timeout_ns(timeout)) });
        check(r)?;
        self.io = exit::io_buffer(&ex).filter(|(p, _)| !p.is_null());
        // SAFETY: freshly filled by libvm_vcpu_run.
        let exit = unsafe { Exit::from_raw(&ex) };
        match panic {
            Some(msg) => Err(Error::new(ErrorKind::HandlerPanic, msg).with_exit(exit)),
            None => Ok(exit),
        }
    }

    /// The data buffer of the last `Exit::Io` or `Exit::Mmio` (the
    /// `size * count` bytes in the vCPU's shared page).  For a guest read,
    /// store what the guest receives here before the next run.
    pub fn io_data_mut(&mut self) -> Option<&mut [u8]> {
        // SAFETY: points into this vCPU's run page, valid until the next run,
        // which needs &mut self.
        self.io.map(|(p, n)| unsafe { std::slice::from_raw_parts_mut(p, n) })
    }

    /// Call the guest function at `addr` with up to 6 integer arguments
    /// (System V), in the long-mode environment, and return its RAX.  A
    /// fault, stop, cancel or guest exit gives `ErrorKind::Guest` and a
    /// timeout `ErrorKind::Timeout`, both with [`Error::exit`]; the vCPU
    /// takes the next call either way.
    pub fn call(&mut self, addr: u64, args: &[u64], timeout: Option<Duration>) -> Result<u64> {
        if args.len() > 6 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("call {addr:#x}: {} arguments, at most 6", args.len()),
            ));
        }
        let mut ret = 0u64;
        let mut ex = sys::libvm_exit::default();
        self.io = None;
        let raw = self.as_raw();
        let _run = self.run_shared();
        // SAFETY: &mut self; args valid for args.len() words.
        let (r, panic) = handler::around_run(raw, || unsafe {
            sys::libvm_call(&mut ret, &mut ex, raw, addr, args.as_ptr(), args.len() as u32, timeout_ns(timeout))
        });
        if let Some(msg) = panic {
            // SAFETY: filled by libvm_call (or still NONE).
            let exit = unsafe { Exit::from_raw(&ex) };
            return Err(Error::new(ErrorKind::HandlerPanic, msg).with_exit(exit));
        }
        if r < 0 {
            let err = Error::last(r);
            if ex.reason != sys::LIBVM_EXIT_NONE {
                // SAFETY: as above.
                return Err(err.with_exit(unsafe { Exit::from_raw(&ex) }));
            }
            return Err(err);
        }
        Ok(ret)
    }

    /// [`Vcpu::call`] the function `name` of `image`.
    pub fn call_symbol(&mut self, image: &Image, name: &str, args: &[u64], timeout: Option<Duration>) -> Result<u64> {
        let addr = image.symbol(name)?;
        self.call(addr, args, timeout)
    }

    /// [`Vcpu::call`] with byte-buffer arguments: each [`Arg::Bytes`] is
    /// copied into the VM's scratch area ([`Vm::scratch_set`]) and passed as
    /// its guest address.  The scratch area is not reset afterwards.
    pub fn call_args(&mut self, addr: u64, args: &[Arg<'_>], timeout: Option<Duration>) -> Result<u64> {
        let mut words = Vec::with_capacity(args.len());
        for a in args {
            words.push(match a {
                Arg::U64(v) => *v,
                Arg::Bytes(b) => self.vm.scratch_push(b)?,
            });
        }
        self.call(addr, &words, timeout)
    }

    // ---- modes ------------------------------------------------------------

    /// Real mode at `cs:ip` with stack `sp`.
    pub fn set_real_mode(&mut self, cs: u16, ip: u16, sp: u16) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: valid handle, &mut self.
        check(unsafe { sys::libvm_vcpu_set_real_mode(self.as_raw(), cs, ip, sp) })
    }

    /// 32-bit flat protected mode at CPL0.
    pub fn set_protected_mode(&mut self, eip: u32, esp: u32) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as above.
        check(unsafe { sys::libvm_vcpu_set_protected_mode(self.as_raw(), eip, esp) })
    }

    /// The VM's long-mode environment ([`Vm::long_mode_setup`]) at `rip`
    /// with stack `rsp` (the stack guest calls use too).
    pub fn set_long_mode(&mut self, rip: u64, rsp: u64) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as above.
        check(unsafe { sys::libvm_vcpu_set_long_mode(self.as_raw(), rip, rsp) })
    }

    // ---- state ----------------------------------------------------------

    /// The general registers.
    pub fn regs(&mut self) -> Result<Regs> {
        let _run = self.run_shared();
        let mut r = Regs::default();
        // SAFETY: out-pointer valid; &mut self.
        check(unsafe { sys::libvm_vcpu_get_regs(&mut r, self.as_raw()) })?;
        Ok(r)
    }

    /// Set the general registers.
    pub fn set_regs(&mut self, regs: &Regs) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_set_regs(self.as_raw(), regs) })
    }

    /// The segment and control registers.
    pub fn sregs(&mut self) -> Result<Sregs> {
        let _run = self.run_shared();
        let mut s = Sregs::default();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_get_sregs(&mut s, self.as_raw()) })?;
        Ok(s)
    }

    /// Set the segment and control registers.
    pub fn set_sregs(&mut self, s: &Sregs) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_set_sregs(self.as_raw(), s) })
    }

    /// The x87/SSE state.
    pub fn fpu(&mut self) -> Result<Fpu> {
        let _run = self.run_shared();
        let mut f = Fpu::default();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_get_fpu(&mut f, self.as_raw()) })?;
        Ok(f)
    }

    /// Set the x87/SSE state.
    pub fn set_fpu(&mut self, f: &Fpu) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_set_fpu(self.as_raw(), f) })
    }

    /// The XSAVE area (processor layout).
    pub fn xsave(&mut self) -> Result<Vec<u8>> {
        let _run = self.run_shared();
        // SAFETY: valid handle.
        let n = unsafe { sys::libvm_vcpu_xsave_size(self.as_raw()) };
        let mut v = vec![0u8; n as usize];
        // SAFETY: v holds n bytes.
        check(unsafe { sys::libvm_vcpu_get_xsave(self.as_raw(), v.as_mut_ptr().cast(), n) })?;
        Ok(v)
    }

    /// Set the XSAVE area.
    pub fn set_xsave(&mut self, area: &[u8]) -> Result<()> {
        let _run = self.run_shared();
        let n = u32::try_from(area.len())
            .map_err(|_| Error::new(ErrorKind::InvalidArgument, "XSAVE area too large"))?;
        // SAFETY: area valid for n bytes.
        check(unsafe { sys::libvm_vcpu_set_xsave(self.as_raw(), area.as_ptr().cast(), n) })
    }

    /// Extended control register `index` (0: XCR0).
    pub fn xcr(&mut self, index: u32) -> Result<u64> {
        let _run = self.run_shared();
        let mut v = 0;
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_get_xcr(&mut v, self.as_raw(), index) })?;
        Ok(v)
    }

    /// Set an extended control register.
    pub fn set_xcr(&mut self, index: u32, value: u64) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_set_xcr(self.as_raw(), index, value) })
    }

    /// Model-specific register `index`.
    pub fn msr(&mut self, index: u32) -> Result<u64> {
        let _run = self.run_shared();
        let mut v = 0;
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_get_msr(&mut v, self.as_raw(), index) })?;
        Ok(v)
    }

    /// Set a model-specific register.
    pub fn set_msr(&mut self, index: u32, value: u64) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_set_msr(self.as_raw(), index, value) })
    }

    /// The CPUID table.
    pub fn cpuid(&mut self) -> Result<Vec<CpuidEntry>> {
        let _run = self.run_shared();
        let mut v = vec![CpuidEntry::default(); 64];
        loop {
            let mut n = v.len() as u32;
            // SAFETY: v holds n entries.
            let r = unsafe { sys::libvm_vcpu_get_cpuid(self.as_raw(), v.as_mut_ptr(), &mut n) };
            if r == sys::LIBVM_ELIMIT && n as usize > v.len() {
                v.resize(n as usize, CpuidEntry::default());
                continue;
            }
            check(r)?;
            v.truncate(n as usize);
            return Ok(v);
        }
    }

    /// Replace the CPUID table.
    pub fn set_cpuid(&mut self, entries: &[CpuidEntry]) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: entries valid for its length.
        check(unsafe { sys::libvm_vcpu_set_cpuid(self.as_raw(), entries.as_ptr(), entries.len() as u32) })
    }

    /// Inject an external interrupt (no in-kernel irqchip only).
    pub fn interrupt(&mut self, vector: u32) -> Result<()> {
        let _run = self.run_shared();
        // SAFETY: as regs.
        check(unsafe { sys::libvm_vcpu_interrupt(self.as_raw(), vector) })
    }
}

impl Drop for Vcpu<'_> {
    fn drop(&mut self) {
        // No cancel may reach the vCPU through this handle's cancel handles
        // once it is gone (a later handle of the same vCPU makes new ones).
        self.cancel.invalidate();
        // Snapshot calls (fuzz_exec runs vCPU 0 itself) finish first; the
        // run lock comes before the handle lock, as in a handler that
        // creates a vCPU.
        let _run = self.destroy.then(|| self.run_shared());
        let mut handles = self.vm.vcpus.lock().unwrap_or_else(PoisonError::into_inner);
        if owned_by(&handles, self.id, &self.cancel) {
            handles.remove(&self.id);
        }
        if self.destroy {
            // SAFETY: the only handle is going and the vCPU is not running
            // (&mut self, run lock).  Under the handle lock, so no new
            // handle can reach it.
            unsafe { sys::libvm_vcpu_destroy(self.raw.as_ptr()) };
        }
        // Otherwise the vCPU stays in the VM, which destroys it.
    }
}

fn owned_by(handles: &std::collections::HashMap<u32, Arc<CancelInner>>, id: u32, c: &Arc<CancelInner>) -> bool {
    handles.get(&id).is_some_and(|h| Arc::ptr_eq(h, c))
}

/// An argument of [`Vcpu::call_args`].
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Passed as is.
    U64(u64),
    /// Copied into the scratch area; its guest address is passed.
    Bytes(&'a [u8]),
}
