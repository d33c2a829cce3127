//! libvm-sys found the library (see its build.rs) and passes the directory
//! on through `links = "vm"` metadata; link arguments do not propagate to
//! dependent crates, so the rpath for this crate's tests and examples is
//! set here.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_VM_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_VM_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
