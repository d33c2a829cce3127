//! `<libvm/virtio.h>` and the eventfd calls of `<libvm/device.h>`: types
//! and constants (the functions are in the crate's one `extern` block).

use core::ffi::{c_char, c_void};

// ---- device.h: eventfds ---------------------------------------------------

pub const LIBVM_IOEVENTFD_DATAMATCH: u32 = 1 << 0;
pub const LIBVM_IOEVENTFD_REMOVE: u32 = 1 << 1;
pub const LIBVM_IRQFD_REMOVE: u32 = 1 << 0;

// ---- virtio.h -------------------------------------------------------------

/// Opaque virtio device handle.
#[repr(C)]
pub struct libvm_virtio_dev {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

/// Opaque descriptor chain taken off a queue.
#[repr(C)]
pub struct libvm_virtq_chain {
    _private: [u8; 0],
    _marker: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,
}

pub const LIBVM_VIRTIO_ID_NET: u32 = 1;
pub const LIBVM_VIRTIO_ID_BLOCK: u32 = 2;
pub const LIBVM_VIRTIO_ID_CONSOLE: u32 = 3;
pub const LIBVM_VIRTIO_ID_RNG: u32 = 4;
pub const LIBVM_VIRTIO_F_INDIRECT_DESC: u64 = 1 << 28;
pub const LIBVM_VIRTIO_F_EVENT_IDX: u64 = 1 << 29;
pub const LIBVM_VIRTIO_F_VERSION_1: u64 = 1 << 32;
pub const LIBVM_VIRTIO_S_ACKNOWLEDGE: u32 = 0x01;
pub const LIBVM_VIRTIO_S_DRIVER: u32 = 0x02;
pub const LIBVM_VIRTIO_S_DRIVER_OK: u32 = 0x04;
pub const LIBVM_VIRTIO_S_FEATURES_OK: u32 = 0x08;
pub const LIBVM_VIRTIO_S_NEEDS_RESET: u32 = 0x40;
pub const LIBVM_VIRTIO_S_FAILED: u32 = 0x80;
pub const LIBVM_VIRTIO_MMIO_SIZE: u64 = 0x200;
pub const LIBVM_VIRTIO_MMIO_MAGIC: u32 = 0x7472_6976;
pub const LIBVM_VIRTIO_MMIO_VERSION: u32 = 2;
pub const LIBVM_VIRTIO_CONFIG_MAX: u32 = 0x100;
pub const LIBVM_VIRTIO_MAX_QUEUES: u32 = 16;
pub const LIBVM_VIRTIO_QUEUE_MAX: u32 = 32768;
pub const LIBVM_VIRTIO_NO_GSI: u32 = 0xffff_ffff;
pub const LIBVM_VIRTIO_EV_QUEUE: u32 = 0;
pub const LIBVM_VIRTIO_EV_FD: u32 = 1;
pub const LIBVM_VIRTIO_EV_RESET: u32 = 2;
pub const LIBVM_VIRTIO_EV_READY: u32 = 3;
pub const LIBVM_VIRTIO_EV_CONFIG: u32 = 4;
pub const LIBVM_VIRTIO_TRAP_NOTIFY: u32 = 1 << 0;
pub const LIBVM_VIRTIO_CONFIG_VERSION: u32 = 1;
pub const LIBVM_VIRTIO_STATS_VERSION: u32 = 1;
pub const LIBVM_VIRTQ_READABLE: u32 = 0;
pub const LIBVM_VIRTQ_WRITABLE: u32 = 1;
pub const LIBVM_VIRTIO_BLK_READONLY: u32 = 1 << 0;
pub const LIBVM_VIRTIO_BLK_CONFIG_VERSION: u32 = 1;
pub const LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION: u32 = 1;
pub const LIBVM_VIRTIO_RNG_CONFIG_VERSION: u32 = 1;

pub type libvm_virtio_event_fn = Option<
    unsafe extern "C" fn(dev: *mut libvm_virtio_dev, event: u32, arg: u32, opaque: *mut c_void),
>;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_virtio_config {
    pub version: u32,
    pub flags: u32,
    pub device_id: u32,
    pub num_queues: u32,
    pub queue_size: u32,
    pub config_size: u32,
    pub config: *const c_void,
    pub features: u64,
    pub mmio_base: u64,
    pub gsi: u32,
    pub reserved: u32,
    pub event: libvm_virtio_event_fn,
    pub opaque: *mut c_void,
}

impl Default for libvm_virtio_config {
    /// `LIBVM_VIRTIO_CONFIG_INIT`.
    fn default() -> Self {
        libvm_virtio_config {
            version: LIBVM_VIRTIO_CONFIG_VERSION,
            flags: 0,
            device_id: 0,
            num_queues: 1,
            queue_size: 0,
            config_size: 0,
            config: core::ptr::null(),
            features: 0,
            mmio_base: 0,
            gsi: LIBVM_VIRTIO_NO_GSI,
            reserved: 0,
            event: None,
            opaque: core::ptr::null_mut(),
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct libvm_virtio_stats {
    pub version: u32,
    pub reserved: u32,
    pub mmio_exits: u64,
    pub kicks: u64,
    pub chains: u64,
    pub interrupts: u64,
    pub needs_reset: u64,
}

impl Default for libvm_virtio_stats {
    /// `LIBVM_VIRTIO_STATS_INIT`.
    fn default() -> Self {
        libvm_virtio_stats {
            version: LIBVM_VIRTIO_STATS_VERSION,
            reserved: 0,
            mmio_exits: 0,
            kicks: 0,
            chains: 0,
            interrupts: 0,
            needs_reset: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_virtq_seg {
    pub addr: *mut c_void,
    pub len: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct libvm_virtio_blk_config {
    pub version: u32,
    pub flags: u32,
    pub path: *const c_char,
    pub serial: *const c_char,
    pub mmio_base: u64,
    pub gsi: u32,
    pub queue_size: u32,
}

impl Default for libvm_virtio_blk_config {
    /// `LIBVM_VIRTIO_BLK_CONFIG_INIT`.
    fn default() -> Self {
        libvm_virtio_blk_config {
            version: LIBVM_VIRTIO_BLK_CONFIG_VERSION,
            flags: 0,
            path: core::ptr::null(),
            serial: core::ptr::null(),
            mmio_base: 0,
            gsi: LIBVM_VIRTIO_NO_GSI,
            queue_size: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct libvm_virtio_console_config {
    pub version: u32,
    pub flags: u32,
    pub in_fd: i32,
    pub out_fd: i32,
    pub mmio_base: u64,
    pub gsi: u32,
    pub reserved: u32,
}

impl Default for libvm_virtio_console_config {
    /// `LIBVM_VIRTIO_CONSOLE_CONFIG_INIT`.
    fn default() -> Self {
        libvm_virtio_console_config {
            version: LIBVM_VIRTIO_CONSOLE_CONFIG_VERSION,
            flags: 0,
            in_fd: -1,
            out_fd: -1,
            mmio_base: 0,
            gsi: LIBVM_VIRTIO_NO_GSI,
            reserved: 0,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct libvm_virtio_rng_config {
    pub version: u32,
    pub flags: u32,
    pub mmio_base: u64,
    pub gsi: u32,
    pub reserved: u32,
}

impl Default for libvm_virtio_rng_config {
    /// `LIBVM_VIRTIO_RNG_CONFIG_INIT`.
    fn default() -> Self {
        libvm_virtio_rng_config {
            version: LIBVM_VIRTIO_RNG_CONFIG_VERSION,
            flags: 0,
            mmio_base: 0,
            gsi: LIBVM_VIRTIO_NO_GSI,
            reserved: 0,
        }
    }
}
