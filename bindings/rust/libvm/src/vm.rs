//! Virtual machines: memory, traps, hypercalls, images, long mode.

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, PoisonError};

use libvm_sys as sys;

use crate::device::{self, DevReg, DeviceState};
use crate::error::{check, Error, ErrorKind, Result};
use crate::exit::Space;
use crate::handler::{self, Access, Action, ConsoleFn, Hypercall, HypercallFn, Slot, TrapFn};
use crate::host::HostMemory;
use crate::vcpu::{CancelInner, Vcpu};
use crate::Image;

/// Options for [`Vm::with_config`] (`libvm_vm_config`).
#[derive(Debug, Clone, Default)]
pub struct VmConfig {
    /// In-kernel PIC, IOAPIC and LAPIC (`LIBVM_VM_IRQCHIP`).
    pub irqchip: bool,
    /// In-kernel PIT (`LIBVM_VM_PIT`, needs `irqchip`).
    pub pit: bool,
    /// Signal libvm kicks vCPU threads with; 0 for the default
    /// (`SIGRTMAX - 3`).  See ABI.md.
    pub kick_signal: i32,
    /// 0: whatever KVM allows.
    pub max_vcpus: u32,
    /// `None`: `/dev/kvm`.
    pub kvm_path: Option<std::path::PathBuf>,
}

/// Where `libvm_long_mode_setup` builds the long-mode environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct LongMode {
    /// `LIBVM_SYS_SIZE` bytes of page-aligned guest RAM for libvm's tables.
    pub sys_gpa: u64,
    /// Identity-map `[0, map_size)`; 0 maps up to the end of RAM.
    pub map_size: u64,
    /// Run guest code at CPL0 (`LIBVM_LONG_SUPERVISOR`).
    pub supervisor: bool,
    /// Map with 1 GiB pages (`LIBVM_LONG_1G_PAGES`).
    pub pages_1g: bool,
}

/// A page-walk result of [`Vm::translate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    pub gpa: u64,
    /// `LIBVM_PTE_*`.
    pub flags: u32,
    pub page_size: u64,
}

