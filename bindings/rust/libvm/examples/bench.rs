//! bench: the Rust binding against C, in one process and run (`make bench`
//! runs it; bench/python_bench.py is the Python counterpart).
//!
//!   rust_pio_exit        ns per port-I/O exit handled by a Rust closure
//!                        (`Vm::trap_pio`), against c_pio_exit_same_run:
//!                        the same guest in a second VM of this process
//!                        whose exits a C handler serves
//!                        (cbench_pio_handler of build/bench/libcbench.so).
//!                        The guest is bench/core.c's pio_exit guest: real
//!                        mode, ECX `out`s to port DX, then HLT.
//!   rust_call_roundtrip  ns per guest call of add(a, b) (funcs.elf) through
//!                        `Vcpu::call`, against c_call_roundtrip_same_run:
//!                        cbench_call_loop doing the same libvm_call's in a
//!                        C loop on the same vCPU.  No timeout on either side.
//!
//! Both sides do the same work with the same checks; rounds alternate which
//! side goes first; figures are medians.  Output lines as bench/bench.h
//! prints them; without KVM, skip lines and exit 0.  LIBVM_BENCH_SCALE and
//! LIBVM_BENCH_ROUNDS as for the C benchmarks.
//!
//! The measured side uses only the safe API.  The `unsafe` here is the C
//! baseline's plumbing and nothing else: loading the C helper with dlopen
//! and registering its handler / calling its loop through `libvm::sys`,
//! the raw path the baseline is about.  The helper is
//! $LIBVM_CBENCH_LIBRARY, else the build tree's build/bench/libcbench.so;
//! the guest is $LIBVM_GUEST_DIR/funcs.elf, else build/guests/funcs.elf.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

use libvm::{sys, Action, Direction, Exit, LongMode, Vcpu, Vm};

const FIGURES: [&str; 4] = ["c_pio_exit_same_run", "rust_pio_exit", "c_call_roundtrip_same_run", "rust_call_roundtrip"];
const GUEST_GPA: u64 = 0x1000;
const PIO_PORT: u16 = 0x510;
// bench/core.c's pio_guest: 1: out %al,(%dx); inc %al; dec %ecx; jnz 1b; hlt
const PIO_GUEST: &[u8] = &[0xee, 0xfe, 0xc0, 0x66, 0x49, 0x75, 0xf9, 0xf4];
const RAM_SIZE: u64 = 64 << 20;
const SYS_GPA: u64 = 0x100000;
const MAX_ROUNDS: usize = 1001;

type CTrapFn = unsafe extern "C" fn(*mut sys::libvm_vcpu, u64, *mut c_void, u32, u32, *mut c_void) -> c_int;
type CCallLoopFn = unsafe extern "C" fn(*mut sys::libvm_vcpu, u64, u64, u64, u64, u64, u64) -> c_int;

