//! The exit record of `libvm_vcpu_run` and `libvm_call` as a Rust enum.

use std::ffi::c_int;

use libvm_sys as sys;

/// Direction of a port-I/O or MMIO access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The guest reads (IN, MMIO load): the host supplies the data.
    Read,
    /// The guest writes (OUT, MMIO store).
    Write,
}

impl Direction {
    pub(crate) fn from_raw(d: u32) -> Direction {
        if d == sys::LIBVM_WRITE {
            Direction::Write
        } else {
            Direction::Read
        }
    }
}

/// Address space of a trap: port I/O, MMIO, or (in [`Exit::Stopped`]) a
/// hypercall number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// Ports 0 ..= 0xffff.
    Pio,
    /// Guest-physical addresses.
    Mmio,
    /// Hypercall numbers.
    Hypercall,
    /// A space this crate does not know.
    Other(u32),
}

impl Space {
    pub(crate) fn raw(self) -> u32 {
        match self {
            Space::Pio => sys::LIBVM_TRAP_PIO,
            Space::Mmio => sys::LIBVM_TRAP_MMIO,
            Space::Hypercall => sys::LIBVM_TRAP_HYPERCALL,
            Space::Other(n) => n,
        }
    }

    pub(crate) fn from_raw(s: u32) -> Space {
        match s {
            sys::LIBVM_TRAP_PIO => Space::Pio,
            sys::LIBVM_TRAP_MMIO => Space::Mmio,
            sys::LIBVM_TRAP_HYPERCALL => Space::Hypercall,
            n => Space::Other(n),
        }
    }
}

/// Why a run (or a guest call) returned.  Unknown reasons from a newer
/// libvm arrive as [`Exit::Unknown`]: treat them as "stop and look".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// `LIBVM_EXIT_NONE`.
    None,
    /// The guest executed HLT.
    Hlt,
    /// Port I/O that no trap handles.  `data` is a copy of the `size *
    /// count` bytes; for a [`Direction::Read`] store the guest's data with
    /// [`Vcpu::io_data_mut`](crate::Vcpu::io_data_mut) before the next run.
    Io { port: u16, size: u8, direction: Direction, count: u32, data: Vec<u8> },
    /// MMIO that no trap handles; same rules for `data` as `Io`.
    Mmio { gpa: u64, size: u32, direction: Direction, data: Vec<u8> },
    /// Triple fault or shutdown.
    Shutdown,
    /// KVM could not enter the guest.
    FailEntry { hardware_reason: u64, cpu: u32 },
    /// KVM gave up.
    InternalError { suberror: u32, data: Vec<u64> },
    /// Breakpoint or single step.
    Debug { exception: u32, pc: u64, dr6: u64, dr7: u64 },
    /// [`CancelHandle::cancel`](crate::CancelHandle::cancel).
    Cancelled,
    /// The run's timeout expired.
    Timeout,
    /// A handler asked to stop: `code` is what it returned
    /// (`LIBVM_TRAP_STOP` or a negative code), `addr` the port, address or
    /// hypercall number, `value` the guest's first hypercall argument, all
    /// 64 bits (for `libvm_guest_report_bug` the code; 0 for ports and
    /// MMIO).
    Stopped { space: Space, code: i32, addr: u64, value: u64 },
    /// Reset or shutdown request (`KVM_SYSTEM_EVENT_*`).
    SystemEvent { kind: u32, data: Vec<u64> },
    /// The interrupt window is open.
    IrqWindow,
    /// Any other KVM exit.
    Other { kvm_reason: u32 },
    /// A long-mode guest fault.
    Exception {
        vector: u32,
        error_code: Option<u64>,
        rip: u64,
        cs: u64,
        rflags: u64,
        rsp: u64,
        /// The page-fault address (vector 14).
        cr2: u64,
    },
    /// The guest called exit(code).
    GuestExit { code: i64 },
    /// A guest call returned this RAX.
    Return { value: u64 },
    /// A reason this crate does not know.
    Unknown { reason: u32, kvm_reason: u32 },
}

fn words(data: &[u64; 16], n: u32) -> Vec<u64> {
    data[..(n as usize).min(16)].to_vec()
}

/// Raw bytes of the I/O or MMIO buffer of an exit, if it has one.
pub(crate) fn io_buffer(ex: &sys::libvm_exit) -> Option<(*mut u8, usize)> {
    // SAFETY: the union member read is the one `reason` selects.
    unsafe {
        match ex.reason {
            sys::LIBVM_EXIT_IO => {
                let io = ex.u.io;
                Some((io.data, io.size as usize * io.count as usize))
            }
            sys::LIBVM_EXIT_MMIO => {
                let m = ex.u.mmio;
                Some((m.data, (m.size as usize).min(8)))
            }
            _ => None,
        }
    }
}

