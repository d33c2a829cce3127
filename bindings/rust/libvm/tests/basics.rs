//! Tests that need no KVM: the library loads, versions, errors, exit
//! names, thread-safety markers.

use libvm::{sys, DeviceState, Error, ErrorKind, Exit, HostMemory, Vm, VmConfig};

#[test]
fn version_matches_the_headers() {
    assert_eq!(libvm::version(), sys::LIBVM_VERSION_STRING);
    assert_eq!(libvm::version_num(), sys::LIBVM_VERSION_NUM);
}

#[test]
fn every_code_maps_to_its_kind_and_back() {
    for code in sys::LIBVM_ETIMEOUT..=sys::LIBVM_EINVAL {
        let k = ErrorKind::from_code(code);
        assert_ne!(k, ErrorKind::Other, "code {code}");
        assert_eq!(k.code(), code);
        assert!(!libvm::strerror(code).is_empty());
    }
    assert_eq!(ErrorKind::from_code(-1000), ErrorKind::Other);
    assert_eq!(ErrorKind::from_code(sys::LIBVM_ENOKVM), ErrorKind::NoKvm);
    assert!(!libvm::strerror(i32::MIN).is_empty());
}

#[test]
fn error_carries_code_kind_and_detail() {
    let e = Error::new(ErrorKind::Range, "0x1000+0x10 outside RAM");
    assert_eq!(e.code(), sys::LIBVM_ERANGE);
    assert_eq!(e.kind(), ErrorKind::Range);
    let s = e.to_string();
    assert!(s.starts_with(libvm::strerror(sys::LIBVM_ERANGE)), "{s}");
    assert!(s.ends_with("0x1000+0x10 outside RAM"), "{s}");
}

#[test]
fn missing_kvm_device_is_no_kvm_with_detail() {
    let cfg = VmConfig { kvm_path: Some("/nonexistent/kvm".into()), ..Default::default() };
    let e = Vm::with_config(&cfg).err().expect("a VM without a KVM device");
    assert_eq!(e.kind(), ErrorKind::NoKvm, "{e}");
    assert_eq!(e.code(), sys::LIBVM_ENOKVM);
    assert!(!e.detail().is_empty());
    assert_eq!(e.detail(), libvm::last_error());
}

#[test]
fn bad_config_is_rejected_without_kvm() {
    let cfg = VmConfig { kvm_path: Some("/dev/\0kvm".into()), ..Default::default() };
    let e = Vm::with_config(&cfg).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn host_query_names_a_backend() {
    let (info, r) = libvm::host_query(Some(std::path::Path::new("/nonexistent/kvm")));
    assert_eq!(r.err().map(|e| e.kind()), Some(ErrorKind::NoKvm));
    assert!(!info.backend.is_empty());
}

#[test]
fn exit_names() {
    assert_eq!(Exit::Hlt.name(), "hlt");
    assert_eq!(Exit::Hlt.reason(), sys::LIBVM_EXIT_HLT);
    assert_eq!(Exit::Return { value: 1 }.reason(), sys::LIBVM_EXIT_RETURN);
    assert!(!libvm::exit_reason_name(9999).is_empty());
}

#[test]
fn thread_safety_markers() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Vm>();
    sync::<Vm>();
    send::<libvm::Vcpu<'static>>();
    send::<libvm::CancelHandle>();
    sync::<libvm::CancelHandle>();
    send::<libvm::Image>();
    sync::<libvm::Image>();
    send::<Error>();
    sync::<Error>();
    send::<libvm::Snapshot>();
    send::<HostMemory>();
    sync::<HostMemory>();
    send::<DeviceState>();
    sync::<DeviceState>();
}

#[test]
fn host_memory_is_page_aligned_and_bounds_checked() {
    for bad in [0, 100, 4097] {
        assert_eq!(HostMemory::new(bad).unwrap_err().kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    let mut m = HostMemory::new(2 * libvm::PAGE_SIZE).unwrap();
    assert_eq!(m.len(), 8192);
    assert_eq!(m.as_ptr() as usize % libvm::PAGE_SIZE, 0);
    assert!(m.to_vec().iter().all(|&b| b == 0));
    m.write(8190, b"ab").unwrap();
    assert_eq!(m.write(8191, b"ab").unwrap_err().kind(), ErrorKind::Range);
    assert_eq!(m.write(usize::MAX, b"a").unwrap_err().kind(), ErrorKind::Range);
    let mut b = [0u8; 3];
    assert_eq!(m.read(8190, &mut b).unwrap_err().kind(), ErrorKind::Range);
    m.read(8189, &mut b).unwrap();
    assert_eq!(&b, b"\0ab");
    // Unaligned and word-sized copies agree.
    let text: Vec<u8> = (0..100).collect();
    m.write(3, &text).unwrap();
    let mut back = vec![0u8; 100];
    m.read(3, &mut back).unwrap();
    assert_eq!(back, text);
    m.fill(0, 8, 0xff).unwrap();
    assert_eq!(m.fill(8000, 200, 0).unwrap_err().kind(), ErrorKind::Range);
    assert_eq!(m.get_mut().unwrap()[..9], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5]);
    let m2 = m.clone();
    assert!(m2.same(&m));
    assert!(m.get_mut().is_none(), "a clone exists");
    drop(m2);
    assert!(m.get_mut().is_some());
}

#[test]
fn device_state_clones_share_bytes() {
    let s = DeviceState::from_bytes(b"abc");
    let t = s.clone();
    t.lock()[0] = b'x';
    assert_eq!(s.to_vec(), b"xbc");
    assert_eq!(s.len(), 3);
    assert!(s.same(&t));
    assert!(!s.same(&DeviceState::from_bytes(b"xbc")));
    assert!(DeviceState::new(0).is_empty());
}
