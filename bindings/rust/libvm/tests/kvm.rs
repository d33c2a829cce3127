//! Tests that run guests.  Each returns early with a note when KVM is
//! unavailable (ErrorKind::NoKvm) and only then.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{guest, hello_code, vm_or_skip};
use libvm::{Action, Arg, Direction, ErrorKind, Exit, LongMode, Space, Vm};

const SEC: Option<Duration> = Some(Duration::from_secs(10));

fn real_mode_vm(test: &str, code: &[u8]) -> Option<Vm> {
    let vm = vm_or_skip(test)?;
    vm.map_anon(0, 0x10000, 0).unwrap();
    vm.write(0x1000, code).unwrap();
    Some(vm)
}

#[test]
fn hello_port_io_closure() {
    let Some(vm) = real_mode_vm("hello_port_io_closure", &hello_code()) else { return };
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    vm.trap_pio(0x3f8, 1, move |a| {
        assert_eq!(a.direction, Direction::Write);
        assert_eq!(a.addr, 0x3f8);
        o.lock().unwrap().push(a.data[0]);
        Action::Continue
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(&*out.lock().unwrap(), b"Hello from the guest!\n");
}

#[test]
fn unhandled_io_exits_and_in_data() {
    // in $0x20, %al; out %al, $0x21; hlt
    let Some(vm) = real_mode_vm("unhandled_io_exits_and_in_data", &[0xe4, 0x20, 0xe6, 0x21, 0xf4]) else {
        return;
    };
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    match vcpu.run(SEC).unwrap() {
        Exit::Io { port: 0x20, size: 1, direction: Direction::Read, count: 1, .. } => {}
        e => panic!("{e:?}"),
    }
    vcpu.io_data_mut().unwrap()[0] = 0x5a;
    match vcpu.run(SEC).unwrap() {
        Exit::Io { port: 0x21, direction: Direction::Write, data, .. } => assert_eq!(data, [0x5a]),
        e => panic!("{e:?}"),
    }
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::Hlt);
    assert!(vcpu.io_data_mut().is_none());
}

#[test]
fn handler_stop_and_read_value() {
    // in $0x60, %al; out %al, $0x61; hlt
    let Some(vm) = real_mode_vm("handler_stop_and_read_value", &[0xe4, 0x60, 0xe6, 0x61, 0xf4]) else {
        return;
    };
    vm.trap_pio(0x60, 2, |a| match a.direction {
        Direction::Read => {
            a.set_value(0x77);
            Action::Continue
        }
        Direction::Write if a.value() == 0x77 => Action::Stop,
        Direction::Write => Action::Fail(libvm::sys::LIBVM_EINVAL),
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(
        vcpu.run(SEC).unwrap(),
        Exit::Stopped { space: Space::Pio, code: libvm::sys::LIBVM_TRAP_STOP, addr: 0x61, value: 0 }
    );
    // Overlapping registration is refused; unregister frees the range.
    let e = vm.trap_pio(0x61, 1, |_| Action::Continue).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overlap);
    vm.untrap(Space::Pio, 0x60).unwrap();
    assert_eq!(vm.untrap(Space::Pio, 0x60).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn handler_panic_stops_the_run() {
    let Some(vm) = real_mode_vm("handler_panic_stops_the_run", &hello_code()) else { return };
    vm.trap_pio(0x3f8, 1, |_| panic!("device on fire")).unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    let e = vcpu.run(SEC).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HandlerPanic);
    assert!(e.detail().contains("device on fire"), "{e}");
    assert!(matches!(e.exit(), Some(Exit::Stopped { space: Space::Pio, .. })), "{e:?}");
    // The handler (its mutex poisoned) and the VM keep working.
    vm.untrap(Space::Pio, 0x3f8).unwrap();
    let n = Arc::new(AtomicU64::new(0));
    let n2 = n.clone();
    vm.trap_pio(0x3f8, 1, move |_| {
        n2.fetch_add(1, Ordering::Relaxed);
        Action::Continue
    })
    .unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::Hlt);
    // The panicking handler took the first byte.
    assert_eq!(n.load(Ordering::Relaxed), 21);
}

#[test]
fn registering_from_a_handler_is_busy() {
    let Some(vm) = real_mode_vm("registering_from_a_handler_is_busy", &hello_code()) else { return };
    let vm = Arc::new(vm);
    let inner = Arc::downgrade(&vm);
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    vm.trap_pio(0x3f8, 1, move |_| {
        if let Some(vm) = inner.upgrade() {
            *s.lock().unwrap() = Some(vm.trap_pio(0x100, 1, |_| Action::Continue).unwrap_err().kind());
        }
        Action::Stop
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    assert!(matches!(vcpu.run(SEC).unwrap(), Exit::Stopped { .. }));
    assert_eq!(*seen.lock().unwrap(), Some(ErrorKind::Busy));
}

#[test]
fn cancel_from_another_thread_and_timeout() {
    let Some(vm) = real_mode_vm("cancel_from_another_thread_and_timeout", &[0xeb, 0xfe]) else { return };
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(vcpu.run(Some(Duration::from_millis(50))).unwrap(), Exit::Timeout);
    let h = vcpu.cancel_handle();
    let exit = std::thread::scope(|s| {
        let runner = s.spawn(move || vcpu.run(None).map(|e| (e, vcpu)));
        std::thread::sleep(Duration::from_millis(200));
        assert!(h.cancel());
        runner.join().unwrap()
    });
    let (exit, vcpu) = exit.unwrap();
    assert_eq!(exit, Exit::Cancelled);
    let h2 = h.clone();
    drop(vcpu);
    assert!(!h2.cancel(), "the vCPU is gone");
}

#[test]
fn vcpus_run_concurrently_on_threads() {
    let Some(vm) = real_mode_vm("vcpus_run_concurrently_on_threads", &hello_code()) else { return };
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    vm.trap_pio(0x3f8, 1, move |_| {
        c.fetch_add(1, Ordering::Relaxed);
        Action::Continue
    })
    .unwrap();
    std::thread::scope(|s| {
        for id in 0..2 {
            let vm = &vm;
            s.spawn(move || {
                let mut v = vm.vcpu(id).unwrap();
                v.set_real_mode(0, 0x1000, 0).unwrap();
                assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
            });
        }
    });
    assert_eq!(count.load(Ordering::Relaxed), 2 * 22);
}

#[test]
fn memory_bounds_and_views() {
    let Some(mut vm) = vm_or_skip("memory_bounds_and_views") else { return };
    vm.map_anon(0, 0x10000, 0).unwrap();
    vm.write(0xfff0, &[1; 16]).unwrap();
    assert_eq!(vm.write(0xfff8, &[1; 16]).unwrap_err().kind(), ErrorKind::Range);
    let mut b = [0u8; 4];
    assert_eq!(vm.read(0x10000, &mut b).unwrap_err().kind(), ErrorKind::Range);
    assert_eq!(vm.read(u64::MAX - 1, &mut b).unwrap_err().kind(), ErrorKind::Range);
    let s = vm.mem_mut(0x2000, 8).unwrap();
    s.copy_from_slice(b"ABCDEFGH");
    assert_eq!(vm.read_vec(0x2000, 8).unwrap(), b"ABCDEFGH");
    assert_eq!(vm.mem(0xfff0, 0x20).unwrap_err().kind(), ErrorKind::Range);
    vm.unmap(0).unwrap();
    assert_eq!(vm.read(0x2000, &mut b).unwrap_err().kind(), ErrorKind::Range);
}

#[test]
fn registers_round_trip() {
    let Some(vm) = vm_or_skip("registers_round_trip") else { return };
    vm.map_anon(0, 0x10000, 0).unwrap();
    let mut v = vm.vcpu(0).unwrap();
    let mut r = v.regs().unwrap();
    r.rax = 0x1234;
    r.r15 = 0xdead_beef;
    v.set_regs(&r).unwrap();
    assert_eq!(v.regs().unwrap(), r);
    let s = v.sregs().unwrap();
    v.set_sregs(&s).unwrap();
    assert!(!v.cpuid().unwrap().is_empty());
    assert!(!v.xsave().unwrap().is_empty());
    assert_eq!(vm.vcpu(0).err().map(|e| e.kind()), Some(ErrorKind::Busy));
}

const RAM: u64 = 64 << 20;

fn funcs_vm(test: &str) -> Option<(Vm, libvm::Image)> {
    let mut vm = vm_or_skip(test)?;
    vm.map_anon(0, RAM, 0).unwrap();
    let img = vm.load_file(guest("funcs.elf"), 0).unwrap();
    vm.long_mode_setup(&LongMode { sys_gpa: 0x100000, ..Default::default() }).unwrap();
    vm.scratch_set(32 << 20, 16 << 20).unwrap();
    Some((vm, img))
}

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

#[test]
fn guest_calls_by_symbol() {
    let Some((mut vm, img)) = funcs_vm("guest_calls_by_symbol") else { return };
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    vm.console(move |b| o.lock().unwrap().extend_from_slice(b)).unwrap();
    vm.hypercall(16, |hc| {
        hc.ret = hc.args[0] + 1;
        Action::Continue
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), RAM).unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::GuestExit { code: 42 });
    assert_eq!(&*out.lock().unwrap(), b"hello from a compiled guest\n");

    assert_eq!(vcpu.call_symbol(&img, "add", &[2, 40], SEC).unwrap(), 42);
    let text: Vec<u8> = (0..4096).map(|i| b'a' + (i % 26) as u8).collect();
    let add = img.symbol("fnv1a").unwrap();
    assert_eq!(vcpu.call_args(add, &[Arg::Bytes(&text), Arg::U64(4096)], SEC).unwrap(), fnv1a(&text));
    vm.scratch_reset();
    assert_eq!(vcpu.call_symbol(&img, "twice_via_host", &[20], SEC).unwrap(), 42);

    let e = vcpu.call_symbol(&img, "divide", &[1, 0], SEC).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Guest, "{e}");
    assert!(matches!(e.exit(), Some(Exit::Exception { vector: 0, .. })), "{e:?}");
    assert_eq!(vcpu.call_symbol(&img, "add", &[20, 22], SEC).unwrap(), 42);
    assert_eq!(img.symbol("no_such_fn").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(vcpu.call(0, &[0; 7], SEC).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn hypercall_panic_fails_the_call() {
    let Some((vm, img)) = funcs_vm("hypercall_panic_fails_the_call") else { return };
    vm.hypercall(16, |_| panic!("hypercall on fire")).unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), RAM).unwrap();
    let e = vcpu.call_symbol(&img, "twice_via_host", &[1], SEC).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HandlerPanic, "{e}");
    assert!(matches!(e.exit(), Some(Exit::Stopped { space: Space::Hypercall, addr: 16, .. })), "{e:?}");
    assert_eq!(vcpu.call_symbol(&img, "add", &[1, 2], SEC).unwrap(), 3);
}

#[test]
fn hypercall_guest_program() {
    let Some(mut vm) = vm_or_skip("hypercall_guest_program") else { return };
    vm.map_anon(0, 16 << 20, 0).unwrap();
    let img = vm.load_file(guest("hcall.elf"), 0).unwrap();
    vm.long_mode_setup(&LongMode { sys_gpa: 0x100000, ..Default::default() }).unwrap();
    let mut next = 1i64;
    vm.hypercall(16, move |hc| {
        hc.ret = if next <= 10 { next as u64 } else { u64::MAX };
        next += 1;
        Action::Continue
    })
    .unwrap();
    let report = Arc::new(Mutex::new(None));
    let r = report.clone();
    vm.hypercall(17, move |hc| {
        *r.lock().unwrap() = Some((hc.args[0], hc.args[1]));
        Action::Continue
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), 16 << 20).unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::GuestExit { code: 0 });
    assert_eq!(*report.lock().unwrap(), Some((385, 10)));
}

#[test]
fn snapshot_restore_and_fuzz_exec() {
    let Some((vm, img)) = funcs_vm("snapshot_restore_and_fuzz_exec") else { return };
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), RAM).unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::GuestExit { code: 42 });
    vm.write(0x3000000, b"before").unwrap();
    let snap = vm.snapshot().unwrap();
    vm.write(0x3000000, b"after!").unwrap();
    vm.restore(&snap).unwrap();
    assert_eq!(vm.read_vec(0x3000000, 6).unwrap(), b"before");
    assert_eq!(vcpu.call_symbol(&img, "add", &[1, 2], SEC).unwrap(), 3);

    let f = img.symbol("fnv1a").unwrap();
    for input in [&b""[..], b"a", b"hello, world"] {
        let r = vm.fuzz_exec(&snap, f, 32 << 20, 4096, input, SEC).unwrap();
        assert_eq!(r.outcome, libvm::FuzzOutcome::Ok, "{r:?}");
        assert_eq!(r.ret, fnv1a(input));
        assert!(!r.truncated);
    }
    // Longer than input_cap: cut, and said so.
    let r = vm.fuzz_exec(&snap, f, 32 << 20, 4, b"abcdef", SEC).unwrap();
    assert!(r.truncated, "{r:?}");
    assert_eq!(r.ret, fnv1a(b"abcd"));
    let r = vm.fuzz_exec(&snap, img.symbol("divide").unwrap(), 32 << 20, 4096, b"", SEC).unwrap();
    assert_eq!(r.outcome, libvm::FuzzOutcome::Crash, "{r:?}");

    let path = std::env::temp_dir().join(format!("libvm-rust-{}.snap", std::process::id()));
    snap.save(&path).unwrap();
    let loaded = libvm::Snapshot::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    vm.write(0x3000000, b"after!").unwrap();
    vm.restore(&loaded).unwrap();
    assert_eq!(vm.read_vec(0x3000000, 6).unwrap(), b"before");
    assert!(!vm.needs_restore());
}
