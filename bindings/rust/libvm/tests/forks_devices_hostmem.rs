//! Forks (`Vm::fork`, `Vm::existing_vcpu`), device state in snapshots
//! (`Vm::device_state*`) and caller memory (`HostMemory`, `Vm::map_host`).
//! Each test returns early with a note when KVM is unavailable
//! (ErrorKind::NoKvm) and only then.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{guest, hello_code, vm_or_skip};
use libvm::{mem_flags, Action, DeviceState, Direction, ErrorKind, Exit, HostMemory, LongMode, Snapshot, Space, Vm};

const SEC: Option<Duration> = Some(Duration::from_secs(10));
const RAM: u64 = 64 << 20;
const DATA: u64 = 0x3000000;

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

fn funcs_vm(test: &str) -> Option<(Vm, libvm::Image)> {
    let mut vm = vm_or_skip(test)?;
    vm.map_anon(0, RAM, 0).unwrap();
    let img = vm.load_file(guest("funcs.elf"), 0).unwrap();
    vm.long_mode_setup(&LongMode { sys_gpa: 0x100000, ..Default::default() }).unwrap();
    Some((vm, img))
}

fn real_mode_vm(test: &str, code: &[u8]) -> Option<Vm> {
    let vm = vm_or_skip(test)?;
    vm.map_anon(0, 0x10000, 0).unwrap();
    vm.write(0x1000, code).unwrap();
    Some(vm)
}

fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("libvm-rust-{tag}-{}.snap", std::process::id()))
}

// ---- forks ------------------------------------------------------------------