/// A registered closure; the `Arc` keeps it alive (see handler.rs).
#[derive(Clone)]
pub(crate) enum Handler {
    Trap(#[allow(dead_code)] Arc<Slot<TrapFn>>),
    Hypercall(#[allow(dead_code)] Arc<Slot<HypercallFn>>),
}

/// Everything of the program's that libvm points at from a VM's
/// registrations: closures and device states.  A snapshot keeps a copy of
/// its VM's (libvm copies the registrations into the snapshot) and a fork
/// starts with its snapshot's.
#[derive(Clone, Default)]
pub(crate) struct Registrations {
    /// (space, base) -> the closure registered there.
    pub(crate) handlers: HashMap<(u32, u64), Handler>,
    pub(crate) console: Option<Arc<Slot<ConsoleFn>>>,
    /// name -> device state registration.
    pub(crate) devs: HashMap<String, Arc<DevReg>>,
}

/// A virtual machine (`libvm_vm`).
///
/// # Threading
///
/// `Vm` is `Send` and `Sync`.  Methods taking `&self` are the calls ABI.md
/// allows while vCPUs of the VM run, from any thread: memory mapping,
/// copies in and out of guest RAM, trap and hypercall registration, vCPU
/// creation (libvm locks its vCPU table), image loading (under libvm's
/// memory lock), IRQ lines and the scratch area (serialised by this
/// wrapper).  Methods taking `&mut self` change state libvm does not lock
/// or hand out references into guest RAM: `unmap`, `long_mode_setup`,
/// `console`, `scratch_set`, `mem`/`mem_mut`, device states.  Since every
/// [`Vcpu`] borrows the `Vm`, `&mut self` also means no vCPU handle
/// exists, so no vCPU runs.
/// Dropping the `Vm` destroys it and its vCPUs, after their handles are
/// gone.
///
/// # Snapshots and forks
///
/// [`Vm::snapshot`] and [`Vm::fork`] follow libvm: a fork starts with the
/// trap, hypercall, console and device-state registrations the VM had
/// when the snapshot was taken, sharing the very closures and
/// [`DeviceState`]s.  The snapshot and each fork hold references to them,
/// so they stay alive however the VMs and snapshots are dropped; shared
/// closures are called one at a time.  Give a fork its own device by
/// removing the inherited registration and registering a new one on the
/// fork.
pub struct Vm {
    raw: NonNull<sys::libvm_vm>,
    /// Closures and device states libvm points at; `handlers` changes under
    /// `reg_lock`, `console` and `devs` only through `&mut self`.
    handlers: Mutex<HashMap<(u32, u64), Handler>>,
    /// Serialises register/unregister with the map update, and snapshots
    /// with both.
    pub(crate) reg_lock: Mutex<()>,
    console: Option<Arc<Slot<ConsoleFn>>>,
    pub(crate) devs: HashMap<String, Arc<DevReg>>,
    /// Caller memory mapped with map_host, by guest address: kept alive
    /// until unmapped or the VM is destroyed.
    host: Mutex<HashMap<u64, HostMemory>>,
    scratch: Mutex<()>,
    /// The cancel handles of the vCPUs that have a [`Vcpu`] now, by id:
    /// at most one `Vcpu` per vCPU.  Invalidated before the VM is
    /// destroyed.
    pub(crate) vcpus: Mutex<HashMap<u32, Arc<CancelInner>>>,
    /// Held shared by runs and calls, exclusively by snapshot calls (which
    /// need every vCPU stopped).
    pub(crate) run_lock: std::sync::RwLock<()>,
}

// SAFETY: libvm VMs may be used from any thread; the calls made through
// `&self` are the ones ABI.md says may run concurrently (see above), and
// the wrapper's own state is behind mutexes.
unsafe impl Send for Vm {}
unsafe impl Sync for Vm {}

fn c_path(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("path {p:?} contains NUL")))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Vm {
    /// Create a VM with the default configuration.  Without usable KVM
    /// the error's kind is [`ErrorKind::NoKvm`].
    pub fn new() -> Result<Vm> {
        Self::create(ptr::null())
    }

    /// Create a VM with `cfg`.
    pub fn with_config(cfg: &VmConfig) -> Result<Vm> {
        let path = cfg.kvm_path.as_deref().map(c_path).transpose()?;
        let mut c = sys::libvm_vm_config::default();
        // SAFETY: c is a writable libvm_vm_config.
        check(unsafe { sys::libvm_vm_config_init(&mut c, sys::LIBVM_VM_CONFIG_VERSION) })?;
        if cfg.irqchip {
            c.flags |= sys::LIBVM_VM_IRQCHIP;
        }
        if cfg.pit {
            c.flags |= sys::LIBVM_VM_PIT;
        }
        c.kick_signal = cfg.kick_signal;
        c.max_vcpus = cfg.max_vcpus;
        c.kvm_path = path.as_ref().map_or(ptr::null(), |p| p.as_ptr());
        Self::create(&c)
    }

    fn create(cfg: *const sys::libvm_vm_config) -> Result<Vm> {
        let mut raw = ptr::null_mut();
        // SAFETY: out-pointer and a config (or NULL) valid for the call.
        check(unsafe { sys::libvm_vm_create(&mut raw, cfg) })?;
        Ok(Vm::from_raw(raw, Registrations::default()))
    }

    /// Take ownership of a fresh libvm VM whose registrations point at
    /// (exactly) `regs`.
    pub(crate) fn from_raw(raw: *mut sys::libvm_vm, regs: Registrations) -> Vm {
        Vm {
            raw: NonNull::new(raw).expect("libvm returned a NULL VM"),
            handlers: Mutex::new(regs.handlers),
            reg_lock: Mutex::new(()),
            console: regs.console,
            devs: regs.devs,
            host: Mutex::new(HashMap::new()),
            scratch: Mutex::new(()),
            vcpus: Mutex::new(HashMap::new()),
            run_lock: std::sync::RwLock::new(()),
        }
    }

    /// A copy of the registrations (for a snapshot; the caller holds
    /// `reg_lock`).
    pub(crate) fn registrations(&self) -> Registrations {
        Registrations { handlers: lock(&self.handlers).clone(), console: self.console.clone(), devs: self.devs.clone() }
    }

    /// The raw handle, for calls this crate does not wrap.  It stays owned
    /// by `self`.
    pub fn as_raw(&self) -> *mut sys::libvm_vm {
        self.raw.as_ptr()
    }

    // ---- memory -------------------------------------------------------

    /// Map `size` bytes of fresh zeroed memory at `gpa`
    /// (`LIBVM_MEM_*` flags).
    pub fn map_anon(&self, gpa: u64, size: u64, flags: u32) -> Result<()> {
        // SAFETY: valid handle; libvm locks its region table.
        check(unsafe { sys::libvm_mem_map_anon(self.as_raw(), gpa, size, flags) })
    }

    /// Map `size` bytes of a file or memfd from `offset` at `gpa`.  libvm
    /// keeps no reference to the descriptor.
    pub fn map_fd(&self, gpa: u64, fd: impl AsFd, offset: u64, size: u64, flags: u32) -> Result<()> {
        let fd = fd.as_fd().as_raw_fd();
        // SAFETY: fd is open for the call.
        check(unsafe { sys::libvm_mem_map_fd(self.as_raw(), gpa, fd, offset, size, flags) })
    }

    /// Map `mem` (all of it) at `gpa` (`LIBVM_MEM_*` flags except
    /// `HUGEPAGES`).  The VM keeps a clone of `mem` until the region is
    /// unmapped or the VM is destroyed; see [`HostMemory`] for how the
    /// program reaches the memory meanwhile.
    pub fn map_host(&self, gpa: u64, mem: &HostMemory, flags: u32) -> Result<()> {
        let mut host = lock(&self.host);
        // SAFETY: mem is page aligned and mem.len() bytes long; the clone
        // stored below keeps it allocated while libvm maps it.
        check(unsafe {
            sys::libvm_mem_map_host(self.as_raw(), gpa, mem.as_ptr() as *mut c_void, mem.len() as u64, flags)
        })?;
        host.insert(gpa, mem.clone());
        Ok(())
    }

    /// Remove the region starting at `gpa` (and let go of its
    /// [`HostMemory`], if it is one).  `&mut self`: no slice into it and no
    /// running vCPU can exist.
    pub fn unmap(&mut self, gpa: u64) -> Result<()> {
        // SAFETY: valid handle.
        check(unsafe { sys::libvm_mem_unmap(self.as_raw(), gpa) })?;
        lock(&self.host).remove(&gpa);
        Ok(())
    }

    /// Copy guest RAM at `gpa` into `buf` (the whole range must be RAM).
    pub fn read(&self, gpa: u64, buf: &mut [u8]) -> Result<()> {
        // SAFETY: buf is valid for its length; libvm checks the range.
        check(unsafe { sys::libvm_mem_read(self.as_raw(), gpa, buf.as_mut_ptr().cast(), buf.len() as u64) })
    }

    /// `len` bytes of guest RAM at `gpa`.
    pub fn read_vec(&self, gpa: u64, len: usize) -> Result<Vec<u8>> {
        let mut v = vec![0; len];
        self.read(gpa, &mut v)?;
        Ok(v)
    }

    /// Copy `buf` into guest RAM at `gpa`.
    pub fn write(&self, gpa: u64, buf: &[u8]) -> Result<()> {
        // SAFETY: as read.
        check(unsafe { sys::libvm_mem_write(self.as_raw(), gpa, buf.as_ptr().cast(), buf.len() as u64) })
    }

    fn mem_ptr(&self, gpa: u64, len: usize) -> Result<*mut u8> {
        if len == 0 {
            return Ok(NonNull::dangling().as_ptr());
        }
        let end = gpa.saturating_add(len as u64);
        for (&base, m) in lock(&self.host).iter() {
            if gpa < base.saturating_add(m.len() as u64) && base < end {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!(
                        "{gpa:#x}+{len:#x} lies in host memory mapped at {base:#x}: \
                         use HostMemory::read/write or Vm::read/write"
                    ),
                ));
            }
        }
        let mut p = ptr::null_mut::<c_void>();
        // SAFETY: out-pointer valid; libvm checks [gpa, gpa+len) lies in one
        // region.
        check(unsafe { sys::libvm_mem_ptr(&mut p, self.as_raw(), gpa, len as u64) })?;
        Ok(p.cast())
    }

    /// Guest RAM `[gpa, gpa+len)` as a slice; it must lie inside one region
    /// (not one mapped with [`Vm::map_host`], which other handles reach).
    /// Borrows the VM mutably: no vCPU runs and no region can be unmapped
    /// while the slice lives.
    pub fn mem(&mut self, gpa: u64, len: usize) -> Result<&[u8]> {
        let p = self.mem_ptr(gpa, len)?;
        // SAFETY: libvm checked the range is mapped RAM; it stays mapped and
        // unaliased while `self` is mutably borrowed.
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }

    /// Guest RAM `[gpa, gpa+len)` as a mutable slice (see [`Vm::mem`]).
    pub fn mem_mut(&mut self, gpa: u64, len: usize) -> Result<&mut [u8]> {
        let p = self.mem_ptr(gpa, len)?;
        // SAFETY: as mem; the &mut borrow of self makes it exclusive.
        Ok(unsafe { std::slice::from_raw_parts_mut(p, len) })
    }

    /// Walk the guest's 4-level page tables rooted at `cr3` for `gva`.
    pub fn translate(&self, cr3: u64, gva: u64) -> Result<Translation> {
        let mut t = Translation { gpa: 0, flags: 0, page_size: 0 };
        // SAFETY: out-pointers valid; libvm reads tables under its lock.
        check(unsafe {
            sys::libvm_mem_translate(&mut t.gpa, &mut t.flags, &mut t.page_size, self.as_raw(), cr3, gva)
        })?;
        Ok(t)
    }

    /// Raise or lower an interrupt line of the in-kernel irqchip.
    pub fn irq_line(&self, gsi: u32, level: bool) -> Result<()> {
        // SAFETY: valid handle; a single KVM ioctl.
        check(unsafe { sys::libvm_vm_irq_line(self.as_raw(), gsi, level as i32) })
    }

    // ---- vCPUs --------------------------------------------------------

    /// Create vCPU number `id` and return its handle.  The handle borrows
    /// the VM, so the VM outlives it.  Dropping the handle leaves the vCPU
    /// in the VM (see [`Vcpu`]); an id that exists gives `ErrorKind::Busy`.
    pub fn vcpu(&self, id: u32) -> Result<Vcpu<'_>> {
        Vcpu::create(self, id)
    }

    /// The handle of vCPU `id` the VM already has (`libvm_vm_vcpu`): one
    /// whose earlier handle was dropped, or one a fork ([`Vm::fork`]) came
    /// with.  `ErrorKind::NotFound` if there is none, `ErrorKind::Busy`
    /// while another handle of it exists.
    pub fn existing_vcpu(&self, id: u32) -> Result<Vcpu<'_>> {
        Vcpu::existing(self, id)
    }

    // ---- traps and hypercalls ----------------------------------------

    fn register(&self, key: (u32, u64), reg: impl FnOnce() -> (i32, Handler)) -> Result<()> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, "registering a handler from inside a handler"));
        }
        let _g = lock(&self.reg_lock);
        let (r, h) = reg();
        check(r)?;
        lock(&self.handlers).insert(key, h);
        Ok(())
    }

    fn unregister(&self, key: (u32, u64), unreg: impl FnOnce() -> i32) -> Result<()> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, "unregistering a handler from inside a handler"));
        }
        let _g = lock(&self.reg_lock);
        check(unreg())?;
        // libvm returned: no vCPU is inside the handler any more.
        let old = lock(&self.handlers).remove(&key);
        drop(old);
        Ok(())
    }

    /// Call `f` for every guest access to `[base, base+len)` in `space`
    /// (`Space::Pio` or `Space::Mmio`) instead of exiting.  The VM owns
    /// `f`; vCPUs of the VM call it one at a time, each on its own thread.
    /// May be called while vCPUs run, not from inside a handler
    /// (`ErrorKind::Busy`).  A panic in `f` stops the run, which returns
    /// `ErrorKind::HandlerPanic`.
    pub fn trap<F>(&self, space: Space, base: u64, len: u64, f: F) -> Result<()>
    where
        F: FnMut(&mut Access<'_>) -> Action + Send + 'static,
    {
        let slot: Arc<Slot<TrapFn>> = Slot::new(Box::new(f));
        let s = space.raw();
        self.register((s, base), || {
            let opaque = Arc::as_ptr(&slot) as *mut c_void;
            // SAFETY: self.handlers holds the slot until unregistered or
            // the VM is destroyed (snapshots and forks hold their own
            // references).
            let r = unsafe {
                sys::libvm_trap_register(self.as_raw(), s, base, len, Some(handler::trap_trampoline), opaque)
            };
            (r, Handler::Trap(slot))
        })
    }

    /// [`Vm::trap`] for ports `[port, port+len)`.
    pub fn trap_pio<F>(&self, port: u16, len: u32, f: F) -> Result<()>
    where
        F: FnMut(&mut Access<'_>) -> Action + Send + 'static,
    {
        self.trap(Space::Pio, port.into(), len.into(), f)
    }

    /// [`Vm::trap`] for guest-physical `[gpa, gpa+len)`.
    pub fn trap_mmio<F>(&self, gpa: u64, len: u64, f: F) -> Result<()>
    where
        F: FnMut(&mut Access<'_>) -> Action + Send + 'static,
    {
        self.trap(Space::Mmio, gpa, len, f)
    }

    /// Remove the trap starting at `base` and drop its closure.
    pub fn untrap(&self, space: Space, base: u64) -> Result<()> {
        let s = space.raw();
        // SAFETY: valid handle.
        self.unregister((s, base), || unsafe { sys::libvm_trap_unregister(self.as_raw(), s, base) })
    }

    /// Serve hypercall `nr` with `f` (not `LIBVM_HC_EXIT`).  Same rules as
    /// [`Vm::trap`]; `Action::Stop`/`Fail` stop the run with
    /// `Exit::Stopped { space: Space::Hypercall, .. }`.
    pub fn hypercall<F>(&self, nr: u32, f: F) -> Result<()>
    where
        F: FnMut(&mut Hypercall) -> Action + Send + 'static,
    {
        let slot: Arc<Slot<HypercallFn>> = Slot::new(Box::new(f));
        self.register((sys::LIBVM_TRAP_HYPERCALL, nr.into()), || {
            let opaque = Arc::as_ptr(&slot) as *mut c_void;
            // SAFETY: as trap.
            let r = unsafe {
                sys::libvm_hypercall_register(self.as_raw(), nr, Some(handler::hypercall_trampoline), opaque)
            };
            (r, Handler::Hypercall(slot))
        })
    }

    /// Remove the handler of hypercall `nr` and drop its closure.
    pub fn remove_hypercall(&self, nr: u32) -> Result<()> {
        // SAFETY: valid handle.
        self.unregister((sys::LIBVM_TRAP_HYPERCALL, nr.into()), || unsafe {
            sys::libvm_hypercall_unregister(self.as_raw(), nr)
        })
    }

    /// Serve the console hypercall (`LIBVM_HC_CONSOLE`): `f` gets each
    /// buffer the guest writes.  Replaces an earlier console closure.  A
    /// panic in `f` cancels the run, which returns
    /// `ErrorKind::HandlerPanic`.
    pub fn console<F>(&mut self, f: F) -> Result<()>
    where
        F: FnMut(&[u8]) + Send + 'static,
    {
        let slot: Arc<Slot<ConsoleFn>> = Slot::new(Box::new(f));
        let opaque = Arc::as_ptr(&slot) as *mut c_void;
        // SAFETY: &mut self: no vCPU of this VM runs, so it no longer uses
        // the old closure once libvm points at the new one (snapshots and
        // forks that still point at the old one hold references to it).
        check(unsafe { sys::libvm_console_attach(self.as_raw(), Some(handler::console_trampoline), opaque) })?;
        self.console = Some(slot);
        Ok(())
    }

    // ---- device state ----------------------------------------------------

    /// Make `state` part of this VM's snapshots under `name` (1-31 bytes,
    /// which names the device in snapshot files): every snapshot saves its
    /// bytes and every restore writes them back.  The VM keeps a clone of
    /// `state`; the program and its handlers reach the bytes through
    /// [`DeviceState::lock`].  `ErrorKind::Overlap` if `name` is taken.
    pub fn device_state(&mut self, name: &str, state: &DeviceState) -> Result<()> {
        self.add_device_state(name, state, None)
    }

    /// [`Vm::device_state`], and `restored` runs after every restore of the
    /// VM (whether or not the snapshot had this device) with the restored
    /// bytes, on the restoring thread.  It must not lock device states or
    /// call into the VM (`ErrorKind::Busy`); a panic in it fails the
    /// restore with `ErrorKind::HandlerPanic`.
    pub fn device_state_restored<F>(&mut self, name: &str, state: &DeviceState, restored: F) -> Result<()>
    where
        F: FnMut(&mut [u8]) + Send + 'static,
    {
        self.add_device_state(name, state, Some(Box::new(restored)))
    }

    fn add_device_state(
        &mut self,
        name: &str,
        state: &DeviceState,
        restored: Option<Box<device::RestoredFn>>,
    ) -> Result<()> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, "registering device state from inside a handler"));
        }
        let reg = DevReg::new(name, state, restored)?;
        let opaque = Arc::as_ptr(&reg) as *mut c_void;
        // SAFETY: self.devs holds the registration (and with it the shadow
        // buffer and hook) until it is unregistered or the VM destroyed;
        // &mut self: no snapshot call of this VM is in progress.
        check(unsafe {
            sys::libvm_device_state_register(
                self.as_raw(),
                reg.name.as_ptr(),
                reg.shadow_ptr(),
                reg.len(),
                Some(device::restored_trampoline),
                opaque,
            )
        })?;
        self.devs.insert(name.to_owned(), reg);
        Ok(())
    }

    /// Stop saving and restoring the device state `name`.  Snapshots
    /// taken before keep it (and keep it alive).
    pub fn remove_device_state(&mut self, name: &str) -> Result<()> {
        if handler::in_handler() {
            return Err(Error::new(ErrorKind::Busy, "unregistering device state from inside a handler"));
        }
        let cname = CString::new(name)
            .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("device state name {name:?} contains NUL")))?;
        // SAFETY: valid handle and string; &mut self.
        check(unsafe { sys::libvm_device_state_unregister(self.as_raw(), cname.as_ptr()) })?;
        self.devs.remove(name);
        Ok(())
    }

    /// The device state registered as `name`, if any (for a fork: the one
    /// it inherited).
    pub fn device_state_of(&self, name: &str) -> Option<DeviceState> {
        self.devs.get(name).map(|r| r.state().clone())
    }

    // ---- images and long mode ------------------------------------------

    /// Load an ELF image file into guest RAM (`LIBVM_LOAD_*` flags).
    pub fn load_file(&self, path: impl AsRef<Path>, flags: u32) -> Result<Image> {
        let p = c_path(path.as_ref())?;
        let mut img = ptr::null_mut();
        // SAFETY: valid path string and out-pointer.
        check(unsafe { sys::libvm_image_load_file(&mut img, self.as_raw(), p.as_ptr(), flags) })?;
        Ok(Image::from_raw(img))
    }

    /// Load an ELF image from memory into guest RAM.
    pub fn load_bytes(&self, elf: &[u8], flags: u32) -> Result<Image> {
        let mut img = ptr::null_mut();
        // SAFETY: elf valid for its length.
        check(unsafe {
            sys::libvm_image_load_mem(&mut img, self.as_raw(), elf.as_ptr().cast(), elf.len(), flags)
        })?;
        Ok(Image::from_raw(img))
    }

    /// Build (or rebuild) the long-mode environment guest programs and
    /// calls run in.
    pub fn long_mode_setup(&mut self, lm: &LongMode) -> Result<()> {
        let mut c = sys::libvm_long_mode::default();
        // SAFETY: c is a writable libvm_long_mode.
        check(unsafe { sys::libvm_long_mode_init(&mut c, sys::LIBVM_LONG_MODE_VERSION) })?;
        c.sys_gpa = lm.sys_gpa;
        c.map_size = lm.map_size;
        if lm.supervisor {
            c.flags |= sys::LIBVM_LONG_SUPERVISOR;
        }
        if lm.pages_1g {
            c.flags |= sys::LIBVM_LONG_1G_PAGES;
        }
        // SAFETY: valid config; &mut self: no vCPU runs.
        check(unsafe { sys::libvm_long_mode_setup(self.as_raw(), &c) })
    }

    // ---- scratch area ----------------------------------------------------

    /// Use guest RAM `[gpa, gpa+size)` as the scratch area for call
    /// arguments.
    pub fn scratch_set(&mut self, gpa: u64, size: u64) -> Result<()> {
        // SAFETY: valid handle; &mut self.
        check(unsafe { sys::libvm_scratch_set(self.as_raw(), gpa, size) })
    }

    /// Copy `bytes` into the scratch area; returns their guest address, to
    /// pass to a guest call.
    pub fn scratch_push(&self, bytes: &[u8]) -> Result<u64> {
        let _g = lock(&self.scratch);
        let mut gva = 0;
        // SAFETY: the wrapper serialises libvm's unlocked scratch state.
        check(unsafe { sys::libvm_scratch_push(&mut gva, self.as_raw(), bytes.as_ptr().cast(), bytes.len() as u64) })?;
        Ok(gva)
    }

    /// Free everything pushed to the scratch area.
    pub fn scratch_reset(&self) {
        let _g = lock(&self.scratch);
        // SAFETY: as scratch_push.
        unsafe { sys::libvm_scratch_reset(self.as_raw()) }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // vCPUs die with the VM (also those of leaked handles): cancel
        // handles must not reach them afterwards.
        for (_, c) in lock(&self.vcpus).drain() {
            c.invalidate();
        }
        // SAFETY: we own the VM; no Vcpu borrows it any more, so nothing
        // runs.  The closures are dropped after libvm let go of them.
        unsafe { sys::libvm_vm_destroy(self.raw.as_ptr()) };
    }
}
