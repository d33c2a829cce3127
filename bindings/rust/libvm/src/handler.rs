//! Rust closures as libvm device, hypercall and console handlers.
//!
//! Every closure sits in an `Arc` whose address is the C `opaque`.  The
//! `Vm` it is registered on holds one reference; so does every snapshot
//! taken while it is registered (libvm copies the registration into the
//! snapshot) and every VM forked from such a snapshot (libvm registers the
//! same `opaque` there).  A VM lets go of its reference only after
//! `libvm_*_unregister` returned (libvm guarantees no vCPU of that VM is
//! inside the handler then) or after `libvm_vm_destroy`, so no handler is
//! freed while a VM can still call it.  VMs sharing a closure call it one
//! at a time (it is an `FnMut` behind a mutex).
//!
//! Handlers run on the thread that runs the vCPU.  A panic is caught
//! before it reaches C, kept in a thread-local slot and the run is
//! stopped; `Vcpu::run` and `Vcpu::call` then return
//! `ErrorKind::HandlerPanic` on that same thread.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

use libvm_sys as sys;

use crate::error::{check, Result};
use crate::exit::Direction;

/// What a device or hypercall handler tells the run loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The access is done; keep running.
    Continue,
    /// The access is done; the run returns `Exit::Stopped` with code
    /// `LIBVM_TRAP_STOP`.
    Stop,
    /// Stop with a negative `LIBVM_E*` code in `Exit::Stopped`.
    Fail(i32),
}

impl Action {
    fn code(self) -> c_int {
        match self {
            Action::Continue => sys::LIBVM_TRAP_CONTINUE,
            Action::Stop => sys::LIBVM_TRAP_STOP,
            Action::Fail(c) if c < 0 => c,
            Action::Fail(_) => sys::LIBVM_EINVAL,
        }
    }
}

/// Guest memory as seen from inside a handler: copies through
/// `libvm_mem_read` / `libvm_mem_write`, which libvm serialises per VM.
pub struct HandlerMem {
    vcpu: *mut sys::libvm_vcpu,
}

impl HandlerMem {
    /// The vCPU's number.
    pub fn vcpu_id(&self) -> u32 {
        // SAFETY: the vCPU is alive while its handler runs.
        unsafe { sys::libvm_vcpu_id(self.vcpu) }
    }

    /// Copy guest RAM at `gpa` into `buf`; the whole range must be RAM.
    pub fn read(&self, gpa: u64, buf: &mut [u8]) -> Result<()> {
        // SAFETY: vm is alive; buf is valid for buf.len() bytes.
        check(unsafe {
            sys::libvm_mem_read(
                sys::libvm_vcpu_vm(self.vcpu),
                gpa,
                buf.as_mut_ptr().cast(),
                buf.len() as u64,
            )
        })
    }

    /// Copy `buf` into guest RAM at `gpa`; the whole range must be RAM.
    pub fn write(&self, gpa: u64, buf: &[u8]) -> Result<()> {
        // SAFETY: as read.
        check(unsafe {
            sys::libvm_mem_write(
                sys::libvm_vcpu_vm(self.vcpu),
                gpa,
                buf.as_ptr().cast(),
                buf.len() as u64,
            )
        })
    }
}

/// One port-I/O or MMIO access hitting a registered trap.
pub struct Access<'a> {
    /// The port or guest-physical address.
    pub addr: u64,
    /// Who moves data.
    pub direction: Direction,
    /// `size` bytes (1, 2, 4 or 8): the guest's value for a write; for a
    /// read, zeroed and to be filled with what the guest receives.
    pub data: &'a mut [u8],
    /// Guest memory and the vCPU number.
    pub mem: HandlerMem,
}

impl Access<'_> {
    /// The data as a little-endian integer.
    pub fn value(&self) -> u64 {
        let mut b = [0u8; 8];
        let n = self.data.len().min(8);
        b[..n].copy_from_slice(&self.data[..n]);
        u64::from_le_bytes(b)
    }

    /// Store `v` (truncated to the access size) for a read.
    pub fn set_value(&mut self, v: u64) {
        let n = self.data.len().min(8);
        self.data[..n].copy_from_slice(&v.to_le_bytes()[..n]);
    }
}

/// One hypercall from the guest.
pub struct Hypercall {
    /// The hypercall number (EAX).
    pub nr: u64,
    /// RDI, RSI, RCX, R8, R9, R10.
    pub args: [u64; 6],
    /// What the guest gets back in RAX (0 unless set).
    pub ret: u64,
    /// Guest memory and the vCPU number.
    pub mem: HandlerMem,
}