#[test]
fn fork_is_copy_on_write_and_keeps_its_closures() {
    let Some((mut vm, img)) = funcs_vm("fork_is_copy_on_write_and_keeps_its_closures") else { return };
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    vm.hypercall(16, move |hc| {
        c.fetch_add(1, Ordering::Relaxed);
        hc.ret = hc.args[0];
        Action::Continue
    })
    .unwrap();
    let console = Arc::new(Mutex::new(Vec::new()));
    let o = console.clone();
    vm.console(move |b| o.lock().unwrap().extend_from_slice(b)).unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), RAM).unwrap();
    vm.write(DATA, b"before").unwrap();
    // Before main() ran: each fork boots it itself.
    let snap = vm.snapshot().unwrap();
    vm.write(DATA, b"parent").unwrap();

    let a = Vm::fork(&snap).unwrap();
    let b = Vm::fork(&snap).unwrap();
    a.write(DATA, b"fork-a").unwrap();
    assert_eq!(vm.read_vec(DATA, 6).unwrap(), b"parent");
    assert_eq!(a.read_vec(DATA, 6).unwrap(), b"fork-a");
    assert_eq!(b.read_vec(DATA, 6).unwrap(), b"before");

    // The vCPUs come with the fork: one handle at a time.
    assert_eq!(a.vcpu(0).err().map(|e| e.kind()), Some(ErrorKind::Busy));
    assert_eq!(a.existing_vcpu(1).err().map(|e| e.kind()), Some(ErrorKind::NotFound));
    let av = a.existing_vcpu(0).unwrap();
    assert_eq!(av.id(), 0);
    assert_eq!(a.existing_vcpu(0).err().map(|e| e.kind()), Some(ErrorKind::Busy));
    drop(av);

    // The parent replaces its console, then it and the snapshot go away:
    // the forks keep the closures they inherited.
    drop(vcpu);
    let replaced = Arc::new(AtomicU64::new(0));
    let r = replaced.clone();
    vm.console(move |_| {
        r.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    drop(vm);
    drop(snap);

    let mut av = a.existing_vcpu(0).unwrap();
    assert_eq!(av.run(SEC).unwrap(), Exit::GuestExit { code: 42 });
    assert_eq!(&*console.lock().unwrap(), b"hello from a compiled guest\n");
    assert_eq!(replaced.load(Ordering::Relaxed), 0);
    assert_eq!(av.call_symbol(&img, "twice_via_host", &[21], SEC).unwrap(), 42);
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    let f = img.symbol("fnv1a").unwrap();
    assert_eq!(av.call(f, &[DATA, 6], SEC).unwrap(), fnv1a(b"fork-a"));

    // A fork is Send: run b on another thread, with the same closures.
    let img = Arc::new(img);
    let img2 = img.clone();
    let r = std::thread::spawn(move || {
        let mut bv = b.existing_vcpu(0).unwrap();
        assert_eq!(bv.run(SEC).unwrap(), Exit::GuestExit { code: 42 });
        let x = bv.call_symbol(&img2, "twice_via_host", &[5], SEC).unwrap();
        let h = bv.call(img2.symbol("fnv1a").unwrap(), &[DATA, 6], SEC).unwrap();
        (x, h)
    })
    .join()
    .unwrap();
    assert_eq!(r, (10, fnv1a(b"before")));
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    assert_eq!(&*console.lock().unwrap(), b"hello from a compiled guest\nhello from a compiled guest\n");
}

#[test]
fn snapshot_keeps_a_trap_the_parent_dropped() {
    let Some(vm) = real_mode_vm("snapshot_keeps_a_trap_the_parent_dropped", &hello_code()) else { return };
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    vm.trap_pio(0x3f8, 1, move |a| {
        assert_eq!(a.direction, Direction::Write);
        o.lock().unwrap().push(a.data[0]);
        Action::Continue
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_real_mode(0, 0x1000, 0).unwrap();
    let snap = vm.snapshot().unwrap();
    // The parent lets go of the closure; the snapshot still has it.
    vm.untrap(Space::Pio, 0x3f8).unwrap();
    match vcpu.run(SEC).unwrap() {
        Exit::Io { port: 0x3f8, direction: Direction::Write, .. } => {}
        e => panic!("{e:?}"),
    }
    drop(vcpu);
    drop(vm);

    let fork = Vm::fork(&snap).unwrap();
    drop(snap);
    let mut v = fork.existing_vcpu(0).unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(&*out.lock().unwrap(), b"Hello from the guest!\n");
    // The fork's registrations are its own: untrap it there, and again.
    drop(v);
    fork.untrap(Space::Pio, 0x3f8).unwrap();
    assert_eq!(fork.untrap(Space::Pio, 0x3f8).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn fork_of_a_loaded_snapshot_has_no_handlers() {
    let Some((vm, img)) = funcs_vm("fork_of_a_loaded_snapshot_has_no_handlers") else { return };
    vm.hypercall(16, |hc| {
        hc.ret = hc.args[0];
        Action::Continue
    })
    .unwrap();
    let mut vcpu = vm.vcpu(0).unwrap();
    vcpu.set_long_mode(img.entry(), RAM).unwrap();
    assert_eq!(vcpu.run(SEC).unwrap(), Exit::GuestExit { code: 42 });
    let path = temp_path("fork");
    vm.snapshot().unwrap().save(&path).unwrap();
    let loaded = Snapshot::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();

    let fork = Vm::fork(&loaded).unwrap();
    let mut v = fork.existing_vcpu(0).unwrap();
    assert_eq!(v.call_symbol(&img, "add", &[40, 2], SEC).unwrap(), 42);
    // No hypercall handler: the guest gets LIBVM_ENOENT (-8), doubled.
    assert_eq!(v.call_symbol(&img, "twice_via_host", &[1], SEC).unwrap() as i64, -16);
    // A fork takes fuzz_exec and restores like any VM.
    drop(v);
    let f = img.symbol("fnv1a").unwrap();
    let r = fork.fuzz_exec(&loaded, f, 32 << 20, 4096, b"fork", SEC).unwrap();
    assert_eq!((r.outcome, r.ret), (libvm::FuzzOutcome::Ok, fnv1a(b"fork")));
    let r = fork.fuzz_exec(&loaded, img.symbol("divide").unwrap(), 32 << 20, 4096, b"", SEC).unwrap();
    assert_eq!(r.outcome, libvm::FuzzOutcome::Crash);
    assert!(fork.needs_restore());
    fork.restore(&loaded).unwrap();
    assert!(!fork.needs_restore());
}

#[test]
fn vcpu_handles_come_and_go() {
    let Some(vm) = real_mode_vm("vcpu_handles_come_and_go", &[0xf4]) else { return };
    let mut v = vm.vcpu(0).unwrap();
    let mut r = v.regs().unwrap();
    r.rbx = 0x5eed;
    v.set_regs(&r).unwrap();
    let h = v.cancel_handle();
    drop(v);
    assert!(!h.cancel(), "the handle is gone");
    // Dropping the handle left the vCPU in the VM, state and all.
    assert_eq!(vm.vcpu(0).err().map(|e| e.kind()), Some(ErrorKind::Busy));
    let mut v = vm.existing_vcpu(0).unwrap();
    assert_eq!(v.id(), 0);
    assert_eq!(v.regs().unwrap().rbx, 0x5eed);
    v.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    let snap = vm.snapshot().unwrap();
    // destroy() takes it out of the VM: restores that need it fail.
    v.destroy();
    assert_eq!(vm.existing_vcpu(0).err().map(|e| e.kind()), Some(ErrorKind::NotFound));
    assert_eq!(vm.restore(&snap).unwrap_err().kind(), ErrorKind::State);
}

// ---- device state -------------------------------------------------------------

/// mov $1, %al; 1: out %al, $0x10; hlt; jmp 1b
const COUNTER_CODE: [u8; 7] = [0xb0, 0x01, 0xe6, 0x10, 0xf4, 0xeb, 0xfb];

/// A VM whose port 0x10 adds what the guest writes to byte 0 of `st`.
fn counter_vm(test: &str, st: &DeviceState) -> Option<Vm> {
    let vm = real_mode_vm(test, &COUNTER_CODE)?;
    let s = st.clone();
    vm.trap_pio(0x10, 1, move |a| {
        s.lock()[0] += a.data[0];
        Action::Continue
    })
    .unwrap();
    Some(vm)
}

#[test]
fn device_state_follows_snapshots() {
    let st = DeviceState::new(8);
    let Some(mut vm) = counter_vm("device_state_follows_snapshots", &st) else { return };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    vm.device_state_restored("counter", &st, move |b| s.lock().unwrap().push(b.to_vec())).unwrap();
    assert!(vm.device_state_of("counter").unwrap().same(&st));
    assert!(vm.device_state_of("nothing").is_none());

    // Names: 1-31 bytes, no NUL, unique.
    let other = DeviceState::new(4);
    assert_eq!(vm.device_state("", &other).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(vm.device_state(&"x".repeat(32), &other).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(vm.device_state("a\0b", &other).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(vm.device_state("counter", &other).unwrap_err().kind(), ErrorKind::Overlap);
    vm.device_state(&"y".repeat(31), &DeviceState::new(0)).unwrap();
    assert_eq!(vm.remove_device_state("nothing").unwrap_err().kind(), ErrorKind::NotFound);

    let mut v = vm.vcpu(0).unwrap();
    v.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(st.lock()[0], 1);
    st.lock()[7] = 0xee;
    let snap = vm.snapshot().unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    st.lock()[7] = 0;
    assert_eq!(st.lock()[0], 3);

    vm.restore(&snap).unwrap();
    assert_eq!(st.to_vec(), [1, 0, 0, 0, 0, 0, 0, 0xee]);
    assert_eq!(&*seen.lock().unwrap(), &[vec![1, 0, 0, 0, 0, 0, 0, 0xee]]);
    // The vCPU is back after the first HLT too: one more OUT.
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(st.lock()[0], 2);

    // Through a file (the DEVICE section).
    let path = temp_path("devstate");
    snap.save(&path).unwrap();
    let loaded = Snapshot::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    st.lock()[0] = 50;
    vm.restore(&loaded).unwrap();
    assert_eq!(st.lock()[0], 1);

    // Unregistered: restores leave it (and the hook) alone.
    drop(v);
    vm.remove_device_state("counter").unwrap();
    let v = vm.existing_vcpu(0).unwrap();
    st.lock()[0] = 9;
    let hooks = seen.lock().unwrap().len();
    vm.restore(&snap).unwrap();
    assert_eq!(st.lock()[0], 9);
    assert_eq!(seen.lock().unwrap().len(), hooks);
    drop(v);
}

#[test]
fn restored_hook_panic_fails_the_restore() {
    let st = DeviceState::new(1);
    let Some(mut vm) = counter_vm("restored_hook_panic_fails_the_restore", &st) else { return };
    vm.device_state_restored("dev", &st, |_| panic!("hook on fire")).unwrap();
    let v = vm.vcpu(0).unwrap();
    let snap = vm.snapshot().unwrap();
    let e = vm.restore(&snap).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HandlerPanic);
    assert!(e.detail().contains("hook on fire"), "{e}");
    // Fork restores too: the same hook fails it, and the VM is dropped.
    assert_eq!(Vm::fork(&snap).err().map(|e| e.kind()), Some(ErrorKind::HandlerPanic));
    drop(v);
    vm.remove_device_state("dev").unwrap();
    let _v = vm.existing_vcpu(0).unwrap();
    vm.restore(&snap).unwrap();
}

#[test]
fn fork_shares_device_state_until_given_its_own() {
    let st = DeviceState::new(8);
    let Some(mut vm) = counter_vm("fork_shares_device_state_until_given_its_own", &st) else { return };
    vm.device_state("counter", &st).unwrap();
    let mut v = vm.vcpu(0).unwrap();
    v.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    let snap = vm.snapshot().unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(st.lock()[0], 2);

    // As in C: the fork has the same state, and forking restores it.
    let mut fork = Vm::fork(&snap).unwrap();
    assert!(fork.device_state_of("counter").unwrap().same(&st));
    assert_eq!(st.lock()[0], 1);
    let mut fv = fork.existing_vcpu(0).unwrap();
    assert_eq!(fv.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!(st.lock()[0], 2);
    drop(fv);

    // A device of its own: new state and a trap that uses it.
    let own = DeviceState::new(8);
    fork.remove_device_state("counter").unwrap();
    fork.device_state("counter", &own).unwrap();
    fork.untrap(Space::Pio, 0x10).unwrap();
    let o = own.clone();
    fork.trap_pio(0x10, 1, move |a| {
        o.lock()[0] += 10 * a.data[0];
        Action::Continue
    })
    .unwrap();
    let mut fv = fork.existing_vcpu(0).unwrap();
    assert_eq!(fv.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!((st.lock()[0], own.lock()[0]), (2, 10));
    // Restoring the fork writes its own state (the snapshot's "counter").
    fork.restore(&snap).unwrap();
    assert_eq!((st.lock()[0], own.lock()[0]), (2, 1));
    // And the parent's restore leaves the fork's alone.
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    vm.restore(&snap).unwrap();
    assert_eq!((st.lock()[0], own.lock()[0]), (1, 1));
    assert_eq!(fv.run(SEC).unwrap(), Exit::Hlt);
    assert_eq!((st.lock()[0], own.lock()[0]), (1, 11));
}

#[test]
fn parent_and_fork_run_shared_device_on_two_threads() {
    // 1000 OUTs per VM into one shared counter, from two threads.
    let st = DeviceState::new(8);
    let Some(mut vm) = vm_or_skip("parent_and_fork_run_shared_device_on_two_threads") else { return };
    vm.map_anon(0, 0x10000, 0).unwrap();
    // mov $1000, %cx; 1: out %al, $0x10; loop 1b; hlt
    vm.write(0x1000, &[0xb9, 0xe8, 0x03, 0xe6, 0x10, 0xe2, 0xfc, 0xf4]).unwrap();
    let s = st.clone();
    vm.trap_pio(0x10, 1, move |_| {
        let mut g = s.lock();
        let n = u64::from_le_bytes(g[..8].try_into().unwrap()) + 1;
        g.copy_from_slice(&n.to_le_bytes());
        Action::Continue
    })
    .unwrap();
    vm.device_state("count", &st).unwrap();
    let mut v = vm.vcpu(0).unwrap();
    v.set_real_mode(0, 0x1000, 0).unwrap();
    let snap = vm.snapshot().unwrap();
    let fork = Vm::fork(&snap).unwrap();
    std::thread::scope(|sc| {
        sc.spawn(|| assert_eq!(v.run(Some(Duration::from_secs(60))).unwrap(), Exit::Hlt));
        sc.spawn(|| {
            let mut fv = fork.existing_vcpu(0).unwrap();
            assert_eq!(fv.run(Some(Duration::from_secs(60))).unwrap(), Exit::Hlt);
        });
    });
    assert_eq!(u64::from_le_bytes(st.to_vec().try_into().unwrap()), 2000);
}

// ---- host memory ------------------------------------------------------------

#[test]
fn host_memory_mapped_into_guests() {
    let Some(mut vm) = vm_or_skip("host_memory_mapped_into_guests") else { return };
    let mut mem = HostMemory::new(0x10000).unwrap();
    // mov byte [0x2000], 0x42; hlt
    let code = [0xc6, 0x06, 0x00, 0x20, 0x42, 0xf4];
    mem.get_mut().unwrap()[0x1000..0x1000 + code.len()].copy_from_slice(&code);
    vm.map_host(0, &mem, 0).unwrap();
    assert!(mem.get_mut().is_none(), "the VM holds the memory");
    assert_eq!(vm.map_host(0x8000, &mem, 0).unwrap_err().kind(), ErrorKind::Overlap);
    assert_eq!(vm.map_host(0x20000, &mem, mem_flags::HUGEPAGES).unwrap_err().kind(), ErrorKind::InvalidArgument);

    let mut v = vm.vcpu(0).unwrap();
    v.set_real_mode(0, 0x1000, 0).unwrap();
    assert_eq!(v.run(SEC).unwrap(), Exit::Hlt);
    let mut b = [0u8; 1];
    mem.read(0x2000, &mut b).unwrap();
    assert_eq!(b, [0x42]);
    mem.write(0x3000, b"host").unwrap();
    assert_eq!(vm.read_vec(0x3000, 4).unwrap(), b"host");
    vm.write(0x3004, b"!").unwrap();
    assert_eq!(&mem.to_vec()[0x3000..0x3005], b"host!");
    drop(v);
    // No slices into memory other handles reach.
    assert_eq!(vm.mem(0x2000, 1).unwrap_err().kind(), ErrorKind::InvalidArgument);

    // One buffer, two VMs.
    let Some(vm2) = vm_or_skip("host_memory_mapped_into_guests") else { return };
    vm2.map_host(0x100000, &mem, 0).unwrap();
    assert_eq!(vm2.read_vec(0x102000, 1).unwrap(), [0x42]);
    drop(vm2);

    vm.unmap(0).unwrap();
    assert_eq!(vm.read_vec(0x2000, 1).unwrap_err().kind(), ErrorKind::Range);
    let s = mem.get_mut().expect("unmapped everywhere: the only handle again");
    assert_eq!(s[0x2000], 0x42);
}

#[test]
fn host_memory_in_snapshots_and_volatile() {
    let Some(vm) = vm_or_skip("host_memory_in_snapshots_and_volatile") else { return };
    let ram = HostMemory::new(0x10000).unwrap();
    let cov = HostMemory::new(0x1000).unwrap();
    vm.map_host(0, &ram, 0).unwrap();
    vm.map_host(0x10000, &cov, mem_flags::VOLATILE).unwrap();
    ram.write(0x5000, b"snap").unwrap();
    cov.write(0, b"cov1").unwrap();
    let snap = vm.snapshot().unwrap();
    // Through the VM: dirty tracking sees it (writes through HostMemory
    // are not tracked, like those through a libvm_mem_ptr pointer).
    vm.write(0x5000, b"XXXXY").unwrap();
    cov.write(0, b"cov2").unwrap();
    vm.restore(&snap).unwrap();
    assert_eq!(vm.read_vec(0x5000, 5).unwrap(), b"snap\0");
    let mut b = [0u8; 4];
    ram.read(0x5000, &mut b).unwrap();
    assert_eq!(&b, b"snap");
    cov.read(0, &mut b).unwrap();
    assert_eq!(&b, b"cov2", "volatile regions are not restored");

    // A fork copies the RAM (copy-on-write) and has no volatile region.
    let fork = Vm::fork(&snap).unwrap();
    fork.write(0x5000, b"fork").unwrap();
    ram.read(0x5000, &mut b).unwrap();
    assert_eq!(&b, b"snap");
    assert_eq!(fork.read_vec(0x10000, 4).unwrap_err().kind(), ErrorKind::Range);
}
