//! fork: boot a guest program once (examples/guests/funcs.elf), snapshot
//! it, and fork copy-on-write VMs from the snapshot, each running on its
//! own thread.  Every fork starts from the booted state, writes its own
//! input into its memory (which no other VM sees) and calls guest
//! functions; a hypercall closure registered on the parent serves all of
//! them, shared by the forks and kept alive by them after the parent and
//! the snapshot are gone.
//!
//! Usage: fork [forks] [path/to/funcs.elf]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use libvm::{Action, LongMode, Vm};

const RAM_SIZE: u64 = 64 << 20;
const INPUT_GPA: u64 = 48 << 20;
const BUDGET: Option<Duration> = Some(Duration::from_secs(5));

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("fork: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), libvm::Error> {
    let forks: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(4);
    let path = std::env::args_os().nth(2).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("LIBVM_GUEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build/guests"))
            .join("funcs.elf")
    });

    // The parent: boot main() once, with a hypercall closure that counts.
    let mut vm = Vm::new()?;
    vm.map_anon(0, RAM_SIZE, 0)?;
    let img = Arc::new(vm.load_file(&path, 0)?);
    vm.long_mode_setup(&LongMode { sys_gpa: 0x100000, ..Default::default() })?;
    let served = Arc::new(AtomicU64::new(0));
    let s = served.clone();
    vm.hypercall(16, move |hc| {
        s.fetch_add(1, Ordering::Relaxed);
        hc.ret = hc.args[0];
        Action::Continue
    })?;
    vm.console(|text| print!("parent's guest says: {}", String::from_utf8_lossy(text)))?;
    let mut vcpu = vm.vcpu(0)?;
    vcpu.set_long_mode(img.entry(), RAM_SIZE)?;
    vcpu.run(BUDGET)?;
    drop(vcpu);
    vm.write(INPUT_GPA, b"parent")?;
    let snap = vm.snapshot()?;

    // Fork on this thread (a Snapshot is Send, not Sync), then hand each
    // fork (Send) to a thread of its own.
    let t0 = Instant::now();
    let children = (0..forks).map(|_| Vm::fork(&snap)).collect::<Result<Vec<_>, _>>()?;
    println!("{forks} forks in {:.0} us", t0.elapsed().as_secs_f64() * 1e6);
    drop(snap);
    drop(vm);

    let threads: Vec<_> = children
        .into_iter()
        .enumerate()
        .map(|(i, child)| {
            let img = img.clone();
            std::thread::spawn(move || -> Result<String, libvm::Error> {
                let input = format!("input of fork {i}");
                child.write(INPUT_GPA, input.as_bytes())?;
                let mut v = child.existing_vcpu(0)?;
                let hash = v.call_symbol(&img, "fnv1a", &[INPUT_GPA, input.len() as u64], BUDGET)?;
                assert_eq!(hash, fnv1a(input.as_bytes()));
                let twice = v.call_symbol(&img, "twice_via_host", &[i as u64], BUDGET)?;
                Ok(format!("fork {i}: fnv1a({input:?}) = {hash:016x}, twice_via_host({i}) = {twice}"))
            })
        })
        .collect();
    for t in threads {
        println!("{}", t.join().expect("fork thread panicked")?);
    }
    println!("the parent's closure served {} hypercalls from the forks", served.load(Ordering::Relaxed));
    Ok(())
}
