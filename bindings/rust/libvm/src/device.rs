//! Device state that takes part in snapshots
//! (`libvm_device_state_register`).
//!
//! libvm copies a registered device's bytes into every snapshot and back
//! on restore, through a raw pointer, on whatever thread takes or restores
//! the snapshot.  A fork registers the same pointer in the new VM, so one
//! state can be reached from several VMs.  The wrapper keeps that sound
//! with two buffers per registration:
//!
//! - the [`DeviceState`] the program (and its handlers) use, behind a
//!   mutex ([`DeviceState::lock`]);
//! - a *shadow* copy, the pointer libvm holds, touched only while the
//!   wrapper holds the registration's shadow lock: snapshot, restore,
//!   `fuzz_exec` and fork lock the shadows of every registration involved
//!   (in address order, so two of them never deadlock), copy the state
//!   into the shadow, and call libvm.  Restore writes the shadow; the
//!   `restored` hook libvm calls afterwards (on the same thread, under the
//!   same locks) copies it back into the state and runs the program's
//!   closure with the state's bytes.
//!
//! Registrations are reference counted: the VM, every snapshot taken of it
//! and every fork hold the ones they reach, so no pointer libvm keeps
//! outlives its buffer.

use std::ffi::{c_void, CString};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::error::{Error, ErrorKind, Result};
use crate::handler;

/// Bytes of device state, shared by the program, its handlers and the VMs
/// it is registered with ([`Vm::device_state`](crate::Vm::device_state)).
/// Cheap to clone (the clones are the same state); `Send` and `Sync`.
///
/// Its length is fixed when it is created.  Do not hold a
/// [`DeviceStateGuard`] while taking, restoring or forking a snapshot, or
/// while running a vCPU whose handlers lock the same state: those wait for
/// the guard.
#[derive(Clone)]
pub struct DeviceState {
    inner: Arc<Mutex<Box<[u8]>>>,
}

impl DeviceState {
    /// `len` zero bytes.
    pub fn new(len: usize) -> DeviceState {
        DeviceState::from_bytes(&vec![0u8; len])
    }

    /// A copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> DeviceState {
        DeviceState { inner: Arc::new(Mutex::new(bytes.to_vec().into_boxed_slice())) }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True for a state of length 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Exclusive access to the bytes (waits for other holders, and for a
    /// snapshot, restore or fork that is copying the state).
    pub fn lock(&self) -> DeviceStateGuard<'_> {
        DeviceStateGuard(self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A copy of the bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        self.lock().to_vec()
    }

    /// True when `self` and `other` are the same state (clones of one
    /// another).
    pub fn same(&self, other: &DeviceState) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceState").field("len", &self.len()).finish()
    }
}

/// The bytes of a [`DeviceState`], locked; derefs to `[u8]`.
pub struct DeviceStateGuard<'a>(MutexGuard<'a, Box<[u8]>>);

impl Deref for DeviceStateGuard<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for DeviceStateGuard<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

pub(crate) type RestoredFn = dyn FnMut(&mut [u8]) + Send;

/// One registration: the name, the state, the shadow libvm points at and
/// the program's restored hook.  Its address is the C `opaque`.
pub(crate) struct DevReg {
    pub(crate) name: CString,
    state: DeviceState,
    /// `len` bytes from `Box::into_raw`; read and written (by libvm and
    /// by this module) only under `shadow_lock`.
    shadow: NonNull<u8>,
    len: usize,
    shadow_lock: Mutex<()>,
    restored: Option<Mutex<Box<RestoredFn>>>,
}

// SAFETY: the shadow is only touched under shadow_lock; everything else is
// Send + Sync.
unsafe impl Send for DevReg {}
unsafe impl Sync for DevReg {}

impl DevReg {
    pub(crate) fn new(name: &str, state: &DeviceState, restored: Option<Box<RestoredFn>>) -> Result<Arc<DevReg>> {
        if name.is_empty() || name.len() > 31 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("device state name {name:?}: must be 1-31 bytes"),
            ));
        }
        let cname = CString::new(name)
            .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("device state name {name:?} contains NUL")))?;
        let bytes = state.to_vec();
        let len = bytes.len();
        if u32::try_from(len).is_err() {
            return Err(Error::new(ErrorKind::InvalidArgument, format!("device state {name:?}: {len} bytes")));
        }
        let shadow = NonNull::new(Box::into_raw(bytes.into_boxed_slice()) as *mut u8).expect("Box is never NULL");
        Ok(Arc::new(DevReg {
            name: cname,
            state: state.clone(),
            shadow,
            len,
            shadow_lock: Mutex::new(()),
            restored: restored.map(Mutex::new),
        }))
    }

    pub(crate) fn shadow_ptr(&self) -> *mut c_void {
        self.shadow.as_ptr().cast()
    }

    pub(crate) fn len(&self) -> u32 {
        self.len as u32
    }

    pub(crate) fn state(&self) -> &DeviceState {
        &self.state
    }
}

impl Drop for DevReg {
    fn drop(&mut self) {
        // SAFETY: the shadow came from Box::<[u8]>::into_raw with this
        // length; nobody holds the registration any more.
        unsafe { drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.shadow.as_ptr(), self.len))) }
    }
}

/// The shadow locks of a set of registrations, each shadow holding a copy
/// of its state.  libvm may read and write the shadows (and call their
/// restored hooks) while this lives.
pub(crate) struct ShadowLocks<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
}

/// Lock the shadows of `regs` in address order (each once) and copy every
/// state into its shadow.
pub(crate) fn lock_shadows<'a>(regs: impl Iterator<Item = &'a Arc<DevReg>>) -> ShadowLocks<'a> {
    let mut v: Vec<&'a Arc<DevReg>> = regs.collect();
    v.sort_by_key(|r| Arc::as_ptr(r) as usize);
    v.dedup_by_key(|r| Arc::as_ptr(r) as usize);
    let mut guards = Vec::with_capacity(v.len());
    for r in v {
        let g = r.shadow_lock.lock().unwrap_or_else(PoisonError::into_inner);
        let st = r.state.lock();
        let n = st.len().min(r.len);
        // SAFETY: we hold the shadow lock; the shadow holds r.len bytes.
        unsafe { std::ptr::copy_nonoverlapping(st.as_ptr(), r.shadow.as_ptr(), n) };
        drop(st);
        guards.push(g);
    }
    ShadowLocks { _guards: guards }
}

/// libvm's restored hook: the shadow has the restored bytes; copy them into
/// the state and run the program's closure on it.
pub(crate) unsafe extern "C" fn restored_trampoline(opaque: *mut c_void) {
    // SAFETY: opaque is a DevReg kept alive by the VM (or the snapshot a
    // fork is made from) being restored, whose caller in this crate holds
    // its shadow lock on this thread for the whole libvm call.
    let reg = &*(opaque as *const DevReg);
    handler::guard(|| {
        let mut st = reg.state.lock();
        let n = st.len().min(reg.len);
        // SAFETY: shadow lock held by this thread (see above).
        std::ptr::copy_nonoverlapping(reg.shadow.as_ptr(), st.as_mut_ptr(), n);
        if let Some(f) = &reg.restored {
            let mut f = f.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut st);
        }
    });
}
