//! hello: a real-mode guest prints through a port-I/O device served by a
//! Rust closure (the Rust version of examples/hello.c).

use std::io::Write;
use std::time::Duration;

use libvm::{Action, Direction, Vm};

// mov $0x3f8,%dx; mov $msg,%si; 1: lodsb; test %al,%al; jz 2f;
// out %al,(%dx); jmp 1b; 2: hlt; msg: .asciz "Hello from the guest!\n"
const CODE: &[u8] = &[0xba, 0xf8, 0x03, 0xbe, 0x0f, 0x10, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xf4];
const MSG: &[u8] = b"Hello from the guest!\n\0";

fn main() {
    if let Err(e) = run() {
        eprintln!("hello: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), libvm::Error> {
    let vm = Vm::new()?;
    vm.map_anon(0, 0x10000, 0)?;
    vm.write(0x1000, CODE)?;
    vm.write(0x1000 + CODE.len() as u64, MSG)?;
    vm.trap_pio(0x3f8, 1, |access| {
        if access.direction == Direction::Write {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(access.data);
            let _ = out.flush();
        }
        Action::Continue
    })?;
    let mut vcpu = vm.vcpu(0)?;
    vcpu.set_real_mode(0, 0x1000, 0)?;
    let exit = vcpu.run(Some(Duration::from_secs(1)))?;
    println!("guest stopped: {}", exit.name());
    Ok(())
}
