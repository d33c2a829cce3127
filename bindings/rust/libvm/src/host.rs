//! Host memory the program owns and maps into guests
//! ([`Vm::map_host`](crate::Vm::map_host), `libvm_mem_map_host`).

use std::alloc::{self, Layout};
use std::fmt;
use std::ptr::{self, NonNull};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

/// Page size of guest regions.
pub const PAGE_SIZE: usize = 4096;

struct Buf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the buffer is plain memory; every access through `HostMemory`
// is a bounds-checked volatile copy (see below), or exclusive
// (`get_mut`).
unsafe impl Send for Buf {}
unsafe impl Sync for Buf {}

impl Drop for Buf {
    fn drop(&mut self) {
        // SAFETY: allocated in HostMemory::new with this layout; the last
        // reference (no VM maps it any more) is going away.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), Layout::from_size_align_unchecked(self.len, PAGE_SIZE)) }
    }
}

/// Page-aligned, zero-initialised host memory to map into guests with
/// [`Vm::map_host`](crate::Vm::map_host).
///
/// A cheap-to-clone handle (`Send + Sync`): every VM that maps it keeps a
/// clone until the region is unmapped or the VM is destroyed, so the
/// memory outlives every mapping.  Since guests (and libvm, e.g. a
/// snapshot restore) may write it at any time, the program reaches it
/// through copies ([`HostMemory::read`], [`HostMemory::write`],
/// [`HostMemory::fill`]), never through a shared slice; a slice is only
/// handed out while the handle is the only one ([`HostMemory::get_mut`]).
/// [`Vm::mem`](crate::Vm::mem) refuses ranges in such regions for the same
/// reason; [`Vm::read`](crate::Vm::read) and
/// [`Vm::write`](crate::Vm::write) work as for any RAM.
///
/// Snapshots copy it like any RAM (unless mapped `mem_flags::VOLATILE`),
/// but a restore rewrites only pages dirtied since: by the guest, or by
/// the host through [`Vm::write`](crate::Vm::write).  Writes through
/// `HostMemory` are not tracked (like those through a `libvm_mem_ptr`
/// pointer in C), so a restore may not undo them.
///
/// One `HostMemory` may be mapped into several VMs (e.g. a coverage map
/// shared by forks, with `mem_flags::VOLATILE`).
#[derive(Clone)]
pub struct HostMemory {
    buf: Arc<Buf>,
}

fn range_err(off: usize, n: usize, len: usize) -> Error {
    Error::new(ErrorKind::Range, format!("host memory {off:#x}+{n:#x} outside its {len:#x} bytes"))
}

impl HostMemory {
    /// `size` bytes of zeroed memory; `size` must be a non-zero multiple of
    /// [`PAGE_SIZE`].
    pub fn new(size: usize) -> Result<HostMemory> {
        if size == 0 || size % PAGE_SIZE != 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("host memory size {size:#x}: must be a non-zero multiple of {PAGE_SIZE:#x}"),
            ));
        }
        let layout = Layout::from_size_align(size, PAGE_SIZE)
            .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("host memory size {size:#x}")))?;
        // SAFETY: non-zero size.
        let p = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(p)
            .ok_or_else(|| Error::new(ErrorKind::NoMemory, format!("host memory of {size:#x} bytes")))?;
        Ok(HostMemory { buf: Arc::new(Buf { ptr, len: size }) })
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.buf.len
    }

    /// Never true (the size is at least one page); for clippy.
    pub fn is_empty(&self) -> bool {
        self.buf.len == 0
    }

    /// The host address (page aligned).  Stays valid while any clone or
    /// mapping lives.
    pub fn as_ptr(&self) -> *const u8 {
        self.buf.ptr.as_ptr()
    }

    /// True when `self` and `other` are the same memory.
    pub fn same(&self, other: &HostMemory) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
    }

    fn check(&self, off: usize, n: usize) -> Result<*mut u8> {
        match off.checked_add(n) {
            Some(end) if end <= self.buf.len => Ok(self.buf.ptr.as_ptr().wrapping_add(off)),
            _ => Err(range_err(off, n, self.buf.len)),
        }
    }

    /// Copy `[off, off+buf.len())` into `buf`.
    pub fn read(&self, off: usize, buf: &mut [u8]) -> Result<()> {
        let p = self.check(off, buf.len())?;
        // SAFETY: in bounds; volatile, as guests may write concurrently.
        unsafe { volatile_copy(p, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copy `buf` to `[off, off+buf.len())`.
    pub fn write(&self, off: usize, buf: &[u8]) -> Result<()> {
        let p = self.check(off, buf.len())?;
        // SAFETY: as read.
        unsafe { volatile_copy(buf.as_ptr(), p, buf.len()) };
        Ok(())
    }

    /// Set `[off, off+len)` to `byte`.
    pub fn fill(&self, off: usize, len: usize, byte: u8) -> Result<()> {
        let p = self.check(off, len)?;
        for i in 0..len {
            // SAFETY: in bounds.
            unsafe { ptr::write_volatile(p.add(i), byte) };
        }
        Ok(())
    }

    /// A copy of all of it.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0; self.buf.len];
        self.read(0, &mut v).expect("in bounds");
        v
    }

    /// The memory as a slice, when this handle is the only one (no VM maps
    /// it and no clone exists); `None` otherwise.
    pub fn get_mut(&mut self) -> Option<&mut [u8]> {
        let b = Arc::get_mut(&mut self.buf)?;
        // SAFETY: unique handle, so nothing else reaches the memory.
        Some(unsafe { std::slice::from_raw_parts_mut(b.ptr.as_ptr(), b.len) })
    }
}

impl fmt::Debug for HostMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostMemory").field("ptr", &self.as_ptr()).field("len", &self.len()).finish()
    }
}

/// Copy n bytes with volatile accesses (8 at a time where both sides are
/// aligned alike).
///
/// # Safety
/// Both ranges valid for n bytes and not overlapping.
unsafe fn volatile_copy(src: *const u8, dst: *mut u8, n: usize) {
    let mut i = 0;
    if (src as usize) % 8 == (dst as usize) % 8 {
        while i < n && (src as usize + i) % 8 != 0 {
            ptr::write_volatile(dst.add(i), ptr::read_volatile(src.add(i)));
            i += 1;
        }
        while i + 8 <= n {
            let w = ptr::read_volatile(src.add(i) as *const u64);
            ptr::write_volatile(dst.add(i) as *mut u64, w);
            i += 8;
        }
    }
    while i < n {
        ptr::write_volatile(dst.add(i), ptr::read_volatile(src.add(i)));
        i += 1;
    }
}
