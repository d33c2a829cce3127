//! fuzz_loop: the reset-per-input loop.  Boot a guest program once
//! (examples/guests/funcs.elf), snapshot it, then for every input restore
//! the snapshot, copy the input into the guest and call a guest function
//! on it (`Vm::fuzz_exec`).  Each execution starts from the same state;
//! restoring costs the pages the previous input dirtied.
//!
//! The target is `fnv1a(buf, len)`; the loop checks every result against
//! the host's FNV-1a, and a last input sent to `divide(gpa, 0)` shows a
//! crash being classified and the VM going on.
//!
//! Usage: fuzz_loop [iterations] [path/to/funcs.elf]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use libvm::{FuzzOutcome, LongMode, Vm};

const RAM_SIZE: u64 = 64 << 20;
const INPUT_GPA: u64 = 32 << 20;
const INPUT_CAP: u64 = 1 << 16;
const BUDGET: Option<Duration> = Some(Duration::from_secs(1));

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

/// xorshift64*: inputs without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545f4914f6cdd1d)
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("fuzz_loop: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), libvm::Error> {
    let iterations: u64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let path = std::env::args_os().nth(2).map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("LIBVM_GUEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build/guests"))
            .join("funcs.elf")
    });

    let mut vm = Vm::new()?;
    vm.map_anon(0, RAM_SIZE, 0)?;
    let img = vm.load_file(&path, 0)?;
    vm.long_mode_setup(&LongMode { sys_gpa: 0x100000, ..Default::default() })?;
    let target = img.symbol("fnv1a")?;
    let divide = img.symbol("divide")?;

    // Boot: run main() once, then snapshot the booted VM.
    let mut vcpu = vm.vcpu(0)?;
    vcpu.set_long_mode(img.entry(), RAM_SIZE)?;
    vcpu.run(Some(Duration::from_secs(5)))?;
    // vCPU 0 stays: fuzz_exec runs it (and the snapshot records it).
    let snap = vm.snapshot()?;

    let mut rng = Rng(0x9e3779b97f4a7c15);
    let mut input = Vec::new();
    let start = Instant::now();
    for i in 0..iterations {
        let len = (rng.next() % 512) as usize;
        input.clear();
        input.extend((0..len).map(|_| rng.next() as u8));
        let r = vm.fuzz_exec(&snap, target, INPUT_GPA, INPUT_CAP, &input, BUDGET)?;
        if r.outcome != FuzzOutcome::Ok || r.ret != fnv1a(&input) {
            eprintln!("input {i}: {:?}, ret {:#x}, want {:#x}", r.outcome, r.ret, fnv1a(&input));
            std::process::exit(1);
        }
    }
    let dt = start.elapsed();
    println!(
        "{iterations} inputs through fnv1a(), each from the snapshot: {:.1} us per input",
        dt.as_secs_f64() * 1e6 / iterations.max(1) as f64
    );

    // divide(input_gpa, len): an empty input divides by zero.
    let r = vm.fuzz_exec(&snap, divide, INPUT_GPA, INPUT_CAP, &[], BUDGET)?;
    println!("divide with an empty input: {:?} ({})", r.outcome, r.exit.name());
    let r = vm.fuzz_exec(&snap, target, INPUT_GPA, INPUT_CAP, b"libvm", BUDGET)?;
    println!("and the next input runs: {:?}, fnv1a(\"libvm\") = {:#x}", r.outcome, r.ret);
    Ok(())
}
