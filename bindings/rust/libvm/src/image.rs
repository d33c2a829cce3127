//! Guest images loaded by [`Vm::load_file`](crate::Vm::load_file).

use std::ffi::CString;
use std::ptr::NonNull;

use libvm_sys as sys;

use crate::error::{check, Error, ErrorKind, Result};

/// The host-side description of a loaded ELF image: entry point, extent
/// and symbol table.  Independent of the VM (guest RAM is not touched when
/// it is dropped).  `Send` and `Sync`: libvm only reads it.
pub struct Image {
    raw: NonNull<sys::libvm_image>,
}

// SAFETY: an image is immutable after loading; every query is a read.
unsafe impl Send for Image {}
unsafe impl Sync for Image {}

impl Image {
    pub(crate) fn from_raw(p: *mut sys::libvm_image) -> Image {
        Image { raw: NonNull::new(p).expect("libvm_image_load returned NULL") }
    }

    /// The raw handle; it stays owned by `self`.
    pub fn as_raw(&self) -> *const sys::libvm_image {
        self.raw.as_ptr()
    }

    /// The entry point (e_entry).
    pub fn entry(&self) -> u64 {
        // SAFETY: valid handle.
        unsafe { sys::libvm_image_entry(self.as_raw()) }
    }

    /// 32 or 64.
    pub fn class(&self) -> u32 {
        // SAFETY: valid handle.
        unsafe { sys::libvm_image_class(self.as_raw()) }
    }

    /// Lowest and one past the highest guest address of the segments.
    pub fn extent(&self) -> Result<(u64, u64)> {
        let (mut lo, mut hi) = (0, 0);
        // SAFETY: out-pointers valid.
        check(unsafe { sys::libvm_image_extent(&mut lo, &mut hi, self.as_raw()) })?;
        Ok((lo, hi))
    }

    /// Address of symbol `name` (`ErrorKind::NotFound` if absent).
    pub fn symbol(&self, name: &str) -> Result<u64> {
        let c = CString::new(name)
            .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("symbol {name:?} contains NUL")))?;
        let mut a = 0;
        // SAFETY: valid string and out-pointer.
        check(unsafe { sys::libvm_image_symbol(&mut a, self.as_raw(), c.as_ptr()) })?;
        Ok(a)
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: we own it.
        unsafe { sys::libvm_image_destroy(self.raw.as_ptr()) }
    }
}
