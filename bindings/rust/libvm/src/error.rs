//! Errors: the libvm code, its short text and the per-thread detail.

use std::ffi::CStr;
use std::fmt;

use libvm_sys as sys;

use crate::Exit;

/// What kind of failure an [`Error`] is; one variant per `LIBVM_E*` code,
/// plus [`ErrorKind::HandlerPanic`] for a Rust handler that panicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `LIBVM_EINVAL`: bad argument.
    InvalidArgument,
    /// `LIBVM_ENOKVM`: `/dev/kvm` missing, unreadable or too old.
    NoKvm,
    /// `LIBVM_ENOMEM`: out of host memory.
    NoMemory,
    /// `LIBVM_EKVM`: a KVM ioctl failed.
    Kvm,
    /// `LIBVM_EVERSION`: unknown struct version.
    Version,
    /// `LIBVM_EOVERLAP`: range overlaps an existing one.
    Overlap,
    /// `LIBVM_ERANGE`: address or length outside guest RAM.
    Range,
    /// `LIBVM_ENOENT`: no such region, trap, symbol, ...
    NotFound,
    /// `LIBVM_EBUSY`: object in use (running vCPU, inside a handler).
    Busy,
    /// `LIBVM_ENOTSUP`: host or KVM lacks a needed feature.
    NotSupported,
    /// `LIBVM_EIO`: file or system I/O failed.
    Io,
    /// `LIBVM_EFAULT`: guest virtual address not mapped.
    Fault,
    /// `LIBVM_ELIMIT`: a fixed limit was reached.
    Limit,
    /// `LIBVM_ESTATE`: object in the wrong state for the call.
    State,
    /// `LIBVM_EIMAGE`: malformed or unusable guest image.
    Image,
    /// `LIBVM_EGUEST`: the guest faulted or stopped in a call.
    Guest,
    /// `LIBVM_ETIMEOUT`: a call's time budget ran out.
    Timeout,
    /// A Rust device, hypercall or console handler panicked; the run was
    /// stopped.  [`Error::code`] is `LIBVM_EGUEST`.
    HandlerPanic,
    /// A code this crate does not know (a newer libvm).
    Other,
}

impl ErrorKind {
    /// The kind of a (negative) libvm code.
    pub fn from_code(code: i32) -> ErrorKind {
        use ErrorKind::*;
        match code {
            sys::LIBVM_EINVAL => InvalidArgument,
            sys::LIBVM_ENOKVM => NoKvm,
            sys::LIBVM_ENOMEM => NoMemory,
            sys::LIBVM_EKVM => Kvm,
            sys::LIBVM_EVERSION => Version,
            sys::LIBVM_EOVERLAP => Overlap,
            sys::LIBVM_ERANGE => Range,
            sys::LIBVM_ENOENT => NotFound,
            sys::LIBVM_EBUSY => Busy,
            sys::LIBVM_ENOTSUP => NotSupported,
            sys::LIBVM_EIO => Io,
            sys::LIBVM_EFAULT => Fault,
            sys::LIBVM_ELIMIT => Limit,
            sys::LIBVM_ESTATE => State,
            sys::LIBVM_EIMAGE => Image,
            sys::LIBVM_EGUEST => Guest,
            sys::LIBVM_ETIMEOUT => Timeout,
            _ => Other,
        }
    }

