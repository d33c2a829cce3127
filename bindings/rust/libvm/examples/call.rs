//! call: load a guest program compiled from C (examples/guests/funcs.c),
//! run its main(), then call its functions by name: add(2, 40), fnv1a()
//! over a host buffer copied into the guest, and twice_via_host(), which
//! calls back into a Rust closure.  A guest crash (divide by zero) comes
//! back as an error and the same VM takes the next call.
//!
//! Usage: call [path/to/funcs.elf]   (default: $LIBVM_GUEST_DIR/funcs.elf,
//! else the build tree's build/guests/funcs.elf)

use std::path::PathBuf;
use std::time::Duration;

use libvm::{Action, Arg, LongMode, Vm};

const RAM_SIZE: u64 = 64 << 20;
const SYS_GPA: u64 = 0x100000; // libvm's tables: 512 KiB
const SCRATCH_GPA: u64 = 32 << 20; // call arguments: 16 MiB
const BUDGET: Option<Duration> = Some(Duration::from_secs(1));

fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &c| (h ^ c as u64).wrapping_mul(0x100000001b3))
}

fn guest_path() -> PathBuf {
    if let Some(p) = std::env::args_os().nth(1) {
        return p.into();
    }
    let dir = std::env::var_os("LIBVM_GUEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build/guests"));
    dir.join("funcs.elf")
}

fn main() {
    if let Err(e) = run() {
        eprintln!("call: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), libvm::Error> {
    let mut vm = Vm::new()?;
    vm.map_anon(0, RAM_SIZE, 0)?;
    let img = vm.load_file(guest_path(), 0)?;
    vm.long_mode_setup(&LongMode { sys_gpa: SYS_GPA, ..Default::default() })?;
    vm.scratch_set(SCRATCH_GPA, 16 << 20)?;
    vm.console(|text| print!("guest says: {}", String::from_utf8_lossy(text)))?;
    vm.hypercall(16, |hc| {
        println!("host log({})", hc.args[0] as i64);
        hc.ret = hc.args[0];
        Action::Continue
    })?;

    let mut vcpu = vm.vcpu(0)?;
    vcpu.set_long_mode(img.entry(), RAM_SIZE)?;
    let exit = vcpu.run(Some(Duration::from_secs(5)))?;
    println!("main() ended: {exit:?}");

    println!("add(2, 40) = {}", vcpu.call_symbol(&img, "add", &[2, 40], BUDGET)?);

    let text: Vec<u8> = (0..4096).map(|i| b'a' + (i % 26) as u8).collect();
    let hash = vcpu.call_args(img.symbol("fnv1a")?, &[Arg::Bytes(&text), Arg::U64(text.len() as u64)], BUDGET)?;
    vcpu.vm().scratch_reset();
    println!("fnv1a(4 KiB) = {hash:016x} in the guest, {:016x} on the host", fnv1a(&text));

    println!("twice_via_host(21) = {}", vcpu.call_symbol(&img, "twice_via_host", &[21], BUDGET)?);

    match vcpu.call_symbol(&img, "divide", &[1, 0], BUDGET) {
        Ok(v) => println!("divide(1, 0) = {v}?"),
        Err(e) => println!("divide(1, 0): {e}"),
    }
    println!("and the VM goes on: add(20, 22) = {}", vcpu.call_symbol(&img, "add", &[20, 22], BUDGET)?);
    Ok(())
}