impl Exit {
    /// Convert a record filled by libvm.  I/O data is copied out of the
    /// vCPU's shared page, which is valid until the vCPU's next run.
    ///
    /// # Safety
    /// `ex` must have been filled by `libvm_vcpu_run` or `libvm_call` of a
    /// vCPU that has not run since.
    pub(crate) unsafe fn from_raw(ex: &sys::libvm_exit) -> Exit {
        let copy = || match io_buffer(ex) {
            Some((p, n)) if !p.is_null() && n > 0 => std::slice::from_raw_parts(p, n).to_vec(),
            _ => Vec::new(),
        };
        let u = &ex.u;
        match ex.reason {
            sys::LIBVM_EXIT_NONE => Exit::None,
            sys::LIBVM_EXIT_HLT => Exit::Hlt,
            sys::LIBVM_EXIT_IO => Exit::Io {
                port: u.io.port,
                size: u.io.size,
                direction: Direction::from_raw(u.io.direction as u32),
                count: u.io.count,
                data: copy(),
            },
            sys::LIBVM_EXIT_MMIO => Exit::Mmio {
                gpa: u.mmio.gpa,
                size: u.mmio.size,
                direction: Direction::from_raw(u.mmio.direction as u32),
                data: copy(),
            },
            sys::LIBVM_EXIT_SHUTDOWN => Exit::Shutdown,
            sys::LIBVM_EXIT_FAIL_ENTRY => Exit::FailEntry {
                hardware_reason: u.fail_entry.hardware_reason,
                cpu: u.fail_entry.cpu,
            },
            sys::LIBVM_EXIT_INTERNAL_ERROR => Exit::InternalError {
                suberror: u.internal.suberror,
                data: words(&u.internal.data, u.internal.ndata),
            },
            sys::LIBVM_EXIT_DEBUG => Exit::Debug {
                exception: u.debug.exception,
                pc: u.debug.pc,
                dr6: u.debug.dr6,
                dr7: u.debug.dr7,
            },
            sys::LIBVM_EXIT_CANCELLED => Exit::Cancelled,
            sys::LIBVM_EXIT_TIMEOUT => Exit::Timeout,
            sys::LIBVM_EXIT_STOPPED => Exit::Stopped {
                space: Space::from_raw(u.stop.space),
                code: u.stop.code as c_int,
                addr: u.stop.addr,
                value: u.stop.value,
            },
            sys::LIBVM_EXIT_SYSTEM_EVENT => Exit::SystemEvent {
                kind: u.system.type_,
                data: words(&u.system.data, u.system.ndata),
            },
            sys::LIBVM_EXIT_IRQ_WINDOW => Exit::IrqWindow,
            sys::LIBVM_EXIT_OTHER => Exit::Other { kvm_reason: ex.kvm_reason },
            sys::LIBVM_EXIT_EXCEPTION => Exit::Exception {
                vector: u.exception.vector,
                error_code: (u.exception.has_error_code != 0).then_some(u.exception.error_code),
                rip: u.exception.rip,
                cs: u.exception.cs,
                rflags: u.exception.rflags,
                rsp: u.exception.rsp,
                cr2: u.exception.cr2,
            },
            sys::LIBVM_EXIT_GUEST_EXIT => Exit::GuestExit { code: u.guest_exit.code },
            sys::LIBVM_EXIT_RETURN => Exit::Return { value: u.ret.value },
            reason => Exit::Unknown { reason, kvm_reason: ex.kvm_reason },
        }
    }

    /// The `LIBVM_EXIT_*` number of this exit.
    pub fn reason(&self) -> u32 {
        match self {
            Exit::None => sys::LIBVM_EXIT_NONE,
            Exit::Hlt => sys::LIBVM_EXIT_HLT,
            Exit::Io { .. } => sys::LIBVM_EXIT_IO,
            Exit::Mmio { .. } => sys::LIBVM_EXIT_MMIO,
            Exit::Shutdown => sys::LIBVM_EXIT_SHUTDOWN,
            Exit::FailEntry { .. } => sys::LIBVM_EXIT_FAIL_ENTRY,
            Exit::InternalError { .. } => sys::LIBVM_EXIT_INTERNAL_ERROR,
            Exit::Debug { .. } => sys::LIBVM_EXIT_DEBUG,
            Exit::Cancelled => sys::LIBVM_EXIT_CANCELLED,
            Exit::Timeout => sys::LIBVM_EXIT_TIMEOUT,
            Exit::Stopped { .. } => sys::LIBVM_EXIT_STOPPED,
            Exit::SystemEvent { .. } => sys::LIBVM_EXIT_SYSTEM_EVENT,
            Exit::IrqWindow => sys::LIBVM_EXIT_IRQ_WINDOW,
            Exit::Other { .. } => sys::LIBVM_EXIT_OTHER,
            Exit::Exception { .. } => sys::LIBVM_EXIT_EXCEPTION,
            Exit::GuestExit { .. } => sys::LIBVM_EXIT_GUEST_EXIT,
            Exit::Return { .. } => sys::LIBVM_EXIT_RETURN,
            Exit::Unknown { reason, .. } => *reason,
        }
    }

    /// libvm's short name of the reason ("hlt", "io", ...).
    pub fn name(&self) -> &'static str {
        exit_reason_name(self.reason())
    }
}

/// `libvm_exit_reason_name`.
pub fn exit_reason_name(reason: u32) -> &'static str {
    // SAFETY: returns a static string for every value.
    unsafe { crate::error::static_str(sys::libvm_exit_reason_name(reason)) }
}