    /// The libvm code of this kind (`LIBVM_EGUEST` for a handler panic,
    /// 0 for [`ErrorKind::Other`]).
    pub fn code(self) -> i32 {
        use ErrorKind::*;
        match self {
            InvalidArgument => sys::LIBVM_EINVAL,
            NoKvm => sys::LIBVM_ENOKVM,
            NoMemory => sys::LIBVM_ENOMEM,
            Kvm => sys::LIBVM_EKVM,
            Version => sys::LIBVM_EVERSION,
            Overlap => sys::LIBVM_EOVERLAP,
            Range => sys::LIBVM_ERANGE,
            NotFound => sys::LIBVM_ENOENT,
            Busy => sys::LIBVM_EBUSY,
            NotSupported => sys::LIBVM_ENOTSUP,
            Io => sys::LIBVM_EIO,
            Fault => sys::LIBVM_EFAULT,
            Limit => sys::LIBVM_ELIMIT,
            State => sys::LIBVM_ESTATE,
            Image => sys::LIBVM_EIMAGE,
            Guest | HandlerPanic => sys::LIBVM_EGUEST,
            Timeout => sys::LIBVM_ETIMEOUT,
            Other => 0,
        }
    }
}

/// A failed libvm call: the code, the detail message libvm recorded for
/// it on the calling thread (`libvm_last_error`) and, for a failed guest
/// call, the exit that ended it.
#[derive(Clone)]
pub struct Error {
    code: i32,
    kind: ErrorKind,
    detail: String,
    exit: Option<Box<Exit>>,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error for `code` with the calling thread's `libvm_last_error()`
    /// as detail.  Call right after the failing call, on the same thread.
    pub fn last(code: i32) -> Error {
        Error { code, kind: ErrorKind::from_code(code), detail: last_error(), exit: None }
    }

    /// An error with a detail message of the caller's choosing.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Error {
        Error { code: kind.code(), kind, detail: detail.into(), exit: None }
    }

    pub(crate) fn with_exit(mut self, exit: Exit) -> Error {
        self.exit = Some(Box::new(exit));
        self
    }

    /// The negative `LIBVM_E*` code.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What exactly failed (which ioctl, address, file offset, ...).
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// For a guest call that failed (`Guest`, `Timeout`, `HandlerPanic`):
    /// the exit that ended it.
    pub fn exit(&self) -> Option<&Exit> {
        self.exit.as_deref()
    }

    /// True when KVM is unavailable (`LIBVM_ENOKVM`).
    pub fn is_no_kvm(&self) -> bool {
        self.kind == ErrorKind::NoKvm
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.kind == ErrorKind::HandlerPanic {
            "handler panicked"
        } else {
            strerror(self.code)
        };
        if self.detail.is_empty() {
            f.write_str(what)
        } else {
            write!(f, "{what}: {}", self.detail)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code).field("kind", &self.kind).field("detail", &self.detail);
        if let Some(e) = &self.exit {
            d.field("exit", e);
        }
        d.finish()
    }
}

impl std::error::Error for Error {}

/// Turn a libvm return value into a `Result`.
pub(crate) fn check(r: i32) -> Result<()> {
    if r < 0 {
        Err(Error::last(r))
    } else {
        Ok(())
    }
}

/// `libvm_strerror`: the short text for a code; never fails.
pub fn strerror(code: i32) -> &'static str {
    // SAFETY: libvm_strerror returns a static NUL-terminated string for
    // every int.
    unsafe { static_str(sys::libvm_strerror(code)) }
}

/// `libvm_last_error`: the detail of the calling thread's last failure.
pub fn last_error() -> String {
    // SAFETY: never NULL, valid until the next failing call on this thread;
    // copied at once.
    unsafe { CStr::from_ptr(sys::libvm_last_error()) }.to_string_lossy().into_owned()
}

/// # Safety
/// `p` must be NULL or a static NUL-terminated string.
pub(crate) unsafe fn static_str(p: *const std::ffi::c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    CStr::from_ptr(p).to_str().unwrap_or("?")
}

/// `libvm_version`: version of the library actually loaded.
pub fn version() -> &'static str {
    // SAFETY: a static string.
    unsafe { static_str(sys::libvm_version()) }
}

/// `libvm_version_num`: 0xMMmmpp of the library actually loaded.
pub fn version_num() -> u32 {
    // SAFETY: no arguments, no state.
    unsafe { sys::libvm_version_num() }
}