extern "C" {
    fn dlopen(filename: *const c_char, flag: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
    fn dlerror() -> *mut c_char;
}
const RTLD_NOW: c_int = 2;

/// struct cbench_sink of bench/cbench.c.
#[repr(C)]
#[derive(Default)]
struct Sink {
    calls: u64,
    sum: u64,
}

struct CBench {
    pio_handler: CTrapFn,
    call_loop: CCallLoopFn,
}

fn die(msg: impl std::fmt::Display) -> ! {
    eprintln!("bench: {msg}");
    std::process::exit(1)
}

fn env_number(name: &str, def: f64) -> f64 {
    match std::env::var(name) {
        Ok(s) if !s.is_empty() => match s.parse::<f64>() {
            Ok(v) if v > 0.0 => v,
            _ => {
                eprintln!("bench: {name}={s}: want a positive number");
                std::process::exit(2)
            }
        },
        _ => def,
    }
}

fn scaled(n: u64, min: u64) -> u64 {
    ((n as f64 * env_number("LIBVM_BENCH_SCALE", 1.0)) as u64).max(min)
}

fn rounds() -> usize {
    (env_number("LIBVM_BENCH_ROUNDS", 15.0) as usize).clamp(1, MAX_ROUNDS)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Medians of subject's and base's per-round figures, alternating which
/// goes first (bench_interleave of bench/bench.h).
fn interleave(n: usize, mut subject: impl FnMut() -> f64, mut base: impl FnMut() -> f64) -> (f64, f64) {
    let (mut s, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        if i % 2 == 0 {
            s.push(subject());
            b.push(base());
        } else {
            b.push(base());
            s.push(subject());
        }
    }
    (median(s), median(b))
}

/// printf's %.6g, as bench/bench.h prints figures.
fn g6(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&exp) {
        let s = format!("{v:.5e}");
        let (m, e) = s.split_once('e').unwrap();
        let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.') } else { m };
        let e: i32 = e.parse().unwrap();
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let s = format!("{v:.*}", (5 - exp).max(0) as usize);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn report(name: &str, v: f64) {
    println!("BENCH name={name} value={} unit=ns", g6(v));
}

fn report_vs(name: &str, v: f64, baseline: &str, b: f64) {
    println!("BENCH name={name} value={} unit=ns baseline={baseline} ratio={:.4}", g6(v), v / b);
}

fn repo_build() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build")
}

fn load_cbench() -> CBench {
    let path = std::env::var_os("LIBVM_CBENCH_LIBRARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_build().join("bench/libcbench.so"));
    let cpath = CString::new(path.to_string_lossy().into_owned()).unwrap();
    // SAFETY: dlopen/dlsym with valid C strings; the symbols are bench/cbench.c's
    // functions with exactly the signatures of CTrapFn and CCallLoopFn, and
    // the handle is never closed.
    unsafe {
        let h = dlopen(cpath.as_ptr(), RTLD_NOW);
        if h.is_null() {
            die(format!(
                "cannot load the C helper: {} (build it with `make build/bench/libcbench.so`)",
                CStr::from_ptr(dlerror()).to_string_lossy()
            ));
        }
        let sym = |name: &CStr| {
            let p = dlsym(h, name.as_ptr());
            if p.is_null() {
                die(format!("{}: no {}", path.display(), name.to_string_lossy()));
            }
            p
        };
        CBench {
            pio_handler: std::mem::transmute::<*mut c_void, CTrapFn>(sym(c"cbench_pio_handler")),
            call_loop: std::mem::transmute::<*mut c_void, CCallLoopFn>(sym(c"cbench_call_loop")),
        }
    }
}

// ---- (a) port-I/O exits ------------------------------------------------------

fn pio_vm() -> Vm {
    let vm = Vm::new().unwrap_or_else(|e| die(e));
    vm.map_anon(0, 0x10000, 0).unwrap_or_else(|e| die(e));
    vm.write(GUEST_GPA, PIO_GUEST).unwrap_or_else(|e| die(e));
    vm
}

fn pio_round(vcpu: &mut Vcpu<'_>, exits: u64, count: impl Fn() -> u64, who: &str) -> f64 {
    let mut r = vcpu.regs().unwrap_or_else(|e| die(e));
    r.rip = GUEST_GPA;
    r.rflags = 0x2;
    r.rcx = exits;
    r.rdx = PIO_PORT.into();
    r.rax = 0;
    vcpu.set_regs(&r).unwrap_or_else(|e| die(e));
    let t0 = Instant::now();
    let ex = vcpu.run(None);
    let ns = t0.elapsed().as_nanos() as f64;
    match ex {
        Ok(Exit::Hlt) => {}
        Ok(other) => die(format!("{who} pio guest stopped: {}, not HLT", other.name())),
        Err(e) => die(format!("{who} pio guest: {e}")),
    }
    if count() != exits {
        die(format!("{who} pio guest: {} handler calls, want {exits}", count()));
    }
    ns / exits as f64
}

fn bench_pio(cb: &CBench, n: usize) {
    let exits = scaled(2000, 4);
    println!(
        "# rust_pio_exit: real mode (16-bit) guest, {exits} OUT exits + HLT per run, handled by a Rust \
         closure vs a C handler (libcbench.so) in a second VM, {n} rounds alternating, median ns per exit"
    );
    let rust_vm = pio_vm();
    let c_vm = pio_vm();

    // The closure's counters: one writer (the vCPU's thread), so plain
    // loads and stores, as the C handler's increments.
    let sink = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let s = sink.clone();
    rust_vm
        .trap_pio(PIO_PORT, 1, move |access| {
            if access.direction == Direction::Write {
                s.0.store(s.0.load(Relaxed) + 1, Relaxed);
                s.1.store(s.1.load(Relaxed) + access.data[0] as u64, Relaxed);
            }
            Action::Continue
        })
        .unwrap_or_else(|e| die(e));

    let mut c_sink = Box::new(Sink::default());
    let c_sink_ptr: *mut Sink = &mut *c_sink;
    // SAFETY: the C baseline's registration through the raw API: a valid VM
    // handle, a handler with libvm_trap_fn's signature, and an opaque that
    // outlives the VM (c_sink is dropped after c_vm).
    let r = unsafe {
        sys::libvm_trap_register(c_vm.as_raw(), sys::LIBVM_TRAP_PIO, PIO_PORT.into(), 1, Some(cb.pio_handler), c_sink_ptr.cast())
    };
    if r < 0 {
        die(format!("libvm_trap_register: {}", libvm::Error::last(r)));
    }

    let mut rust_vcpu = rust_vm.vcpu(0).unwrap_or_else(|e| die(e));
    let mut c_vcpu = c_vm.vcpu(0).unwrap_or_else(|e| die(e));
    rust_vcpu.set_real_mode(0, GUEST_GPA as u16, 0).unwrap_or_else(|e| die(e));
    c_vcpu.set_real_mode(0, GUEST_GPA as u16, 0).unwrap_or_else(|e| die(e));

    let mut rust_round = || {
        sink.0.store(0, Relaxed);
        pio_round(&mut rust_vcpu, exits, || sink.0.load(Relaxed), "Rust")
    };
    let mut c_round = || {
        // SAFETY: the handler writes the sink only during runs, and no run
        // is going on here.
        unsafe { (*c_sink_ptr).calls = 0 };
        pio_round(&mut c_vcpu, exits, || unsafe { (*c_sink_ptr).calls }, "C")
    };
    rust_round(); // warm up: guest memory, the vCPUs' first entries
    c_round();
    let (v, b) = interleave(n, rust_round, c_round);
    report("c_pio_exit_same_run", b);
    report_vs("rust_pio_exit", v, "c_pio_exit_same_run", b);
    drop(rust_vcpu);
    drop(c_vcpu);
    drop(c_vm);
    drop(c_sink);
}

// ---- (b) guest call round trips ------------------------------------------------

fn bench_call(cb: &CBench, n: usize) {
    let calls = scaled(1000, 4);
    let (a, b) = (2u64, 40u64);
    println!(
        "# rust_call_roundtrip: {calls} calls of add({a}, {b}) (funcs.elf, 64-bit) per round through \
         Vcpu::call vs a C loop of libvm_call (libcbench.so) on the same vCPU, {n} rounds alternating, \
         median ns per call"
    );
    let guest = std::env::var_os("LIBVM_GUEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_build().join("guests"))
        .join("funcs.elf");
    let mut vm = Vm::new().unwrap_or_else(|e| die(e));
    vm.map_anon(0, RAM_SIZE, 0).unwrap_or_else(|e| die(e));
    let img = vm.load_file(&guest, 0).unwrap_or_else(|e| die(format!("{}: {e}", guest.display())));
    vm.long_mode_setup(&LongMode { sys_gpa: SYS_GPA, ..Default::default() }).unwrap_or_else(|e| die(e));
    let mut vcpu = vm.vcpu(0).unwrap_or_else(|e| die(e));
    vcpu.set_long_mode(img.entry(), RAM_SIZE).unwrap_or_else(|e| die(e));
    let f = img.symbol("add").unwrap_or_else(|e| die(e));
    let want = a + b;
    let raw = vcpu.as_raw();
    let vcpu = std::cell::RefCell::new(vcpu);

    let rust_round = || {
        let mut v = vcpu.borrow_mut();
        let t0 = Instant::now();
        for _ in 0..calls {
            match v.call(f, &[a, b], None) {
                Ok(r) if r == want => {}
                Ok(r) => die(format!("Rust add() returned {r}, want {want}")),
                Err(e) => die(format!("Rust add(): {e}")),
            }
        }
        t0.elapsed().as_nanos() as f64 / calls as f64
    };
    let c_round = || {
        let _v = vcpu.borrow_mut(); // nobody else runs the vCPU meanwhile
        let t0 = Instant::now();
        // SAFETY: a valid vCPU handle, not running elsewhere.
        let r = unsafe { (cb.call_loop)(raw, f, a, b, want, calls, 0) };
        let ns = t0.elapsed().as_nanos() as f64;
        if r == 1 {
            die("C add() returned a wrong sum");
        }
        if r < 0 {
            die(format!("libvm_call: {}", libvm::Error::last(r)));
        }
        ns / calls as f64
    };
    rust_round(); // warm up
    c_round();
    let (v, bv) = interleave(n, rust_round, c_round);
    report("c_call_roundtrip_same_run", bv);
    report_vs("rust_call_roundtrip", v, "c_call_roundtrip_same_run", bv);
}

fn main() {
    let n = rounds();
    match Vm::new() {
        Ok(vm) => drop(vm),
        Err(e) if e.is_no_kvm() => {
            for name in FIGURES {
                println!("BENCH name={name} skipped reason=no usable KVM ({e})");
            }
            return;
        }
        Err(e) => die(e),
    }
    let cb = load_cbench();
    bench_pio(&cb, n);
    bench_call(&cb, n);
}