pub(crate) type TrapFn = dyn FnMut(&mut Access<'_>) -> Action + Send;
pub(crate) type HypercallFn = dyn FnMut(&mut Hypercall) -> Action + Send;
pub(crate) type ConsoleFn = dyn FnMut(&[u8]) + Send;

/// Each closure sits behind a mutex: the vCPUs of one VM run its handlers
/// concurrently, and an `FnMut` is called by one of them at a time.
pub(crate) struct Slot<F: ?Sized>(pub(crate) Mutex<Box<F>>);

impl<F: ?Sized> Slot<F> {
    pub(crate) fn new(f: Box<F>) -> Arc<Slot<F>> {
        Arc::new(Slot(Mutex::new(f)))
    }
}

thread_local! {
    /// Depth of Rust handlers on this thread (libvm refuses registry
    /// changes from inside a handler; so does the wrapper, before it takes
    /// any lock of its own).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// The panic of a handler on this thread, for the run to report.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The vCPU this thread is running (for the console handler, which
    /// cannot stop the run itself and cancels it instead).
    static RUNNING: Cell<*mut sys::libvm_vcpu> = const { Cell::new(std::ptr::null_mut()) };
}

pub(crate) fn in_handler() -> bool {
    DEPTH.with(|d| d.get() > 0)
}

fn panic_text(p: Box<dyn Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Run a handler body: never unwinds; a panic is recorded and becomes
/// `None`.
pub(crate) fn guard<T>(f: impl FnOnce() -> T) -> Option<T> {
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    match r {
        Ok(v) => Some(v),
        Err(p) => {
            let text = panic_text(p);
            PANIC.with(|s| {
                let mut s = s.borrow_mut();
                if s.is_none() {
                    *s = Some(text);
                }
            });
            None
        }
    }
}

/// Brackets a run or call on this thread: clears stale panics, records the
/// running vCPU, and afterwards hands back the panic of any handler.
pub(crate) fn around_run<T>(vcpu: *mut sys::libvm_vcpu, f: impl FnOnce() -> T) -> (T, Option<String>) {
    PANIC.with(|s| s.borrow_mut().take());
    let prev = RUNNING.with(|r| r.replace(vcpu));
    let v = f();
    RUNNING.with(|r| r.set(prev));
    (v, PANIC.with(|s| s.borrow_mut().take()))
}

pub(crate) unsafe extern "C" fn trap_trampoline(
    vcpu: *mut sys::libvm_vcpu,
    addr: u64,
    data: *mut c_void,
    size: u32,
    direction: u32,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: opaque is a Slot the running VM holds a reference to until
    // libvm promises no vCPU of it is in here; data holds `size` bytes that only this
    // vCPU's thread touches during the call.
    let slot = &*(opaque as *const Slot<TrapFn>);
    let data = std::slice::from_raw_parts_mut(data as *mut u8, size as usize);
    let mut acc = Access { addr, direction: Direction::from_raw(direction), data, mem: HandlerMem { vcpu } };
    guard(|| {
        let mut f = slot.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut acc)
    })
    .map_or(sys::LIBVM_TRAP_STOP, Action::code)
}

pub(crate) unsafe extern "C" fn hypercall_trampoline(
    vcpu: *mut sys::libvm_vcpu,
    nr: u64,
    args: *const u64,
    ret: *mut u64,
    opaque: *mut c_void,
) -> c_int {
    // SAFETY: as trap_trampoline; args holds 6 words, ret is writable.
    let slot = &*(opaque as *const Slot<HypercallFn>);
    let mut a = [0u64; 6];
    a.copy_from_slice(std::slice::from_raw_parts(args, 6));
    let mut hc = Hypercall { nr, args: a, ret: *ret, mem: HandlerMem { vcpu } };
    let r = guard(|| {
        let mut f = slot.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut hc)
    });
    *ret = hc.ret;
    r.map_or(sys::LIBVM_TRAP_STOP, Action::code)
}

pub(crate) unsafe extern "C" fn console_trampoline(buf: *const c_char, len: usize, opaque: *mut c_void) {
    // SAFETY: opaque is the console Slot the running VM holds; buf holds len bytes
    // of guest RAM (checked by libvm) for the duration of the call.
    let slot = &*(opaque as *const Slot<ConsoleFn>);
    let bytes = std::slice::from_raw_parts(buf as *const u8, len);
    if guard(|| {
        let mut f = slot.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(bytes)
    })
    .is_none()
    {
        // The console callback cannot stop the run: cancel it instead.
        let v = RUNNING.with(|r| r.get());
        if !v.is_null() {
            sys::libvm_vcpu_cancel(v);
        }
    }
}
